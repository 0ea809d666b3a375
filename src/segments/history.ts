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
