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

function emailsIn(html: string): string[] {
  return [...html.matchAll(/<a href="\/contacts\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]!);
}

async function seedPeople(a: TestAccount) {
  const people = [
    { email: "zoe.muller@example.test", first_name: "Zoë", last_name: "Müller" },
    { email: "Andre@Example.test", first_name: "André", last_name: "Martin" },
    { email: "anna@example.test", first_name: "Anna", last_name: "Schmidt" },
    { email: "bob@example.test", first_name: "Bob", last_name: "Marley" },
    { email: "chloe@example.test", first_name: "Chloé", last_name: "Dubois" },
  ];
  const ids: Record<string, number> = {};
  for (const p of people) {
    const res = await t.api(a.apiKey, "/contacts", { json: p });
    assert.equal(res.status, 201, await res.clone().text());
    ids[p.email.toLowerCase()] = (await json(res)).id;
  }
  return ids;
}

describe("Contacts > See all", () => {
  test("search: email prefix and name contains, case- and accent-insensitive; htmx swaps only the results", async () => {
    const a = await t.createAccount();
    await seedPeople(a);
    const all = await (await t.browser(a.adminCookie, "/contacts")).text();
    assert.deepEqual(
      emailsIn(all),
      ["chloe@example.test", "bob@example.test", "anna@example.test", "Andre@Example.test", "zoe.muller@example.test"],
      "newest first",
    );

    const prefix = await (await t.browser(a.adminCookie, "/contacts?q=AN")).text();
    assert.deepEqual(emailsIn(prefix).sort(), ["Andre@Example.test", "anna@example.test"]);
    const muller = await (await t.browser(a.adminCookie, "/contacts?q=muller")).text();
    assert.deepEqual(emailsIn(muller), ["zoe.muller@example.test"]);
    const accented = await (await t.browser(a.adminCookie, "/contacts?q=CHLOÉ")).text();
    assert.deepEqual(emailsIn(accented), ["chloe@example.test"]);
    const andre = await (await t.browser(a.adminCookie, "/contacts?q=andré mar")).text();
    assert.deepEqual(emailsIn(andre), ["Andre@Example.test"], "name contains across first and last name");
    const mar = await (await t.browser(a.adminCookie, "/contacts?q=mar")).text();
    assert.deepEqual(emailsIn(mar).sort(), ["Andre@Example.test", "bob@example.test"]);
    const emailish = await (await t.browser(a.adminCookie, "/contacts?q=Zoe.Mu")).text();
    assert.deepEqual(emailsIn(emailish), ["zoe.muller@example.test"], "a dotted word searches emails only");
    const wildcard = await (await t.browser(a.adminCookie, "/contacts?q=%25")).text();
    assert.deepEqual(emailsIn(wildcard), [], "% is searched for literally");

    const frag = await t.browser(a.adminCookie, "/contacts?q=bob", { headers: { "HX-Request": "true" } });
    const fragHtml = await frag.text();
    assert.match(frag.headers.get("vary") ?? "", /(^|, )HX-Request(,|$)/);
    assert.doesNotMatch(fragHtml, /<html/);
    assert.match(fragHtml, /id="contacts-results"/);
    assert.deepEqual(emailsIn(fragHtml), ["bob@example.test"]);
  });

  test("keyset pages: every contact exactly once, newest first", async () => {
    const a = await t.createAccount();
    const emails = Array.from({ length: 120 }, (_, i) => `page${String(i).padStart(3, "0")}@example.test`);
    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "All" } }));
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails } });
    const seen: string[] = [];
    let url: string | null = "/contacts";
    let pages = 0;
    while (url) {
      const html = await (await t.browser(a.adminCookie, url)).text();
      seen.push(...emailsIn(html));
      const next = /href="(\/contacts\?after=[^"]+)"[^>]*>\s*Next</.exec(html);
      url = next ? next[1]!.replace(/&amp;/g, "&") : null;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    const api: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Record<string, any> = await json(await t.api(a.apiKey, `/contacts?segment_id=${seg.id}&limit=50${cursor ? `&cursor=${cursor}` : ""}`));
      api.push(...page.data.map((c: any) => c.email));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(api, seen, "the API pages the segment in the same order");
    assert.equal((await t.api(a.apiKey, "/contacts?limit=0")).status, 400);
    assert.equal((await t.api(a.apiKey, "/contacts?cursor=abc")).status, 400);
  });

  test("segment filter, then bulk add and remove of all matching (one statement), with history and exact counts", async () => {
    const a = await t.createAccount();
    const ids = await seedPeople(a);
    const vip = await json(await t.api(a.apiKey, "/segments", { json: { name: "VIP" } }));
    const fans = await json(await t.api(a.apiKey, "/segments", { json: { name: "Fans" } }));

    // Ticked rows.
    const ticked = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "add", target: String(vip.id), ids: [String(ids["anna@example.test"]), String(ids["bob@example.test"])] },
    });
    assert.equal(ticked.status, 303);
    assert.match(await t.noticeAfter(a.adminCookie, ticked), /2 contacts added to VIP/);

    const filtered = await (await t.browser(a.adminCookie, `/contacts?segment=${vip.id}`)).text();
    assert.deepEqual(emailsIn(filtered).sort(), ["anna@example.test", "bob@example.test"]);
    assert.match(filtered, /Select all 2 matching/);
    assert.match(filtered, /Manual by Admin/);

    // All matching a search: "ma" is Martin and Marley (names) — and no email starts with "ma".
    const all = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(fans.id), all: "1", q: "ma", segment: "" } });
    assert.match(await t.noticeAfter(a.adminCookie, all), /2 contacts added to Fans/);
    const count = await (await t.browser(a.adminCookie, "/contacts/count?q=ma")).text();
    assert.match(count, /Select all 2 matching/);

    // All matching search and segment filter together: members of VIP whose name contains "ma" = Bob.
    const both = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "remove", target: String(fans.id), all: "1", q: "ma", segment: String(vip.id) },
    });
    assert.match(await t.noticeAfter(a.adminCookie, both), /1 contact removed from Fans/);
    const fansMembers = await json(await t.api(a.apiKey, `/segments/${fans.id}/contacts`));
    assert.deepEqual(
      fansMembers.data.map((c: any) => c.email),
      ["Andre@Example.test"],
    );

    // Adding all 5 again: the existing member is left alone and recorded once.
    const again = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(fans.id), all: "1", q: "", segment: "" } });
    assert.match(await t.noticeAfter(a.adminCookie, again), /4 contacts added to Fans \(1 was already in it\)/);
    const [{ n, added }] = await queryRows<{ n: number; added: number }>(
      t.db,
      sql`select count(*)::int as n, count(*) filter (where action = 'added')::int as added from membership_events where account_id = ${a.accountId} and segment_id = ${fans.id}`,
    );
    assert.deepEqual([n, added], [7, 6]);
    const segs = await json(await t.api(a.apiKey, "/segments"));
    assert.deepEqual(Object.fromEntries(segs.data.map((s: any) => [s.name, s.member_count])), { VIP: 2, Fans: 5 });
    const [{ real }] = await queryRows<{ real: number }>(
      t.db,
      sql`select count(*)::int as real from segment_members where account_id = ${a.accountId} and segment_id = ${fans.id}`,
    );
    assert.equal(real, 5);
  });

  test("contact page: edit fields and custom values by type, segments with add/remove, history, delete", async () => {
    const a = await t.createAccount();
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Loyalty points", type: "number" } });
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Birthday", type: "date" } });
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Newsletter", type: "boolean" } });
    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "Club" } }));

    const created = await t.browser(a.adminCookie, "/contacts", {
      form: {
        email: "Mia@Example.test",
        firstName: "Mia",
        lastName: "",
        phone: "",
        "custom.loyalty_points": "12",
        "custom.birthday": "",
        "custom.newsletter": "true",
      },
    });
    assert.equal(created.status, 303);
    const id = Number(/\/contacts\/(\d+)/.exec(created.headers.get("location")!)![1]);
    const dup = await t.browser(a.adminCookie, "/contacts", { form: { email: "mia@example.TEST" } });
    assert.equal(dup.status, 422);
    assert.match(await dup.text(), /already exists/);

    const bad = await t.browser(a.adminCookie, `/contacts/${id}`, {
      form: { email: "Mia@Example.test", firstName: "Mia", "custom.loyalty_points": "lots", "custom.birthday": "2024-02-30" },
    });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /Loyalty points must be a number/);
    assert.match(badHtml, /Birthday must be a date/);
    assert.match(badHtml, /value="lots"/, "the form keeps the input");

    const ok = await t.browser(a.adminCookie, `/contacts/${id}`, {
      form: {
        email: "Mia@Example.test",
        firstName: "Mia",
        lastName: "Rossi",
        phone: "+39 347 123 4567",
        "custom.loyalty_points": "40.5",
        "custom.birthday": "1990-04-01",
        "custom.newsletter": "",
      },
    });
    assert.equal(ok.status, 303);
    const apiView = await json(await t.api(a.apiKey, "/contacts/MIA@example.test"));
    assert.equal(apiView.last_name, "Rossi");
    assert.equal(apiView.phone, "+393471234567", "stored in E.164");
    assert.deepEqual(apiView.custom, { loyalty_points: 40.5, birthday: "1990-04-01" }, "an emptied yes/no value is removed");

    const add = await t.browser(a.adminCookie, `/contacts/${id}/segments`, { form: { segment: String(seg.id) } });
    assert.match(await t.noticeAfter(a.adminCookie, add), /Added to Club/);
    const rm = await t.browser(a.adminCookie, `/contacts/${id}/segments/${seg.id}/remove`, { form: {} });
    assert.match(await t.noticeAfter(a.adminCookie, rm), /Removed from Club/);
    const page = await (await t.browser(a.adminCookie, `/contacts/${id}`)).text();
    assert.match(page, /Membership history/);
    assert.equal((page.match(/class="badge added"/g) ?? []).length, 1);
    assert.equal((page.match(/class="badge removed"/g) ?? []).length, 1);
    await t.browser(a.adminCookie, `/contacts/${id}/segments`, { form: { segment: String(seg.id) } });

    const del = await t.browser(a.adminCookie, `/contacts/${id}/delete`, { form: {} });
    assert.equal(del.status, 303);
    assert.equal((await t.api(a.apiKey, "/contacts/mia@example.test")).status, 404);
    const club = await json(await t.api(a.apiKey, `/segments/${seg.id}`));
    assert.equal(club.member_count, 0, "deleting a contact keeps member counts exact");
    const segPage = await (await t.browser(a.adminCookie, `/segments/${seg.id}`)).text();
    assert.match(segPage, /deleted contact #\d+/, "history outlives the contact");
  });

  test("roles and tenants: a viewer sees no write controls and is refused; another account's contact is 404", async () => {
    const a = await t.createAccount();
    const b = await t.createAccount();
    const ids = await seedPeople(a);
    await t.api(a.apiKey, "/segments", { json: { name: "S" } });
    const viewer = await a.userCookie("viewer");
    const list = await (await t.browser(viewer, "/contacts")).text();
    assert.match(list, /anna@example\.test/);
    assert.doesNotMatch(list, /Add to segment|Add contact|type="checkbox"/);
    const page = await (await t.browser(viewer, `/contacts/${ids["anna@example.test"]}`)).text();
    assert.doesNotMatch(page, /<form method="post"[^>]*action="\/contacts/);
    assert.equal((await t.browser(viewer, "/contacts", { form: { email: "v@example.test" } })).status, 403);
    assert.equal((await t.browser(viewer, "/contacts/bulk", { form: { action: "add", all: "1", target: "1" } })).status, 403);
    assert.equal((await t.browser(viewer, `/contacts/${ids["anna@example.test"]}/delete`, { form: {} })).status, 403);
    assert.equal((await t.browser(b.adminCookie, `/contacts/${ids["anna@example.test"]}`)).status, 404);
    assert.equal((await t.browser(b.adminCookie, `/contacts/${ids["anna@example.test"]}/delete`, { form: {} })).status, 404);
    const bList = await (await t.browser(b.adminCookie, "/contacts?q=anna")).text();
    assert.deepEqual(emailsIn(bList), []);
    // Bulk "all matching" in account B never touches A's contacts.
    const segB = await json(await t.api(b.apiKey, "/segments", { json: { name: "B" } }));
    await t.browser(b.adminCookie, "/contacts/bulk", { form: { action: "add", all: "1", target: String(segB.id) } });
    assert.equal((await json(await t.api(b.apiKey, `/segments/${segB.id}`))).member_count, 0);
  });
});

