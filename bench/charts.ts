// Benchmark of the segment and workflow charts on a segment of 1,000,000 members with 2,000,000 history rows over
// a year: the chart reads from the daily roll-up (p50/p95 per period), against the same figures computed by a scan
// of membership_events; the roll-up's backfill (migration 0005) on that history; and what keeping the roll-up
// costs a membership change (one contact, 10,000 contacts) and the upsert alone.
//
// Usage: npx tsx bench/charts.ts [members]   (PostgreSQL at BENCH_PG_URL or DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres). It creates its own database, seeds it with generate_series, and
// drops it at the end.
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { openDatabase, queryRows } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { addContactsToSegment, removeContactsFromSegment } from "../src/segments/membership";
import { CHART_PERIODS, getSegmentSizeHistory, periodStarts, PERIODS_SHOWN } from "../src/segments/size-history";
import { listWorkflowDays } from "../src/workflows/daily-runs";
import { SegmentSizeChart } from "../views/segments/size-chart";

const MEMBERS = Number(process.argv[2] ?? 1_000_000);
const LEFT = Math.round(MEMBERS / 2); // contacts that joined and left again: history = 2 x MEMBERS rows
const BASE_URL = process.env.BENCH_PG_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const RUNS = 50;

const ms = (n: number) => n.toFixed(2).padStart(9);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
async function measure(runs: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn(-1); // warm: plan cached, pages in memory
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}
const row = (label: string, m: { p50: number; p95: number }) => console.log(label.padEnd(58) + ms(m.p50) + ms(m.p95));

