// At a phone's width (390 px) every page fits: nothing scrolls sideways, neither the page nor a table inside it, and
// axe-core finds nothing at 390 or 1440 px. SCREENSHOT_DIR=/tmp/shots saves each page at both widths to look at.
import { mkdirSync } from "node:fs";
import type { Page } from "@playwright/test";
import { describeViolations, watchA11y } from "./a11y";
import { expect, signIn, startServer, test } from "./fixtures";
import { seedTour } from "./tour";

const PHONE = { width: 390, height: 844 };
const shots = process.env.SCREENSHOT_DIR;

/** Elements wider than their box that scroll sideways (a table's wrapper), and the page itself. */
async function sidewaysScrollers(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) out.push(`the page (${root.scrollWidth} px wide in ${root.clientWidth})`);
    for (const el of document.querySelectorAll<HTMLElement>("body *")) {
      const overflow = getComputedStyle(el).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && el.scrollWidth > el.clientWidth + 1) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].join(".")} (${el.scrollWidth} px wide in ${el.clientWidth})`);
      }
    }
    return out;
  });
}

async function look(page: Page, name: string) {
  await expect.soft(async () => expect(await sidewaysScrollers(page)).toEqual([]), `${name} scrolls sideways at 390 px`).toPass({ timeout: 2_000 });
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: `${shots}/${name}-1440.png`, fullPage: true });
  await page.setViewportSize(PHONE);
}

test("at 390 px every page fits the width and passes axe", async ({ browser }) => {
  test.setTimeout(600_000);
  const server = await startServer();
  const context = await browser.newContext({ baseURL: server.baseURL, viewport: PHONE });
  const page = await context.newPage();
  const a11y = await watchA11y(page);
  try {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Set up Roster" })).toBeVisible();
    await look(page, "setup");
    const admin = { name: "Ada Admin", email: "ada@acme.test", password: "correct horse battery" };
    await page.getByLabel("Company name").fill("Acme Furniture");
    await page.getByLabel("Your name").fill(admin.name);
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Contacts" })).toBeVisible();

    const pages = await seedTour(page, server.baseURL);

    await page.context().clearCookies();
    await page.goto("/sign-in");
    await look(page, "sign-in");
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
    if (shots) await page.screenshot({ path: `${shots}/skip-link-390.png` });
    await signIn(page, admin);
    // The Contacts menu opened from the keyboard, its first item focused (the ring, the menu over the page).
    await page.getByRole("banner").getByRole("group").filter({ hasText: "Contacts" }).locator("summary").focus();
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("link", { name: "See all" })).toBeFocused();
    await a11y.check();
    if (shots) await page.screenshot({ path: `${shots}/menu-open-390.png` });

    for (const { name, path } of pages) {
      const res = await page.goto(path);
      expect(res!.ok(), `${path} answered ${res!.status()}`).toBe(true);
      await look(page, name);
    }

    const found = await a11y.violations();
    expect(a11y.checked).toBeGreaterThan(pages.length);
    expect(found, `accessibility violations (axe-core):\n${describeViolations(found)}`).toEqual([]);
  } finally {
    await a11y.close();
    await context.close();
    await server.stop();
  }
});
