import { createApiKeyInBrowser, expect, signIn, test } from "./fixtures";

test("screenshots", async ({ page, admin }) => {
  test.setTimeout(240_000);
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page);
  const post = async (path: string, data: unknown) => (await page.request.post(`/api/v1${path}`, { data, headers: { Authorization: `Bearer ${key}` } })).json();
  const seg = await post("/segments", { name: "Buyers 2026" });
  const names = [["Ana", "García"], ["Luis", "Martín"], ["Eva", "Ruiz"], ["Zoé", "Müller"], ["Omar", "Haddad"]];
  for (let i = 0; i < 12; i++) {
    const [f, l] = names[i % 5]!;
    await post("/contacts", { email: `${f!.toLowerCase()}.${i}@example.com`, first_name: f, last_name: l, phone: `+34 6${String(10000000 + i * 7919).padStart(8, "0")}` });
  }
  await post(`/segments/${seg.id}/contacts`, { emails: Array.from({ length: 1001 }, (_, i) => `bulk${i}@acme.es`) });
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 1000 });
    await page.goto("/contacts");
    await page.getByLabel("Search", { exact: true }).fill("example.com");
    await expect(page.getByTestId("list-range")).toHaveText(/^1–\d+ of \d+$/);
    await page.getByLabel("Select ana.0@example.com").check();
    await page.screenshot({ path: `/tmp/shot-contacts-${width}.png`, fullPage: true });
    await page.getByLabel("Search", { exact: true }).fill("@acme.es");
    await expect(page.getByTestId("list-range")).toHaveText("1–50 of 1,001");
    await page.getByLabel("Select all 1,001 matching").check();
    await page.getByLabel("Segment to change").selectOption({ label: "Buyers 2026" });
    await page.getByRole("button", { name: "Remove from segment" }).click();
    await expect(page.getByRole("alertdialog")).toBeVisible();
    await page.screenshot({ path: `/tmp/shot-confirm-${width}.png`, fullPage: false });
    await page.goto(`/segments/${seg.id}/contacts?order=email-asc&last=1`);
    await expect(page.getByTestId("list-range")).toHaveText("952–1,001 of 1,001");
    await page.screenshot({ path: `/tmp/shot-members-${width}.png`, fullPage: false });
    await page.goto("/admin/account");
    await page.screenshot({ path: `/tmp/shot-account-${width}.png` });
    await page.goto("/contacts/new");
    await page.getByLabel("Email").fill("mia@example.com");
    await page.getByLabel("Phone").fill("call me maybe");
    await page.getByRole("button", { name: "Save" }).click();
    await page.screenshot({ path: `/tmp/shot-phone-error-${width}.png` });
  }
});
