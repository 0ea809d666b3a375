// Applies the committed drizzle/ migrations under an advisory lock, so that many instances can start at once.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { Database } from "./client";

// drizzle/ sits at the project root: one level above the bundle in dist/, two above this file in src/db/.
function findMigrations(): string {
  const candidates = [new URL("../drizzle", import.meta.url), new URL("../../drizzle", import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((dir) => existsSync(join(dir, "meta", "_journal.json")));
  if (!found) throw new Error(`The migrations (drizzle/meta/_journal.json) are missing: looked in ${candidates.join(" and ")}.`);
  return found;
}
export const migrationsFolder = findMigrations();

const MIGRATION_LOCK = 727_101;

// Extensions come before the migrations that index with them; both are trusted extensions on PostgreSQL 13+.
const EXTENSIONS = ["pg_trgm", "unaccent"];

// unaccent() is only STABLE (its dictionary could change), so it cannot feed a generated column or an index.
// This wrapper pins the dictionary and is declared IMMUTABLE; contacts.search_name is computed with it.
const FUNCTIONS = [
  `create or replace function roster_fold(value text) returns text
     language sql immutable parallel safe strict
     as $$ select lower(public.unaccent('public.unaccent'::regdictionary, value)) $$`,
  // The values of a contact's custom fields, folded and cut to 200 characters (a GIN entry has a size limit), for
  // the custom value search's index. Declared immutable like roster_fold, which it uses.
  `create or replace function roster_custom_values(custom jsonb) returns text[]
     language sql immutable parallel safe strict
     as $$ select coalesce(array_agg(left(public.roster_fold(e.value), 200)), '{}') from jsonb_each_text(custom) e where e.value <> '' $$`,
];

export async function migrateDatabase(database: Database): Promise<void> {
  // The lock is held on a reserved connection while drizzle migrates through the pool: a pool of one would wait forever.
  const client = database.sql;
  const reserved = await client.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`;
    for (const name of EXTENSIONS) await reserved.unsafe(`create extension if not exists ${name}`);
    for (const fn of FUNCTIONS) await reserved.unsafe(fn);
    await migratePostgres(database.db as never, { migrationsFolder });
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    reserved.release();
  }
}
