// Waiting in tests for what another session does, by asking PostgreSQL, never by sleeping a fixed time.
import { sql } from "drizzle-orm";
import type postgres from "postgres";
import { queryRows, type Db } from "../../src/db/client";

/** The backend pid of a reserved connection, to find who waits for its locks. */
export async function backendPid(conn: postgres.ReservedSql): Promise<number> {
  const [row] = await conn`select pg_backend_pid() as pid`;
  return Number(row!.pid);
}

/**
 * Resolves once another session waits for a lock `holderPid` holds (in pg_locks: a transaction id lock not granted,
 * granted to the holder): the race the test sets up is then happening. Fails after `timeoutMs` if none comes.
 */
export async function waitForLockWaiter(db: Db, holderPid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await queryRows<{ waiting: boolean }>(
      db,
      sql`select exists (
        select 1 from pg_locks waiter
        join pg_locks holder on holder.locktype = 'transactionid' and holder.transactionid = waiter.transactionid and holder.granted
        where waiter.locktype = 'transactionid' and not waiter.granted and holder.pid = ${holderPid} and waiter.pid <> ${holderPid}
      ) as waiting`,
    );
    if (row!.waiting) return;
    if (Date.now() > deadline) throw new Error(`no session waited for a lock of backend ${holderPid} within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}
