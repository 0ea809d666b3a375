import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { openDatabase, queryRows, type Database } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import * as schema from "../../src/db/schema";
import { createTestDatabase } from "../support/db";

const expectedTables = (Object.values(schema) as unknown[])
  .filter((v): v is PgTable => typeof v === "object" && v !== null && Symbol.for("drizzle:IsDrizzleTable") in v)
  .map((table) => getTableConfig(table).name)
  .sort();

async function tablesOf(database: Database): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    database.db,
    sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  return rows
    .map((r) => r.name)
    .filter((n) => !n.startsWith("__drizzle"))
    .sort();
}

test("the migrations create every table on an empty database, even from two instances at once, and applying them again changes nothing", async () => {
  const first = await createTestDatabase({ migrated: false });
  try {
    assert.deepEqual(await tablesOf(first), []);
    const second = await openDatabase({ databaseUrl: first.url });
    await Promise.all([migrateDatabase(first), migrateDatabase(second)]);
    await second.close();
    assert.deepEqual(await tablesOf(first), expectedTables);
    await migrateDatabase(first);
    assert.deepEqual(await tablesOf(first), expectedTables);
  } finally {
    await first.destroy();
  }
});

test("npm run db:migrate applies the migrations to the configured PostgreSQL and exits", async () => {
  const target = await createTestDatabase({ migrated: false });
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/db/migrate-cli.ts"], {
      env: { ...process.env, DATABASE_URL: target.url, LOG_LEVEL: "silent" },
      timeout: 30_000,
    });
    assert.match(stdout, /Migrations applied \(PostgreSQL at DATABASE_URL\)/);
    assert.deepEqual(await tablesOf(target), expectedTables);
  } finally {
    await target.destroy();
  }
});
