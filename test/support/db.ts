// A fresh, migrated database for one test file, cloned from the run's migrated template (scripts/test-db.ts makes
// it, on the embedded PostgreSQL or on the server at DATABASE_URL).
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase, type Database } from "../../src/db/client";

export interface TestDatabase extends Database {
  url: string;
  /** Closes the connections and drops the database. */
  destroy(): Promise<void>;
}

function testServer(): { baseUrl: string; template: string } {
  const baseUrl = process.env.DATABASE_URL;
  const template = process.env.ROSTER_TEST_TEMPLATE;
  if (!baseUrl || !template) {
    throw new Error("Run the tests through `npm test` or `bash scripts/test-node.sh <files>`: they set up the test server and its migrated template database.");
  }
  return { baseUrl, template };
}

export function databaseUrl(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `migrated: false` gives an empty database (for the migrations' own tests). */
export async function createTestDatabase(options: { maxConnections?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  const { baseUrl, template } = testServer();
  const name = `roster_test_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} ${options.migrated === false ? "" : `template ${template}`}`);
  await admin.end();
  const url = databaseUrl(baseUrl, name);
  // Test servers run without autovacuum, so nothing invalidates a plan cached while a table was nearly empty: a
  // foreign key check planned as a sequential scan of a few rows then scanned 30,000 contacts for each of 12,000
  // members added (49 s for one statement). In production ANALYZE (autovacuum, or the worker's keepStatistics)
  // invalidates such plans; here every statement is planned for the table as it is.
  const database = await openDatabase({ databaseUrl: url, maxConnections: options.maxConnections ?? 10, settings: { plan_cache_mode: "force_custom_plan" } });
  return {
    ...database,
    url,
    async destroy() {
      await database.close();
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
