// Slows repeated failed sign-ins per email and per address. Kept in the database so it holds across instances.
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { signInThrottleTable } from "../db/schema";

/** Failures allowed before a key is blocked; each further failure doubles the wait, up to MAX_BLOCK_MS. */
export const FREE_FAILURES = 5;
const FIRST_BLOCK_MS = 30_000;
const MAX_BLOCK_MS = 15 * 60_000;
/** Failures older than this are forgotten. */
const WINDOW_MS = 15 * 60_000;

/**
 * The client's address: the socket's, or with `trustProxy` hops the entry that many places from the end of
 * X-Forwarded-For (each trusted proxy appends the address it received from, so entries before it may be forged).
 * Falls back to the socket's address when the header is shorter than that.
 */
export function clientAddress(socketAddress: string | null, forwardedFor: string | undefined, trustProxy: number): string | null {
  if (trustProxy > 0 && forwardedFor) {
    const chain = forwardedFor.split(",").map((s) => s.trim()).filter(Boolean);
    const entry = chain[chain.length - trustProxy];
    if (entry) return entry;
  }
  return socketAddress;
}

export function throttleKeys(email: string, address: string | null): string[] {
  const keys = [`email:${email.trim().toLowerCase()}`];
  if (address) keys.push(`ip:${address}`);
  return keys;
}

/** Seconds until the first of these keys may try again; 0 when none is blocked. */
export async function secondsUntilAllowed(db: Db, keys: string[]): Promise<number> {
  const rows = await db.select().from(signInThrottleTable).where(inArray(signInThrottleTable.key, keys));
  let wait = 0;
  for (const row of rows) {
    if (row.blockedUntil) wait = Math.max(wait, Math.ceil((row.blockedUntil.getTime() - Date.now()) / 1000));
  }
  return wait;
}

export async function recordFailedSignIn(db: Db, keys: string[]): Promise<void> {
  for (const key of keys) {
    // One statement per key: the counter resets when the last failure is outside the window.
    await db
      .insert(signInThrottleTable)
      .values({ key, failures: 1, lastFailureAt: new Date() })
      .onConflictDoUpdate({
        target: signInThrottleTable.key,
        set: {
          failures: sql`case when ${signInThrottleTable.lastFailureAt} < now() - ${WINDOW_MS} * interval '1 millisecond' then 1 else ${signInThrottleTable.failures} + 1 end`,
          lastFailureAt: sql`now()`,
        },
      });
  }
  await db
    .update(signInThrottleTable)
    .set({
      blockedUntil: sql`now() + least(${FIRST_BLOCK_MS}::float8 * power(2, ${signInThrottleTable.failures} - ${FREE_FAILURES}), ${MAX_BLOCK_MS}) * interval '1 millisecond'`,
    })
    .where(sql`${inArray(signInThrottleTable.key, keys)} and ${signInThrottleTable.failures} >= ${FREE_FAILURES}`);
}

export async function clearFailedSignIns(db: Db, email: string): Promise<void> {
  await db.delete(signInThrottleTable).where(inArray(signInThrottleTable.key, throttleKeys(email, null)));
}
