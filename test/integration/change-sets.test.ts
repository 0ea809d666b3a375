// Change sets and Undo everywhere: bulk changes by hand, workflow runs and PUT .../contacts are one change set each;
// undo from the notice, the history and the API, with its counts; skipped members; refusals; an undo racing a workflow.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { assertCountExact as countIsExact, assertHistoryEndsAsMembers, buildWorkflow, memberEmails } from "./workflows-helpers";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

interface ChangeSetJson {
  id: number;
  kind: string;
  label: string;
  joined: number;
  left: number;
  skipped: number;
  undoable: boolean;
  not_undoable_reason: string | null;
  undoes_id: number | null;
  undone_by_id: number | null;
  message?: string;
}

async function segmentWith(a: TestAccount, name: string, emails: string[]): Promise<number> {
  const res = await t.api(a.apiKey, "/segments", { json: { name } });
  const { id } = (await res.json()) as { id: number };
  if (emails.length > 0) assert.equal((await t.api(a.apiKey, `/segments/${id}/contacts`, { json: { emails } })).status, 200);
  return id;
}

/** Contacts by email (created through a scratch segment, so that they exist without being in the segment tested). */
async function contactIds(a: TestAccount, emails: string[]): Promise<number[]> {
  await segmentWith(a, `scratch ${Math.random()}`, emails);
  const rows = await queryRows<{ id: string }>(
    t.db,
    sql`select id from contacts where account_id = ${a.accountId} and lower(email) = any(${`{${emails.join(",")}}`}::text[]) order by id`,
  );
  return rows.map((r) => Number(r.id));
}

const members = (a: TestAccount, segmentId: number) => memberEmails(t, a.accountId, segmentId);

/** The stored member count equals the members there are. */
const assertCountExact = (a: TestAccount, segmentId: number) => countIsExact(t, a.accountId, segmentId);

async function changeSets(a: TestAccount, segmentId: number): Promise<ChangeSetJson[]> {
  const res = await t.api(a.apiKey, `/segments/${segmentId}/change-sets?limit=500`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: ChangeSetJson[] }).data;
}

/** The Undo form a page or notice carries for a change set: its action, with `&amp;` read back. */
function undoAction(html: string, changeSetId: number): string {
  const m = new RegExp(`<form method="post" action="(/segments/\\d+/change-sets/${changeSetId}/undo[^"]*)"`).exec(html);
  assert.ok(m, `an Undo form for change set ${changeSetId}`);
  return m[1]!.replaceAll("&amp;", "&");
}

