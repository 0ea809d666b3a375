// The mapping step in a real browser: a column with no field gets a new date field without leaving the import, its
// samples show what they become and the file's detected date form, and the imported contact holds the date.
import { expect, signIn, test } from "./fixtures";

test("an unmapped Birthday column becomes a new date field from the mapping step, and the contact gets the date", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/imports/new");
  const csv = "Email,Name,Birthday\nana@example.com,Ana,31/12/1990\nli@example.com,Li,05/02/2001\nbo@example.com,Bo,13/07/1985\n";
  await page.getByLabel("CSV file").setInputFiles({ name: "birthdays.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Upload and continue" }).click();

  await expect(page.getByRole("heading", { name: "Map columns" })).toBeVisible();
  const birthday = page.getByLabel('Import column "Birthday" as');
  await expect(birthday).toHaveValue("skip");
  const row = page.getByRole("row").filter({ has: birthday });
  await row.getByText("Create field…").click();
  await expect(row.getByLabel("Label")).toHaveValue("Birthday");
  await expect(row.getByLabel("Type")).toHaveValue("date");
  await row.getByRole("button", { name: "Create field for “Birthday”" }).click();

  // The form comes back in place with the new field chosen for the column and its samples read as dates.
  await expect(birthday).toHaveValue("custom:birthday");
  await expect(page.getByRole("status").filter({ hasText: "The field Birthday was added (key birthday)" })).toBeVisible();
  await expect(page.getByLabel('Import column "Name" as')).toHaveValue("skip");
  await expect(row.getByRole("listitem")).toHaveText(["31/12/1990 → 1990-12-31", "05/02/2001 → 2001-02-05", "13/07/1985 → 1985-07-13"]);
  await expect(page.getByTestId("date-form")).toHaveText("dd/mm/yyyy");
  await expect(page.getByText("(detected from the file)")).toBeVisible();

  await page.getByLabel('Import column "Name" as').selectOption("first_name");
  await page.getByRole("button", { name: "Preview import" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  const previewRow = page.getByRole("row").filter({ hasText: "Custom: Birthday" });
  await expect(previewRow.getByRole("listitem").first()).toHaveText("31/12/1990 → 1990-12-31");
  await expect(page.locator('[data-outcome="created"] td')).toHaveText("3");
  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();

  await page.goto("/contacts");
  await page.getByRole("link", { name: "ana@example.com" }).click();
  // An admin sees the contact's edit form: the date field holds the imported date.
  await expect(page.getByLabel("Birthday")).toHaveValue("1990-12-31");
});

test("a date that does not exist is marked among the samples and reported on its line", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/admin/custom-fields");
  await page.getByLabel("Label").fill("Renewal");
  await page.getByLabel("Type").selectOption("date");
  await page.getByRole("button", { name: "Add field" }).click();
  await page.goto("/imports/new");
  await page.getByLabel("CSV text").fill("email;renewal\nx@example.com;31.01.2025\ny@example.com;31.02.2025\n");
  await page.getByRole("button", { name: "Continue with this text" }).click();
  await expect(page.getByLabel('Import column "renewal" as')).toHaveValue("custom:renewal");
  await expect(page.getByText('renewal "31.02.2025" is not a date (dd/mm/yyyy)')).toBeVisible();
  // Choosing another date form reads the samples again in place; choosing Detect again goes back.
  await page.getByLabel("Date form").selectOption("mdy");
  await expect(page.getByText('renewal "31.01.2025" is not a date (mm/dd/yyyy)')).toBeVisible();
  await page.getByLabel("Date form").selectOption("auto");
  await expect(page.getByText('renewal "31.01.2025" is not a date (mm/dd/yyyy)')).toBeHidden();
  await expect(page.getByRole("listitem").filter({ hasText: "31.01.2025 → 2025-01-31" })).toBeVisible();
  await page.getByRole("button", { name: "Preview import" }).click();
  await expect(page.locator('[data-outcome="invalid"] td')).toHaveText("1");
  await page.getByText("First problems found").click();
  await expect(page.getByText('Line 3: renewal "31.02.2025" is not a date (dd/mm/yyyy)')).toBeVisible();
});
