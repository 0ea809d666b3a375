// Benchmark of a whole import on PostgreSQL, in one run: (a) psql's \copy of the CSV into a staging table and the
// same set-based SQL Roster runs (deduplicate, guarded upsert, segment members with history and count), against
// (b) Roster's import of the same file through its HTTP API (POST until the import has completed), into a segment
// with overwrite on; for an empty account and for a re-import of the same file. Prints times, ratio, peak RSS.
//
// Usage: npx tsx bench/import.ts [rows]     (PostgreSQL at BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
// The CSV is the one bench/parse-csv.ts makes (same generator and seed), kept in bench/out/. Each side gets its own
// database migrated by Roster, so neither inherits the other's table and index pages; both are dropped at the end.
import { execFileSync } from "node:child_process";
import { createReadStream, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createApiKey } from "../src/auth/api-keys";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { segmentsTable } from "../src/db/schema";
import { startRoster } from "./roster-server";
import { ensureContactsCsv } from "./contacts-csv";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BASE_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "bench", "out");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function peakRssMb(pid: number): number {
  const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Resets the kernel's peak-RSS mark of a process (as root), so each run's peak is its own. */
function resetPeak(pid: number) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // Not permitted: the peak then covers the whole server life, which only overstates it.
  }
}

async function createDatabase(name: string): Promise<string> {
  const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string) {
  const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}

/** A migrated database with one account, its API key and an empty segment. */
async function prepare(url: string) {
  const database = await openDatabase({ databaseUrl: url, maxConnections: 2 });
  await migrateDatabase(database);
  const { account } = await createAccountWithAdmin(database.db, "Bench", {
    name: "Bench",
    email: `bench-${Date.now()}@example.test`,
    password: "correct horse battery",
  });
  const { key } = await createApiKey(database.db, account.id, { name: "bench" });
  const [segment] = await database.db.insert(segmentsTable).values({ accountId: account.id, name: "Imported" }).returning();
  await database.close();
  return { accountId: account.id, apiKey: key, segmentId: segment!.id };
}

/**
 * (a): psql \copy into a temp staging table, then Roster's statements by hand: DISTINCT ON lower(email), the upsert
 * with the IS DISTINCT FROM guard (overwrite on), the segment insert in contact id order with its history rows and
 * member count (history and count are part of adding to a segment in Roster's schema, so the limit includes them).
 */
function runPsql(url: string, csv: string, accountId: number, segmentId: number): number {
  const script = `
begin;
create temp table staging (email text, first_name text, last_name text, phone text, city text, company text) on commit drop;
\\copy staging from '${csv}' with (format csv, header true)
create temp table deduped on commit drop as
  select distinct on (lower(trim(email))) trim(email) as email, lower(trim(email)) as email_key,
    nullif(trim(first_name), '') as first_name, nullif(trim(last_name), '') as last_name, nullif(trim(phone), '') as phone
  from staging order by lower(trim(email));
insert into contacts as c (account_id, email, first_name, last_name, phone, custom)
  select ${accountId}, email, first_name, last_name, phone, '{}'::jsonb from deduped
  on conflict (account_id, lower(email)) do update set first_name = coalesce(excluded.first_name, c.first_name),
    last_name = coalesce(excluded.last_name, c.last_name), phone = coalesce(excluded.phone, c.phone), custom = c.custom || excluded.custom, updated_at = now()
  where (coalesce(excluded.first_name, c.first_name), coalesce(excluded.last_name, c.last_name), coalesce(excluded.phone, c.phone), c.custom || excluded.custom)
    is distinct from (c.first_name, c.last_name, c.phone, c.custom);
with ins as (
  insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
  select ${accountId}, ${segmentId}, c.id, now(), 'import', 0, 'psql'
  from deduped d join contacts c on c.account_id = ${accountId} and lower(c.email) = d.email_key
  order by c.id
  on conflict do nothing returning contact_id
), hist as (
  insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
  select ${accountId}, ${segmentId}, 'Imported', contact_id, 'added', 'import', 0, 'psql', now() from ins
)
update segments set member_count = member_count + (select count(*) from ins) where account_id = ${accountId} and id = ${segmentId};
commit;
`;
  const started = performance.now();
  execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"], { input: script, stdio: ["pipe", "ignore", "inherit"] });
  return performance.now() - started;
}

