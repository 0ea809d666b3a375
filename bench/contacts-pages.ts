// Benchmark of the contacts and segment pages at scale on PostgreSQL: seeds 1,000,000 contacts in its own
// database, times a 1,000,000-contact "all matching" add (history included), then renders the hot pages through
// the app (server-side, no network) and prints p50/p95 per page, the member count read, and the query plans.
// Then every search kind (email prefix, domain, phone, full name, custom value), with matches rare, common, old
// and new, in every sort order both ways, first and last page: p50/p95 per case.
//
// Usage: npx tsx bench/contacts-pages.ts [contacts]   (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
// BENCH_SEARCH_RUNS (default 40) runs per search case; BENCH_PLANS=0 skips the plans; BENCH_SEARCHES=user1,gmail runs
// only the searches whose text contains one of these; BENCH_PAGES=0 skips the pages before the searches.
// The database it creates is dropped at the end, unless BENCH_KEEP=1; BENCH_DB=<name> reuses one kept (no seed).
// Not a timed test: it prints figures.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { createApp } from "../src/app";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createSession, generateSessionToken, SESSION_COOKIE } from "../src/auth/session";
import { parseConfig } from "../src/config";
import { openDatabase, queryRows } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { contactFilterSql, encodeCursor, matchingContactsSql, ORDER_LABELS } from "../src/contacts/list";
import { addContactsToSegment } from "../src/segments/membership";
import { createSegment, getSegment } from "../src/segments/queries";

const N = Number(process.argv[2] ?? 1_000_000);
const BASE = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const RUNS = 200;

