import { writeFileSync } from "node:fs";
import { createApiKeyInBrowser, expect, signIn, test } from "./fixtures";
import type { Page } from "@playwright/test";

/** A CSV file of about `mb` megabytes, made for the test. */
function bigCsv(path: string, mb: number) {
  const line = (i: number) => `person${i}@example.com,First${i},Last${i},+33 6 ${String(i).padStart(8, "0")}\n`;
  const lines: string[] = ["email,first_name,last_name,phone\n"];
  let size = lines[0]!.length;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const l = line(i);
    lines.push(l);
    size += l.length;
  }
  writeFileSync(path, lines.join(""));
}

/** Slows this page's uploads to `bytesPerSecond`, as a slow office line would (Chromium's own network throttling). */
async function throttleUploads(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

test("an upload shows bytes sent, percent and time left, can be cancelled, and lands on the new import", async ({ page, admin }, testInfo) => {
  await signIn(page, admin);
  const file = testInfo.outputPath("big.csv");
  bigCsv(file, 12);
  await throttleUploads(page, 2 * 1024 * 1024);
  await page.goto("/imports/new");
  await page.getByLabel("CSV file").setInputFiles(file);
  await page.getByRole("button", { name: "Upload and continue" }).click();
  const figures = page.locator("[data-upload-figures]");
  await expect(figures).toHaveText(/^\d+(\.\d)? (B|KB|MB) of 12\.\d MB sent · \d+% · (about \d+ s left|a few seconds left)$/);
  await expect(page.getByRole("progressbar", { name: "Upload progress" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Upload and continue" })).toBeDisabled();
  await page.getByRole("button", { name: "Cancel upload" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Upload cancelled" })).toHaveText("Upload cancelled. Nothing was sent to Roster.");
  await expect(page.getByRole("progressbar", { name: "Upload progress" })).toBeHidden();
  await expect(page).toHaveURL(/\/imports\/new$/);

  // Again, to the end: the progress shows, then the new import's mapping step.
  await page.getByRole("button", { name: "Upload and continue" }).click();
  await expect(figures).toHaveText(/MB sent · \d+%/);
  await expect(page.getByRole("heading", { name: "Map columns" })).toBeVisible({ timeout: 60_000 });
  await expect(page).toHaveURL(/\/imports\/\d+$/);
  await expect(page.getByText("big.csv")).toBeVisible();
});

test("the export summary updates by itself until Download; elsewhere in Roster a notice says the export is ready", async ({ page, admin, baseURL }) => {
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page, "Long work");
  const api = (path: string, body: unknown) => page.request.post(`${baseURL}/api/v1${path}`, { headers: { Authorization: `Bearer ${key}` }, data: body });
  const segment = await api("/segments", { name: "Buyers 2026" });
  const { id: segmentId } = (await segment.json()) as { id: number };
  const emails = Array.from({ length: 30 }, (_, i) => `buyer${i}@example.com`);
  expect((await api(`/segments/${segmentId}/contacts`, { emails })).ok()).toBe(true);

  const startExport = async () => {
    await page.goto("/exports/new");
    await page.getByLabel("Contacts").check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Choose the contacts to export").selectOption({ label: "Buyers 2026 (30 members)" });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("CSV (comma)").check();
    const started = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/exports/new"));
    await page.getByRole("button", { name: "Start export" }).click();
    expect((await started).status()).toBe(201);
  };

  // Staying on the summary: it turns into the finished export with its Download, with no reload.
  await startExport();
  await expect(page.getByRole("heading", { name: "Export started" })).toBeVisible();
  const summary = page.locator("#export-wizard");
  await expect(summary.getByRole("heading", { name: "Export ready" })).toBeVisible();
  await expect(summary.getByTestId("export-status")).toContainText("completed 30 rows");
  await expect(summary.getByRole("button", { name: "Download" })).toHaveAttribute("href", /\/exports\/[a-z0-9]{32}\/download$/);
  await expect(summary).not.toHaveAttribute("hx-trigger", /.*/);

  // Going elsewhere at once (before the summary's first refresh a second later, which would show the end there):
  // the notice comes to that page.
  await startExport();
  await page.goto("/contacts");
  const notice = page.getByRole("status").filter({ hasText: "Export of Buyers 2026 is ready" });
  await expect(notice).toHaveText(/Export of Buyers 2026 is ready: Download\s*Dismiss/);
  await expect(notice.getByRole("link", { name: "Download" })).toHaveAttribute("href", /\/exports\/[a-z0-9]{32}\/download$/);
  await notice.getByRole("button", { name: /Dismiss/ }).click();
  await expect(page.getByText("Export of Buyers 2026 is ready")).toHaveCount(0);
  // Shown once: not again on the next page.
  await page.goto("/segments");
  await expect(page.locator("#job-notices-poll")).toHaveAttribute("data-polling", "off");
  await expect(page.getByText("Export of Buyers 2026 is ready")).toHaveCount(0);
});

test("charts: the segment's size over time with its table, and an import's outcomes as one bar", async ({ page, admin, baseURL }) => {
  await signIn(page, admin);
  const key = await createApiKeyInBrowser(page, "Charts");
  const api = (path: string, body: unknown, method = "POST") =>
    page.request.fetch(`${baseURL}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${key}` }, data: body });
  const { id: segmentId } = (await (await api("/segments", { name: "Charted" })).json()) as { id: number };
  expect((await api(`/segments/${segmentId}/contacts`, { emails: ["a@example.com", "b@example.com", "c@example.com", "d@example.com"] })).ok()).toBe(true);
  expect((await api(`/segments/${segmentId}/contacts`, { emails: ["d@example.com"] }, "DELETE")).ok()).toBe(true);

  await page.goto(`/segments/${segmentId}`);
  const chart = page.locator("#size");
  await expect(chart.getByRole("heading", { name: "Size over time" })).toBeVisible();
  await expect(chart.getByTestId("size-summary")).toHaveText("Over the last 30 days (UTC): from 0 to 3 members; 4 joined, 1 left.");
  await expect(chart.getByRole("img", { name: /^Members per day over the last 30 days, from 0 to 3/ })).toBeVisible();
  await expect(chart.getByRole("img", { name: /^Joins above the line and leaves below it/ })).toBeVisible();
  await expect(chart.getByRole("table")).toBeHidden();
  await chart.getByText("The numbers, as a table").click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(chart.getByRole("row", { name: new RegExp(`^${today} 3 4 \\(api 4\\) 1 \\(api 1\\)$`) })).toBeVisible();

  await chart.getByRole("link", { name: "Month" }).click();
  await expect(page.locator("#size").getByRole("link", { name: "Month" })).toHaveAttribute("aria-current", "page");
  await expect(page.locator("#size").getByRole("img", { name: /^Members per month over the last 12 months/ })).toBeVisible();

  // An import by paste: its result leads with the bar of outcomes.
  await page.goto("/imports/new");
  await page.getByLabel("CSV text").fill("email,first_name\na@example.com,Ann\nnew@example.com,Nia\nnot-an-email,X\nnew@example.com,Nia\n");
  await page.getByRole("button", { name: "Continue with this text" }).click();
  await page.getByRole("button", { name: "Preview import" }).click();
  await page.getByRole("button", { name: "Start import" }).click();
  await expect(page.getByRole("heading", { name: /Imported/ })).toBeVisible();
  await expect(page.getByRole("img", { name: "Rows of the file by outcome: created 1, updated 0, unchanged 1, invalid 1, duplicates 1." })).toBeVisible();
});
