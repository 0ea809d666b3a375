import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
let a: TestAccount;
let email: string;
before(async () => {
  t = await createTestApp();
  a = await t.createAccount();
  [{ email }] = await queryRows<{ email: string }>(t.db, sql`select email from users where id = ${a.adminId}`);
});
after(() => t.close());

/** Destinations a browser would follow to another host; each must land on the route's own page instead. */
const HOSTILE = ["/\\evil.example", "/\t/evil.example", "/\t\\evil.example", "//evil.example", "https://evil.example/", "/%5Cevil.example", "/\n/evil.example"];

function locationOf(res: Response): string {
  assert.equal(res.status, 303);
  return res.headers.get("location")!;
}

describe("redirects after a form stay on this site", () => {
  test("sign-in's next: hostile values go to /, a path of this site is kept", async () => {
    for (const next of HOSTILE) {
      const res = await t.browser(null, "/sign-in", { form: { email, password: "correct horse battery", next } });
      assert.equal(locationOf(res), "/", JSON.stringify(next));
      const signedIn = await t.browser(a.adminCookie, `/sign-in?next=${encodeURIComponent(next)}`);
      assert.equal(locationOf(signedIn), "/", JSON.stringify(next));
    }
    const res = await t.browser(null, "/sign-in", { form: { email, password: "correct horse battery", next: "/segments?q=spring" } });
    assert.equal(locationOf(res), "/segments?q=spring");
  });

  test("back on both remove-from-segment routes: hostile values go to the route's own page", async () => {
    const seg = (await (await t.api(a.apiKey, "/segments", { json: { name: "Redirects" } })).json()) as { id: number };
    for (const [i, back] of HOSTILE.entries()) {
      await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: [`r${i}@example.test`] } });
      const [{ id }] = await queryRows<{ id: number }>(
        t.db,
        sql`select id::int as id from contacts where account_id = ${a.accountId} and email = ${`r${i}@example.test`}`,
      );

      const bulk = await t.browser(a.adminCookie, `/segments/${seg.id}/contacts/remove`, { form: { ids: String(id), back } });
      assert.match(locationOf(bulk), new RegExp(`^/segments/${seg.id}/contacts$`), JSON.stringify(back));

      await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: [`r${i}@example.test`] } });
      const one = await t.browser(a.adminCookie, `/contacts/${id}/segments/${seg.id}/remove?back=${encodeURIComponent(back)}`, { form: {} });
      assert.match(locationOf(one), new RegExp(`^/contacts/${id}$`), JSON.stringify(back));
    }
    const [{ id }] = await queryRows<{ id: number }>(t.db, sql`select id::int as id from contacts where account_id = ${a.accountId} limit 1`);
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: ["r0@example.test"] } });
    const kept = await t.browser(a.adminCookie, `/contacts/${id}/segments/${seg.id}/remove?back=${encodeURIComponent("/segments?q=x")}`, { form: {} });
    assert.equal(locationOf(kept), "/segments?q=x");
  });
});
