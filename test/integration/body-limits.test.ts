import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { BODY_LIMITS, bodyLimitFor } from "../../src/web/body-limit";
import { SECURITY_HEADERS } from "../../src/web/security-headers";
import { createTestApp, ORIGIN, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
let a: TestAccount;
before(async () => {
  t = await createTestApp();
  a = await t.createAccount();
});
after(() => t.close());

/** Every route of the app, read from Hono's router, with its parameters filled in: a new route is walked too. */
function everyRoute(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of t.app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    const path = route.path.replace(/:([a-zA-Z]+)(\{([^}]*)\})?/g, (_m, name: string, _b, pattern?: string) => {
      if (pattern?.includes("|")) return pattern.split("|")[0]!;
      if (name === "token") return "a".repeat(32);
      if (name === "email") return "walk@example.test";
      if (name === "key") return "c1";
      return "1";
    });
    seen.set(`${route.method} ${path}`, { method: route.method, path });
  }
  return [...seen.values()];
}

const withBody = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);

/** A request as a signed-in admin with an API key: authentication never stands between a body and its limit. */
function send(method: string, path: string, body: BodyInit | undefined, headers: Record<string, string> = {}) {
  return t.app.request(`${ORIGIN}${path}`, {
    method,
    body,
    headers: {
      Cookie: a.adminCookie,
      Authorization: `Bearer ${a.apiKey}`,
      Origin: ORIGIN,
      "Content-Type": path.startsWith("/api/") ? "application/json" : "application/x-www-form-urlencoded",
      ...headers,
    },
    duplex: "half",
  } as RequestInit);
}

/** A body without a declared length, `size` bytes of a form field or JSON string, produced as it is read. */
function chunked(size: number): ReadableStream<Uint8Array> {
  const piece = new Uint8Array(64 * 1024).fill(0x61);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(piece.length, size - sent);
      controller.enqueue(n === piece.length ? piece : piece.subarray(0, n));
      sent += n;
    },
  });
}

async function assertTooLarge(res: Response, route: string) {
  assert.equal(res.status, 413, route);
  if (route.includes(" /api/")) {
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "payload_too_large", route);
    assert.ok(body.error.message.length > 0, route);
  } else {
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/, route);
    assert.match(await res.text(), /larger than|too large|too much/i, route);
  }
}

function assertSecurityHeaders(res: Response, route: string) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers.get(name), value, `${route}: ${name}`);
}

describe("every route limits its body and carries the security headers", () => {
  test("the walk finds the routes (the router is read, not a list kept by hand)", () => {
    const routes = everyRoute();
    assert.ok(routes.length > 80, `${routes.length} routes`);
    for (const expected of ["POST /sign-in", "POST /api/v1/segments", "POST /api/v1/segments/1/contacts", "POST /imports", "POST /api/v1/events/batch"]) {
      assert.ok(
        routes.some((r) => `${r.method} ${r.path}` === expected),
        expected,
      );
    }
  });

  test("a declared length over the route's limit is refused before anything is read", async () => {
    for (const { method, path } of everyRoute().filter((r) => withBody(r.method))) {
      const route = `${method} ${path}`;
      const res = await send(method, path, "a=1", { "Content-Length": String(2 * 1024 ** 3) });
      await assertTooLarge(res, route);
      assertSecurityHeaders(res, route);
    }
  });

  test("a body without a declared length is refused once more than the limit was read", async () => {
    for (const { method, path } of everyRoute().filter((r) => withBody(r.method))) {
      const route = `${method} ${path}`;
      const { max } = bodyLimitFor(method, path);
      if (max > 64 * 1024 * 1024) continue; // uploads: a GB through app.request proves nothing more (imports tests cover them)
      await assertTooLarge(await send(method, path, chunked(max + 1)), route);
    }
  });

  test("every GET answers with the security headers, pages, API, static files and not-found alike", async () => {
    for (const { path } of everyRoute().filter((r) => r.method === "GET")) {
      const res = await send("GET", path, undefined);
      assertSecurityHeaders(res, `GET ${path}`);
      await res.arrayBuffer();
    }
    for (const path of ["/public/app.js", "/public/vendor/pico.min.css", "/no/such/page", "/api/v1/nothing"]) {
      const res = await send("GET", path, undefined);
      assertSecurityHeaders(res, `GET ${path}`);
      await res.arrayBuffer();
    }
  });
});

