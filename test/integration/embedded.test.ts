// The embedded PostgreSQL as a user meets it: Roster started with no DATABASE_URL (real child processes, killed for
// real), the command line while it runs, recovery after kill -9, and a data folder of an earlier, PGlite-based Roster.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import postgres from "postgres";
import { alive, readPidFile, sizedServerSettings } from "../../src/db/embedded";
import { freePort } from "../support/net";

// The processes run the bundles `npm start` runs (built unless up to date).
before(() => execFileSync(process.execPath, ["scripts/build.mjs", "--if-changed"], { stdio: "inherit" }));

const folders: string[] = [];
after(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function newDataDir(): string {
  const folder = mkdtempSync(join(tmpdir(), "roster-embedded-"));
  chmodSync(folder, 0o755); // as root the server runs as the user postgres, which must reach it
  folders.push(folder);
  return join(folder, "data");
}

function envFor(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", ...extra };
  delete env.DATABASE_URL;
  delete env.ROSTER_TEST_TEMPLATE;
  return env;
}

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs the bundle of `script` (src/server.ts -> dist/server.mjs, built once before the tests, as `npm start` runs it):
 * a process started through tsx took 3-5 s on a loaded machine, and this file starts a dozen.
 */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const bundle = `dist/${basename(script, ".ts")}.mjs`;
  const child = spawn(process.execPath, ["--enable-source-maps", bundle, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function runToEnd(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const r = run(script, args, env);
  const code = await r.exited;
  return { code, output: r.output() };
}

/** Starts `src/server.ts` as npm start would (on the embedded database of `dataDir`) and waits for /healthz. */
async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Running & { url: string }> {
  const port = await freePort();
  const server = run("src/server.ts", [], envFor(dataDir, { PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info", ...env }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`Roster exited during start:\n${server.output()}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { ...server, url };
    if (Date.now() > deadline) throw new Error(`Roster did not answer within 60 s:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const postmasterPid = (dataDir: string) => readPidFile(join(dataDir, "postgres"))?.pid ?? null;

async function waitUntil(what: string, check: () => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lastLine = (text: string) => text.trim().split("\n").at(-1)!.trim();

test("npm start creates the database in DATA_DIR with a private password, sized to the machine, answers, and stops the database on SIGTERM", async () => {
  const dataDir = newDataDir();
  const server = await startServer(dataDir, { EMBEDDED_PG_SETTINGS: "max_wal_size=2GB" });
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; database: string };
  assert.deepEqual(health, { status: "ok", database: "embedded" });
  assert.match(server.output(), /embedded PostgreSQL/);
  assert.equal(statSync(join(dataDir, "postgres-password")).mode & 0o777, 0o600, "the password file is readable by its owner only");
  assert.ok(existsSync(join(dataDir, "postgres", "PG_VERSION")), "the cluster lives in DATA_DIR");
  const pid = postmasterPid(dataDir);
  assert.ok(pid && alive(pid), "the postmaster runs");
  const conf = readFileSync(join(dataDir, "postgres", "pg_hba.conf"), "utf8");
  assert.doesNotMatch(conf.replace(/^#.*$/gm, ""), /\btrust\b/, "no connection is let in without the password");
  // The server runs with the settings sized to this machine, EMBEDDED_PG_SETTINGS over them.
  const password = readFileSync(join(dataDir, "postgres-password"), "utf8").trim();
  const client = postgres({ host: "127.0.0.1", port: readPidFile(join(dataDir, "postgres"))!.port, user: "roster", password, database: "roster", max: 1 });
  try {
    const rows = await client<{ name: string; setting: string; unit: string | null }[]>`
      select name, setting, unit from pg_settings where name in ('maintenance_work_mem', 'max_wal_size', 'checkpoint_timeout')`;
    const inMb = Object.fromEntries(rows.map((r) => [r.name, r.unit === "kB" ? Number(r.setting) / 1024 : Number(r.setting)]));
    const sized = Object.fromEntries(sizedServerSettings(totalmem()).map((s) => s.split("=") as [string, string]));
    assert.equal(`${inMb.maintenance_work_mem}MB`, sized.maintenance_work_mem);
    assert.equal(inMb.max_wal_size, 2048, "EMBEDDED_PG_SETTINGS wins over the sized max_wal_size");
    assert.equal(inMb.checkpoint_timeout, 900);
  } finally {
    await client.end();
  }

  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0);
  await waitUntil("the postmaster has stopped", () => !alive(pid!));
  assert.equal(postmasterPid(dataDir), null, "a clean stop leaves no postmaster.pid");
});

test("the command line and a worker use the database while npm start runs; after kill -9 and a lost postmaster, npm start recovers with the data", async () => {
  const dataDir = newDataDir();
  const server = await startServer(dataDir);
  const env = envFor(dataDir);
  try {
    const created = await runToEnd("src/cli.ts", ["create-account", "--name", "Acme", "--email", "ada@acme.test", "--password", "a long password here"], env);
    assert.equal(created.code, 0, created.output);
    const accountId = lastLine(created.output);
    assert.match(accountId, /^\d+$/);
    const migrated = await runToEnd("src/db/migrate-cli.ts", [], env);
    assert.equal(migrated.code, 0, migrated.output);

    // A worker joins, then leaves: the server it shared keeps answering, on the same database.
    const worker = run("src/worker.ts", [], env);
    await waitUntil("the worker has started", () => /worker \S+ started/.test(worker.output()));
    worker.child.kill("SIGTERM");
    assert.equal(await worker.exited, 0, worker.output());
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "the database stayed up for the server");

    // kill -9: the postmaster outlives the server, and the next start joins it.
    const pid = postmasterPid(dataDir)!;
    server.child.kill("SIGKILL");
    await server.exited;
    assert.ok(alive(pid), "the postmaster outlived the killed server");
    const second = await startServer(dataDir);
    assert.equal(postmasterPid(dataDir), pid, "the running postmaster was joined, not replaced");
    const key = await runToEnd("src/cli.ts", ["create-api-key", "--account", accountId, "--name", "Shop"], env);
    assert.equal(key.code, 0, key.output);
    assert.match(key.output, /for account "Acme"/, "the account made before the crash is there");

    // A power cut: the server and the postmaster die at once, postmaster.pid stays behind.
    second.child.kill("SIGKILL");
    await second.exited;
    process.kill(pid, "SIGKILL");
    await waitUntil("the postmaster is gone", () => !alive(pid));
    assert.ok(postmasterPid(dataDir), "postmaster.pid was left behind");
    const third = await startServer(dataDir);
    const again = await runToEnd("src/cli.ts", ["create-api-key", "--account", accountId, "--name", "Shop 2"], env);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /for account "Acme"/, "the data survived the crash");
    third.child.kill("SIGTERM");
    assert.equal(await third.exited, 0);
    await waitUntil("the database has stopped", () => postmasterPid(dataDir) === null);
  } finally {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  }
});

test("the command line with no server running starts the database for itself and stops it when done", async () => {
  const dataDir = newDataDir();
  const created = await runToEnd(
    "src/cli.ts",
    ["create-account", "--name", "Solo", "--email", "solo@acme.test", "--password", "a long password here"],
    envFor(dataDir),
  );
  assert.equal(created.code, 0, created.output);
  assert.equal(postmasterPid(dataDir), null, "the database it started is stopped again");
  const refused = await runToEnd("src/cli.ts", ["create-api-key", "--account", "999", "--name", "x"], envFor(dataDir));
  assert.equal(refused.code, 2);
  assert.match(refused.output, /There is no account 999/);
  assert.equal(postmasterPid(dataDir), null, "a refused command stops it too");
});

test("a data folder written by an earlier, PGlite-based Roster is refused with what to do, and left untouched", async () => {
  const dataDir = newDataDir();
  mkdirSync(join(dataDir, "base", "1"), { recursive: true });
  writeFileSync(join(dataDir, "PG_VERSION"), "17\n");
  writeFileSync(join(dataDir, "base", "1", "16384"), "contacts");
  const before = readdirSync(dataDir, { recursive: true }).sort();
  const port = await freePort();
  const { code, output } = await runToEnd("src/server.ts", [], envFor(dataDir, { PORT: String(port) }));
  assert.equal(code, 1);
  assert.match(output, /earlier version of Roster \(embedded PGlite, PostgreSQL 17 files\)/);
  assert.match(output, /export your contacts/);
  assert.match(output, /import the exported files/);
  assert.doesNotMatch(output, /at .*\.ts:\d+/, "a message, not a stack trace");
  assert.deepEqual(readdirSync(dataDir, { recursive: true }).sort(), before, "nothing added or removed");
  assert.equal(readFileSync(join(dataDir, "base", "1", "16384"), "utf8"), "contacts");
});