const name = `roster_bench_charts_${Date.now().toString(36)}`;
const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(BASE_URL);
url.pathname = `/${name}`;
try {
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 2 });
  const { db } = database;
  await migrateDatabase(database);
  const { account } = await createAccountWithAdmin(db, "Bench", { name: "Bench", email: "bench@example.test", password: "correct horse battery" });
  const accountId = account.id;
  let t0 = performance.now();
  const total = MEMBERS + LEFT;
  await db.execute(sql`insert into contacts (account_id, email) select ${accountId}, 'c' || g || '@example.com' from generate_series(1, ${total}::int) g`);
  const [{ first }] = (await queryRows<{ first: string }>(db, sql`select min(id) as first from contacts where account_id = ${accountId}`)) as [
    { first: string },
  ];
  const offset = Number(first) - 1;
  const [seg] = await queryRows<{ id: string }>(
    db,
    sql`insert into segments (account_id, name, member_count) values (${accountId}, 'Everyone', ${MEMBERS}) returning id`,
  );
  const segmentId = Number(seg!.id);
  // Contacts 1..total joined over the last 365 days (by source in turn); 1..LEFT left again ten days later or today.
  await db.execute(sql`
    insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_label, at)
    select ${accountId}, ${segmentId}, 'Everyone', ${offset} + g, 'added', (array['user','import','workflow','api_key'])[1 + g % 4], 'bench',
      now() - ((g % 365) || ' days')::interval - ((g % 3600) || ' seconds')::interval
    from generate_series(1, ${total}::int) g`);
  await db.execute(sql`
    insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_label, at)
    select ${accountId}, ${segmentId}, 'Everyone', ${offset} + g, 'removed', (array['user','import','workflow','api_key'])[1 + (g / 7) % 4], 'bench',
      now() - (greatest(g % 365 - 10, 0) || ' days')::interval
    from generate_series(1, ${LEFT}::int) g`);
  await db.execute(sql`
    insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_label)
    select ${accountId}, ${segmentId}, ${offset} + g, now(), 'import', 'bench' from generate_series(${LEFT + 1}::int, ${total}::int) g`);
  console.log(
    `seeded ${MEMBERS.toLocaleString("en-US")} members, ${(total + LEFT).toLocaleString("en-US")} history rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // The roll-up from that history, as migration 0005 builds it.
  t0 = performance.now();
  await db.execute(sql`
    insert into segment_daily_changes (account_id, segment_id, day, source_type, joins, leaves)
    select e.account_id, e.segment_id, (e.at at time zone 'UTC')::date, e.source_type,
      count(*) filter (where e.action = 'added'), count(*) filter (where e.action = 'removed')
    from membership_events e join segments s on s.account_id = e.account_id and s.id = e.segment_id
    group by 1, 2, 3, 4`);
  const backfill = performance.now() - t0;
  const [{ n: rollRows }] = (await queryRows<{ n: string }>(db, sql`select count(*) as n from segment_daily_changes`)) as [{ n: string }];
  console.log(`roll-up backfill (migration 0005): ${(backfill / 1000).toFixed(2)} s for ${Number(rollRows).toLocaleString("en-US")} roll-up rows`);
  await database.sql.unsafe("vacuum analyze");

  const segment = { id: segmentId, memberCount: MEMBERS };
  console.log("\n" + "chart".padEnd(58) + "p50 ms".padStart(9) + "p95 ms".padStart(9));
  for (const period of CHART_PERIODS)
    row(`segment size, ${period} (roll-up query)`, await measure(RUNS, () => getSegmentSizeHistory(db, accountId, segment, period)));
  for (const period of CHART_PERIODS) {
    row(
      `segment size, ${period} (query + SVG and table rendered)`,
      await measure(RUNS, async () => {
        const periods = await getSegmentSizeHistory(db, accountId, segment, period);
        return String(SegmentSizeChart({ segmentId, period, periods }));
      }),
    );
  }
  // The same figures by a scan of the history: what the roll-up saves.
  for (const period of CHART_PERIODS) {
    const from = periodStarts(new Date(), period, PERIODS_SHOWN[period])[0]!;
    row(
      `segment size, ${period} (scan of membership_events instead)`,
      await measure(5, () =>
        queryRows(
          db,
          sql`
      select date_trunc(${period}, (at at time zone 'UTC')::date::timestamp) as start, source_type,
        count(*) filter (where action = 'added') as joins, count(*) filter (where action = 'removed') as leaves
      from membership_events where account_id = ${accountId} and segment_id = ${segmentId} and at >= ${from}::date
      group by 1, 2`,
        ),
      ),
    );
  }
  const [wf] = await queryRows<{ id: string }>(
    db,
    sql`insert into workflows (account_id, name, draft) values (${accountId}, 'Bench', '{}'::jsonb) returning id`,
  );
  await db.execute(sql`insert into workflow_daily_runs (account_id, workflow_id, day, events_matched, contacts_added, contacts_removed)
    select ${accountId}, ${wf!.id}, current_date - g, 1000 + g, 500, 20 from generate_series(0, 364) g`);
  row("workflow per day (30 days)", await measure(RUNS, () => listWorkflowDays(db, accountId, Number(wf!.id))));

  // The write path: a change now also upserts one roll-up row per segment and source, in the same statement.
  console.log("\n" + "membership change (roll-up kept in the same statement)".padEnd(58) + "p50 ms".padStart(9) + "p95 ms".padStart(9));
  const source = { type: "user" as const, id: null, label: "bench" };
  const outsider = (i: number) => [offset + 1 + ((i + 1) % LEFT)];
  row(
    `add 1 contact to the segment of ${MEMBERS.toLocaleString("en-US")}`,
    await measure(200, (i) => addContactsToSegment(db, accountId, segmentId, outsider(i), source)),
  );
  row(`remove 1 contact from that segment`, await measure(200, (i) => removeContactsFromSegment(db, accountId, segmentId, outsider(i), source)));
  const batch = (i: number) => Array.from({ length: 10_000 }, (_, k) => offset + 1 + (((i + 1) * 10_000 + k) % LEFT));
  row("add 10,000 contacts", await measure(10, (i) => addContactsToSegment(db, accountId, segmentId, batch(i), source)));
  row("remove 10,000 contacts", await measure(10, (i) => removeContactsFromSegment(db, accountId, segmentId, batch(i), source)));
  const [check] = await queryRows<{ rolled: string; history: string }>(
    db,
    sql`
    select (select sum(joins) - sum(leaves) from segment_daily_changes where account_id = ${accountId} and segment_id = ${segmentId}) as rolled,
      (select count(*) filter (where action = 'added') - count(*) filter (where action = 'removed') from membership_events where account_id = ${accountId} and segment_id = ${segmentId}) as history`,
  );
  console.log(`\nnet change, roll-up ${Number(check!.rolled).toLocaleString("en-US")} = history ${Number(check!.history).toLocaleString("en-US")}`);
  row(
    "the roll-up upsert alone (its share of a change)",
    await measure(200, () =>
      db.execute(sql`
    insert into segment_daily_changes (account_id, segment_id, day, source_type, joins, leaves)
    select ${accountId}, ${segmentId}, (now() at time zone 'UTC')::date, 'user', 1, 0
    on conflict (account_id, segment_id, day, source_type) do update
      set joins = segment_daily_changes.joins + excluded.joins, leaves = segment_daily_changes.leaves + excluded.leaves`),
    ),
  );
  // The same upsert's time inside the server (EXPLAIN ANALYZE), without the round trip a change does not pay twice.
  const inServer: number[] = [];
  for (let i = 0; i < 50; i++) {
    const [plan] = await queryRows<{ "QUERY PLAN": { "Execution Time": number }[] }>(
      db,
      sql`explain (analyze, format json)
      insert into segment_daily_changes (account_id, segment_id, day, source_type, joins, leaves)
      select ${accountId}, ${segmentId}, (now() at time zone 'UTC')::date, 'user', 1, 0
      on conflict (account_id, segment_id, day, source_type) do update
        set joins = segment_daily_changes.joins + excluded.joins, leaves = segment_daily_changes.leaves + excluded.leaves`,
    );
    inServer.push(plan!["QUERY PLAN"][0]!["Execution Time"]);
  }
  row("the roll-up upsert, execution time in the server", { p50: percentile(inServer, 50), p95: percentile(inServer, 95) });
  await database.close();
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
