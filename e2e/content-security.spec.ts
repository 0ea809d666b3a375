// Under the Content-Security-Policy: behaviour that used inline handlers works from public/app.js, and htmx swaps.
import { expect, signIn, test } from "./fixtures";

test("deleting a custom field asks first: dismissed keeps it, accepted deletes it", async ({ page, admin }) => {
  await signIn(page, admin);
  const response = await page.goto("/admin/custom-fields");
  expect(response!.headers()["content-security-policy"]).toContain("script-src 'self'");
  await page.getByLabel("Label").fill("Shoe size");
  await page.getByRole("button", { name: "Add field" }).click();
  const row = page.getByRole("row", { name: /Shoe size/ });
  await expect(row).toBeVisible();

  page.once("dialog", (dialog) => {
    expect(dialog.message()).toContain("Delete the field Shoe size?");
    void dialog.dismiss();
  });
  await page.getByRole("button", { name: "Delete Shoe size" }).click();
  await expect(row).toBeVisible();

  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Delete Shoe size" }).click();
  await expect(page.getByRole("row", { name: /Shoe size/ })).toHaveCount(0);
});
