import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

async function makeSegment(a: TestAccount, name: string, description = "") {
  const res = await t.api(a.apiKey, "/segments", { json: { name, description } });
  assert.equal(res.status, 201, await res.clone().text());
  return json(res);
}

async function events(accountId: number, segmentId: number) {
  return queryRows<{ action: string; contact_id: string | number; source_type: string; source_label: string; segment_name: string }>(
    t.db,
    sql`select action, contact_id, source_type, source_label, segment_name from membership_events where account_id = ${accountId} and segment_id = ${segmentId} order by id`,
  );
}

describe("segments API", () => {
  test("create, read, list, update and delete a static segment", async () => {
    const a = await t.createAccount();
    const created = await makeSegment(a, "Newsletter", "Weekly readers");
    assert.equal(created.type, "static");
    assert.equal(created.member_count, 0);
    assert.equal(created.description, "Weekly readers");
    assert.match(created.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(Object.keys(created).sort(), [
      "conditions",
      "created_at",
      "description",
      "id",
      "member_count",
      "name",
      "refresh_error",
      "refreshed_at",
      "type",
      "updated_at",
    ]);
    assert.equal(created.conditions, null, "a static segment has no conditions");

    const got = await json(await t.api(a.apiKey, `/segments/${created.id}`));
    assert.equal(got.name, "Newsletter");
    const list = await json(await t.api(a.apiKey, "/segments"));
    assert.deepEqual(
      list.data.map((s: any) => s.name),
      ["Newsletter"],
    );

    const patched = await t.api(a.apiKey, `/segments/${created.id}`, { method: "PATCH", json: { description: "Every Monday" } });
    assert.equal(patched.status, 200);
    const p = await json(patched);
    assert.equal(p.description, "Every Monday");
    assert.equal(p.name, "Newsletter");

    const del = await t.api(a.apiKey, `/segments/${created.id}`, { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.equal((await t.api(a.apiKey, `/segments/${created.id}`)).status, 404);
  });

  test("bad input is answered with the error body: empty name, duplicate name (any case), unknown field, bad JSON", async () => {
    const a = await t.createAccount();
    const empty = await t.api(a.apiKey, "/segments", { json: { name: "   " } });
    assert.equal(empty.status, 422);
    const e = await json(empty);
    assert.equal(e.error.code, "validation_failed");
    assert.equal(e.error.field, "name");
    assert.match(e.error.message, /segment name/);

    await makeSegment(a, "VIP");
    const dup = await t.api(a.apiKey, "/segments", { json: { name: "vip" } });
    assert.equal(dup.status, 409);
    const dupError = (await json(dup)).error;
    assert.deepEqual([dupError.code, dupError.field, dupError.former_code], ["conflict", "name", "name_taken"]);

    const other = await makeSegment(a, "Other");
    const rename = await t.api(a.apiKey, `/segments/${other.id}`, { method: "PATCH", json: { name: "Vip" } });
    assert.equal(rename.status, 409);

    const unknown = await t.api(a.apiKey, "/segments", { json: { name: "X", colour: "red" } });
    assert.equal(unknown.status, 422);
    assert.equal((await json(unknown)).error.field, "colour");

    const bad = await t.api(a.apiKey, "/segments", { body: "{not json", headers: { "Content-Type": "application/json" } });
    assert.equal(bad.status, 400);
    assert.equal((await json(bad)).error.code, "invalid_json");

    const missing = await t.api(a.apiKey, "/segments/999999");
    assert.equal(missing.status, 404);
    assert.equal((await json(missing)).error.code, "not_found");
  });

  test("add by email creates missing contacts, re-adding changes nothing, remove reports non-members; history and counts follow", async () => {
    const a = await t.createAccount();
    const seg = await makeSegment(a, "Buyers");
    await t.api(a.apiKey, "/contacts", { json: { email: "Known@Example.test", first_name: "Kim" } });

    const res = await t.api(a.apiKey, `/segments/${seg.id}/contacts`, {
      json: { emails: ["known@example.test", "new1@example.test", "NEW1@example.test", "not-an-email", "new2@example.test", 42] },
    });
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.added, 3);
    assert.equal(body.already_members, 0);
    assert.equal(body.created_contacts, 2);
    assert.deepEqual(
      body.invalid.map((i: any) => i.email),
      ["not-an-email", "42"],
    );
    assert.ok(body.invalid.every((i: any) => typeof i.reason === "string" && i.reason.length > 0));

    const again = await json(await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: ["KNOWN@example.test", "new2@example.test"] } }));
    assert.deepEqual([again.added, again.already_members, again.created_contacts], [0, 2, 0]);
    assert.equal((await json(await t.api(a.apiKey, `/segments/${seg.id}`))).member_count, 3);
    assert.equal((await events(a.accountId, seg.id)).length, 3, "an idempotent re-add records nothing");

    const members = await json(await t.api(a.apiKey, `/segments/${seg.id}/contacts?limit=2`));
    assert.equal(members.data.length, 2);
    assert.ok(members.next_cursor);
    assert.equal(members.data[0].source.type, "api_key");
    assert.equal(members.data[0].source.label, "API key tests");
    assert.match(members.data[0].added_at, /^\d{4}-/);
    const rest = await json(await t.api(a.apiKey, `/segments/${seg.id}/contacts?limit=2&cursor=${members.next_cursor}`));
    assert.equal(rest.data.length, 1);
    assert.equal(rest.next_cursor, null);
    const emails = [...members.data, ...rest.data].map((c: any) => c.email.toLowerCase()).sort();
    assert.deepEqual(emails, ["known@example.test", "new1@example.test", "new2@example.test"]);

    const removed = await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { method: "DELETE", json: { emails: ["new1@example.test", "nobody@example.test"] } });
    assert.equal(removed.status, 200);
    const r = await json(removed);
    assert.deepEqual([r.removed, r.not_members], [1, 1]);
    assert.equal((await json(await t.api(a.apiKey, `/segments/${seg.id}`))).member_count, 2);
    const history = await events(a.accountId, seg.id);
    assert.deepEqual(
      history.map((h) => h.action),
      ["added", "added", "added", "removed"],
    );
    assert.ok(history.every((h) => h.source_type === "api_key" && h.source_label === "API key tests" && h.segment_name === "Buyers"));

    const contactSegs = await json(await t.api(a.apiKey, "/contacts/known@example.test/segments"));
    assert.deepEqual(
      contactSegs.data.map((s: any) => s.name),
      ["Buyers"],
    );
  });

  test("the emails list is checked: not a list, empty, more than 10,000", async () => {
    const a = await t.createAccount();
    const seg = await makeSegment(a, "Big");
    const notList = await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: "a@b.test" } });
    assert.equal(notList.status, 422);
    assert.equal((await json(notList)).error.field, "emails");
    const emptyList = await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: [] } });
    assert.equal(emptyList.status, 422);
    const tooMany = Array.from({ length: 10_001 }, (_, i) => `p${i}@example.test`);
    const res = await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: tooMany } });
    assert.equal(res.status, 422);
    const e = await json(res);
    assert.deepEqual([e.error.code, e.error.former_code, e.error.details[0].path], ["validation_failed", "too_many_emails", "emails"]);
    assert.match(e.error.message, /10,000/);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from contacts where account_id = ${a.accountId}`);
    assert.equal(n, 0, "nothing was created");

    const ok = await json(await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: tooMany.slice(0, 10_000) } }));
    assert.equal(ok.added, 10_000);
    assert.equal(ok.created_contacts, 10_000);
    assert.equal((await json(await t.api(a.apiKey, `/segments/${seg.id}`))).member_count, 10_000);
  });

  test("deleting a segment removes memberships, never contacts, and records the exits", async () => {
    const a = await t.createAccount();
    const seg = await makeSegment(a, "Short-lived");
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: ["x1@example.test", "x2@example.test"] } });
    const page = await t.browser(a.adminCookie, `/segments/${seg.id}/delete`);
    assert.match(await page.text(), /It holds <strong[^>]*>2 contacts<\/strong>/);
    const del = await t.browser(a.adminCookie, `/segments/${seg.id}/delete`, { form: {} });
    assert.equal(del.status, 303);
    const [{ contacts, members }] = await queryRows<{ contacts: number; members: number }>(
      t.db,
      sql`select (select count(*)::int from contacts where account_id = ${a.accountId}) as contacts,
                 (select count(*)::int from segment_members where account_id = ${a.accountId}) as members`,
    );
    assert.deepEqual([contacts, members], [2, 0]);
    const history = await events(a.accountId, seg.id);
    assert.deepEqual(
      history.map((h) => h.action),
      ["added", "added", "removed", "removed"],
    );
    assert.equal(history[3]!.source_type, "user");
  });

  test("tenant isolation: another account's segment and contacts answer 404 and are never changed", async () => {
    const a = await t.createAccount();
    const b = await t.createAccount();
    const segA = await makeSegment(a, "Mine");
    await t.api(a.apiKey, `/segments/${segA.id}/contacts`, { json: { emails: ["secret@example.test"] } });
    assert.equal((await t.api(b.apiKey, `/segments/${segA.id}`)).status, 404);
    assert.equal((await t.api(b.apiKey, `/segments/${segA.id}/contacts`)).status, 404);
    assert.equal((await t.api(b.apiKey, `/segments/${segA.id}/contacts`, { json: { emails: ["b@example.test"] } })).status, 404);
    assert.equal((await t.api(b.apiKey, `/segments/${segA.id}`, { method: "PATCH", json: { name: "Stolen" } })).status, 404);
    assert.equal((await t.api(b.apiKey, `/segments/${segA.id}`, { method: "DELETE" })).status, 404);
    assert.equal((await t.api(b.apiKey, "/contacts/secret@example.test")).status, 404);
    assert.equal((await t.api(b.apiKey, `/contacts?segment_id=${segA.id}`)).status, 404);
    assert.deepEqual((await json(await t.api(b.apiKey, "/segments"))).data, []);
    assert.equal((await t.browser(b.adminCookie, `/segments/${segA.id}`)).status, 404);
    assert.equal((await t.browser(b.adminCookie, `/segments/${segA.id}/contacts`, { form: { email: "x@example.test" } })).status, 404);
    // The same name is free in another account.
    assert.equal((await t.api(b.apiKey, "/segments", { json: { name: "Mine" } })).status, 201);
    const after = await json(await t.api(a.apiKey, `/segments/${segA.id}`));
    assert.equal(after.name, "Mine");
    assert.equal(after.member_count, 1);
  });
});

describe("segment pages", () => {
  test("create with the form: errors keep the input; then add by email (creating the contact), re-add, remove, history", async () => {
    const a = await t.createAccount();
    const bad = await t.browser(a.adminCookie, "/segments", { form: { type: "static", name: "", description: "kept text" } });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /Enter a segment name/);
    assert.match(badHtml, /kept text/);

    const res = await t.browser(a.adminCookie, "/segments", { form: { type: "static", name: "Spring sale", description: "Bought in March" } });
    assert.equal(res.status, 303);
    const location = res.headers.get("location")!;
    const id = Number(/\/segments\/(\d+)\/contacts/.exec(location)![1]);

    const dup = await t.browser(a.adminCookie, "/segments", { form: { type: "static", name: "SPRING SALE" } });
    assert.equal(dup.status, 422);
    const dupHtml = await dup.text();
    assert.match(dupHtml, /already exists/);
    assert.match(dupHtml, /value="SPRING SALE"/);

    const add = await t.browser(a.adminCookie, `/segments/${id}/contacts`, { form: { email: "Lena@Example.test" } });
    assert.equal(add.status, 303);
    assert.match(await t.noticeAfter(a.adminCookie, add), /was not a contact yet: the contact was created and added/);
    const again = await t.browser(a.adminCookie, `/segments/${id}/contacts`, { form: { email: "lena@example.test" } });
    assert.match(await t.noticeAfter(a.adminCookie, again), /already in this segment; nothing changed/);
    const invalid = await t.browser(a.adminCookie, `/segments/${id}/contacts`, { form: { email: "lena" } });
    assert.equal(invalid.status, 422);
    assert.match(await invalid.text(), /Enter a valid email address/);

    const members = await (await t.browser(a.adminCookie, `/segments/${id}/contacts`)).text();
    assert.match(members, /Lena@Example\.test/);
    assert.match(members, /Manual by Admin \d+/, "the member row says by what it was added");

    const [{ cid }] = await queryRows<{ cid: number }>(t.db, sql`select id::int as cid from contacts where account_id = ${a.accountId}`);
    const rm = await t.browser(a.adminCookie, `/segments/${id}/contacts/remove`, { form: { ids: String(cid), back: `/segments/${id}/contacts` } });
    assert.equal(rm.status, 303);
    const page = await (await t.browser(a.adminCookie, `/segments/${id}`)).text();
    assert.match(page, /0 contacts/);
    assert.equal((page.match(/class="badge added"/g) ?? []).length, 1);
    assert.equal((page.match(/class="badge removed"/g) ?? []).length, 1);

    const list = await t.browser(a.adminCookie, "/segments?q=spring", { headers: { "HX-Request": "true" } });
    const fragment = await list.text();
    assert.match(list.headers.get("vary") ?? "", /(^|, )HX-Request(,|$)/);
    assert.doesNotMatch(fragment, /<html/, "htmx gets only the table");
    assert.match(fragment, /Spring sale/);
    assert.doesNotMatch(await (await t.browser(a.adminCookie, "/segments?q=autumn", { headers: { "HX-Request": "true" } })).text(), /Spring sale/);
  });

  test("roles: a viewer reads segments without write buttons and is refused writes; an editor writes", async () => {
    const a = await t.createAccount();
    const seg = await makeSegment(a, "Readers");
    const viewer = await a.userCookie("viewer");
    const list = await t.browser(viewer, "/segments");
    assert.equal(list.status, 200);
    const html = await list.text();
    assert.match(html, /Readers/);
    assert.doesNotMatch(html, /Create new segment/);
    const members = await (await t.browser(viewer, `/segments/${seg.id}/contacts`)).text();
    assert.doesNotMatch(members, /Add contact/);
    assert.equal((await t.browser(viewer, "/segments", { form: { name: "Nope" } })).status, 403);
    assert.equal((await t.browser(viewer, `/segments/${seg.id}/contacts`, { form: { email: "v@example.test" } })).status, 403);
    assert.equal((await t.browser(viewer, `/segments/${seg.id}/delete`, { form: {} })).status, 403);
    assert.equal((await t.browser(viewer, `/segments/${seg.id}`, { form: { name: "Renamed" } })).status, 403);
    const editor = await a.userCookie("editor");
    assert.equal((await t.browser(editor, "/segments", { form: { type: "static", name: "Editors' pick" } })).status, 303);
    assert.equal((await t.browser(null, "/segments")).status, 303, "anonymous visitors go to sign-in");
  });
});
