// Dynamic segments' members kept equal to their conditions: one refresh per segment (set-based joins and leaves,
// written through membership.ts so history, roll-ups and counts follow), the worker's periodic pass over segments
// whose inputs may have changed, in dependency order, and the cycle check made when conditions are saved.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { groupItems, groupKind, isGroup, leafConditions, referencedSegmentIds, type ConditionGroup, type EventCondition } from "../conditions/grammar";
import { isStatementTimeout, withStatementTimeout } from "../conditions/preview";
import { conditionsWhere, eventFilterSql, foldedJsonText, matchingContactsSql } from "../conditions/sql";
import { logError } from "../log";
import { addContactsToSegment, removeContactsFromSegment, type MembershipSource } from "./membership";

/** The label membership history shows for joins and leaves a dynamic segment's conditions make. */
export const CONDITIONS_LABEL = "by conditions";

export function conditionsSource(segmentId: number): MembershipSource {
  return { type: "conditions", id: segmentId, label: CONDITIONS_LABEL };
}

/** How long one refresh may run before PostgreSQL stops it: a condition too broad never holds the database. */
export const REFRESH_TIMEOUT_MS = 120_000;
/**
 * A change committed by a transaction that began before a refresh's own began is invisible to it, yet stamped
 * earlier (contacts.updated_at is the writer's now()): anything changed this close before a refresh counts as
 * possibly unseen, and the segment is refreshed once more.
 */
const UNSEEN_MARGIN = sql`interval '5 seconds'`;
/**
 * An incremental refresh looks at each changed contact's events: past one contact in this many changed (68,000 of
 * 200,000 took 2.0 s against 1.0-1.8 s for the whole segment), it is done in full instead.
 */
const DIRTY_SHARE = 8;
/** Conditions such as "in the last 30 days" change with time alone: every dynamic segment is refreshed at least this often. */
const MAX_AGE = sql`interval '10 minutes'`;
/**
 * Past this many new events (a worker that was down for a while), reading them to find the contacts they concern
 * costs more than refreshing the segments in full, which is done instead.
 */
const NEW_EVENTS_LIMIT = 500_000;

export interface RefreshOutcome {
  joined: number;
  left: number;
  /** Whether only the contacts changed since the last refresh were looked at. */
  incremental: boolean;
}

export class RefreshFailedError extends Error {}
class MissingReferenceError extends Error {}

/**
 * Makes a dynamic segment's members exactly the contacts its conditions match, in one transaction: the segment is
 * locked first (membership.ts's rule), leaves = members not matching, joins = matching not members, each one
 * set-based statement with history ("by conditions"), roll-up and count. Returns null when the segment is not a
 * dynamic one of this account, or (with `skipLocked`) when another refresh holds it. A refresh that runs past
 * REFRESH_TIMEOUT_MS is stopped, recorded on the segment (refresh_error) and thrown as RefreshFailedError.
 *
 * `incremental` looks only at the contacts that changed or were given an event since the last refresh (see
 * dirtyContacts): what a contact's own changes can move. It is done in full all the same when the last refresh
 * was not a full one of the current conditions within MAX_AGE.
 */
