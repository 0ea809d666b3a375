// A fresh, migrated database for one test file: a new PostgreSQL database when DATABASE_URL is set, else in-memory PGlite.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase, type Database } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";

export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase extends Database {
  /** Closes the connections and drops the database. */
  destroy(): Promise<void>;
  url?: string;
}

export async function createTestDatabase(options: { maxConnections?: number } = {}): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrateDatabase(database);
    return { ...database, destroy: () => database.close() };
  }
  const name = `roster_test_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: options.maxConnections ?? 10 });
  await migrateDatabase(database);
  return {
    ...database,
    url: url.toString(),
    async destroy() {
      await database.close();
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
