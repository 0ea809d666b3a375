// SQL pieces that record workflow runs: the counters' SET list and the daily roll-up, shared by the statements that record runs.
import { sql, type SQL } from "drizzle-orm";

/** A run as the statements read it (jsonb_to_recordset), in workflow id order. */
export interface RunRow {
  id: number;
  matched: number;
  added: number;
  removed: number;
  error: string | null;
  event_id: number | null;
}

/** A run added to a workflow's counters and last error (the update's SET list): `v` the run's row, `w` the workflow. */
export function runCounters(added: SQL, removed: SQL): SQL {
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
