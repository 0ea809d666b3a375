// Keeping a segment in step with an outside list: import modes add / remove / replace (with overwrite on and off),
// their preview, undo of each, a replace racing workflow additions, the changes feed, and PUT .../contacts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import type { ImportCounts, ImportExamples } from "../../src/imports/queries";
import { getImportView } from "../../src/imports/queries";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { assertCountExact as countIsExact, assertHistoryEndsAsMembers, buildWorkflow, memberEmails } from "./workflows-helpers";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

type ImportJson = ImportCounts & { id: number; status: string; error: string | null; change_set_id: number | null };

async function segmentWith(a: TestAccount, name: string, emails: string[]): Promise<number> {
  const res = await t.api(a.apiKey, "/segments", { json: { name } });
  const { id } = (await res.json()) as { id: number };
  if (emails.length > 0) {
    const added = await t.api(a.apiKey, `/segments/${id}/contacts`, { json: { emails } });
    assert.equal(added.status, 200);
  }
  return id;
}

const members = (a: TestAccount, segmentId: number) => memberEmails(t, a.accountId, segmentId);

/** The stored member count equals the members there are. */
const assertCountExact = (a: TestAccount, segmentId: number) => countIsExact(t, a.accountId, segmentId);

async function importCsv(a: TestAccount, csv: string, query: Record<string, string>): Promise<ImportJson> {
  const res = await t.api(a.apiKey, `/imports?${new URLSearchParams(query)}`, { method: "POST", body: csv, headers: { "Content-Type": "text/csv" } });
  const created = (await res.json()) as { id: number };
  assert.equal(res.status, 202, JSON.stringify(created));
  await t.runJobs();
  return (await (await t.api(a.apiKey, `/imports/${created.id}`)).json()) as ImportJson;
}

/** Rows and the segment's side both add up, whatever the mode. */
function assertAddsUp(r: ImportJson) {
  assert.equal(r.status, "completed", r.error ?? "");
  assert.equal(r.created + r.updated + r.unchanged + r.not_found + r.invalid + r.duplicates, r.rows, `rows add up: ${JSON.stringify(r)}`);
  const distinct = r.created + r.updated + r.unchanged + r.not_found;
  if (r.mode === "remove") assert.equal(r.left + r.not_members + r.not_found, distinct, "remove: every email counted once");
  else assert.equal(r.joined + r.already_members, distinct, `${r.mode}: every email counted once`);
  assert.equal(r.members_before + r.joined - r.left, r.members_after);
}

async function contact(a: TestAccount, email: string) {
  const [row] = await queryRows<{ first_name: string | null }>(
    t.db,
    sql`select first_name from contacts where account_id = ${a.accountId} and lower(email) = ${email}`,
  );
  return row ?? null;
}

