// Benchmark of a segment's history page at scale on PostgreSQL: a segment whose history holds one import change set
// of 1,000,000 entries, 100,000 entries made one at a time and 20,000 workflow change sets (a busy workflow makes one
// per run), interleaved in time. Renders GET /segments/:id through the app (server-side, no network) and times
// listSegmentHistory on the first page and on a page 5,000 lines deep: p50/p95, and the plan of the page's query.
//
// Usage: npx tsx bench/segment-history.ts [entries]   (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
// The database it creates is dropped at the end. Not a timed test: it prints figures.
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { createApp } from "../src/app";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createSession, generateSessionToken, SESSION_COOKIE } from "../src/auth/session";
import { parseConfig } from "../src/config";
import { openDatabase, queryRows } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { listSegmentHistory } from "../src/segments/history";
import { createSegment } from "../src/segments/queries";

const N = Number(process.argv[2] ?? 1_000_000);
const SINGLES = 100_000;
const WORKFLOW_SETS = 20_000;
const BASE = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const RUNS = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(label: string, fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`);
}

const name = `roster_bench_${randomBytes(3).toString("hex")}`;
const admin = postgres(BASE, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(BASE);
url.pathname = `/${name}`;
const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 4 });
try {
  await migrateDatabase(database);
  const db = database.db;
  const { app } = createApp({ database, config: parseConfig({ LOG_LEVEL: "silent", WORKER: "off" }) });
  const { account, user } = await createAccountWithAdmin(db, "Bench", { name: "Bench Admin", email: "bench@example.test", password: "correct horse battery" });
  const token = generateSessionToken();
  await createSession(db, token, account.id, user.id);
  const cookie = `${SESSION_COOKIE}=${token}`;
  const a = account.id;
  console.log(
    `${N.toLocaleString("en-US")} import entries, ${SINGLES.toLocaleString("en-US")} single entries, ${WORKFLOW_SETS.toLocaleString("en-US")} workflow change sets; load average at start ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  );

  let t = performance.now();
  const segment = await createSegment(db, a, { name: "Busy", description: "" });
  await db.execute(sql`insert into contacts (account_id, email) select ${a}, 'c' || g || '@bench.example' from generate_series(1, ${N}) g`);
  const [{ lo }] = await queryRows<{ lo: string }>(db, sql`select min(id) as lo from contacts where account_id = ${a}`);
  const [imp] = await queryRows<{ id: string }>(
    db,
    sql`insert into change_sets (account_id, kind, segment_id, segment_name, source_type, source_id, label, joined, created_by_label, created_at)
      values (${a}, 'import', ${segment.id}, 'Busy', 'import', 1, 'import #1', ${N}, 'Bench Admin', now() - interval '30 days') returning id`,
  );
  // The import's entries a month ago, then single entries and workflow runs over the month, interleaved.
  await db.execute(sql`insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at, change_set_id)
    select ${a}, ${segment.id}, 'Busy', ${lo}::bigint + g - 1, 'added', 'import', 1, 'import #1', now() - interval '30 days', ${imp!.id}::bigint from generate_series(1, ${N}) g`);
  await db.execute(sql`insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
    select ${a}, ${segment.id}, 'Busy', ${lo}::bigint + (g * 7919) % ${N}, case when g % 2 = 0 then 'removed' else 'added' end, 'user', ${user.id}, 'Bench Admin',
      now() - make_interval(secs => (g * 2592000.0 / ${SINGLES})::int) from generate_series(1, ${SINGLES}) g`);
  await db.execute(
    sql`insert into change_sets (account_id, kind, segment_id, segment_name, source_type, source_id, label, joined, created_by_label, created_at)
      select ${a}, 'workflow', ${segment.id}, 'Busy', 'workflow', 1, 'workflow Buyers', 1, 'workflow Buyers', now() - make_interval(secs => (g * 2592000.0 / ${WORKFLOW_SETS})::int)
      from generate_series(1, ${WORKFLOW_SETS}) g`,
  );
  await db.execute(sql`vacuum analyze`);
  console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

  await measure("GET /segments/:id (whole page, history's first 20 lines)", async () => {
    const res = await app.request(`http://localhost/segments/${segment.id}`, { headers: { Cookie: cookie } });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    await res.text();
  });
  await measure("listSegmentHistory, first page", () => listSegmentHistory(db, a, segment.id, { limit: 20 }));
  // A cursor 5,000 lines deep, reached by paging once.
  t = performance.now();
  let cursor: string | null = null;
  for (let i = 0; i < 250; i++) cursor = (await listSegmentHistory(db, a, segment.id, { cursor, limit: 20 })).nextCursor;
  console.log(`paging 250 pages (5,000 lines) one after the other: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  await measure("listSegmentHistory, a page 5,000 lines deep", () => listSegmentHistory(db, a, segment.id, { cursor, limit: 20 }));

  const plan = await queryRows<{ "QUERY PLAN": string }>(
    db,
    sql`explain (analyze, buffers, costs off) select * from (
      (select 0 as type, e.id, e.at from membership_events e
        where e.account_id = ${a} and e.segment_id = ${segment.id} and e.change_set_id is null order by e.at desc, e.id desc limit 21)
      union all
      (select 1 as type, cs.id, cs.created_at from change_sets cs
        where cs.account_id = ${a} and cs.segment_id = ${segment.id} order by cs.created_at desc, cs.id desc limit 21)
    ) x order by at desc, type desc, id desc limit 21`,
  );
  console.log(`\nPlan of the first page's lines:\n${plan.map((r) => `  ${r["QUERY PLAN"]}`).join("\n")}`);
} finally {
  await database.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
