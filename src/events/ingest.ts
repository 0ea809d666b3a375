// Taking events in: contacts by email, the events stored once per sender id, then the active workflows run on
// the events that are new. The HTTP API (single and batch) and anything else that receives events call this.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { upsertContacts, type ContactInput } from "../contacts/upsert";
import { activeWorkflowsSelect, parseActiveWorkflows, runWorkflows, type StoredEvent, type WorkflowRunOutcome } from "../workflows/evaluate";
import type { NormalizedEvent } from "./validate";

export type IngestStatus = "accepted" | "duplicate";

export interface IngestResult {
  /** The sender's id. */
  id: string;
  status: IngestStatus;
}

/**
 * Contact ids by lowercased email (event emails are ASCII, validated, so JS and SQL lowercase agree). Most events
 * are from known contacts and carry no contact fields: those are found with one read-only lookup, which locks
 * and writes nothing. Only new emails and events with contact fields go through upsertContacts.
 */
async function resolveContacts(db: Db, accountId: number, inputs: ContactInput[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const withFields = new Set(inputs.filter((c) => c.firstName || c.lastName || c.phone || Object.keys(c.custom ?? {}).length > 0).map((c) => c.email.toLowerCase()));
  const lookup = [...new Set(inputs.map((c) => c.email.toLowerCase()))].filter((k) => !withFields.has(k));
  if (lookup.length > 0) {
    const rows = await queryRows<{ id: string | number; k: string }>(
      db,
      sql`select c.id, k.k from jsonb_array_elements_text(${JSON.stringify(lookup)}::jsonb) as k(k)
          join contacts c on c.account_id = ${accountId} and lower(c.email) = k.k`,
      { prepared: true },
    );
    for (const r of rows) ids.set(r.k, Number(r.id));
  }
  const pending = inputs.filter((c) => !ids.has(c.email.toLowerCase()));
  for (const c of await upsertContacts(db, accountId, pending, { overwrite: true })) ids.set(c.emailKey, c.id);
  return ids;
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
 * blank anything (upsertContacts' rule).
 */
export async function ingestEvents(db: Db, accountId: number, events: NormalizedEvent[]): Promise<{ results: IngestResult[]; runs: WorkflowRunOutcome[] }> {
  if (events.length === 0) return { results: [], runs: [] };
  const contactIds = await resolveContacts(db, accountId, events.map(contactInput));

  // Sorted by sender id so two concurrent batches sharing ids take the unique index in the same order.
  const payload = JSON.stringify(
    events
      .map((e, ord) => ({
        ord,
        external_id: e.id,
        type: e.type,
        contact_id: contactIds.get(e.email.toLowerCase()),
        properties: e.properties,
        occurred_at: e.occurredAt.toISOString(),
      }))
      .sort((a, b) => (a.external_id < b.external_id ? -1 : a.external_id > b.external_id ? 1 : a.ord - b.ord)),
  );

  // One round trip: insert what is new and, in the same snapshot, read the active workflows listening for the
  // new events' types (a partial index on (account_id, event_type) where active: inactive workflows and other
  // accounts' are never read), with the ids of action segments that no longer exist.
  const [row] = await queryRows<{ inserted: string; workflows: string; pending_id: string | number | null }>(
    db,
    sql`
    with input as (
      select * from jsonb_to_recordset(${payload}::jsonb)
        as r(ord int, external_id text, type text, contact_id bigint, properties jsonb, occurred_at timestamptz)
    ),
    inserted as (
      insert into events (account_id, external_id, type, contact_id, properties, occurred_at)
      select ${accountId}, external_id, type, contact_id, properties, occurred_at from input
      on conflict (account_id, external_id) do nothing
      returning id, external_id
    ),
    flows as (${activeWorkflowsSelect(accountId, sql`select distinct i.type from input i join inserted n on n.external_id = i.external_id`)}),
    -- Until the runs are recorded, the new events wait here too: if the process stops before, they are run later.
    pending as (
      insert into event_evaluations (account_id, event_ids)
      select ${accountId}, array_agg(n.id order by n.id) from inserted n
      having count(*) > 0 and exists (select 1 from flows)
      returning id
    )
    select
      (select coalesce(json_agg(json_build_object('id', id, 'external_id', external_id)), '[]'::json) from inserted)::text as inserted,
      (select coalesce(json_agg(flows), '[]'::json) from flows)::text as workflows,
      (select id from pending) as pending_id`,
    { prepared: true },
  );
  const inserted = JSON.parse(row!.inserted) as { id: number | string; external_id: string }[];
  const workflows = parseActiveWorkflows(row!.workflows);

  // The first event with an id in the input is the one stored; a repeat later in the same batch is a duplicate.
  const newIds = new Map(inserted.map((r) => [r.external_id, Number(r.id)]));
  const stored: StoredEvent[] = [];
  const results = events.map((e): IngestResult => {
    const eventId = newIds.get(e.id);
    if (eventId === undefined) return { id: e.id, status: "duplicate" };
    newIds.delete(e.id);
    stored.push({ id: eventId, type: e.type, contactId: contactIds.get(e.email.toLowerCase())!, properties: e.properties });
    return { id: e.id, status: "accepted" };
  });

  // A pending row exists exactly when events were stored and workflows listen for them: runWorkflows ends it.
  const pendingId = row!.pending_id === null ? undefined : Number(row!.pending_id);
  const runs = workflows.length > 0 && stored.length > 0 ? await runWorkflows(db, accountId, stored, workflows, pendingId) : [];
  return { results, runs };
}
