// Keyboard only, no mouse: Tab, Shift+Tab, Enter, Space, arrows and typing create a segment, import pasted CSV into
// it and export it. Every control passed on the way shows the focus ring; the header menus open and close by key.
import { readFileSync } from "node:fs";
import type { Locator, Page } from "@playwright/test";
import { expect, signIn, test } from "./fixtures";

/** The focus ring public/app.css draws: a 3 px solid outline in --focus-ring. */
const RING = { style: "solid", width: "3px", color: "rgb(29, 78, 216)" };

/**
 * Presses Tab until `target` has the focus (none if it has it already), as a keyboard user would, and checks the focus ring on every control
 * it passes. Fails if the target is not reached within `limit` presses.
 */
async function tabTo(page: Page, target: Locator, limit = 40) {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      return { what: el.outerHTML.slice(0, 120), style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor };
    });
    if (ring) expect({ style: ring.style, width: ring.width, color: ring.color }, `focus ring on ${ring.what}`).toEqual(RING);
  }
  if (await target.evaluate((el) => el === document.activeElement)) return;
  throw new Error(`Tab did not reach ${target} within ${limit} presses`);
}

test("keyboard only: create a segment, import pasted CSV into it, export it", async ({ page, admin }) => {
  test.slow();
  await signIn(page, admin);

  // The first Tab lands on "Skip to content", which moves the focus past the header.
  await page.goto("/contacts");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.locator("main")).toBeFocused();

  // The Contacts menu: ArrowDown opens it on its first item, Escape closes it and gives the focus back.
  const contactsMenu = page.locator("header details", { has: page.locator("summary", { hasText: "Contacts" }) });
  const contactsButton = contactsMenu.locator("summary");
  await page.goto("/contacts");
  await tabTo(page, contactsButton);
  await page.keyboard.press("ArrowDown");
  await expect(contactsMenu).toHaveAttribute("open", "");
  await expect(page.getByRole("link", { name: "See all" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("link", { name: "Segments" })).toBeFocused();
  await page.keyboard.press("End");
  await expect(page.getByRole("link", { name: "Export", exact: true })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("link", { name: "See all" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(contactsMenu).not.toHaveAttribute("open", "");
  await expect(contactsButton).toBeFocused();
  // Enter on the button opens it as well; ArrowUp goes round to the last item.
  await page.keyboard.press("Enter");
  await expect(contactsMenu).toHaveAttribute("open", "");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("link", { name: "Segments" })).toBeFocused();
  await page.keyboard.press("Enter");

  // Create a segment.
  await expect(page.getByRole("heading", { name: "Segments" })).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Create new segment" }));
  await page.keyboard.press("Enter");
  await tabTo(page, page.getByLabel("Segment Name"));
  await page.keyboard.type("Keyboard buyers");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Description")).toBeFocused();
  await page.keyboard.type("Made without a mouse");
  await tabTo(page, page.getByRole("button", { name: "Save" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Keyboard buyers" })).toBeVisible();

  // Import pasted CSV into it: the segment is chosen with the arrow keys in the radio group.
  await page.goto("/imports/new");
  await tabTo(page, page.getByLabel("CSV text"));
  await page.keyboard.type("email,first_name\nkim@example.com,Kim\nlou@example.com,Lou\n");
  await expect(page.getByTestId("paste-preview")).toContainText("2 columns, separated by comma");
  await tabTo(page, page.getByRole("button", { name: "Continue with this text" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Map columns" })).toBeVisible();
  await tabTo(page, page.getByRole("switch", { name: "Overwrite existing" }));
  await page.keyboard.press("Space");
  await expect(page.getByRole("switch", { name: "Overwrite existing" })).toBeChecked();
  await tabTo(page, page.getByRole("radio", { name: "None" }));
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("radio", { name: "An existing segment" })).toBeChecked();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Which segment")).toBeFocused();
  await expect(page.getByLabel("Which segment").locator("option:checked")).toHaveText("Keyboard buyers");
  await tabTo(page, page.getByRole("button", { name: "Preview import" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible();
  await expect(page.locator('[data-outcome="created"] td')).toHaveText("2");
  await tabTo(page, page.getByRole("button", { name: "Start import" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Imported" })).toBeVisible();
  await expect(page.locator('[data-outcome="joined"] td')).toHaveText("2");

  // Export it: the wizard's steps swap in place, and the focus follows into each new step.
  await page.goto("/exports/new");
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");
  const segment = page.getByLabel("Choose the contacts to export");
  await expect(segment).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(segment.locator("option:checked")).toHaveText("Keyboard buyers (2 members)");
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Properties" })).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Select none" }));
  await page.keyboard.press("Enter");
  await expect(page.getByLabel("Email", { exact: true })).not.toBeChecked();
  await tabTo(page, page.getByLabel("Email", { exact: true }));
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("First Name")).toBeFocused();
  await page.keyboard.press("Space");
  await tabTo(page, page.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Output format" })).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Start export" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Export started" })).toBeVisible();
  await expect(page.locator("#export-wizard")).toContainText("Email, First Name");
  await tabTo(page, page.getByRole("button", { name: "Go to export list" }));
  await page.keyboard.press("Enter");

  const row = page.locator("tr", { hasText: "Keyboard buyers" }).first();
  await expect(row.locator(".badge")).toHaveText("completed");
  const download = row.getByRole("button", { name: "Download" });
  await tabTo(page, download);
  const downloading = page.waitForEvent("download");
  await page.keyboard.press("Enter");
  const file = readFileSync((await (await downloading).path())!, "utf8");
  expect(file.trimEnd().split("\r\n").sort()).toEqual(["Email,First Name", "kim@example.com,Kim", "lou@example.com,Lou"]);
});
