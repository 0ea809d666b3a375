import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { decodeCursor, listContactPage, ORDER_LABELS, type OrderValue, type PagePosition } from "../../src/contacts/list";
import { drizzle } from "drizzle-orm/postgres-js";
import * as schema from "../../src/db/schema";
import { clearImportWriting, markImportWriting } from "../../src/imports/writing";
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

const decode = (href: string) => href.replace(/&amp;/g, "&");

async function search(a: TestAccount, q: string, base = "/contacts"): Promise<string[]> {
  const res = await t.browser(a.adminCookie, `${base}?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200);
  return emailsIn(await res.text()).sort();
}

describe("search as support staff search", () => {
  test("email prefix, domain, phone in any formatting, full name without accents, custom field value", async () => {
    const a = await t.createAccount();
    await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Tier", type: "text" } });
    await t.browser(a.adminCookie, "/admin/account", { form: { defaultCountry: "ES" } });
    const people = [
      { email: "ana.garcia@gmail.com", first_name: "Ana", last_name: "García", phone: "+34 600 12 34 56", custom: { tier: "Gold" } },
      { email: "luis@acme.es", first_name: "Luis", last_name: "Martín", phone: "611 22 33 44" },
      { email: "eva@sales.acme.es", first_name: "Eva", last_name: "Ruiz" },
      { email: "ana@notgmail.com", first_name: "Anabel", last_name: "Soto", custom: { tier: "silver" } },
      { email: "bob@example.com", first_name: "Bob", last_name: "Gold" },
    ];
    for (const p of people) assert.equal((await t.api(a.apiKey, "/contacts", { json: p })).status, 201);
    // A phone stored before phones were checked, as it was typed: searches find it however they write it.
    await queryRows(t.db, sql`insert into contacts (account_id, email, phone) values (${a.accountId}, 'old@example.com', '0034-699.88.77.66')`);

    assert.deepEqual(await search(a, "gmail.com"), ["ana.garcia@gmail.com"], "a domain matches whole labels, not notgmail.com");
    assert.deepEqual(await search(a, "@acme.es"), ["eva@sales.acme.es", "luis@acme.es"], "a domain includes its subdomains");
    assert.deepEqual(await search(a, "acme.es"), ["eva@sales.acme.es", "luis@acme.es"]);
    assert.deepEqual(await search(a, "+34 600 12 34 56"), ["ana.garcia@gmail.com"]);
    assert.deepEqual(await search(a, "600123456"), ["ana.garcia@gmail.com"]);
    assert.deepEqual(await search(a, "(611) 223-344"), ["luis@acme.es"], "stored in E.164 from a number written without its country");
    assert.deepEqual(await search(a, "+34 699 88 77 66"), ["old@example.com"]);
    assert.deepEqual(await search(a, "699887766"), ["old@example.com"]);
    assert.deepEqual(await search(a, "ana garcía"), ["ana.garcia@gmail.com"]);
    assert.deepEqual(await search(a, "ANA GARCIA"), ["ana.garcia@gmail.com"], "case and accents are ignored");
    assert.deepEqual(await search(a, "gold"), ["ana.garcia@gmail.com", "bob@example.com"], "a custom value (any case) or a name");
    assert.deepEqual(await search(a, "SILVER"), ["ana@notgmail.com"]);
    assert.deepEqual(await search(a, "ana"), ["ana.garcia@gmail.com", "ana@notgmail.com"], "email prefix and name contains");
    assert.deepEqual(await search(a, "ana.g"), ["ana.garcia@gmail.com"]);
    assert.deepEqual(await search(a, "nobody.here"), []);

    const api = await json(await t.api(a.apiKey, `/contacts?q=${encodeURIComponent("600 12 34 56")}`));
    assert.deepEqual(
      api.data.map((c: any) => c.email),
      ["ana.garcia@gmail.com"],
      "the API searches the same way",
    );

    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "Spain" } }));
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: ["luis@acme.es", "bob@example.com"] } });
    assert.deepEqual(await search(a, "@acme.es", `/segments/${seg.id}/contacts`), ["luis@acme.es"], "a segment's View contacts searches its members");
  });
});

describe("sorting and keyset paging", () => {
  const FIRST = ["Émile", "ana", "Bob", null, "Zoé"];
  const LAST = ["Durand", "álvarez", null, "Young"];
  const pgArray = (values: (string | null)[]) => `{${values.map((v) => (v === null ? "NULL" : `"${v}"`)).join(",")}}`;
  const fold = (s: string | null) => (s ?? "").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

  /** 130 contacts whose names, created and last change times tie in groups, with microseconds. */
  async function seed(a: TestAccount) {
    await queryRows(
      t.db,
      sql`insert into contacts (account_id, email, first_name, last_name, created_at, updated_at)
      select ${a.accountId}, 'p' || lpad(g::text, 3, '0') || '@example.test',
        (${pgArray(FIRST)}::text[])[1 + g % 5], (${pgArray(LAST)}::text[])[1 + g % 4],
        '2024-01-01 10:00:00.000001+00'::timestamptz + (g % 3) * interval '1.000001 second',
        '2024-06-01 10:00:00.5+00'::timestamptz - (g % 4) * interval '1 microsecond'
      from generate_series(1, 130) g`,
    );
    const rows = await queryRows<{ id: string; email: string; first_name: string | null; last_name: string | null; created_at: string; updated_at: string }>(
      t.db,
      sql`select id, email, first_name, last_name, extract(epoch from created_at)::text as created_at, extract(epoch from updated_at)::text as updated_at
      from contacts where account_id = ${a.accountId}`,
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  type Seeded = Awaited<ReturnType<typeof seed>>[number];

  function expected(rows: Seeded[], order: OrderValue): string[] {
    const [sort, dir] = order.split(/-(?=asc$|desc$)/) as [string, string];
    const key = (r: Seeded): string | number =>
      sort === "email"
        ? r.email
        : sort === "first_name"
          ? fold(r.first_name)
          : sort === "last_name"
            ? fold(r.last_name)
            : Number(sort === "created" ? r.created_at : r.updated_at);
    const sorted = [...rows].sort((x, y) => {
      const kx = key(x);
      const ky = key(y);
      const c = kx < ky ? -1 : kx > ky ? 1 : x.id - y.id;
      return dir === "asc" ? c : -c;
    });
    return sorted.map((r) => r.email);
  }

  async function walk(cookie: string, start: string, link: "Next" | "Previous"): Promise<{ emails: string[]; ranges: string[] }> {
    const emails: string[] = [];
    const ranges: string[] = [];
    let url: string | null = start;
    for (let i = 0; url && i < 20; i++) {
      const html = await (await t.browser(cookie, url)).text();
      const page = emailsIn(html);
      if (link === "Next") emails.push(...page);
      else emails.unshift(...page);
      const range = /hx-get="(\/contacts\/count[^"]+)"/.exec(html);
      if (range)
        ranges.push(
          (await (await t.browser(cookie, decode(range[1]!))).text())
            .replace(/<[^>]+>/g, "")
            .replace(/Select all.*/, "")
            .trim(),
        );
      const next = new RegExp(`href="([^"]+)"[^>]*rel="${link === "Next" ? "next" : "prev"}"`).exec(html);
      url = next ? decode(next[1]!) : null;
    }
    return { emails, ranges };
  }

  test("every order both ways: Next from the first page and Previous from the last see each contact once, in order", async () => {
    const a = await t.createAccount();
    const rows = await seed(a);
    for (const order of Object.keys(ORDER_LABELS) as OrderValue[]) {
      const want = expected(rows, order);
      const forward = await walk(a.adminCookie, `/contacts?order=${order}`, "Next");
      assert.deepEqual(forward.emails, want, `${order}: Next`);
      assert.deepEqual(forward.ranges, ["1–50 of 130", "51–100 of 130", "101–130 of 130"], `${order}: where am I`);
      const backward = await walk(a.adminCookie, `/contacts?order=${order}&last=1`, "Previous");
      assert.deepEqual(backward.emails, want, `${order}: Previous from Last`);
      assert.deepEqual(backward.ranges, ["81–130 of 130", "31–80 of 130", "1–30 of 130"], `${order}: Last is a full page; where am I from the end`);
    }
    const big = emailsIn(await (await t.browser(a.adminCookie, "/contacts?order=email-asc&size=100")).text());
    assert.deepEqual(big, expected(rows, "email-asc").slice(0, 100), "100 per page");
    const all = emailsIn(await (await t.browser(a.adminCookie, "/contacts?order=email-desc&size=500")).text());
    assert.deepEqual(all, expected(rows, "email-desc"), "500 per page");
    const odd = emailsIn(await (await t.browser(a.adminCookie, "/contacts?order=nonsense&size=7&after=garbage")).text());
    assert.deepEqual(odd, expected(rows, "created-desc").slice(0, 50), "unknown values fall back to the first page, newest first, 50");
  });

  test("a search or segment read through its own index and one read by walking the sort order give the same pages", async () => {
    const a = await t.createAccount();
    // Emails that begin with "ana", beside the first names "ana": a search for it matches both ways.
    await queryRows(t.db, sql`insert into contacts (account_id, email) select ${a.accountId}, 'ana.' || g || '@example.test' from generate_series(1, 25) g`);
    // A custom value "P12" beside the emails that begin with "p12": too few to fill a page, so collected through their indexes.
    await queryRows(
      t.db,
      sql`insert into contacts (account_id, email, custom) select ${a.accountId}, 'code.' || g || '@example.test', '{"code": "P12"}' from generate_series(1, 3) g`,
    );
    const rows = await seed(a);
    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "Half" } }));
    const half = rows.filter((r) => r.id % 2 === 0);
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: half.map((r) => r.email) } });
    for (const [filter, members] of [
      [{ q: "ana" }, rows.filter((r) => r.first_name === "ana" || r.email.startsWith("ana."))],
      [{ segmentId: seg.id as number }, half],
      [{ q: "zoe", segmentId: seg.id as number }, half.filter((r) => r.first_name === "Zoé")],
      [{ q: "p12" }, rows.filter((r) => r.email.startsWith("p12") || r.email.startsWith("code."))],
      [{ q: "p12", segmentId: seg.id as number }, half.filter((r) => r.email.startsWith("p12") || r.email.startsWith("code."))],
    ] as const) {
      for (const order of ["first_name-asc", "last_name-desc", "created-desc", "updated-asc", "email-asc", "email-desc"] as OrderValue[]) {
        const [sort, dir] = order.split(/-(?=asc$|desc$)/) as ["first_name", "asc"];
        const pages: Record<string, string[]> = {};
        // 0: every page walks the sort order; otherwise a search walks a bounded stretch of it first, then collects
        // through its own index, and a segment of at most smallSet members is collected through its own index.
        for (const smallSet of [0, 1, 10_000]) {
          const seen: string[] = [];
          let position: PagePosition = { kind: "first" };
          for (let i = 0; i < 20; i++) {
            const page = await listContactPage(t.db, a.accountId, filter, { sort, dir }, position, 20, { smallSet });
            seen.push(...page.rows.map((r) => r.email));
            if (!page.hasNext) break;
            position = { kind: "after", cursor: decodeCursor(page.last)! };
          }
          pages[smallSet] = seen;
        }
        assert.deepEqual(pages[0], expected([...members], order), `${JSON.stringify(filter)} ${order}, walking the sort order`);
        assert.deepEqual(pages[1], pages[0], `${JSON.stringify(filter)} ${order}, a bounded walk, then the search's index; a segment walked`);
        assert.deepEqual(pages[10_000], pages[0], `${JSON.stringify(filter)} ${order}, through the search's or segment's index`);
      }
    }
  });

  test("a segment's View contacts pages and sorts the same way, its total known at once", async () => {
    const a = await t.createAccount();
    const rows = await seed(a);
    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "All" } }));
    await t.api(a.apiKey, `/segments/${seg.id}/contacts`, { json: { emails: rows.map((r) => r.email) } });
    const first = await (await t.browser(a.adminCookie, `/segments/${seg.id}/contacts?order=last_name-asc`)).text();
    assert.match(first, /1–50 of 130/);
    assert.deepEqual(emailsIn(first), expected(rows, "last_name-asc").slice(0, 50));
    const last = await (await t.browser(a.adminCookie, `/segments/${seg.id}/contacts?order=last_name-asc&last=1`)).text();
    assert.match(last, /81–130 of 130/);
    assert.deepEqual(emailsIn(last), expected(rows, "last_name-asc").slice(80));
    assert.doesNotMatch(last, /rel="next"/, "the last page has no Next");
  });
});

