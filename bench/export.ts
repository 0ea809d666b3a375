// Benchmark of a whole export on PostgreSQL: psql's \copy of the same rows against Roster's export through its API
// (request to a complete file ready to download), server peak memory, and the export list's latency meanwhile.
//
// Usage: npx tsx bench/export.ts [rows]     (PostgreSQL at BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres)
// It creates its own database, seeds it with set-based SQL, starts `node --import tsx src/server.ts` on it, and
// drops it at the end.
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { createAccountWithAdmin } from "../src/auth/accounts";
import { createApiKey } from "../src/auth/api-keys";
import { createSession, generateSessionToken, SESSION_COOKIE } from "../src/auth/session";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { freePort } from "../test/support/net";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BASE_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const root = fileURLToPath(new URL("..", import.meta.url));
const FIELDS = ["email", "first_name", "last_name", "phone", "created_at", "updated_at"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Resets the kernel's peak-RSS mark (as root), so a figure covers one step only. */
function resetPeakRss(pid: number) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    // Not permitted: the peak then covers the server's whole life, which only overstates it.
  }
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const name = `roster_bench_export_${Date.now().toString(36)}`;
const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(BASE_URL);
url.pathname = `/${name}`;
const dbUrl = url.toString();
let server: ReturnType<typeof spawn> | null = null;

