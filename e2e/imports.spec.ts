// Imports in a real browser: paste with its live preview, and a file upload, each through mapping, options,
// the dry-run preview and the import to its outcome; then the list and the error report.
import { readFileSync } from "node:fs";
import { expect, signIn, test } from "./fixtures";

const fixture = (name: string) => new URL(`../test/fixtures/imports/${name}`, import.meta.url).pathname;

test("paste CSV: live preview, map, new segment, preview, import, error report", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/imports/new");
  await page
    .getByLabel("CSV text")
    .fill("E-mail;Prénom;Ville\nada@example.com;Ada;Paris\nbob@example.com;Bob;Lyon\nnot-an-email;Eve;Nice\nADA@example.com;Adèle;Paris\n");
  const preview = page.getByTestId("paste-preview");
  await expect(preview).toContainText("3 columns, separated by semicolon");
  await expect(preview.getByRole("cell", { name: "bob@example.com" })).toBeVisible();
  await page.getByRole("button", { name: "Continue with this text" }).click();

  await expect(page.getByRole("heading", { name: "Map columns" })).toBeVisible();
  await expect(page.getByLabel('Import column "E-mail" as')).toHaveValue("email");
  await page.getByLabel('Import column "Prénom" as').selectOption("first_name");
  await page.getByRole("switch", { name: "Overwrite existing" }).check();
  await page.getByLabel("Name of the new segment").fill("Pasted in the browser");
  await expect(page.getByRole("radio", { name: "A new segment" })).toBeChecked();
  await page.getByRole("button", { name: "Preview import" }).click();

  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  await expect(page.locator('[data-outcome="created"] td')).toHaveText("2");
  await expect(page.locator('[data-outcome="invalid"] td')).toHaveText("1");
  await expect(page.locator('[data-outcome="duplicates"] td')).toHaveText("1");
  await expect(page.getByTestId("rows-accounted")).toContainText("2 + 0 + 0 + 1 + 1 = 4 rows");
  await page.getByRole("button", { name: "Start import" }).click();

  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();
  await expect(page.locator('[data-outcome="created"] td')).toHaveText("2");
  await expect(page.locator('[data-outcome="joined"] td')).toHaveText("2");
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download error report" }).click();
  const report = readFileSync((await (await downloading).path())!, "utf8");
  expect(report).toContain("4,invalid email: not-an-email,not-an-email,Eve,Nice");
  expect(report).toContain("2,duplicate email: line 5 has the same email and is the one imported,ada@example.com,Ada,Paris");
});

test("upload a Windows-1252 file: mapped, previewed, imported, listed", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/imports/new");
  await page.getByLabel("CSV file").setInputFiles(fixture("windows-1252.csv"));
  await page.getByRole("button", { name: "Upload and continue" }).click();

  await expect(page.getByText("windows-1252.csv")).toBeVisible();
  await expect(page.getByRole("cell", { name: "René" })).toBeVisible();
  await page.getByRole("button", { name: "Preview import" }).click();
  await expect(page.locator('[data-outcome="created"] td')).toHaveText("2");
  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();
  await expect(page.getByTestId("rows-accounted")).toContainText("= 2 rows");

  await page.goto("/imports");
  const row = page.getByRole("row").filter({ hasText: "windows-1252.csv" });
  await expect(row.getByText("completed")).toBeVisible();
});

test("the preview says which encoding it used, and choosing another reads the file again", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/imports/new");
  await page.getByLabel("CSV file").setInputFiles(fixture("utf8-no-bom.csv"));
  await page.getByRole("button", { name: "Upload and continue" }).click();
  await expect(page.getByTestId("encoding-used")).toHaveText("UTF-8");
  await expect(page.getByRole("cell", { name: "María José" })).toBeVisible();
  await page.getByRole("button", { name: "Preview import" }).click();

  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  await expect(page.getByTestId("encoding-used")).toHaveText("UTF-8");
  await expect(page.getByText("(detected automatically)")).toBeVisible();
  await page.getByLabel("File encoding").selectOption("Windows-1252");
  await page.getByRole("button", { name: "Preview again" }).click();
  await expect(page.getByTestId("encoding-used")).toHaveText("Windows-1252");
  await expect(page.getByText("(as you chose)")).toBeVisible();
  await expect(page.getByLabel("File encoding")).toHaveValue("windows-1252");
  await expect(page.getByTestId("rows-accounted")).toContainText("= 2 rows");
  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByText("Read as Windows-1252 (as chosen).")).toBeVisible();

  await page.goto("/contacts?q=ana%40example.es");
  await expect(page.getByRole("cell", { name: "MarÃ­a JosÃ©" })).toBeVisible();
});
