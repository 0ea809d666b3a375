// Running active workflows on newly stored events: conditions in memory, then set-based membership changes per
// (workflow, action), then one statement for the run counters and the error log. One workflow's failure is
// recorded on it and never stops the others.
import { sql, type SQL } from "drizzle-orm";
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

/**
 * The active workflows of the account listening for the event types `types` selects (a partial index on
 * (account_id, event_type) where active: inactive workflows and other accounts' are never read), with the ids of
 * action segments that no longer exist. With `activeSince`, only workflows activated at or before that moment:
 * a workflow acts only on events received while it was active.
 */
export function activeWorkflowsSelect(accountId: number, types: SQL, activeSince?: SQL): SQL {
  return sql`
    select w.id, w.name, w.event_type as "eventType", w.conditions, w.actions,
      (select coalesce(json_agg((a->>'segmentId')::bigint), '[]'::json)
         from jsonb_array_elements(w.actions) a
         where not exists (select 1 from segments s where s.account_id = ${accountId} and s.id = (a->>'segmentId')::bigint)
      ) as "missingSegmentIds"
    from workflows w
    where w.account_id = ${accountId} and w.status = 'active' and w.event_type in (${types})
      ${activeSince ? sql`and w.activated_at <= (${activeSince})` : sql``}`;
}

/** The JSON array of activeWorkflowsSelect's rows (json_agg) as ActiveWorkflows. */
export function parseActiveWorkflows(json: string): ActiveWorkflow[] {
  return (JSON.parse(json) as (Omit<ActiveWorkflow, "id" | "missingSegmentIds"> & { id: number | string; missingSegmentIds: (number | string)[] })[]).map((w) => ({
    ...w,
    id: Number(w.id),
    conditions: w.conditions as WorkflowCondition[],
    actions: w.actions as WorkflowAction[],
    missingSegmentIds: w.missingSegmentIds.map(Number),
  }));
}

/** The events' runs are recorded: they no longer wait for recovery (see eventEvaluationsTable). */
export async function finishEvaluation(db: Db, accountId: number, pendingId: number): Promise<void> {
  try {
    await db.execute(sql`delete from event_evaluations where account_id = ${accountId} and id = ${pendingId}`);
  } catch (e) {
    // The events are stored and run: a row left behind only means recovery runs them again in a minute.
    console.error(`ending workflow evaluation ${pendingId} of account ${accountId} failed:`, e);
  }
}

/** Label membership history shows for changes a workflow makes. */
export function workflowSourceLabel(name: string): string {
  return `workflow ${name}`;
}

/** The run log's line for an error: the database's own message, not drizzle's "Failed query: <the SQL>" wrapper. */
function failure(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : (e as Error).message;
  return `Failed: ${message}`.slice(0, 1000);
}

export function missingSegmentReason(segmentIds: number[]): string {
  const which = segmentIds.map((id) => `#${id}`).join(", ");
  return `Deactivated: the segment ${which} it acts on no longer exists. Choose another segment, Save, and activate it again.`;
}

/** A workflow that matched: the contacts of its matching events, to act on with its actions. */
interface Plan {
  workflow: ActiveWorkflow;
  outcome: WorkflowRunOutcome;
  contactIds: number[];
}

/**
 * Applies each workflow to the events of its type whose properties meet all its conditions. The result is the
 * one of running the workflows one by one in id order, each action in order: a contact added to a segment by
 * two workflows is credited to the first, and the second finds it already there.
 *
 * Usually every change goes in ONE statement (applyTogether). When a segment is both added to and removed from
 * in the same group, or that statement fails, the changes run one (workflow, action) at a time instead, so that
 * order holds and a failure is recorded on the one workflow it belongs to while the others still run.
 * Returns one outcome per workflow that matched at least one event or failed, already recorded. `pendingId`,
 * the events' row in event_evaluations, ends with the membership changes (applyTogether) or with the record;
 * when another run already ended it, this one changes and records nothing and returns no outcome.
 */
export async function runWorkflows(db: Db, accountId: number, events: StoredEvent[], workflows: ActiveWorkflow[], pendingId?: number): Promise<WorkflowRunOutcome[]> {
  const outcomes: WorkflowRunOutcome[] = [];
  const plans: Plan[] = [];
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
      plans.push({ workflow, outcome, contactIds: [...new Set(matching.map((e) => e.contactId))] });
    } catch (e) {
      outcome.error = failure(e);
      if (!outcomes.includes(outcome)) outcomes.push(outcome);
    }
  }
  // Who lets go of the events' evaluation row: applyTogether, in its own statement, or else recordRuns.
  let pending = pendingId;
  if (plans.length > 0) {
    const together = await applyTogether(db, accountId, plans, pendingId);
    // Another run (recovery, or the request recovery thought was gone) took these events: it records them.
    if (together === "taken") return [];
    if (together === "applied") pending = undefined;
    else await applyOneByOne(db, accountId, plans);
  }
  if (outcomes.length > 0) await recordRuns(db, accountId, outcomes, pending);
  else if (pending !== undefined) await finishEvaluation(db, accountId, pending);
  return outcomes;
}

