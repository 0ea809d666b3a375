// Load benchmark of the events API on PostgreSQL: 1,000,000 contacts, 1,000,000 past events, segments of 50,000
// members, 20 active workflows (plus inactive ones and another account's, which must cost nothing), a real server
// process, and autocannon on 127.0.0.1.
// Prints events/s and p99 for single events at 50 connections and for batches of 1,000. Drops its database.
//
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/events.ts [seconds per run]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import postgres from "postgres";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createApiKey } from "../src/auth/api-keys";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { segmentsTable, workflowsTable, type WorkflowAction, type WorkflowCondition } from "../src/db/schema";
import { emptyDraft } from "../src/workflows/draft";
import { freePort } from "../test/support/net";

const CONTACTS = 1_000_000;
const SECONDS = Number(process.argv[2] ?? 20);
const CATEGORIES = ["office furniture", "lighting", "storage", "chairs", "desks", "garden", "kitchen", "textiles", "decor", "outdoor"];

const baseUrl = process.env.DATABASE_URL;
if (!baseUrl || !/^postgres(ql)?:\/\/[^/]*(127\.0\.0\.1|localhost)/.test(baseUrl)) {
  console.error("Set DATABASE_URL to a PostgreSQL on 127.0.0.1, e.g. postgres://postgres@127.0.0.1:5432/postgres");
  process.exit(1);
}
// BENCH_DB reuses a database an earlier run kept (BENCH_KEEP_DB=1) instead of building a new one.
const reuse = process.env.BENCH_DB;
const dbName = reuse ?? `roster_bench_${Date.now().toString(36)}_${randomBytes(2).toString("hex")}`;
const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
const url = new URL(baseUrl);
url.pathname = `/${dbName}`;
let server: ChildProcess | null = null;

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
const email = () => `c${1 + Math.floor(Math.random() * CONTACTS)}@bench.example`;
let seq = 0;
const eventId = () => `e-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

/** A realistic mix: mostly searches and page views, some purchases and forms. */
function randomEvent() {
  const r = Math.random();
  if (r < 0.5) {
    const category = pick(CATEGORIES);
    return {
      id: eventId(),
      type: "product_search",
      email: email(),
      properties: {
        query: `${category} ${pick(["desk", "lamp", "shelf", "chair"])}`,
        product: { id: String(Math.floor(Math.random() * 5000)), name: "Item", category },
      },
    };
  }
  if (r < 0.8)
    return {
      id: eventId(),
      type: "page_view",
      email: email(),
      properties: { url: `https://shop.example/${pick(CATEGORIES).replace(" ", "-")}`, category: pick(CATEGORIES) },
    };
  if (r < 0.95) {
    const price = Math.round(Math.random() * 400);
    return {
      id: eventId(),
      type: "purchase",
      email: email(),
      properties: {
        order_id: eventId(),
        total: price,
        currency: "EUR",
        products: [{ id: "p1", name: "Item", category: pick(CATEGORIES), price, quantity: 1 }],
      },
    };
  }
  return { id: eventId(), type: "form_submit", email: email(), properties: { form: pick(["newsletter", "contact", "quote"]) } };
}

