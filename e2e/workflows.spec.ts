import { createApiKeyInBrowser, expect, signIn, test, type RunningServer } from "./fixtures";

/** Creates a segment through the API; any answer but 201 fails the test with what the API said. */
async function createSegment(server: RunningServer, apiKey: string, name: string): Promise<number> {
  const res = await fetch(`${server.baseURL}/api/v1/segments`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return (JSON.parse(text) as { id: number }).id;
}

test("build the desk / office furniture workflow, activate it, and a search puts the contact in the segment", async ({ page, admin, server }) => {
  await signIn(page, admin);
  const apiKey = await createApiKeyInBrowser(page, "Shop backend");
  const segmentId = await createSegment(server, apiKey, "Interested in office furniture");
  await createSegment(server, apiKey, "Customers");

  await page.goto("/");
  await page.getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("button", { name: "Create new workflow" }).click();
  await page.getByLabel("Name").fill("Office furniture searchers");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { name: "Office furniture searchers" })).toBeVisible();
  const diagram = page.locator("#workflow-diagram");
  await expect(diagram).toContainText("Office furniture searchers");

  const trigger = page.getByRole("form", { name: "Trigger" });
  // Choosing a trigger redraws its node (a custom one needs a name); let that land before pressing Update.
  const redrawn = page.waitForResponse((r) => r.url().includes("/trigger?preview=1"));
  await trigger.getByLabel("When").selectOption({ label: "When searching" });
  await redrawn;
  await trigger.getByRole("button", { name: "Update" }).click();
  await expect(diagram).toContainText("When searching");

  await page.getByRole("button", { name: "Add condition" }).click();
  const category = page.getByRole("form", { name: "Condition 1" });
  await category.getByLabel("Property").fill("product.category");
  await category.getByLabel("Comparison").selectOption({ label: "equals" });
  await category.getByLabel("Value").fill("office furniture");
  await category.getByRole("button", { name: "Update" }).click();
  await expect(diagram).toContainText('product.category equals "office furniture"');

  await page.getByRole("button", { name: "Add condition" }).click();
  const query = page.getByRole("form", { name: "Condition 2" });
  await query.getByLabel("Property").fill("query");
  await query.getByLabel("Comparison").selectOption({ label: "contains" });
  await query.getByRole("button", { name: "Update" }).click();
  await expect(query.getByText("Enter a value")).toBeVisible();
  await query.getByLabel("Value").fill("desk");
  await query.getByRole("button", { name: "Update" }).click();
  await expect(diagram).toContainText('query contains "desk"');

  await page.getByRole("button", { name: "Add action" }).click();
  const action = page.getByRole("form", { name: "Action 1" });
  await action.getByLabel("Action", { exact: true }).selectOption({ label: "Add to segment" });
  await action.getByLabel("Segment").selectOption({ label: "Interested in office furniture" });
  await action.getByRole("button", { name: "Update" }).click();
  await expect(diagram).toContainText("Interested in office furniture");

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");
  await page.getByRole("button", { name: "Activate" }).click();
  await expect(page.getByRole("status")).toContainText("Activated");
  await expect(page.getByRole("button", { name: "Deactivate" })).toBeVisible();

  const send = (id: string, email: string, properties: object) =>
    page.request.post("/api/v1/events", {
      headers: { Authorization: `Bearer ${apiKey}` },
      data: { id, type: "product_search", email, contact: { first_name: "Dana" }, properties },
    });
  const res = await send("search-1", "dana@example.com", { query: "standing desk", product: { id: "D1", name: "Desk", category: "Office furniture" } });
  expect(res.status()).toBe(202);
  expect((await send("search-2", "lamp@example.com", { query: "lamp", product: { category: "Lighting" } })).status()).toBe(202);

  await page.reload();
  await expect(page.getByTestId("events-matched")).toHaveText("1");
  await expect(page.getByTestId("contacts-added")).toHaveText("1");
  const change = page.getByRole("row", { name: /dana@example\.com/ });
  await expect(change).toContainText("Added to Interested in office furniture");
  await expect(change).toContainText("workflow Office furniture searchers");
  await expect(page.getByRole("row", { name: /lamp@example\.com/ })).toHaveCount(0);
  // The runs per day, drawn and as a table.
  await expect(page.getByTestId("per-day-summary")).toHaveText("1 events matched; 1 contacts added and 0 removed.");
  await expect(page.getByRole("img", { name: /^Events matched per day over the last 30 days: 1 in all/ })).toBeVisible();
  await page.getByText("The numbers, as a table").click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(page.getByRole("row", { name: `${today} 1 1 0` })).toBeVisible();

  // The segment's history shows the run as one change, and its members page shows Dana.
  expect((await page.goto(`/segments/${segmentId}`))?.status()).toBe(200);
  await expect(page.getByText("workflow Office furniture searchers").first()).toBeVisible();
  expect((await page.goto(`/segments/${segmentId}/contacts`))?.status()).toBe(200);
  await expect(page.locator("#members-results tbody tr")).toHaveCount(1);
  await expect(page.locator("#members-results tbody tr").first()).toContainText("dana@example.com");
});

test("Save keeps a node's change that was never Updated, and stops on a node the server refuses", async ({ page, admin, server }) => {
  await signIn(page, admin);
  const apiKey = await createApiKeyInBrowser(page, "Editor keys");
  await createSegment(server, apiKey, "Pending changes");
  await page.goto("/workflows/new");
  await page.getByLabel("Name").fill("Pending node changes");
  await page.getByRole("button", { name: "Create workflow" }).click();
  const diagram = page.locator("#workflow-diagram");

  const trigger = page.getByRole("form", { name: "Trigger" });
  const redrawn = page.waitForResponse((r) => r.url().includes("/trigger?preview=1"));
  await trigger.getByLabel("When").selectOption({ label: "When buying" });
  await redrawn;
  await page.getByRole("button", { name: "Add action" }).click();
  const action = page.getByRole("form", { name: "Action 1" });
  await action.getByLabel("Segment").selectOption({ label: "Pending changes" });
  await page.getByRole("button", { name: "Add condition" }).click();
  const condition = page.getByRole("form", { name: "Condition 1" });
  await condition.getByLabel("Property").fill("total");
  await condition.getByLabel("Comparison").selectOption({ label: "is greater than" });
  await condition.getByLabel("Value").fill("lots");

  // Nothing was Updated. The bad value is refused on its node and nothing is saved.
  await page.getByRole("button", { name: "Save" }).click();
  await expect(condition.getByText("Enter a number")).toBeVisible();
  await expect(condition.getByLabel("Value")).toBeFocused();
  await condition.getByLabel("Value").fill("100");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");
  await expect(diagram).toContainText("When buying");
  await expect(diagram).toContainText("total is greater than 100");
  await expect(diagram).toContainText("Pending changes");
  await page.reload();
  await expect(page.getByText(/Unsaved changes|Not saved yet/)).toHaveCount(0);
});