describe("contacts API", () => {
  test("create or update by email, read, patch, delete, and the error body", async () => {
    const a = await t.createAccount();
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "VIP", type: "boolean" } });
    const created = await t.api(a.apiKey, "/contacts", { json: { email: "Ola@Example.test", first_name: "Ola", custom: { vip: true } } });
    assert.equal(created.status, 201);
    const c1 = await json(created);
    assert.equal(c1.created, true);
    assert.equal(c1.email, "Ola@Example.test");
    assert.deepEqual(c1.custom, { vip: true });

    const updated = await t.api(a.apiKey, "/contacts", { json: { email: "ola@example.test", last_name: "Nordmann" } });
    assert.equal(updated.status, 200);
    const c2 = await json(updated);
    assert.equal(c2.id, c1.id);
    assert.equal(c2.first_name, "Ola", "absent values are kept");
    assert.equal(c2.last_name, "Nordmann");

    const badEmail = await t.api(a.apiKey, "/contacts", { json: { email: "ola at example" } });
    assert.equal(badEmail.status, 422);
    assert.deepEqual((await json(badEmail)).error.field, "email");
    const badCustom = await t.api(a.apiKey, "/contacts", { json: { email: "x@example.test", custom: { vip: "maybe" } } });
    assert.equal(badCustom.status, 422);
    assert.equal((await json(badCustom)).error.field, "custom.vip");
    const unknownCustom = await t.api(a.apiKey, "/contacts", { json: { email: "x@example.test", custom: { shoe: 42 } } });
    assert.equal(unknownCustom.status, 422);

    const patched = await t.api(a.apiKey, "/contacts/OLA@example.test", { method: "PATCH", json: { phone: "+47 412 34 567", custom: { vip: null } } });
    assert.equal(patched.status, 200);
    const p = await json(patched);
    assert.equal(p.phone, "+4741234567");
    assert.deepEqual(p.custom, {});

    await t.api(a.apiKey, "/contacts", { json: { email: "taken@example.test" } });
    const clash = await t.api(a.apiKey, "/contacts/ola@example.test", { method: "PATCH", json: { email: "TAKEN@example.test" } });
    assert.equal(clash.status, 409);
    const clashError = (await json(clash)).error;
    assert.deepEqual([clashError.code, clashError.field, clashError.former_code], ["conflict", "email", "email_taken"]);

    const search = await json(await t.api(a.apiKey, "/contacts?q=nord"));
    assert.deepEqual(
      search.data.map((c: any) => c.email),
      ["Ola@Example.test"],
    );
    assert.equal(search.next_cursor, null);

    const del = await t.api(a.apiKey, `/contacts/${encodeURIComponent("ola@example.test")}`, { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.equal((await t.api(a.apiKey, "/contacts/ola@example.test")).status, 404);
    assert.equal((await t.api(a.apiKey, "/contacts/ola@example.test/segments")).status, 404);
  });
});