describe("phone numbers are checked", () => {
  test("forms, the API, events and imports store E.164 in the account's country and refuse what does not parse", async () => {
    const a = await t.createAccount();
    assert.match(await (await t.browser(a.adminCookie, "/admin/account")).text(), /<option value="US" selected="">United States \(\+1\)/);

    const bad = await t.browser(a.adminCookie, "/contacts", { form: { email: "mia@example.test", phone: "call me maybe" } });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /id="f-phone-error">Enter a phone number/);
    assert.match(badHtml, /value="call me maybe"/, "the form keeps what was typed");
    assert.match(badHtml, /value="mia@example.test"/);
    const foreign = await t.browser(a.adminCookie, "/contacts", { form: { email: "mia@example.test", phone: "600 12 34 56" } });
    assert.equal(foreign.status, 422, "a Spanish number without +34 is not a US number");
    assert.match(await foreign.text(), /Not a valid phone number for United States: write it with its country code, like \+1/);
    assert.equal((await queryRows(t.db, sql`select 1 from contacts where account_id = ${a.accountId}`)).length, 0, "nothing was kept");

    const refused = await t.browser(a.adminCookie, "/admin/account", { form: { defaultCountry: "XX" } });
    assert.equal(refused.status, 422);
    const saved = await t.browser(a.adminCookie, "/admin/account", { form: { defaultCountry: "ES" } });
    assert.equal(saved.status, 303);
    const ok = await t.browser(a.adminCookie, "/contacts", { form: { email: "mia@example.test", phone: "600 12 34 56" } });
    assert.equal(ok.status, 303);
    const viewer = await a.userCookie("editor");
    assert.equal((await t.browser(viewer, "/admin/account", { form: { defaultCountry: "FR" } })).status, 403, "only admins change it");

    const apiBad = await t.api(a.apiKey, "/contacts", { json: { email: "api@example.test", phone: "call me maybe" } });
    assert.equal(apiBad.status, 422);
    assert.deepEqual((await json(apiBad)).error.field, "phone");
    const apiOk = await json(await t.api(a.apiKey, "/contacts", { json: { email: "api@example.test", phone: "(0034) 611-22-33-44" } }));
    assert.equal(apiOk.phone, "+34611223344");
    const patchBad = await t.api(a.apiKey, "/contacts/api@example.test", { method: "PATCH", json: { phone: "12" } });
    assert.equal(patchBad.status, 422);
    assert.equal((await json(patchBad)).error.field, "phone");
    assert.equal((await json(await t.api(a.apiKey, "/contacts/api@example.test"))).phone, "+34611223344", "the refused patch changed nothing");

    const event = await t.api(a.apiKey, "/events", {
      json: { id: "e-phone-1", type: "signup", email: "ev@example.test", contact: { phone: "call me maybe" } },
    });
    assert.equal(event.status, 422);
    assert.deepEqual((await json(event)).error.details, [
      { path: "contact.phone", message: "is not a valid phone number (Enter a phone number, like +34 600 12 34 56.)" },
    ]);
    const batch = await json(
      await t.api(a.apiKey, "/events/batch", {
        json: {
          events: [
            { id: "e-phone-2", type: "signup", email: "ev@example.test", contact: { phone: "612 345 678" } },
            { id: "e-phone-3", type: "signup", email: "ev2@example.test", contact: { phone: "nope 1" } },
          ],
        },
      }),
    );
    assert.deepEqual([batch.accepted, batch.rejected, batch.results[1].details[0].path], [1, 1, "events[1].contact.phone"]);
    const [ev] = await queryRows<{ phone: string }>(t.db, sql`select phone from contacts where account_id = ${a.accountId} and email = 'ev@example.test'`);
    assert.equal(ev!.phone, "+34612345678");

    const csv = "email,phone\nok@example.test,+34 622 11 22 33\nbad@example.test,call me maybe\nlocal@example.test,633445566\n";
    const res = await t.api(a.apiKey, "/imports", { method: "POST", body: new Uint8Array(Buffer.from(csv)), headers: { "Content-Type": "text/csv" } });
    const created = await json(res);
    await t.runJobs();
    const imported = await json(await t.api(a.apiKey, `/imports/${created.id}`));
    assert.deepEqual([imported.created, imported.invalid], [2, 1]);
    const report = (await (await t.api(a.apiKey, `/imports/${created.id}/errors`)).text()).trim().split("\r\n");
    assert.match(report[1]!, /^3,"?invalid phone: call me maybe \(Enter a phone number/, "the row problem names its line");
    const phones = await queryRows<{ email: string; phone: string }>(
      t.db,
      sql`select email, phone from contacts where account_id = ${a.accountId} and email in ('ok@example.test', 'local@example.test') order by email`,
    );
    assert.deepEqual(
      phones.map((p) => p.phone),
      ["+34633445566", "+34622112233"],
    );
  });
});

