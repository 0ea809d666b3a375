// A workflow's runs per UTC day (events matched, contacts added and removed), read from workflow_daily_runs,
// which the statements recording runs keep (src/workflows/evaluate.ts).
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { periodStarts } from "../segments/size-history";

export interface WorkflowDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  matched: number;
  added: number;
  removed: number;
}

export const WORKFLOW_DAYS_SHOWN = 30;

/** The workflow's last 30 days, oldest first, with zeros on days it did nothing. */
export async function listWorkflowDays(db: Db, accountId: number, workflowId: number, today = new Date()): Promise<WorkflowDay[]> {
  const days = periodStarts(today, "day", WORKFLOW_DAYS_SHOWN);
  const rows = await queryRows<{ day: string; events_matched: string; contacts_added: string; contacts_removed: string }>(
    db,
    sql`select to_char(day, 'YYYY-MM-DD') as day, events_matched, contacts_added, contacts_removed
      from workflow_daily_runs
      where account_id = ${accountId} and workflow_id = ${workflowId} and day >= ${days[0]}::date`,
    { prepared: true },
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return days.map((day) => {
    const r = byDay.get(day);
    return { day, matched: Number(r?.events_matched ?? 0), added: Number(r?.contacts_added ?? 0), removed: Number(r?.contacts_removed ?? 0) };
  });
}
