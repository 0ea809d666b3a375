// Taking events in: contacts by email, the events stored once per sender id, then the active workflows run on
// the events that are new. The HTTP API (single and batch) and anything else that receives events call this.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { upsertContacts, type ContactInput } from "../contacts/upsert";
import {
  activeWorkflowsSelect,
  parseActiveWorkflows,
  runWorkflows,
  type ActiveWorkflow,
  type StoredEvent,
  type WorkflowRunOutcome,
} from "../workflows/evaluate";
import type { NormalizedEvent } from "./validate";

export type IngestStatus = "accepted" | "duplicate";

export interface IngestResult {
  /** The sender's id. */
  id: string;
  status: IngestStatus;
}

/** Does the event bring contact fields to write? Then its contact goes through upsertContacts first. */
function bringsFields(e: NormalizedEvent): boolean {
  const c = e.contact;
  return Boolean(c && (c.firstName || c.lastName || c.phone || Object.keys(c.custom ?? {}).length > 0));
}

function contactInput(event: NormalizedEvent): ContactInput {
  return {
    email: event.email,
    firstName: event.contact?.firstName,
    lastName: event.contact?.lastName,
    phone: event.contact?.phone,
    custom: event.contact?.custom,
  };
}

/**
 * Stores the events and runs the account's active workflows on those stored now. An id already stored (earlier,
 * in the same batch, or by a concurrent request) is a duplicate: nothing changes, no workflow runs again, because
 * only rows this insert created are evaluated. Results come back in input order.
 *
 * Unknown emails create contacts. Contact fields sent with an event overwrite the stored ones: the shop sends
 * what it knows at the moment of the event, which is newer than an old import; absent or empty fields never
 * blank anything (upsertContacts' rule). With `fillEmptyOnly` (a send-only key, which sits in public pages and so
 * proves nothing about who sends), they only fill fields that are empty.
 */
export async function ingestEvents(
  db: Db,
  accountId: number,
  events: NormalizedEvent[],
  options: { fillEmptyOnly?: boolean } = {},
): Promise<{ results: IngestResult[]; runs: WorkflowRunOutcome[] }> {
  if (events.length === 0) return { results: [], runs: [] };
  // Contact ids by lowercased email (event emails are ASCII, validated, so JS and SQL lowercase agree). Most events
  // are from known contacts and carry no contact fields: the store statement finds those itself, reading only.
  // Events with contact fields write them first.
  const contactIds = new Map<string, number>();
  const upsert = async (from: NormalizedEvent[]) => {
    if (from.length === 0) return;
    for (const c of await upsertContacts(db, accountId, from.map(contactInput), { overwrite: true, fillEmptyOnly: options.fillEmptyOnly }))
      contactIds.set(c.emailKey, c.id);
  };
  await upsert(events.filter(bringsFields));

  let stored = await storeEvents(db, accountId, events, contactIds);
  if (!stored.complete) {
    // Some emails are new: create those contacts, then store, every contact known now.
    for (const [k, id] of stored.found) contactIds.set(k, id);
    await upsert(events.filter((e) => !contactIds.has(e.email.toLowerCase())));
    stored = await storeEvents(db, accountId, events, contactIds);
    if (!stored.complete) throw new Error("storing events: a contact could not be found or created");
  }
  const inserted = stored.inserted;
  const workflows = stored.workflows;

  // The first event with an id in the input is the one stored; a repeat later in the same batch is a duplicate.
  const newIds = new Map(inserted.map((r) => [r.external_id, r]));
  const runOn: StoredEvent[] = [];
  const results = events.map((e): IngestResult => {
    const row = newIds.get(e.id);
    if (row === undefined) return { id: e.id, status: "duplicate" };
    newIds.delete(e.id);
    runOn.push({ id: Number(row.id), type: e.type, contactId: Number(row.contact_id), properties: e.properties });
    return { id: e.id, status: "accepted" };
  });

  // A pending row exists exactly when events were stored and workflows listen for them: runWorkflows ends it.
  const runs = workflows.length > 0 && runOn.length > 0 ? await runWorkflows(db, accountId, runOn, workflows, stored.pendingId) : [];
  return { results, runs };
}