/** Follows a form's redirect with its flash cookie: the page's HTML and the toasts' text. */
async function pageAfter(a: TestAccount, res: Response): Promise<{ html: string; notice: string }> {
  assert.ok([200, 303].includes(res.status), `status ${res.status}`);
  const flash = res.headers.getSetCookie().find((line) => line.startsWith("roster_flash="));
  assert.ok(flash, "a notice was set");
  const page = await t.browser(`${a.adminCookie}; ${flash.split(";")[0]}`, (res.headers.get("location") ?? res.headers.get("hx-redirect"))!);
  const html = await page.text();
  const notice = [...html.matchAll(/<div class="notice toast[^"]*" role="status"[^>]*><p>(.*?)<\/p>/gs)].map((m) => m[1]!).join("\n");
  return { html, notice };
}

describe("bulk changes by hand", () => {
  test("ticked contacts added from Contacts are one change set; Undo in the notice takes them out again, once", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Buyers", ["old@x.test"]);
    const ids = await contactIds(a, ["ann@x.test", "bob@x.test", "cat@x.test", "old@x.test"]);
    const res = await t.browser(a.adminCookie, "/contacts/bulk", {
      form: { action: "add", target: String(seg), ids: ids.map(String) },
      headers: { "HX-Request": "true" },
    });
    const { html, notice } = await pageAfter(a, res);
    assert.match(notice, /3 contacts added to Buyers \(1 was already in it\)\./);
    const [set, ...others] = await changeSets(a, seg);
    assert.equal(others.length, 0, "adding one email by API first made no change set (POST .../contacts stays one at a time)");
    assert.equal(set!.kind, "manual");
    assert.match(set!.label, /^bulk change by /);
    assert.deepEqual([set!.joined, set!.left, set!.undoable], [3, 0, true]);
    const [entries] = await queryRows<{ n: string }>(
      t.db,
      sql`select count(*) as n from membership_events where account_id = ${a.accountId} and change_set_id = ${set!.id}`,
    );
    assert.equal(Number(entries!.n), 3, "each entry names its change set");

    const undo = await t.browser(a.adminCookie, undoAction(html, set!.id), { form: {} });
    assert.equal(undo.status, 303);
    assert.equal(undo.headers.get("location"), "/contacts", "back where the change was made");
    assert.match((await pageAfter(a, undo)).notice, /Undid bulk change by .*: 3 left, 0 came back\./);
    assert.deepEqual(await members(a, seg), ["old@x.test"]);
    await assertCountExact(a, seg);

    const again = await t.browser(a.adminCookie, undoAction(html, set!.id), { form: {} });
    assert.match((await pageAfter(a, again)).notice, /Not undone: Bulk change by .* has already been undone\./);
    assert.deepEqual(await members(a, seg), ["old@x.test"]);
    // Redo is refused: an undo is not undone.
    const [undoSet] = await changeSets(a, seg);
    assert.equal(undoSet!.kind, "undo");
    assert.equal(undoSet!.undoable, false);
    const redo = await t.browser(a.adminCookie, `/segments/${seg}/change-sets/${undoSet!.id}/undo`, { form: {} });
    assert.match((await pageAfter(a, redo)).notice, /is itself an undo: it cannot be undone/);
    assert.deepEqual(await members(a, seg), ["old@x.test"]);
  });

  test("“all matching” removal is one change set, and its undo brings every one back", async () => {
    const a = await t.createAccount();
    const emails = Array.from({ length: 30 }, (_, i) => `p${i}@shop.test`);
    const seg = await segmentWith(a, "Shop", [...emails, "keep@other.test"]);
    const res = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "remove", all: "1", q: "shop.test", target: String(seg) } });
    const { html, notice } = await pageAfter(a, res);
    assert.match(notice, /30 contacts removed from Shop\./);
    assert.deepEqual(await members(a, seg), ["keep@other.test"]);
    const [set] = await changeSets(a, seg);
    assert.deepEqual([set!.kind, set!.joined, set!.left], ["manual", 0, 30]);
    const undone = await pageAfter(a, await t.browser(a.adminCookie, undoAction(html, set!.id), { form: {} }));
    assert.match(undone.notice, /: 0 left, 30 came back\./);
    assert.equal((await members(a, seg)).length, 31);
    await assertCountExact(a, seg);
  });

  test("a segment members page's removal of ticked rows is one change set, undone from the segment's history", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Members", ["ann@x.test", "bob@x.test", "cat@x.test"]);
    const ids = await contactIds(a, ["ann@x.test", "bob@x.test"]);
    const res = await t.browser(a.adminCookie, `/segments/${seg}/contacts/remove`, { form: { ids: ids.map(String), back: `/segments/${seg}/contacts` } });
    const { notice } = await pageAfter(a, res);
    assert.match(notice, /2 contacts removed from Members\./);
    const [set] = await changeSets(a, seg);
    assert.deepEqual([set!.kind, set!.left], ["manual", 2]);
    // The history shows the change set as one line with its counts and Undo; the entries added one by API stay single.
    const history = await (await t.browser(a.adminCookie, `/segments/${seg}`)).text();
    const line = new RegExp(`<tr data-change-set="${set!.id}">([\\s\\S]*?)</tr>`).exec(history);
    assert.ok(line, "one line for the change set");
    assert.match(line[1]!, /2 left/);
    assert.match(line[1]!, /Bulk change by /);
    assert.equal((history.match(/<span class="badge added">Added<\/span>/g) ?? []).length, 3, "the three additions one at a time");
    const undo = await t.browser(a.adminCookie, undoAction(line[1]!, set!.id), { form: {} });
    assert.equal(undo.headers.get("location"), `/segments/${seg}`);
    const after = await pageAfter(a, undo);
    assert.match(after.notice, /0 left, 2 came back\./);
    assert.match(new RegExp(`<tr data-change-set="${set!.id}">([\\s\\S]*?)</tr>`).exec(after.html)![1]!, /Undone by /);
    assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test", "cat@x.test"]);
  });

  test("removing more than 1,000 ticked members asks first, with the count and the segment's name", async () => {
    const a = await t.createAccount();
    const emails = Array.from({ length: 1001 }, (_, i) => `m${i}@x.test`);
    const seg = await segmentWith(a, "Big list", emails);
    const ids = await contactIds(a, emails);
    const asked = await t.browser(a.adminCookie, `/segments/${seg}/contacts/remove`, { form: { kept: ids.join(","), back: `/segments/${seg}/contacts` } });
    assert.equal(asked.status, 200);
    const page = await asked.text();
    assert.match(page, /Remove 1,001 contacts from Big list\?/);
    assert.match(page, new RegExp(`action="/segments/${seg}/contacts/remove"`));
    assert.equal(await assertCountExact(a, seg), 1001, "nothing removed before the answer");
    const done = await t.browser(a.adminCookie, `/segments/${seg}/contacts/remove`, {
      form: { kept: ids.join(","), confirmed: "1", back: `/segments/${seg}/contacts` },
    });
    assert.match((await pageAfter(a, done)).notice, /1,001 contacts removed from Big list\./);
    assert.equal(await assertCountExact(a, seg), 0);
  });
});