async function setUp() {
  await admin.unsafe(`create database ${dbName}`);
  const database = await openDatabase({ databaseUrl: url.toString() });
  await migrateDatabase(database);
  const db = database.db;
  const sql = database.sql;
  const { account } = await createAccountWithAdmin(db, "Bench", { name: "Bench", email: `bench-${dbName}@example.test`, password: "bench password 1" });
  const other = await createAccountWithAdmin(db, "Other", { name: "Other", email: `other-${dbName}@example.test`, password: "bench password 1" });
  const { key } = await createApiKey(db, account.id, { name: "bench" });

  let t = performance.now();
  await sql`insert into contacts (account_id, email, first_name)
            select ${account.id}, 'c' || g || '@bench.example', 'Name' || g from generate_series(1, ${CONTACTS}) g`;
  await sql`analyze contacts`;
  console.log(`  ${CONTACTS.toLocaleString("en")} contacts in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const segment = async (accountId: number, name: string) =>
    (await db.insert(segmentsTable).values({ accountId, name }).returning({ id: segmentsTable.id }))[0]!.id;
  const workflow = (
    accountId: number,
    name: string,
    status: "active" | "inactive",
    eventType: string,
    conditions: WorkflowCondition[],
    actions: WorkflowAction[],
  ) => ({
    accountId,
    name,
    status,
    triggerKind: (["purchase", "product_search", "page_view", "form_submit"].includes(eventType) ? eventType : "custom") as "custom",
    eventType,
    conditions,
    actions,
    draft: emptyDraft(),
    savedAt: new Date(),
    activatedAt: status === "active" ? new Date() : null,
  });

  const rows = [];
  const customers = await segment(account.id, "Customers");
  const prospects = await segment(account.id, "Prospects");
  // 20 active workflows of the bench account.
  for (const [i, category] of CATEGORIES.slice(0, 8).entries()) {
    rows.push(
      workflow(
        account.id,
        `Search ${i}`,
        "active",
        "product_search",
        [{ path: "product.category", operator: "equals", value: category }],
        [{ kind: "add", segmentId: await segment(account.id, `Interested in ${category}`) }],
      ),
    );
  }
  rows.push(
    workflow(
      account.id,
      "Desk searchers",
      "active",
      "product_search",
      [
        { path: "query", operator: "contains", value: "desk" },
        { path: "product.category", operator: "in_list", value: "office furniture, desks" },
      ],
      [{ kind: "add", segmentId: await segment(account.id, "Desk searchers") }],
    ),
  );
  rows.push(
    workflow(
      account.id,
      "Buyers",
      "active",
      "purchase",
      [],
      [
        { kind: "add", segmentId: customers },
        { kind: "remove", segmentId: prospects },
      ],
    ),
  );
  rows.push(
    workflow(
      account.id,
      "Big buyers",
      "active",
      "purchase",
      [{ path: "total", operator: "greater_than", value: "300" }],
      [{ kind: "add", segmentId: await segment(account.id, "Big buyers") }],
    ),
  );
  rows.push(
    workflow(
      account.id,
      "Small buyers",
      "active",
      "purchase",
      [{ path: "total", operator: "less_than", value: "20" }],
      [{ kind: "add", segmentId: await segment(account.id, "Small buyers") }],
    ),
  );
  for (const [i, category] of CATEGORIES.slice(0, 5).entries()) {
    rows.push(
      workflow(
        account.id,
        `Visit ${i}`,
        "active",
        "page_view",
        [
          { path: "category", operator: "equals", value: category },
          { path: "url", operator: "contains", value: "shop.example" },
        ],
        [{ kind: "add", segmentId: await segment(account.id, `Visited ${category}`) }],
      ),
    );
  }
  rows.push(
    workflow(
      account.id,
      "Newsletter",
      "active",
      "form_submit",
      [{ path: "form", operator: "equals", value: "newsletter" }],
      [{ kind: "add", segmentId: await segment(account.id, "Newsletter") }],
    ),
  );
  rows.push(
    workflow(account.id, "Quotes", "active", "form_submit", [{ path: "form", operator: "equals", value: "quote" }], [{ kind: "add", segmentId: prospects }]),
  );
  rows.push(workflow(account.id, "Trials", "active", "trial.started", [], [{ kind: "add", segmentId: prospects }]));
  // Noise that must not cost anything: 200 inactive workflows here, 500 active ones in another account.
  for (let i = 0; i < 200; i++)
    rows.push(workflow(account.id, `Old ${i}`, "inactive", pick(["product_search", "page_view", "purchase"]), [], [{ kind: "add", segmentId: customers }]));
  const otherSeg = await segment(other.account.id, "Theirs");
  for (let i = 0; i < 500; i++)
    rows.push(
      workflow(other.account.id, `Theirs ${i}`, "active", pick(["product_search", "page_view", "purchase"]), [], [{ kind: "add", segmentId: otherSeg }]),
    );
  await db.insert(workflowsTable).values(rows);
  const [{ n }] = await sql`select count(*)::int as n from workflows where account_id = ${account.id} and status = 'active'`;
  console.log(`  ${n} active workflows (plus 200 inactive, and 500 active in another account)`);

  // A shop that has been sending events for a while, not an empty event store: 1,000,000 past events, and each
  // segment holding about 5% of the contacts with the history that put them there. Then statistics, as
  // autovacuum (or Roster's maintenance, where autovacuum is off) keeps them: plans made on empty tables (or on
  // none) treat a million rows as a few hundred, and the run measures those plans instead.
  t = performance.now();
  const [{ lo }] = await sql`select min(id)::bigint as lo from contacts where account_id = ${account.id}`;
  await sql`insert into events (account_id, external_id, type, contact_id, properties, occurred_at, received_at)
            select ${account.id}, 'seed-' || g, (array['product_search', 'page_view', 'purchase', 'form_submit'])[1 + g % 4],
              ${lo}::bigint + (g::bigint * 7919) % ${CONTACTS}, '{"url": "https://shop.example/decor", "category": "decor"}'::jsonb,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
            from generate_series(1, ${CONTACTS}) g`;
  await sql`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
            select ${account.id}, s.id, c.id, now(), 'import', null, 'seed'
            from segments s join contacts c on c.account_id = s.account_id and (c.id * 31 + s.id * 17) % 20 = 0
            where s.account_id = ${account.id}
            order by s.id, c.id`;
  await sql`insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
            select m.account_id, m.segment_id, s.name, m.contact_id, 'added', 'import', null, 'seed', m.added_at
            from segment_members m join segments s on s.account_id = m.account_id and s.id = m.segment_id
            where m.account_id = ${account.id}`;
  await sql`update segments s set member_count = (select count(*) from segment_members m where m.account_id = s.account_id and m.segment_id = s.id)
            where s.account_id = ${account.id}`;
  const [seeded] = await sql`select (select count(*) from events)::int as events, (select count(*) from segment_members)::int as members`;
  console.log(
    `  ${seeded!.events.toLocaleString("en")} past events, ${seeded!.members.toLocaleString("en")} memberships in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  await sql`vacuum analyze`;
  await database.close();
  return key;
}

async function newKey() {
  const database = await openDatabase({ databaseUrl: url.toString() });
  const [row] = await database.sql`select id from accounts where name = 'Bench'`;
  const { key } = await createApiKey(database.db, Number(row!.id), { name: "bench" });
  await database.close();
  return key;
}

async function startServer(): Promise<string> {
  const port = await freePort();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=bench/tmp", profiles the server under load.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" }); // the bundle `npm start` runs
  server = spawn(process.execPath, [...nodeArgs, "--enable-source-maps", "dist/server.mjs"], {
    env: { ...process.env, DATABASE_URL: url.toString(), PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent", WORKER: "off" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return base;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start");
}

async function load(base: string, key: string, opts: { path: string; connections: number; seconds: number; body: () => string }) {
  const result = await autocannon({
    url: base,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [
      {
        method: "POST",
        path: opts.path,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        setupRequest: (req) => ({ ...req, body: opts.body() }),
      },
    ],
  });
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  return { ok, bad, seconds: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main() {
  console.log(`Setting up ${dbName}…`);
  const key = reuse ? await newKey() : await setUp();
  const base = await startServer();

  const single = () => JSON.stringify(randomEvent());
  const batch = () => JSON.stringify({ events: Array.from({ length: 1000 }, randomEvent) });
  await load(base, key, { path: "/api/v1/events", connections: 50, seconds: 3, body: single }); // warm-up

  if (process.env.BENCH_SETUP_ONLY) return;
  // BENCH_ONLY=single, batch or floor (the database alone) runs one of the three.
  const only = process.env.BENCH_ONLY;
  const none = { ok: 0, bad: 0, seconds: 1, p50: 0, p99: 0 };
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const historyRows = async () => Number((await sql`select count(*)::int as n from membership_events`)[0]!.n);
  const s = only === "batch" || only === "floor" ? none : await load(base, key, { path: "/api/v1/events", connections: 50, seconds: SECONDS, body: single });
  const before = await historyRows();
  const b =
    only === "single" || only === "floor" ? none : await load(base, key, { path: "/api/v1/events/batch", connections: 4, seconds: SECONDS, body: batch });
  // Membership changes (history rows) per batch: what the database-alone run writes besides the events.
  const changesPerBatch = b.ok > 0 ? Math.round(((await historyRows()) - before) / b.ok) : 750;

  const [stats] = await sql`select (select count(*) from events)::int as events, (select count(*) from segment_members)::int as members,
    (select coalesce(sum(events_matched), 0) from workflows)::bigint as matched, (select coalesce(sum(error_count), 0) from workflows)::bigint as errors`;
  await sql.end();
  const floor = only === "single" || only === "batch" ? null : await databaseAlone(changesPerBatch);

  console.log("");
  console.log(
    `Single events, 50 connections, ${s.seconds} s: ${(s.ok / s.seconds).toFixed(0)} events/s, p50 ${s.p50} ms, p99 ${s.p99} ms (${s.bad} failed)   target >= 1,500/s, p99 < 100 ms`,
  );
  console.log(
    `Batches of 1,000, 4 connections, ${b.seconds} s: ${((b.ok * 1000) / b.seconds).toFixed(0)} events/s, ${(b.ok / b.seconds).toFixed(1)} batches/s, p99 ${b.p99} ms (${b.bad} failed)   target >= 20,000/s`,
  );
  if (floor) {
    const ratio = b.ok > 0 ? `; Roster's batches: ${((b.ok / b.seconds / floor.batchesPerSecond) * 100).toFixed(0)}% of it` : "";
    console.log(
      `Database alone, the same writes with no app (4 connections; per batch: 1,000 emails looked up, 1,000 events stored, ${changesPerBatch} members added with history): ` +
        `${floor.batchesPerSecond.toFixed(1)} batches/s = ${(floor.batchesPerSecond * 1000).toFixed(0)} events/s${ratio}`,
    );
  }
  console.log(`Stored ${stats!.events} events; workflows matched ${stats!.matched} times (${stats!.errors} errors); ${stats!.members} memberships`);
}

/**
 * The floor under Roster's batches: what PostgreSQL itself does for the writes a batch needs, sent as two plain
 * statements per batch from 4 connections, with no HTTP, validation or workflow logic: look up 1,000 emails and
 * store 1,000 events; add `changes` random (segment, contact) members with their history rows. Run last: its rows
 * stay in the bench database, which the run then drops.
 */
async function databaseAlone(changes: number): Promise<{ batchesPerSecond: number }> {
  const sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
  const [account] = await sql`select id from accounts where name = 'Bench'`;
  const acct = Number(account!.id);
  const segs = (await sql`select id from segments where account_id = ${acct} order by id`).map((r) => Number(r.id));
  const [range] = await sql`select min(id)::bigint as lo, max(id)::bigint as hi from contacts where account_id = ${acct}`;
  const [lo, hi] = [Number(range!.lo), Number(range!.hi)];
  const segArray = `{${segs.join(",")}}`;
  let batches = 0;
  const until = performance.now() + SECONDS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      await sql`
        insert into events (account_id, external_id, type, contact_id, properties, occurred_at)
        select ${acct}, 'floor-' || md5(random()::text || g), 'page_view', c.id, '{"url": "https://shop.example/decor", "category": "decor"}'::jsonb, now()
        from (select g, 'c' || (1 + floor(random() * ${CONTACTS}))::int || '@bench.example' as k from generate_series(1, 1000) g) r
        join contacts c on c.account_id = ${acct} and lower(c.email) = r.k
        on conflict (account_id, external_id) do nothing`;
      await sql`
        with pairs as (
          select distinct (${segArray}::bigint[])[1 + floor(random() * ${segs.length})::int] as s, (${lo} + floor(random() * ${hi - lo + 1}))::bigint as c
          from generate_series(1, ${changes})
        ),
        added as (
          insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
          select ${acct}, s, c, now(), 'workflow', null, 'floor' from pairs order by s, c
          on conflict do nothing
          returning segment_id, contact_id
        )
        insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
        select ${acct}, segment_id, 'floor', contact_id, 'added', 'workflow', null, 'floor', now() from added`;
      batches++;
    }
  };
  const started = performance.now();
  await Promise.all([loop(), loop(), loop(), loop()]);
  const seconds = (performance.now() - started) / 1000;
  await sql.end();
  return { batchesPerSecond: batches / seconds };
}

try {
  await main();
} finally {
  const proc = server as ChildProcess | null;
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  if (process.env.BENCH_KEEP_DB || reuse) console.log(`kept database ${dbName}`);
  else await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
