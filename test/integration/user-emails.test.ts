// Adding a user never tells an admin whether another account has that email; a duplicate in the same account is named.
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

test("an email of another account's user is refused with a message that does not say it exists", async () => {
  const mine = await t.createAccount();
  const other = await t.createAccount();
  const [{ email: theirs }] = await queryRows<{ email: string }>(t.db, sql`select email from users where id = ${other.adminId}`);
  const add = (email: string) =>
    t.browser(mine.adminCookie, "/admin/users", { form: { name: "New", email, password: "a long enough passphrase", role: "editor" } });

  const probe = await add(theirs!.toUpperCase());
  assert.equal(probe.status, 422);
  const html = await probe.text();
  assert.match(html, /cannot be added\. Use another email address\./);
  assert.doesNotMatch(html, /already|exists/i);

  assert.equal((await add("colleague@mine.test")).status, 303);
  const again = await add("Colleague@mine.test");
  assert.equal(again.status, 422);
  assert.match(await again.text(), /Colleague@mine\.test is already a user of this account\./);
  const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from users where account_id = ${mine.accountId}`);
  assert.equal(n, 2);
});
