// Creating contacts by email, or updating them: the one set-based path used by hand entry, the API and events.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";

export type CustomValue = string | number | boolean | null;

export interface ContactInput {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  custom?: Record<string, CustomValue>;
}

export interface UpsertedContact {
  id: number;
  /** lower(email): the identity the input was matched on. */
  emailKey: string;
  created: boolean;
  updated: boolean;
}

export interface UpsertOptions {
  overwrite: boolean;
  /** With `overwrite`: a given value only fills a field that is empty (null or ""), never changes a stored one. */
  fillEmptyOnly?: boolean;
}

/**
 * Creates the contacts whose email (case-insensitive) is new. With `overwrite`, a given non-empty value
 * replaces the stored one (or, `fillEmptyOnly`, only an empty one) and custom values merge in; absent or null
 * values never blank a field, and a contact whose values do not change is not written. Repeated emails in the
 * input: the last one wins. Returns one entry per distinct email.
 */
export async function upsertContacts(db: Db, accountId: number, inputs: ContactInput[], options: UpsertOptions): Promise<UpsertedContact[]> {
  const found = new Map<number, UpsertedContact>();
  let pending = inputs;
  // One statement cannot see a contact that a concurrent transaction created after the statement began (the
  // conflicting row is outside its snapshot), so that email comes back missing. The next statement, with a new
  // snapshot, conflicts with it and updates it as asked. Stop when a retry finds nothing new.
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    let fresh = 0;
    for (const c of await upsertOnce(db, accountId, pending, options)) {
      if (!found.has(c.id)) fresh++;
      found.set(c.id, c);
    }
    const seen = new Set([...found.values()].map((c) => c.emailKey));
    pending = pending.filter((c) => !seen.has(c.email.trim().toLowerCase()));
    if (fresh === 0 && attempt > 0) break;
  }
  return [...found.values()];
}

// The values a conflicting row is updated to: the sent value wins, or (FILL) it only fills what is empty. Two fixed
// texts, so each statement stays prepared.
const REPLACE = sql.raw(`coalesce(excluded.first_name, contacts.first_name), coalesce(excluded.last_name, contacts.last_name),
  coalesce(excluded.phone, contacts.phone), contacts.custom || excluded.custom`);
const FILL = sql.raw(`coalesce(nullif(contacts.first_name, ''), excluded.first_name, contacts.first_name),
  coalesce(nullif(contacts.last_name, ''), excluded.last_name, contacts.last_name),
  coalesce(nullif(contacts.phone, ''), excluded.phone, contacts.phone),
  contacts.custom || (select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) from jsonb_each(excluded.custom) e
    where coalesce(contacts.custom -> e.key, 'null'::jsonb) in ('null'::jsonb, '""'::jsonb))`);

async function upsertOnce(db: Db, accountId: number, inputs: ContactInput[], options: UpsertOptions): Promise<UpsertedContact[]> {
  if (inputs.length === 0) return [];
  const blank = (v: string | null | undefined) => (v === undefined || v === null || v.trim() === "" ? null : v.trim());
  const payload = JSON.stringify(
    inputs.map((c, ord) => ({
      ord,
      email: c.email.trim(),
      first_name: blank(c.firstName),
      last_name: blank(c.lastName),
      phone: blank(c.phone),
      custom: Object.fromEntries(Object.entries(c.custom ?? {}).filter(([, v]) => v !== null && v !== "")),
    })),
  );
  const merged = options.fillEmptyOnly ? FILL : REPLACE;
  const rows = await queryRows<{ id: string | number; email_key: string; created: boolean; updated: boolean }>(
    db,
    sql`
    with input as (
      select distinct on (lower(email)) email, first_name, last_name, phone, custom
      from jsonb_to_recordset(${payload}::jsonb) as r(ord int, email text, first_name text, last_name text, phone text, custom jsonb)
      order by lower(email), ord desc
    ),
    written as (
      insert into contacts (account_id, email, first_name, last_name, phone, custom)
      select ${accountId}, email, first_name, last_name, phone, coalesce(custom, '{}'::jsonb) from input
      on conflict (account_id, lower(email)) do update set
        (first_name, last_name, phone, custom) = row(${merged}), updated_at = now()
      where ${options.overwrite}
        and (${merged}) is distinct from (contacts.first_name, contacts.last_name, contacts.phone, contacts.custom)
      returning id, lower(email) as email_key, (xmax = 0) as created
    )
    select id, email_key, created, not created as updated from written
    union all
    select c.id, lower(c.email), false, false
    from input i join contacts c on c.account_id = ${accountId} and lower(c.email) = lower(i.email)
    where not exists (select 1 from written w where w.email_key = lower(i.email))`,
    { prepared: true },
  );
  return rows.map((r) => ({ id: Number(r.id), emailKey: r.email_key, created: Boolean(r.created), updated: Boolean(r.updated) }));
}