const FIRST = ["Jean", "Zoé", "Anaïs", "Jürgen", "María", "Søren", "Amélie", "Ola", "Chloé", "François", "Ana", "Li", "Émile", "Björn", "Marta", "Omar"];
const LAST = ["Dupont", "Müller", "García", "Nøstvik", "O'Brien", "Lefèvre", "Smith", "Kowalski", "Åberg", "Núñez", "Dubois", "Haddad", "Marchetti"];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const reused = process.env.BENCH_DB ?? null;
const name = reused ?? `roster_bench_${randomBytes(3).toString("hex")}`;
const admin = postgres(BASE, { max: 1, onnotice: () => {} });
if (!reused) await admin.unsafe(`create database ${name}`);
const url = new URL(BASE);
url.pathname = `/${name}`;
const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 4 });
try {
  await migrateDatabase(database);
  const db = database.db;
  const { app } = createApp({ database, config: parseConfig({ LOG_LEVEL: "silent", WORKER: "off" }) });
  const { account, user } = reused
    ? (await queryRows<{ account_id: string; id: string }>(db, sql`select account_id, id from users where email = 'bench@example.test'`)).map((u) => ({
        account: { id: Number(u.account_id) },
        user: { id: Number(u.id) },
      }))[0]!
    : await createAccountWithAdmin(db, "Bench", { name: "Bench Admin", email: "bench@example.test", password: "correct horse battery" });
  const token = generateSessionToken();
  await createSession(db, token, account.id, user.id);
  const cookie = `${SESSION_COOKIE}=${token}`;
  const a = account.id;

  console.log(
    `PostgreSQL ${(await queryRows<{ server_version: string }>(db, sql`show server_version`))[0]!.server_version}, ${N.toLocaleString("en-US")} contacts; load average at start ${(await import("node:os")).loadavg()[0]!.toFixed(1)} on ${(await import("node:os")).cpus().length} cores\n`,
  );
  // Emails: every 4th is userN@ (so a prefix like "user37" matches a block of old contacts and "user9999" a few new
  // ones), the others first.last.N@. First and last names, the domain (a tenth at gmail.com, one in 5,000 at acme.es,
  // the rest at exampleK.com) and the tier (gold for 1 in 100, else silver or bronze) are drawn by independent hashes
  // of N, as in a real list, where a name does not say which domain or tier a contact has; drawn by N's residues,
  // as this bench once did, every "user" contact had one of four first names and every gmail.com address an odd N,
  // so that a walk of the name or email order met no match for 250,000 rows. Phones: a third none, a third E.164
  // (+34 6…), a third as typed before phones were checked ("+33 6 …"). Custom values: the tier and an order number.
  let segment: { id: number };
  if (reused) {
    segment = (await queryRows<{ id: string }>(db, sql`select id from segments where account_id = ${a} and name = 'Everyone'`)).map((r) => ({
      id: Number(r.id),
    }))[0]!;
    console.log(`reusing database ${name}: no seed`);
  } else {
    await timed(`seed ${N.toLocaleString("en-US")} contacts (with every contacts index in place)`, () =>
      db.execute(sql`insert into contacts (account_id, email, first_name, last_name, phone, custom, created_at, updated_at)
        select ${a},
          case when g % 4 = 0 then 'user' || g else lower(roster_fold(f.v)) || '.' || replace(lower(roster_fold(l.v)), '''', '') || '.' || g end
            || case when abs(hashint8(g * 5 + 2)) % 10 = 0 then '@gmail.com' when abs(hashint8(g * 5 + 2)) % 5000 = 7 then '@acme.es' else '@example' || (g % 50) || '.com' end,
          f.v, l.v,
          case g % 3 when 0 then null when 1 then '+34' || (600000000 + g) else '+33 6 ' || lpad((g % 100000000)::text, 8, '0') end,
          jsonb_build_object('tier', case when abs(hashint8(g * 5 + 3)) % 100 = 0 then 'gold' when abs(hashint8(g * 5 + 3)) % 2 = 0 then 'silver' else 'bronze' end, 'order', 'A-' || g),
          now() - (${N} - g) * interval '1 second',
          now() - ((g::bigint * 7919) % ${N}) * interval '1 second'
        from generate_series(1, ${N}) g
        cross join lateral (select (${sql.raw(`array[${FIRST.map((f) => `'${f}'`).join(",")}]`)})[1 + abs(hashint8(g * 5)) % ${FIRST.length}] as v) f
        cross join lateral (select (${sql.raw(`array[${LAST.map((l) => `'${l.replace("'", "''")}'`).join(",")}]`)})[1 + abs(hashint8(g * 5 + 1)) % ${LAST.length}] as v) l`),
    );
    // Flush the seed's dirty pages first, so the add below is not measured paying for the seed's checkpoint.
    await timed("vacuum analyze and checkpoint after the seed", async () => {
      await db.execute(sql`vacuum analyze contacts`);
      await db.execute(sql`checkpoint`);
    });
    const everyone = await createSegment(db, a, { name: "Everyone" });
    const baseline = await createSegment(db, a, { name: "Baseline" });
    const bulk = await timed(`add all ${N.toLocaleString("en-US")} matching contacts to a segment (one statement, history and count included)`, () =>
      addContactsToSegment(db, a, everyone.id, matchingContactsSql(a, {}), { type: "user", id: user.id, label: "Bench Admin" }),
    );
    const [{ events }] = await queryRows<{ events: string }>(db, sql`select count(*) as events from membership_events where account_id = ${a}`);
    console.log(`  added ${bulk.added.toLocaleString("en-US")}, history entries ${Number(events).toLocaleString("en-US")}`);
    // BASELINES.md: quote Roster against what the database does in the same run. The baseline is the bare insert
    // (no history, no count, no dedupe), into another segment; it is removed again so pages measure one segment.
    await timed("  baseline: bare insert ... select of the same 1,000,000 rows into segment_members", () =>
      db.execute(sql`insert into segment_members (account_id, segment_id, contact_id, source_type, source_label)
        select ${a}, ${baseline.id}, id, 'user', 'baseline' from contacts where account_id = ${a} on conflict do nothing`),
    );
    await db.execute(sql`delete from segment_members where account_id = ${a} and segment_id = ${baseline.id}`);
    await timed("vacuum analyze", () => db.execute(sql`vacuum analyze`));
    segment = everyone;
  }

  const [deepRow] = await queryRows<{ id: string; k: string }>(
    db,
    sql`select id, created_at::text as k from contacts where account_id = ${a} order by created_at desc, id desc limit 1 offset ${Math.floor(N / 20)}`,
  );
  const deep = encodeCursor({ key: deepRow!.k, id: Number(deepRow!.id) });
  const pages: [string, string][] = [
    ["contacts, first page", "/contacts"],
    ["contacts, segment-filtered", `/contacts?segment=${segment.id}`],
    ["contacts, deep keyset page", `/contacts?after=${deep}`],
    ["segment-filtered, deep keyset page", `/contacts?segment=${segment.id}&after=${deep}`],
    ["contacts, last page", "/contacts?last=1"],
    ["segment member page, last page by email", `/segments/${segment.id}/contacts?order=email-asc&last=1`],
    ["email-prefix search 'zoe.gar'", "/contacts?q=zoe.gar"],
    ["email-prefix search 'jean.d'", "/contacts?q=jean.d"],
    ["email-prefix search 'a' (broad)", "/contacts?q=a"],
    ["name search 'müll' (accent-insensitive)", `/contacts?q=${encodeURIComponent("müll")}`],
    ["name search 'nunez' (rare-ish)", "/contacts?q=nunez"],
    ["name search + segment", `/contacts?q=haddad&segment=${segment.id}`],
    ["segment member page", `/segments/${segment.id}/contacts`],
    ["segments list", "/segments"],
  ];
  console.log(`\nserver-side render through app.request(), ${RUNS} runs each after 20 warm-up runs:`);
  console.log("page".padEnd(44) + "p50 ms".padStart(9) + "p95 ms".padStart(9) + "rows".padStart(7));
  for (const [label, path] of process.env.BENCH_PAGES === "0" ? [] : pages) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS + 20; i++) {
      const started = performance.now();
      const res = await app.request(`http://localhost${path}`, { headers: { Cookie: cookie } });
      const html = await res.text();
      const ms = performance.now() - started;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      if (i >= 20) times.push(ms);
      rows = (html.match(/<a href="\/contacts\/\d+">/g) ?? []).length;
    }
    times.sort((x, y) => x - y);
    console.log(label.padEnd(44) + percentile(times, 50).toFixed(1).padStart(9) + percentile(times, 95).toFixed(1).padStart(9) + String(rows).padStart(7));
  }

  // Every search kind, with matches rare, common, old and new, in every sort order both ways, first and last page.
  const SEARCH_RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 40);
  // One address's whole local part, "ana.smith.1002": a prefix that one contact has.
  const [one] = await queryRows<{ local: string }>(
    db,
    sql`select split_part(lower(email), '@', 1) as local from contacts where account_id = ${a} and email not like 'user%' order by id limit 1 offset 1000`,
  );
  const searches: [string, string][] = [
    ["email prefix, rare and new ('user9999')", "user9999"],
    ["email prefix, old block ('user37')", "user37"],
    ["email prefix, common old ('user1')", "user1"],
    ["email prefix, very common ('user')", "user"],
    ["email prefix, common spread ('zoe.gar')", "zoe.gar"],
    [`email prefix, one ('${one!.local}')`, one!.local],
    ["name contains, common ('jean')", "jean"],
    ["full name, accents ('ana garcía')", "ana garcía"],
    ["full name, rare ('søren núñez')", "søren núñez"],
    ["domain, common ('gmail.com')", "gmail.com"],
    ["domain, rare ('@acme.es')", "@acme.es"],
    ["phone, E.164 spaced ('+34 600 12 34 57')", "+34 600 12 34 57"],
    ["phone, national digits ('600123457')", "600123457"],
    ["phone, stored as typed ('+33 6 00 12 34 56')", "+33 6 00 12 34 56"],
    ["custom value, common ('gold')", "gold"],
    ["custom value, rare ('A-123457')", "A-123457"],
  ];
  // The database's floor for a search's first page, for the cases that miss 20 ms: the same page as one statement
  // (the search's filter, the order, 51 ids), run bare both ways PostgreSQL can run it with these indexes, each
  // forced: walking the sort order's index and filtering (no sort, no bitmap), and collecting the matches through the
  // search's indexes and sorting them (no plain index scan, or the matches gathered first as a materialized CTE,
  // whichever is faster). Median of 3 after a warm-up, stopped at 2 s. The bare
  // planner's own choice ("bare"): BENCH_BARE=1 (it walks the whole order for rare matches, seconds per case).
  const FLOOR_KEYS: Record<string, string> = {
    created: "c.created_at",
    updated: "c.updated_at",
    email: "lower(c.email)",
    first_name: "roster_fold(coalesce(c.first_name, ''))",
    last_name: "roster_fold(coalesce(c.last_name, ''))",
  };
  const country = ((await queryRows<{ c: string | null }>(db, sql`select default_country as c from accounts where id = ${a}`))[0]?.c ?? "US") as "US";
  async function bareMs(q: string, order: string, settings: string, materialized = false): Promise<number> {
    const [sort, dir] = order.split(/-(?=asc$|desc$)/) as [string, "asc" | "desc"];
    const key = sql.raw(FLOOR_KEYS[sort]!);
    const d = sql.raw(dir);
    const filter = contactFilterSql(a, { q, country });
    const statement = materialized
      ? sql`with m as materialized (select c.id, ${key} as k from contacts c where ${filter}) select id from m order by k ${d}, id ${d} limit 51`
      : sql`select c.id from contacts c where ${filter} order by ${key} ${d}, c.id ${d} limit 51`;
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        const ms = await db.transaction(async (t) => {
          await t.execute(sql.raw(`set local statement_timeout = 2000; ${settings}`));
          const started = performance.now();
          await t.execute(statement);
          return performance.now() - started;
        });
        if (i >= 1) times.push(ms);
      } catch {
        return Number.POSITIVE_INFINITY;
      }
    }
    return times.sort((x, y) => x - y)[1]!;
  }
  const floorOf = async (q: string, order: string) => ({
    walk: await bareMs(q, order, "set local enable_sort = off; set local enable_bitmapscan = off"),
    collect: Math.min(await bareMs(q, order, "set local enable_indexscan = off; set local enable_indexonlyscan = off"), await bareMs(q, order, "", true)),
  });
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : ">2000");
  console.log(`\nsearches through app.request() (htmx fragment), ${SEARCH_RUNS} runs each after 5 warm-up runs; first page, and the Last page's p95;`);
  console.log("where the first page's p95 is over 20 ms, the floor: the same page as one bare statement, walked and collected (median of 3):");
  console.log(
    "search".padEnd(46) +
      "order".padEnd(16) +
      "p50 ms".padStart(8) +
      "p95 ms".padStart(8) +
      "rows".padStart(6) +
      "last p95".padStart(10) +
      "walk".padStart(9) +
      "collect".padStart(9) +
      (process.env.BENCH_BARE === "1" ? "bare".padStart(9) : ""),
  );
  let worst = { p95: 0, label: "" };
  const misses: { case: string; p50: number; p95: number; floor: number }[] = [];
  let cases = 0;
  const only = process.env.BENCH_SEARCHES?.split(",").filter(Boolean);
  for (const [label, q] of searches.filter(([, q]) => !only || only.some((o) => q.includes(o)))) {
    for (const order of Object.keys(ORDER_LABELS)) {
      const figures: { p50: number; p95: number; rows: number }[] = [];
      for (const last of [false, true]) {
        const path = `/contacts?q=${encodeURIComponent(q)}&order=${order}${last ? "&last=1" : ""}`;
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < SEARCH_RUNS + 5; i++) {
          const started = performance.now();
          const res = await app.request(`http://localhost${path}`, { headers: { Cookie: cookie, "HX-Request": "true" } });
          const html = await res.text();
          const ms = performance.now() - started;
          if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
          if (i >= 5) times.push(ms);
          rows = (html.match(/<a href="\/contacts\/\d+">/g) ?? []).length;
        }
        times.sort((x, y) => x - y);
        figures.push({ p50: percentile(times, 50), p95: percentile(times, 95), rows });
        if (percentile(times, 95) > worst.p95) worst = { p95: percentile(times, 95), label: `${label} ${order}${last ? " last" : ""}` };
      }
      cases++;
      const floor = figures[0]!.p95 > 20 ? await floorOf(q, order) : null;
      if (floor) misses.push({ case: `${q} ${order}`, p50: figures[0]!.p50, p95: figures[0]!.p95, floor: Math.min(floor.walk, floor.collect) });
      console.log(
        label.slice(0, 45).padEnd(46) +
          order.padEnd(16) +
          figures[0]!.p50.toFixed(1).padStart(8) +
          figures[0]!.p95.toFixed(1).padStart(8) +
          String(figures[0]!.rows).padStart(6) +
          figures[1]!.p95.toFixed(1).padStart(10) +
          (floor ? ms(floor.walk).padStart(9) + ms(floor.collect).padStart(9) : "".padStart(18)) +
          (process.env.BENCH_BARE === "1" ? ms(await bareMs(q, order, "")).padStart(9) : ""),
      );
    }
  }
  const overFloor = misses.filter((m) => m.floor < 20);
  console.log(
    `first pages over 20 ms at p95: ${misses.length} of ${cases}; of those, ${misses.length - overFloor.length} where the database's own floor (the faster of walk and collect) is itself 20 ms or more`,
  );
  for (const m of overFloor) console.log(`  floor under 20 ms: ${m.case}: p50 ${m.p50.toFixed(1)}, p95 ${m.p95.toFixed(1)}, floor ${m.floor.toFixed(1)} ms`);
  console.log(`worst p95: ${worst.p95.toFixed(1)} ms (${worst.label})`);

  const countTimes: number[] = [];
  let count = 0;
  for (let i = 0; i < RUNS + 20; i++) {
    const started = performance.now();
    count = (await getSegment(db, a, segment.id))!.memberCount;
    if (i >= 20) countTimes.push(performance.now() - started);
  }
  countTimes.sort((x, y) => x - y);
  const [{ real }] = await queryRows<{ real: string }>(
    db,
    sql`select count(*) as real from segment_members where account_id = ${a} and segment_id = ${segment.id}`,
  );
  console.log(
    `\nmember count read (getSegment): p50 ${percentile(countTimes, 50).toFixed(2)} ms, p95 ${percentile(countTimes, 95).toFixed(2)} ms; count ${count.toLocaleString("en-US")}, exact: ${count === Number(real)}`,
  );
  for (const [label, path] of [
    ["'all N matching' count, no filter", "/contacts/count"],
    ["'all N matching' count, name search", "/contacts/count?q=haddad"],
  ] as const) {
    const started = performance.now();
    const text = await (await app.request(`http://localhost${path}`, { headers: { Cookie: cookie } })).text();
    console.log(`${label} (loaded after the page): ${(performance.now() - started).toFixed(0)} ms -> ${text.replace(/<[^>]+>/g, "")}`);
  }

  if (process.env.BENCH_PLANS !== "0") {
    console.log("\nplans (EXPLAIN ANALYZE) of the list queries:");
    const plans: [string, string][] = [
      [
        "segment page",
        `select m.contact_id from (select contact_id from segment_members where account_id = ${a} and segment_id = ${segment.id} order by contact_id desc limit 51) m join contacts c on c.account_id = ${a} and c.id = m.contact_id order by c.id desc`,
      ],
      [
        "probe: does 'user37' match at most 10,000 contacts?",
        `select count(*) from (select 1 from contacts c where c.account_id = ${a} and ((lower(c.email) >= 'user37' and lower(c.email) < 'user37' || chr(1114111)) or c.search_name like '%user37%' or c.custom_values @> array['user37']) limit 10001) x`,
      ],
      [
        "domain '@acme.es', newest first",
        `select c.id from contacts c where c.account_id = ${a} and (reverse(lower(c.email)) like 'se.emca@%' or reverse(lower(c.email)) like 'se.emca.%') order by c.created_at desc, c.id desc limit 51`,
      ],
      [
        "phone '600123457'",
        `select c.id from contacts c where c.account_id = ${a} and c.phone is not null and reverse(regexp_replace(c.phone, '[^0-9]', '', 'g')) like '754321006%' limit 51`,
      ],
      [
        "custom value 'gold', by last name",
        `select c.id from contacts c where c.account_id = ${a} and c.custom_values @> array['gold'] order by roster_fold(coalesce(c.last_name, '')), c.id limit 51`,
      ],
    ];
    for (const [label, q] of plans) {
      const rows = await queryRows<{ "QUERY PLAN": string }>(db, sql.raw(`explain (analyze, buffers, costs off) ${q}`));
      console.log(`-- ${label}`);
      for (const r of rows) console.log(`   ${r["QUERY PLAN"]}`);
    }
  }
} finally {
  await database.close();
  if (process.env.BENCH_KEEP === "1" || reused) console.log(`kept database ${name}`);
  else await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
