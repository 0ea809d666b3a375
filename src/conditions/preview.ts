// The live count and first matching contacts of a conditions document, under a statement timeout so that a
// condition too broad to answer stops with a message naming it instead of holding the database.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { plannedEstimate, queryRows } from "../db/client";
import { estimatedContacts } from "../contacts/list";
import { CONTACT_COLUMNS, toContactRow, type ContactRow, type RawContact } from "../contacts/queries";
import { describeNode } from "./describe";
import { groupItems, groupKind, leafConditions, type ConditionGroup, type ConditionNode } from "./grammar";
import { conditionsWhere, conditionsWithJoins, nodeSql } from "./sql";

export const PREVIEW_TIMEOUT_MS = 3000;

/** The conditions took longer than the limit: `path` and `condition` name the top-level condition that costs most. */
export class ConditionsTooBroadError extends Error {
  constructor(
    public path: string,
    public condition: string,
    public timeoutMs: number,
  ) {
    super(
      `These conditions take too long to count (over ${timeoutMs / 1000} s). The broadest is ${path ? `${path}: ` : ""}"${condition}": narrow it (a shorter time window, a more specific value).`,
    );
  }
}

export function isStatementTimeout(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === "57014" || err?.cause?.code === "57014";
}

/**
 * Runs `work` in a transaction whose statements stop after `timeoutMs` (set local: the limit ends with the
 * transaction, whatever the connection does next). More memory for hashes, so an "in segment" or event
 * condition inside "any" stays one hashed lookup.
 */
export async function withStatementTimeout<T>(db: Db, timeoutMs: number, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (t) => {
    await t.execute(sql`select set_config('statement_timeout', ${String(Math.max(1, Math.trunc(timeoutMs)))}, true), set_config('work_mem', '64MB', true)`);
    return work(t);
  });
}

export interface Preview {
  count: number;
  contacts: ContactRow[];
}

/** A preview's walk of the newest contacts stops after this many rows and collects the matches instead. */
const PREVIEW_WALK = 20_000;

/**
 * How many contacts match and the newest `limit` of them (by id, newest first).
 * - With an event condition, the matches are collected once (materialised) and both read from them: the events' side
 *   is the cost, and is paid once.
 * - Otherwise the count is a statement of its own, which PostgreSQL runs in parallel with the segments joined
 *   (conditionsWithJoins): "pro or in a segment or score > 97" at 1,000,000 contacts, 468 ms materialised against
 *   about 380 ms. The newest then come from a walk of the newest contacts, as long as the count says a short one meets
 *   them (each match is one in total / count contacts; the walk is ten times that, at most PREVIEW_WALK rows), or
 *   from the matches collected and sorted when it does not: matches that are rare, or old (a walk for 10 contacts
 *   created a year ago, left to the planner, read 337 ms of contacts that a count reads in 11 ms).
 */
export async function countAndPreview(db: Db, accountId: number, group: ConditionGroup, opts: { limit?: number; timeoutMs?: number } = {}): Promise<Preview> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 10), 0), 100);
  const timeoutMs = opts.timeoutMs ?? PREVIEW_TIMEOUT_MS;
  try {
    return await withStatementTimeout(db, timeoutMs, async (tx) => {
      const { count, ids } = leafConditions(group).some((l) => "event" in l)
        ? await collectedOnce(tx, accountId, group, limit)
        : await countedThenWalked(tx, accountId, group, limit);
      const contacts = ids.length
        ? (
            await queryRows<RawContact>(
              tx,
              sql`select ${CONTACT_COLUMNS} from contacts c where c.account_id = ${accountId} and c.id = any(${`{${ids.join(",")}}`}::bigint[]) order by c.id desc`,
            )
          ).map(toContactRow)
        : [];
      return { count, contacts };
    });
  } catch (e) {
    if (!isStatementTimeout(e)) throw e;
    throw await broadestCondition(db, accountId, group, timeoutMs);
  }
}

async function collectedOnce(tx: Db, accountId: number, group: ConditionGroup, limit: number): Promise<{ count: number; ids: number[] }> {
  const [row] = await queryRows<{ n: string | number; ids: (string | number)[] | null }>(
    tx,
    sql`with m as materialized (select c.id from contacts c where c.account_id = ${accountId} and ${conditionsWhere(accountId, group)})
      select (select count(*) from m) as n, array(select id from m order by id desc limit ${limit}) as ids`,
  );
  return { count: Number(row?.n ?? 0), ids: (row?.ids ?? []).map(Number) };
}

async function countedThenWalked(tx: Db, accountId: number, group: ConditionGroup, limit: number): Promise<{ count: number; ids: number[] }> {
  const { joins, where } = conditionsWithJoins(accountId, group);
  const [counted] = await queryRows<{ n: string | number }>(
    tx,
    sql`select count(*) as n from contacts c ${joins} where c.account_id = ${accountId} and ${where}`,
  );
  const count = Number(counted?.n ?? 0);
  const want = Math.min(limit, count);
  if (want === 0) return { count, ids: [] };
  const all = await estimatedContacts(tx, accountId);
  const walk = Math.ceil((10 * want * Math.max(all, count)) / count);
  if (walk <= PREVIEW_WALK) {
    const walked = await queryRows<{ id: string | number }>(
      tx,
      sql`select c.id from (select n.id from contacts n where n.account_id = ${accountId} order by n.id desc limit ${walk}) w
        join contacts c on c.account_id = ${accountId} and c.id = w.id ${joins}
        where ${where} order by c.id desc limit ${want}`,
    );
    if (walked.length === want) return { count, ids: walked.map((r) => Number(r.id)) };
  }
  // "offset 0" keeps the limit out of the matches' plan: they are collected as the count found them, then sorted.
  const collected = await queryRows<{ id: string | number }>(
    tx,
    sql`select m.id from (select c.id from contacts c ${joins} where c.account_id = ${accountId} and ${where} offset 0) m order by m.id desc limit ${want}`,
  );
  return { count, ids: collected.map((r) => Number(r.id)) };
}

/**
 * Which top-level condition is the costliest, by the planner's estimate for each alone (EXPLAIN plans without
 * running: a few milliseconds, so naming the culprit never costs another timeout).
 */
export async function broadestCondition(db: Db, accountId: number, group: ConditionGroup, timeoutMs: number): Promise<ConditionsTooBroadError> {
  const kind = groupKind(group);
  const items = groupItems(group);
  let worst: { index: number; node: ConditionNode; cost: number } | null = null;
  for (const [index, node] of items.entries()) {
    const cost = await estimatedCost(
      db,
      sql`select count(*) from contacts c where c.account_id = ${accountId} and ${nodeSql(accountId, node)}`,
      Math.min(timeoutMs, 500),
    );
    if (!worst || cost > worst.cost) worst = { index, node, cost };
  }
  if (!worst) return new ConditionsTooBroadError("", "these conditions", timeoutMs);
  return new ConditionsTooBroadError(`${kind}[${worst.index}]`, describeNode(worst.node), timeoutMs);
}

/** The planner's total cost for `query`; a condition that cannot even be planned in time (a lock) counts as the costliest. */
async function estimatedCost(db: Db, query: SQL, timeoutMs: number): Promise<number> {
  try {
    return (await withStatementTimeout(db, timeoutMs, (tx) => plannedEstimate(tx, query))).cost;
  } catch (e) {
    if (isStatementTimeout(e)) return Number.POSITIVE_INFINITY;
    throw e;
  }
}