describe("limits that fit their use", () => {
  test("sign-in takes a few KB; a form 64 KB; the API 1 MB; 10,000 longest emails fit one membership call", async () => {
    assert.ok(BODY_LIMITS.credentials <= 16 * 1024);
    const signIn = await t.browser(null, "/sign-in", { form: { email: "x@example.test", password: "p".repeat(20 * 1024) } });
    await assertTooLarge(signIn, "POST /sign-in");

    const note = "n".repeat(60 * 1024);
    const fits = await t.browser(a.adminCookie, "/segments", { form: { type: "static", name: "Fits", description: note.slice(0, 1000) } });
    assert.equal(fits.status, 303, "an ordinary form goes through the limit untouched");
    await assertTooLarge(await t.browser(a.adminCookie, "/segments", { form: { type: "static", name: "Big", description: note + note } }), "POST /segments");

    const segment = await t.api(a.apiKey, "/segments", { json: { name: "Ten thousand" } });
    assert.equal(segment.status, 201);
    const { id } = (await segment.json()) as { id: number };
    // The longest an address may be: a 64-character local part and a 189-character domain.
    const domain = `${"d".repeat(63)}.${"e".repeat(63)}.${"f".repeat(56)}.test`;
    const emails = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(5, "0")}${"l".repeat(59)}@${domain}`);
    assert.equal(emails[0]!.length, 254);
    assert.ok(JSON.stringify({ emails }).length > BODY_LIMITS.api, "more than an ordinary API call takes");
    const removed = await t.api(a.apiKey, `/segments/${id}/contacts`, { method: "DELETE", json: { emails } });
    assert.equal(removed.status, 200, await removed.clone().text());
    const result = (await removed.json()) as { removed: number; not_members: number; invalid: unknown[] };
    assert.equal(result.removed + result.not_members + result.invalid.length, 10_000);

    await assertTooLarge(await t.api(a.apiKey, "/segments", { json: { name: "x", description: "d".repeat(1024 * 1024) } }), "POST /api/v1/segments");
  });

  test("over real HTTP: a chunked 20 MB form to sign-in and a declared 100 MB JSON body are refused with 413", async () => {
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const signIn = await fetch(`http://127.0.0.1:${port}/sign-in`, {
        method: "POST",
        body: chunked(20 * 1024 * 1024),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: `http://127.0.0.1:${port}` },
        duplex: "half",
      } as RequestInit);
      assert.equal(signIn.status, 413);
      assert.match(await signIn.text(), /larger than 8 KB/);
      assert.equal(signIn.headers.get("x-frame-options"), "DENY");

      const json = await fetch(`http://127.0.0.1:${port}/api/v1/segments`, {
        method: "POST",
        body: chunked(100 * 1024 * 1024),
        headers: { "Content-Type": "application/json", "Content-Length": String(100 * 1024 * 1024), Authorization: `Bearer ${a.apiKey}` },
        duplex: "half",
      } as RequestInit);
      assert.equal(json.status, 413);
      assert.equal(((await json.json()) as { error: { code: string } }).error.code, "payload_too_large");

      const ok = await fetch(`http://127.0.0.1:${port}/api/v1/segments`, {
        method: "POST",
        body: JSON.stringify({ name: "Over HTTP" }),
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${a.apiKey}` },
      });
      assert.equal(ok.status, 201, "a body within the limit reaches the route, read from Node's request");
      assert.equal(((await ok.json()) as { name: string }).name, "Over HTTP");
    } finally {
      server.close();
    }
  });
});
