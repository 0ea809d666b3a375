// Planner statistics where nothing else keeps them: a PostgreSQL server with autovacuum off (CI's machines run so).
// Statistics taken when a table was empty, or none, make the planner treat a million members as a few hundred: a workflow's removal of 3 members then read all 70,000 of the
// account's instead of 3 index entries, and single events ran at a third of their speed within minutes.
import { sql } from "drizzle-orm";
import type { Database } from "./client";
import { queryRows } from "./client";

/**
 * Analyzes the tables whose size moved by more than a fifth (and 8 pages) since their last ANALYZE, and vacuums those
 * with more dead rows than autovacuum would allow (50 + 20% of the rows). Does nothing where autovacuum runs. Returns what it did, for the log.
 */
export async function keepStatistics(database: Database): Promise<string[]> {
  const db = database.db;
  const [row] = await queryRows<{ on: boolean }>(db, sql`select current_setting('autovacuum') = 'on' as on`);
  if (row?.on) return [];
  const tables = await queryRows<{
    name: string;
    pages: number | string;
    analyzed_pages: number | string;
    reltuples: number | string;
    dead: number | string | null;
  }>(
    db,
    sql`select c.relname as name, pg_relation_size(c.oid) / current_setting('block_size')::int as pages,
          c.relpages as analyzed_pages, c.reltuples, s.n_dead_tup as dead
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
        left join pg_stat_user_tables s on s.relid = c.oid
        where c.relkind = 'r'`,
  );
  const done: string[] = [];
  for (const t of tables) {
    const [pages, analyzed, rows, dead] = [Number(t.pages), Number(t.analyzed_pages), Math.max(Number(t.reltuples), 0), Number(t.dead ?? 0)];
    const name = sql.identifier(t.name);
    if (dead > 50 + 0.2 * rows) {
      await db.execute(sql`vacuum (analyze) ${name}`);
      done.push(`vacuum analyze ${t.name}`);
    } else if (Math.abs(pages - analyzed) > 8 + 0.2 * analyzed) {
      await db.execute(sql`analyze ${name}`);
      done.push(`analyze ${t.name}`);
    }
  }
  return done;
}