/**
 * Every add and remove of the group in one statement: one commit, one plan, whatever the number of workflows
 * and segments. Each (segment, contact) pair is kept once, for the first workflow that acts on it. The segment
 * rows are locked first, in id order, as changeMembership locks its one segment: changes to a segment's members
 * then never interleave (concurrent deletes in different row orders, or a change waiting on a member row while
 * holding the segment another waits for, deadlocked), and its member count moves by exactly what changed.
 * FOR NO KEY UPDATE leaves the foreign key checks of inserts into other segments free.
 * The contacts are the events' own (resolved in this account) and the segments were read with the workflows:
 * the foreign keys check both, and a segment deleted meanwhile fails the statement (then see applyOneByOne).
 *
 * With `pendingId`, the events' evaluation row is locked first and deleted by the same statement: the changes
 * and the row's end commit together, so recovery never applies them a second time, and of two runs of the same
 * events (a request slowed past recovery's minute, and recovery) only the first changes anything.
 * Returns "applied"; "taken" when the row was already gone (nothing changed); "one by one", having changed
 * nothing, when the group must go one change at a time.
 */
async function applyTogether(db: Db, accountId: number, plans: Plan[], pendingId?: number): Promise<"applied" | "taken" | "one by one"> {
  const adds = new Map<string, { s: number; c: number; w: number }>();
  const removes = new Map<string, { s: number; c: number; w: number }>();
  for (const { workflow, contactIds } of plans) {
    for (const action of workflow.actions) {
      const pairs = action.kind === "add" ? adds : removes;
      for (const c of contactIds) {
        const key = `${action.segmentId}:${c}`;
        if (!pairs.has(key)) pairs.set(key, { s: action.segmentId, c, w: workflow.id });
      }
    }
  }
  const removedFrom = new Set([...removes.values()].map((p) => p.s));
  if ([...adds.values()].some((p) => removedFrom.has(p.s))) return "one by one";
  const labels = plans.map((p) => ({ w: p.workflow.id, label: workflowSourceLabel(p.workflow.name) }));
  // Sorted, so concurrent groups insert into the membership index in the same order.
  const sorted = (m: Map<string, { s: number; c: number; w: number }>) => [...m.values()].sort((a, b) => a.s - b.s || a.c - b.c);
  // Without an evaluation row (runWorkflows called directly), the claim is a row that always exists.
  const claim =
    pendingId === undefined
      ? sql`select 0::bigint as id`
      : sql`select id from event_evaluations where account_id = ${accountId} and id = ${pendingId} for update`;
  const claimed = sql`(select count(*) from locked) >= 0 and exists (select 1 from claim)`;
  let counts: { w: number | string; action: "added" | "removed"; n: number | string }[];
  let taken: boolean;
  try {
    const [row] = await queryRows<{ counts: string; claimed: string | number }>(
      db,
      sql`
      with claim as (${claim}),
      labels as (select * from jsonb_to_recordset(${JSON.stringify(labels)}::jsonb) as l(w bigint, label text)),
      add_pairs as (select * from jsonb_to_recordset(${JSON.stringify(sorted(adds))}::jsonb) as a(s bigint, c bigint, w bigint)),
      remove_pairs as (select * from jsonb_to_recordset(${JSON.stringify(sorted(removes))}::jsonb) as r(s bigint, c bigint, w bigint)),
      locked as (
        select s.id from segments s
        where s.account_id = ${accountId} and s.id = any(${`{${[...new Set([...adds.values(), ...removes.values()].map((p) => p.s))].join(",")}}`}::bigint[])
        order by s.id for no key update
      ),
      added as (
        insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
        select ${accountId}, a.s, a.c, now(), 'workflow', a.w, l.label
        from add_pairs a join labels l on l.w = a.w
        where ${claimed}
        order by a.s, a.c
        on conflict do nothing
        returning segment_id, contact_id, source_id as w
      ),
      removed as (
        delete from segment_members m using remove_pairs r
        where m.account_id = ${accountId} and m.segment_id = r.s and m.contact_id = r.c and ${claimed}
        returning m.segment_id, m.contact_id, r.w
      ),
      changes as (
        select segment_id, contact_id, w, 'added' as action from added
        union all
        select segment_id, contact_id, w, 'removed' from removed
      ),
      history as (
        insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
        select ${accountId}, ch.segment_id, s.name, ch.contact_id, ch.action, 'workflow', ch.w, l.label, now()
        from changes ch join segments s on s.account_id = ${accountId} and s.id = ch.segment_id join labels l on l.w = ch.w
      ),
      deltas as (
        select segment_id, sum(case when action = 'added' then 1 else -1 end) as d from changes group by segment_id
      ),
      counted as (
        update segments s set member_count = s.member_count + deltas.d, updated_at = now()
        from deltas
        where s.account_id = ${accountId} and s.id = deltas.segment_id
      ),
      finished as (
        delete from event_evaluations where account_id = ${accountId} and id in (select id from claim)
      )
      select coalesce((select json_agg(x) from (select w, action, count(*) as n from changes group by w, action) x), '[]'::json)::text as counts,
        (select count(*) from claim) as claimed`,
    );
    counts = JSON.parse(row!.counts);
    taken = Number(row!.claimed) === 0;
  } catch {
    // A segment deleted meanwhile, a deadlock, ...: one change at a time tells which workflow it belongs to.
    return "one by one";
  }
  if (taken) return "taken";
  const byWorkflow = new Map(plans.map((p) => [p.workflow.id, p.outcome]));
  for (const c of counts) {
    const outcome = byWorkflow.get(Number(c.w))!;
    if (c.action === "added") outcome.added += Number(c.n);
    else outcome.removed += Number(c.n);
  }
  return "applied";
}

