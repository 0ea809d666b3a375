import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { ADDRESS_FREE_FAILURES } from "../../src/auth/rate-limit";
import { queryRows } from "../../src/db/client";
import { sessionsTable, usersTable } from "../../src/db/schema";
import { createTestApp, ORIGIN, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

function cookieFrom(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  const match = /roster_session=([^;]*)/.exec(set);
  assert.ok(match && match[1], `expected a session cookie, got: ${set}`);
  return `roster_session=${match[1]}`;
}

describe("first run and sign-in", () => {
  test("setup creates the account and its admin once, then closes", async () => {
    const first = await t.browser(null, "/");
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), "/setup");

    const bad = await t.browser(null, "/setup", { form: { accountName: "", name: "Ada", email: "not-an-email", password: "short" } });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /Enter your company&#39;s name|Enter your company's name/);
    assert.match(badHtml, /Enter a valid email address/);
    assert.match(badHtml, /value="Ada"/, "the form keeps the input");

    const res = await t.browser(null, "/setup", { form: { accountName: "Acme", name: "Ada", email: "Ada@Acme.test", password: "correct horse battery" } });
    assert.equal(res.status, 303);
    const cookie = cookieFrom(res);
    const set = res.headers.get("set-cookie")!;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Lax/i);

    const [user] = await t.db
      .select()
      .from(usersTable)
      .where(sql`lower(${usersTable.email}) = 'ada@acme.test'`);
    assert.equal(user!.role, "admin");
    assert.notEqual(user!.passwordHash, "correct horse battery");
    assert.match(user!.passwordHash, /^\$argon2id\$/);
    const sessions = await t.db.select().from(sessionsTable).where(eq(sessionsTable.userId, user!.id));
    assert.equal(sessions.length, 1);
    assert.notEqual(sessions[0]!.id, cookie.split("=")[1], "only a hash of the token is stored");

    const again = await t.browser(null, "/setup", { form: { accountName: "Evil", name: "E", email: "e@evil.test", password: "correct horse battery" } });
    assert.equal(again.status, 303);
    assert.equal(again.headers.get("location"), "/sign-in");
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from accounts`);
    assert.equal(n, 1);
  });

  test("sign in with the right password, sign out ends the session", async () => {
    const wrong = await t.browser(null, "/sign-in", { form: { email: "ada@acme.test", password: "nope nope nope" } });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /do not match/);

    const res = await t.browser(null, "/sign-in", { form: { email: "ADA@acme.test", password: "correct horse battery", next: "/admin/users" } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/admin/users");
    const cookie = cookieFrom(res);
    const page = await t.browser(cookie, "/admin/users");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Ada@Acme\.test/);

    const out = await t.browser(cookie, "/sign-out", { form: {} });
    assert.equal(out.status, 303);
    const after = await t.browser(cookie, "/admin/users");
    assert.equal(after.status, 303);
    assert.match(after.headers.get("location")!, /^\/sign-in/);
  });

  test("repeated failures for one email are slowed down, with a clear message", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.browser(null, "/sign-in", { form: { email: "target@acme.test", password: `guess ${i}` } });
      assert.equal(res.status, 401);
    }
    const blocked = await t.browser(null, "/sign-in", { form: { email: "target@acme.test", password: "guess 6" } });
    assert.equal(blocked.status, 429);
    assert.match(await blocked.text(), /Too many failed sign-ins\. Wait \d+ seconds?/);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  });

  test("behind a trusted proxy, failures are counted per client address from X-Forwarded-For, not per proxy", async () => {
    const proxied = await createTestApp({ TRUST_PROXY: "1" });
    try {
      const from = (address: string) => ({ "X-Forwarded-For": `198.51.100.77, ${address}` }); // the first entry is forged
      for (let i = 0; i < ADDRESS_FREE_FAILURES; i++) {
        const res = await proxied.browser(null, "/sign-in", { form: { email: `spray${i}@acme.test`, password: "guess" }, headers: from("203.0.113.5") });
        assert.equal(res.status, 401);
      }
      const blocked = await proxied.browser(null, "/sign-in", { form: { email: "spray-next@acme.test", password: "guess" }, headers: from("203.0.113.5") });
      assert.equal(blocked.status, 429, "failures from one address over many emails slow that address down");
      const other = await proxied.browser(null, "/sign-in", { form: { email: "someone@acme.test", password: "guess" }, headers: from("203.0.113.9") });
      assert.equal(other.status, 401, "another client behind the same proxy is not blocked");
    } finally {
      await proxied.close();
    }
  });

  test("a cross-site form post is refused", async () => {
    const res = await t.browser(null, "/sign-in", {
      form: { email: "ada@acme.test", password: "correct horse battery" },
      headers: { Origin: "https://evil.example" },
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("set-cookie"), null);
  });
});

describe("roles and accounts", () => {
  test("a viewer is refused admin pages and writes; the admin sees the buttons", async () => {
    const acct = await t.createAccount();
    const viewer = await acct.userCookie("viewer");
    const res = await t.browser(viewer, "/admin/users");
    assert.equal(res.status, 403);
    const post = await t.browser(viewer, "/admin/api-keys", { form: { name: "mine" } });
    assert.equal(post.status, 403);
    const html = await (await t.browser(viewer, "/admin/users")).text();
    assert.doesNotMatch(html, /href="\/admin\/api-keys"/, "the viewer's navigation hides admin links");
    const adminHtml = await (await t.browser(acct.adminCookie, "/admin/users")).text();
    assert.match(adminHtml, /href="\/admin\/api-keys"/);
  });

  test("deactivating a user ends their sessions; an admin cannot touch another account's user", async () => {
    const a = await t.createAccount();
    const b = await t.createAccount();
    const editorCookie = await a.userCookie("editor");
    const [editor] = await queryRows<{ id: number }>(
      t.db,
      sql`select s.user_id::int as id from sessions s where s.id is not null order by created_at desc limit 1`,
    );
    const crossRes = await t.browser(b.adminCookie, `/admin/users/${editor!.id}/deactivate`, { form: {} });
    assert.equal(crossRes.status, 404);
    assert.equal((await t.browser(editorCookie, "/account/password")).status, 200);
    const res = await t.browser(a.adminCookie, `/admin/users/${editor!.id}/deactivate`, { form: {} });
    assert.equal(res.status, 303);
    const gone = await t.browser(editorCookie, "/account/password");
    assert.equal(gone.status, 303);
  });

  test("sliding expiry: a session past half its life is extended and its cookie sent again; a fresh one is left alone", async () => {
    const a = await t.createAccount();
    const fresh = await t.browser(a.adminCookie, "/admin/users");
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get("set-cookie"), null, "nothing to send again");
    await t.db
      .update(sessionsTable)
      .set({ expiresAt: new Date(Date.now() + 24 * 3600_000) })
      .where(eq(sessionsTable.userId, a.adminId));
    const old = await t.browser(a.adminCookie, "/admin/users");
    assert.equal(old.status, 200);
    assert.match(old.headers.get("set-cookie") ?? "", /roster_session=/);
    const [row] = await t.db.select().from(sessionsTable).where(eq(sessionsTable.userId, a.adminId));
    assert.ok(row!.expiresAt.getTime() > Date.now() + 29 * 24 * 3600_000, "30 days from now again");
  });

  test("changing the password signs the user out everywhere", async () => {
    const a = await t.createAccount();
    const res = await t.browser(a.adminCookie, "/account/password", { form: { current: "correct horse battery", password: "an even better one" } });
    assert.equal(res.status, 303);
    assert.equal((await t.browser(a.adminCookie, "/admin/users")).status, 303);
  });
});

describe("API keys", () => {
  test("an admin creates a key shown once; the API accepts it until it is revoked", async () => {
    const a = await t.createAccount();
    const created = await t.browser(a.adminCookie, "/admin/api-keys", { form: { name: "Shop", scope: "full" } });
    assert.equal(created.status, 201);
    const html = await created.text();
    const key = /data-testid="new-api-key">([^<]+)</.exec(html)![1]!;
    assert.match(key, /^rk_/);
    const listing = await (await t.browser(a.adminCookie, "/admin/api-keys")).text();
    assert.ok(!listing.includes(key), "the key is not shown again");

    const none = await t.api(null, "/segments");
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, "unauthorized");
    const unknown = await t.api("rk_unknown", "/segments");
    assert.equal(unknown.status, 401);

    const ok = await t.api(key, "/nothing-here");
    assert.equal(ok.status, 404, "a valid key passes authentication");

    const [{ id }] = await queryRows<{ id: number }>(t.db, sql`select id::int from api_keys where name = 'Shop' and account_id = ${a.accountId}`);
    const revoke = await t.browser(a.adminCookie, `/admin/api-keys/${id}/revoke`, { form: {} });
    assert.equal(revoke.status, 303);
    const refused = await t.api(key, "/nothing-here");
    assert.equal(refused.status, 401);
    const body = await refused.json();
    assert.equal(body.error.code, "unauthorized");
    assert.match(body.error.message, /revoked/);
  });

  test("a send-only key is refused outside the events endpoints", async () => {
    const a = await t.createAccount();
    const res = await t.browser(a.adminCookie, "/admin/api-keys", { form: { name: "Browser", scope: "send", origins: "https://shop.example.com" } });
    const key = /data-testid="new-api-key">([^<]+)</.exec(await res.text())![1]!;
    const refused = await t.api(key, "/segments");
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).error.code, "forbidden");
  });
});

test("healthz reports the database", async () => {
  const res = await t.app.request(`${ORIGIN}/healthz`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ok");
});

describe("first-run setup race", () => {
  test("5 concurrent setups on an empty database: exactly one account, the others get the sign-in page", async () => {
    const fresh = await createTestApp();
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          fresh.browser(null, "/setup", {
            form: { accountName: `Race ${i}`, name: `Admin ${i}`, email: `admin${i}@race.test`, password: "correct horse battery" },
          }),
        ),
      );
      const [{ n }] = await queryRows<{ n: number }>(fresh.db, sql`select count(*)::int as n from accounts`);
      assert.equal(n, 1);
      const [{ users }] = await queryRows<{ users: number }>(fresh.db, sql`select count(*)::int as users from users`);
      assert.equal(users, 1);
      const signedIn = results.filter((r) => /roster_session=[^;]+/.test(r.headers.get("set-cookie") ?? ""));
      assert.equal(signedIn.length, 1, "only the winner is signed in");
      assert.equal(signedIn[0]!.headers.get("location"), "/");
      const others = results.filter((r) => r !== signedIn[0]);
      assert.deepEqual(
        others.map((r) => [r.status, r.headers.get("location")]),
        Array(4).fill([303, "/sign-in"]),
      );
    } finally {
      await fresh.close();
    }
  });
});