export async function refreshDynamicSegment(
  db: Db,
  accountId: number,
  segmentId: number,
  options: { skipLocked?: boolean; incremental?: boolean; prefetched?: PrefetchedEvents } = {},
): Promise<RefreshOutcome | null> {
  try {
    // work_mem as the engine's previews have it: an event condition's hashed lookup must fit, or it runs per contact.
    return await withStatementTimeout(db, REFRESH_TIMEOUT_MS, async (t) => {
      const [segment] = await queryRows<{
        type: string;
        conditions: unknown;
        refreshed_at: string | null;
        refreshed_event_id: string | number | null;
        incremental_ok: boolean;
      }>(
        t,
        sql`select type, conditions, refreshed_at::text, refreshed_event_id,
            coalesce(fully_refreshed_at >= now() - ${MAX_AGE} and conditions_changed_at < refreshed_at, false) as incremental_ok
          from segments where account_id = ${accountId} and id = ${segmentId}
          for no key update ${options.skipLocked ? sql`skip locked` : sql``}`,
      );
      if (!segment || segment.type !== "dynamic" || !segment.conditions) return null;
      const group = (typeof segment.conditions === "string" ? JSON.parse(segment.conditions) : segment.conditions) as ConditionGroup;
      // A segment the conditions refer to was deleted: "is in" it would hold for nobody and empty the segment.
      const refs = referencedSegmentIds(group);
      if (refs.length > 0) {
        const found = await queryRows(t, sql`select id from segments where account_id = ${accountId} and id = any(${`{${refs.join(",")}}`}::bigint[])`);
        if (found.length < refs.length) throw new MissingReferenceError();
      }
      const lastEventId = segment.refreshed_event_id === null ? null : Number(segment.refreshed_event_id);
      let incremental = Boolean(options.incremental && segment.incremental_ok && segment.refreshed_at !== null);
      // The newest event this refresh can see and the instant it reads from, read before the members are: a later
      // event makes the segment due again. An incremental refresh takes them with its read of the new events (the
      // pass's, when the segment is still as the pass read it).
      let seen: EventsSeen;
      let eventContacts: number[] = [];
      if (incremental) {
        const pre = options.prefetched;
        const read =
          pre && pre.lastEventId === lastEventId && pre.refreshedAt === segment.refreshed_at
            ? pre
            : await newEventContacts(t, accountId, [{ segmentId, group, lastEventId: lastEventId ?? 0, refreshedAt: segment.refreshed_at! }]);
        seen = read.seen;
        if (read.tooMany) incremental = false;
        eventContacts = read.contacts.get(segmentId) ?? [];
      } else {
        seen = await eventsSeen(t, accountId);
      }
      let members = sql`select m.contact_id from segment_members m where m.account_id = ${accountId} and m.segment_id = ${segmentId}`;
      let matching = matchingContactsSql(accountId, group);
      if (incremental && !(await dirtyContacts(t, accountId, segmentId, group, segment.refreshed_at!, eventContacts))) incremental = false;
      if (incremental) {
        members = sql`${members} and m.contact_id in (select id from refresh_dirty)`;
        // The changed contacts are looked up by id (an array the index is searched with): as "c.id in (...)" or a
        // join, the planner read every contact of the account and probed the changed ones' hash with each.
        matching = sql`select c.id from contacts c where c.account_id = ${accountId} and c.id = any(array(select id from refresh_dirty))
          and ${conditionsWhere(accountId, group, { among: sql`select id from refresh_dirty` })}`;
        const rest = withoutMetEvent(group);
        if (rest && eventContacts.length > 0) {
          // A contact given a new event that met the only event condition, "did" at least once, did: only the other
          // conditions are evaluated for it, without reading its events again.
          const met = sql`${`{${eventContacts.join(",")}}`}::bigint[]`;
          const others = sql`select id from refresh_dirty where not (id = any(${met}))`;
          matching = sql`select c.id from contacts c where c.account_id = ${accountId}
              and c.id = any(array(select id from refresh_dirty where id = any(${met}))) and ${conditionsWhere(accountId, rest)}
            union all
            select c.id from contacts c where c.account_id = ${accountId}
              and c.id = any(array(${others})) and ${conditionsWhere(accountId, group, { among: others })}`;
        }
      }
      // The conditions are evaluated once, into the transaction's table refresh_matching: leaves and joins both read it.
      await t.execute(sql`create temp table refresh_matching (id bigint primary key) on commit drop`);
      await t.execute(sql`insert into refresh_matching ${matching}`);
      await t.execute(sql`analyze refresh_matching`);
      const matched = sql`select id from refresh_matching`;
      const source = conditionsSource(segmentId);
      const { removed } = await removeContactsFromSegment(t, accountId, segmentId, sql`(${members}) except (${matched})`, source);
      const { added } = await addContactsToSegment(t, accountId, segmentId, sql`(${matched}) except (${members})`, source);
      await t.execute(sql`update segments set refreshed_at = ${seen.at}::timestamptz, refreshed_event_id = ${seen.id}::bigint,
          fully_refreshed_at = ${incremental ? sql`fully_refreshed_at` : sql`now()`}, refresh_error = null
        where account_id = ${accountId} and id = ${segmentId}`);
      return { joined: added, left: removed, incremental };
    });
  } catch (e) {
    if (e instanceof MissingReferenceError) {
      const message = "A segment that these conditions refer to no longer exists. The members stay as they were until the conditions are changed.";
      // deleteSegment's message, which names the segment, is kept.
      await db.execute(sql`update segments set refresh_error = coalesce(refresh_error, ${message}) where account_id = ${accountId} and id = ${segmentId}`);
      throw new RefreshFailedError(message);
    }
    if (!isStatementTimeout(e)) throw e;
    const message = `Finding the members took longer than ${REFRESH_TIMEOUT_MS / 1000} s and was stopped: a condition is too broad (an event condition without "in the last N days", or a "contains" on a common value). Narrow the conditions and save again.`;
    await db.execute(sql`update segments set refresh_error = ${message}, refreshed_at = now() where account_id = ${accountId} and id = ${segmentId}`);
    throw new RefreshFailedError(message);
  }
}

