// "Your export is ready" notices: imports and exports a user asked for that ended while they were elsewhere in
// Roster, announced once each (jobs.notice_shown_at), read by the layout's small poll.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";

/** Jobs that ended longer ago than this are not announced any more (the user has moved on). */
export const NOTICE_WINDOW_MINUTES = 60;

export interface JobNotice {
  jobId: number;
  kind: "import" | "export";
  status: "completed" | "failed";
  /** "Buyers 2026" (an export's segment, or All contacts), "contacts.csv" (an import's file). */
  subject: string;
  /** Where the notice's link goes: the download of an export, the page of an import or of a failed export. */
  href: string;
  error: string | null;
  /** A finished import's change to its segment, while it can be undone: the notice carries Undo. */
  undo: { segmentId: number; changeSetId: number } | null;
}

/**
 * The user's imports and exports that ended and were not announced yet, marked announced by the same statement
 * (so two tabs polling at once show each notice once), and whether one of theirs is still queued or running
 * (then the poll goes on). A job whose own page is `onPage` (the page that polls) is left for that page to show. Cancelled jobs and those that ended over NOTICE_WINDOW_MINUTES ago are marked without
 * a notice. Reads the partial index jobs_notice_idx: a few rows per user.
 */
export async function takeJobNotices(
  db: Db,
  accountId: number,
  userId: number,
  onPage: { exportId?: number | null; importId?: number | null } = {},
): Promise<{ notices: JobNotice[]; running: boolean }> {
  const [row] = await queryRows<{ notices: string; running: boolean }>(
    db,
    sql`
    with mine as (
      select id, kind, status, error, finished_at from jobs
      where account_id = ${accountId} and requested_by_user_id = ${userId} and notice_shown_at is null and kind in ('import', 'export')
    ),
    taken as (
      update jobs j set notice_shown_at = now()
      from mine
      where j.account_id = ${accountId} and j.id = mine.id and j.notice_shown_at is null
        and mine.status in ('completed', 'failed', 'cancelled')
        -- The job's own page, open in the browser that polls, shows its end itself (and marks it shown).
        and not exists (select 1 from exports e where e.account_id = ${accountId} and e.job_id = mine.id and e.id = ${onPage.exportId ?? null}::bigint)
        and not exists (select 1 from imports i where i.account_id = ${accountId} and i.job_id = mine.id and i.id = ${onPage.importId ?? null}::bigint)
      returning j.id, j.kind, j.status, j.error, j.finished_at
    ),
    told as (
      select t.id, t.kind, t.status, t.error,
        case when t.kind = 'export' then coalesce(e.segment_name, 'All contacts') else i.file_name end as subject,
        e.token, e.id as export_id, i.id as import_id,
        case when cs.undone_by_id is null and cs.joined + cs."left" > 0 then cs.id end as change_set_id, cs.segment_id
      from taken t
      left join exports e on t.kind = 'export' and e.account_id = ${accountId} and e.job_id = t.id
      left join imports i on t.kind = 'import' and i.account_id = ${accountId} and i.job_id = t.id
      left join change_sets cs on cs.account_id = ${accountId} and cs.id = i.change_set_id
      where t.status in ('completed', 'failed') and t.finished_at > now() - ${NOTICE_WINDOW_MINUTES} * interval '1 minute'
    )
    select coalesce((select json_agg(told order by id) from told), '[]')::text as notices,
      exists (select 1 from mine where status in ('queued', 'running')) as running`,
    { prepared: true },
  );
  const raw = JSON.parse(row?.notices ?? "[]") as {
    id: number;
    kind: "import" | "export";
    status: "completed" | "failed";
    error: string | null;
    subject: string | null;
    token: string | null;
    export_id: number | null;
    import_id: number | null;
    change_set_id: number | null;
    segment_id: number | null;
  }[];
  const notices = raw
    .filter((n) => n.subject !== null)
    .map((n) => ({
      jobId: Number(n.id),
      kind: n.kind,
      status: n.status,
      subject: n.subject!,
      error: n.error,
      undo:
        n.status === "completed" && n.change_set_id !== null && n.segment_id !== null
          ? { segmentId: Number(n.segment_id), changeSetId: Number(n.change_set_id) }
          : null,
      href:
        n.kind === "export" ? (n.status === "completed" && n.token ? `/exports/${n.token}/download` : `/exports/${n.export_id}`) : `/imports/${n.import_id}`,
    }));
  return { notices, running: Boolean(row?.running) };
}

/** The user saw these jobs end on their own pages (an export's summary or list, an import's page): no notice then. */
export async function markJobNoticesShown(db: Db, accountId: number, jobIds: number[], userId: number | null): Promise<void> {
  if (userId === null || jobIds.length === 0) return;
  await db.execute(sql`
    update jobs set notice_shown_at = now()
    where account_id = ${accountId} and id = any(${`{${jobIds.map((id) => Math.trunc(id)).join(",")}}`}::bigint[])
      and requested_by_user_id = ${userId} and notice_shown_at is null and status in ('completed', 'failed', 'cancelled')`);
}
