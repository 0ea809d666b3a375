// Membership history: every entry into and exit from a segment, newest first, for a segment or for a contact.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { changeSetsTable, type MembershipAction, type SourceType } from "../db/schema";
type ChangeSet = typeof changeSetsTable.$inferSelect;
import { parseCursor, toDate } from "../contacts/queries";

export interface MembershipEvent {
  id: number;
  at: Date;
  action: MembershipAction;
  segmentId: number;
  segmentName: string;
  contactId: number;
  /** Null once the contact has been deleted (the entry stays). */
  contactEmail: string | null;
  sourceType: SourceType;
  sourceId: number | null;
  sourceLabel: string;
}

/** One page of history (keyset on the event id, newest first) for one segment or one contact. */
export async function listMembershipEvents(
  db: Db,
  accountId: number,
  of: { segmentId: number } | { contactId: number },
  page: { cursor?: string | null; limit?: number } = {},
): Promise<{ events: MembershipEvent[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(page.limit ?? 20, 1), 200);
  const before = parseCursor(page.cursor);
  const scope = "segmentId" in of ? sql`e.segment_id = ${of.segmentId}` : sql`e.contact_id = ${of.contactId}`;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select e.id, e.at, e.action, e.segment_id, e.segment_name, e.contact_id, c.email, e.source_type, e.source_id, e.source_label
    from membership_events e
    left join contacts c on c.account_id = e.account_id and c.id = e.contact_id
    where e.account_id = ${accountId} and ${scope} ${before ? sql`and e.id < ${before}` : sql``}
    order by e.id desc limit ${limit + 1}`,
  );
  const events = rows.slice(0, limit).map(eventFromRow);
  return { events, nextCursor: rows.length > limit ? String(events[events.length - 1]!.id) : null };
}

function eventFromRow(r: Record<string, unknown>): MembershipEvent {
  return {
    id: Number(r.id),
    at: toDate(r.at),
    action: r.action as MembershipAction,
    segmentId: Number(r.segment_id),
    segmentName: String(r.segment_name),
    contactId: Number(r.contact_id),
    contactEmail: (r.email as string | null) ?? null,
    sourceType: r.source_type as SourceType,
    sourceId: r.source_id === null ? null : Number(r.source_id),
    sourceLabel: String(r.source_label),
  };
}

export interface SegmentChange {
  id: number;
  at: Date;
  action: MembershipAction;
  contactId: number;
  /** Null once the contact has been deleted. */
  contactEmail: string | null;
  changeSetId: number | null;
  sourceLabel: string;
}

/**
 * A segment's joins and leaves after `since` (an entry id), oldest first, for a system that follows the segment.
 * Keyset on the entry id: every writer of a segment's history holds the segment's row lock until it commits and
 * takes its ids after locking, so within one segment ids follow commit order and a follower never skips an entry.
 */
export async function listSegmentChanges(
  db: Db,
  accountId: number,
  segmentId: number,
  page: { since: number | null; limit: number },
): Promise<{ changes: SegmentChange[]; hasMore: boolean }> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select e.id, e.at, e.action, e.contact_id, c.email, e.change_set_id, e.source_label
    from membership_events e
    left join contacts c on c.account_id = e.account_id and c.id = e.contact_id
    where e.account_id = ${accountId} and e.segment_id = ${segmentId} and e.id > ${page.since ?? 0}
    order by e.id limit ${page.limit + 1}`,
  );
  const changes = rows.slice(0, page.limit).map((r) => ({
    id: Number(r.id),
    at: toDate(r.at),
    action: r.action as MembershipAction,
    contactId: Number(r.contact_id),
    contactEmail: (r.email as string | null) ?? null,
    changeSetId: r.change_set_id === null ? null : Number(r.change_set_id),
    sourceLabel: String(r.source_label),
  }));
  return { changes, hasMore: rows.length > page.limit };
}

/** A line of a segment's history page: one entry made on its own, or a whole change set with its counts. */
export type SegmentHistoryLine =
  | { type: "entry"; at: Date; event: MembershipEvent }
  | {
      type: "set";
      at: Date;
      changeSet: ChangeSet;
      /** Who undid it, when it has been undone. */
      undoneByLabel: string | null;
    };

/** The history page's cursor: the last line's time as PostgreSQL prints it (microseconds kept), its type and id. */
function encodeHistoryCursor(at: string, type: 0 | 1, id: number): string {
  return Buffer.from(`${at}|${type}|${id}`).toString("base64url");
}

