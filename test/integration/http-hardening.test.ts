import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
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
      app.browser(null, "/sign-in", { form: { email: await emailOf(app, account), password: "correct horse battery" }, headers: { "X-Forwarded-Proto": "https" } });

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
