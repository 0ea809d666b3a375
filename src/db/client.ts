// Opens the database: PostgreSQL through postgres.js, at DATABASE_URL or on the embedded server of DATA_DIR.
import { sql, type SQL } from "drizzle-orm";
import { drizzle, type PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { PgDatabase } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { DataDirError, openEmbeddedPostgres, type EmbeddedPostgres } from "./embedded";
import * as schema from "./schema";

/** The database handle: the pool's, or a transaction's (a transaction is a Db too, without casts). */
export type Db = PgDatabase<PostgresJsQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** The postgres.js client, for COPY streams and reserved connections. */
  sql: postgres.Sql;
  /** The embedded server this process uses, when there is no DATABASE_URL. */
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** The folder of the embedded PostgreSQL, used when there is no databaseUrl. */
  dataDir?: string;
  maxConnections?: number;
  /** Where the embedded server's start-up lines go. */
  log?: (line: string) => void;
  /** Settings for every connection (sent at connect), e.g. `{ plan_cache_mode: "force_custom_plan" }`. */
  settings?: Record<string, string>;
  /** Server settings (`name=value`) for an embedded server this process starts (EMBEDDED_PG_SETTINGS). */
  embeddedSettings?: string[];
}

/**
 * openDatabase for the entry points (server, worker, command line): a data folder Roster cannot use stops the process
 * with its message, without a stack trace.
 */
export async function openConfiguredDatabase(
  config: { DATABASE_URL?: string; DATA_DIR: string; EMBEDDED_PG_SETTINGS?: string[] },
  options: { maxConnections?: number; log?: (line: string) => void } = {},
): Promise<Database> {
  try {
    return await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedSettings: config.EMBEDDED_PG_SETTINGS, ...options });
  } catch (e) {
    if (!(e instanceof DataDirError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl
    ? undefined
    : await openEmbeddedPostgres(options.dataDir ?? "./data", { log: options.log, settings: options.embeddedSettings });
  const client = postgres(options.databaseUrl ?? embedded!.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // No JIT compilation: Roster's statements are short, and a conditions count whose estimate is inflated by its
    // hashed lookups paid 140-340 ms of compiling for 0.9 s of work at 1,000,000 contacts (bench/conditions.ts).
    connection: { application_name: "roster", jit: "off", ...options.settings },
  });
  return {
    db: drizzle(client, { schema }),
    sql: client,
    embedded,
    async close() {
      await client.end({ timeout: 5 });
      await embedded?.release();
    },
  };
}

/** Runs raw SQL and returns its rows (drizzle's execute on postgres.js gives the row array itself). */
export async function queryRows<T = Record<string, unknown>>(db: Db, query: SQL, options: { prepared?: boolean } = {}): Promise<T[]> {
  if (options.prepared) {
    // drizzle runs every statement unnamed: PostgreSQL parses and plans it on each call, which for the events
    // path's large statements was half their time. Named, each connection parses it once. Only for statements
    // whose text never varies (values all in parameters): each distinct text stays prepared on every connection.
    const pg = postgresOf(db);
    if (pg) {
      const { sql: text, params } = pg.toQuery(query);
      return (await pg.client.unsafe(text, params, { prepare: true })) as unknown as T[];
    }
  }
  return (await db.execute(query)) as unknown as T[];
}

/**
 * Runs `query` after `lock` has taken its row locks, in one transaction, on PostgreSQL: the query's snapshot is
 * then taken after any wait for those locks, so it sees what the holder committed meanwhile. A single statement
 * that locks in a CTE takes its snapshot first: a delete that waited for a segment missed the members its holder
 * had just added. Both are sent at once (one round trip besides BEGIN and COMMIT) and prepared, as
 * queryRows' `prepared`. Inside a transaction's handle the query runs alone: it must take the same locks itself.
 */
export async function queryRowsAfterLock<T = Record<string, unknown>>(db: Db, lock: SQL, query: SQL): Promise<T[]> {
  const pg = postgresOf(db);
  if (!pg) return queryRows<T>(db, query);
  const [l, q] = [pg.toQuery(lock), pg.toQuery(query)];
  const results = (await pg.client.begin((tx) => [
    tx.unsafe(l.sql, l.params, { prepare: true }),
    tx.unsafe(q.sql, q.params, { prepare: true }),
  ])) as unknown as unknown[][];
  return results[1] as T[];
}

/** The planner's estimate for `query` (EXPLAIN, not run): the rows its top node returns and its total cost. */
export async function plannedEstimate(db: Db, query: SQL): Promise<{ rows: number; cost: number }> {
  const [row] = await queryRows<{ "QUERY PLAN": unknown }>(db, sql`explain (format json) ${query}`);
  const plan = row?.["QUERY PLAN"];
  const parsed = (typeof plan === "string" ? JSON.parse(plan) : plan) as { Plan: { "Plan Rows": number; "Total Cost": number } }[];
  return { rows: parsed[0]?.Plan["Plan Rows"] ?? 0, cost: parsed[0]?.Plan["Total Cost"] ?? 0 };
}

/**
 * The postgres.js client under a database handle, with drizzle's compiler for its SQL, to send statements drizzle
 * cannot (named, or pipelined in a transaction). Only the database handle itself has $client: a transaction's
 * handle gives null, and its statements go through drizzle (inside the transaction).
 */
function postgresOf(db: Db): { client: postgres.Sql; toQuery(q: SQL): { sql: string; params: postgres.ParameterOrJSON<never>[] } } | null {
  const client = (db as unknown as { $client?: postgres.Sql }).$client;
  const dialect = (db as unknown as { dialect?: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } } }).dialect;
  if (!client || typeof client.unsafe !== "function" || typeof client.begin !== "function" || !dialect) return null;
  return { client, toQuery: (q) => dialect.sqlToQuery(q) as { sql: string; params: postgres.ParameterOrJSON<never>[] } };
}
