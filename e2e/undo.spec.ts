import { apiKeyOnce, expect, postApi, signIn, test } from "./fixtures";

// Undo everywhere: a bulk change's notice carries Undo, and a segment's history shows each change set as one line
// with Undo while it can be undone. Each test scopes its data by its own domain and segment.

const apiKey = apiKeyOnce();

test("ticked contacts added to a segment leave it again with Undo in the notice", async ({ page, admin }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  const segment = (await postApi(page.request, k, "/segments", { name: "Spring list" })) as { id: number };
  for (const email of ["ana@undo.test", "luis@undo.test", "eva@undo.test"]) await postApi(page.request, k, "/contacts", { email });

  await page.goto("/contacts");
  await page.getByLabel("Search", { exact: true }).fill("undo.test");
  await expect(page.locator("#contacts-results tbody tr")).toHaveCount(3);
  await page.getByLabel("Select ana@undo.test").check();
  await page.getByLabel("Select luis@undo.test").check();
  await page.getByLabel("Segment to change").selectOption({ label: "Spring list" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  const toast = page.locator(".toast");
  await expect(toast).toContainText("2 contacts added to Spring list.");

  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(page.locator(".toast")).toContainText(/Undid bulk change by .*: 2 left, 0 came back\./);
  await page.goto(`/segments/${segment.id}/contacts`);
  await expect(page.getByTestId("segment-member-count")).toHaveText("0 contacts");
  await expect(page.getByText("This segment has no contacts yet.")).toBeVisible();

  // The segment's history shows the change and its undo, each as one line; neither can be undone again.
  await page.goto(`/segments/${segment.id}`);
  const history = page.locator("#history");
  await expect(history.getByRole("row", { name: /2 joined Bulk change by/ })).toContainText("Undone by");
  await expect(history.getByRole("row", { name: /2 left Undo of bulk change by/ })).toBeVisible();
  await expect(history.getByRole("button", { name: /^Undo/ })).toHaveCount(0);
});

test("an import is undone from the segment's history", async ({ page, admin, baseURL }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  const segment = (await postApi(page.request, k, "/segments", { name: "Trade fair" })) as { id: number };
  await postApi(page.request, k, `/segments/${segment.id}/contacts`, { emails: ["kept@fair.test"] });
  const auth = { Authorization: `Bearer ${k}` };
  const imported = await page.request.post(`${baseURL}/api/v1/imports?file_name=fair.csv&segment_id=${segment.id}`, {
    headers: { ...auth, "Content-Type": "text/csv" },
    data: "email,first_name\ndana@fair.test,Dana\nomar@fair.test,Omar\n",
  });
  expect(imported.ok(), await imported.text()).toBe(true);
  const importId = Number(((await imported.json()) as { id: number }).id);
  await expect
    .poll(async () => ((await (await page.request.get(`${baseURL}/api/v1/imports/${importId}`, { headers: auth })).json()) as { status: string }).status)
    .toBe("completed");

  await page.goto(`/segments/${segment.id}`);
  await expect(page.getByTestId("segment-member-count")).toHaveText("3 contacts");
  const line = page.locator("#history").getByRole("row", { name: new RegExp(`Import #${importId}`) });
  await expect(line).toContainText("2 joined");
  page.once("dialog", (dialog) => {
    expect(dialog.message()).toBe(`Undo import #${importId}: 2 members leave and 0 come back?`);
    void dialog.accept();
  });
  await line.getByRole("button", { name: `Undo import #${importId}` }).click();
  await expect(page.locator(".toast")).toContainText(`Undid import #${importId}: 2 left, 0 came back.`);
  await expect(page.getByTestId("segment-member-count")).toHaveText("1 contact");
  await expect(page.locator("#history").getByRole("row", { name: new RegExp(`Import #${importId}`) })).toContainText("Undone by");

  await page.goto(`/segments/${segment.id}/contacts`);
  await expect(page.locator("#members-results tbody tr")).toHaveCount(1);
  await expect(page.locator("#members-results")).toContainText("kept@fair.test");
});

test("members ticked on a segment's page and removed come back with Undo in the notice", async ({ page, admin }) => {
  await signIn(page, admin);
  const k = await apiKey(page);
  const segment = (await postApi(page.request, k, "/segments", { name: "Autumn list" })) as { id: number };
  await postApi(page.request, k, `/segments/${segment.id}/contacts`, { emails: ["ines@members.test", "jon@members.test", "kim@members.test"] });

  await page.goto(`/segments/${segment.id}/contacts`);
  await page.getByLabel("Select ines@members.test").check();
  await page.getByLabel("Select jon@members.test").check();
  await page.getByRole("button", { name: "Remove selected from segment" }).click();
  const toast = page.locator(".toast");
  await expect(toast).toContainText("2 contacts removed from Autumn list.");
  await expect(page.getByTestId("segment-member-count")).toHaveText("1 contact");

  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(page.locator(".toast")).toContainText(/Undid bulk change by .*: 0 left, 2 came back\./);
  await expect(page.getByTestId("segment-member-count")).toHaveText("3 contacts");
  await expect(page.locator("#members-results tbody tr")).toHaveCount(3);
});