describe("undo", () => {
  test("skips members changed since and says how many; refuses when every member changed since", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Later", []);
    const ids = await contactIds(a, ["ann@x.test", "bob@x.test", "cat@x.test"]);
    await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(seg), ids: ids.map(String) } });
    // Later, one at a time: bob leaves.
    await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "DELETE", json: { emails: ["bob@x.test"] } });
    const [set] = await changeSets(a, seg);
    const res = await t.api(a.apiKey, `/change-sets/${set!.id}/undo`, { method: "POST" });
    assert.equal(res.status, 200);
    const undo = (await res.json()) as ChangeSetJson;
    assert.deepEqual([undo.kind, undo.left, undo.joined, undo.skipped, undo.undoes_id], ["undo", 2, 0, 1, set!.id]);
    assert.match(undo.message!, /^Undid bulk change by .*: 2 left, 0 came back, 1 skipped because they changed since\.$/);
    assert.deepEqual(await members(a, seg), []);
    await assertCountExact(a, seg);

    // Nothing left as the change left it: refused, and nothing recorded.
    const seg2 = await segmentWith(a, "Gone since", []);
    await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(seg2), ids: ids.slice(0, 2).map(String) } });
    await t.api(a.apiKey, `/segments/${seg2}/contacts`, { method: "DELETE", json: { emails: ["ann@x.test", "bob@x.test"] } });
    const [set2] = await changeSets(a, seg2);
    const refused = await t.api(a.apiKey, `/change-sets/${set2!.id}/undo`, { method: "POST" });
    assert.equal(refused.status, 409);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "conflict");
    assert.match(body.error.message, /Nothing to undo: all 2 members bulk change by .* changed have been changed again since\./);
    const after = await changeSets(a, seg2);
    assert.equal(after.length, 1, "no undo change set");
    assert.equal(after[0]!.undoable, true, "still undoable should they come back");
  });

  test("a workflow run is one change set, shown in the history and not undoable by hand", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Buyers", []);
    await buildWorkflow(t, a, { name: "Buyers join", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }] });
    const sent = await t.api(a.apiKey, "/events/batch", {
      json: {
        events: [
          { id: "e1", type: "purchase", email: "ann@x.test", properties: { order_id: "o1", total: 10, currency: "EUR" } },
          { id: "e2", type: "purchase", email: "bob@x.test", properties: { order_id: "o2", total: 10, currency: "EUR" } },
        ],
      },
    });
    assert.ok(sent.status < 300, await sent.clone().text());
    assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test"]);
    const sets = await changeSets(a, seg);
    assert.equal(sets.length, 1, "one run, one change set");
    assert.deepEqual([sets[0]!.kind, sets[0]!.label, sets[0]!.joined, sets[0]!.undoable], ["workflow", "workflow Buyers join", 2, false]);
    assert.match(sets[0]!.not_undoable_reason!, /not undone by hand/);
    const refused = await t.api(a.apiKey, `/change-sets/${sets[0]!.id}/undo`, { method: "POST" });
    assert.equal(refused.status, 409);
    const page = await (await t.browser(a.adminCookie, `/segments/${seg}`)).text();
    const line = new RegExp(`<tr data-change-set="${sets[0]!.id}">([\\s\\S]*?)</tr>`).exec(page);
    assert.ok(line, "the run is one line in the history");
    assert.match(line[1]!, /2 joined/);
    assert.doesNotMatch(line[1]!, /Undo/);
    const byHand = await t.browser(a.adminCookie, `/segments/${seg}/change-sets/${sets[0]!.id}/undo`, { form: {} });
    assert.match((await pageAfter(a, byHand)).notice, /Not undone: Changes made by workflow Buyers join are not undone by hand/);
    assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test"]);
  });

  test("an undo racing a workflow adding to the same segment loses and duplicates no member", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Race", []);
    const bulk = Array.from({ length: 1500 }, (_, i) => `bulk${i}@x.test`);
    const ids = await contactIds(a, bulk);
    await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(seg), kept: ids.join(","), confirmed: "1" } });
    assert.equal(await assertCountExact(a, seg), 1500);
    await buildWorkflow(t, a, { name: "Buyers join", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }] });
    const [set] = await changeSets(a, seg);
    // Buyers in the bulk change and outside it, sent while the undo runs.
    const buyers = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? `wf${i}@x.test` : `bulk${i}@x.test`));
    const events = (async () => {
      for (const [i, email] of buyers.entries()) {
        const sent = await t.api(a.apiKey, "/events", {
          json: { id: `race-${i}`, type: "purchase", email, properties: { order_id: `o${i}`, total: 10, currency: "EUR" } },
        });
        assert.ok(sent.status < 300, await sent.clone().text());
      }
    })();
    const [undo] = await Promise.all([t.api(a.apiKey, `/change-sets/${set!.id}/undo`, { method: "POST" }), events]);
    assert.equal(undo.status, 200, await undo.clone().text());
    const counts = (await undo.json()) as ChangeSetJson;
    // The workflow's additions of bulk members either found them members (before the undo: no entry, so the undo
    // takes them out) or came after it (and put them back): none is a later change the undo must skip.
    assert.deepEqual([counts.left, counts.skipped], [1500, 0]);
    const now = await members(a, seg);
    assert.equal(new Set(now).size, now.length, "no member twice");
    for (let i = 0; i < 80; i += 2) assert.ok(now.includes(`wf${i}@x.test`), `wf${i}, added by the workflow only, stays`);
    // Every contact is where its last history entry says, and no entry repeats the one before.
    await assertHistoryEndsAsMembers(t, a.accountId, seg, now);
    assert.equal(await assertCountExact(a, seg), now.length);
  });
});