function decodeHistoryCursor(cursor: string | null | undefined): { at: string; type: 0 | 1; id: number } | null {
  if (!cursor || cursor.length > 200) return null;
  const m = /^([0-9 :.+-]{10,40})\|([01])\|([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, "base64url").toString());
  return m ? { at: m[1]!, type: Number(m[2]) as 0 | 1, id: Number(m[3]) } : null;
}

/**
 * One page of a segment's history, newest first: entries made one at a time and change sets, each set as one line
 * (an import of a million members is one line, not a million). Keyset on (time, type, id), each side read through
 * its own index (membership_events_segment_single_idx, change_sets_segment_idx) and merged.
 */
export async function listSegmentHistory(
  db: Db,
  accountId: number,
  segmentId: number,
  page: { cursor?: string | null; limit?: number } = {},
): Promise<{ lines: SegmentHistoryLine[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(page.limit ?? 20, 1), 200);
  const after = decodeHistoryCursor(page.cursor);
  // Entries (type 0) come after the change sets (type 1) of the same instant.
  const entriesBefore = !after
    ? sql``
    : after.type === 0
      ? sql`and (e.at, e.id) < (${after.at}::timestamptz, ${after.id})`
      : sql`and e.at <= ${after.at}::timestamptz`;
  const setsBefore = !after
    ? sql``
    : after.type === 1
      ? sql`and (cs.created_at, cs.id) < (${after.at}::timestamptz, ${after.id})`
      : sql`and cs.created_at < ${after.at}::timestamptz`;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select * from (
      (select 0 as type, e.id, e.at, e.at::text as at_text from membership_events e
        where e.account_id = ${accountId} and e.segment_id = ${segmentId} and e.change_set_id is null ${entriesBefore}
        order by e.at desc, e.id desc limit ${limit + 1})
      union all
      (select 1 as type, cs.id, cs.created_at, cs.created_at::text from change_sets cs
        where cs.account_id = ${accountId} and cs.segment_id = ${segmentId} ${setsBefore}
        order by cs.created_at desc, cs.id desc limit ${limit + 1})
    ) x order by at desc, type desc, id desc limit ${limit + 1}`,
  );
  const shown = rows.slice(0, limit).map((r) => ({ type: Number(r.type) as 0 | 1, id: Number(r.id), atText: String(r.at_text) }));
  const entryIds = `{${shown
    .filter((r) => r.type === 0)
    .map((r) => r.id)
    .join(",")}}`;
  const setIds = `{${shown
    .filter((r) => r.type === 1)
    .map((r) => r.id)
    .join(",")}}`;
  const entries = await queryRows<Record<string, unknown>>(
    db,
    sql`select e.id, e.at, e.action, e.segment_id, e.segment_name, e.contact_id, c.email, e.source_type, e.source_id, e.source_label
    from membership_events e
    left join contacts c on c.account_id = e.account_id and c.id = e.contact_id
    where e.account_id = ${accountId} and e.id = any(${entryIds}::bigint[])`,
  );
  const sets = await db
    .select({
      changeSet: changeSetsTable,
      // Spelled out: drizzle leaves columns unqualified in a query of one table, which the subquery would read as its own.
      undoneByLabel: sql<
        string | null
      >`(select u.created_by_label from change_sets u where u.account_id = change_sets.account_id and u.id = change_sets.undone_by_id)`,
    })
    .from(changeSetsTable)
    .where(and(eq(changeSetsTable.accountId, accountId), sql`${changeSetsTable.id} = any(${setIds}::bigint[])`));
  const entryById = new Map(entries.map((r) => [Number(r.id), eventFromRow(r)]));
  const setById = new Map(sets.map((r) => [r.changeSet.id, r]));
  const lines: SegmentHistoryLine[] = shown.flatMap((r): SegmentHistoryLine[] => {
    if (r.type === 0) {
      const event = entryById.get(r.id);
      return event ? [{ type: "entry", at: event.at, event }] : [];
    }
    const set = setById.get(r.id);
    return set ? [{ type: "set", at: set.changeSet.createdAt, changeSet: set.changeSet, undoneByLabel: set.undoneByLabel ?? null }] : [];
  });
  const last = shown[shown.length - 1];
  return { lines, nextCursor: rows.length > limit && last ? encodeHistoryCursor(last.atText, last.type, last.id) : null };
}
