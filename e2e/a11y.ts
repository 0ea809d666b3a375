// Accessibility checks for the browser tests: every document a watched page loads, and every state htmx swaps in,
// is copied (scripts removed) into a checker page of its own and run through axe-core at 1440 and 390 px wide.
import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const WIDTHS = [1440, 390] as const;

let axeCoreSource: string | null = null;
function axeSource(): string {
  axeCoreSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  return axeCoreSource;
}

export interface A11yViolation {
  url: string;
  width: number;
  rule: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

const watches = new WeakMap<Page, A11yWatch>();

/**
 * Watches a page: on each load and after each htmx swap it snapshots the DOM and queues an axe run on the copy, so
 * the test's own page is never resized or touched. `violations()` waits for the queue; the `page` fixture fails the
 * test on any, and pages made by hand (`browser.newPage`) get the same through `watchA11y(page)`.
 */
export class A11yWatch {
  private queue: Promise<void> = Promise.resolve();
  private seen = new Set<string>();
  private found: A11yViolation[] = [];
  private checker: Promise<{ context: BrowserContext; page: Page }> | null = null;
  /** Set once the test's checks are collected: a swap after that (a poll's notice during teardown) is not checked. */
  private done = false;
  checked = 0;

  private constructor(
    private page: Page,
    private browser: Browser,
  ) {}

  static async attach(page: Page): Promise<A11yWatch> {
    const existing = watches.get(page);
    if (existing) return existing;
    const watch = new A11yWatch(page, page.context().browser()!);
    watches.set(page, watch);
    page.on("load", () => void watch.snapshot());
    // htmx swaps change the page without a load: the init script (exempt from the page's CSP) reports them.
    await page.exposeBinding("__a11ySwapped", () => void watch.snapshot());
    await page.addInitScript(() => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      document.addEventListener("htmx:after:settle", () => {
        clearTimeout(timer);
        timer = setTimeout(() => (window as unknown as { __a11ySwapped: () => void }).__a11ySwapped(), 50);
      });
    });
    return watch;
  }

  /** Checks the page as it is now (a state no load or swap announced, e.g. an open menu). */
  async check(): Promise<void> {
    await this.snapshot();
    await this.queue;
  }

  private async snapshot(): Promise<void> {
    let html: string;
    let url: string;
    try {
      url = this.page.url();
      html = await this.page.content();
    } catch {
      return; // the page navigated away or closed meanwhile: its next document is snapshotted on its load
    }
    // The copy was taken while the watch was being closed: queued now, it would run on a closed checker page.
    if (this.done || !url.startsWith("http")) return;
    html = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
    // The same page with other words or numbers (a notice, a count, a poll's progress) is the same markup to axe:
    // one check per shape keeps the cost to the number of different states the tests reach.
    const shape = new URL(url).pathname + html.replace(/>[^<]*</g, "><").replace(/"[^"]*"/g, (v) => (/^"[\w\s:-]*"$/.test(v) && !/\d/.test(v) ? v : '""'));
    const key = createHash("sha1").update(shape.replace(/\d+/g, "#")).digest("hex");
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.queue = this.queue.then(() => this.analyze(url, html));
  }

  private async analyze(url: string, html: string): Promise<void> {
    this.checker ??= (async () => {
      const context = await this.browser.newContext({ viewport: { width: WIDTHS[0], height: 900 } });
      return { context, page: await context.newPage() };
    })();
    const { page } = await this.checker;
    await page.setViewportSize({ width: WIDTHS[0], height: 900 });
    // The copy loads Roster's stylesheets from the server through <base>; it runs no script but axe-core's own.
    await page.setContent(html.replace(/<head>/i, `<head><base href="${url}">`), { waitUntil: "load" });
    await page.addScriptTag({ content: axeSource() });
    // Colours are checked at rest: a transition still running (Pico's buttons fade theirs in) would be measured halfway.
    await page.addStyleTag({ content: "*, *::before, *::after { transition: none !important; animation: none !important; }" });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      // axe-core is in the page already: the builder's own injection of its 550 KB source before every run, under
      // load, cost ten times the analysis itself.
      const results = await new AxeBuilder({ page, axeSource: "void 0" })
        .setLegacyMode(true)
        .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
        .analyze();
      for (const v of results.violations) {
        this.found.push({
          url: new URL(url).pathname + new URL(url).search,
          width,
          rule: v.id,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.map((n) => n.target.join(" ") + (process.env.A11Y_DEBUG ? ` [${n.failureSummary}]` : "")),
        });
      }
    }
    this.checked++;
  }

  /** Every violation found so far, once the queued checks are done. */
  async violations(): Promise<A11yViolation[]> {
    await this.snapshot();
    this.done = true;
    await this.queue;
    return this.found;
  }

  async close(): Promise<void> {
    this.done = true;
    await this.queue.catch(() => {});
    if (this.checker) await (await this.checker).context.close();
  }
}

export function watchA11y(page: Page): Promise<A11yWatch> {
  return A11yWatch.attach(page);
}

/** Checks the page as it is now, at both widths, through its watch. */
export async function checkA11y(page: Page): Promise<void> {
  await (await A11yWatch.attach(page)).check();
}

/** One line per violation, for a failing assertion's message. */
export function describeViolations(list: A11yViolation[]): string {
  return list.map((v) => `${v.url} @${v.width}px ${v.rule} (${v.impact}): ${v.help} -> ${v.targets.slice(0, 4).join(" | ")}`).join("\n");
}
