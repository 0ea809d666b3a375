// Running active workflows on newly stored events: conditions in memory, then set-based membership changes per
// (workflow, action), then one statement for the run counters and the error log. One workflow's failure is
// recorded on it and never stops the others.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import type { WorkflowAction, WorkflowCondition } from "../db/schema";
import { addContactsToSegment, removeContactsFromSegment } from "../segments/membership";
import { allConditionsHold } from "./conditions";

/** An event as stored: what evaluation needs. */
export interface StoredEvent {
  id: number;
  type: string;
  contactId: number;
  properties: Record<string, unknown>;
}

/** An active workflow as the ingest query returns it, with the ids of action segments that no longer exist. */
export interface ActiveWorkflow {
  id: number;
  name: string;
  eventType: string;
  conditions: WorkflowCondition[];
  actions: WorkflowAction[];
  missingSegmentIds: number[];
}

export interface WorkflowRunOutcome {
  workflowId: number;
  matched: number;
  added: number;
  removed: number;
  error: string | null;
  /** The first matching event, named in the error log. */
  eventId: number | null;
}

/** Label membership history shows for changes a workflow makes. */
export function workflowSourceLabel(name: string): string {
  return `workflow ${name}`;
}

export function missingSegmentReason(segmentIds: number[]): string {
  const which = segmentIds.map((id) => `#${id}`).join(", ");
  return `Deactivated: the segment ${which} it acts on no longer exists. Choose another segment, Save, and activate it again.`;
}

/**
 * Applies each workflow to the events of its type whose properties meet all its conditions. Membership changes
 * on the same segment run one after another in workflow id order (then action order), so "add" and "remove" from
 * two workflows land as they would one by one; changes on different segments run side by side. Returns one
 * outcome per workflow that matched at least one event or failed, already recorded.
 */
export async function runWorkflows(db: Db, accountId: number, events: StoredEvent[], workflows: ActiveWorkflow[]): Promise<WorkflowRunOutcome[]> {
  const outcomes: WorkflowRunOutcome[] = [];
  const chains = new Map<number, (() => Promise<void>)[]>();
  for (const workflow of [...workflows].sort((a, b) => a.id - b.id)) {
    const outcome: WorkflowRunOutcome = { workflowId: workflow.id, matched: 0, added: 0, removed: 0, error: null, eventId: null };
    try {
      const matching = events.filter((e) => e.type === workflow.eventType && allConditionsHold(workflow.conditions, e.properties));
      if (matching.length === 0) continue;
      outcome.matched = matching.length;
      outcome.eventId = matching[0]!.id;
      outcomes.push(outcome);
      if (workflow.missingSegmentIds.length > 0) {
        // The segment was deleted without the workflow being told (or in a race with it): stop acting, say why.
        const reason = missingSegmentReason(workflow.missingSegmentIds);
        await deactivateWorkflow(db, accountId, workflow.id, reason);
        outcome.error = reason;
        continue;
      }
      const contactIds = [...new Set(matching.map((e) => e.contactId))];
      const source = { type: "workflow" as const, id: workflow.id, label: workflowSourceLabel(workflow.name) };
      for (const action of workflow.actions) {
        const step = async () => {
          if (outcome.error) return; // once an action of this workflow has failed, its actions not yet started are skipped
          try {
            if (action.kind === "add") outcome.added += (await addContactsToSegment(db, accountId, action.segmentId, contactIds, source)).added;
            else outcome.removed += (await removeContactsFromSegment(db, accountId, action.segmentId, contactIds, source)).removed;
          } catch (e) {
            outcome.error = `Failed: ${(e as Error).message}`.slice(0, 1000);
          }
        };
        const chain = chains.get(action.segmentId);
        if (chain) chain.push(step);
        else chains.set(action.segmentId, [step]);
      }
    } catch (e) {
      outcome.error = `Failed: ${(e as Error).message}`.slice(0, 1000);
      if (!outcomes.includes(outcome)) outcomes.push(outcome);
    }
  }
  await Promise.all(
    [...chains.values()].map(async (steps) => {
      for (const step of steps) await step();
    }),
  );
  if (outcomes.length > 0) await recordRuns(db, accountId, outcomes);
  return outcomes;
}

async function deactivateWorkflow(db: Db, accountId: number, workflowId: number, reason: string) {
  await db.execute(sql`
    update workflows set status = 'inactive', deactivated_reason = ${reason}, updated_at = now()
    where account_id = ${accountId} and id = ${workflowId}`);
}

/**
 * Adds the outcomes to the workflows' counters and writes their errors to the log, in one statement. Rows are
 * locked in id order so concurrent requests touching the same workflows queue instead of deadlocking.
 */
async function recordRuns(db: Db, accountId: number, outcomes: WorkflowRunOutcome[]) {
  const payload = JSON.stringify(
    [...outcomes]
      .sort((a, b) => a.workflowId - b.workflowId)
      .map((o) => ({ id: o.workflowId, matched: o.matched, added: o.added, removed: o.removed, error: o.error, event_id: o.eventId })),
  );
  try {
    await queryRows(
      db,
      sql`
      with v as (
        select * from jsonb_to_recordset(${payload}::jsonb) as v(id bigint, matched bigint, added bigint, removed bigint, error text, event_id bigint)
      ),
      locked as (
        select w.id from workflows w join v on v.id = w.id where w.account_id = ${accountId} order by w.id for update of w
      ),
      logged as (
        insert into workflow_errors (account_id, workflow_id, event_id, message)
        select ${accountId}, v.id, v.event_id, v.error from v join locked on locked.id = v.id where v.error is not null
      )
      update workflows w set
        events_matched = w.events_matched + v.matched,
        contacts_added = w.contacts_added + v.added,
        contacts_removed = w.contacts_removed + v.removed,
        error_count = w.error_count + (v.error is not null)::int,
        last_run_at = now(),
        last_error = coalesce(v.error, w.last_error),
        last_error_at = case when v.error is not null then now() else w.last_error_at end
      from v join locked on locked.id = v.id
      where w.account_id = ${accountId} and w.id = v.id`,
    );
  } catch (e) {
    // The membership changes are made; only the counters are behind. Never fail the event for them.
    console.error(`recording workflow runs failed for account ${accountId}:`, e);
  }
}
