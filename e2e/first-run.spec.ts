// A new account's first steps: the start checklist on the contacts page, empty states that link onwards, and the
// one-time notice shown as a toast.
import { expect, signIn, test } from "./fixtures";

test("a new account sees the start checklist, creates a segment, and sees that step ticked", async ({ page, admin }) => {
  await signIn(page, admin);
  await page.goto("/");
  await expect(page).toHaveURL(/\/contacts$/);
  const checklist = page.getByRole("region", { name: "Get started with Roster" });
  await expect(checklist).toBeVisible();
  await expect(checklist.getByTestId("start-progress")).toHaveText("0 of 4 steps done");
  await expect(checklist.getByRole("link", { name: "Import contacts" })).toHaveAttribute("href", "/imports/new");
  await expect(checklist.getByRole("link", { name: "Create an API key for your shop" })).toHaveAttribute("href", "/admin/api-keys");
  await expect(page.getByText("No contacts yet.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Import a CSV file" })).toHaveAttribute("href", "/imports/new");
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: "/tmp/first-run-1440.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "/tmp/first-run-390.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.goto("/segments");
  await expect(page.getByText("No segments yet.")).toBeVisible();
  await page.goto("/contacts");
  await checklist.getByRole("link", { name: "Create a segment" }).click();
  await page.getByLabel("Segment Name").fill("First buyers");
  await page.getByRole("button", { name: "Save" }).click();

  // The notice is a toast: role=status, dismissible from the keyboard, and gone on reload.
  const toast = page.getByRole("status").filter({ hasText: "The segment First buyers was created." });
  await expect(toast).toBeVisible();
  await page.screenshot({ path: "/tmp/toast-1280.png" });
  await toast.getByRole("button", { name: "Dismiss this notice" }).focus();
  await page.keyboard.press("Escape");
  await expect(toast).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("heading", { name: /First buyers/ })).toBeVisible();
  await expect(page.getByText("The segment First buyers was created.")).toHaveCount(0);

  await page.goto("/contacts");
  await expect(checklist.getByTestId("start-progress")).toHaveText("1 of 4 steps done");
  await expect(checklist.locator('[data-step="segment"]')).toHaveClass(/done/);
  await expect(checklist.locator('[data-step="segment"]')).toContainText("(done)");
  await expect(checklist.locator('[data-step="import"]')).toContainText("(to do)");

  await checklist.getByRole("button", { name: "Hide this list" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(checklist).toHaveCount(0);
});
