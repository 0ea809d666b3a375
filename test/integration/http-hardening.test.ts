import assert from "node:assert/strict";
import { after, before, describe, mock, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
let a: TestAccount;
before(async () => {
  t = await createTestApp();
  a = await t.createAccount();
});
after(() => t.close());

async function emailOf(app: TestApp, account: TestAccount): Promise<string> {
  const [{ email }] = await queryRows<{ email: string }>(app.db, sql`select email from users where id = ${account.adminId}`);
  return email;
}

describe("https as the proxy reports it", () => {
  test("X-Forwarded-Proto makes the session cookie Secure only when TRUST_PROXY says a proxy sets it", async () => {
    const signIn = async (app: TestApp, account: TestAccount) =>
      app.browser(null, "/sign-in", {
        form: { email: await emailOf(app, account), password: "correct horse battery" },
        headers: { "X-Forwarded-Proto": "https" },
      });

    const direct = await signIn(t, a);
    assert.equal(direct.status, 303);
    assert.match(direct.headers.get("set-cookie")!, /roster_session=/);
    assert.doesNotMatch(direct.headers.get("set-cookie")!, /Secure/i, "without a trusted proxy, any client could send the header");

    const proxied = await createTestApp({ TRUST_PROXY: "1" });
    try {
      const res = await signIn(proxied, await proxied.createAccount());
      assert.equal(res.status, 303);
      assert.match(res.headers.get("set-cookie")!, /roster_session=[^;]+;.*Secure/i);
    } finally {
      await proxied.close();
    }
  });
});

describe("security headers and compression", () => {
  test("pages carry a CSP without inline script, framing and sniffing refused; HSTS only over https", async () => {
    const res = await t.browser(a.adminCookie, "/contacts", { headers: { "X-Forwarded-Proto": "https" } });
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy")!;
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "same-origin");
    assert.equal(res.headers.get("strict-transport-security"), null, "http, and no trusted proxy to say otherwise");

    const proxied = await createTestApp({ TRUST_PROXY: "1" });
    try {
      const overHttps = await proxied.browser(null, "/sign-in", { headers: { "X-Forwarded-Proto": "https" } });
      assert.match(overHttps.headers.get("strict-transport-security") ?? "", /^max-age=\d+/);
      const overHttp = await proxied.browser(null, "/sign-in", { headers: { "X-Forwarded-Proto": "http" } });
      assert.equal(overHttp.headers.get("strict-transport-security"), null);
    } finally {
      await proxied.close();
    }
  });

  test("the pages that had inline handlers now mark their forms for public/app.js instead", async () => {
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Shoe size", key: "shoe_size", type: "number" } });
    const fields = await (await t.browser(a.adminCookie, "/admin/custom-fields")).text();
    assert.match(fields, /data-confirm="Delete the field Shoe size\?/);
    assert.doesNotMatch(fields, /\son[a-z]+=/i);
    const app = await (await t.browser(null, "/public/app.js")).text();
    assert.match(app, /dataset\.confirm/);
    assert.match(app, /dataset\.focusChecks/);
  });

  test("HTML, CSS and JS are gzipped for clients that accept it; JSON and downloads are not", async () => {
    const page = await t.browser(a.adminCookie, "/contacts", { headers: { "Accept-Encoding": "gzip, deflate, br" } });
    assert.equal(page.headers.get("content-encoding"), "gzip");
    assert.match(page.headers.get("vary") ?? "", /Accept-Encoding/i);
    assert.match(gunzipSync(Buffer.from(await page.arrayBuffer())).toString("utf8"), /<!DOCTYPE html>[\s\S]*Contacts/);
    const plain = await t.browser(a.adminCookie, "/contacts");
    assert.equal(plain.headers.get("content-encoding"), null);

    for (const asset of ["/public/app.css", "/public/app.js", "/public/vendor/htmx.min.js"]) {
      const res = await t.browser(null, asset, { headers: { "Accept-Encoding": "gzip" } });
      assert.equal(res.status, 200, asset);
      assert.equal(res.headers.get("content-encoding"), "gzip", asset);
      assert.ok(gunzipSync(Buffer.from(await res.arrayBuffer())).length > 1000, asset);
    }

    const json = await t.api(a.apiKey, "/segments", { headers: { "Accept-Encoding": "gzip" } });
    assert.equal(json.headers.get("content-encoding"), null);

    await t.api(a.apiKey, "/contacts", { json: { email: "zip@example.test" } });
    const created = await t.api(a.apiKey, "/exports", { json: { segment_id: null, fields: ["email"], format: "csv" } });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: number };
    await t.runJobs();
    const { download_url } = (await (await t.api(a.apiKey, `/exports/${id}`)).json()) as { download_url: string };
    const file = await t.app.request(`http://localhost${download_url}`, { headers: { Authorization: `Bearer ${a.apiKey}`, "Accept-Encoding": "gzip" } });
    assert.equal(file.status, 200);
    assert.equal(file.headers.get("content-encoding"), null);
    const body = Buffer.from(await file.arrayBuffer());
    assert.equal(Number(file.headers.get("content-length")), body.length);
    assert.match(body.toString("utf8"), /zip@example\.test/);
  });
});

describe("the error log", () => {
  test("a failed query is logged with its statement and SQLSTATE, not the personal data it was sent with", async () => {
    await t.db.execute(sql`alter table contacts add constraint no_secret check (email not like '%secret%')`);
    const logged = mock.method(console, "error", () => {});
    try {
      const res = await t.api(a.apiKey, "/contacts", { json: { email: "ada.secret@example.test", first_name: "Adelheid" } });
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { error: { code: "internal", message: "Something went wrong on our side." } });
    } finally {
      logged.mock.restore();
      await t.db.execute(sql`alter table contacts drop constraint no_secret`);
    }
    const lines = logged.mock.calls
      .map((call) => call.arguments.map((arg) => (arg instanceof Error ? `${arg.stack} ${JSON.stringify(arg)}` : String(arg))).join(" "))
      .join("\n");
    assert.match(lines, /POST \/api\/v1\/contacts failed/);
    assert.match(lines, /insert into "?contacts"?/i, "the statement is logged");
    assert.match(lines, /23514/, "with its SQLSTATE");
    assert.doesNotMatch(lines, /ada\.secret|Adelheid/, "never the values");
  });
});

describe("favicon", () => {
  test("every page links the SVG favicon, which is served, and /favicon.ico leads to it", async () => {
    for (const [cookie, path] of [
      [null, "/sign-in"],
      [a.adminCookie, "/contacts"],
      [a.adminCookie, "/no-such-page"],
    ] as const) {
      const html = await (await t.browser(cookie, path)).text();
      assert.match(html, /<link rel="icon" href="\/public\/favicon.svg" type="image\/svg\+xml"\/?>/, path);
    }
    const icon = await t.browser(null, "/public/favicon.svg");
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get("content-type")!, /^image\/svg\+xml/);
    assert.match(await icon.text(), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const legacy = await t.browser(null, "/favicon.ico");
    assert.equal(legacy.status, 301);
    assert.equal(legacy.headers.get("location"), "/public/favicon.svg");
  });
});