describe("bulk changes", () => {
  test("'Segment to change' starts empty; more than 1,000 contacts asks first, as a page and inline; ticks kept off screen count", async () => {
    const a = await t.createAccount();
    const seg = await json(await t.api(a.apiKey, "/segments", { json: { name: "Buyers 2026" } }));
    await queryRows(t.db, sql`insert into contacts (account_id, email) select ${a.accountId}, 'b' || g || '@example.test' from generate_series(1, 1001) g`);
    const list = await (await t.browser(a.adminCookie, `/contacts?segment=${seg.id}`)).text();
    const target = /<select id="bulk-target"[^>]*>([\s\S]*?)<\/select>/.exec(list)![1]!;
    assert.match(target, /^<option value="" selected="">Choose a segment<\/option>/);
    assert.equal((target.match(/selected/g) ?? []).length, 1, "no segment is chosen for the person, not even the filtered one");

    const noTarget = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", all: "1", target: "" } });
    assert.match(await t.noticeAfter(a.adminCookie, noTarget), /Choose a segment to change/);

    const asked = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", all: "1", target: String(seg.id), q: "", segment: "" } });
    assert.equal(asked.status, 200);
    const page = await asked.text();
    assert.match(page, /<h2 id="bulk-confirm-question">Add 1,001 contacts to Buyers 2026\?<\/h2>/);
    assert.match(page, /<html/);
    assert.match(page, /name="confirmed" value="1"/);
    const inline = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "remove", all: "1", target: String(seg.id) },
      headers: { "HX-Request": "true" },
    });
    const fragment = await inline.text();
    assert.doesNotMatch(fragment, /<html/);
    assert.match(fragment, /Remove 1,001 contacts from Buyers 2026\?/);
    assert.match(fragment, /data-dismiss="bulk-confirm"/);
    const [before] = await queryRows<{ n: string }>(t.db, sql`select member_count as n from segments where id = ${seg.id}`);
    assert.equal(Number(before!.n), 0, "asking changed nothing");

    const done = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "add", all: "1", target: String(seg.id), q: "", segment: "", confirmed: "1" },
    });
    assert.equal(done.status, 303);
    assert.match(await t.noticeAfter(a.adminCookie, done), /1,001 contacts added to Buyers 2026/);
    const [after] = await queryRows<{ n: string }>(t.db, sql`select member_count as n from segments where id = ${seg.id}`);
    assert.equal(Number(after!.n), 1001);

    const ids = await queryRows<{ id: string }>(t.db, sql`select id from contacts where account_id = ${a.accountId} order by id limit 3`);
    const other = await json(await t.api(a.apiKey, "/segments", { json: { name: "Few" } }));
    const few = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "add", target: String(other.id), ids: ids[0]!.id, kept: `${ids[1]!.id},${ids[2]!.id},${ids[0]!.id}` },
      headers: { "HX-Request": "true" },
    });
    assert.ok(few.headers.get("hx-redirect"), "htmx is sent to the result page");
    assert.match(await t.noticeAfter(a.adminCookie, few), /3 contacts added to Few/, "ticks kept off screen are changed too, once");
  });
});

