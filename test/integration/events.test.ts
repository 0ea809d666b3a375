import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { createApiKey } from "../../src/auth/api-keys";
import { queryRows } from "../../src/db/client";
import { listRecentEvents } from "../../src/events/queries";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { eventId } from "./workflows-helpers";

let t: TestApp;
let acct: TestAccount;
before(async () => {
  t = await createTestApp();
  acct = await t.createAccount();
});
after(() => t.close());

async function eventCount(accountId: number, externalId?: string) {
  const [row] = await queryRows<{ n: number }>(
    t.db,
    externalId
      ? sql`select count(*)::int as n from events where account_id = ${accountId} and external_id = ${externalId}`
      : sql`select count(*)::int as n from events where account_id = ${accountId}`,
  );
  return Number(row!.n);
}

describe("POST /api/v1/events", () => {
  test("stores the event, creates the unknown contact, and a repeated id changes nothing", async () => {
    const id = eventId();
    const body = { id, type: "product_search", email: "New.Person@Example.com", contact: { first_name: "Nora", city: "Lyon" }, properties: { query: "desk" } };
    const res = await t.api(acct.apiKey, "/events", { json: body });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { id, status: "accepted" });
    const [contact] = await queryRows<{ id: number; first_name: string; custom: unknown }>(
      t.db,
      sql`select id::int, first_name, custom from contacts where account_id = ${acct.accountId} and lower(email) = 'new.person@example.com'`,
    );
    assert.equal(contact!.first_name, "Nora");
    assert.deepEqual(typeof contact!.custom === "string" ? JSON.parse(contact!.custom) : contact!.custom, { city: "Lyon" });

    const again = await t.api(acct.apiKey, "/events", { json: { ...body, properties: { query: "chair" } } });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { id, status: "duplicate" });
    assert.equal(await eventCount(acct.accountId, id), 1);

    const recent = await listRecentEvents(t.db, acct.accountId, contact!.id, 10);
    assert.equal(recent.length, 1);
    assert.equal(recent[0]!.type, "product_search");
    assert.deepEqual(recent[0]!.properties, { query: "desk" }, "the first copy is the one kept");
  });

  test("contact fields sent with an event overwrite stored ones, absent ones never blank them", async () => {
    await t.api(acct.apiKey, "/events", {
      json: {
        id: eventId(),
        type: "page_view",
        email: "ow@example.com",
        contact: { first_name: "Old", last_name: "Name", phone: "+1 212 555 0100" },
        properties: { url: "https://shop.example/" },
      },
    });
    await t.api(acct.apiKey, "/events", {
      json: { id: eventId(), type: "page_view", email: "OW@example.com", contact: { first_name: "New" }, properties: { url: "https://shop.example/a" } },
    });
    const [c] = await queryRows<{ first_name: string; last_name: string; phone: string }>(
      t.db,
      sql`select first_name, last_name, phone from contacts where account_id = ${acct.accountId} and lower(email) = 'ow@example.com'`,
    );
    assert.deepEqual({ ...c }, { first_name: "New", last_name: "Name", phone: "+12125550100" });
  });

  test("a bad event gets 422 naming every problem with its path, and nothing is stored", async () => {
    const before = await eventCount(acct.accountId);
    const res = await t.api(acct.apiKey, "/events", { json: { type: "purchase", email: "nope", properties: { total: -5, currency: "euro" } } });
    assert.equal(res.status, 422);
    const body = await res.json();
    assert.deepEqual([body.error.code, body.error.former_code], ["validation_failed", "invalid_event"]);
    const paths = body.error.details.map((d: { path: string }) => d.path).sort();
    assert.deepEqual(paths, ["email", "id", "properties.currency", "properties.order_id", "properties.total"]);
    assert.equal(await eventCount(acct.accountId), before);
  });

  test("invalid JSON is 400; a body over 1 MB is 413", async () => {
    const bad = await t.api(acct.apiKey, "/events", { body: "{not json", headers: { "Content-Type": "application/json" } });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "invalid_json");
    const big = JSON.stringify({ events: [{ id: "x", type: "note", email: "a@example.com", properties: { pad: "x".repeat(1024 * 1024) } }] });
    const res = await t.api(acct.apiKey, "/events/batch", { body: big, headers: { "Content-Type": "application/json" } });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "payload_too_large");
  });

  test("over real HTTP, the body is read from Node's request: an event is stored, a chunked body over 1 MB is 413", async () => {
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const post = (body: BodyInit, headers: Record<string, string> = {}) =>
        fetch(`http://127.0.0.1:${port}/api/v1/events`, {
          method: "POST",
          body,
          headers: { Authorization: `Bearer ${acct.apiKey}`, "Content-Type": "application/json", ...headers },
          duplex: "half",
        } as RequestInit);
      const id = eventId("http");
      const ok = await post(JSON.stringify({ id, type: "page_view", email: "http@example.com", properties: { url: "https://shop.example/" } }));
      assert.equal(ok.status, 202);
      assert.deepEqual(await ok.json(), { id, status: "accepted" });
      // A stream has no declared length: the limit is enforced while reading.
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 20) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const big = await post(stream);
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error.code, "payload_too_large");
    } finally {
      server.close();
    }
  });
});