describe("import modes", () => {
  for (const overwrite of ["false", "true"]) {
    test(`add, remove, replace with overwrite ${overwrite}: the segment ends as the mode says and the counts add up`, async () => {
      const a = await t.createAccount();
      const seg = await segmentWith(a, "Fair", ["ann@x.test", "bob@x.test", "cat@x.test"]);
      // Add: dan is new, ann already a member (and gets a name when overwriting), one bad row.
      const added = await importCsv(a, "email,first_name\nann@x.test,Ann\ndan@x.test,Dan\nnot-an-email,X\n", {
        mode: "add",
        segment_id: String(seg),
        overwrite,
      });
      assertAddsUp(added);
      assert.deepEqual([added.joined, added.already_members, added.created, added.invalid, added.left], [1, 1, 1, 1, 0]);
      assert.deepEqual(await members(a, seg), ["ann@x.test", "bob@x.test", "cat@x.test", "dan@x.test"]);
      assert.equal((await contact(a, "ann@x.test"))!.first_name, overwrite === "true" ? "Ann" : null);

      // Remove: bob leaves; eve is in no contact (counted, never created); dan's name never changes.
      const removed = await importCsv(a, "email,first_name\nbob@x.test,Robert\neve@x.test,Eve\nDAN@x.test,Daniel\nzed@x.test,Z\n", {
        mode: "remove",
        segment_id: String(seg),
        overwrite,
      });
      assertAddsUp(removed);
      await importCsv(a, "email\nzed@x.test\n", { mode: "add" }); // zed exists now but is no member
      assert.deepEqual([removed.left, removed.not_members, removed.not_found, removed.created, removed.updated], [2, 0, 2, 0, 0]);
      assert.equal(await contact(a, "eve@x.test"), null, "remove creates no contact");
      const report = await (await t.api(a.apiKey, `/imports/${removed.id}/errors`)).text();
      assert.match(report, /3,not in Roster: nothing to remove \(no contact was created\),eve@x\.test,Eve/);
      assert.match(report, /5,not in Roster: nothing to remove \(no contact was created\),zed@x\.test,Z/);
      assert.equal((await contact(a, "dan@x.test"))!.first_name, "Dan", "remove changes no field");
      assert.deepEqual(await members(a, seg), ["ann@x.test", "cat@x.test"]);

      // Replace: afterwards exactly the file's valid contacts; fay is created.
      const replaced = await importCsv(a, "email,first_name\ncat@x.test,Cathy\nfay@x.test,Fay\nzed@x.test,\nbad row,\n", {
        mode: "replace",
        segment_id: String(seg),
        overwrite,
      });
      assertAddsUp(replaced);
      assert.deepEqual([replaced.joined, replaced.already_members, replaced.left, replaced.created, replaced.members_after], [2, 1, 1, 1, 3]);
      assert.deepEqual(await members(a, seg), ["cat@x.test", "fay@x.test", "zed@x.test"]);
      assert.equal((await contact(a, "cat@x.test"))!.first_name, overwrite === "true" ? "Cathy" : null);
      await assertCountExact(a, seg);

      // Each run is one change set named after it, with entries matching its counts.
      const [cs] = await queryRows<{ label: string; joined: string; left: string; entries: string }>(
        t.db,
        sql`select label, joined, "left", (select count(*) from membership_events e where e.account_id = s.account_id and e.change_set_id = s.id) as entries
          from change_sets s where s.account_id = ${a.accountId} and s.id = ${replaced.change_set_id}`,
      );
      assert.deepEqual([cs!.label, Number(cs!.joined), Number(cs!.left), Number(cs!.entries)], [`import #${replaced.id}`, 2, 1, 3]);
    });
  }

  test("the API refuses an unknown mode, and remove or replace without a segment", async () => {
    const a = await t.createAccount();
    const bad = await t.api(a.apiKey, "/imports?mode=swap", { method: "POST", body: "email\na@x.test\n", headers: { "Content-Type": "text/csv" } });
    assert.equal(bad.status, 400);
    type Refusal = { error: { code: string; field: string; former_code: string } };
    const badError = ((await bad.json()) as Refusal).error;
    assert.deepEqual([badError.code, badError.field, badError.former_code], ["invalid_parameter", "mode", "invalid_mode"]);
    const none = await t.api(a.apiKey, "/imports?mode=replace", { method: "POST", body: "email\na@x.test\n", headers: { "Content-Type": "text/csv" } });
    assert.equal(none.status, 400);
    const noneError = ((await none.json()) as Refusal).error;
    assert.deepEqual([noneError.code, noneError.field, noneError.former_code], ["invalid_parameter", "segment_id", "segment_required"]);
  });

  test("the preview of a replace counts joins, leaves and unchanged members with examples, and warns past half", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(
      a,
      "Big",
      Array.from({ length: 15 }, (_, i) => `m${String(i).padStart(2, "0")}@x.test`),
    );
    const created = await t.browser(a.adminCookie, "/imports", { form: { csv: "email\nm00@x.test\nm01@x.test\nnew1@x.test\n" } });
    const location = created.headers.get("location")!;
    const previewed = await t.browser(a.adminCookie, `${location}/preview`, {
      form: { map_0: "email", segment_mode: "existing", segment_id: String(seg), import_mode: "replace" },
    });
    assert.equal(previewed.status, 303);
    await t.runJobs();
    const view = (await getImportView(t.db, a.accountId, Number(location.split("/").pop())))!;
    const r = view.preview!.result as unknown as ImportCounts & { examples: ImportExamples };
    assert.deepEqual([r.joined, r.left, r.already_members, r.members_before, r.members_after], [1, 13, 2, 15, 3]);
    assert.deepEqual(r.examples.joins, ["new1@x.test"]);
    assert.deepEqual(r.examples.unchanged, ["m00@x.test", "m01@x.test"]);
    assert.equal(r.examples.leaves.length, 10, "ten examples of 13 leaving");
    assert.deepEqual(
      await members(a, seg),
      Array.from({ length: 15 }, (_, i) => `m${String(i).padStart(2, "0")}@x.test`),
      "a preview writes nothing",
    );
    const page = await (await t.browser(a.adminCookie, location)).text();
    assert.match(page, /13 of the segment&#39;s 15 members \(87%\) would leave|13 of the segment's 15 members \(87%\) would leave/);

    const noSegment = await t.browser(a.adminCookie, `${location}/preview`, { form: { map_0: "email", segment_mode: "none", import_mode: "remove" } });
    assert.equal(noSegment.status, 422);
    assert.match(await noSegment.text(), /Remove from segment acts on an existing segment/);
  });
});

