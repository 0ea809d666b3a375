// Running active workflows on newly stored events: conditions in memory, then set-based membership changes per
// (workflow, action), then one statement for the run counters and the error log. One workflow's failure is
// recorded on it and never stops the others.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows, queryRowsAfterLock } from "../db/client";
import type { WorkflowAction, WorkflowCondition } from "../db/schema";
import { addContactsToSegment, removeContactsFromSegment, rollUpChanges } from "../segments/membership";
import { changeAsOneSet } from "../segments/change-sets";
import { logError } from "../log";
import { compileConditions } from "./conditions";

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
export async function runWorkflows(db: Db, accountId: number, events: StoredEvent[], workflows: ActiveWorkflow[], pendingId?: number): Promise<WorkflowRunOutcome[]> {
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
 * segment's members then never interleave (concurrent deletes in different row orders, or a change waiting on a
 * member row while holding the segment another waits for, deadlocked), and its member count moves by exactly
 * what changed. FOR NO KEY UPDATE leaves the foreign key checks of inserts into other segments free.
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
  // Pairs changed back and forth: every step, numbered, to tell which were changes once the last one is written.
  const steps = sorted.filter((p) => p.steps.length > 1).flatMap((p) => p.steps.map((step, i) => ({ s: p.s, c: p.c, n: i + 1, add: step.add, w: step.w })));
  const labels = workflows.map((w) => ({ w: w.id, label: workflowSourceLabel(w.name) }));
  // Without an evaluation row (runWorkflows called directly), the claim is a row that always exists.
  const claim =
    pendingId === undefined
      ? sql`select 0::bigint as id`
      : sql`select id from event_evaluations where account_id = ${accountId} and id = ${pendingId} for update`;
  const claimed = sql`(select count(*) from locked) >= 0 and exists (select 1 from claim)`;
  const segmentIds = `{${[...new Set(sorted.map((p) => p.s))].join(",")}}`;
  let counts: { w: number | string; action: "added" | "removed"; n: number | string }[];
  let taken: boolean;
  try {
    const [row] = await queryRowsAfterLock<{ counts: string; claimed: string | number }>(
      db,
      // The segments first, in id order, in a statement of their own: the changes then see what was committed
      // while they waited (see queryRowsAfterLock). The statement locks them again for a caller in a transaction, where it runs alone.
      sql`select s.id from segments s where s.account_id = ${accountId} and s.id = any(${segmentIds}::bigint[]) order by s.id for no key update`,
      sql`
      with claim as (${claim}),
      labels as (select * from jsonb_to_recordset(${JSON.stringify(labels)}::jsonb) as l(w bigint, label text)),
      add_pairs as (select * from jsonb_to_recordset(${JSON.stringify(finalSteps(true))}::jsonb) as a(s bigint, c bigint, w bigint)),
      remove_pairs as (select * from jsonb_to_recordset(${JSON.stringify(finalSteps(false))}::jsonb) as r(s bigint, c bigint, w bigint)),
      steps as (select * from jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) as st(s bigint, c bigint, n int, add boolean, w bigint)),
      locked as (
        select s.id from segments s
        where s.account_id = ${accountId} and s.id = any(${segmentIds}::bigint[])
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
      -- A member taken out and put back by the group is in again from now, by the workflow that put it back (a pair
      -- with several steps whose last adds; the insert above creates the row only for a contact not in before).
      refreshed as (
        update segment_members m set added_at = now(), source_type = 'workflow', source_id = a.w, source_label = l.label
        from add_pairs a join labels l on l.w = a.w
        where m.account_id = ${accountId} and m.segment_id = a.s and m.contact_id = a.c and ${claimed}
          and exists (select 1 from steps st where st.s = a.s and st.c = a.c)
      ),
      removed as (
        delete from segment_members m using remove_pairs r
        where m.account_id = ${accountId} and m.segment_id = r.s and m.contact_id = r.c and ${claimed}
        returning m.segment_id, m.contact_id, r.w
      ),
      -- For pairs with several steps: was the contact a member before? An add that inserted says no, a remove that
      -- deleted says yes. Every step after the first is a change; the first is one if it moved the contact.
      before as (
        select a.s, a.c, x.contact_id is null as member from add_pairs a left join added x on x.segment_id = a.s and x.contact_id = a.c
        where exists (select 1 from steps st where st.s = a.s and st.c = a.c)
        union all
        select r.s, r.c, x.contact_id is not null from remove_pairs r left join removed x on x.segment_id = r.s and x.contact_id = r.c
        where exists (select 1 from steps st where st.s = r.s and st.c = r.c)
      ),
      changes as (
        select x.segment_id, x.contact_id, x.w, 'added' as action, 1 as n from added x
        where not exists (select 1 from steps st where st.s = x.segment_id and st.c = x.contact_id)
        union all
        select x.segment_id, x.contact_id, x.w, 'removed', 1 from removed x
        where not exists (select 1 from steps st where st.s = x.segment_id and st.c = x.contact_id)
        union all
        select st.s, st.c, st.w, case when st.add then 'added' else 'removed' end, st.n
        from steps st join before b on b.s = st.s and b.c = st.c
        where ${claimed} and (st.n > 1 or st.add <> b.member)
      ),
      -- One change set per workflow and segment of this run (see runWorkflows), named on each of its history entries.
      sets as (
        insert into change_sets (account_id, kind, segment_id, segment_name, source_type, source_id, label, joined, "left", created_by_label)
        select ${accountId}, 'workflow', ch.segment_id, s.name, 'workflow', ch.w, l.label,
          count(*) filter (where ch.action = 'added'), count(*) filter (where ch.action = 'removed'), l.label
        from changes ch join segments s on s.account_id = ${accountId} and s.id = ch.segment_id join labels l on l.w = ch.w
        group by ch.segment_id, s.name, ch.w, l.label
        returning id, segment_id, source_id as w
      ),
      history as (
        insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at, change_set_id)
        select ${accountId}, ch.segment_id, s.name, ch.contact_id, ch.action, 'workflow', ch.w, l.label, now(), cs.id
        from changes ch join segments s on s.account_id = ${accountId} and s.id = ch.segment_id join labels l on l.w = ch.w
          join sets cs on cs.segment_id = ch.segment_id and cs.w = ch.w
        order by ch.segment_id, ch.contact_id, ch.n
      ),
      rolled as (${rollUpChanges(accountId, sql`select segment_id, 'workflow'::text as source_type, count(*) filter (where action = 'added') as joins, count(*) filter (where action = 'removed') as leaves from changes group by segment_id`)}),
      deltas as (
        select segment_id, sum(d) as d from (select segment_id, 1 as d from added union all select segment_id, -1 from removed) x group by segment_id
      ),
      counted as (
        update segments s set member_count = s.member_count + deltas.d, updated_at = now()
        from deltas
        where s.account_id = ${accountId} and s.id = deltas.segment_id
      ),
      finished as (
        delete from event_evaluations where account_id = ${accountId} and id in (select id from claim)
      ),
      -- The runs, as recordRuns writes them: workflow rows locked in id order, after the segments (claimed).
      runs as (select * from jsonb_to_recordset(${JSON.stringify(runRows(outcomes.values()))}::jsonb) as v(id bigint, matched bigint, error text, event_id bigint)),
      run_locked as (
        select w.id from workflows w join runs v on v.id = w.id where w.account_id = ${accountId} and ${claimed} order by w.id for update of w
      ),
      run_counts as (
        select w, count(*) filter (where action = 'added') as added, count(*) filter (where action = 'removed') as removed from changes group by w
      ),
      logged as (
        insert into workflow_errors (account_id, workflow_id, event_id, message)
        select ${accountId}, v.id, v.event_id, v.error from runs v join run_locked l on l.id = v.id where v.error is not null
      ),
      recorded as (
        update workflows w set ${runCounters(sql`coalesce(k.added, 0)`, sql`coalesce(k.removed, 0)`)}
        from runs v join run_locked l on l.id = v.id left join run_counts k on k.w = v.id
        where w.account_id = ${accountId} and w.id = v.id
      ),
      run_days as (${rollUpRuns(accountId, sql`select v.id, v.matched, coalesce(k.added, 0) as added, coalesce(k.removed, 0) as removed from runs v join run_locked l on l.id = v.id left join run_counts k on k.w = v.id`)})
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
  for (const c of counts) {
    const outcome = outcomes.get(Number(c.w))!;
    if (c.action === "added") outcome.added += Number(c.n);
    else outcome.removed += Number(c.n);
  }
  return "applied";
}

/** The outcomes as the run record reads them, in workflow id order (applyTogether counts the members itself). */
function runRows(outcomes: Iterable<WorkflowRunOutcome>) {
  return [...outcomes]
    .sort((a, b) => a.workflowId - b.workflowId)
    .map((o) => ({ id: o.workflowId, matched: o.matched, added: o.added, removed: o.removed, error: o.error, event_id: o.eventId }));
}

/** A run added to a workflow's counters and last error (the update's SET list): `v` the run's row, `w` the workflow. */
function runCounters(added: SQL, removed: SQL): SQL {
  return sql`
    events_matched = w.events_matched + v.matched,
    contacts_added = w.contacts_added + ${added},
    contacts_removed = w.contacts_removed + ${removed},
    error_count = w.error_count + (v.error is not null)::int,
    last_run_at = now(),
    last_error = coalesce(v.error, w.last_error),
    last_error_at = case when v.error is not null then now() else w.last_error_at end`;
}

/**
 * The insert that adds runs to the workflows' daily roll-up (workflow_daily_runs), for a CTE of the statement that
 * adds them to the workflows' counters (which locked those rows): `runs` selects (id, matched, added, removed).
 */
export function rollUpRuns(accountId: number, runs: SQL): SQL {
  return sql`
    insert into workflow_daily_runs (account_id, workflow_id, day, events_matched, contacts_added, contacts_removed)
    select ${accountId}, r.id, (now() at time zone 'UTC')::date, r.matched, r.added, r.removed from (${runs}) r
    on conflict (account_id, workflow_id, day) do update
      set events_matched = workflow_daily_runs.events_matched + excluded.events_matched,
        contacts_added = workflow_daily_runs.contacts_added + excluded.contacts_added,
        contacts_removed = workflow_daily_runs.contacts_removed + excluded.contacts_removed`;
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