function rssMb(pid: number): number {
  const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** (b): POST the file to /api/v1/imports and poll until the import has completed; samples the server's RSS by phase. */
async function runRoster(base: string, csv: string, apiKey: string, segmentId: number, pid: number) {
  const phases = { upload: 0, job: 0 };
  let phase: keyof typeof phases = "upload";
  const sampler = setInterval(() => {
    phases[phase] = Math.max(phases[phase], rssMb(pid));
  }, 100);
  try {
    return { ...(await postAndWait(base, csv, apiKey, segmentId, () => (phase = "job"))), phases };
  } finally {
    clearInterval(sampler);
  }
}

async function postAndWait(base: string, csv: string, apiKey: string, segmentId: number, uploadedNow: () => void) {
  const started = performance.now();
  const res = await fetch(`${base}/api/v1/imports?overwrite=true&segment_id=${segmentId}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "text/csv", "Content-Length": String(statSync(csv).size) },
    body: Readable.toWeb(createReadStream(csv, { highWaterMark: 1 << 20 })) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  const uploaded = performance.now() - started;
  uploadedNow();
  const { id } = (await res.json()) as { id: number };
  for (;;) {
    await sleep(200);
    const status = (await (await fetch(`${base}/api/v1/imports/${id}`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as Record<string, unknown>;
    if (status.status === "completed") return { ms: performance.now() - started, uploaded, status };
    if (status.status === "failed") throw new Error(`import failed: ${String(status.error)}`);
  }
}

const csv = await ensureContactsCsv(outDir, ROWS);
console.log(`${csv}: ${ROWS.toLocaleString("en")} rows, ${(statSync(csv).size / 1e6).toFixed(1)} MB`);

const suffix = `${Date.now().toString(36)}`;
const nameA = `roster_bench_psql_${suffix}`;
const nameB = `roster_bench_app_${suffix}`;
const urlA = await createDatabase(nameA);
const urlB = await createDatabase(nameB);
let server: Awaited<ReturnType<typeof startRoster>> | null = null;
try {
  const a = await prepare(urlA);
  const b = await prepare(urlB);
  server = await startRoster(urlB, ["--import", "tsx", "src/server.ts"]);
  const results: string[] = [];
  for (const run of ["empty account", "re-import"] as const) {
    const psqlMs = process.env.BENCH_SKIP_PSQL ? 1 : runPsql(urlA, csv, a.accountId, a.segmentId);
    resetPeak(server.child.pid!);
    const roster = await runRoster(server.base, csv, b.apiKey, b.segmentId, server.child.pid!);
    const peak = peakRssMb(server.child.pid!);
    const s = roster.status;
    results.push(
      `${run.padEnd(14)} (a) psql ${secs(psqlMs).padStart(7)}   (b) Roster ${secs(roster.ms).padStart(7)} (upload ${secs(roster.uploaded)})   ratio ${(roster.ms / psqlMs).toFixed(2)}   server peak RSS ${peak.toFixed(0)} MB (sampled: upload ${roster.phases.upload.toFixed(0)} MB, job ${roster.phases.job.toFixed(0)} MB)\n` +
        `${"".padEnd(14)} rows ${s.rows} created ${s.created} updated ${s.updated} unchanged ${s.unchanged} invalid ${s.invalid} duplicates ${s.duplicates} added ${s.added_to_segment} already ${s.already_in_segment}`,
    );
    console.log(results[results.length - 1]);
  }
} finally {
  if (server) {
    server.child.kill("SIGTERM");
    await new Promise((r) => server!.child.once("exit", r));
  }
  await dropDatabase(nameA);
  await dropDatabase(nameB);
}