describe("undo", () => {
  test("undo of each mode restores the members, and records itself as a change set", async () => {
    const a = await t.createAccount();
    const start = ["ann@x.test", "bob@x.test", "cat@x.test"];
    for (const [mode, csv] of [
      ["add", "email\ndan@x.test\nann@x.test\n"],
      ["remove", "email\nbob@x.test\nnobody@x.test\n"],
      ["replace", "email\ncat@x.test\neve@x.test\n"],
    ] as const) {
      const seg = await segmentWith(a, `Undo ${mode}`, start);
      const r = await importCsv(a, csv, { mode, segment_id: String(seg) });
      assert.notDeepEqual(await members(a, seg), start);
      const undo = await t.browser(a.adminCookie, `/imports/${r.id}/undo`, { form: {} });
      assert.equal(undo.status, 303);
      assert.deepEqual(await members(a, seg), start, `undo of ${mode}`);
      await assertCountExact(a, seg);
      const page = await (await t.browser(a.adminCookie, `/imports/${r.id}`)).text();
      assert.match(page, new RegExp(`undo of import #${r.id}`));
      const again = await t.browser(a.adminCookie, `/imports/${r.id}/undo`, { form: {} });
      assert.equal(again.status, 422);
      assert.match(await again.text(), /has already been undone/);
      const [history] = await queryRows<{ n: string }>(
        t.db,
        sql`select count(*) as n from membership_events where account_id = ${a.accountId} and segment_id = ${seg} and source_label = ${`undo of import #${r.id}`}`,
      );
      assert.equal(Number(history!.n), r.joined + r.left, "one history entry per member put back");
    }
  });

  test("undo skips members changed again since, and says how many", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Later", ["ann@x.test"]);
    const r = await importCsv(a, "email\nbob@x.test\ncat@x.test\n", { mode: "replace", segment_id: String(seg) });
    // Later, by hand: cat leaves and ann comes back.
    await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "DELETE", json: { emails: ["cat@x.test"] } });
    await t.api(a.apiKey, `/segments/${seg}/contacts`, { json: { emails: ["ann@x.test"] } });
    await t.browser(a.adminCookie, `/imports/${r.id}/undo`, { form: {} });
    // bob (untouched since) leaves; cat and ann were changed later and stay as they are.
    assert.deepEqual(await members(a, seg), ["ann@x.test"]);
    const page = await (await t.browser(a.adminCookie, `/imports/${r.id}`)).text();
    assert.match(page, /1 left the segment and 0 came back\. 2 were skipped because a later change touched the same members/);
    await assertCountExact(a, seg);
  });
});

describe("a replace racing workflow additions", () => {
  test("no member lost or duplicated, and the count stays exact", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(
      a,
      "Race",
      Array.from({ length: 300 }, (_, i) => `old${i}@x.test`),
    );
    await buildWorkflow(t, a, { name: "Buyers join", trigger: "purchase", actions: [{ kind: "add", segmentId: seg }] });
    const csv = `email\n${Array.from({ length: 2000 }, (_, i) => `file${i}@x.test`).join("\n")}\n`;
    const res = await t.api(a.apiKey, `/imports?mode=replace&segment_id=${seg}`, { method: "POST", body: csv, headers: { "Content-Type": "text/csv" } });
    const { id } = (await res.json()) as { id: number };
    // Purchases by people in the file and not in it, sent while the replace runs: the workflow adds each buyer.
    const buyers = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? `wf${i}@x.test` : `file${i}@x.test`));
    const events = (async () => {
      for (const [i, email] of buyers.entries()) {
        const sent = await t.api(a.apiKey, "/events", {
          json: { id: `race-${i}`, type: "purchase", email, properties: { order_id: `o${i}`, total: 10, currency: "EUR" } },
        });
        assert.ok(sent.status < 300, await sent.clone().text());
      }
    })();
    await Promise.all([t.runJobs(), events]);
    const r = (await (await t.api(a.apiKey, `/imports/${id}`)).json()) as ImportJson;
    assertAddsUp(r);
    const now = await members(a, seg);
    assert.equal(new Set(now).size, now.length);
    for (let i = 0; i < 2000; i++) assert.ok(now.includes(`file${i}@x.test`), `file${i} is a member`);
    assert.ok(!now.some((e) => e.startsWith("old")), "every old member left");
    // Each workflow addition came before the replace (and left with it) or after it (and stayed): the history of
    // every contact ends in the state it is in, and none was added twice in a row.
    await assertHistoryEndsAsMembers(t, a.accountId, seg, now);
    const wf = now.filter((e) => e.startsWith("wf")).length;
    assert.equal(await assertCountExact(a, seg), 2000 + wf);
  });
});

