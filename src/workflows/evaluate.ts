// Running active workflows on newly stored events: conditions in memory, then set-based membership changes per
// (workflow, action), then one statement for the run counters and the error log. One workflow's failure is
// recorded on it and never stops the others.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows, queryRowsAfterLock } from "../db/client";
import type { WorkflowAction, WorkflowCondition } from "../db/schema";
import { addContactsToSegment, removeContactsFromSegment } from "../segments/membership";
import { changeAsOneSet } from "../segments/change-sets";
import { logError } from "../log";
import { compileConditions } from "./conditions";
import { groupedChangeSql, type GroupedChangeRow } from "./grouped-change";
import { rollUpRuns, runCounters, type RunRow } from "./run-sql";

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
  return (JSON.parse(json) as (Omit<ActiveWorkflow, "id" | "missingSegmentIds"> & { id: number | string; missingSegmentIds: (number | string)[] })[]).map(
    (w) => ({
      ...w,
      id: Number(w.id),
      conditions: w.conditions as WorkflowCondition[],
      actions: w.actions as WorkflowAction[],
      missingSegmentIds: w.missingSegmentIds.map(Number),
    }),
  );
}

/** The events' runs are recorded: they no longer wait for recovery (see eventEvaluationsTable). */
export async function finishEvaluation(db: Db, accountId: number, pendingId: number): Promise<void> {
  try {
    await db.execute(sql`delete from event_evaluations where account_id = ${accountId} and id = ${pendingId}`);
  } catch (e) {
    // The events are stored and run: a row left behind only means recovery runs them again in a minute.
    logError(`ending workflow evaluation ${pendingId} of account ${accountId} failed`, e);
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

/** One step of a (segment, contact) pair's changes in a group: an add or a remove, by the workflow that made it. */
interface Step {
  add: boolean;
  w: number;
}

/**
 * What a group of events does to one (segment, contact) pair: its steps in order, where a step repeating the one
 * before (add after add) is left out, since it finds the contact already where the first one put it. The last
 * step decides where the contact ends; each step before it is a change that history records.
 */
interface PairChanges {
  s: number;
  c: number;
  steps: Step[];
}

/**
 * Runs the workflows on the events as if each event came alone, in the order received, and each event went
 * through its matching workflows in id order, each action in order. A contact added to a segment by two
 * workflows is credited to the first, and the second finds it already there; a contact a purchase takes out of
 * "Prospects" and a later form puts back ends in it, with both steps in its history.
 *
 * A run, as the history and its change sets count it, is this group of events: each workflow's changes to each
 * segment in it are one change set ("workflow <name>", kind workflow, not undone by hand). A group is what one
 * request (or one recovery pass) stored and evaluated together, so it is the unit a person can relate to a cause, and
 * the only one that costs nothing more: the change sets are written by the statement that writes the history.
 *
 * Every change of the group goes in ONE statement (applyTogether): one commit, one plan, whatever the number of
 * events, workflows and segments. If that statement fails (a segment deleted meanwhile, a deadlock), the changes
 * go one (workflow, segment) at a time instead, so a failure is recorded on the workflow it belongs to while the
 * others still run. Returns one outcome per workflow that matched at least one event or failed, already recorded.
 * `pendingId`, the events' row in event_evaluations, ends with the membership changes (applyTogether) or with
 * the record; when another run already ended it, this one changes and records nothing and returns no outcome.
 */
export async function runWorkflows(
  db: Db,
  accountId: number,
  events: StoredEvent[],
  workflows: ActiveWorkflow[],
  pendingId?: number,
): Promise<WorkflowRunOutcome[]> {
  const outcomes = new Map<number, WorkflowRunOutcome>();
  // The workflows each event matched, in workflow id order (a workflow whose conditions fail to run matches none).
  const matchedBy: ActiveWorkflow[][] = events.map(() => []);
  for (const workflow of [...workflows].sort((a, b) => a.id - b.id)) {
    const outcome: WorkflowRunOutcome = { workflowId: workflow.id, matched: 0, added: 0, removed: 0, error: null, eventId: null };
    try {
      const holds = compileConditions(workflow.conditions);
      const matching = events.flatMap((e, i) => (e.type === workflow.eventType && holds(e.properties) ? [i] : []));
      if (matching.length === 0) continue;
      outcome.matched = matching.length;
      outcome.eventId = events[matching[0]!]!.id;
      outcomes.set(workflow.id, outcome);
      if (workflow.missingSegmentIds.length > 0) {
        // The segment was deleted without the workflow being told (or in a race with it): stop acting, say why.
        const reason = missingSegmentReason(workflow.missingSegmentIds);
        await deactivateWorkflow(db, accountId, workflow.id, reason);
        outcome.error = reason;
        continue;
      }
      for (const i of matching) matchedBy[i]!.push(workflow);
    } catch (e) {
      outcome.error = failure(e);
      outcomes.set(workflow.id, outcome);
    }
  }
  const pairs = new Map<string, PairChanges>();
  events.forEach((e, i) => {
    for (const workflow of matchedBy[i]!) {
      for (const action of workflow.actions) {
        const key = `${action.segmentId}:${e.contactId}`;
        let pair = pairs.get(key);
        if (!pair) pairs.set(key, (pair = { s: action.segmentId, c: e.contactId, steps: [] }));
        const add = action.kind === "add";
        if (pair.steps.at(-1)?.add !== add) pair.steps.push({ add, w: workflow.id });
      }
    }
  });
  const ran = () => [...outcomes.values()].sort((a, b) => a.workflowId - b.workflowId);
  if (pairs.size > 0) {
    const changes = [...pairs.values()];
    // One statement changes the members, records the runs and lets go of the events' evaluation row.
    const together = await applyTogether(db, accountId, changes, workflows, outcomes, pendingId);
    if (together === "applied") return ran();
    // Another run (recovery, or the request recovery thought was gone) took these events: it records them.
    if (together === "taken") return [];
    await applyOneByOne(db, accountId, changes, workflows, outcomes);
  }
  if (outcomes.size > 0) await recordRuns(db, accountId, ran(), pendingId);
  else if (pendingId !== undefined) await finishEvaluation(db, accountId, pendingId);
  return ran();
}

/**
 * Every add and remove of the group in one statement. Each pair is written once, by its last step: inserted or
 * deleted. Whether that found the row tells whether the contact was a member before, and from that, which of
 * the pair's earlier steps were changes (see PairChanges); history gets one entry per change, in order.
 * The segment rows are locked first, in id order, as changeMembership locks its one segment: changes to a
 * segment's members never interleave or deadlock, and its member count moves by exactly what changed. FOR NO KEY UPDATE leaves the foreign key checks of inserts into other segments free.
 * The contacts are the events' own (resolved in this account) and the segments were read with the workflows:
 * the foreign keys check both, and a segment deleted meanwhile fails the statement (then see applyOneByOne).
 *
 * The same statement records the runs as recordRuns would (counters, error log; workflow rows locked in id order
 * after the segments): one round trip for the whole group.
 *
 * With `pendingId`, the events' evaluation row is locked first and deleted by the same statement: the changes
 * and the row's end commit together, so recovery never applies them a second time, and of two runs of the same
 * events (a request slowed past recovery's minute, and recovery) only the first changes or records anything.
 * Returns "applied" (changed and recorded); "taken" when the row was already gone (nothing changed); "one by one", having changed
 * nothing, when the statement failed.
 */
async function applyTogether(
  db: Db,
  accountId: number,
  pairs: PairChanges[],
  workflows: ActiveWorkflow[],
  outcomes: Map<number, WorkflowRunOutcome>,
  pendingId?: number,
): Promise<"applied" | "taken" | "one by one"> {
  // Sorted, so concurrent groups insert into the membership index in the same order.
  const sorted = [...pairs].sort((a, b) => a.s - b.s || a.c - b.c);
  const last = (p: PairChanges) => p.steps.at(-1)!;
  const finalSteps = (add: boolean) => sorted.filter((p) => last(p).add === add).map((p) => ({ s: p.s, c: p.c, w: last(p).w }));
  const { lockSegments, statement } = groupedChangeSql({
    accountId,
    pendingId,
    labels: workflows.map((w) => ({ w: w.id, label: workflowSourceLabel(w.name) })),
    adds: finalSteps(true),
    removes: finalSteps(false),
    // Pairs changed back and forth: every step, numbered, to tell which were changes once the last one is written.
    steps: sorted.filter((p) => p.steps.length > 1).flatMap((p) => p.steps.map((step, i) => ({ s: p.s, c: p.c, n: i + 1, add: step.add, w: step.w }))),
    segmentIds: `{${[...new Set(sorted.map((p) => p.s))].join(",")}}`,
    runs: runRows(outcomes.values()),
  });
  let counts: { workflow_id: number | string; action: "added" | "removed"; n: number | string }[];
  let taken: boolean;
  try {
    const [row] = await queryRowsAfterLock<GroupedChangeRow>(db, lockSegments, statement);
    counts = JSON.parse(row!.counts);
    taken = Number(row!.claimed) === 0;
  } catch (e) {
    // A segment deleted meanwhile, a deadlock, ...: one change at a time tells which workflow it belongs to.
    logError(`workflow changes for account ${accountId} fell back to one change at a time`, e);
    return "one by one";
  }
  if (taken) return "taken";
  for (const c of counts) {
    const outcome = outcomes.get(Number(c.workflow_id))!;
    if (c.action === "added") outcome.added += Number(c.n);
    else outcome.removed += Number(c.n);
  }
  return "applied";
}

/** The outcomes as the run record reads them, in workflow id order (applyTogether counts the members itself). */
function runRows(outcomes: Iterable<WorkflowRunOutcome>): RunRow[] {
  return [...outcomes]
    .sort((a, b) => a.workflowId - b.workflowId)
    .map((o) => ({ id: o.workflowId, matched: o.matched, added: o.added, removed: o.removed, error: o.error, event_id: o.eventId }));
}

/**
 * After applyTogether failed: each pair's last step only, one statement per (workflow, segment, add or remove),
 * in workflow id order. A failure is recorded on its workflow, whose changes not yet made are then skipped; the
 * other workflows' changes still land. The back-and-forth steps before the last are not in history here.
 */
async function applyOneByOne(db: Db, accountId: number, pairs: PairChanges[], workflows: ActiveWorkflow[], outcomes: Map<number, WorkflowRunOutcome>) {
  const groups = new Map<string, { w: number; s: number; add: boolean; contactIds: number[] }>();
  for (const p of pairs) {
    const { add, w } = p.steps.at(-1)!;
    const key = `${w}:${p.s}:${add}`;
    const group = groups.get(key);
    if (group) group.contactIds.push(p.c);
    else groups.set(key, { w, s: p.s, add, contactIds: [p.c] });
  }
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  for (const { w, s, add, contactIds } of [...groups.values()].sort((a, b) => a.w - b.w || a.s - b.s)) {
    const outcome = outcomes.get(w)!;
    if (outcome.error) continue;
    const label = workflowSourceLabel(names.get(w)!);
    const input = { kind: "workflow" as const, sourceType: "workflow" as const, sourceId: w, label, createdByLabel: label };
    try {
      const made = await changeAsOneSet(db, accountId, s, input, async (tx, source) => {
        if (add) {
          const { added } = await addContactsToSegment(tx, accountId, s, contactIds, source);
          return { result: null, joined: added, left: 0 };
        }
        const { removed } = await removeContactsFromSegment(tx, accountId, s, contactIds, source);
        return { result: null, joined: 0, left: removed };
      });
      if (made?.changeSet) {
        outcome.added += made.changeSet.joined;
        outcome.removed += made.changeSet.left;
      }
    } catch (e) {
      outcome.error = failure(e);
    }
  }
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
  const payload = JSON.stringify(runRows(outcomes));
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
      ),
      run_days as (${rollUpRuns(accountId, sql`select v.id, v.matched, v.added, v.removed from v join locked on locked.id = v.id where ${recorded}`)})
      update workflows w set ${runCounters(sql`v.added`, sql`v.removed`)}
      from v join locked on locked.id = v.id
      where w.account_id = ${accountId} and w.id = v.id and ${recorded}`,
      { prepared: true },
    );
  } catch (e) {
    // The membership changes are made; only the counters are behind. Never fail the event for them, and let go of
    // the evaluation row anyway: recovery running the events again could undo a later change to the same members.
    logError(`recording workflow runs failed for account ${accountId}`, e);
    if (pendingId !== undefined) await finishEvaluation(db, accountId, pendingId);
  }
}
