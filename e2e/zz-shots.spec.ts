import { expect, signIn, test } from "./fixtures";
test("shots", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/segments/new");
  await page.getByLabel("Segment Name").fill("Trade fair 2026");
  await page.getByRole("button", { name: "Save" }).click();
  for (const email of ["ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"]) {
    await page.getByLabel("Email of the contact to add").fill(email);
    await page.getByRole("button", { name: "Add contact" }).click();
    await expect(page.getByRole("status")).toContainText(email);
  }
  await page.goto("/imports/new");
  await page.getByLabel("CSV text").fill("email,first_name\nann@example.com,Ann\nnew.person@example.com,Nia\nvery.long.address.for.a.narrow.screen@subdomain.example.com,Long\n");
  await page.getByRole("button", { name: "Continue with this text" }).click();
  await page.getByRole("radio", { name: "An existing segment" }).check();
  await page.getByRole("radio", { name: "Replace the segment's members" }).check();
  for (const w of [1440, 390]) { await page.setViewportSize({ width: w, height: 900 }); await page.screenshot({ path: `/tmp/sync-form-${w}.png`, fullPage: true }); }
  await page.getByRole("button", { name: "Preview import" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  for (const d of await page.locator("details.examples summary").all()) await d.click();
  for (const w of [1440, 390]) { await page.setViewportSize({ width: w, height: 900 }); await page.screenshot({ path: `/tmp/sync-preview-${w}.png`, fullPage: true }); }
  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();
  for (const w of [1440, 390]) { await page.setViewportSize({ width: w, height: 900 }); await page.screenshot({ path: `/tmp/sync-done-${w}.png`, fullPage: true }); }
  page.on("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Undo this import's segment change" }).click();
  await expect(page.getByTestId("undo-result")).toBeVisible();
  for (const w of [1440, 390]) { await page.setViewportSize({ width: w, height: 900 }); await page.screenshot({ path: `/tmp/sync-undone-${w}.png`, fullPage: true }); }
});
