import type { Page } from "@playwright/test";
import { expect, signIn, test } from "./fixtures";

/** The navigation's Contacts menu (a <details> dropdown). */
async function openContactsMenu(page: Page) {
  await page.locator("header summary", { hasText: "Contacts" }).click();
}

// The tutorial journey: create a static segment, add contacts by hand, filter Contacts > See all by it,
// remove a member, and read the membership history.
test("a static segment from creation to history", async ({ page, admin }) => {
  await signIn(page, admin);

  // Two contacts exist before the segment; a third is created by adding it.
  for (const [email, first, last] of [
    ["lena.berg@example.com", "Léna", "Berg"],
    ["omar.haddad@example.com", "Omar", "Haddad"],
  ]) {
    await page.goto("/contacts/new");
    await page.getByLabel("Email").fill(email!);
    await page.getByLabel("First name").fill(first!);
    await page.getByLabel("Last name").fill(last!);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toContainText(`The contact ${email} was added.`);
  }

  await openContactsMenu(page);
  await page.getByRole("link", { name: "Segments" }).click();
  await expect(page.getByRole("heading", { name: "Segments" })).toBeVisible();
  await page.getByRole("button", { name: "Create new segment" }).click();
  await expect(page.getByLabel("Type")).toHaveValue("static");
  await expect(page.getByLabel("Type").locator("option:checked")).toHaveText("Static segment");
  await page.getByLabel("Segment Name").fill("Spring buyers");
  await page.getByLabel("Description").fill("Bought in the March sale");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Spring buyers" })).toBeVisible();

  await page.getByLabel("Email of the contact to add").fill("LENA.BERG@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByRole("status")).toContainText("LENA.BERG@example.com was added to Spring buyers.");
  await page.getByLabel("Email of the contact to add").fill("omar.haddad@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByLabel("Email of the contact to add").fill("new.face@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByRole("status")).toContainText("was not a contact yet: the contact was created and added");
  await page.getByLabel("Email of the contact to add").fill("omar.haddad@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.getByRole("status")).toContainText("already in this segment; nothing changed");
  await expect(page.getByTestId("segment-member-count")).toHaveText("3 contacts");
  const members = page.locator("#members-results tbody tr");
  await expect(members).toHaveCount(3);
  await expect(members.filter({ hasText: "lena.berg@example.com" })).toContainText("Manual by Ada Admin");

  // Contacts > See all, filtered by the segment (htmx swaps the table and keeps the URL shareable).
  await openContactsMenu(page);
  await page.getByRole("link", { name: "See all" }).click();
  const rows = page.locator("#contacts-results tbody tr");
  await expect(rows).toHaveCount(3);
  await page.getByLabel("Search").fill("hadd");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("omar.haddad@example.com");
  await expect(page).toHaveURL(/q=hadd/);
  await page.getByLabel("Search").fill("");
  await page.getByLabel("Segment", { exact: true }).selectOption({ label: "Spring buyers (3)" });
  await expect(page).toHaveURL(/segment=\d+/);
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("matching-count")).toHaveText("Select all 3 matching");
  await page.reload();
  await expect(rows).toHaveCount(3);

  // Remove one member from the segment page.
  await openContactsMenu(page);
  await page.getByRole("link", { name: "Segments" }).click();
  await page.getByRole("link", { name: "Spring buyers" }).click();
  await page.getByRole("button", { name: "Remove new.face@example.com from segment" }).click();
  await expect(page.getByRole("status")).toContainText("1 contact removed from Spring buyers.");
  await expect(page.getByTestId("segment-member-count")).toHaveText("2 contacts");

  // The history: on the segment page and on the contact page.
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Membership history" })).toBeVisible();
  const history = page.locator(".history-table tbody tr");
  await expect(history).toHaveCount(4);
  await expect(history.first()).toContainText("Removed");
  await expect(history.first()).toContainText("new.face@example.com");
  await expect(history.first()).toContainText("Manual by Ada Admin");
  await history.first().getByRole("link", { name: "new.face@example.com" }).click();
  await expect(page.getByRole("heading", { name: "new.face@example.com" })).toBeVisible();
  await expect(page.locator(".history-table tbody tr")).toHaveCount(2);
  await expect(page.getByText("Not in any segment.")).toBeVisible();

  // Deleting the segment says how many contacts it holds and keeps them.
  await page.goto("/segments");
  await page.getByRole("button", { name: "Edit Spring buyers" }).click();
  await page.getByRole("button", { name: "Delete segment" }).click();
  await expect(page.getByTestId("delete-member-count")).toHaveText("2 contacts");
  await page.getByRole("button", { name: "Delete segment" }).click();
  await expect(page.getByRole("status")).toContainText("The segment Spring buyers was deleted");
  await page.goto("/contacts");
  await expect(page.locator("#contacts-results tbody tr")).toHaveCount(3);
});

test("select every contact on a page with one checkbox and add them to a segment", async ({ page, admin }) => {
  await signIn(page, admin);
  for (const email of ["page.one@example.com", "page.two@example.com", "page.three@example.com"]) {
    await page.goto("/contacts/new");
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("status")).toContainText(`The contact ${email} was added.`);
  }
  await page.goto("/segments/new");
  await page.getByLabel("Segment Name").fill("Whole page");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Whole page" })).toBeVisible();

  await page.goto("/contacts?q=page.");
  const rows = page.locator("#contacts-results tbody tr");
  await expect(rows).toHaveCount(3);
  const all = page.getByRole("checkbox", { name: "Select every contact on this page" });
  const boxes = page.locator('#contacts-results tbody input[name="ids"]');
  await all.check();
  for (const box of await boxes.all()) await expect(box).toBeChecked();
  await boxes.first().uncheck();
  await expect(all).not.toBeChecked();
  expect(await all.evaluate((el) => (el as HTMLInputElement).indeterminate)).toBe(true);
  await boxes.first().check();
  await expect(all).toBeChecked();

  await page.getByLabel("Segment to change").selectOption({ label: "Whole page" });
  await page.getByRole("button", { name: "Add to segment" }).click();
  await expect(page.getByRole("status")).toContainText("3 contacts added to Whole page.");
});
