// The one statement that applies a group of events' membership changes and records the workflows' runs (applyTogether).
import { sql, type SQL } from "drizzle-orm";
import { rollUpChanges } from "../segments/membership";
import { rollUpRuns, runCounters, type RunRow } from "./run-sql";

/** A pair's last step, the one that decides where the contact ends. Short keys keep the JSON sent small. */
export interface FinalStep {
  /** segment id */
  s: number;
  /** contact id */
  c: number;
  /** workflow id */
  w: number;
}

/** A step of a pair changed back and forth, numbered from 1 in the order the events ran. */
export interface NumberedStep extends FinalStep {
  n: number;
  add: boolean;
}

export interface GroupedChange {
  accountId: number;
  /** The events' evaluation row, deleted by the statement; without one the claim always holds. */
  pendingId?: number;
  labels: { w: number; label: string }[];
  adds: FinalStep[];
  removes: FinalStep[];
  steps: NumberedStep[];
  /** The segments touched, as a PostgreSQL array literal. */
  segmentIds: string;
  runs: RunRow[];
}

/** What the statement returns: the changes per workflow and action, and whether it claimed the events' row. */
export interface GroupedChangeRow {
  counts: string;
  claimed: string | number;
}

/**
 * `lockSegments` locks the segments in id order, in a statement of its own (see queryRowsAfterLock); `statement`
 * locks them again (for a caller in a transaction, where it runs alone), then writes members, history, counts and
 * roll-ups, and records the runs. Every write waits on `claimed`: when another run already took the events' row,
 * nothing changes and `claimed` is 0.
 */
