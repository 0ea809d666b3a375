import { describeViolations, watchA11y } from "./a11y";
import { createApiKeyInBrowser, expect, signIn, startServer, test } from "./fixtures";

test("first run: set up the account, sign out, sign in again", async ({ browser }) => {
  const server = await startServer();
  try {
    const page = await browser.newPage({ baseURL: server.baseURL });
    const a11y = await watchA11y(page);
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Set up Roster" })).toBeVisible();
    await page.getByLabel("Company name").fill("Acme Furniture");
    await page.getByLabel("Your name").fill("Ada Admin");
    await page.getByLabel("Email").fill("ada@acme.test");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByText("Ada Admin")).toBeVisible();

    await page.getByText("Ada Admin").click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByText("You are signed out.")).toBeVisible();

    await page.goto("/setup");
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

    await page.getByLabel("Email").fill("ada@acme.test");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("do not match");

    await signIn(page, { email: "ada@acme.test", password: "correct horse battery" });
    await expect(page.getByText("Ada Admin")).toBeVisible();
    const found = await a11y.violations();
    await a11y.close();
    expect(found, `accessibility violations (axe-core):\n${describeViolations(found)}`).toEqual([]);
  } finally {
    await server.stop();
  }
});

test("a viewer does not see admin or write buttons and is refused by the server", async ({ page, admin, request }) => {
  await signIn(page, admin);
  await page.goto("/admin/users");
  await page.getByLabel("Name").fill("Vera Viewer");
  await page.getByLabel("Email").fill("vera@acme.test");
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByLabel("Initial password").fill("viewer password 1");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status")).toContainText("vera@acme.test was added as viewer");

  const key = await createApiKeyInBrowser(page);
  expect(key).toMatch(/^rk_/);

  await page.context().clearCookies();
  await signIn(page, { email: "vera@acme.test", password: "viewer password 1" });
  await expect(page.getByRole("link", { name: "Workflows" })).toHaveCount(0);
  await expect(page.getByText("Admin", { exact: true })).toHaveCount(0);
  const res = await page.goto("/admin/users");
  expect(res!.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  void request;
});