describe("the changes feed", () => {
  test("a follower sees the joins and leaves of a replace, keyset-paged, and nothing twice", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Followed", ["ann@x.test", "bob@x.test"]);
    const first = (await (await t.api(a.apiKey, `/segments/${seg}/changes`)).json()) as {
      data: { change: string; email: string }[];
      next_cursor: string;
      has_more: boolean;
    };
    assert.deepEqual(
      first.data.map((d) => `${d.change} ${d.email}`),
      ["joined ann@x.test", "joined bob@x.test"],
    );
    await importCsv(a, "email\nbob@x.test\ncat@x.test\ndan@x.test\n", { mode: "replace", segment_id: String(seg) });
    const seen: string[] = [];
    let cursor = first.next_cursor;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await (await t.api(a.apiKey, `/segments/${seg}/changes?since=${cursor}&limit=2`)).json()) as typeof first;
      seen.push(...page.data.map((d) => `${d.change} ${d.email}`));
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    assert.deepEqual(seen.sort(), ["joined cat@x.test", "joined dan@x.test", "left ann@x.test"]);
    const caughtUp = (await (await t.api(a.apiKey, `/segments/${seg}/changes?since=${cursor}`)).json()) as typeof first;
    assert.deepEqual([caughtUp.data.length, caughtUp.next_cursor, caughtUp.has_more], [0, cursor, false]);
    const bad = await t.api(a.apiKey, `/segments/${seg}/changes?since=abc`);
    assert.equal(bad.status, 400);
  });
});

describe("PUT /api/v1/segments/:id/contacts", () => {
  test("JSON and streamed text replace the members; invalid lines are listed; a long list runs as an import (202)", async () => {
    const a = await t.createAccount();
    const seg = await segmentWith(a, "Put", ["ann@x.test", "bob@x.test"]);
    const json = await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "PUT", json: { emails: ["bob@x.test", "cat@x.test", "nope"] } });
    assert.equal(json.status, 200);
    const j = (await json.json()) as { joined: number; left: number; unchanged: number; invalid: { email: string }[]; created_contacts: number };
    assert.deepEqual([j.joined, j.left, j.unchanged, j.invalid.map((i) => i.email), j.created_contacts], [1, 1, 1, ["nope"], 1]);
    assert.deepEqual(await members(a, seg), ["bob@x.test", "cat@x.test"]);

    const text = await t.api(a.apiKey, `/segments/${seg}/contacts`, {
      method: "PUT",
      body: "email\r\ncat@x.test\r\n\r\nDAN@x.test\r\nbad line\r\n",
      headers: { "Content-Type": "text/plain" },
    });
    assert.equal(text.status, 200);
    const tx = (await text.json()) as typeof j;
    assert.deepEqual([tx.joined, tx.left, tx.unchanged, tx.invalid.map((i) => i.email), tx.created_contacts], [1, 1, 1, ["bad line"], 1]);
    assert.deepEqual(await members(a, seg), ["cat@x.test", "dan@x.test"]);
    await assertCountExact(a, seg);

    const long = Array.from({ length: 12_000 }, (_, i) => `p${i}@x.test`);
    const big = await t.api(a.apiKey, `/segments/${seg}/contacts`, {
      method: "PUT",
      body: `${long.join("\n")}\n"quoted, bad"\n`,
      headers: { "Content-Type": "text/csv" },
    });
    assert.equal(big.status, 202);
    const accepted = (await big.json()) as { import_id: number; status: string };
    assert.equal(accepted.status, "queued");
    await t.runJobs();
    const r = (await (await t.api(a.apiKey, `/imports/${accepted.import_id}`)).json()) as ImportJson;
    assertAddsUp(r);
    assert.deepEqual([r.mode, r.rows, r.joined, r.left, r.invalid], ["replace", 12_001, 12_000, 2, 1]);
    assert.equal(await assertCountExact(a, seg), 12_000);

    const empty = await t.api(a.apiKey, `/segments/${seg}/contacts`, { method: "PUT", body: "\n\n", headers: { "Content-Type": "text/plain" } });
    assert.equal(empty.status, 422);
  });
});
