import { createApiKeyInBrowser, expect, postApi, signIn, test } from "./fixtures";

// Contacts > See all filtered by conditions: a marketer builds "email domain is acme.es and is in segment VIP",
// sees the count, and adds all the matching contacts to another segment as one change.

test("build email domain is acme.es and in segment VIP, see the count, add all matching to a segment", async ({ page, admin }) => {
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page);
  const vip = await postApi(page.request, key, "/segments", { name: "VIP" });
  await postApi(page.request, key, "/segments", { name: "Spring campaign" });
  for (const email of ["ana@acme.es", "bob@acme.es", "cat@other.test"]) await postApi(page.request, key, "/contacts", { email });
  await postApi(page.request, key, `/segments/${vip.id}/contacts`, { emails: ["ana@acme.es", "cat@other.test"] });

  await page.goto("/contacts");
  const rows = page.locator("#contacts-results tbody tr");
  await expect(rows).toHaveCount(3);
  await page.getByText("Filter by conditions").click();
  await expect(page.getByLabel("Condition 1: field")).toHaveValue("email_domain");
  await page.getByLabel("Condition 1: value").fill("acme.es");
  await expect(rows).toHaveCount(2);

  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByLabel("Condition 2 is on").selectOption({ label: "Segment" });
  await page.getByLabel("Condition 2: segment").selectOption({ label: "VIP" });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("ana@acme.es");
  await expect(page.getByTestId("matching-count")).toHaveText("Select all 1 matching");

  await page.getByLabel("Select all 1 matching").check();
  await page.getByLabel("Segment to change").selectOption({ label: "Spring campaign" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  await expect(page.getByRole("status")).toContainText("1 contact added to Spring campaign by conditions.");

  await page.goto("/segments");
  await page.getByRole("link", { name: "Spring campaign" }).click();
  const members = page.locator("#members-results tbody tr");
  await expect(members).toHaveCount(1);
  await expect(members.first()).toContainText("ana@acme.es");
  await expect(page.getByText(/by conditions of/).first()).toBeVisible();
});

test("the builder embedded in another page's form shows the live count and first matches as conditions change", async ({ page, admin }) => {
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page);
  for (const email of ["ana@panel.test", "bob@panel.test", "cat@other.test"]) await postApi(page.request, key, "/contacts", { email });
  await page.goto("/contacts");
  // The segment form (another page) will embed the builder with its live panel: host its fragment in a form of its own.
  const html = await (
    await page.request.post("/conditions/builder", {
      headers: { Origin: new URL(page.url()).origin },
      form: {
        cb_prefix: "s",
        cb_preview: "/conditions/preview",
        "s.kind": "all",
        "s.0.type": "field",
        "s.0.field": "email_domain",
        "s.0.op": "is",
        "s.0.value": "",
      },
    })
  ).text();
  await page.evaluate((h) => {
    const form = document.createElement("form");
    form.id = "host";
    form.innerHTML = h;
    document.querySelector("main")!.prepend(form);
    (window as any).htmx.process(form);
  }, html);
  await expect(page.locator("#s-preview")).toContainText("Finish a condition");
  await page.locator('[name="s.0.value"]').fill("panel.test");
  await expect(page.locator("#s-preview")).toContainText("2 contacts match");
  await page.locator("#s-builder").getByRole("button", { name: "Add condition" }).click();
  await expect(page.locator('[name="s.1.field"]')).toBeVisible();
  await page.locator('[name="s.1.field"]').selectOption("email");
  await page.locator('[name="s.1.op"]').selectOption("starts_with");
  await page.locator('[name="s.1.value"]').fill("bo");
  await expect(page.locator("#s-preview")).toContainText("1 contact matches");
  await expect(page.locator("#s-preview")).toContainText("bob@panel.test");
});
