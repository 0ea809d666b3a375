// Dynamic segments: created and changed through the API and pages, kept current on contact change, event arrival
// and condition change (history "by conditions", roll-ups, exact counts), dependencies refreshed in order, cycles
// refused, static-only actions refused, Save as static, Why is this contact in it?, and the enter/leave triggers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { keepSegmentsCurrent } from "../../src/jobs/segments-current";
import { refreshDynamicSegment } from "../../src/segments/refresh";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { buildWorkflow, memberEmails } from "./workflows-helpers";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

let n = 0;
const eventId = () => `ev-${++n}-${Date.now()}`;

async function contact(a: TestAccount, email: string, fields: Record<string, unknown> = {}) {
  const res = await t.api(a.apiKey, "/contacts", { json: { email, ...fields } });
  assert.ok(res.status === 201 || res.status === 200, await res.clone().text());
}

async function purchase(a: TestAccount, email: string, properties: Record<string, unknown>, occurredAt?: Date) {
  const res = await t.api(a.apiKey, "/events", {
    json: { id: eventId(), type: "purchase", email, properties, ...(occurredAt ? { occurred_at: occurredAt.toISOString() } : {}) },
  });
  assert.ok(res.status < 300, await res.clone().text());
}

const furniture = (total: number) => ({
  order_id: `o${++n}`,
  total,
  currency: "EUR",
  products: [{ id: "p1", name: "Desk", category: "office furniture", price: total, quantity: 1 }],
});

async function dynamicSegment(a: TestAccount, name: string, conditions: unknown) {
  const res = await t.api(a.apiKey, "/segments", { json: { name, type: "dynamic", conditions } });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: number; type: string; conditions: unknown; member_count: number };
}