interface StoreOutcome {
  /** False when an email has no contact yet: nothing was stored, and `found` has the contacts that exist. */
  complete: boolean;
  found: Map<string, number>;
  inserted: { id: number | string; external_id: string; contact_id: number | string }[];
  workflows: ActiveWorkflow[];
  pendingId: number | undefined;
}

/**
 * One round trip: find the contacts not in `contactIds` by email; if every one exists, insert what is new and, in
 * the same snapshot, read the active workflows listening for the new events' types (a partial index on
 * (account_id, event_type) where active: inactive workflows and other accounts' are never read), with the ids of
 * action segments that no longer exist. If an email has no contact, nothing is stored.
 */
async function storeEvents(db: Db, accountId: number, events: NormalizedEvent[], contactIds: Map<string, number>): Promise<StoreOutcome> {
  const payload = JSON.stringify(
    events.map((e, ord) => {
      const key = e.email.toLowerCase();
      return {
        ord,
        external_id: e.id,
        type: e.type,
        email_key: key,
        contact_id: contactIds.get(key) ?? null,
        properties: e.properties,
        occurred_at: e.occurredAt.toISOString(),
      };
    }),
  );
  const [row] = await queryRows<{ complete: boolean; found: string | null; inserted: string; workflows: string; pending_id: string | number | null }>(
    db,
    sql`
    with raw as (
      select * from jsonb_to_recordset(${payload}::jsonb)
        as r(ord int, external_id text, type text, email_key text, contact_id bigint, properties jsonb, occurred_at timestamptz)
    ),
    input as (
      select r.ord, r.external_id, r.type, r.email_key, coalesce(r.contact_id, c.id) as contact_id, r.properties, r.occurred_at
      from raw r left join contacts c on r.contact_id is null and c.account_id = ${accountId} and lower(c.email) = r.email_key
    ),
    complete as (select not exists (select 1 from input where contact_id is null) as ok),
    -- In sender id order, so two concurrent batches sharing ids take the unique index in the same order; of two
    -- events with one id, the first sent is stored and the other is a duplicate.
    inserted as (
      insert into events (account_id, external_id, type, contact_id, properties, occurred_at)
      select ${accountId}, external_id, type, contact_id, properties, occurred_at from input
      where (select ok from complete)
      order by external_id, ord
      on conflict (account_id, external_id) do nothing
      returning id, external_id, contact_id
    ),
    flows as (${activeWorkflowsSelect(accountId, sql`select distinct i.type from input i join inserted n on n.external_id = i.external_id`)}),
    -- Until the runs are recorded, the new events wait here too: if the process stops before, they are run later,
    -- in the order sent (the ids follow the sender ids' order, not the order sent).
    pending as (
      insert into event_evaluations (account_id, event_ids)
      select ${accountId}, array_agg(n.id order by i.ord)
      from inserted n join (select external_id, min(ord) as ord from input group by external_id) i on i.external_id = n.external_id
      having count(*) > 0 and exists (select 1 from flows)
      returning id
    )
    select
      (select ok from complete) as complete,
      case when not (select ok from complete) then
        (select json_agg(json_build_object('k', email_key, 'id', contact_id))::text from input where contact_id is not null)
      end as found,
      (select coalesce(json_agg(json_build_object('id', id, 'external_id', external_id, 'contact_id', contact_id)), '[]'::json) from inserted)::text as inserted,
      (select coalesce(json_agg(flows), '[]'::json) from flows)::text as workflows,
      (select id from pending) as pending_id`,
    { prepared: true },
  );
  const found = new Map<string, number>();
  for (const f of row!.found ? (JSON.parse(row!.found) as { k: string; id: number | string }[]) : []) found.set(f.k, Number(f.id));
  return {
    complete: Boolean(row!.complete),
    found,
    inserted: JSON.parse(row!.inserted),
    workflows: parseActiveWorkflows(row!.workflows),
    pendingId: row!.pending_id === null ? undefined : Number(row!.pending_id),
  };
}
