// Benchmark of keeping a segment in step with a list, through Roster's HTTP API on its own database: (1) a plain
// import of the 1,000,000-row contacts CSV into an empty segment, (2) Replace of that 1,000,000-member segment with
// the same file in which 10% of the emails differ, while the segment's members page is read in a loop (its p50 and
// p95), (3) Remove of 100,000 members by file. Prints times, the replace/plain ratio and the page latencies.
//
// Usage: npm run -s build && npx tsx bench/sync.ts [rows]   (PostgreSQL at BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
// The database is created and dropped by the run (BENCH_KEEP=1 keeps it, to read plans on it afterwards); the CSVs are
// kept in bench/out/ (bench/contacts-csv.ts).
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createApiKey } from "../src/auth/api-keys";
import { createSession, generateSessionToken, SESSION_COOKIE } from "../src/auth/session";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { segmentsTable } from "../src/db/schema";
import { startRoster } from "./roster-server";
import { ensureContactsCsv, generateContactsCsv } from "./contacts-csv";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const REMOVE_ROWS = Math.round(ROWS / 10);
const BASE_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "bench", "out");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

/**
 * POSTs a CSV to /api/v1/imports with the query, and polls until the import has completed. `jobMs`: from the job's
 * start (its claim by the worker) to the poll that saw it completed, on the database's clock (the job's finished_at
 * is the start of its transaction, not its end).
 */
async function importFile(base: string, apiKey: string, csv: string, query: string, db: postgres.Sql) {
  const started = performance.now();
  const res = await fetch(`${base}/api/v1/imports?${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "text/csv", "Content-Length": String(statSync(csv).size) },
    body: Readable.toWeb(createReadStream(csv, { highWaterMark: 1 << 20 })) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: number };
  for (;;) {
    await sleep(200);
    const status = (await (await fetch(`${base}/api/v1/imports/${id}`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as Record<string, unknown>;
    if (status.status === "completed") {
      const ms = performance.now() - started;
      const [job] =
        await db`select extract(epoch from clock_timestamp() - j.started_at) * 1000 as ms from imports i join jobs j on j.account_id = i.account_id and j.id = i.job_id where i.id = ${id}`;
      return { ms, jobMs: Number(job!.ms), status };
    }
    if (status.status === "failed") throw new Error(`import failed: ${String(status.error)}`);
  }
}

/** Reads the members page (its first page, as htmx asks for it) in a loop until stopped; returns the latencies. */
function readMembersPage(base: string, cookie: string, segmentId: number) {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const path = `/segments/${segmentId}/contacts`;
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { headers: { Cookie: cookie, "HX-Request": "true" } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`members page answered ${res.status}`);
      times.push(performance.now() - started);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return times.sort((a, b) => a - b);
    },
  };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

if (!existsSync(join(root, "dist", "server.mjs"))) throw new Error("Run `npm run build` first: the benchmark runs dist/server.mjs.");
const plainCsv = await ensureContactsCsv(outDir, ROWS);
const changedCsv = join(outDir, `contacts-${ROWS}-10pct-differ.csv`);
if (!existsSync(changedCsv)) await generateContactsCsv(changedCsv, ROWS, { differEvery: 10 });
console.log(`${ROWS.toLocaleString("en")} rows; load average at start ${load()}`);

const name = `roster_bench_sync_${Date.now().toString(36)}`;
const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(BASE_URL);
url.pathname = `/${name}`;
let server: Awaited<ReturnType<typeof startRoster>> | null = null;
try {
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 2 });
  await migrateDatabase(database);
  const { account, user } = await createAccountWithAdmin(database.db, "Bench", {
    name: "Bench",
    email: "bench@example.test",
    password: "correct horse battery",
  });
  const { key } = await createApiKey(database.db, account.id, { name: "bench" });
  const token = generateSessionToken();
  await createSession(database.db, token, account.id, user.id);
  const cookie = `${SESSION_COOKIE}=${token}`;
  const [segment] = await database.db.insert(segmentsTable).values({ accountId: account.id, name: "Synced" }).returning();
  const segmentId = segment!.id;
  server = await startRoster(url.toString(), ["dist/server.mjs"]);

  const plain = await importFile(server.base, key, plainCsv, `segment_id=${segmentId}`, database.sql);
  console.log(
    `plain import into an empty segment   ${secs(plain.ms).padStart(8)} (job ${secs(plain.jobMs)})   joined ${plain.status.joined}   (load ${load()})`,
  );
  await database.sql.unsafe("vacuum analyze");

  const idle = readMembersPage(server.base, cookie, segmentId);
  await sleep(3000);
  const idleTimes = await idle.stop();
  const reader = readMembersPage(server.base, cookie, segmentId);
  const replace = await importFile(server.base, key, changedCsv, `mode=replace&segment_id=${segmentId}`, database.sql);
  const during = await reader.stop();
  const r = replace.status;
  console.log(
    `replace, 10% of the emails differ    ${secs(replace.ms).padStart(8)} (job ${secs(replace.jobMs)})   joined ${r.joined} left ${r.left} already ${r.already_members} created ${r.created}   ratio to plain ${(replace.ms / plain.ms).toFixed(2)} (jobs ${(replace.jobMs / plain.jobMs).toFixed(2)})   (load ${load()})`,
  );
  console.log(
    `members page while it ran            p50 ${pct(during, 50).toFixed(0)} ms   p95 ${pct(during, 95).toFixed(0)} ms   max ${pct(during, 100).toFixed(0)} ms   (${during.length} reads; idle before: p95 ${pct(idleTimes, 95).toFixed(0)} ms)`,
  );
  await database.sql.unsafe("vacuum analyze");

  const removeCsv = join(outDir, `remove-${REMOVE_ROWS}.csv`);
  execFileSync("psql", [
    url.toString(),
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
    `\\copy (select c.email from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id where m.segment_id = ${segmentId} order by c.id limit ${REMOVE_ROWS}) to '${removeCsv}' with (format csv, header true)`,
  ]);
  const removal = await importFile(server.base, key, removeCsv, `mode=remove&segment_id=${segmentId}`, database.sql);
  console.log(
    `remove ${REMOVE_ROWS.toLocaleString("en")} members by file     ${secs(removal.ms).padStart(8)} (job ${secs(removal.jobMs)})   left ${removal.status.left} not_found ${removal.status.not_found}   (load ${load()})`,
  );
  await database.close();
} finally {
  if (server) {
    server.child.kill("SIGTERM");
    await new Promise((r) => server!.child.once("exit", r));
  }
  if (process.env.BENCH_KEEP === "1") console.log(`kept database ${name}`);
  else await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
