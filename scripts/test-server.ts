// Runs a test command against one PostgreSQL for the whole run: the server at DATABASE_URL, or else an embedded
// PostgreSQL started in a temporary folder. A migrated template database is made once; each test file clones it
// (test/support/db.ts), which takes a fraction of a second where migrating took seconds.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDatabase } from "../src/db/client";
import { openEmbeddedPostgres, type EmbeddedPostgres } from "../src/db/embedded";
import { migrateDatabase } from "../src/db/migrate";
import { databaseUrl } from "../test/support/db";

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error("usage: tsx scripts/test-server.ts <command> [args...]");
  process.exit(2);
}

let embedded: EmbeddedPostgres | undefined;
let folder: string | undefined;
let baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  folder = mkdtempSync(join(tmpdir(), "roster-test-"));
  chmodSync(folder, 0o755); // as root, the server runs as the user postgres, which must reach the folder
  // A throwaway cluster: nothing to keep across a crash, so no waiting on the disk; no autovacuum, as on CI's server.
  embedded = await openEmbeddedPostgres(join(folder, "data"), {
    settings: [
      "fsync=off",
      "synchronous_commit=off",
      "full_page_writes=off",
      "autovacuum=off",
      "max_connections=300",
      ...(process.env.ROSTER_TEST_PG_SETTINGS ?? "").split(" ").filter(Boolean),
    ],
  });
  baseUrl = embedded.url;
  console.log(`Tests run on an embedded PostgreSQL in ${folder} (set DATABASE_URL to use another server).`);
}

const template = `roster_template_${randomBytes(4).toString("hex")}`;
const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${template}`);
const database = await openDatabase({ databaseUrl: databaseUrl(baseUrl, template), maxConnections: 2 });
await migrateDatabase(database);
await database.close();

async function cleanUp() {
  await admin.unsafe(`drop database if exists ${template} with (force)`).catch(() => {});
  await admin.end();
  if (embedded) await embedded.release();
  if (folder && !process.env.ROSTER_TEST_KEEP) rmSync(folder, { recursive: true, force: true });
}

const child = spawn(command[0]!, command.slice(1), { stdio: "inherit", env: { ...process.env, DATABASE_URL: baseUrl, ROSTER_TEST_TEMPLATE: template } });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
await cleanUp();
process.exit(code);
