// Events stored but never run through their workflows, because the process stopped between the two (a crash, a
// deploy that cut requests short): the worker's maintenance finds them in event_evaluations and runs them now.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { activeWorkflowsSelect, finishEvaluation, parseActiveWorkflows, runWorkflows, type StoredEvent } from "./evaluate";

/** A row this old is no longer being worked on by the request that wrote it. */
export const RECOVER_AFTER_MS = 60_000;
const MAX_ATTEMPTS = 5;

/**
 * Runs the workflows of up to `limit` evaluations left behind, oldest first, as ingestEvents would have: the same
 * workflows (those active then and still active), the same rules. Each row is claimed by moving its created_at
 * forward (FOR UPDATE SKIP LOCKED), so two workers never take the same one, and one whose worker dies is taken
 * again a minute later; after MAX_ATTEMPTS it is dropped with a log line. Returns how many were run.
 */
export async function recoverEvaluations(db: Db, options: { olderThanMs?: number; limit?: number } = {}): Promise<number> {
  const seconds = (options.olderThanMs ?? RECOVER_AFTER_MS) / 1000;
  let ran = 0;
  // One row at a time: a claim lasts a minute, so a worker never holds rows it will not reach in time.
  for (let i = 0; i < (options.limit ?? 20); i++) {
    const [row] = await queryRows<{ account_id: string | number; id: string | number; event_ids: string; attempts: number }>(
      db,
      sql`update event_evaluations e set attempts = e.attempts + 1, created_at = now()
        from (select account_id, id from event_evaluations where created_at < now() - make_interval(secs => ${seconds})
              order by created_at limit 1 for update skip locked) due
        where e.account_id = due.account_id and e.id = due.id
        returning e.account_id, e.id, array_to_json(e.event_ids)::text as event_ids, e.attempts`,
    );
    if (!row) break;
    const accountId = Number(row.account_id);
    const pendingId = Number(row.id);
    if (row.attempts > MAX_ATTEMPTS) {
      console.error(`workflow evaluation ${pendingId} of account ${accountId} failed ${MAX_ATTEMPTS} times; dropped (events ${row.event_ids})`);
      await finishEvaluation(db, accountId, pendingId);
      continue;
    }
    const eventIds = (JSON.parse(row.event_ids) as (number | string)[]).map(Number);
    const ids = `{${eventIds.join(",")}}`;
    // In the order the row lists them, the order they were sent: workflows act on a contact's events in that order.
    const position = new Map(eventIds.map((id, i) => [id, i]));
    const events = (
      await queryRows<{ id: string | number; type: string; contact_id: string | number; properties: Record<string, unknown> | string }>(
        db,
        sql`select id, type, contact_id, properties from events where account_id = ${accountId} and id = any(${ids}::bigint[])`,
      )
    ).sort((a, b) => position.get(Number(a.id))! - position.get(Number(b.id))!);
    if (events.length > 0) {
      const stored: StoredEvent[] = events.map((e) => ({
        id: Number(e.id),
        type: e.type,
        contactId: Number(e.contact_id),
        properties: typeof e.properties === "string" ? JSON.parse(e.properties) : e.properties,
      }));
      const types = sql.join(
        [...new Set(stored.map((e) => e.type))].map((t) => sql`${t}`),
        sql`, `,
      );
      const receivedAt = sql`select min(received_at) from events where account_id = ${accountId} and id = any(${ids}::bigint[])`;
      const [flows] = await queryRows<{ workflows: string }>(
        db,
        sql`select coalesce(json_agg(f), '[]'::json)::text as workflows from (${activeWorkflowsSelect(accountId, types, receivedAt)}) f`,
      );
      const workflows = parseActiveWorkflows(flows!.workflows);
      if (workflows.length > 0) {
        await runWorkflows(db, accountId, stored, workflows, pendingId);
        ran++;
        continue;
      }
    }
    await finishEvaluation(db, accountId, pendingId);
    ran++;
  }
  return ran;
}