async function segmentJson(a: TestAccount, id: number) {
  const res = await t.api(a.apiKey, `/segments/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { id: number; type: string; conditions: unknown; member_count: number; refreshed_at: string | null };
}

/** member_count equals the rows, and the roll-up's joins minus leaves equals it too. */
async function assertCountsExact(a: TestAccount, segmentId: number) {
  const [row] = await queryRows<{ stored: string; actual: string; rolled: string }>(
    t.db,
    sql`select s.member_count as stored,
        (select count(*) from segment_members m where m.account_id = s.account_id and m.segment_id = s.id) as actual,
        (select coalesce(sum(joins - leaves), 0) from segment_daily_changes d where d.account_id = s.account_id and d.segment_id = s.id) as rolled
      from segments s where s.account_id = ${a.accountId} and s.id = ${segmentId}`,
  );
  assert.equal(Number(row!.stored), Number(row!.actual), "member_count equals the members");
  assert.equal(Number(row!.rolled), Number(row!.actual), "the daily roll-up adds up to the members");
}

async function history(a: TestAccount, segmentId: number) {
  return queryRows<{ email: string; action: string; source_type: string; source_label: string }>(
    t.db,
    sql`select lower(c.email) as email, e.action, e.source_type, e.source_label from membership_events e
      join contacts c on c.account_id = e.account_id and c.id = e.contact_id
      where e.account_id = ${a.accountId} and e.segment_id = ${segmentId} order by e.id`,
  );
}

/** One pass of the worker's segments work, as it runs every few seconds. */
const pass = () => keepSegmentsCurrent(t.db);

/** Makes the segment's last refresh look old enough that a change made now is certainly after it. */
async function ageRefresh(a: TestAccount, segmentId: number) {
  await t.db.execute(sql`update segments set refreshed_at = refreshed_at - interval '1 minute' where account_id = ${a.accountId} and id = ${segmentId}`);
}

/** 40 contacts changed a day ago, so that the few a test changes stay under one in eight and a refresh stays incremental. */
async function otherContacts(a: TestAccount, firstName: string | null = null) {
  await t.db.execute(sql`insert into contacts (account_id, email, first_name, created_at, updated_at)
    select ${a.accountId}, 'other' || g || '@shop.example', ${firstName}, now() - interval '1 day', now() - interval '1 day' from generate_series(1, 40) g`);
}

/** The account's contact changes and membership history so far become old news to the next incremental refresh. */
async function oldNews(a: TestAccount) {
  await t.db.execute(sql`update membership_events set at = at - interval '1 hour' where account_id = ${a.accountId}`);
  await t.db.execute(sql`update contacts set updated_at = now() - interval '1 day' where account_id = ${a.accountId}`);
}

describe("the API", () => {
  test("creates a dynamic segment whose members are the matching contacts at once, with history by conditions", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    await contact(a, "bo@acme.es");
    await contact(a, "cy@other.example");
    const conditions = { all: [{ field: "email_domain", op: "is", value: "acme.es" }] };
    const created = await dynamicSegment(a, "Acme", conditions);
    assert.equal(created.type, "dynamic");
    assert.deepEqual(created.conditions, conditions);
    assert.equal(created.member_count, 2);
    assert.deepEqual(await memberEmails(t, a.accountId, created.id), ["ana@acme.es", "bo@acme.es"]);
    const got = await segmentJson(a, created.id);
    assert.equal(got.member_count, 2);
    assert.deepEqual(got.conditions, conditions);
    assert.ok(got.refreshed_at);
    const entries = await history(a, created.id);
    assert.deepEqual(
      entries.map((e) => [e.email, e.action, e.source_type, e.source_label]),
      [
        ["ana@acme.es", "added", "conditions", "by conditions"],
        ["bo@acme.es", "added", "conditions", "by conditions"],
      ],
    );
    await assertCountsExact(a, created.id);
    // The members API lists them like a static segment's.
    const page = (await (await t.api(a.apiKey, `/segments/${created.id}/contacts`)).json()) as { data: { email: string }[]; next_cursor: string | null };
    assert.deepEqual(page.data.map((c) => c.email).sort(), ["ana@acme.es", "bo@acme.es"]);
    assert.equal(page.next_cursor, null);
    // The page shows the conditions in words and the size chart names the source.
    const html = await (await t.browser(a.adminCookie, `/segments/${created.id}`)).text();
    assert.match(html, /Email domain is acme\.es/);
    assert.match(html, /By conditions/);
  });

  test("bad conditions get 400 invalid_conditions naming the path of each problem; nothing is created", async () => {
    const a = await t.createAccount();
    const res = await t.api(a.apiKey, "/segments", {
      json: {
        name: "Bad",
        type: "dynamic",
        conditions: {
          all: [
            { field: "email_domain", op: "greater_than", value: "x" },
            { field: "shoe_size", op: "is", value: "42" },
          ],
        },
      },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { path: string; message: string }[] } };
    assert.equal(body.error.code, "invalid_conditions");
    assert.ok(body.error.details.length >= 2, JSON.stringify(body));
    assert.ok(
      body.error.details.every((d) => d.path.startsWith("conditions.all[")),
      JSON.stringify(body.error.details),
    );
    assert.ok(
      body.error.details.some((d) => d.path.startsWith("conditions.all[1]")),
      JSON.stringify(body.error.details),
    );
    const missing = await t.api(a.apiKey, "/segments", { json: { name: "Bad", type: "dynamic" } });
    assert.equal(missing.status, 400);
    const list = (await (await t.api(a.apiKey, "/segments")).json()) as { data: unknown[] };
    assert.equal(list.data.length, 0);
  });

  test("PATCH changes the conditions and the members at once; the type cannot change", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    await contact(a, "cy@other.example");
    const s = await dynamicSegment(a, "Domain", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    const res = await t.api(a.apiKey, `/segments/${s.id}`, {
      method: "PATCH",
      json: { conditions: { any: [{ field: "email_domain", op: "is", value: "other.example" }] } },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { member_count: number }).member_count, 1);
    assert.deepEqual(await memberEmails(t, a.accountId, s.id), ["cy@other.example"]);
    assert.deepEqual(
      (await history(a, s.id)).map((e) => [e.email, e.action]),
      [
        ["ana@acme.es", "added"],
        ["ana@acme.es", "removed"],
        ["cy@other.example", "added"],
      ],
    );
    await assertCountsExact(a, s.id);
    const retype = await t.api(a.apiKey, `/segments/${s.id}`, { method: "PATCH", json: { type: "static" } });
    assert.equal(retype.status, 409);
    assert.match(((await retype.json()) as { error: { message: string } }).error.message, /cannot be changed/);
    const bad = await t.api(a.apiKey, `/segments/${s.id}`, { method: "PATCH", json: { conditions: { all: [{ field: "email", op: "between", value: 3 }] } } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path.startsWith("conditions.all[0]"), true);
  });

  test("writes to a dynamic segment's members get 409 conflict saying why", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    const s = await dynamicSegment(a, "Acme only", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    for (const [method, body] of [
      ["POST", { emails: ["x@y.example"] }],
      ["PUT", { emails: ["x@y.example"] }],
      ["DELETE", { emails: ["ana@acme.es"] }],
    ] as const) {
      const res = await t.api(a.apiKey, `/segments/${s.id}/contacts`, { method, json: body });
      assert.equal(res.status, 409, method);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, "conflict");
      assert.match(err.message, /"Acme only" is a dynamic segment/);
    }
    const imp = await t.api(a.apiKey, `/imports?segment_id=${s.id}&mode=add`, { body: "email\nz@z.example\n", headers: { "Content-Type": "text/csv" } });
    assert.equal(imp.status, 409, await imp.clone().text());
    assert.deepEqual(await memberEmails(t, a.accountId, s.id), ["ana@acme.es"]);
  });
});

describe("kept current", () => {
  test("a contact change, an event arriving and a referenced segment changing are picked up by the worker's pass", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@shop.example", { first_name: "Ana" });
    await contact(a, "bo@shop.example", { first_name: "Bo" });
    const customers = (await (await t.api(a.apiKey, "/segments", { json: { name: "Customers" } })).json()) as { id: number };
    const buyers = await dynamicSegment(a, "Furniture buyers", {
      all: [
        {
          event: "purchase",
          op: "did",
          in_last_days: 30,
          where: [
            { path: "products.category", op: "equals", value: "office furniture" },
            { path: "total", op: "greater_than", value: 100 },
          ],
        },
        { segment: customers.id, op: "not_in" },
      ],
    });
    const named = await dynamicSegment(a, "Named Ana", { all: [{ field: "first_name", op: "is", value: "Ana" }] });
    assert.equal(buyers.member_count, 0);
    assert.deepEqual(await memberEmails(t, a.accountId, named.id), ["ana@shop.example"]);

    // Event arrival: a purchase over 100 joins; one under 100 does not.
    await ageRefresh(a, buyers.id);
    await purchase(a, "bo@shop.example", furniture(250));
    await purchase(a, "ana@shop.example", furniture(40));
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, buyers.id), ["bo@shop.example"]);

    // A segment it refers to changes: Bo becomes a customer and leaves.
    await ageRefresh(a, buyers.id);
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["bo@shop.example"] } })).status, 200);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, buyers.id), []);

    // A contact change: Ana is renamed and leaves "Named Ana"; Bo, renamed Ana, joins.
    await ageRefresh(a, named.id);
    assert.equal((await t.api(a.apiKey, "/contacts/ana@shop.example", { method: "PATCH", json: { first_name: "Anna" } })).status, 200);
    assert.equal((await t.api(a.apiKey, "/contacts/bo@shop.example", { method: "PATCH", json: { first_name: "Ana" } })).status, 200);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, named.id), ["bo@shop.example"]);

    assert.deepEqual(
      (await history(a, buyers.id)).map((e) => [e.email, e.action, e.source_label]),
      [
        ["bo@shop.example", "added", "by conditions"],
        ["bo@shop.example", "removed", "by conditions"],
      ],
    );
    await assertCountsExact(a, buyers.id);
    await assertCountsExact(a, named.id);
    // Nothing changed since: another pass changes nothing.
    await ageRefresh(a, buyers.id);
    await ageRefresh(a, named.id);
    await pass();
    assert.equal((await history(a, buyers.id)).length, 2);
  });

  test("between full refreshes a pass looks only at contacts changed or given an event, a late-committed event included; time moves members at the next full one", async () => {
    const a = await t.createAccount();
    for (const who of ["ana", "bo", "cy", "eve"]) await contact(a, `${who}@shop.example`);
    // Other contacts, unchanged for a day: a pass that has one or two to look at again does only those.
    await otherContacts(a);
    await purchase(a, "ana@shop.example", furniture(10));
    const recent = await dynamicSegment(a, "Recent buyers", { all: [{ event: "purchase", op: "did", in_last_days: 30 }] });
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["ana@shop.example"]);
    // "Did not": a new purchase can make a contact leave it; with "did" it can only make one join.
    const quiet = await dynamicSegment(a, "No purchase lately", { all: [{ event: "purchase", op: "did_not", in_last_days: 30 }] });
    const quietOnes = async () => (await memberEmails(t, a.accountId, quiet.id)).filter((e) => !e.startsWith("other"));
    assert.deepEqual(await quietOnes(), ["bo@shop.example", "cy@shop.example", "eve@shop.example"]);
    const state = async () =>
      (
        await queryRows<{ full: string; refreshed: string; event_id: string | null }>(
          t.db,
          sql`select fully_refreshed_at::text as full, refreshed_at::text as refreshed, refreshed_event_id as event_id
            from segments where account_id = ${a.accountId} and id = ${recent.id}`,
        )
      )[0]!;
    const saved = await state();

    // Bo buys: the pass looks at Bo (and whoever else changed), not at every contact.
    await purchase(a, "bo@shop.example", furniture(20));
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["ana@shop.example", "bo@shop.example"]);
    const afterBo = await state();
    assert.equal(afterBo.full, saved.full, "no full refresh since the save");
    assert.notEqual(afterBo.refreshed, saved.refreshed);
    assert.deepEqual(await quietOnes(), ["cy@shop.example", "eve@shop.example"]);

    // Time passes for Ana's purchase (40 days old now; her contact last changed an hour ago), she views a page, and Cy
    // buys. The incremental pass takes Cy in (and out of "No purchase lately"), and looks at Ana again for neither
    // segment: a page view meets none of their conditions...
    await t.db.execute(sql`update contacts set updated_at = now() - interval '1 hour' where account_id = ${a.accountId}`);
    await t.db.execute(sql`update events set occurred_at = now() - interval '40 days', received_at = now() - interval '40 days'
      where account_id = ${a.accountId} and contact_id = (select id from contacts where account_id = ${a.accountId} and email = 'ana@shop.example')`);
    const view = await t.api(a.apiKey, "/events", {
      json: { id: eventId(), type: "page_view", email: "ana@shop.example", properties: { url: "https://shop.example/" } },
    });
    assert.ok(view.status < 300, await view.clone().text());
    await purchase(a, "cy@shop.example", furniture(30));
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["ana@shop.example", "bo@shop.example", "cy@shop.example"]);
    assert.deepEqual(await quietOnes(), ["eve@shop.example"]);
    // ...until the full refresh that every dynamic segment gets within ten minutes.
    await t.db.execute(sql`update segments set fully_refreshed_at = fully_refreshed_at - interval '11 minutes' where account_id = ${a.accountId}`);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["bo@shop.example", "cy@shop.example"]);
    assert.deepEqual(await quietOnes(), ["ana@shop.example", "eve@shop.example"]);
    assert.notEqual((await state()).full, saved.full, "a full refresh");

    // An event whose id was taken just before a refresh read the newest id, but committed only after it: the next
    // refresh still looks at it (events received within the margin before the last refresh, whatever their id).
    const sequence = sql`pg_get_serial_sequence('events', 'id')`;
    await t.db.execute(sql`select nextval(${sequence}) from generate_series(1, 3)`);
    await purchase(a, "bo@shop.example", furniture(40));
    assert.ok(await refreshDynamicSegment(t.db, a.accountId, recent.id, { incremental: true }));
    const lateId = Number((await state()).event_id) - 2;
    await t.db.execute(sql`update contacts set updated_at = now() - interval '1 hour' where account_id = ${a.accountId} and email = 'eve@shop.example'`);
    await t.db.execute(sql`insert into events (account_id, id, external_id, type, contact_id, occurred_at)
      overriding system value
      select ${a.accountId}, ${lateId}, 'late', 'purchase', id, now() from contacts where account_id = ${a.accountId} and email = 'eve@shop.example'`);
    const late = await refreshDynamicSegment(t.db, a.accountId, recent.id, { incremental: true });
    assert.deepEqual(late, { joined: 1, left: 0, incremental: true });
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["bo@shop.example", "cy@shop.example", "eve@shop.example"]);
    // Many contacts changed at once (an import): looking at each would cost more than the whole, so it is done in full.
    const fullBefore = (await state()).full;
    await t.db.execute(sql`update contacts set updated_at = now() where account_id = ${a.accountId}`);
    assert.equal((await refreshDynamicSegment(t.db, a.accountId, recent.id, { incremental: true }))?.incremental, false);
    assert.notEqual((await state()).full, fullBefore);
    await assertCountsExact(a, recent.id);
  });

  test("is in a segment and did buy: between full refreshes only buyers in the segment join; a buyer joins once the segment takes it in", async () => {
    const a = await t.createAccount();
    for (const who of ["ana", "bo"]) await contact(a, `${who}@shop.example`);
    await otherContacts(a);
    const customers = (await (await t.api(a.apiKey, "/segments", { json: { name: "Customers" } })).json()) as { id: number };
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["ana@shop.example"] } })).status, 200);
    const buyers = await dynamicSegment(a, "Customers who buy", {
      all: [
        { segment: customers.id, op: "in" },
        { event: "purchase", op: "did", in_last_days: 30 },
      ],
    });
    assert.equal(buyers.member_count, 0);
    await purchase(a, "ana@shop.example", furniture(10));
    await purchase(a, "bo@shop.example", furniture(10));
    const once = await refreshDynamicSegment(t.db, a.accountId, buyers.id, { incremental: true });
    assert.deepEqual(once, { joined: 1, left: 0, incremental: true });
    assert.deepEqual(await memberEmails(t, a.accountId, buyers.id), ["ana@shop.example"]);
    // The purchases and contacts are old news by now (received before the margin of the last refresh)...
    await t.db.execute(sql`update events set received_at = now() - interval '1 minute' where account_id = ${a.accountId}`);
    await t.db.execute(sql`update contacts set updated_at = now() - interval '1 day' where account_id = ${a.accountId}`);
    // ...when Bo becomes a customer: the pass sees Customers changed and looks at everyone again.
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["ana@shop.example", "bo@shop.example"] } })).status, 200);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, buyers.id), ["ana@shop.example", "bo@shop.example"]);
    await assertCountsExact(a, buyers.id);
  });

  test("a referenced segment changing: only the contacts that joined or left it are looked at, and a member that left it leaves", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@shop.example", { first_name: "Ana" });
    await contact(a, "bo@shop.example", { first_name: "Bo" });
    await otherContacts(a, "Other");
    const customers = (await (await t.api(a.apiKey, "/segments", { json: { name: "Customers" } })).json()) as { id: number };
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["ana@shop.example"] } })).status, 200);
    const named = await dynamicSegment(a, "Named customers", {
      all: [
        { segment: customers.id, op: "in" },
        { field: "first_name", op: "is_not_empty" },
      ],
    });
    assert.deepEqual(await memberEmails(t, a.accountId, named.id), ["ana@shop.example"]);
    // Everything so far is old news: only the changes below are since the last refresh.
    await oldNews(a);
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["bo@shop.example"] } })).status, 200);
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { method: "DELETE", json: { emails: ["ana@shop.example"] } })).status, 200);
    const outcome = await refreshDynamicSegment(t.db, a.accountId, named.id, { incremental: true });
    assert.deepEqual(outcome, { joined: 1, left: 1, incremental: true });
    assert.deepEqual(await memberEmails(t, a.accountId, named.id), ["bo@shop.example"]);
    await assertCountsExact(a, named.id);
  });

  test("a buyer whose new purchase met the event condition joins only if it meets the other conditions too", async () => {
    const a = await t.createAccount();
    for (const who of ["ana", "bo", "cy"]) await contact(a, `${who}@shop.example`);
    await otherContacts(a);
    const customers = (await (await t.api(a.apiKey, "/segments", { json: { name: "Customers" } })).json()) as { id: number };
    assert.equal((await t.api(a.apiKey, `/segments/${customers.id}/contacts`, { json: { emails: ["ana@shop.example"] } })).status, 200);
    const prospects = await dynamicSegment(a, "Furniture buyers, not customers", {
      all: [
        { event: "purchase", op: "did", in_last_days: 30, where: [{ path: "products.category", op: "equals", value: "office furniture" }] },
        { segment: customers.id, op: "not_in" },
      ],
    });
    assert.equal(prospects.member_count, 0);
    await oldNews(a);
    await purchase(a, "ana@shop.example", furniture(300));
    await purchase(a, "bo@shop.example", furniture(300));
    await purchase(a, "cy@shop.example", { ...furniture(5), products: [{ id: "p2", name: "Lamp", category: "lamps", price: 5, quantity: 1 }] });
    const outcome = await refreshDynamicSegment(t.db, a.accountId, prospects.id, { incremental: true });
    assert.deepEqual(outcome, { joined: 1, left: 0, incremental: true });
    assert.deepEqual(await memberEmails(t, a.accountId, prospects.id), ["bo@shop.example"]);
    await assertCountsExact(a, prospects.id);
  });

  test("past 500,000 new events (a worker that was down) the refresh is done in full instead of reading them", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@shop.example");
    await otherContacts(a);
    await purchase(a, "ana@shop.example", furniture(10));
    const recent = await dynamicSegment(a, "Recent buyers", { all: [{ event: "purchase", op: "did", in_last_days: 30 }] });
    await contact(a, "bo@shop.example");
    await t.db.execute(sql`update contacts set updated_at = now() - interval '1 day' where account_id = ${a.accountId}`);
    await t.db.execute(sql`update events set received_at = now() - interval '1 minute' where account_id = ${a.accountId}`);
    const incrementally = async () => (await refreshDynamicSegment(t.db, a.accountId, recent.id, { incremental: true }))?.incremental;
    // A few new events are read.
    await purchase(a, "bo@shop.example", furniture(10));
    assert.equal(await incrementally(), true);
    await t.db.execute(sql`update events set received_at = now() - interval '1 minute' where account_id = ${a.accountId}`);
    // 600,000 ids later (events of other accounts, or a long pause), the next one is not read but refreshed in full.
    await t.db.execute(sql`select setval(pg_get_serial_sequence('events', 'id'), (select max(id) from events) + 600000)`);
    await purchase(a, "cy@shop.example", furniture(10));
    assert.equal(await incrementally(), false);
    assert.deepEqual(await memberEmails(t, a.accountId, recent.id), ["ana@shop.example", "bo@shop.example", "cy@shop.example"]);
    await assertCountsExact(a, recent.id);
  });

  test("a dynamic segment built on another is refreshed after it, in the same pass", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es", { first_name: "Zed" });
    // The dependent segment is made first (a lower id), then pointed at the other: an id-ordered pass would refresh it
    // before its dependency and miss the change until the next pass.
    const onTop = await dynamicSegment(a, "Acme people on top", { all: [{ field: "email", op: "is", value: "nobody@acme.es" }] });
    const acme = await dynamicSegment(a, "Acme people", {
      all: [
        { field: "email_domain", op: "is", value: "acme.es" },
        { field: "first_name", op: "is", value: "Ana" },
      ],
    });
    const pointed = await t.api(a.apiKey, `/segments/${onTop.id}`, { method: "PATCH", json: { conditions: { all: [{ segment: acme.id, op: "in" }] } } });
    assert.equal(pointed.status, 200);
    assert.equal(onTop.id < acme.id, true);
    await ageRefresh(a, acme.id);
    await ageRefresh(a, onTop.id);
    assert.equal((await t.api(a.apiKey, "/contacts/ana@acme.es", { method: "PATCH", json: { first_name: "Ana" } })).status, 200);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, acme.id), ["ana@acme.es"]);
    assert.deepEqual(await memberEmails(t, a.accountId, onTop.id), ["ana@acme.es"]);
  });

  test("deleting a segment that conditions refer to: the confirmation names the dynamic segments, which keep their members and say why", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@shop.example");
    const vip = (await (await t.api(a.apiKey, "/segments", { json: { name: "VIP" } })).json()) as { id: number };
    assert.equal((await t.api(a.apiKey, `/segments/${vip.id}/contacts`, { json: { emails: ["ana@shop.example"] } })).status, 200);
    const nested = { any: [{ all: [{ segment: vip.id, op: "in" }] }, { field: "email", op: "is", value: "nobody@shop.example" }] };
    const onVip = await dynamicSegment(a, "VIP copy", nested);
    const other = await dynamicSegment(a, "Unrelated", { all: [{ field: "email_domain", op: "is", value: "shop.example" }] });
    assert.deepEqual(await memberEmails(t, a.accountId, onVip.id), ["ana@shop.example"]);

    const confirm = await (await t.browser(a.adminCookie, `/segments/${vip.id}/delete`)).text();
    assert.match(confirm, /data-testid="referred-by"[\s\S]*A dynamic segment uses it in its conditions[\s\S]*VIP copy/);
    assert.doesNotMatch(confirm, /Unrelated/);

    assert.equal((await t.api(a.apiKey, `/segments/${vip.id}`, { method: "DELETE" })).status, 200);
    const after = await segmentJson(a, onVip.id);
    assert.match(String((after as { refresh_error?: string }).refresh_error), /The segment "VIP" that these conditions refer to was deleted/);
    assert.equal(((await segmentJson(a, other.id)) as { refresh_error?: string | null }).refresh_error, null);
    // The worker's full refresh does not empty it ("is in" a segment gone would hold for nobody).
    await t.db.execute(sql`update segments set fully_refreshed_at = null where account_id = ${a.accountId}`);
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, onVip.id), ["ana@shop.example"]);
    assert.match(String(((await segmentJson(a, onVip.id)) as { refresh_error?: string }).refresh_error), /"VIP"/);
    // Changing its conditions brings it up to date again.
    const fixed = await t.api(a.apiKey, `/segments/${onVip.id}`, {
      method: "PATCH",
      json: { conditions: { all: [{ field: "email", op: "is", value: "nobody@shop.example" }] } },
    });
    assert.equal(fixed.status, 200, await fixed.clone().text());
    assert.deepEqual(await memberEmails(t, a.accountId, onVip.id), []);
    assert.equal(((await segmentJson(a, onVip.id)) as { refresh_error?: string | null }).refresh_error, null);
  });

  test("cycles and unknown segments are refused when saving, with a clear message", async () => {
    const a = await t.createAccount();
    const first = await dynamicSegment(a, "First", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    const second = await dynamicSegment(a, "Second", { all: [{ segment: first.id, op: "in" }] });
    const cycle = await t.api(a.apiKey, `/segments/${first.id}`, { method: "PATCH", json: { conditions: { all: [{ segment: second.id, op: "in" }] } } });
    assert.equal(cycle.status, 400);
    const message = ((await cycle.json()) as { error: { message: string } }).error.message;
    assert.match(message, /"First" depend on itself \("First" → "Second" → "First"\)/);
    const self = await t.api(a.apiKey, `/segments/${first.id}`, { method: "PATCH", json: { conditions: { all: [{ segment: first.id, op: "not_in" }] } } });
    assert.equal(self.status, 400);
    assert.match(((await self.json()) as { error: { message: string } }).error.message, /cannot refer to itself/);
    const unknown = await t.api(a.apiKey, "/segments", { json: { name: "Ghost", type: "dynamic", conditions: { all: [{ segment: 999999, op: "in" }] } } });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /#999999 .* does not exist/);
    // The stored conditions did not change.
    assert.deepEqual((await segmentJson(a, first.id)).conditions, { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
  });
});

describe("pages", () => {
  test("static-only actions are refused for a dynamic segment with the reason, and hidden", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    await contact(a, "cy@other.example");
    const s = await dynamicSegment(a, "Acme", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    const [cy] = await queryRows<{ id: string }>(t.db, sql`select id from contacts where account_id = ${a.accountId} and email = 'cy@other.example'`);
    const [ana] = await queryRows<{ id: string }>(t.db, sql`select id from contacts where account_id = ${a.accountId} and email = 'ana@acme.es'`);
    const refusals = [
      await t.browser(a.adminCookie, `/segments/${s.id}/contacts`, { form: { email: "cy@other.example" } }),
      await t.browser(a.adminCookie, `/segments/${s.id}/contacts/remove`, { form: { ids: String(ana!.id) } }),
      await t.browser(a.adminCookie, `/contacts/${cy!.id}/segments`, { form: { segment: String(s.id) } }),
      await t.browser(a.adminCookie, `/contacts/${ana!.id}/segments/${s.id}/remove`, { form: {} }),
      await t.browser(a.adminCookie, "/contacts/bulk", { form: { target: String(s.id), ids: String(cy!.id), action: "add" } }),
    ];
    for (const res of refusals)
      assert.match(await t.noticeAfter(a.adminCookie, res), /Acme.* is a dynamic segment: its members are the contacts its conditions match/);
    assert.deepEqual(await memberEmails(t, a.accountId, s.id), ["ana@acme.es"]);
    const members = await (await t.browser(a.adminCookie, `/segments/${s.id}/contacts`)).text();
    assert.doesNotMatch(members, /Add contact|Remove selected/);
    assert.match(members, new RegExp(`/segments/${s.id}/why/${ana!.id}`));
    // A workflow cannot add to it.
    const wf = await t.browser(a.adminCookie, "/workflows", { form: { name: "Into dynamic" } });
    const wfId = Number(/\/workflows\/(\d+)/.exec(wf.headers.get("location")!)![1]);
    const hx = { "HX-Request": "true" };
    await t.browser(a.adminCookie, `/workflows/${wfId}/trigger`, { form: { trigger: "purchase" }, headers: hx });
    await t.browser(a.adminCookie, `/workflows/${wfId}/actions`, { form: {}, headers: hx });
    const [draft] = await queryRows<{ key: string }>(
      t.db,
      sql`select draft->'actions'->0->>'key' as key from workflows where account_id = ${a.accountId} and id = ${wfId}`,
    );
    await t.browser(a.adminCookie, `/workflows/${wfId}/actions/${draft!.key}`, { form: { kind: "add", segmentId: String(s.id) }, headers: hx });
    const saved = await t.browser(a.adminCookie, `/workflows/${wfId}/save`, { form: {} });
    assert.equal(saved.status, 422);
  });

  test("Save as static segment freezes the current members into a new static segment", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    await contact(a, "bo@acme.es");
    const s = await dynamicSegment(a, "Acme now", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    const res = await t.browser(a.adminCookie, `/segments/${s.id}/save-as-static`, { form: { name: "Acme frozen" } });
    assert.equal(res.status, 303, await res.clone().text());
    assert.match(await t.noticeAfter(a.adminCookie, res), /Acme frozen was created with the 2 contacts of Acme now/);
    const list = (await (await t.api(a.apiKey, "/segments")).json()) as { data: { id: number; name: string; type: string; member_count: number }[] };
    const frozen = list.data.find((x) => x.name === "Acme frozen")!;
    assert.equal(frozen.type, "static");
    assert.equal(frozen.member_count, 2);
    assert.deepEqual(
      (await history(a, frozen.id)).map((e) => e.source_label),
      ["copy of Acme now", "copy of Acme now"],
    );
    // It does not follow the conditions afterwards.
    await contact(a, "cy@acme.es");
    await ageRefresh(a, s.id);
    await pass();
    assert.equal((await segmentJson(a, s.id)).member_count, 3);
    assert.equal((await segmentJson(a, frozen.id)).member_count, 2);
    // A taken name is said on the form.
    const taken = await t.browser(a.adminCookie, `/segments/${s.id}/save-as-static`, { form: { name: "Acme frozen" } });
    assert.equal(taken.status, 422);
    assert.match(await taken.text(), /already exists/);
  });

  test("Why is this contact in it? names the conditions that held and the event that made it hold", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@shop.example");
    await purchase(a, "ana@shop.example", furniture(320), new Date(Date.UTC(2026, 10, 20, 9, 30)));
    const s = await dynamicSegment(a, "Big furniture", {
      all: [
        {
          event: "purchase",
          op: "did",
          in_last_days: 365,
          where: [
            { path: "products.category", op: "equals", value: "office furniture" },
            { path: "total", op: "greater_than", value: 100 },
          ],
        },
      ],
    });
    const [ana] = await queryRows<{ id: string }>(t.db, sql`select id from contacts where account_id = ${a.accountId} and email = 'ana@shop.example'`);
    const viewer = await a.userCookie("viewer");
    const page = await t.browser(viewer, `/segments/${s.id}/why/${ana!.id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /ana@shop\.example<\/strong> is in <strong>Big furniture/);
    assert.match(html, /held/);
    assert.match(html, /2026-11-20/);
    assert.match(html, /products\.category: office furniture/);
    assert.match(html, /total: 320/);
    // The contact's page links to it.
    const contactPage = await (await t.browser(viewer, `/contacts/${ana!.id}`)).text();
    assert.match(contactPage, new RegExp(`/segments/${s.id}/why/${ana!.id}`));
  });
});