/** The newest event a read can see, and the instant it reads from (its transaction's or statement's start). */
interface EventsSeen {
  id: number | null;
  at: string;
}

async function eventsSeen(db: Db, accountId: number): Promise<EventsSeen> {
  const [row] = await queryRows<{ id: string | number | null; at: string }>(
    db,
    sql`select (select max(id) from events where account_id = ${accountId}) as id, now()::text as at`,
  );
  return { id: row!.id === null ? null : Number(row!.id), at: row!.at };
}

/** The contacts given new events, per segment; `tooMany` when the events were past NEW_EVENTS_LIMIT and not read. */
interface NewEvents {
  seen: EventsSeen;
  contacts: Map<number, number[]>;
  tooMany: boolean;
}

/** A segment's new-event read made by the pass before its refresh: used only when the segment is still as it was read. */
export interface PrefetchedEvents extends NewEvents {
  lastEventId: number | null;
  refreshedAt: string;
}

interface EventReadTarget {
  segmentId: number;
  group: ConditionGroup;
  /** The newest event id its last refresh saw, and when it began. */
  lastEventId: number;
  refreshedAt: string;
}

/**
 * For each segment, the contacts given an event it may not have seen that meets one of its event conditions. That
 * is every event above `lastEventId`, the newest its last refresh saw, and also those below it received within
 * UNSEEN_MARGIN before that refresh: one that took its id before the refresh read the newest, but committed after.
 * Each floor is found from the newest down (the key's index) and sent as a value (as a subquery the planner cannot
 * know how few events lie above it, and read the condition's whole window). The new events are read once for all
 * the segments, their properties folded once for every condition's prefilter.
 */
async function newEventContacts(db: Db, accountId: number, targets: EventReadTarget[]): Promise<NewEvents> {
  const seen = await eventsSeen(db, accountId);
  const contacts = new Map<number, number[]>();
  const folded = sql`e.folded`;
  const reading = targets.map((t) => ({ ...t, filters: eventInputs(accountId, t.group, folded).filters })).filter((t) => t.filters.length > 0);
  if (reading.length === 0) return { seen, contacts, tooMany: false };
  const array = (values: (number | string)[]) => `{${values.join(",")}}`;
  const floors = await queryRows<{ id: string | number; floor: string | number }>(
    db,
    sql`select r.id, coalesce((select f.id from events f where f.account_id = ${accountId} and f.id <= r.last_id
        and f.received_at < r.refreshed_at - ${UNSEEN_MARGIN} order by f.id desc limit 1), 0) as floor
      from unnest(${array(reading.map((t) => t.segmentId))}::bigint[], ${array(reading.map((t) => t.lastEventId))}::bigint[],
        ${array(reading.map((t) => `"${t.refreshedAt}"`))}::timestamptz[]) as r(id, last_id, refreshed_at)`,
  );
  const floorOf = new Map(floors.map((f) => [Number(f.id), Number(f.floor)]));
  const lowest = Math.min(...floorOf.values());
  if (seen.id !== null && seen.id - lowest > NEW_EVENTS_LIMIT) return { seen, contacts, tooMany: true };
  const holds = reading.map((t, i) => sql`(e.id > ${floorOf.get(t.segmentId) ?? 0}::bigint and (${sql.join(t.filters, sql` or `)})) as ${sql.raw(`s${i}`)}`);
  const [row] = await queryRows<Record<string, (string | number)[] | null>>(
    db,
    sql`with fresh as materialized (
        select e.id, e.account_id, e.contact_id, e.type, e.occurred_at, e.properties, ${foldedJsonText(sql`e.properties`)} as folded
        from events e where e.account_id = ${accountId} and e.id > ${lowest}::bigint
      )
      select ${sql.join(
        reading.map((_, i) => sql`array_agg(distinct x.contact_id) filter (where x.${sql.raw(`s${i}`)}) as ${sql.raw(`s${i}`)}`),
        sql`, `,
      )}
      from (select e.contact_id, ${sql.join(holds, sql`, `)} from fresh e offset 0) x`,
  );
  reading.forEach((t, i) => contacts.set(t.segmentId, (row?.[`s${i}`] ?? []).map(Number)));
  return { seen, contacts, tooMany: false };
}

