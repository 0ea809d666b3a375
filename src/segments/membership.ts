// Putting contacts into static segments and taking them out: one set-based statement per change, which also
// writes membership history, its daily roll-up, and keeps the segment's member count exact. Every way in (by hand, import,
// workflow, API) goes through here.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows, queryRowsAfterLock } from "../db/client";
import type { SourceType } from "../db/schema";

/** Who makes the change, as membership history shows it: "manual by Ada", "import #12", "workflow Buyers", "API key Shop". */
export interface MembershipSource {
  type: SourceType;
  id: number | null;
  label: string;
  /** The change set the change belongs to (src/segments/change-sets.ts), written on each history entry. */
  changeSetId?: number | null;
}

/** Above this many contacts, a bulk change by hand asks first, naming the count and the segment. */
export const CONFIRM_ABOVE = 1000;

/**
 * The contacts to act on: a list of ids, or a SQL select returning one column of contact ids of this
 * account (for "all matching" a filter, whatever their number).
 */
export type ContactSelection = number[] | SQL;

function selectionSql(accountId: number, contacts: ContactSelection): SQL {
  if (Array.isArray(contacts)) {
    // One array parameter, so the statement's text is the same whatever the number of ids (postgres.js prepares
    // each distinct text once per connection; a text per list length meant a new prepare nearly every call).
    const ids = `{${contacts.map((id) => Math.trunc(Number(id))).join(",")}}`;
    // Only ids that exist in this account: an id from another account is ignored, never linked.
    return sql`select c.id from contacts c where c.account_id = ${accountId} and c.id = any(${ids}::bigint[])`;
  }
  return contacts;
}

/**
 * The insert that adds changes to the daily roll-up (segment_daily_changes), for a CTE of the statement that writes
 * the matching history: `changes` selects (segment_id, source_type, joins, leaves), one row per segment and source.
 * The segment is locked by that statement, so its roll-up rows never see two writers at once.
 */
export function rollUpChanges(accountId: number, changes: SQL): SQL {
  return sql`
    insert into segment_daily_changes (account_id, segment_id, day, source_type, joins, leaves)
    select ${accountId}, r.segment_id, (now() at time zone 'UTC')::date, r.source_type, r.joins, r.leaves from (${changes}) r
    on conflict (account_id, segment_id, day, source_type) do update
      set joins = segment_daily_changes.joins + excluded.joins, leaves = segment_daily_changes.leaves + excluded.leaves`;
}

/**
 * One membership change as a single statement: pick the candidate contacts, lock the segment row, apply the
 * change (the `change` CTE returns the contact_id of each row it touched), record history for exactly those
 * rows, and move the segment's member count by as many. Returns how many changed and how many were candidates.
 */
async function changeMembership(
  db: Db,
  accountId: number,
  segmentId: number,
  contacts: ContactSelection,
  source: MembershipSource,
  action: "added" | "removed",
): Promise<{ changed: number; candidates: number }> {
  const change =
    action === "added"
      ? sql`insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
          select ${accountId}, seg.id, candidates.id, now(), ${source.type}, ${source.id}, ${source.label}
          from candidates cross join seg
          order by candidates.id
          on conflict do nothing
          returning contact_id`
      : // The members are found by index, one probe per candidate (an array: the planner cannot turn it into a hash
        // join that reads the whole table): removing 100,000 of 700,000 members took 0.8 s, against 2.7 s hashed.
        sql`delete from segment_members m using seg
          where m.account_id = ${accountId} and m.segment_id = ${segmentId} and m.segment_id = seg.id and m.contact_id = any(array(select id from candidates))
          returning m.contact_id`;
  const sign = action === "added" ? sql`+` : sql`-`;
  const [row] = await queryRowsAfterLock<{ changed: string | number; total: string | number }>(
    db,
    // The segment first, in a statement of its own, so the change sees what was committed while it waited. The
    // statement locks it again for a caller in a transaction, where it runs alone.
    sql`select id from segments where account_id = ${accountId} and id = ${segmentId} for no key update`,
    sql`
    with candidates as (
      select distinct id from (${selectionSql(accountId, contacts)}) as s(id) where id is not null
    ),
    seg as (
      -- A dynamic segment's members change only by its conditions (src/segments/refresh.ts); callers refuse with a
      -- reason first, and this keeps any other way in from changing them.
      select id, name from segments where account_id = ${accountId} and id = ${segmentId}
        and (type = 'static' or ${source.type}::text = 'conditions') for no key update
    ),
    changed as (${change}),
    history as (
      insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at, change_set_id)
      select ${accountId}, seg.id, seg.name, changed.contact_id, ${action}, ${source.type}, ${source.id}, ${source.label}, now(), ${source.changeSetId ?? null}::bigint
      from changed cross join seg
    ),
    rolled as (${rollUpChanges(accountId, sql`select seg.id as segment_id, ${source.type}::text as source_type, ${action === "added" ? sql`count(*)` : sql`0`} as joins, ${action === "removed" ? sql`count(*)` : sql`0`} as leaves from changed cross join seg group by seg.id having count(*) > 0`)}),
    counted as (
      update segments set member_count = member_count ${sign} (select count(*) from changed),
        updated_at = case when (select count(*) from changed) > 0 then now() else updated_at end
      where account_id = ${accountId} and id = ${segmentId}
    )
    select (select count(*) from changed) as changed, (select count(*) from candidates) as total`,
  );
  return { changed: Number(row?.changed ?? 0), candidates: Number(row?.total ?? 0) };
}

/**
 * Adds the contacts to the segment. Members already in it are left as they were (no history entry).
 * Returns how many were added and how many already were members. The segment must belong to the account.
 * Members are inserted in contact-id order: sorted index inserts made adding 1,000,000 contacts twice as fast.
 */
export async function addContactsToSegment(
  db: Db,
  accountId: number,
  segmentId: number,
  contacts: ContactSelection,
  source: MembershipSource,
): Promise<{ added: number; alreadyMembers: number }> {
  const { changed, candidates } = await changeMembership(db, accountId, segmentId, contacts, source, "added");
  return { added: changed, alreadyMembers: candidates - changed };
}

/** Removes the contacts from the segment, recording history for each one that was a member. */
export async function removeContactsFromSegment(
  db: Db,
  accountId: number,
  segmentId: number,
  contacts: ContactSelection,
  source: MembershipSource,
): Promise<{ removed: number; notMembers: number }> {
  const { changed, candidates } = await changeMembership(db, accountId, segmentId, contacts, source, "removed");
  return { removed: changed, notMembers: candidates - changed };
}

/**
 * Locks the segment for a membership change made of several statements in the caller's transaction (a replace,
 * an undo): taken in a statement of its own before the others, so that each of them sees every change committed
 * before the lock was granted. Returns the segment's name, or null when it no longer exists.
 */
export async function lockSegment(tx: Db, accountId: number, segmentId: number): Promise<{ name: string; memberCount: number } | null> {
  const [row] = await queryRows<{ name: string; member_count: string | number }>(
    tx,
    sql`select name, member_count from segments where account_id = ${accountId} and id = ${segmentId} for no key update`,
  );
  return row ? { name: row.name, memberCount: Number(row.member_count) } : null;
}
