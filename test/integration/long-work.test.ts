// Long work shows itself: jobs report progress early, status pages show pace and time left, the export summary
// polls itself, and the layout's notice poll announces a finished job once; the chart roll-ups match history.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { after, before, describe, test } from "node:test";
import { sql } from "drizzle-orm";
import { upsertContacts } from "../../src/contacts/upsert";
import { queryRows } from "../../src/db/client";
import { deleteContact } from "../../src/contacts/queries";
import { jobHandlers } from "../../src/jobs/handlers";
import type { JobPartialResult } from "../../src/jobs/results";
import { claimNextJob, completeJob, reportProgress } from "../../src/jobs/queue";
import { newWorkerId } from "../../src/jobs/worker";
import { addContactsToSegment, removeContactsFromSegment } from "../../src/segments/membership";
import { getSegmentSizeHistory } from "../../src/segments/size-history";
import { listWorkflowDays } from "../../src/workflows/daily-runs";
import { createTestApp, type TestAccount, type TestApp } from "../support/app";
import { buildWorkflow, createSegment } from "./workflows-helpers";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

const hx = { "HX-Request": "true" };

/** Claims the next job of this kind and runs its handler, recording every progress report and whether the job had completed when it came. */
async function runRecordingProgress(kind: string) {
  const workerId = newWorkerId();
  const job = (await claimNextJob(t.db, workerId, [kind]))!;
  assert.ok(job, `a ${kind} job is queued`);
  const reports: { done: number; total: number | null | undefined; partial?: JobPartialResult }[] = [];
  const result = await jobHandlers[kind]!({
    database: t.database,
    db: t.db,
    config: t.deps.config,
    job,
    workerId,
    signal: new AbortController().signal,
    progress: async (done, total, partial) => {
      reports.push({ done, total, partial });
      await reportProgress(t.db, job, workerId, done, total, partial);
    },
  });
  if (result !== undefined) await completeJob(t.db, job, workerId, result);
  return { job, reports };
}

async function startImport(cookie: string, csv: string): Promise<string> {
  const created = await t.browser(cookie, "/imports", { form: { csv } });
  assert.equal(created.status, 303, await created.clone().text());
  const location = created.headers.get("location")!;
  assert.equal((await t.browser(cookie, `${location}/preview`, { form: { map_0: "email", map_1: "first_name", segment_mode: "none" } })).status, 303);
  await t.runJobs(); // the preview
  assert.equal((await t.browser(cookie, `${location}/start`, { form: {} })).status, 303);
  return location;
}

async function startExport(cookie: string, segment = "all"): Promise<string> {
  const started = await t.browser(cookie, "/exports/new", {
    form: { type: "contacts", segment, step: "format", fields: ["email"], format: "csv", action: "start" },
  });
  assert.equal(started.status, 303, await started.clone().text());
  return started.headers.get("location")!;
}

