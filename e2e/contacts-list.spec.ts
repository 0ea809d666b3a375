import { apiKeyOnce, expect, postApi, signIn, test } from "./fixtures";

// Contacts > See all as a marketer and a support agent use it: ticks that survive searches, where am I in the
// list, sorting, and the question a large bulk change asks first. Each test scopes its data by its own domain.

const apiKey = apiKeyOnce();

test("a tick survives searching, leaving the search box and redraws, and the ticked contacts are the ones added", async ({ page, admin }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  await postApi(page.request, k, "/segments", { name: "Buyers 2026" });
  for (const [email, first, last] of [
    ["ana.garcia@ticks.test", "Ana", "García"],
    ["luis.martin@ticks.test", "Luis", "Martín"],
    ["eva.ruiz@ticks.test", "Eva", "Ruiz"],
  ]) {
    await postApi(page.request, k, "/contacts", { email, first_name: first, last_name: last });
  }

  await page.goto("/contacts");
  await expect(page.getByLabel("Segment to change")).toHaveValue("");
  const rows = page.locator("#contacts-results tbody tr");
  const redraws: string[] = [];
  page.on("request", (r) => {
    if (r.headers()["hx-request"] && new URL(r.url()).pathname === "/contacts") redraws.push(r.url());
  });

  // Type, wait for the result, tick the row.
  await page.getByLabel("Search", { exact: true }).fill("ana garcia");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("ana.garcia@ticks.test");
  const searches = redraws.length;
  await page.getByLabel("Select ana.garcia@ticks.test").check();
  // Leaving the box and pressing nothing else: the search has not changed, so nothing is redrawn.
  await page.getByLabel("Segment to change").focus();
  await expect(page.getByLabel("Select ana.garcia@ticks.test")).toBeChecked();

  // Another search redraws the rows; the first tick is kept though its row is gone, and comes back ticked.
  await page.getByLabel("Search", { exact: true }).fill("luis");
  await expect(rows).toHaveCount(1);
  await page.getByLabel("Select luis.martin@ticks.test").check();
  await expect(page.getByText("2 ticked")).toBeVisible();
  await page.getByLabel("Search", { exact: true }).fill("ticks.test");
  await expect(rows).toHaveCount(3);
  await expect(page.getByLabel("Select ana.garcia@ticks.test")).toBeChecked();
  await expect(page.getByLabel("Select luis.martin@ticks.test")).toBeChecked();
  await expect(page.getByLabel("Select eva.ruiz@ticks.test")).not.toBeChecked();
  expect(redraws.length - searches, "only the two searches that changed redrew").toBe(2);

  await page.getByLabel("Segment to change").selectOption({ label: "Buyers 2026" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  await expect(page.getByRole("status")).toContainText("2 contacts added to Buyers 2026.");
  await page.goto("/segments");
  await page.getByRole("link", { name: "Buyers 2026" }).click();
  const members = page.locator("#members-results tbody tr");
  await expect(members).toHaveCount(2);
  await expect(members.filter({ hasText: "ana.garcia@ticks.test" })).toHaveCount(1);
  await expect(members.filter({ hasText: "luis.martin@ticks.test" })).toHaveCount(1);
});

test("where am I: the range and its total, First, Previous, Next, Last, page size and sorting", async ({ page, admin }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  const seg = await postApi(page.request, k, "/segments", { name: "Paging" });
  const emails = Array.from({ length: 120 }, (_, i) => `p${String(i).padStart(3, "0")}@paging.test`);
  await postApi(page.request, k, `/segments/${seg.id}/contacts`, { emails });

  await page.goto("/contacts?q=paging.test");
  const rows = page.locator("#contacts-results tbody tr");
  const range = page.getByTestId("list-range");
  await expect(range).toHaveText("1–50 of 120");
  await expect(rows).toHaveCount(50);
  await expect(page.getByRole("button", { name: "Previous" })).toHaveAttribute("aria-disabled", "true");
  await page.getByLabel("Sort by").selectOption({ label: "Email, A to Z" });
  await expect(rows.first()).toContainText("p000@paging.test");
  await expect(page).toHaveURL(/order=email-asc/);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(range).toHaveText("51–100 of 120");
  await expect(rows.first()).toContainText("p050@paging.test");
  await page.getByRole("button", { name: "Last" }).click();
  await expect(range).toHaveText("71–120 of 120");
  await expect(rows.last()).toContainText("p119@paging.test");
  await expect(page.getByRole("button", { name: "Next" })).toHaveAttribute("aria-disabled", "true");
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(range).toHaveText("21–70 of 120");
  await expect(rows.first()).toContainText("p020@paging.test");
  await page.getByRole("button", { name: "First" }).click();
  await expect(range).toHaveText("1–50 of 120");

  await page.getByLabel("Sort by").selectOption({ label: "Email, Z to A" });
  await expect(rows.first()).toContainText("p119@paging.test");
  await page.getByLabel("Per page").selectOption("100");
  await expect(rows).toHaveCount(100);
  await expect(range).toHaveText("1–100 of 120");
  await page.reload();
  await expect(rows).toHaveCount(100);
  await expect(rows.first()).toContainText("p119@paging.test");

  // A segment's View contacts pages and sorts the same way.
  await page.goto(`/segments/${seg.id}/contacts`);
  const members = page.locator("#members-results tbody tr");
  await expect(page.getByTestId("list-range")).toHaveText("1–50 of 120");
  await page.getByLabel("Sort by").selectOption({ label: "Email, A to Z" });
  await expect(members.first()).toContainText("p000@paging.test");
  await page.getByRole("button", { name: "Last" }).click();
  await expect(page.getByTestId("list-range")).toHaveText("71–120 of 120");
  await expect(members.last()).toContainText("p119@paging.test");
});

test("more than 1,000 contacts: the bulk change asks first, inline with JavaScript and as a page without", async ({ page, admin, browser, baseURL }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  await postApi(page.request, k, "/segments", { name: "Big list" });
  const emails = Array.from({ length: 1001 }, (_, i) => `b${i}@bulk.test`);
  await postApi(page.request, k, "/segments", { name: "Holding" }).then((s) => postApi(page.request, k, `/segments/${s.id}/contacts`, { emails }));

  await page.goto("/contacts");
  await page.getByLabel("Search", { exact: true }).fill("@bulk.test");
  await expect(page.getByTestId("list-range")).toHaveText("1–50 of 1,001");
  await expect(page.getByTestId("matching-count")).toHaveText("Select all 1,001 matching");
  await page.getByLabel("Select all 1,001 matching").check();
  await page.getByLabel("Segment to change").selectOption({ label: "Big list" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  const question = page.getByRole("alertdialog", { name: "Add 1,001 contacts to Big list?" });
  await expect(question).toBeVisible();
  await expect(question.getByRole("button", { name: "Add 1,001 contacts" })).toBeFocused();
  await question.getByRole("button", { name: "Cancel" }).click();
  await expect(question).toHaveCount(0);
  await expect(page.getByLabel("Select all 1,001 matching")).toBeChecked();
  await page.getByRole("button", { name: "Add to segment" }).click();
  await question.getByRole("button", { name: "Add 1,001 contacts" }).click();
  await expect(page.getByRole("status")).toContainText("1,001 contacts added to Big list.");

  // Without JavaScript the same question is a page of its own.
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const plain = await context.newPage();
  await signIn(plain, admin);
  await plain.goto("/contacts?q=%40bulk.test");
  await plain.getByLabel("Select all matching").check();
  await plain.getByLabel("Segment to change").selectOption({ label: "Big list" });
  await plain.getByRole("button", { name: "Remove from segment" }).click();
  await expect(plain.getByRole("heading", { name: "Remove 1,001 contacts from Big list?" })).toBeVisible();
  await plain.getByRole("button", { name: "Remove 1,001 contacts" }).click();
  await expect(plain.getByRole("status")).toContainText("1,001 contacts removed from Big list.");
  await context.close();
});