export function groupedChangeSql(change: GroupedChange): { lockSegments: SQL; statement: SQL } {
  const { accountId, pendingId, segmentIds } = change;
  const claim =
    pendingId === undefined
      ? sql`select 0::bigint as id`
      : sql`select id from event_evaluations where account_id = ${accountId} and id = ${pendingId} for update`;
  const claimed = sql`(select count(*) from locked) >= 0 and exists (select 1 from claim)`;
  const lockSegments = sql`select s.id from segments s where s.account_id = ${accountId} and s.id = any(${segmentIds}::bigint[]) order by s.id for no key update`;
  const statement = sql`
      with claim as (${claim}),
      labels as (
        select l.w as workflow_id, l.label from jsonb_to_recordset(${JSON.stringify(change.labels)}::jsonb) as l(w bigint, label text)
      ),
      add_pairs as (
        select a.s as segment_id, a.c as contact_id, a.w as workflow_id from jsonb_to_recordset(${JSON.stringify(change.adds)}::jsonb) as a(s bigint, c bigint, w bigint)
      ),
      remove_pairs as (
        select r.s as segment_id, r.c as contact_id, r.w as workflow_id from jsonb_to_recordset(${JSON.stringify(change.removes)}::jsonb) as r(s bigint, c bigint, w bigint)
      ),
      steps as (
        select st.s as segment_id, st.c as contact_id, st.n as step, st.add, st.w as workflow_id
        from jsonb_to_recordset(${JSON.stringify(change.steps)}::jsonb) as st(s bigint, c bigint, n int, add boolean, w bigint)
      ),
      locked as (
        select s.id from segments s
        where s.account_id = ${accountId} and s.id = any(${segmentIds}::bigint[])
        order by s.id for no key update
      ),
      added as (
        insert into segment_members (account_id, segment_id, contact_id, added_at, source_type, source_id, source_label)
        select ${accountId}, a.segment_id, a.contact_id, now(), 'workflow', a.workflow_id, l.label
        from add_pairs a join labels l on l.workflow_id = a.workflow_id
        where ${claimed}
        order by a.segment_id, a.contact_id
        on conflict do nothing
        returning segment_id, contact_id, source_id as workflow_id
      ),
      -- A member taken out and put back by the group is in again from now, by the workflow that put it back (a pair
      -- with several steps whose last adds; the insert above creates the row only for a contact not in before).
      refreshed as (
        update segment_members m set added_at = now(), source_type = 'workflow', source_id = a.workflow_id, source_label = l.label
        from add_pairs a join labels l on l.workflow_id = a.workflow_id
        where m.account_id = ${accountId} and m.segment_id = a.segment_id and m.contact_id = a.contact_id and ${claimed}
          and exists (select 1 from steps st where st.segment_id = a.segment_id and st.contact_id = a.contact_id)
      ),
      removed as (
        delete from segment_members m using remove_pairs r
        where m.account_id = ${accountId} and m.segment_id = r.segment_id and m.contact_id = r.contact_id and ${claimed}
        returning m.segment_id, m.contact_id, r.workflow_id
      ),
      -- For pairs with several steps: was the contact a member before? An add that inserted says no, a remove that
      -- deleted says yes. Every step after the first is a change; the first is one if it moved the contact.
      before as (
        select a.segment_id, a.contact_id, x.contact_id is null as was_member
        from add_pairs a left join added x on x.segment_id = a.segment_id and x.contact_id = a.contact_id
        where exists (select 1 from steps st where st.segment_id = a.segment_id and st.contact_id = a.contact_id)
        union all
        select r.segment_id, r.contact_id, x.contact_id is not null
        from remove_pairs r left join removed x on x.segment_id = r.segment_id and x.contact_id = r.contact_id
        where exists (select 1 from steps st where st.segment_id = r.segment_id and st.contact_id = r.contact_id)
      ),
      changes as (
        select x.segment_id, x.contact_id, x.workflow_id, 'added' as action, 1 as step from added x
        where not exists (select 1 from steps st where st.segment_id = x.segment_id and st.contact_id = x.contact_id)
        union all
        select x.segment_id, x.contact_id, x.workflow_id, 'removed', 1 from removed x
        where not exists (select 1 from steps st where st.segment_id = x.segment_id and st.contact_id = x.contact_id)
        union all
        select st.segment_id, st.contact_id, st.workflow_id, case when st.add then 'added' else 'removed' end, st.step
        from steps st join before b on b.segment_id = st.segment_id and b.contact_id = st.contact_id
        where ${claimed} and (st.step > 1 or st.add <> b.was_member)
      ),
      -- One change set per workflow and segment of this run (see runWorkflows), named on each of its history entries.
      sets as (
        insert into change_sets (account_id, kind, segment_id, segment_name, source_type, source_id, label, joined, "left", created_by_label)
        select ${accountId}, 'workflow', ch.segment_id, s.name, 'workflow', ch.workflow_id, l.label,
          count(*) filter (where ch.action = 'added'), count(*) filter (where ch.action = 'removed'), l.label
        from changes ch join segments s on s.account_id = ${accountId} and s.id = ch.segment_id join labels l on l.workflow_id = ch.workflow_id
        group by ch.segment_id, s.name, ch.workflow_id, l.label
        returning id, segment_id, source_id as workflow_id
      ),
      history as (
        insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at, change_set_id)
        select ${accountId}, ch.segment_id, s.name, ch.contact_id, ch.action, 'workflow', ch.workflow_id, l.label, now(), cs.id
        from changes ch join segments s on s.account_id = ${accountId} and s.id = ch.segment_id join labels l on l.workflow_id = ch.workflow_id
          join sets cs on cs.segment_id = ch.segment_id and cs.workflow_id = ch.workflow_id
        order by ch.segment_id, ch.contact_id, ch.step
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
      runs as (select * from jsonb_to_recordset(${JSON.stringify(change.runs)}::jsonb) as v(id bigint, matched bigint, error text, event_id bigint)),
      run_locked as (
        select w.id from workflows w join runs v on v.id = w.id where w.account_id = ${accountId} and ${claimed} order by w.id for update of w
      ),
      run_counts as (
        select workflow_id, count(*) filter (where action = 'added') as added, count(*) filter (where action = 'removed') as removed
        from changes group by workflow_id
      ),
      logged as (
        insert into workflow_errors (account_id, workflow_id, event_id, message)
        select ${accountId}, v.id, v.event_id, v.error from runs v join run_locked l on l.id = v.id where v.error is not null
      ),
      recorded as (
        update workflows w set ${runCounters(sql`coalesce(k.added, 0)`, sql`coalesce(k.removed, 0)`)}
        from runs v join run_locked l on l.id = v.id left join run_counts k on k.workflow_id = v.id
        where w.account_id = ${accountId} and w.id = v.id
      ),
      run_days as (${rollUpRuns(accountId, sql`select v.id, v.matched, coalesce(k.added, 0) as added, coalesce(k.removed, 0) as removed from runs v join run_locked l on l.id = v.id left join run_counts k on k.workflow_id = v.id`)})
      select coalesce((select json_agg(x) from (select workflow_id, action, count(*) as n from changes group by workflow_id, action) x), '[]'::json)::text as counts,
        (select count(*) from claim) as claimed`;
  return { lockSegments, statement };
}
