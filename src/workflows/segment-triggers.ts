// "When entering a segment" / "When leaving a segment": workflows started by membership changes of any source (by
// hand, import, API, another workflow, a dynamic segment's refresh). Membership history is their queue: each
// workflow keeps the id of the last entry of its segment it ran on (trigger_cursor) and moves it in the
// transaction that makes its changes, so a crash neither loses nor repeats a run.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import type { WorkflowAction } from "../db/schema";
import { logError } from "../log";
import { changeAsOneSet } from "../segments/change-sets";
import { addContactsToSegment, removeContactsFromSegment } from "../segments/membership";
import { workflowSourceLabel } from "./evaluate";
import { rollUpRuns } from "./run-sql";

/** History entries one workflow takes in one go; the rest wait for the next pass. */
const BATCH = 10_000;

interface TriggerRow {
  account_id: string | number;
  id: string | number;
  name: string;
  trigger_kind: "segment_entered" | "segment_left";
  trigger_segment_id: string | number;
  trigger_cursor: string | number | null;
  actions: WorkflowAction[] | string;
}

/**
 * Runs every active segment-triggered workflow on the joins (or leaves) of its segment recorded since its cursor,
 * up to BATCH entries each: the contacts that entered (left), still existing, go through its actions, each one
 * set-based statement through membership.ts ("workflow <name>" in history). Entries the workflow made itself are
 * passed over, and Save refuses an action on the trigger's own segment, so a workflow never starts itself again.
 * A workflow another worker is running is skipped. Returns how many workflows ran.
 */
export async function runSegmentTriggers(db: Db): Promise<number> {
  const due = await queryRows<{ account_id: string | number; id: string | number }>(
    db,
    sql`select w.account_id, w.id from workflows w
      where w.status = 'active' and w.trigger_segment_id is not null
        and exists (select 1 from membership_events e where e.account_id = w.account_id and e.segment_id = w.trigger_segment_id and e.id > coalesce(w.trigger_cursor, 0))
      order by w.account_id, w.id`,
  );
  let ran = 0;
  for (const w of due) {
    try {
      if (await runOne(db, Number(w.account_id), Number(w.id))) ran++;
    } catch (e) {
      logError(`segment-triggered workflow ${w.id} of account ${w.account_id} failed`, e);
      await recordFailure(db, Number(w.account_id), Number(w.id), e).catch((f) => logError("recording a workflow failure failed", f));
    }
  }
  return ran;
}

async function runOne(db: Db, accountId: number, workflowId: number): Promise<boolean> {
  return db.transaction(async (t) => {
    const [w] = await queryRows<TriggerRow>(
      t,
      sql`select account_id, id, name, trigger_kind, trigger_segment_id, trigger_cursor, actions from workflows
        where account_id = ${accountId} and id = ${workflowId} and status = 'active' and trigger_segment_id is not null
        for update skip locked`,
    );
    if (!w) return false;
    const segmentId = Number(w.trigger_segment_id);
    const cursor = Number(w.trigger_cursor ?? 0);
    const action = w.trigger_kind === "segment_left" ? "removed" : "added";
    // Within a segment, history ids follow commit order (every writer holds the segment's lock), so nothing
    // committed later can appear below the cursor.
    const [range] = await queryRows<{ last: string | number | null }>(
      t,
      sql`select max(id) as last from (select id from membership_events where account_id = ${accountId} and segment_id = ${segmentId} and id > ${cursor} order by id limit ${BATCH}) x`,
    );
    if (range?.last === null || range?.last === undefined) return false;
    const last = Number(range.last);
    const entries = sql`select distinct e.contact_id from membership_events e
      join contacts c on c.account_id = e.account_id and c.id = e.contact_id
      where e.account_id = ${accountId} and e.segment_id = ${segmentId} and e.id > ${cursor} and e.id <= ${last}
        and e.action = ${action} and not (e.source_type = 'workflow' and e.source_id = ${workflowId})`;
    const [{ n } = { n: 0 }] = await queryRows<{ n: string | number }>(t, sql`select count(*) as n from (${entries}) x`);
    const matched = Number(n);
    let added = 0;
    let removed = 0;
    const actions = (typeof w.actions === "string" ? JSON.parse(w.actions) : w.actions) as WorkflowAction[];
    if (matched > 0) {
      // Each action is one change set of the run in its segment's history, like an event-triggered run's.
      const label = workflowSourceLabel(w.name);
      const input = { kind: "workflow" as const, sourceType: "workflow" as const, sourceId: workflowId, label, createdByLabel: label };
      for (const a of actions) {
        const done = await changeAsOneSet(t, accountId, a.segmentId, input, async (tx, source) => {
          if (a.kind === "add") return { result: null, joined: (await addContactsToSegment(tx, accountId, a.segmentId, entries, source)).added, left: 0 };
          return { result: null, joined: 0, left: (await removeContactsFromSegment(tx, accountId, a.segmentId, entries, source)).removed };
        });
        added += done?.changeSet?.joined ?? 0;
        removed += done?.changeSet?.left ?? 0;
      }
    }
    await queryRows(
      t,
      sql`with v as (select ${workflowId}::bigint as id, ${matched}::bigint as matched, ${added}::bigint as added, ${removed}::bigint as removed),
        run_days as (${rollUpRuns(accountId, sql`select v.id, v.matched, v.added, v.removed from v where v.matched > 0`)})
        update workflows w set trigger_cursor = ${last},
          events_matched = w.events_matched + ${matched}, contacts_added = w.contacts_added + ${added}, contacts_removed = w.contacts_removed + ${removed},
          last_run_at = case when ${matched} > 0 then now() else w.last_run_at end
        where w.account_id = ${accountId} and w.id = ${workflowId}`,
    );
    return matched > 0;
  });
}

async function recordFailure(db: Db, accountId: number, workflowId: number, e: unknown) {
  const cause = (e as { cause?: unknown }).cause;
  const message = `Failed: ${cause instanceof Error ? cause.message : (e as Error).message}`.slice(0, 1000);
  await db.execute(sql`with logged as (insert into workflow_errors (account_id, workflow_id, event_id, message) values (${accountId}, ${workflowId}, null, ${message}))
    update workflows set error_count = error_count + 1, last_error = ${message}, last_error_at = now() where account_id = ${accountId} and id = ${workflowId}`);
}