/**
 * The contacts an incremental refresh looks at, into the transaction's table refresh_dirty: those changed since
 * UNSEEN_MARGIN before the last refresh (contacts_updated_idx), and those given a new event that meets one of its
 * event conditions (`eventContacts`, newEventContacts), when events can only make the conditions hold only those not
 * yet members (eventInputs): at full speed most events then leave the segment as it is, unread.
 * Returns false when so many contacts are to be looked at that a full refresh costs less.
 */
async function dirtyContacts(
  t: Db,
  accountId: number,
  segmentId: number,
  group: ConditionGroup,
  refreshedAt: string,
  eventContacts: number[],
): Promise<boolean> {
  await t.execute(sql`create temp table refresh_dirty (id bigint primary key) on commit drop`);
  const { onlyJoin } = eventInputs(accountId, group);
  const newEvents =
    eventContacts.length === 0
      ? null
      : sql`select x.id from unnest(${`{${eventContacts.join(",")}}`}::bigint[]) as x(id)
          ${onlyJoin ? sql`where not exists (select 1 from segment_members m where m.account_id = ${accountId} and m.segment_id = ${segmentId} and m.contact_id = x.id)` : sql``}`;
  const moved = await movedInReferences(t, accountId, referencedSegmentIds(group), refreshedAt);
  const changed = sql`select c.id from contacts c where c.account_id = ${accountId} and c.updated_at >= ${refreshedAt}::timestamptz - ${UNSEEN_MARGIN}
    ${newEvents ? sql`union ${newEvents}` : sql``}
    ${moved ? sql`union ${moved}` : sql``}`;
  const within = requiredSegments(group);
  // A contact outside a required segment can neither join nor stay: only this segment's members (one who left a
  // required segment since) are looked at among them.
  await t.execute(
    within.length === 0
      ? sql`insert into refresh_dirty ${changed}`
      : sql`insert into refresh_dirty select d.id from (${changed}) d (id) where (${sql.join(
          within.map((s) => sql`exists (select 1 from segment_members r where r.account_id = ${accountId} and r.segment_id = ${s} and r.contact_id = d.id)`),
          sql` and `,
        )}) or exists (select 1 from segment_members m where m.account_id = ${accountId} and m.segment_id = ${segmentId} and m.contact_id = d.id)`,
  );
  // Past one contact in DIRTY_SHARE, looking at each one's events costs more than reading the window's events once.
  const [row] = await queryRows<{ beyond: boolean }>(
    t,
    sql`select (select count(*) from (select 1 from contacts c where c.account_id = ${accountId} limit d.n * ${DIRTY_SHARE}) x) >= d.n * ${DIRTY_SHARE} as beyond
      from (select count(*) as n from refresh_dirty) d`,
  );
  if (!row?.beyond) return false;
  await t.execute(sql`analyze refresh_dirty`);
  return true;
}

/**
 * A selection of the contacts that joined or left one of `segmentIds` (the segments the conditions refer to) since
 * UNSEEN_MARGIN before `refreshedAt`, from their membership history (every change writes one, membership.ts): the
 * only contacts such a change can move. Each segment's floor is found from its newest entry down (its index), and
 * sent as a value, as newEventContacts does. Null when nothing moved.
 */
