// New passwords must not be blank or one of the most common ones; each refusal says why beside the field.
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

test("setup, adding a user and changing a password refuse eight spaces and common passwords", async () => {
  const setup = (password: string) => t.browser(null, "/setup", { form: { accountName: "Acme", name: "Ada", email: "ada@acme.test", password } });
  const blank = await setup("        ");
  assert.equal(blank.status, 422);
  assert.match(await blank.text(), /id="f-password-error">Use letters, digits or symbols, not only spaces\./);
  for (const common of ["password123", "Qwerty123", "iloveyou1"]) {
    const res = await setup(common);
    assert.equal(res.status, 422, common);
    assert.match(await res.text(), /id="f-password-error">This is one of the most common passwords/);
  }
  const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from accounts`);
  assert.equal(n, 0);
  assert.equal((await setup("a long and unusual phrase")).status, 303);

  const account = await t.createAccount();
  const add = await t.browser(account.adminCookie, "/admin/users", { form: { name: "Ed", email: "ed@acme.test", password: "12345678", role: "editor" } });
  assert.equal(add.status, 422);
  assert.match(await add.text(), /most common passwords/);
  const change = await t.browser(account.adminCookie, "/account/password", { form: { current: "correct horse battery", password: "        " } });
  assert.equal(change.status, 422);
  assert.match(await change.text(), /not only spaces/);
});