describe("progress", () => {
  let a: TestAccount;
  before(async () => {
    a = await t.createAccount();
  });

  test("an import reports rows read after its first batch, before it completes, even when it is small", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `p${i}@example.com,Name ${i}`).join("\n");
    await startImport(a.adminCookie, `email,first_name\n${rows}\n`);
    const { reports } = await runRecordingProgress("import");
    const reading = reports.find((r) => r.partial?.phase === "reading");
    assert.ok(reading, `a reading report came: ${JSON.stringify(reports)}`);
    assert.ok(Number(reading.partial!.rows) > 0, "with rows counted");
    assert.ok(reading.done > 0 && reading.total !== null && reading.done <= reading.total!, "and bytes read of the file");
    assert.ok(reports.indexOf(reading) < reports.findIndex((r) => r.partial?.phase === "writing"), "before the writing phase");
  });

  test("an export reports rows done from its first piece", async () => {
    await upsertContacts(
      t.db,
      a.accountId,
      Array.from({ length: 50 }, (_, i) => ({ email: `x${i}@example.com` })),
      { overwrite: false },
    );
    await startExport(a.adminCookie);
    const { reports } = await runRecordingProgress("export");
    assert.ok(reports.length >= 2, JSON.stringify(reports));
    assert.equal(reports[0]!.done, 0, "the file is opened with its total");
    assert.ok(
      reports.some((r) => r.done > 0),
      "rows are reported before the job completes",
    );
  });

  test("a running import's page shows rows done, rows per second and time left, and keeps polling", async () => {
    const location = await startImport(a.adminCookie, "email,first_name\nrun@example.com,Run\n");
    const id = Number(location.split("/").pop());
    // The job as a worker leaves it mid-file: running for 4 s, a quarter of the bytes and 2,000 rows read.
    await t.db.execute(sql`
      update jobs set status = 'running', started_at = now() - interval '4 seconds', progress_done = 250, progress_total = 1000,
        result = '{"phase": "reading", "rows": 2000}'::jsonb
      where account_id = ${a.accountId} and id = (select job_id from imports where account_id = ${a.accountId} and id = ${id})`);
    const running = await (await t.browser(a.adminCookie, location, { headers: hx })).text();
    assert.match(running, /2,000 rows done/);
    assert.match(running, /\d+(\.\d)? rows\/s/);
    const rate = Number(/(\d+(?:\.\d)?) rows\/s/.exec(running)![1]);
    assert.ok(rate > 300 && rate <= 500, `about 2,000 rows in 4 s: ${rate}`);
    assert.match(running, /about \d+ s left/, "three quarters to go at a quarter per 4 s: about 12 s");
    assert.match(running, /25%/);
    assert.match(running, /hx-trigger="load delay:1s"/);
  });

  test("the export summary polls itself while the export runs, then shows Download and stops", async () => {
    const summaryUrl = await startExport(a.adminCookie);
    const queued = await t.browser(a.adminCookie, summaryUrl, { headers: hx });
    const queuedHtml = await queued.text();
    assert.doesNotMatch(queuedHtml, /<html/, "htmx gets the summary alone");
    assert.match(queued.headers.get("Vary") ?? "", /HX-Request/);
    assert.match(queuedHtml, new RegExp(`hx-get="${summaryUrl}"[^>]*hx-trigger="load delay:1s"|hx-trigger="load delay:1s"[^>]*hx-get="${summaryUrl}"`));
    const jobId = Number(
      (
        await queryRows<{ job_id: string }>(
          t.db,
          sql`select job_id from exports where account_id = ${a.accountId} and id = ${Number(summaryUrl.split("/").pop())}`,
        )
      )[0]!.job_id,
    );
    await t.db.execute(
      sql`update jobs set status = 'running', started_at = now() - interval '2 seconds', progress_done = 20, progress_total = 50 where account_id = ${a.accountId} and id = ${jobId}`,
    );
    const running = await (await t.browser(a.adminCookie, summaryUrl, { headers: hx })).text();
    assert.match(running, /20 rows done/);
    assert.match(running, /rows\/s/);
    assert.match(running, /40%/);
    await t.db.execute(sql`update jobs set status = 'queued', started_at = null, progress_done = 0 where account_id = ${a.accountId} and id = ${jobId}`);
    await t.runJobs();
    const done = await (await t.browser(a.adminCookie, summaryUrl, { headers: hx })).text();
    assert.match(done, /Export ready/);
    assert.match(done, /href="\/exports\/[a-z0-9]{32}\/download"/);
    assert.doesNotMatch(done, /hx-trigger/);
  });
});

