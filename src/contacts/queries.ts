// Reading and changing contacts: one contact, its segments and history, and edits (the list is in list.ts).
// Hot-path SQL is raw so its plan is the one measured in bench/.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows, queryRowsAfterLock } from "../db/client";
import type { SourceType } from "../db/schema";
import { rollUpChanges, type MembershipSource } from "../segments/membership";
import type { CustomValue } from "./upsert";
import { isUniqueViolation } from "../db/errors";

export interface ContactRow {
  id: number;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  custom: Record<string, CustomValue>;
  createdAt: Date;
  updatedAt: Date;
  segmentsCount: number;
  /** Set when the list is filtered to a segment: when and by what this contact entered it. */
  membership?: { addedAt: Date; sourceType: SourceType; sourceId: number | null; sourceLabel: string };
}

export class ContactEmailTakenError extends Error {
  constructor(public email: string) {
    super(`A contact with the email ${email} already exists.`);
  }
}

/** A timestamp of a raw query (text from postgres.js) or of the query builder (a Date) as a Date. */
export function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const s = String(v);
  return new Date(s.includes("T") ? s : s.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
}

function parseCustom(v: unknown): Record<string, CustomValue> {
  if (!v) return {};
  return (typeof v === "string" ? JSON.parse(v) : v) as Record<string, CustomValue>;
}

/**
 * A search text folded as search_name is (roster_fold) and then escaped for LIKE. In this order: unaccent turns
 * full-width ％ and ＿ into % and _, so text escaped before folding would match them as wildcards.
 */
export function foldedLikePattern(q: string): SQL {
  return sql`replace(replace(replace(roster_fold(${q}), '\\', '\\\\'), '%', '\\%'), '_', '\\_')`;
}

/** Normalises a search box value: trimmed, at most 200 characters; empty means no search. */
export function normaliseQuery(q: string | undefined | null): string {
  return (q ?? "").trim().slice(0, 200);
}

export function parseCursor(cursor: string | undefined | null): number | null {
  if (!cursor || !/^[1-9][0-9]{0,15}$/.test(cursor)) return null;
  return Number(cursor);
}

export type RawContact = {
  id: string | number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  custom: unknown;
  created_at: unknown;
  updated_at: unknown;
  segments_count: string | number;
  added_at?: unknown;
  source_type?: SourceType | null;
  source_id?: string | number | null;
  source_label?: string | null;
};

export function toContactRow(r: RawContact): ContactRow {
  const row: ContactRow = {
    id: Number(r.id),
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    phone: r.phone,
    custom: parseCustom(r.custom),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    segmentsCount: Number(r.segments_count),
  };
  if (r.added_at) {
    row.membership = {
      addedAt: toDate(r.added_at),
      sourceType: r.source_type!,
      sourceId: r.source_id === null || r.source_id === undefined ? null : Number(r.source_id),
      sourceLabel: r.source_label ?? "",
    };
  }
  return row;
}

export const CONTACT_COLUMNS = sql`c.id, c.email, c.first_name, c.last_name, c.phone, c.custom, c.created_at, c.updated_at,
  (select count(*) from segment_members s where s.account_id = c.account_id and s.contact_id = c.id) as segments_count`;

export async function getContact(db: Db, accountId: number, id: number): Promise<ContactRow | null> {
  const [row] = await queryRows<RawContact>(db, sql`select ${CONTACT_COLUMNS} from contacts c where c.account_id = ${accountId} and c.id = ${id}`);
  return row ? toContactRow(row) : null;
}

export async function getContactByEmail(db: Db, accountId: number, email: string): Promise<ContactRow | null> {
  const [row] = await queryRows<RawContact>(
    db,
    sql`select ${CONTACT_COLUMNS} from contacts c where c.account_id = ${accountId} and lower(c.email) = lower(${email.trim()})`,
  );
  return row ? toContactRow(row) : null;
}

export interface ContactFields {
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  custom: Record<string, CustomValue>;
}

const blankToNull = (v: string | null | undefined) => (v === undefined || v === null || v.trim() === "" ? null : v.trim());

function withoutNulls(custom: Record<string, CustomValue>): Record<string, CustomValue> {
  return Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== null));
}

/** Creates one contact; a taken email (case-insensitive) is a ContactEmailTakenError, never an overwrite. */
export async function createContact(db: Db, accountId: number, input: ContactFields): Promise<ContactRow> {
  const [row] = await queryRows<{ id: string | number }>(
    db,
    sql`insert into contacts (account_id, email, first_name, last_name, phone, custom)
    values (${accountId}, ${input.email.trim()}, ${blankToNull(input.firstName)}, ${blankToNull(input.lastName)}, ${blankToNull(input.phone)}, ${JSON.stringify(withoutNulls(input.custom))}::jsonb)
    on conflict (account_id, lower(email)) do nothing returning id`,
  );
  if (!row) throw new ContactEmailTakenError(input.email.trim());
  return (await getContact(db, accountId, Number(row.id)))!;
}