describe("an import's end notice", () => {
  test("carries Undo, which takes the import's members out again and comes back to the page that polled", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Fair", ["kept@x.test"]);
    const created = await t.browser(a.adminCookie, "/imports", { form: { csv: "email\ndana@x.test\nomar@x.test\n" } });
    const location = created.headers.get("location")!;
    assert.equal(
      (await t.browser(a.adminCookie, `${location}/preview`, { form: { map_0: "email", segment_mode: "existing", segment_id: String(seg) } })).status,
      303,
    );
    await t.runJobs();
    assert.equal((await t.browser(a.adminCookie, `${location}/start`, { form: {} })).status, 303);
    await t.runJobs();
    assert.deepEqual(await members(a, seg), ["dana@x.test", "kept@x.test", "omar@x.test"]);
    const hx = { "HX-Request": "true", "HX-Current-URL": "http://localhost/contacts?q=x.test" };
    const notice = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(notice, /Import of .* is done:/);
    const [set] = await changeSets(a, seg);
    assert.equal(set!.kind, "import");
    const action = undoAction(notice, set!.id);
    assert.equal(action, `/segments/${seg}/change-sets/${set!.id}/undo?back=${encodeURIComponent("/contacts?q=x.test")}`);
    const undo = await t.browser(a.adminCookie, action, { form: {} });
    assert.equal(undo.headers.get("location"), "/contacts?q=x.test");
    assert.match((await pageAfter(a, undo)).notice, new RegExp(`Undid ${set!.label}: 2 left, 0 came back\\.`));
    assert.deepEqual(await members(a, seg), ["kept@x.test"]);
  });
});

