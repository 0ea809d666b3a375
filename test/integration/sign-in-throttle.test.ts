// The sign-in throttle counts attempts atomically, per email and address, so it can neither be outrun by parallel
// requests nor turned against a user from elsewhere; wrong current passwords are throttled the same way.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FREE_FAILURES } from "../../src/auth/rate-limit";
import { createAccountWithAdmin } from "../../src/auth/accounts";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
const PASSWORD = "correct horse battery";
before(async () => {
  t = await createTestApp({ TRUST_PROXY: "1" });
  await createAccountWithAdmin(t.db, "Acme", { name: "Vic", email: "victim@acme.test", password: PASSWORD });
});
after(() => t.close());

const from = (address: string) => ({ "X-Forwarded-For": address });
const signIn = (email: string, password: string, address: string) => t.browser(null, "/sign-in", { form: { email, password }, headers: from(address) });

describe("sign-in throttle", () => {
  test("40 parallel wrong passwords for one email from one address: at most 5 are checked, the rest wait", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn("victim@acme.test", `wrong ${i}`, "203.0.113.10")));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, FREE_FAILURES, `checked: ${statuses.join(",")}`);
    assert.equal(statuses.filter((s) => s === 429).length, 40 - FREE_FAILURES);
    assert.equal((await signIn("victim@acme.test", PASSWORD, "203.0.113.10")).status, 429, "the right password waits too, from that address");
    const elsewhere = await signIn("victim@acme.test", PASSWORD, "198.51.100.20");
    assert.equal(elsewhere.status, 303, "the user signs in from another address");
    assert.match(elsewhere.headers.get("set-cookie") ?? "", /roster_session=/);
  });

  test("failures from one address do not lock the account for another; a success clears that address's count", async () => {
    await createAccountWithAdmin(t.db, "Beta", { name: "Bo", email: "bo@beta.test", password: PASSWORD });
    for (let i = 0; i < FREE_FAILURES; i++) assert.equal((await signIn("bo@beta.test", "guess", "203.0.113.50")).status, 401);
    assert.equal((await signIn("bo@beta.test", "guess", "203.0.113.50")).status, 429);
    for (let i = 0; i < FREE_FAILURES - 1; i++) assert.equal((await signIn("bo@beta.test", "typo", "198.51.100.60")).status, 401);
    assert.equal((await signIn("bo@beta.test", PASSWORD, "198.51.100.60")).status, 303);
    for (let i = 0; i < FREE_FAILURES - 1; i++) assert.equal((await signIn("bo@beta.test", "typo", "198.51.100.60")).status, 401, "the count started again");
  });
});

describe("wrong current passwords", () => {
  test("are throttled like sign-ins: after 5, even the right one waits", async () => {
    const account = await t.createAccount();
    const change = (current: string) =>
      t.browser(account.adminCookie, "/account/password", { form: { current, password: "a new long passphrase" }, headers: from("203.0.113.70") });
    for (let i = 0; i < FREE_FAILURES; i++) {
      const res = await change(`wrong ${i}`);
      assert.equal(res.status, 422);
      assert.match(await res.text(), /That is not your current password/);
    }
    const blocked = await change(PASSWORD);
    assert.equal(blocked.status, 429);
    assert.match(await blocked.text(), /Too many failed tries\. Wait \d+ seconds?/);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    const page = await t.browser(account.adminCookie, "/contacts");
    assert.equal(page.status, 200, "the password was not changed: the session still works");
  });
});
