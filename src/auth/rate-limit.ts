// Slows repeated failed sign-ins (and wrong current passwords) per client address and what it tries. Kept in the database so it holds across instances.
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "../db/client";

/** Attempts one address may make on one email (or one user's password) before it is blocked. */
export const FREE_FAILURES = 5;
/** Attempts one address may make over every email: a looser ceiling against spraying many accounts. */
export const ADDRESS_FREE_FAILURES = 20;
const FIRST_BLOCK_MS = 30_000;
const MAX_BLOCK_MS = 15 * 60_000;
/** Attempts older than this are forgotten. */
const WINDOW_MS = 15 * 60_000;

/**
 * The client's address: the socket's, or with `trustProxy` hops the entry that many places from the end of
 * X-Forwarded-For (each trusted proxy appends the address it received from, so entries before it may be forged).
 * Falls back to the socket's address when the header is shorter than that.
 */
export function clientAddress(socketAddress: string | null, forwardedFor: string | undefined, trustProxy: number): string | null {
  if (trustProxy > 0 && forwardedFor) {
    const chain = forwardedFor
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const entry = chain[chain.length - trustProxy];
    if (entry) return entry;
  }
  return socketAddress;
}

/**
 * The counters one attempt goes against: what is tried (an email signing in, a user's current password) from this
 * address, and the address over everything it tries. Never the email alone: failures from strangers elsewhere must
 * not lock its owner out.
 */
export function throttleKeys(scope: "sign-in" | "password", subject: string, address: string | null): string[] {
  const keys = [`${scope}:${subject.trim().toLowerCase()}|${address ?? ""}`];
  if (address) keys.push(`ip:${address}`);
  return keys;
}

const LIMIT = sql.raw(`(case when t.key like 'ip:%' then ${ADDRESS_FREE_FAILURES} else ${FREE_FAILURES} end)`);
const COUNT = sql.raw(`(case when t.last_failure_at < now() - ${WINDOW_MS} * interval '1 millisecond' then 1 else t.failures + 1 end)`);

/**
 * Reserves one attempt before the password is verified, in one statement, so parallel requests cannot all be
 * checked before the first failure is recorded: each key's row lock orders them, and none counts while a key is
 * blocked. The attempt that reaches the limit blocks the key at once (30 s, doubling per further attempt, at most
 * 15 minutes); a success releases it (`releaseAttempt`). Returns the seconds to wait when the attempt is refused.
 */
export async function reserveAttempt(db: Db, keys: string[]): Promise<{ allowed: true } | { allowed: false; waitSeconds: number }> {
  const list = sql`array[${sql.join(
    keys.map((k) => sql`${k}`),
    sql`, `,
  )}]::text[]`;
  const counted = await queryRows<{ key: string }>(
    db,
    sql`insert into sign_in_throttle as t (key, failures, last_failure_at, blocked_until)
      select k, 1, now(), null from unnest(${list}) as k
      where not exists (select 1 from sign_in_throttle b where b.key = any(${list}) and b.blocked_until > now())
      on conflict (key) do update set
        failures = ${COUNT},
        blocked_until = case when ${COUNT} >= ${LIMIT}
          then now() + least(${FIRST_BLOCK_MS}::float8 * power(2, ${COUNT} - ${LIMIT}), ${MAX_BLOCK_MS}) * interval '1 millisecond' end,
        last_failure_at = now()
      where t.blocked_until is null or t.blocked_until <= now()
      returning t.key`,
  );
  if (counted.length === keys.length) return { allowed: true };
  const [row] = await queryRows<{ wait: string | number | null }>(
    db,
    sql`select ceil(extract(epoch from max(blocked_until) - now())) as wait from sign_in_throttle where key = any(${list})`,
  );
  return { allowed: false, waitSeconds: Math.max(1, Number(row?.wait ?? 1)) };
}

/** A successful attempt: its own counter is cleared, and the address gets back the attempt it reserved. */
export async function releaseAttempt(db: Db, keys: string[]): Promise<void> {
  const [own, address] = keys;
  await db.execute(sql`delete from sign_in_throttle where key = ${own!}`);
  if (!address) return;
  await db.execute(
    sql`update sign_in_throttle as t set failures = greatest(t.failures - 1, 0),
        blocked_until = case when t.failures - 1 < ${LIMIT} then null else t.blocked_until end
      where t.key = ${address}`,
  );
}