describe("API", () => {
  test("GET .../change-sets is keyset-paged; POST /change-sets/:id/undo answers counts; other accounts' are not found", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Paged", []);
    const ids = await contactIds(a, ["ann@x.test", "bob@x.test", "cat@x.test"]);
    for (const id of ids) await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", target: String(seg), kept: `${id},${ids[0]}` } });
    const seen: number[] = [];
    let cursor = "";
    for (let pages = 0; pages < 5; pages++) {
      const res = await t.api(a.apiKey, `/segments/${seg}/change-sets?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      const page = (await res.json()) as { data: ChangeSetJson[]; next_cursor: string | null };
      seen.push(...page.data.map((d) => d.joined));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    // ann alone, then bob (ann already in), then cat: newest first.
    assert.deepEqual(seen, [1, 1, 1]);
    const bad = await t.api(a.apiKey, `/segments/${seg}/change-sets?cursor=abc`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string; field: string } }).error.field, "cursor");

    const other = await t.createAccount();
    const [newest] = await changeSets(a, seg);
    assert.equal((await t.api(other.apiKey, `/change-sets/${newest!.id}/undo`, { method: "POST" })).status, 404);
    assert.equal((await t.api(other.apiKey, `/segments/${seg}/change-sets`)).status, 404);
    assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test", "cat@x.test"]);
  });

  test("a small PUT .../contacts is one change set (API key <name>), and its undo restores the members", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Synced", ["ann@x.test", "bob@x.test"]);
    const res = await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "PUT", json: { emails: ["bob@x.test", "cat@x.test"] } });
    const put = (await res.json()) as { joined: number; left: number; change_set_id: number };
    assert.deepEqual([put.joined, put.left], [1, 1]);
    const [set] = await changeSets(a, seg);
    assert.equal(set!.id, put.change_set_id);
    assert.equal(set!.kind, "api");
    assert.match(set!.label, /^API key /);
    const undo = await t.api(a.apiKey, `/change-sets/${put.change_set_id}/undo`, { method: "POST" });
    assert.equal(undo.status, 200);
    assert.match(((await undo.json()) as ChangeSetJson).message!, /^Undid API key .*: 1 left, 1 came back\.$/);
    assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test"]);
    // The same list again changes nothing: no change set.
    const same = (await (await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "PUT", json: { emails: ["ann@x.test", "bob@x.test"] } })).json()) as {
      change_set_id: number | null;
    };
    assert.equal(same.change_set_id, null);
  });
});
