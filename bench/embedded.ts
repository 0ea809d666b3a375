// Benchmark of the embedded default, as a new user runs it (`npm start`, no DATABASE_URL): cold start on an empty
// data folder and warm start to the first answer, the Node process's idle RSS, and how three pages (contacts, a
// segment, the export list) answer, sampled every 100 ms, while a 1,000,000-row import, a CSV export and an XLSX
// export of the 1,000,000-member segment run. The floors in the same run: PostgreSQL's own initdb + start (through
// the same code), and the same pages sampled with nothing running.
//
// Usage: npx tsx bench/embedded.ts [rows]      (builds dist/ first; the CSV is bench/contacts-csv.ts's, in bench/out/)
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { openEmbeddedPostgres } from "../src/db/embedded";
import { freePort } from "../test/support/net";
import { ensureContactsCsv } from "./contacts-csv";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const root = fileURLToPath(new URL("..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (list: number[], p: number) => {
  const s = [...list].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

function newFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "roster-bench-embedded-"));
  chmodSync(folder, 0o755); // as root the database runs as the user postgres
  return folder;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

/** `npm start` in a process group of its own (as in a terminal), timed to the first answer of /healthz. */
async function startRoster(dataDir: string): Promise<{ child: ChildProcess; node: number; base: string; ms: number }> {
  const port = await freePort();
  const started = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent" };
  delete env.DATABASE_URL;
  const child = spawn("npm", ["start", "--silent"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"], detached: true });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error("Roster exited during start");
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(20);
  }
  const ms = performance.now() - started;
  const node = Number(
    execFileSync("pgrep", ["-g", String(child.pid), "-f", "^\\S*node .*dist/server.mjs$"], { encoding: "utf8" })
      .trim()
      .split("\n")[0],
  );
  return { child, node, base, ms };
}

/** Ctrl-C, as a terminal sends it: SIGINT to the whole group. Resolves when npm has exited (the database stopped). */
async function stopRoster(child: ChildProcess): Promise<number> {
  const started = performance.now();
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGINT");
  await exited;
  return performance.now() - started;
}

function cli(dataDir: string, args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  return execFileSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: root, env, encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1)!;
}

/** The running job's last status, printed beside samples slower than 500 ms. */
let jobState = "";

interface Sampled {
  [page: string]: number[];
}