try {
  // Seed: one account, ROWS contacts and one segment holding them all.
  const database = await openDatabase({ databaseUrl: dbUrl, maxConnections: 2 });
  await migrateDatabase(database);
  const { account, user } = await createAccountWithAdmin(database.db, "Bench", {
    name: "Bench",
    email: "bench@example.test",
    password: "correct horse battery",
  });
  const { key } = await createApiKey(database.db, account.id, { name: "bench" });
  const token = generateSessionToken();
  await createSession(database.db, token, account.id, user.id);
  let t0 = performance.now();
  await database.db.execute(sql`
    insert into contacts (account_id, email, first_name, last_name, phone, created_at, updated_at)
    select ${account.id}, 'contact' || g || '@example.com',
      (array['Zoé','Jean','Ana','Håkon','Chloë','Mike'])[1 + g % 6],
      case when g % 13 = 0 then 'Dupont, "Jr."' else (array['Müller','García','O''Brien','Smith'])[1 + g % 4] end,
      case when g % 5 = 0 then null else '+33 6 ' || lpad((g % 100000000)::text, 8, '0') end,
      now() - (g || ' minutes')::interval, now()
    from generate_series(1, ${ROWS}) g`);
  const [segment] = (await database.sql`insert into segments (account_id, name) values (${account.id}, 'Everyone') returning id`) as unknown as {
    id: string;
  }[];
  await database.sql`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_label)
    select account_id, ${segment!.id}, id, now(), 'import', 'import #1' from contacts where account_id = ${account.id}`;
  await database.sql`update segments set member_count = ${ROWS} where account_id = ${account.id} and id = ${segment!.id}`;
  await database.sql.unsafe("vacuum analyze");
  await database.close();
  console.log(`seeded ${ROWS.toLocaleString("en-US")} contacts in one segment in ${secs(performance.now() - t0)}`);

  // The database's own limit: psql \copy of the same join to a file.
  const copyFile = join(tmpdir(), `${name}.csv`);
  const query = `select c.email, c.first_name, c.last_name, c.phone, c.created_at, c.updated_at from segment_members m join contacts c on c.account_id = m.account_id and c.id = m.contact_id where m.account_id = ${account.id} and m.segment_id = ${segment!.id}`;
  let psqlBytes = 0;
  const runPsql = () => {
    const started = performance.now();
    execFileSync("psql", [dbUrl, "-q", "-c", `\\copy (${query}) to '${copyFile}' csv header`]);
    const ms = performance.now() - started;
    psqlBytes = statSync(copyFile).size;
    rmSync(copyFile);
    return ms;
  };

  // Roster as a user would run it: a server process, its worker inside.
  const port = await freePort();
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" }); // the bundle `npm start` runs
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=bench/tmp", profiles the server.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  server = spawn(process.execPath, [...nodeArgs, "--enable-source-maps", "dist/server.mjs"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: dbUrl, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent", WORKER: "on" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error("server did not start");
    await sleep(100);
  }
  const auth = { Authorization: `Bearer ${key}` };
  const cookie = `${SESSION_COOKIE}=${token}`;
  await fetch(`${base}/exports`, { headers: { Cookie: cookie } }); // warm the page's code path

  async function runExport(format: string) {
    const listMs: number[] = [];
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/exports`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ segment_id: Number(segment!.id), fields: FIELDS, format }),
    });
    if (res.status !== 202) throw new Error(`POST /exports: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: number };
    let body: { status: string; download_url: string; rows_total: number; size_bytes: number; error: string | null };
    let lastList = 0;
    for (;;) {
      body = (await (await fetch(`${base}/api/v1/exports/${id}`, { headers: auth })).json()) as typeof body;
      if (body.status === "completed" || body.status === "failed") break;
      // The export list page while the export runs, as the browser's polling asks for it.
      if (body.status === "running" && performance.now() - lastList > 200) {
        lastList = performance.now();
        const l0 = performance.now();
        const page = await fetch(`${base}/exports`, { headers: { Cookie: cookie, "HX-Request": "true" } });
        await page.text();
        listMs.push(performance.now() - l0);
      }
      await sleep(25);
    }
    const readyMs = performance.now() - started;
    const exportPeak = peakRssMb(server!.pid!);
    if (body.status !== "completed") throw new Error(`export failed: ${body.error}`);
    const d0 = performance.now();
    const file = await fetch(`${base}${body.download_url}`, { headers: auth });
    let bytes = 0;
    for await (const chunk of file.body!) bytes += (chunk as Uint8Array).length;
    const downloadMs = performance.now() - d0;
    return { readyMs, downloadMs, bytes, rows: body.rows_total, listMs, exportPeak };
  }

  // Median of 3, psql and Roster taking turns, so both see the same machine (BASELINES.md: median of 3 runs).
  const idle = peakRssMb(server.pid!);
  resetPeakRss(server.pid!);
  const psqlRuns: number[] = [];
  const csvRuns: Awaited<ReturnType<typeof runExport>>[] = [];
  for (let i = 0; i < 3; i++) {
    psqlRuns.push(runPsql());
    csvRuns.push(await runExport("csv"));
  }
  const psqlMs = percentile(psqlRuns, 50);
  const csv = {
    ...[...csvRuns].sort((a, b) => a.readyMs - b.readyMs)[1]!,
    listMs: csvRuns.flatMap((r) => r.listMs),
    exportPeak: Math.max(...csvRuns.map((r) => r.exportPeak)),
  };
  const csvPeak = peakRssMb(server.pid!);
  resetPeakRss(server.pid!);
  const xlsx = await runExport("xlsx");
  const peak = peakRssMb(server.pid!);

  const list = (l: number[]) =>
    l.length
      ? `median ${percentile(l, 50).toFixed(1)} ms, p95 ${percentile(l, 95).toFixed(1)} ms, max ${Math.max(...l).toFixed(1)} ms over ${l.length} requests`
      : "no sample (export too fast)";
  console.log(`\nExport of a ${ROWS.toLocaleString("en-US")}-member segment, ${FIELDS.length} properties, PostgreSQL (same run):`);
  console.log(
    `  psql \\copy (select ... join ...) to file csv header   ${secs(psqlMs)}  (${(psqlBytes / 1e6).toFixed(1)} MB; median of ${psqlRuns.map(secs).join(", ")})`,
  );
  console.log(
    `  Roster CSV, POST /api/v1/exports to file ready         ${secs(csv.readyMs)}  (${(csv.bytes / 1e6).toFixed(1)} MB, ${csv.rows.toLocaleString("en-US")} rows; median of ${csvRuns.map((r) => secs(r.readyMs)).join(", ")})`,
  );
  console.log(`  ratio Roster / psql                                    ${(csv.readyMs / psqlMs).toFixed(2)}x  (target: within 3x)`);
  console.log(`  download of the CSV                                    ${secs(csv.downloadMs)}`);
  console.log(`  Roster XLSX, POST to file ready                        ${secs(xlsx.readyMs)}  (${(xlsx.bytes / 1e6).toFixed(1)} MB)`);
  console.log(`  server peak RSS (VmHWM) after CSV / after XLSX         ${csvPeak.toFixed(0)} MB / ${peak.toFixed(0)} MB  (target: under 200 MB)`);
  console.log(
    `    of which: before the exports ${idle.toFixed(0)} MB; CSV export alone ${csv.exportPeak.toFixed(0)} MB, then its download; XLSX export alone ${xlsx.exportPeak.toFixed(0)} MB`,
  );
  console.log(`  export list page during the CSV export                 ${list(csv.listMs)}  (target: under 50 ms)`);
  console.log(`  export list page during the XLSX export                ${list(xlsx.listMs)}`);
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once("exit", r));
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
  }
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