async function movedInReferences(t: Db, accountId: number, segmentIds: number[], refreshedAt: string): Promise<SQL | null> {
  if (segmentIds.length === 0) return null;
  const floors = await queryRows<{ segment_id: string | number; floor: string | number; newest: string | number | null }>(
    t,
    sql`select r.segment_id,
        coalesce((select h.id from membership_events h where h.account_id = ${accountId} and h.segment_id = r.segment_id
          and h.at < ${refreshedAt}::timestamptz - ${UNSEEN_MARGIN} order by h.id desc limit 1), 0) as floor,
        (select h.id from membership_events h where h.account_id = ${accountId} and h.segment_id = r.segment_id order by h.id desc limit 1) as newest
      from unnest(${`{${segmentIds.join(",")}}`}::bigint[]) as r(segment_id)`,
  );
  const moving = floors.filter((f) => f.newest !== null && Number(f.newest) > Number(f.floor));
  if (moving.length === 0) return null;
  return sql.join(
    moving.map(
      (f) =>
        sql`select h.contact_id from membership_events h where h.account_id = ${accountId} and h.segment_id = ${Number(f.segment_id)} and h.id > ${Number(f.floor)}::bigint`,
    ),
    sql` union `,
  );
}

/**
 * For conditions whose only event condition is "did" (at least once) directly in the top "all" group: the
 * conditions without it, which are all that a contact given an event meeting it must still meet. Null otherwise.
 */
function withoutMetEvent(group: ConditionGroup): ConditionGroup | null {
  if (groupKind(group) !== "all") return null;
  const events = leafConditions(group).filter((l): l is EventCondition => "event" in l);
  if (events.length !== 1 || events[0]!.op !== "did" || (events[0]!.at_least ?? 1) > 1) return null;
  const items = groupItems(group);
  if (!items.includes(events[0]!)) return null;
  return { all: items.filter((n) => n !== events[0]) };
}

/**
 * The segments every member must be in: "is in" conditions of the top "all" group. A contact outside them can
 * neither join nor stay, whatever it did since; one that left them since the last refresh is in its history
 * (movedInReferences) and, if a member, looked at.
 */
function requiredSegments(group: ConditionGroup): number[] {
  if (groupKind(group) !== "all") return [];
  return groupItems(group).flatMap((n) => (!isGroup(n) && "segment" in n && n.op === "in" ? [n.segment] : []));
}

/**
 * What new events can change: only those that meet one of the event conditions (their filters, on events `e`; none
 * without event conditions). When every event condition is "did" (none is "did not", whatever the groups around
 * them), such an event can only make a contact join, so members need no second look (`onlyJoin`). Events leaving a
 * window ("in the last N days") are the full refresh's.
 */
function eventInputs(accountId: number, group: ConditionGroup, foldedProperties?: SQL): { filters: SQL[]; onlyJoin: boolean } {
  const events = leafConditions(group).filter((l): l is EventCondition => "event" in l);
  return { filters: events.map((e) => sql`(${eventFilterSql(accountId, e, { foldedProperties })})`), onlyJoin: events.every((e) => e.op === "did") };
}

/**
 * Which changes can move a segment's members besides its segments': events only when it has an event condition;
 * contacts when it has a field condition or a negative one (a new contact is "not in" a segment and "did not" buy).
 * A contact an event creates arrives with its event; a deleted contact leaves every segment by itself.
 */
function inputsOf(group: ConditionGroup): { contacts: boolean; events: boolean } {
  const leaves = leafConditions(group);
  return {
    events: leaves.some((l) => "event" in l),
    contacts: leaves.some((l) => "field" in l || ("segment" in l && l.op === "not_in") || ("event" in l && l.op === "did_not")),
  };
}

interface DynamicRow {
  id: number;
  name: string;
  conditions: ConditionGroup;
  due: boolean;
  /** Due for a full refresh: never refreshed, conditions saved since, or no full refresh within MAX_AGE. */
  stale: boolean;
  updatedAt: number;
  refreshedAt: number | null;
  /** refreshed_at as the database writes it, and refreshed_event_id: what a read of new events starts from. */
  refreshedAtText: string | null;
  lastEventId: number | null;
}

/**
 * The account's dynamic segments in dependency order (a segment after those its conditions refer to), each
 * saying whether its own inputs may have changed since its last refresh: its conditions, a contact, an event,
 * or its age. A segment whose dependencies change while the pass runs becomes due on the way (refreshDueSegments).
 */
