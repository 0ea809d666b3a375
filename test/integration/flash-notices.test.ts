import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { FLASH_COOKIE } from "../../src/web/flash";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
let a: TestAccount;
let server: ReturnType<typeof serve>;
let base: string;

before(async () => {
  t = await createTestApp();
  a = await t.createAccount();
  server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await t.close();
});

/** A browser's cookie handling, enough for these tests: keeps what Set-Cookie sends, drops what it expires. */
class Browser {
  cookies = new Map<string, string>();
  constructor(cookie: string) {
    const [name, value] = cookie.split("=");
    this.cookies.set(name!, value!);
  }
  async request(path: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { Cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      headers.Origin = base;
    }
    const res = await fetch(`${base}${path}`, { method: init.form ? "POST" : "GET", headers, body, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (/max-age=0\b/i.test(line) || value === "") this.cookies.delete(name!);
      else this.cookies.set(name!, value!);
    }
    return res;
  }
}

function flashCookieOf(res: Response): string | undefined {
  return res.headers.getSetCookie().find((line) => line.startsWith(`${FLASH_COOKIE}=`));
}

/** The toasts the page renders, as their text. */
function toastsOf(html: string): string[] {
  return [...html.matchAll(/<div class="notice toast[^"]*" role="status"[^>]*><p>(.*?)<\/p>/gs)].map((m) => m[1]!);
}

describe("flash notices", () => {
  test("a redirect sets the flash, the next page shows it once, a reload does not", async () => {
    const browser = new Browser(a.adminCookie);
    const created = await browser.request("/segments", { form: { name: "Flash <b>sale</b>" } });
    assert.equal(created.status, 303);
    const location = created.headers.get("location")!;
    assert.match(location, /^\/segments\/\d+\/contacts$/, "no text in the URL");
    const cookie = flashCookieOf(created);
    assert.ok(cookie, "the redirect sets the flash cookie");
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.match(cookie, /Max-Age=60\b/i);
    assert.match(cookie, /Path=\//i);
    assert.match(cookie.split(";")[0]!, new RegExp(`^${FLASH_COOKIE}=[a-z2-7]{32}$`), "the cookie carries a token, not the text");

    const first = await browser.request(location);
    assert.equal(first.status, 200);
    const html = await first.text();
    assert.deepEqual(toastsOf(html), ["The segment Flash &lt;b&gt;sale&lt;/b&gt; was created. Add contacts to it below."]);
    assert.match(flashCookieOf(first) ?? "", /Max-Age=0/i, "the page that shows it clears the cookie");

    const reload = await browser.request(location);
    assert.deepEqual(toastsOf(await reload.text()), []);
  });

  test("the same flash cookie sent again (a second tab, a replay) shows nothing", async () => {
    const browser = new Browser(a.adminCookie);
    const created = await browser.request("/segments", { form: { name: "Replayed" } });
    const token = browser.cookies.get(FLASH_COOKIE)!;
    const location = created.headers.get("location")!;
    assert.equal(toastsOf(await (await browser.request(location)).text()).length, 1);
    browser.cookies.set(FLASH_COOKIE, token);
    assert.deepEqual(toastsOf(await (await browser.request(location)).text()), []);
  });

  test("an expired flash and a made-up token show nothing", async () => {
    const browser = new Browser(a.adminCookie);
    const created = await browser.request("/segments", { form: { name: "Expired" } });
    await queryRows(t.db, sql`update flash_notices set expires_at = now() - interval '1 second'`);
    assert.deepEqual(toastsOf(await (await browser.request(created.headers.get("location")!)).text()), []);
    browser.cookies.set(FLASH_COOKIE, "abcdefghijklmnopqrstuvwxyz234567");
    assert.deepEqual(toastsOf(await (await browser.request("/segments")).text()), []);
  });

  test("?notice= in a URL shows nothing on any page", async () => {
    const seg = (await (await t.api(a.apiKey, "/segments", { json: { name: "Notice target" } })).json()) as { id: number };
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: ["notice@example.test"] } });
    const [{ id: contactId }] = await queryRows<{ id: number }>(
      t.db,
      sql`select id::int as id from contacts where account_id = ${a.accountId} and email = 'notice@example.test'`,
    );
    const browser = new Browser(a.adminCookie);
    const wf = await browser.request("/workflows", { form: { name: "Notice workflow" } });
    const workflowPath = wf.headers.get("location")!.replace(/#.*/, "");
    const pages = [
      "/contacts",
      `/contacts/${contactId}`,
      "/segments",
      `/segments/${seg.id}`,
      `/segments/${seg.id}/contacts`,
      "/workflows",
      workflowPath,
      "/exports",
      "/admin/users",
      "/admin/custom-fields",
      "/imports",
    ];
    for (const text of ["<script>alert(1)</script>", "Your account is suspended: call +1 555 0100", "Saved."]) {
      for (const path of pages) {
        const res = await browser.request(`${path}${path.includes("?") ? "&" : "?"}notice=${encodeURIComponent(text)}`);
        assert.equal(res.status, 200, path);
        const html = await res.text();
        assert.deepEqual(toastsOf(html), [], path);
        assert.ok(!html.includes("alert(1)") && !html.includes("suspended"), `${path} shows the URL's text`);
      }
      const signIn = await fetch(`${base}/sign-in?notice=${encodeURIComponent(text)}`);
      assert.deepEqual(toastsOf(await signIn.text()), [], "/sign-in");
    }
  });

  test("signing out shows its notice once on the sign-in page, with no flag in the URL", async () => {
    const browser = new Browser(await a.userCookie("viewer"));
    const out = await browser.request("/sign-out", { form: {} });
    assert.equal(out.headers.get("location"), "/sign-in");
    assert.deepEqual(toastsOf(await (await browser.request("/sign-in")).text()), ["You are signed out."]);
    assert.deepEqual(toastsOf(await (await browser.request("/sign-in")).text()), []);
  });

  test("an htmx cancel gets its notice as a toast beside the list, and leaves no flash behind", async () => {
    const seg = (await (await t.api(a.apiKey, "/segments", { json: { name: "Exported" } })).json()) as { id: number };
    const exp = (await (await t.api(a.apiKey, "/exports", { json: { segment_id: seg.id, fields: ["email"], format: "csv" } })).json()) as { id: number };
    const browser = new Browser(a.adminCookie);
    const res = await browser.request(`/exports/${exp.id}/cancel`, { form: {}, headers: { "HX-Request": "true" } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<hx-partial hx-target="#toasts" hx-swap="beforeend">/);
    assert.deepEqual(toastsOf(html), ["The export was cancelled."]);
    assert.equal(flashCookieOf(res), undefined);
    const plain = await browser.request(`/exports/${exp.id}/cancel`, { form: {} });
    assert.equal(plain.headers.get("location"), "/exports");
    assert.deepEqual(toastsOf(await (await browser.request("/exports")).text()), ["That export had already ended."]);
  });

  test("expired rows are purged by maintenance", async () => {
    const { runMaintenance } = await import("../../src/jobs/maintenance");
    const browser = new Browser(a.adminCookie);
    await browser.request("/segments", { form: { name: "Never followed" } });
    const count = async () => Number((await queryRows<{ n: string }>(t.db, sql`select count(*) as n from flash_notices`))[0]!.n);
    assert.ok((await count()) > 0);
    await runMaintenance(t.db, new Date(Date.now() + 5 * 60_000));
    assert.equal(await count(), 0);
  });
});
