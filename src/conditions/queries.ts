// Conditions checked against an account (its custom fields and segments), and the contacts search they drive.
import { sql } from "drizzle-orm";
import type { CountryCode } from "libphonenumber-js/max";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { listCustomFields } from "../custom-fields/queries";
import { listContacts, countContacts } from "../contacts/list";
import type { ContactRow } from "../contacts/queries";
import { groupItems, groupKind, isGroup, parseConditions, type ConditionGroup, type ParseResult } from "./grammar";
import { PREVIEW_TIMEOUT_MS, withStatementTimeout, isStatementTimeout, broadestCondition } from "./preview";

/**
 * parseConditions with the account's custom fields (their types decide the operators), and every segment it names
 * checked to exist in the account. Paths are prefixed with `prefix` (e.g. "conditions.") when given.
 */
export async function parseConditionsForAccount(db: Db, accountId: number, input: unknown, prefix = ""): Promise<ParseResult> {
  const customFields = (await listCustomFields(db, accountId)).map((f) => ({ key: f.key, type: f.type }));
  const parsed = parseConditions(input, { customFields });
  const withPrefix = (path: string) => (prefix ? (path ? `${prefix}${path}` : prefix.replace(/\.$/, "")) : path);
  if (!parsed.ok) return { ok: false, details: parsed.details.map((d) => ({ ...d, path: withPrefix(d.path) })) };
  const named = segmentPaths(parsed.value, "");
  if (named.length === 0) return parsed;
  const ids = `{${[...new Set(named.map((n) => n.id))].join(",")}}`;
  const found = new Set(
    (await queryRows<{ id: string | number }>(db, sql`select id from segments where account_id = ${accountId} and id = any(${ids}::bigint[])`)).map((r) =>
      Number(r.id),
    ),
  );
  const details = named
    .filter((n) => !found.has(n.id))
    .map((n) => ({ path: withPrefix(`${n.path}.segment`), message: `There is no segment ${n.id} in your account.` }));
  return details.length ? { ok: false, details } : parsed;
}

function segmentPaths(group: ConditionGroup, path: string): { id: number; path: string }[] {
  const kind = groupKind(group);
  return groupItems(group).flatMap((n, i) => {
    const p = `${path ? `${path}.` : ""}${kind}[${i}]`;
    if (isGroup(n)) return segmentPaths(n, p);
    return "segment" in n ? [{ id: n.segment, path: p }] : [];
  });
}

export interface ConditionsSearchPage {
  count: number;
  rows: ContactRow[];
  nextCursor: string | null;
}

/**
 * A page of the contacts matching conditions (newest first, keyset on id) and their exact count, under the
 * statement timeout: too broad throws ConditionsTooBroadError naming the condition.
 */
export async function searchContactsByConditions(
  db: Db,
  accountId: number,
  group: ConditionGroup,
  page: { cursor?: string | null; limit?: number; country?: CountryCode } = {},
  timeoutMs = PREVIEW_TIMEOUT_MS,
): Promise<ConditionsSearchPage> {
  try {
    return await withStatementTimeout(db, timeoutMs, async (tx) => {
      const filter = { conditions: group, country: page.country };
      const count = await countContacts(tx, accountId, filter);
      const list = await listContacts(tx, accountId, filter, { cursor: page.cursor, limit: page.limit });
      return { count, rows: list.rows, nextCursor: list.nextCursor };
    });
  } catch (e) {
    if (isStatementTimeout(e)) throw await broadestCondition(db, accountId, group, timeoutMs);
    throw e;
  }
}