async function dynamicSegmentsOf(db: Db, accountId: number): Promise<DynamicRow[]> {
  const rows = await queryRows<{
    id: string | number;
    name: string;
    conditions: unknown;
    stale: boolean;
    contacts_changed: boolean;
    events_arrived: boolean;
    updated_at: string;
    refreshed_at: string | null;
    refreshed_at_text: string | null;
    refreshed_event_id: string | number | null;
  }>(
    db,
    sql`with latest as (
        select (select max(updated_at) from contacts where account_id = ${accountId}) as contact_at,
          (select id from events where account_id = ${accountId} order by id desc limit 1) as event_id,
          (select received_at from events where account_id = ${accountId} order by id desc limit 1) as event_at
      )
      select s.id, s.name, s.conditions,
        (s.refreshed_at is null or s.conditions_changed_at >= s.refreshed_at or s.fully_refreshed_at is null
          or s.fully_refreshed_at < now() - ${MAX_AGE}) as stale,
        coalesce(l.contact_at >= s.refreshed_at - ${UNSEEN_MARGIN}, false) as contacts_changed,
        coalesce(l.event_id > coalesce(s.refreshed_event_id, 0) or l.event_at >= s.refreshed_at - ${UNSEEN_MARGIN}, false) as events_arrived,
        extract(epoch from s.updated_at)::text as updated_at, extract(epoch from s.refreshed_at)::text as refreshed_at,
        s.refreshed_at::text as refreshed_at_text, s.refreshed_event_id
      from segments s cross join latest l
      where s.account_id = ${accountId} and s.type = 'dynamic' and s.conditions is not null`,
  );
  const byId = new Map<number, DynamicRow>();
  for (const r of rows) {
    const conditions = (typeof r.conditions === "string" ? JSON.parse(r.conditions) : r.conditions) as ConditionGroup;
    const inputs = inputsOf(conditions);
    byId.set(Number(r.id), {
      id: Number(r.id),
      name: r.name,
      conditions,
      due: r.stale || (inputs.contacts && r.contacts_changed) || (inputs.events && r.events_arrived),
      stale: r.stale,
      updatedAt: Number(r.updated_at),
      refreshedAt: r.refreshed_at === null ? null : Number(r.refreshed_at),
      refreshedAtText: r.refreshed_at_text,
      lastEventId: r.refreshed_event_id === null ? null : Number(r.refreshed_event_id),
    });
  }
  const ordered: DynamicRow[] = [];
  const state = new Map<number, "visiting" | "done">();
  const visit = (s: DynamicRow) => {
    if (state.get(s.id)) return; // done, or a cycle saved before the check existed: refreshed in any order
    state.set(s.id, "visiting");
    for (const dep of referencedSegmentIds(s.conditions)) {
      const d = byId.get(dep);
      if (d) visit(d);
    }
    state.set(s.id, "done");
    ordered.push(s);
  };
  for (const s of byId.values()) visit(s);
  return ordered;
}

/**
 * One pass of the worker: refreshes every dynamic segment whose inputs may have changed, account by account, in
 * dependency order. A segment is also due when a segment it refers to (static or dynamic) changed members
 * since its refresh (segments.updated_at moves with every membership change). A segment another worker is
 * refreshing is skipped (it will be due again). One segment's failure is logged and recorded on it; the others
 * still run. Returns how many segments were refreshed.
 */
export async function refreshDueSegments(db: Db): Promise<number> {
  const accounts = await queryRows<{ account_id: string | number }>(
    db,
    sql`select distinct account_id from segments where type = 'dynamic' and conditions is not null`,
  );
  let refreshed = 0;
  for (const { account_id } of accounts) {
    const accountId = Number(account_id);
    const segments = await dynamicSegmentsOf(db, accountId);
    // Segments' last membership change (epoch seconds), for "a segment it refers to changed".
    const changed = await segmentChangeTimes(db, accountId, [...new Set(segments.flatMap((s) => referencedSegmentIds(s.conditions)))]);
    const depChangedOf = (s: DynamicRow) =>
      s.refreshedAt !== null && referencedSegmentIds(s.conditions).some((d) => (changed.get(d) ?? 0) >= s.refreshedAt! - 5);
    const prefetched = await readNewEventsOnce(
      db,
      accountId,
      segments.filter((s) => (s.due || depChangedOf(s)) && !s.stale),
    );
    for (const s of segments) {
      const depChanged = depChangedOf(s);
      if (!s.due && !depChanged) continue;
      try {
        // A segment referred to changed: the contacts that joined or left it are looked at (dirtyContacts).
        const outcome = await refreshDynamicSegment(db, accountId, s.id, {
          skipLocked: true,
          incremental: !s.stale,
          prefetched: prefetched?.get(s.id),
        });
        if (outcome) {
          refreshed++;
          if (outcome.joined + outcome.left > 0) changed.set(s.id, Date.now() / 1000);
        }
      } catch (e) {
        if (!(e instanceof RefreshFailedError)) logError(`refreshing dynamic segment ${s.id} of account ${accountId} failed`, e);
      }
    }
  }
  return refreshed;
}