describe("workflow triggers When entering / When leaving a segment", () => {
  test("run the workflow's actions for each contact that joins or leaves, whatever made the change, once", async () => {
    const a = await t.createAccount();
    await contact(a, "ana@acme.es");
    const acme = await dynamicSegment(a, "Acme feed", { all: [{ field: "email_domain", op: "is", value: "acme.es" }] });
    const welcome = (await (await t.api(a.apiKey, "/segments", { json: { name: "Welcome" } })).json()) as { id: number };
    const alumni = (await (await t.api(a.apiKey, "/segments", { json: { name: "Alumni" } })).json()) as { id: number };
    const enter = await buildWorkflow(t, a, {
      name: "Welcome Acme",
      trigger: "segment_entered",
      actions: [{ kind: "add", segmentId: welcome.id }],
      triggerSegmentId: acme.id,
    });
    await buildWorkflow(t, a, {
      name: "Acme alumni",
      trigger: "segment_left",
      actions: [
        { kind: "add", segmentId: alumni.id },
        { kind: "remove", segmentId: welcome.id },
      ],
      triggerSegmentId: acme.id,
    });
    assert.match(await (await t.browser(a.adminCookie, `/workflows/${enter}`)).text(), /When entering a segment: Acme feed/);
    // Ana was in before the workflows were active: not run for her.
    await contact(a, "bo@acme.es");
    await ageRefresh(a, acme.id);
    await pass(); // Bo joins Acme feed
    await pass(); // (the triggers may run in the same pass or the next)
    assert.deepEqual(await memberEmails(t, a.accountId, welcome.id), ["bo@acme.es"]);
    assert.deepEqual(
      (await history(a, welcome.id)).map((e) => [e.email, e.source_type, e.source_label]),
      [["bo@acme.es", "workflow", "workflow Welcome Acme"]],
    );
    // Bo leaves (his email changes domain): alumni in, welcome out.
    await ageRefresh(a, acme.id);
    assert.equal((await t.api(a.apiKey, "/contacts/bo@acme.es", { method: "PATCH", json: { email: "bo@elsewhere.example" } })).status, 200);
    await pass();
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, alumni.id), ["bo@elsewhere.example"]);
    assert.deepEqual(await memberEmails(t, a.accountId, welcome.id), []);
    // Passes with nothing new run nothing again.
    await pass();
    assert.equal((await history(a, welcome.id)).length, 2);
    // Each run is a change set in its segment's history, named after the workflow, as an event-triggered run is.
    const sets = await queryRows<{ segment_id: string; kind: string; label: string; joined: string; left: string; entries: string }>(
      t.db,
      sql`select cs.segment_id, cs.kind, cs.label, cs.joined, cs."left",
          (select count(*) from membership_events e where e.account_id = cs.account_id and e.change_set_id = cs.id) as entries
        from change_sets cs where cs.account_id = ${a.accountId} and cs.source_type = 'workflow' order by cs.id`,
    );
    assert.deepEqual(
      sets.map((r) => [Number(r.segment_id), r.kind, r.label, Number(r.joined), Number(r.left), Number(r.entries)]),
      [
        [welcome.id, "workflow", "workflow Welcome Acme", 1, 0, 1],
        [alumni.id, "workflow", "workflow Acme alumni", 1, 0, 1],
        [welcome.id, "workflow", "workflow Acme alumni", 0, 1, 1],
      ],
    );
    const [w] = await queryRows<{ contacts_added: string }>(
      t.db,
      sql`select contacts_added from workflows where account_id = ${a.accountId} and id = ${enter}`,
    );
    assert.equal(Number(w!.contacts_added), 1);
    // A change by hand to a static segment starts them too.
    const vip = (await (await t.api(a.apiKey, "/segments", { json: { name: "VIP" } })).json()) as { id: number };
    await buildWorkflow(t, a, { name: "VIP welcome", trigger: "segment_entered", actions: [{ kind: "add", segmentId: welcome.id }], triggerSegmentId: vip.id });
    await t.api(a.apiKey, `/segments/${vip.id}/contacts`, { json: { emails: ["ana@acme.es"] } });
    await pass();
    assert.deepEqual(await memberEmails(t, a.accountId, welcome.id), ["ana@acme.es"]);
  });

  test("a workflow cannot act on the segment that starts it (it would start itself again)", async () => {
    const a = await t.createAccount();
    const vip = (await (await t.api(a.apiKey, "/segments", { json: { name: "VIP loop" } })).json()) as { id: number };
    const hx = { "HX-Request": "true" };
    const wf = await t.browser(a.adminCookie, "/workflows", { form: { name: "Loop" } });
    const id = Number(/\/workflows\/(\d+)/.exec(wf.headers.get("location")!)![1]);
    const trig = await t.browser(a.adminCookie, `/workflows/${id}/trigger`, { form: { trigger: "segment_left", segmentId: String(vip.id) }, headers: hx });
    assert.equal(trig.status, 200);
    await t.browser(a.adminCookie, `/workflows/${id}/actions`, { form: {}, headers: hx });
    const [draft] = await queryRows<{ key: string }>(
      t.db,
      sql`select draft->'actions'->0->>'key' as key from workflows where account_id = ${a.accountId} and id = ${id}`,
    );
    await t.browser(a.adminCookie, `/workflows/${id}/actions/${draft!.key}`, { form: { kind: "add", segmentId: String(vip.id) }, headers: hx });
    const saved = await t.browser(a.adminCookie, `/workflows/${id}/save`, { form: {} });
    assert.equal(saved.status, 422);
    assert.match(await saved.text(), /the segment that starts the workflow/);
    // Nor through another workflow: A -> B by one, B -> A by the other would start each other forever.
    const a1 = (await (await t.api(a.apiKey, "/segments", { json: { name: "Loop A" } })).json()) as { id: number };
    const b1 = (await (await t.api(a.apiKey, "/segments", { json: { name: "Loop B" } })).json()) as { id: number };
    await buildWorkflow(t, a, { name: "A to B", trigger: "segment_entered", actions: [{ kind: "add", segmentId: b1.id }], triggerSegmentId: a1.id });
    const back = await t.browser(a.adminCookie, "/workflows", { form: { name: "B to A" } });
    const backId = Number(/\/workflows\/(\d+)/.exec(back.headers.get("location")!)![1]);
    await t.browser(a.adminCookie, `/workflows/${backId}/trigger`, { form: { trigger: "segment_entered", segmentId: String(b1.id) }, headers: hx });
    await t.browser(a.adminCookie, `/workflows/${backId}/actions`, { form: {}, headers: hx });
    const [backDraft] = await queryRows<{ key: string }>(
      t.db,
      sql`select draft->'actions'->0->>'key' as key from workflows where account_id = ${a.accountId} and id = ${backId}`,
    );
    await t.browser(a.adminCookie, `/workflows/${backId}/actions/${backDraft!.key}`, { form: { kind: "add", segmentId: String(a1.id) }, headers: hx });
    const refused = await t.browser(a.adminCookie, `/workflows/${backId}/save`, { form: {} });
    assert.equal(refused.status, 422);
    assert.match(
      await refused.text(),
      /Its actions would start it again: this workflow changes &quot;Loop A&quot;, then workflow &quot;A to B&quot; changes &quot;Loop B&quot;/,
    );
    // Without a segment chosen, the trigger says so.
    const none = await t.browser(a.adminCookie, `/workflows/${id}/trigger`, { form: { trigger: "segment_entered", segmentId: "" }, headers: hx });
    assert.equal(none.status, 422);
    assert.match(await none.text(), /Choose the segment/);
  });
});