describe("POST /api/v1/events/batch", () => {
  test("accepts the good events, reports each one, and treats repeated ids as duplicates", async () => {
    const a = eventId("b");
    const b = eventId("b");
    const res = await t.api(acct.apiKey, "/events/batch", {
      json: {
        events: [
          { id: a, type: "form_submit", email: "b1@example.com", properties: { form: "newsletter" } },
          { id: b, type: "purchase", email: "b2@example.com", properties: { total: 12 } },
          { id: eventId("b"), type: "trial.started", email: "b3@example.com" },
          { id: a, type: "form_submit", email: "b1@example.com", properties: { form: "newsletter" } },
        ],
      },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.accepted, 2);
    assert.equal(body.rejected, 1);
    assert.equal(body.duplicates, 1);
    assert.deepEqual(
      body.results.map((r: { status: string }) => r.status),
      ["accepted", "rejected", "accepted", "duplicate"],
    );
    assert.equal(body.results[1].id, b);
    assert.deepEqual(body.results[1].details.map((d: { path: string }) => d.path).sort(), ["events[1].properties.currency", "events[1].properties.order_id"]);
    assert.equal(await eventCount(acct.accountId, a), 1);
    assert.equal(await eventCount(acct.accountId, b), 0);
  });

  test("a batch mixing known and new contacts stores each event on its own contact; of one id sent twice, the first is stored", async () => {
    const known = await t.api(acct.apiKey, "/events", {
      json: { id: eventId("mix"), type: "page_view", email: "mix-known@example.com", properties: { url: "https://shop.example/" } },
    });
    assert.equal(known.status, 202);
    const twice = eventId("mix");
    const events = [
      { id: eventId("mix"), type: "page_view", email: "Mix-Known@Example.com", properties: { url: "https://shop.example/a" } },
      { id: twice, type: "page_view", email: "mix-new@example.com", properties: { url: "https://shop.example/b" } },
      { id: eventId("mix"), type: "page_view", email: "MIX-NEW@example.com", properties: { url: "https://shop.example/c" } },
      { id: twice, type: "page_view", email: "mix-known@example.com", properties: { url: "https://shop.example/d" } },
    ];
    const body = await (await t.api(acct.apiKey, "/events/batch", { json: { events } })).json();
    assert.deepEqual(
      body.results.map((r: { status: string }) => r.status),
      ["accepted", "accepted", "accepted", "duplicate"],
    );
    const rows = await queryRows<{ email: string; url: string }>(
      t.db,
      sql`select lower(c.email) as email, e.properties->>'url' as url from events e join contacts c on c.account_id = e.account_id and c.id = e.contact_id
          where e.account_id = ${acct.accountId} and e.external_id like 'mix%' order by url`,
    );
    assert.deepEqual(
      rows.map((r) => `${r.email} ${r.url}`),
      [
        "mix-known@example.com https://shop.example/",
        "mix-known@example.com https://shop.example/a",
        "mix-new@example.com https://shop.example/b",
        "mix-new@example.com https://shop.example/c",
      ],
    );
    const [{ n }] = await queryRows<{ n: string | number }>(
      t.db,
      sql`select count(*) as n from contacts where account_id = ${acct.accountId} and lower(email) = 'mix-new@example.com'`,
    );
    assert.equal(Number(n), 1, "the new contact is created once");
  });

  test("a batch with no good event is 422 with every problem; a malformed batch is 422", async () => {
    const res = await t.api(acct.apiKey, "/events/batch", { json: { events: [{ id: "x" }, { type: "page_view" }] } });
    assert.equal(res.status, 422);
    const body = await res.json();
    assert.deepEqual([body.error.code, body.error.former_code], ["validation_failed", "invalid_event"]);
    assert.ok(body.error.details.some((d: { path: string }) => d.path === "events[0].type"));
    assert.ok(body.error.details.some((d: { path: string }) => d.path === "events[1].id"));
    const shape = await t.api(acct.apiKey, "/events/batch", { json: { events: new Array(1001).fill({}) } });
    assert.equal(shape.status, 422);
    const shapeError = (await shape.json()).error;
    assert.deepEqual([shapeError.code, shapeError.former_code], ["validation_failed", "invalid_batch"]);
  });
});

describe("send-only keys", () => {
  test("send events from the allowed origins only, and nothing else", async () => {
    const { key } = await createApiKey(t.db, acct.accountId, { name: "Shop pages", scope: "send", allowedOrigins: ["https://shop.example.com"] });

    const preflight = await t.app.request("http://localhost/api/v1/events", {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://shop.example.com");
    assert.match(preflight.headers.get("access-control-allow-headers")!, /Authorization/);
    assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);
    const batchPreflight = await t.app.request("http://localhost/api/v1/events/batch", { method: "OPTIONS", headers: { Origin: "https://shop.example.com" } });
    assert.equal(batchPreflight.status, 204);

    const event = () => ({ id: eventId("pub"), type: "page_view", email: "visitor@example.com", properties: { url: "https://shop.example.com/desks" } });
    const ok = await t.api(key, "/events", { json: event(), headers: { Origin: "https://shop.example.com" } });
    assert.equal(ok.status, 202);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://shop.example.com");
    const okBatch = await t.api(key, "/events/batch", { json: { events: [event()] }, headers: { Origin: "https://shop.example.com" } });
    assert.equal(okBatch.status, 200);

    const elsewhere = await t.api(key, "/events", { json: event(), headers: { Origin: "https://evil.example" } });
    assert.equal(elsewhere.status, 403);
    const refused = (await elsewhere.json()).error;
    assert.deepEqual([refused.code, refused.former_code], ["forbidden", "origin_not_allowed"]);
    assert.equal(elsewhere.headers.get("access-control-allow-origin"), null);

    const others: [string, string][] = [
      ["GET", "/segments"],
      ["POST", "/segments"],
      ["GET", "/segments/1"],
      ["GET", "/segments/1/members"],
      ["POST", "/segments/1/members"],
      ["DELETE", "/segments/1"],
      ["GET", "/contacts"],
      ["POST", "/contacts"],
      ["GET", "/contacts/1"],
      ["GET", "/events"],
      ["GET", "/events/batch"],
      ["POST", "/events/other"],
      ["POST", "/events/"],
      ["GET", "/workflows"],
      ["POST", "/imports"],
      ["GET", "/imports/1"],
      ["POST", "/exports"],
      ["GET", "/exports/1"],
      ["GET", "/jobs/1"],
    ];
    for (const [method, path] of others) {
      const res = await t.api(key, path, { method, json: method === "GET" ? undefined : {}, headers: { Origin: "https://shop.example.com" } });
      assert.equal(res.status, 403, `${method} ${path} must refuse a send-only key`);
      assert.equal((await res.json()).error.code, "forbidden");
    }
  });

  test("a full key gets no CORS headers", async () => {
    const res = await t.api(acct.apiKey, "/events", {
      json: { id: eventId(), type: "page_view", email: "x@example.com", properties: { url: "https://a.example/" } },
      headers: { Origin: "https://shop.example.com" },
    });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});

test("recent events: newest first, limited, only the contact's own", async () => {
  const email = "history@example.com";
  for (let i = 0; i < 4; i++) {
    await t.api(acct.apiKey, "/events", {
      json: { id: eventId("h"), type: "page_view", email, properties: { url: `https://shop.example/p${i}` }, occurred_at: `2025-01-0${i + 1}T10:00:00Z` },
    });
  }
  const [c] = await queryRows<{ id: number }>(t.db, sql`select id::int from contacts where account_id = ${acct.accountId} and lower(email) = ${email}`);
  const recent = await listRecentEvents(t.db, acct.accountId, c!.id, 3);
  assert.deepEqual(
    recent.map((e) => (e.properties as { url: string }).url),
    ["https://shop.example/p3", "https://shop.example/p2", "https://shop.example/p1"],
  );
  const other = await t.createAccount();
  assert.deepEqual(await listRecentEvents(t.db, other.accountId, c!.id, 3), []);
});