/**
 * One statement per (workflow, action). Changes on the same segment run one after another in workflow id order
 * (then action order), so "add" and "remove" from two workflows land as they would one by one; changes on
 * different segments run side by side.
 */
async function applyOneByOne(db: Db, accountId: number, plans: Plan[]) {
  const chains = new Map<number, (() => Promise<void>)[]>();
  for (const { workflow, outcome, contactIds } of plans) {
    const source = { type: "workflow" as const, id: workflow.id, label: workflowSourceLabel(workflow.name) };
    for (const action of workflow.actions) {
      const step = async () => {
        if (outcome.error) return; // once an action of this workflow has failed, its actions not yet started are skipped
        try {
          if (action.kind === "add") outcome.added += (await addContactsToSegment(db, accountId, action.segmentId, contactIds, source)).added;
          else outcome.removed += (await removeContactsFromSegment(db, accountId, action.segmentId, contactIds, source)).removed;
        } catch (e) {
          outcome.error = failure(e);
        }
      };
      const chain = chains.get(action.segmentId);
      if (chain) chain.push(step);
      else chains.set(action.segmentId, [step]);
    }
  }
  await Promise.all(
    [...chains.values()].map(async (steps) => {
      for (const step of steps) await step();
    }),
  );
}

async function deactivateWorkflow(db: Db, accountId: number, workflowId: number, reason: string) {
  await db.execute(sql`
    update workflows set status = 'inactive', deactivated_reason = ${reason}, updated_at = now()
    where account_id = ${accountId} and id = ${workflowId}`);
}

/**
 * Adds the outcomes to the workflows' counters, writes their errors to the log and lets go of the events'
 * evaluation row, in one statement. Rows are locked in id order so concurrent requests touching the same
 * workflows queue instead of deadlocking.
 */
async function recordRuns(db: Db, accountId: number, outcomes: WorkflowRunOutcome[], pendingId?: number) {
  // With an evaluation row, only the run that deletes it records: two runs of the same events count once.
  const recorded = pendingId === undefined ? sql`true` : sql`exists (select 1 from finished)`;
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
      finished as (
        delete from event_evaluations where account_id = ${accountId} and id = ${pendingId ?? null}::bigint returning id
      ),
      logged as (
        insert into workflow_errors (account_id, workflow_id, event_id, message)
        select ${accountId}, v.id, v.event_id, v.error from v join locked on locked.id = v.id where v.error is not null and ${recorded}
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
      where w.account_id = ${accountId} and w.id = v.id and ${recorded}`,
    );
  } catch (e) {
    // The membership changes are made; only the counters are behind. Never fail the event for them, and let go of
    // the evaluation row anyway: recovery running the events again could undo a later change to the same members.
    console.error(`recording workflow runs failed for account ${accountId}:`, e);
    if (pendingId !== undefined) await finishEvaluation(db, accountId, pendingId);
  }
}
