// Keeping a segment in step with an outside list, in a real browser: a pasted suppression list removed from a
// segment, through its preview (who leaves, who is not in Roster) to the result and the segment's members.
import { expect, signIn, test } from "./fixtures";

test("remove a pasted list from a segment, with its preview", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/segments/new");
  await page.getByLabel("Segment Name").fill("Newsletter");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { name: "Newsletter" })).toBeVisible();
  for (const email of ["ann@example.com", "bob@example.com", "cat@example.com"]) {
    await page.getByLabel("Email of the contact to add").fill(email);
    await page.getByRole("button", { name: "Add contact" }).click();
    await expect(page.getByRole("status")).toContainText(`${email} was`);
  }

  await page.goto("/imports/new");
  await page.getByLabel("CSV text").fill("email\nBOB@example.com\nnobody@example.com\ncat@example.com\n");
  await page.getByRole("button", { name: "Continue with this text" }).click();
  await page.getByRole("radio", { name: "An existing segment" }).check();
  await page.getByLabel("Which segment").selectOption({ label: "Newsletter" });
  await page.getByRole("radio", { name: "Remove from segment" }).check();
  await page.getByRole("button", { name: "Preview import" }).click();

  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  const change = page.getByRole("region", { name: 'Remove from segment: "Newsletter"' });
  await expect(change.locator('[data-outcome="left"] td')).toHaveText("2");
  await expect(change.locator('[data-outcome="not_found"] td')).toHaveText("1");
  await expect(change.locator('[data-outcome="members"] td')).toHaveText("3 → 1");
  await change.getByText("Leaving (2)").click();
  await expect(change.getByRole("listitem").filter({ hasText: "BOB@example.com" })).toBeVisible();
  await change.getByText("Not in Roster (1)").click();
  await expect(change.getByRole("listitem").filter({ hasText: "nobody@example.com" })).toBeVisible();
  await change.getByText("Staying (not in the file) (1)").click();
  await expect(change.getByRole("listitem").filter({ hasText: "ann@example.com" })).toBeVisible();
  await page.getByRole("button", { name: "Start import" }).click();

  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();
  await expect(page.locator('[data-outcome="left"] td')).toHaveText("2");
  await expect(page.getByTestId("emails-accounted")).toContainText(
    "Every email is accounted for: 2 leaving + 0 not members + 1 not in Roster = 3. 1 member stays.",
  );
  await page.getByRole("button", { name: "Open the segment" }).click();
  await expect(page.getByRole("heading", { name: "Newsletter" })).toBeVisible();
  await page.goto(`${page.url()}/contacts`);
  await expect(page.getByRole("link", { name: "ann@example.com" })).toBeVisible();
  await expect(page.getByRole("link", { name: "bob@example.com" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "nobody@example.com" })).toHaveCount(0);
});
