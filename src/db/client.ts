// Opens the database: PostgreSQL through postgres.js when DATABASE_URL is set, embedded PGlite otherwise.
import type { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import postgres from "postgres";
import * as schema from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  /** The postgres.js client, for COPY streams; absent on PGlite. */
  sql?: postgres.Sql;
  /** The embedded database, for its COPY from a blob; absent on PostgreSQL. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data directory; "memory://" for a throwaway in-memory database. */
  dataDir?: string;
  maxConnections?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connection: { application_name: "roster" },
    });
    return {
      db: drizzlePostgres(client, { schema }) as unknown as Db,
      kind: "postgres",
      sql: client,
      close: () => client.end({ timeout: 5 }),
    };
  }
  // Loaded only when used: PGlite's modules add about 50 MB to the resident size of a server on PostgreSQL.
  const [{ PGlite }, { pg_trgm }, { unaccent }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("@electric-sql/pglite/contrib/unaccent"),
    import("drizzle-orm/pglite"),
  ]);
  const pglite = await PGlite.create(options.dataDir ?? "memory://", { extensions: { pg_trgm, unaccent } });
  return {
    db: drizzlePglite(pglite, { schema }) as unknown as Db,
    kind: "pglite",
    pglite,
    close: () => pglite.close(),
  };
}

/** Runs raw SQL and returns its rows the same way on both drivers (postgres.js gives an array, PGlite {rows}). */
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
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * Runs `query` after `lock` has taken its row locks, in one transaction, on PostgreSQL: the query's snapshot is
 * then taken after any wait for those locks, so it sees what the holder committed meanwhile. A single statement
 * that locks in a CTE takes its snapshot first: a delete that waited for a segment missed the members its holder
 * had just added. Both are sent at once (one round trip besides BEGIN and COMMIT) and prepared, as
 * queryRows' `prepared`. On PGlite (one connection, nothing runs meanwhile) and inside a transaction's handle, the
 * query runs alone: it must take the same locks itself.
 */
export async function queryRowsAfterLock<T = Record<string, unknown>>(db: Db, lock: SQL, query: SQL): Promise<T[]> {
  const pg = postgresOf(db);
  if (!pg) return queryRows<T>(db, query);
  const [l, q] = [pg.toQuery(lock), pg.toQuery(query)];
  const results = (await pg.client.begin((tx) => [tx.unsafe(l.sql, l.params, { prepare: true }), tx.unsafe(q.sql, q.params, { prepare: true })])) as unknown as unknown[][];
  return results[1] as T[];
}

/**
 * The postgres.js client under a database handle, with drizzle's compiler for its SQL, to send statements drizzle
 * cannot (named, or pipelined in a transaction). Only the database handle itself has $client: PGlite's and a
 * transaction's handles give null, and their statements go through drizzle (inside the transaction).
 */
function postgresOf(db: Db): { client: postgres.Sql; toQuery(q: SQL): { sql: string; params: postgres.ParameterOrJSON<never>[] } } | null {
  const client = (db as unknown as { $client?: postgres.Sql }).$client;
  const dialect = (db as unknown as { dialect?: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } } }).dialect;
  if (!client || typeof client.unsafe !== "function" || typeof client.begin !== "function" || !dialect) return null;
  return { client, toQuery: (q) => dialect.sqlToQuery(q) as { sql: string; params: postgres.ParameterOrJSON<never>[] } };
}
