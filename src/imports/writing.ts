// An import applies whole or not at all: its contacts are written in one transaction that may run for a minute at a
// million rows. Until it commits, every other reader's index walk steps over the index entries of rows it cannot see
// yet; a newest-first contacts page walked a million of them (222 ms at p95 against 28 ms idle). Every contact the
// import creates or changes carries the instant its transaction began (now() is fixed in a transaction), so the run
// says which transaction writes and since when, and the contacts list reads on either side of that instant.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";

export interface ImportWriter {
  xid: number;
  since: string;
}

/**
 * Marks the import as writing contacts in `tx`'s transaction. Written through `db` (another connection, committed
 * at once), so that other readers see the mark while the transaction is still open.
 */
export async function markImportWriting(db: Db, tx: Db, accountId: number, importId: number): Promise<ImportWriter> {
  const [row] = await queryRows<{ xid: string; since: string }>(tx, sql`select pg_current_xact_id()::text as xid, now()::text as since`);
  const writer = { xid: Number(row!.xid), since: row!.since };
  await db.execute(
    sql`update imports set writing_xid = ${writer.xid}, writing_since = ${writer.since}::timestamptz where account_id = ${accountId} and id = ${importId}`,
  );
  return writer;
}

/** Clears the mark, unless another run of the same import (a worker that took the job over) has set its own. */
export async function clearImportWriting(db: Db, accountId: number, importId: number, writer: ImportWriter): Promise<void> {
  await db.execute(
    sql`update imports set writing_xid = null, writing_since = null where account_id = ${accountId} and id = ${importId} and writing_xid = ${writer.xid}`,
  );
}

/**
 * The instant an import's still-open transaction began writing this account's contacts, as a scalar subquery;
 * 'infinity' when none is open. The transaction's state is read from the database (pg_xact_status), not from the
 * mark alone, so a mark left by a process that died after its commit hides nothing. In one statement with the read,
 * "in progress" also means in progress when the read's snapshot was taken: none of its rows are visible to it.
 */
export function openImportSince(accountId: number): SQL {
  return sql`coalesce((select min(i.writing_since) from imports i
    where i.account_id = ${accountId} and i.writing_xid is not null and pg_xact_status(i.writing_xid::text::xid8) = 'in progress'), 'infinity'::timestamptz)`;
}