/** Resolves once `check` holds, asking every 50 ms; fails after `ms`. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("uploads", () => {
  test("an upload the client abandons midway (Cancel upload) ends on the server and leaves no partial file", async () => {
    const a = await t.createAccount();
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const { port } = server.address() as AddressInfo;
    const files = async () =>
      queryRows<{ chunks: string }>(
        t.db,
        sql`select (select count(*) from file_chunks c where c.account_id = f.account_id and c.file_id = f.id) as chunks from files f where f.account_id = ${a.accountId}`,
      );
    try {
      const boundary = "roster-test-boundary";
      const req = http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/imports",
        headers: {
          Cookie: a.adminCookie,
          Origin: `http://127.0.0.1:${port}`,
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
          "Content-Length": String(50 * 1024 * 1024),
        },
      });
      req.on("error", () => {});
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nemail\n`);
      req.write(Buffer.from("someone@example.com\n".repeat(160_000)));
      await waitFor("the first chunk stored", async () => (await files()).some((f) => Number(f.chunks) > 0));
      req.destroy();
      await waitFor("the partial file deleted", async () => (await files()).length === 0);
    } finally {
      server.close();
    }
  });
});

describe("job notices", () => {
  test("a finished export is announced once to the user who asked for it, with its download link; the poll stops when nothing runs", async () => {
    const a = await t.createAccount();
    const segmentId = await createSegment(t, a.accountId, "Buyers 2026");
    const contacts = await upsertContacts(t.db, a.accountId, [{ email: "b1@example.com" }, { email: "b2@example.com" }], { overwrite: false });
    await addContactsToSegment(
      t.db,
      a.accountId,
      segmentId,
      contacts.map((c) => c.id),
      { type: "user", id: a.adminId, label: "Admin" },
    );
    const colleague = await a.userCookie("editor");

    const idle = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(idle, /data-polling="off"/);
    assert.doesNotMatch(idle, /hx-trigger/, "nothing runs: no further poll");

    await startExport(a.adminCookie, String(segmentId));
    const waiting = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(waiting, /hx-trigger="load delay:3s"/, "polls again while the export waits");
    assert.doesNotMatch(waiting, /job-notice"/);
    assert.doesNotMatch(
      await (await t.browser(colleague, "/jobs/notices", { headers: hx })).text(),
      /hx-trigger/,
      "another user's export is not theirs to wait for",
    );

    await t.runJobs();
    const ready = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(ready, /Export of Buyers 2026 is ready: <a href="\/exports\/[a-z0-9]{32}\/download"[^>]*>Download<\/a>/);
    assert.match(ready, /<hx-partial hx-target="#job-notices" hx-swap="beforeend">/);
    assert.doesNotMatch(ready, /hx-trigger/, "and the poll stops");
    const again = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.doesNotMatch(again, /Export of Buyers 2026/, "shown once");
    assert.doesNotMatch(await (await t.browser(colleague, "/jobs/notices", { headers: hx })).text(), /Export of/);

    // Seen finishing on its own summary page: the poll from that page leaves it to the page, and no notice follows.
    const summaryUrl = await startExport(a.adminCookie, String(segmentId));
    await t.runJobs();
    const fromItsPage = await (
      await t.browser(a.adminCookie, "/jobs/notices", { headers: { ...hx, "HX-Current-URL": `http://localhost${summaryUrl}` } })
    ).text();
    assert.doesNotMatch(fromItsPage, /Export of/);
    assert.match(await (await t.browser(a.adminCookie, summaryUrl, { headers: hx })).text(), /Export ready/);
    assert.doesNotMatch(await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text(), /Export of/);

    // Every signed-in page carries the region and its first poll; signed out, the poll ends quietly.
    const page = await (await t.browser(a.adminCookie, "/contacts")).text();
    assert.match(page, /<div id="job-notices" aria-live="polite">/);
    assert.match(page, /hx-get="\/jobs\/notices" hx-trigger="load"/);
    const signedOut = await t.browser(null, "/jobs/notices", { headers: hx });
    assert.equal(signedOut.status, 200);
    assert.doesNotMatch(await signedOut.text(), /hx-trigger/);
  });

  test("a finished import and a failed export are announced with links to their pages", async () => {
    const a = await t.createAccount();
    const location = await startImport(a.adminCookie, "email,first_name\nn1@example.com,N\n");
    await t.runJobs();
    const importDone = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(importDone, new RegExp(`Import of pasted\\.csv is done: <a href="${location}">See the result</a>`));

    const summaryUrl = await startExport(a.adminCookie);
    await t.db.execute(
      sql`update jobs set status = 'failed', error = 'The disk is full.', finished_at = now() where account_id = ${a.accountId} and kind = 'export'`,
    );
    const failed = await (await t.browser(a.adminCookie, "/jobs/notices", { headers: hx })).text();
    assert.match(failed, new RegExp(`Export of All contacts failed: The disk is full\\. <a href="${summaryUrl}">See the export</a>`));
  });
});

describe("chart roll-ups", () => {
  test("the daily roll-up equals the membership history, whatever wrote it; sizes count back from the member count", async () => {
    const a = await t.createAccount();
    const segmentId = await createSegment(t, a.accountId, "Charted");
    const other = await createSegment(t, a.accountId, "Other");
    const contacts = await upsertContacts(
      t.db,
      a.accountId,
      Array.from({ length: 20 }, (_, i) => ({ email: `c${i}@example.com` })),
      { overwrite: false },
    );
    const byEmail = new Map(contacts.map((c) => [c.emailKey, c.id]));
    const ids = Array.from({ length: 20 }, (_, i) => byEmail.get(`c${i}@example.com`)!);
    const byHand = { type: "user" as const, id: a.adminId, label: "Admin" };
    await addContactsToSegment(t.db, a.accountId, segmentId, ids.slice(0, 10), byHand);
    await addContactsToSegment(t.db, a.accountId, segmentId, ids.slice(5, 15), { type: "api_key", id: 1, label: "API key tests" });
    await removeContactsFromSegment(t.db, a.accountId, segmentId, ids.slice(0, 3), byHand);
    await addContactsToSegment(t.db, a.accountId, other, ids.slice(0, 4), byHand);
    // A workflow adds on purchase and removes on refund.
    const wf = await buildWorkflow(t, a, { name: "Buyers", trigger: "purchase", actions: [{ kind: "add", segmentId }] });
    await buildWorkflow(t, a, { name: "Refunds", trigger: "custom", customType: "refund", actions: [{ kind: "remove", segmentId }] });
    for (const email of ["w1@example.com", "w2@example.com", "c5@example.com"]) {
      const sent = await t.api(a.apiKey, "/events", {
        json: { id: `buy-${email}`, type: "purchase", email, properties: { order_id: `o-${email}`, total: 10, currency: "EUR" } },
      });
      assert.equal(sent.status, 202, await sent.clone().text());
    }
    assert.equal((await t.api(a.apiKey, "/events", { json: { id: "refund-1", type: "refund", email: "w1@example.com", properties: {} } })).status, 202);
    // An import into the segment, and a contact deleted.
    const imported = await t.browser(a.adminCookie, "/imports", { form: { csv: "email\nc19@example.com\nnew-imp@example.com\n" } });
    const location = imported.headers.get("location")!;
    await t.browser(a.adminCookie, `${location}/preview`, { form: { map_0: "email", segment_mode: "existing", segment_id: String(segmentId) } });
    await t.runJobs();
    await t.browser(a.adminCookie, `${location}/start`, { form: {} });
    await t.runJobs();
    assert.ok(await deleteContact(t.db, a.accountId, ids[7]!, byHand));

    const fromHistory = await queryRows<{ segment_id: string; day: string; source_type: string; joins: string; leaves: string }>(
      t.db,
      sql`select segment_id, to_char((at at time zone 'UTC')::date, 'YYYY-MM-DD') as day, source_type,
            count(*) filter (where action = 'added') as joins, count(*) filter (where action = 'removed') as leaves
          from membership_events where account_id = ${a.accountId} group by 1, 2, 3 order by 1, 2, 3`,
    );
    const rolled = await queryRows<{ segment_id: string; day: string; source_type: string; joins: string; leaves: string }>(
      t.db,
      sql`select segment_id, to_char(day, 'YYYY-MM-DD') as day, source_type, joins, leaves
          from segment_daily_changes where account_id = ${a.accountId} order by 1, 2, 3`,
    );
    const norm = (rows: typeof rolled) => rows.map((r) => `${r.segment_id} ${r.day} ${r.source_type} +${Number(r.joins)} -${Number(r.leaves)}`);
    assert.deepEqual(norm(rolled), norm(fromHistory));
    assert.deepEqual(new Set(fromHistory.map((r) => r.source_type)), new Set(["user", "api_key", "workflow", "import"]), "every source was exercised");

    const [seg] = await queryRows<{ member_count: string }>(
      t.db,
      sql`select member_count from segments where account_id = ${a.accountId} and id = ${segmentId}`,
    );
    const memberCount = Number(seg!.member_count);
    for (const period of ["day", "week", "month"] as const) {
      const periods = await getSegmentSizeHistory(t.db, a.accountId, { id: segmentId, memberCount }, period);
      const last = periods.at(-1)!;
      assert.equal(last.size, memberCount, `${period}: the current period ends at the member count`);
      const joins = Object.values(last.joins).reduce((x, y) => x + y, 0);
      const leaves = Object.values(last.leaves).reduce((x, y) => x + y, 0);
      assert.equal(last.size - joins + leaves, 0, `${period}: everything happened today, so the segment started empty`);
      assert.equal(periods.at(-2)!.size, 0);
    }

    // The workflow's days add up to its counters (every run happened today).
    const days = await listWorkflowDays(t.db, a.accountId, wf);
    const [counters] = await queryRows<{ events_matched: string; contacts_added: string; contacts_removed: string }>(
      t.db,
      sql`select events_matched, contacts_added, contacts_removed from workflows where account_id = ${a.accountId} and id = ${wf}`,
    );
    const today = days.at(-1)!;
    assert.deepEqual(
      [today.matched, today.added, today.removed],
      [Number(counters!.events_matched), Number(counters!.contacts_added), Number(counters!.contacts_removed)],
    );
    assert.deepEqual([today.matched, today.added], [3, 2], "three purchases; c5 was already a member");

    // The pages draw the charts with their numbers as a table.
    const segmentPage = await (await t.browser(a.adminCookie, `/segments/${segmentId}?period=week`)).text();
    assert.match(segmentPage, /<h2 id="size-title">Size over time<\/h2>/);
    assert.match(segmentPage, /<svg[^>]*role="img"[^>]*aria-label="Members per week/);
    assert.match(segmentPage, /<a href="\/segments\/\d+\?period=week#size" aria-current="page">Week<\/a>/);
    assert.match(segmentPage, new RegExp(`<td class="num">${memberCount}</td>`));
    const workflowPage = await (await t.browser(a.adminCookie, `/workflows/${wf}`)).text();
    assert.match(workflowPage, /Per day, last 30 days/);
    assert.match(workflowPage, /<td class="num">3<\/td><td class="num">2<\/td><td class="num">0<\/td>/);
    const importPage = await (await t.browser(a.adminCookie, location)).text();
    assert.match(importPage, /aria-label="Rows of the file by outcome: created 1, updated 0, unchanged 1, invalid 0, duplicates 0\."/);
  });

  test("migration 0008 builds the same roll-ups from the history kept so far", async () => {
    const segmentRows = sql`select account_id, segment_id, day, source_type, joins, leaves from segment_daily_changes order by 1, 2, 3, 4`;
    const workflowRows = sql`select account_id, workflow_id, day, contacts_added, contacts_removed from workflow_daily_runs order by 1, 2, 3`;
    const kept = { segments: await queryRows(t.db, segmentRows), workflows: await queryRows(t.db, workflowRows) };
    assert.ok(kept.segments.length > 0 && kept.workflows.length > 0, "the tests before left history to rebuild from");
    await t.db.execute(sql`delete from segment_daily_changes`);
    await t.db.execute(sql`delete from workflow_daily_runs`);
    const file = readFileSync(new URL("../../drizzle/0008_charts_backfill.sql", import.meta.url), "utf8");
    for (const statement of file.split("--> statement-breakpoint")) await t.db.execute(sql.raw(statement));
    assert.deepEqual(await queryRows(t.db, segmentRows), kept.segments);
    assert.deepEqual(await queryRows(t.db, workflowRows), kept.workflows);
    const [unannounced] = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from jobs where finished_at is not null and notice_shown_at is null`);
    assert.equal(Number(unannounced!.n), 0, "jobs that ended before notices existed are not announced");
  });
});