/**
 * The new events of every segment about to be refreshed incrementally, read at once (newEventContacts), so that a
 * pass reads and folds each new event once rather than once per segment. A segment refreshed meanwhile by someone
 * else reads its own again (refreshDynamicSegment checks). A failure here only costs the segments their own reads.
 */
async function readNewEventsOnce(db: Db, accountId: number, segments: DynamicRow[]): Promise<Map<number, PrefetchedEvents> | null> {
  const reading = segments.filter((s) => s.refreshedAtText !== null);
  if (reading.length < 2) return null;
  try {
    const read = await withStatementTimeout(db, REFRESH_TIMEOUT_MS, (tx) =>
      newEventContacts(
        tx,
        accountId,
        reading.map((s) => ({ segmentId: s.id, group: s.conditions, lastEventId: s.lastEventId ?? 0, refreshedAt: s.refreshedAtText! })),
      ),
    );
    return new Map(reading.map((s) => [s.id, { ...read, lastEventId: s.lastEventId, refreshedAt: s.refreshedAtText! }]));
  } catch (e) {
    logError(`reading new events for the dynamic segments of account ${accountId} failed`, e);
    return null;
  }
}

async function segmentChangeTimes(db: Db, accountId: number, ids: number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await queryRows<{ id: string | number; at: string }>(
    db,
    sql`select id, extract(epoch from updated_at)::text as at from segments where account_id = ${accountId} and id = any(${`{${ids.join(",")}}`}::bigint[])`,
  );
  return new Map(rows.map((r) => [Number(r.id), Number(r.at)]));
}

/**
 * Why these conditions cannot be saved on segment `segmentId` (null for a new segment) because of the segments
 * they refer to: one that does not exist in the account, or a cycle (the segment would depend on itself through
 * other dynamic segments). Null when they can.
 */
export async function segmentReferenceProblem(db: Db, accountId: number, segmentId: number | null, group: ConditionGroup): Promise<string | null> {
  const refs = referencedSegmentIds(group);
  if (refs.length === 0) return null;
  const rows = await queryRows<{ id: string | number; name: string; conditions: unknown }>(
    db,
    sql`select id, name, case when type = 'dynamic' then conditions end as conditions from segments where account_id = ${accountId}`,
  );
  const byId = new Map(
    rows.map((r) => [
      Number(r.id),
      { name: r.name, conditions: r.conditions ? ((typeof r.conditions === "string" ? JSON.parse(r.conditions) : r.conditions) as ConditionGroup) : null },
    ]),
  );
  for (const id of refs) if (!byId.has(id)) return `The segment #${id} that the conditions refer to does not exist in your account: choose another segment.`;
  if (segmentId === null) return null;
  const self = byId.get(segmentId)?.name ?? `#${segmentId}`;
  // Depth-first from each segment referred to, along dynamic segments' references, looking for this one.
  const seen = new Set<number>();
  const pathTo = (id: number, path: string[]): string[] | null => {
    if (id === segmentId) return path;
    if (seen.has(id)) return null;
    seen.add(id);
    const s = byId.get(id);
    if (!s?.conditions) return null;
    for (const dep of referencedSegmentIds(s.conditions)) {
      const found = pathTo(dep, [...path, byId.get(dep)?.name ?? `#${dep}`]);
      if (found) return found;
    }
    return null;
  };
  for (const id of refs) {
    const path = pathTo(id, [byId.get(id)!.name]);
    if (path) {
      const chain = [self, ...path].map((n) => `"${n}"`).join(" → ");
      return path.length === 1 && id === segmentId
        ? `A segment cannot refer to itself: remove the condition on "${self}".`
        : `These conditions would make "${self}" depend on itself (${chain}): a dynamic segment cannot refer to a segment that refers back to it.`;
    }
  }
  return null;
}

/** A selection of the segment's members, for operations that copy them (Save as static segment). */
export function membersOf(accountId: number, segmentId: number): SQL {
  return sql`select m.contact_id from segment_members m where m.account_id = ${accountId} and m.segment_id = ${segmentId}`;
}
