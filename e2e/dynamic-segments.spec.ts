// A dynamic segment in a real browser, with the issue's words: build "bought office furniture in the last 30 days
// and not in Customers" in the builder, see the count, save it, send a purchase through the API, see the contact
// join (the worker keeps it current), ask why it is in, and export it.
import { readFileSync } from "node:fs";
import { createApiKeyInBrowser, expect, signIn, test } from "./fixtures";

test("a dynamic segment: built, counted, saved, kept current after a purchase, explained and exported", async ({ page, admin, baseURL }) => {
  test.setTimeout(120_000);
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page, "Shop");
  const api = (path: string, body: unknown) => page.request.post(`${baseURL}/api/v1${path}`, { headers: { Authorization: `Bearer ${key}` }, data: body });
  let n = 0;
  const purchase = async (email: string, category: string, total: number) => {
    const res = await api("/events", {
      id: `order-${++n}`,
      type: "purchase",
      email,
      properties: { order_id: `o${n}`, total, currency: "EUR", products: [{ id: `p${n}`, name: "Item", category, price: total, quantity: 1 }] },
    });
    expect(res.ok()).toBe(true);
  };
  // Bo bought office furniture but is a customer already; Cy bought lamps; Ana has not bought yet.
  for (const email of ["ana@example.com", "bo@example.com", "cy@example.com"]) expect((await api("/contacts", { email })).ok()).toBe(true);
  const customers = await api("/segments", { name: "Customers" });
  const { id: customersId } = (await customers.json()) as { id: number };
  expect((await api(`/segments/${customersId}/contacts`, { emails: ["bo@example.com"] })).ok()).toBe(true);
  await purchase("bo@example.com", "office furniture", 300);
  await purchase("cy@example.com", "lamps", 40);
  await purchase("ana@example.com", "office furniture", 120);

  // Create new segment -> Type: Dynamic segment -> name, description, conditions.
  await page.goto("/segments/new");
  await page.getByLabel("Type").selectOption({ label: "Dynamic segment" });
  const builder = page.getByRole("group", { name: "Contacts for which" });
  await expect(builder).toBeVisible();
  await page.getByLabel("Segment Name").fill("Furniture prospects");
  await page.getByLabel("Description").fill("Bought office furniture in the last 30 days and not in Customers");

  await page.getByLabel("Condition 1 is on").selectOption({ label: "Event" });
  await expect(page.getByLabel("Condition 1: event type")).toBeVisible();
  await page.getByLabel("Condition 1: event type").fill("purchase");
  await page.getByLabel("Condition 1: days").fill("30");
  await page.getByRole("button", { name: "Condition 1: add a property condition" }).click();
  await page.getByLabel("Condition 1: property 1", { exact: true }).fill("products.category");
  await page.getByLabel("Condition 1: property 1 value").fill("office furniture");
  // Ana matches so far (Bo too: not in Customers comes next).
  await expect(page.getByTestId("conditions-count")).toContainText("2 contacts match");

  await page.getByRole("button", { name: "Add condition" }).first().click();
  await page.getByLabel("Condition 2 is on").selectOption({ label: "Segment" });
  await page.getByLabel("Condition 2: in or not in").selectOption({ label: "is not in" });
  await page.getByLabel("Condition 2: segment", { exact: true }).selectOption({ label: "Customers" });
  await expect(page.getByTestId("conditions-count")).toContainText("1 contact matches");
  await expect(page.locator(".cond-preview")).toContainText("ana@example.com");

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("The dynamic segment Furniture prospects was created: 1 contact match");
  await expect(page.getByRole("heading", { name: "Furniture prospects" })).toBeVisible();
  await expect(page.getByTestId("segment-member-count")).toHaveText("1 contact");
  await expect(page.getByRole("link", { name: "ana@example.com", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add contact" })).toHaveCount(0);

  // The segment page says the conditions in words.
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  const sentences = page.getByTestId("condition-sentences");
  await expect(sentences).toContainText("Did purchase at least once in the last 30 days where products.category equals office furniture");
  await expect(sentences).toContainText("Is not in segment Customers");

  // A purchase through the API: Cy buys office furniture and joins within the worker's next pass.
  await purchase("cy@example.com", "office furniture", 500);
  await page.getByRole("button", { name: "View contacts" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("link", { name: "cy@example.com", exact: true })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId("segment-member-count")).toHaveText("2 contacts");

  // Why is this contact in it? The event, its date and properties.
  await page.getByRole("link", { name: "Why? (cy@example.com is in it)" }).click();
  await expect(page.getByRole("heading", { name: "Why is cy@example.com in Furniture prospects?" })).toBeVisible();
  await expect(page.locator(".why")).toContainText("products.category: office furniture");
  await expect(page.locator(".why")).toContainText("Not in Customers");

  // Its history says "By conditions".
  await page.goto(page.url().replace(/\/why\/\d+$/, ""));
  await expect(page.getByRole("table").filter({ hasText: "cy@example.com" }).first()).toContainText("By conditions");

  // Export it: a snapshot of its members.
  await page.goto("/exports/new");
  await page.getByLabel("Contacts").check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Choose the contacts to export").selectOption({ label: "Furniture prospects (2 members)" });
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Select none" }).click();
  // Select none is answered by the server: the boxes are ticked once its page has come back.
  await expect(page.getByLabel("Email", { exact: true })).not.toBeChecked();
  for (const label of ["Email", "Added by"]) await page.getByLabel(label, { exact: true }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("CSV (comma)").check();
  await page.getByRole("button", { name: "Start export" }).click();
  await page.getByRole("button", { name: "Go to export list" }).click();
  const row = page.locator("tr", { hasText: "Furniture prospects" }).first();
  await expect(row.locator(".badge")).toHaveText("completed");
  const downloading = page.waitForEvent("download");
  await row.getByRole("button", { name: "Download" }).click();
  const lines = readFileSync((await (await downloading).path())!, "utf8")
    .trimEnd()
    .split("\r\n");
  expect(lines[0]).toBe("Email,Added by");
  expect(lines.slice(1).sort()).toEqual(["ana@example.com,by conditions", "cy@example.com,by conditions"]);
});
