import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

function stepsDone(html: string): string[] {
  return [...html.matchAll(/<li class="done" data-step="([a-zA-Z]+)"/g)].map((m) => m[1]!);
}

test("the start checklist ticks each step from the data, shows to admins only, and hides on request", async () => {
  const a = await t.createAccount();
  // createAccount makes an API key for the tests; a fresh account from setup has none.
  await queryRows(t.db, sql`delete from api_keys where account_id = ${a.accountId}`);
  const page = async (cookie = a.adminCookie) => (await t.browser(cookie, "/contacts")).text();
  assert.match(await page(), /0 of 4 steps done/);
  assert.deepEqual(stepsDone(await page()), []);

  await t.browser(a.adminCookie, "/segments", { form: { name: "Buyers" } });
  assert.deepEqual(stepsDone(await page()), ["segment"]);
  await t.browser(a.adminCookie, "/admin/api-keys", { form: { name: "Shop" } });
  await t.browser(a.adminCookie, "/workflows", { form: { name: "Buying" } });
  const draft = await t.browser(a.adminCookie, "/imports", { form: { csv: "email\nx@example.test\n" } });
  assert.deepEqual(stepsDone(await page()), ["segment", "apiKey", "workflow"], "a draft import is not an import yet");
  await t.browser(a.adminCookie, `${draft.headers.get("location")}/start`, { form: {} });
  const all = await page();
  assert.deepEqual(stepsDone(all), ["segment", "import", "apiKey", "workflow"]);
  assert.match(all, /You are all set/);

  assert.doesNotMatch(await page(await a.userCookie("editor")), /start-checklist/);
  const hidden = await t.browser(a.adminCookie, "/start/hide", { form: {} });
  assert.equal(hidden.headers.get("location"), "/contacts");
  const cookie = hidden.headers.getSetCookie().find((c) => c.startsWith("roster_start_hidden=1"))!;
  assert.match(cookie, /HttpOnly/);
  assert.doesNotMatch(await page(`${a.adminCookie}; roster_start_hidden=1`), /start-checklist/);
});