/**
 * Changes the given fields of one contact. A field given as null or "" is cleared; custom values merge in by key
 * (null removes a key). Returns null when the contact is not in this account.
 */
export async function updateContact(db: Db, accountId: number, id: number, patch: Partial<ContactFields>): Promise<ContactRow | null> {
  const sets: SQL[] = [sql`updated_at = now()`];
  if (patch.email !== undefined) sets.push(sql`email = ${patch.email.trim()}`);
  if (patch.firstName !== undefined) sets.push(sql`first_name = ${blankToNull(patch.firstName)}`);
  if (patch.lastName !== undefined) sets.push(sql`last_name = ${blankToNull(patch.lastName)}`);
  if (patch.phone !== undefined) sets.push(sql`phone = ${blankToNull(patch.phone)}`);
  if (patch.custom !== undefined) {
    const removed = Object.keys(patch.custom).filter((k) => patch.custom![k] === null);
    sets.push(
      sql`custom = (custom || ${JSON.stringify(withoutNulls(patch.custom))}::jsonb) - array(select jsonb_array_elements_text(${JSON.stringify(removed)}::jsonb))`,
    );
  }
  try {
    const [row] = await queryRows<{ id: string | number }>(
      db,
      sql`update contacts set ${sql.join(sets, sql`, `)} where account_id = ${accountId} and id = ${id} returning id`,
    );
    return row ? getContact(db, accountId, id) : null;
  } catch (e) {
    if (isUniqueViolation(e) && patch.email) throw new ContactEmailTakenError(patch.email.trim());
    throw e;
  }
}

/**
 * Deletes one contact and its events. Its memberships end first, in the same statement, so every segment's count
 * stays exact and each exit is in the history (which keeps the contact's id after the contact is gone).
 */
export async function deleteContact(db: Db, accountId: number, id: number, source: MembershipSource): Promise<boolean> {
  // The contact's segments are locked first, in id order as every membership change locks them (never in a join's
  // order), in a statement of their own so the deletion sees what was committed while it waited (queryRowsAfterLock).
  const lockSegments = sql`
    select s.id from segments s
    where s.account_id = ${accountId} and s.id in (select segment_id from segment_members where account_id = ${accountId} and contact_id = ${id})
    order by s.id for no key update`;
  const [row] = await queryRowsAfterLock<{ n: string | number }>(
    db,
    lockSegments,
    sql`with locked as (${lockSegments}),
    gone as (
      delete from segment_members m where m.account_id = ${accountId} and m.contact_id = ${id} and (select count(*) from locked) >= 0
      returning m.segment_id
    ),
    history as (
      insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
      select ${accountId}, s.id, s.name, ${id}, 'removed', ${source.type}, ${source.id}, ${source.label}, now()
      from gone join segments s on s.account_id = ${accountId} and s.id = gone.segment_id
    ),
    rolled as (${rollUpChanges(accountId, sql`select segment_id, ${source.type}::text as source_type, 0 as joins, count(*) as leaves from gone group by segment_id`)}),
    counted as (
      update segments s set member_count = s.member_count - 1, updated_at = now()
      from gone where s.account_id = ${accountId} and s.id = gone.segment_id
    ),
    -- Events have no foreign key to contacts (see eventsTable): they go here.
    events_gone as (delete from events where account_id = ${accountId} and contact_id = ${id}),
    deleted as (delete from contacts where account_id = ${accountId} and id = ${id} returning id)
    select count(*) as n from deleted`,
  );
  return Number(row?.n ?? 0) > 0;
}

export interface ContactSegment {
  id: number;
  name: string;
  addedAt: Date;
  sourceType: SourceType;
  sourceId: number | null;
  sourceLabel: string;
}

/** The segments a contact is in, with when and by what it entered each. */
export async function listContactSegments(db: Db, accountId: number, contactId: number): Promise<ContactSegment[]> {
  const rows = await queryRows<{
    id: string | number;
    name: string;
    added_at: unknown;
    source_type: SourceType;
    source_id: string | number | null;
    source_label: string;
  }>(
    db,
    sql`select s.id, s.name, m.added_at, m.source_type, m.source_id, m.source_label
    from segment_members m join segments s on s.account_id = m.account_id and s.id = m.segment_id
    where m.account_id = ${accountId} and m.contact_id = ${contactId}
    order by lower(s.name)`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    addedAt: toDate(r.added_at),
    sourceType: r.source_type,
    sourceId: r.source_id === null ? null : Number(r.source_id),
    sourceLabel: r.source_label,
  }));
}
