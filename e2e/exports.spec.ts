import { readFileSync } from "node:fs";
import { createApiKeyInBrowser, expect, signIn, test } from "./fixtures";

test("export a segment: the wizard step by step, the list from running to completed, the downloaded file", async ({ page, admin, baseURL }) => {
  await signIn(page, admin);
  // The data, through the API as a shop's backend would send it: three contacts (one with a formula-like
  // name) in a segment, and one contact outside it.
  const key = await createApiKeyInBrowser(page, "Export test");
  const api = (path: string, body: unknown) => page.request.post(`${baseURL}/api/v1${path}`, { headers: { Authorization: `Bearer ${key}` }, data: body });
  for (const c of [
    { email: "ana@example.com", first_name: "Ana", last_name: "García" },
    { email: "bob@example.com", first_name: "=1+1", last_name: "Smith, Jr." },
    { email: "chloe@example.com", first_name: "Chloë", last_name: "Dubois" },
    { email: "outside@example.com", first_name: "Otto", last_name: "Outside" },
  ]) {
    expect((await api("/contacts", c)).ok()).toBe(true);
  }
  const segment = await api("/segments", { name: "Spring Buyers" });
  expect(segment.ok()).toBe(true);
  const { id: segmentId } = (await segment.json()) as { id: number };
  expect((await api(`/segments/${segmentId}/contacts`, { emails: ["ana@example.com", "bob@example.com", "chloe@example.com"] })).ok()).toBe(true);

  // Contacts > Export
  await page.goto("/");
  await page.getByText("Contacts", { exact: true }).first().click();
  await page.getByRole("link", { name: "Export", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Type of export" })).toBeVisible();
  await page.getByLabel("Contacts").check();
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.getByRole("heading", { name: "Segment" })).toBeVisible();
  await page.getByLabel("Choose the contacts to export").selectOption({ label: "Spring Buyers (3 members)" });
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.getByRole("heading", { name: "Properties" })).toBeVisible();
  await expect(page.getByLabel("Date added to segment")).toBeVisible();
  await expect(page.getByLabel("Added by")).toBeVisible();
  await page.getByRole("button", { name: "Select all" }).click();
  await expect(page.getByLabel("Phone")).toBeChecked();
  await expect(page.getByLabel("Added by")).toBeChecked();
  await page.getByRole("button", { name: "Select none" }).click();
  await expect(page.getByLabel("Email")).not.toBeChecked();
  for (const label of ["Email", "First Name", "Last Name", "Added by"]) await page.getByLabel(label, { exact: true }).check();
  await page.getByRole("button", { name: "Next" }).click();

  await expect(page.getByRole("heading", { name: "Output format" })).toBeVisible();
  for (const label of ["CSV (comma)", "CSV for Excel (semicolon, UTF-8 with BOM)", "TSV", "JSON Lines", "Excel workbook (.xlsx)"]) {
    await expect(page.getByLabel(label)).toBeVisible();
  }
  await page.getByLabel("CSV (comma)").check();
  await page.getByRole("button", { name: "Start export" }).click();

  // The summary, swapped in place of the wizard's card.
  await expect(page.getByRole("heading", { name: "Export started" })).toBeVisible();
  const summary = page.locator("#export-wizard");
  await expect(summary).toContainText("Spring Buyers");
  await expect(summary).toContainText("Email, First Name, Last Name, Added by");
  await expect(summary).toContainText("CSV (comma)");
  await expect(summary).toContainText("Estimated rows3");
  await page.getByRole("button", { name: "Go to export list" }).click();

  // The list polls while the export runs and shows the download once it completes.
  await expect(page.getByRole("heading", { name: "Exports" })).toBeVisible();
  const row = page.locator("tr", { hasText: "Spring Buyers" }).first();
  await expect(row.locator(".badge")).toHaveText(/queued|running|completed/);
  await expect(row.locator(".badge")).toHaveText("completed");
  await expect(row).toContainText("3 of 3");
  await expect(page.locator("#export-list")).not.toHaveAttribute("hx-trigger", /.*/);

  const downloading = page.waitForEvent("download");
  await row.getByRole("button", { name: "Download" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^spring-buyers-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync((await download.path())!, "utf8");
  const lines = text.trimEnd().split("\r\n");
  expect(lines[0]).toBe("Email,First Name,Last Name,Added by");
  expect(lines).toHaveLength(4);
  expect(lines).toContain("ana@example.com,Ana,García,API key Export test");
  expect(lines).toContain('bob@example.com,\'=1+1,"Smith, Jr.",API key Export test');
  expect(lines).toContain("chloe@example.com,Chloë,Dubois,API key Export test");
  expect(text).not.toContain("outside@example.com");
});
