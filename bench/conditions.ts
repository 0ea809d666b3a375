// Benchmark of the conditions engine (src/conditions/): the live count and first ten contacts (countAndPreview) of
// condition sets on fields and segments, and with one event condition over the last 30 days, against the
// database's floor for the same work (the bare `select count(*)` of the same WHERE: no materialised matches, no
// first ten, no plan to name a broad condition; same work_mem).
// Matches rare and common, old and new.
//
// Usage: DATA_DIR=/tmp/roster-bench-conditions npx tsx bench/conditions.ts [contacts] [events]
//   (defaults 1,000,000 and 10,000,000; with DATABASE_URL, that server instead of the embedded one in DATA_DIR, which
//   the bench starts with EMBEDDED_PG_SETTINGS as Roster would.)
// The data is seeded once with generate_series (12 months of events, 50 segments) into the account "Bench
// conditions" and kept: a second run with the same sizes reuses it. BENCH_RUNS (default 20) runs per case.
import { loadavg, cpus } from "node:os";
import { sql, type SQL } from "drizzle-orm";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { openDatabase, queryRows, type Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { parseConditions } from "../src/conditions/grammar";
import { parseConfig } from "../src/config";
import { conditionsWhere } from "../src/conditions/sql";
import { countAndPreview, withStatementTimeout } from "../src/conditions/preview";

const N = Number(process.argv[2] ?? 1_000_000);
const M = Number(process.argv[3] ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SEGMENTS = 50;
// Segment k holds this share of the contacts (cycling), so there are small and large segments.
const SHARES = [0.001, 0.01, 0.05, 0.2];

const ms = (n: number) => n.toFixed(1).padStart(8);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Drops a table's secondary indexes for a bulk load and gives back the statements that make them again. */
async function dropIndexes(db: Db, table: string): Promise<string[]> {
  const rows = await queryRows<{ indexname: string; indexdef: string }>(
    db,
    sql`select i.indexname, i.indexdef from pg_indexes i where i.tablename = ${table} and i.indexname not in (select conname from pg_constraint where contype = 'p')`,
  );
  for (const r of rows) await db.execute(sql.raw(`drop index "${r.indexname}"`));
  return rows.map((r) => r.indexdef);
}

async function seed(db: Db, a: number): Promise<void> {
  const contactIndexes = await dropIndexes(db, "contacts");
  // Contacts: created over the last 12 months in id order (old to new). Domains: 1 in 10 gmail.com (common), 1 in
  // 5,000 acme.es (rare), the rest spread over 50 domains. plan: pro for 1 in 20; score 0..99.
  await timed(`seed ${N.toLocaleString("en-US")} contacts`, () =>
    db.execute(sql`insert into contacts (account_id, email, first_name, last_name, phone, custom, created_at, updated_at)
      select ${a}, 'user' || g || case when g % 10 = 1 then '@gmail.com' when g % 5000 = 7 then '@acme.es' else '@example' || (g % 50) || '.com' end,
        'First' || (g % 500), 'Last' || (g % 700), case when g % 3 = 0 then null else '+34' || (600000000 + g) end,
        jsonb_build_object('plan', case when g % 20 = 0 then 'pro' else 'free' end, 'score', g % 100),
        now() - interval '365 days' + (g::float8 / ${N}) * interval '365 days',
        now() - interval '365 days' + (g::float8 / ${N}) * interval '365 days'
      from generate_series(1, ${N}) g`),
  );
  await timed("contacts indexes", async () => {
    for (const def of contactIndexes) await db.execute(sql.raw(def));
  });
  await db.execute(sql`insert into segments (account_id, name) select ${a}, 'Segment ' || k from generate_series(1, ${SEGMENTS}) k`);
  const shares = `{${SHARES.join(",")}}`;
  await timed(`seed members of ${SEGMENTS} segments`, () =>
    db.execute(sql`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_label)
      select ${a}, s.id, c.id, now() - ((hashint8(c.id * 131 + s.id) & 2147483647) % 365) * interval '1 day', 'user', 'bench'
      from segments s
      join contacts c on c.account_id = s.account_id
        and (hashint8(c.id * 7919 + s.id) & 2147483647) % 100000 < 100000 * (${shares}::float8[])[1 + (s.id % ${SHARES.length})]
      where s.account_id = ${a}`),
  );
  await db.execute(
    sql`update segments s set member_count = (select count(*) from segment_members m where m.account_id = s.account_id and m.segment_id = s.id) where s.account_id = ${a}`,
  );
  await seedEvents(db, a);
}

async function seedEvents(db: Db, a: number): Promise<void> {
  const [first] = await queryRows<{ id: string | number }>(db, sql`select min(id) as id from contacts where account_id = ${a}`);
  const firstId = Number(first!.id);
  const eventIndexes = await dropIndexes(db, "events");
  // Events over 12 months in the order they happened (as they arrive, so the table is in time order like a real
  // one), contacts at random: 60% page_view, 20% purchase (a tenth of them office furniture, totals 1..500), 15%
  // product_search, 5% form_submit.
  await timed(`seed ${M.toLocaleString("en-US")} events`, () =>
    db.execute(sql`insert into events (account_id, external_id, type, contact_id, properties, occurred_at, received_at)
      select ${a}, 'b' || g, t.type, ${firstId}::bigint + r.n - 1,
        case t.type
          when 'purchase' then jsonb_build_object('total', (g % 500) + 1, 'products', jsonb_build_array(jsonb_build_object('category', (array['office furniture','lamps','chairs','desks','paper','pens','printers','ink','bags','phones'])[1 + (g / 5) % 10]), jsonb_build_object('category', 'paper')))
          when 'page_view' then jsonb_build_object('url', '/p/' || (g % 1000))
          when 'product_search' then jsonb_build_object('query', 'q' || (g % 300))
          else jsonb_build_object('form', 'f' || (g % 20)) end,
        ts, ts
      from generate_series(1, ${M}) g
      cross join lateral (select case when g % 20 < 12 then 'page_view' when g % 20 < 16 then 'purchase' when g % 20 < 19 then 'product_search' else 'form_submit' end as type) t
      cross join lateral (select floor(${N}::float8 * ((hashint8(g) & 2147483647)::float8 / 2147483648))::bigint + 1 as n) r
      cross join lateral (select now() - interval '365 days' + (g::float8 / ${M}) * interval '365 days' as ts) o`),
  );
  await timed("events indexes", async () => {
    for (const def of eventIndexes) await db.execute(sql.raw(def));
  });
}

const databaseUrl = process.env.DATABASE_URL;
const database = await openDatabase({
  databaseUrl,
  dataDir: process.env.DATA_DIR ?? "/tmp/roster-bench-conditions",
  embeddedSettings: parseConfig(process.env).EMBEDDED_PG_SETTINGS,
  maxConnections: 2,
});
try {
  await migrateDatabase(database);
  const db = database.db;
  const label = `Bench conditions ${N}/${M}`;
  let [account] = await queryRows<{ id: string | number }>(db, sql`select id from accounts where name = ${label}`);
  if (!account) {
    const created = await createAccountWithAdmin(db, label, { name: "Bench Admin", email: `bench-${N}-${M}@example.test`, password: "correct horse battery" });
    await seed(db, created.account.id);
    await timed("vacuum analyze", async () => {
      for (const t of ["contacts", "segments", "segment_members", "events"]) await db.execute(sql.raw(`vacuum analyze ${t}`));
    });
    account = { id: created.account.id };
  } else {
    console.log(`reusing the seeded account "${label}"`);
    // A first version seeded events in random time order; real events arrive in time order, so reseed them so.
    const [corr] = await queryRows<{ c: number | null }>(db, sql`select correlation as c from pg_stats where tablename = 'events' and attname = 'occurred_at'`);
    if (corr && corr.c !== null && Math.abs(Number(corr.c)) < 0.9) {
      console.log(`events are not in time order (correlation ${Number(corr.c).toFixed(2)}): seeding them again`);
      await db.execute(sql`truncate events`);
      await seedEvents(db, Number(account.id));
      await timed("vacuum analyze events", () => db.execute(sql`vacuum analyze events`));
    }
  }
  const a = Number(account.id);
  const segs = (
    await queryRows<{ id: string | number; member_count: string | number }>(db, sql`select id, member_count from segments where account_id = ${a} order by id`)
  ).map((r) => ({ id: Number(r.id), size: Number(r.member_count) }));
  const bySize = [...segs].sort((x, y) => x.size - y.size);
  const small = bySize[0]!;
  const large = bySize[bySize.length - 1]!;
  const mid = bySize[Math.floor(bySize.length / 2)]!;
  const [{ events }] = (await queryRows<{ events: string }>(db, sql`select count(*) as events from events where account_id = ${a}`)) as [{ events: string }];
  console.log(
    `PostgreSQL ${(await queryRows<{ server_version: string }>(db, sql`show server_version`))[0]!.server_version}; ${N.toLocaleString("en-US")} contacts, ${Number(events).toLocaleString("en-US")} events, ${segs.length} segments (sizes ${small.size.toLocaleString("en-US")} to ${large.size.toLocaleString("en-US")}); load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores; ${RUNS} runs per case\n`,
  );

  const furniture = { path: "products.category", op: "equals", value: "office furniture" };
  // A hand-written plan that beats the planner's for the same matches, where I found one: the case's best floor.
  const cases: { name: string; doc: unknown; hand?: SQL }[] = [
    {
      name: "fields+segments, common (gmail, large segment, plan free)",
      doc: {
        all: [
          { field: "email_domain", op: "is", value: "gmail.com" },
          { segment: large.id, op: "in" },
          { field: "custom.plan", op: "is", value: "free" },
        ],
      },
    },
    {
      name: "fields+segments, rare and new (acme.es, mid segment, created in the last 30 days)",
      doc: {
        all: [
          { field: "email_domain", op: "is", value: "acme.es" },
          { segment: mid.id, op: "in" },
          { field: "created_at", op: "in_last_days", value: 30 },
        ],
      },
    },
    {
      name: "fields+segments, rare and old (small segment, not in large, created before 11 months ago)",
      doc: {
        all: [
          { segment: small.id, op: "in" },
          { segment: large.id, op: "not_in" },
          { field: "created_at", op: "before", value: new Date(Date.now() - 335 * 86_400_000).toISOString() },
        ],
      },
    },
    {
      name: "fields+segments, any of (pro or in large segment or score > 97)",
      doc: {
        any: [
          { field: "custom.plan", op: "is", value: "pro" },
          { segment: large.id, op: "in" },
          { field: "custom.score", op: "greater_than", value: 97 },
        ],
      },
      // The same tests, with the segment as a hash join (shared by the parallel workers) instead of a hashed lookup
      // per contact; the count only.
      hand: sql`select count(*) from contacts c left join segment_members m on m.account_id = ${a} and m.segment_id = ${large.id} and m.contact_id = c.id
        where c.account_id = ${a} and ((c.custom_values @> array['pro'] and coalesce(roster_fold(coalesce(c.custom ->> 'plan', '')) = 'pro', false)) or m.contact_id is not null or c.custom @? 'strict $."score" ? (@ > 97)')`,
    },
    {
      name: "event: gmail + in large segment + bought office furniture in the last 30 days",
      doc: {
        all: [
          { field: "email_domain", op: "is", value: "gmail.com" },
          { segment: large.id, op: "in" },
          { event: "purchase", op: "did", in_last_days: 30, where: [furniture] },
        ],
      },
    },
    {
      name: "event: plan free + bought office furniture (total > 100) in the last 30 days (common)",
      doc: {
        all: [
          { field: "custom.plan", op: "is", value: "free" },
          { event: "purchase", op: "did", in_last_days: 30, where: [furniture, { path: "total", op: "greater_than", value: 100 }] },
        ],
      },
    },
    {
      name: "event: acme.es + viewed a page in the last 30 days (rare contacts, common event)",
      doc: {
        all: [
          { field: "email_domain", op: "is", value: "acme.es" },
          { event: "page_view", op: "did", in_last_days: 30 },
        ],
      },
    },
    {
      name: "event: in mid segment + did not purchase in the last 30 days",
      doc: {
        all: [
          { segment: mid.id, op: "in" },
          { event: "purchase", op: "did_not", in_last_days: 30 },
        ],
      },
    },
  ];

  console.log(`${"case".padEnd(96)} ${"matches".padStart(9)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)}  | floor p50 ${"p95".padStart(8)}`);
  for (const c of cases) {
    const parsed = parseConditions(c.doc, {
      customFields: [
        { key: "plan", type: "text" },
        { key: "score", type: "number" },
      ],
    });
    if (!parsed.ok) throw new Error(`${c.name}: ${JSON.stringify(parsed.details)}`);
    const group = parsed.value;
    const live: number[] = [];
    let count = 0;
    for (let i = -1; i < RUNS; i++) {
      const started = performance.now();
      const p = await countAndPreview(db, a, group, { limit: 10, timeoutMs: 30_000 });
      if (i >= 0) live.push(performance.now() - started);
      count = p.count;
    }
    const bare: SQL = sql`select count(*) from contacts c where c.account_id = ${a} and ${conditionsWhere(a, group)}`;
    const floor: number[] = [];
    for (let i = -1; i < RUNS; i++) {
      const started = performance.now();
      // With the engine's settings (work_mem for the hashed event lookups): at the default 4 MB, the bare statement
      // ran an event condition's lookup once per contact (9.3 s against 0.5 s).
      await withStatementTimeout(db, 60_000, (tx) => tx.execute(bare));
      if (i >= 0) floor.push(performance.now() - started);
    }
    let handFigures = "";
    if (c.hand) {
      const hand: number[] = [];
      let handCount = 0;
      for (let i = -1; i < RUNS; i++) {
        const started = performance.now();
        const [row] = await withStatementTimeout(db, 60_000, (tx) => queryRows<{ count: string }>(tx, c.hand!));
        if (i >= 0) hand.push(performance.now() - started);
        handCount = Number(row!.count);
      }
      if (handCount !== count) throw new Error(`${c.name}: the hand-written plan counts ${handCount}, not ${count}`);
      handFigures = `  | hand-written plan ${ms(percentile(hand, 50))} ${ms(percentile(hand, 95))}`;
    }
    console.log(
      `${c.name.padEnd(96)} ${String(count).padStart(9)} ${ms(percentile(live, 50))} ${ms(percentile(live, 95))}  | ${ms(percentile(floor, 50))} ${ms(percentile(floor, 95))}${handFigures}`,
    );
  }
  console.log(`\nload average at the end ${loadavg()[0]!.toFixed(1)}`);
  if (process.env.BENCH_PLANS === "1") {
    for (const c of cases) {
      const parsed = parseConditions(c.doc);
      if (!parsed.ok) continue;
      const plan = await queryRows<{ "QUERY PLAN": string }>(
        db,
        sql`explain (analyze, buffers) select count(*) from contacts c where c.account_id = ${a} and ${conditionsWhere(a, parsed.value)}`,
      );
      console.log(`\n${c.name}\n${plan.map((r) => r["QUERY PLAN"]).join("\n")}`);
    }
  }
} finally {
  await database.close();
}
