// Membership history: every entry into and exit from a segment, newest first, for a segment or for a contact.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import type { MembershipAction, SourceType } from "../db/schema";
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
  const events = rows.slice(0, limit).map((r) => ({
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
  }));
  return { events, nextCursor: rows.length > limit ? String(events[events.length - 1]!.id) : null };
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
export async function listSegmentChanges(db: Db, accountId: number, segmentId: number, page: { since: number | null; limit: number }): Promise<{ changes: SegmentChange[]; hasMore: boolean }> {
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