/** Requests each page every 100 ms (a request slower than that delays its page's next one) until `done` resolves. */
async function samplePages(base: string, cookie: string, pages: Record<string, string>, done: Promise<unknown>): Promise<Sampled> {
  let stop = false;
  void done.finally(() => (stop = true));
  const out: Sampled = {};
  const sampleStart = performance.now();
  slow = [];
  await Promise.all(
    Object.entries(pages).map(async ([name, path]) => {
      const times: number[] = (out[name] = []);
      while (!stop) {
        const tick = performance.now();
        const res = await fetch(base + path, { headers: { Cookie: cookie } });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path} answered ${res.status}`);
        const ms = performance.now() - tick;
        times.push(ms);
        if (ms > 500) slow.push(`${name} ${ms.toFixed(0)} ms at ${((tick - sampleStart) / 1000).toFixed(1)} s (job: ${jobState})`);
        await sleep(Math.max(0, 100 - (performance.now() - tick)));
      }
    }),
  );
  await done;
  return out;
}

let slow: string[] = [];

function report(label: string, ms: number | null, sampled: Sampled) {
  console.log(`\n${label}${ms === null ? "" : ` (${(ms / 1000).toFixed(1)} s)`}`);
  for (const [page, t] of Object.entries(sampled)) {
    const over = t.filter((x) => x > 1000).length;
    console.log(
      `  ${page.padEnd(14)} ${String(t.length).padStart(5)} samples   p50 ${percentile(t, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(t, 95).toFixed(1).padStart(6)} ms   max ${Math.max(
        ...t,
      )
        .toFixed(1)
        .padStart(7)} ms   over 1 s: ${over}`,
    );
  }
  for (const line of slow) console.log(`    slow: ${line}`);
}

async function waitFor(base: string, apiKey: string, path: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const body = (await (await fetch(`${base}/api/v1/${path}`, { headers: { Authorization: `Bearer ${apiKey}` } })).json()) as {
      status: string;
      error?: string;
      progress?: unknown;
    };
    jobState = `${body.status} ${JSON.stringify(body.progress ?? "")}`.slice(0, 120);
    if (body.status === "completed") return performance.now() - started;
    if (body.status === "failed") throw new Error(`${path} failed: ${body.error}`);
    await sleep(250);
  }
}

execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
const csv = await ensureContactsCsv(join(root, "bench", "out"), ROWS);
const folders: string[] = [];
let server: ChildProcess | null = null;
try {
  // Floor: initdb and the first start of the same PostgreSQL, through the same code, with no Roster.
  const floorDir = newFolder();
  folders.push(floorDir);
  let t = performance.now();
  const pg = await openEmbeddedPostgres(join(floorDir, "data"));
  const initAndStart = performance.now() - t;
  await pg.release();
  t = performance.now();
  const again = await openEmbeddedPostgres(join(floorDir, "data"));
  const startOnly = performance.now() - t;
  await again.release();

  const folder = newFolder();
  folders.push(folder);
  const dataDir = join(folder, "data");
  const cold = await startRoster(dataDir);
  server = cold.child;
  await sleep(5000);
  const idleCold = rssMb(cold.node);
  const stopMs = await stopRoster(cold.child);
  const warm = await startRoster(dataDir);
  server = warm.child;
  await sleep(5000);
  const idleWarm = rssMb(warm.node);
  console.log(`PostgreSQL alone: initdb + start ${(initAndStart / 1000).toFixed(2)} s, start ${(startOnly / 1000).toFixed(2)} s`);
  console.log(
    `npm start (esbuild bundle included), cold (empty data folder) to first answer: ${(cold.ms / 1000).toFixed(2)} s; warm: ${(warm.ms / 1000).toFixed(2)} s; stop on SIGTERM: ${(stopMs / 1000).toFixed(2)} s`,
  );
  console.log(`Node process idle RSS: ${idleCold.toFixed(0)} MB after the cold start, ${idleWarm.toFixed(0)} MB after the warm start`);

  // An account, an API key (the command line, beside the running server), a session and a segment.
  const base = warm.base;
  const accountId = cli(dataDir, ["create-account", "--name", "Bench", "--email", "bench@bench.test", "--password", "a long bench password"]);
  const apiKey = cli(dataDir, ["create-api-key", "--account", accountId, "--name", "bench"]);
  const signIn = await fetch(`${base}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
    body: new URLSearchParams({ email: "bench@bench.test", password: "a long bench password" }).toString(),
  });
  const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
  if (!cookie.includes("=")) throw new Error(`sign-in failed: ${signIn.status}`);
  const segment = (await (
    await fetch(`${base}/api/v1/segments`, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Everyone" }),
    })
  ).json()) as { id: number };
  const pages = { contacts: "/contacts", segment: `/segments/${segment.id}`, "export list": "/exports" };

  report("Idle (the floor: nothing running)", null, await samplePages(base, cookie, pages, sleep(5000)));

  const importing = (async () => {
    jobState = "uploading";
    const res = await fetch(`${base}/api/v1/imports?overwrite=true&segment_id=${segment.id}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "text/csv", "Content-Length": String(statSync(csv).size) },
      body: Readable.toWeb(createReadStream(csv, { highWaterMark: 1 << 20 })) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    if (res.status !== 202) throw new Error(`import answered ${res.status}: ${await res.text()}`);
    const { id } = (await res.json()) as { id: number };
    return waitFor(base, apiKey, `imports/${id}`);
  })();
  const importStarted = performance.now();
  const duringImport = await samplePages(base, cookie, pages, importing);
  report(`During the import of ${ROWS.toLocaleString("en")} rows (upload included)`, performance.now() - importStarted, duringImport);

  for (const format of ["csv", "xlsx"] as const) {
    const started = performance.now();
    const exporting = (async () => {
      const res = await fetch(`${base}/api/v1/exports`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({ segment_id: segment.id, format, fields: ["email", "first_name", "last_name", "phone", "created_at", "added_at"] }),
      });
      if (res.status !== 202) throw new Error(`export answered ${res.status}: ${await res.text()}`);
      const { id } = (await res.json()) as { id: number };
      return waitFor(base, apiKey, `exports/${id}`);
    })();
    const during = await samplePages(base, cookie, pages, exporting);
    report(`During the ${format.toUpperCase()} export of the ${ROWS.toLocaleString("en")}-member segment`, performance.now() - started, during);
  }
  console.log(`\ndata folder after the run: ${execFileSync("du", ["-sh", dataDir], { encoding: "utf8" }).split("\t")[0]}`);
  await stopRoster(warm.child);
  server = null;
} finally {
  if (server && server.exitCode === null) await stopRoster(server);
  for (const f of folders) rmSync(f, { recursive: true, force: true });
}