describe("while an import's transaction writes contacts", () => {
  /** An import row to carry the mark (the run itself is played by the test's open transaction). */
  async function importRow(accountId: number): Promise<number> {
    const [row] = await queryRows<{ id: string }>(
      t.db,
      sql`insert into imports (account_id, source, file_id, file_name, encoding, delimiter, header, mapping, created_by_label)
      values (${accountId}, 'paste', 0, 'held.csv', 'utf-8', ',', '["email"]', '["email"]', 'a test') returning id`,
    );
    return Number(row!.id);
  }

  const pageOf = async (accountId: number, sort: "created" | "updated", dir: "asc" | "desc", q?: string, smallSet?: number) =>
    (await listContactPage(t.db, accountId, { q }, { sort, dir }, { kind: "first" }, 50, { smallSet })).rows.map((r) => r.email);

  test("the created and last-change orders list every committed contact around it, and its rows once it commits", async () => {
    const a = await t.createAccount();
    await queryRows(
      t.db,
      sql`insert into contacts (account_id, email, created_at, updated_at)
      select ${a.accountId}, 'old' || g || '@example.test', now() - g * interval '1 minute', now() - g * interval '1 minute' from generate_series(1, 3) g`,
    );
    const importId = await importRow(a.accountId);
    const conn = await t.database.sql.reserve();
    try {
      await conn`begin`;
      const tx = drizzle(Object.assign(conn, { options: t.database.sql.options }), { schema });
      const writer = await markImportWriting(t.db, tx, a.accountId, importId);
      await conn`insert into contacts (account_id, email) select ${a.accountId}, 'new' || g || '@example.test' from generate_series(1, 3) g`;
      await conn`update contacts set first_name = 'Changed', updated_at = now() where account_id = ${a.accountId} and email = 'old2@example.test'`;
      // Added by someone else while the import runs, and committed at once.
      await queryRows(t.db, sql`insert into contacts (account_id, email) values (${a.accountId}, 'during@example.test')`);

      const committed = ["during@example.test", "old1@example.test", "old2@example.test", "old3@example.test"];
      assert.deepEqual(await pageOf(a.accountId, "created", "desc"), committed);
      assert.deepEqual(await pageOf(a.accountId, "created", "asc"), [...committed].reverse());
      assert.deepEqual(await pageOf(a.accountId, "updated", "desc"), committed, "old2 in its committed place, its change not seen yet");
      assert.deepEqual(await pageOf(a.accountId, "created", "desc", "old", 0), committed.slice(1), "a search walking the order");

      await conn`commit`;
      assert.deepEqual(await pageOf(a.accountId, "created", "desc"), [
        "during@example.test",
        "new3@example.test",
        "new2@example.test",
        "new1@example.test",
        "old1@example.test",
        "old2@example.test",
        "old3@example.test",
      ]);
      assert.deepEqual((await pageOf(a.accountId, "updated", "desc")).slice(1, 5), [
        "new3@example.test",
        "new2@example.test",
        "new1@example.test",
        "old2@example.test",
      ]);

      // The mark is still there (a process that died between its commit and clearing it): the transaction is over,
      // so nothing is left out.
      assert.equal((await queryRows(t.db, sql`select 1 from imports where id = ${importId} and writing_xid is not null`)).length, 1);
      assert.equal((await pageOf(a.accountId, "created", "desc")).length, 7);
      await clearImportWriting(t.db, a.accountId, importId, writer);
      assert.equal((await queryRows(t.db, sql`select 1 from imports where id = ${importId} and writing_xid is not null`)).length, 0);
    } finally {
      await conn`rollback`.catch(() => {});
      conn.release();
    }
  });

  test("an import that applies clears its mark", async () => {
    const a = await t.createAccount();
    const res = await t.api(a.apiKey, "/imports", {
      method: "POST",
      body: new Uint8Array(Buffer.from("email\nkim@example.com\n")),
      headers: { "Content-Type": "text/csv" },
    });
    assert.equal(res.status, 202);
    await t.runJobs();
    const rows = await queryRows<{ writing_xid: string | null; writing_since: string | null }>(
      t.db,
      sql`select writing_xid, writing_since from imports where account_id = ${a.accountId}`,
    );
    assert.deepEqual([...rows], [{ writing_xid: null, writing_since: null }]);
    assert.deepEqual(await pageOf(a.accountId, "created", "desc"), ["kim@example.com"]);
  });
});
