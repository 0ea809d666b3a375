// Exports as the list, the API and the wizard see them: request one, list, find, cancel, retry, expire.
import { randomBytes } from "node:crypto";
import { isDateForm, isDecimalMark, type DateForm, type DecimalMark } from "../custom-fields/typed-values";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { contactsTable, exportsTable, filesTable, jobsTable, type JobStatus } from "../db/schema";
import { cancelJob, enqueueJob, retryJob } from "../jobs/queue";
import { getSegmentChoice } from "../segments/choices";
import type { Actor } from "../web";
import { availableFields, resolveFields } from "./fields";
import type { ExportFormat } from "./formats";
import { listCustomFields } from "../custom-fields/queries";

export const EXPORT_JOB_KIND = "export";

export const EXPORT_STATUSES = ["queued", "running", "completed", "failed", "cancelled", "expired"] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** One export with its job's state merged in: what the list, the summary and the API show. */
export interface ExportView {
  id: number;
  token: string;
  segmentId: number | null;
  segmentName: string | null;
  fields: string[];
  format: ExportFormat;
  /** How typed custom fields are written (CSV and TSV; XLSX takes the date form for its date cells). */
  dateForm: DateForm;
  decimalMark: DecimalMark;
  status: ExportStatus;
  rowsDone: number;
  rowsTotal: number;
  estimatedRows: number;
  sizeBytes: number | null;
  fileName: string | null;
  expiresAt: Date | null;
  error: string | null;
  createdByLabel: string;
  createdAt: Date;
  completedAt: Date | null;
  jobId: number;
  /** When the job started running (the pace of its progress is measured from then). */
  startedAt: Date | null;
}

export class SegmentNotFoundError extends Error {
  constructor() {
    super("There is no such segment in this account.");
  }
}

/** How many rows an export would hold now: the segment's maintained count, or the account's contacts. */
export async function estimateRows(db: Db, accountId: number, segmentId: number | null): Promise<number> {
  if (segmentId !== null) return (await getSegmentChoice(db, accountId, segmentId))?.memberCount ?? 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(contactsTable)
    .where(eq(contactsTable.accountId, accountId));
  return Number(row?.n ?? 0);
}

/**
 * Records an export and queues its job, in one transaction (never a job without its export or the reverse).
 * Throws SegmentNotFoundError or UnknownFieldsError (fields.ts) for bad input.
 */
export async function requestExport(
  db: Db,
  actor: Actor,
  input: { segmentId: number | null; fields: string[]; format: ExportFormat; dateForm?: DateForm; decimalMark?: DecimalMark },
): Promise<ExportView> {
  const accountId = actor.accountId;
  const segment = input.segmentId === null ? null : await getSegmentChoice(db, accountId, input.segmentId);
  if (input.segmentId !== null && !segment) throw new SegmentNotFoundError();
  const fields = resolveFields(input.fields, availableFields(await listCustomFields(db, accountId, { order: "created" }), segment !== null)).map((f) => f.id);
  const estimatedRows = await estimateRows(db, accountId, segment?.id ?? null);
  // 160 random bits: the download URL carries this, not the sequential id, so it says nothing guessable.
  const token = encodeBase32LowerCaseNoPadding(randomBytes(20));
  const id = await db.transaction(async (tx) => {
    const job = await enqueueJob(tx, { accountId, kind: EXPORT_JOB_KIND, params: {}, actor, progressTotal: estimatedRows });
    const [row] = await tx
      .insert(exportsTable)
      .values({
        accountId,
        token,
        segmentId: segment?.id ?? null,
        segmentName: segment?.name ?? null,
        fields,
        format: input.format,
        dateForm: input.dateForm ?? "ymd",
        decimalMark: input.decimalMark ?? ".",
        jobId: job.id,
        estimatedRows,
        createdByUserId: actor.userId,
        createdByLabel: actor.label,
      })
      .returning({ id: exportsTable.id });
    await tx
      .update(jobsTable)
      .set({ params: { exportId: row!.id } })
      .where(and(eq(jobsTable.accountId, accountId), eq(jobsTable.id, job.id)));
    return row!.id;
  });
  return (await getExport(db, accountId, id))!;
}

const viewColumns = {
  e: exportsTable,
  jobStatus: jobsTable.status,
  progressDone: jobsTable.progressDone,
  progressTotal: jobsTable.progressTotal,
  jobError: jobsTable.error,
  startedAt: jobsTable.startedAt,
};

type ViewRow = {
  e: typeof exportsTable.$inferSelect;
  jobStatus: JobStatus;
  progressDone: number;
  progressTotal: number | null;
  jobError: string | null;
  startedAt: Date | null;
};

function toView({ e, jobStatus, progressDone, progressTotal, jobError, startedAt }: ViewRow): ExportView {
  const status: ExportStatus = e.expiredAt ? "expired" : jobStatus;
  const rowsTotal = Number(e.rowsTotal ?? progressTotal ?? e.estimatedRows);
  return {
    id: e.id,
    token: e.token,
    segmentId: e.segmentId,
    segmentName: e.segmentName,
    fields: e.fields,
    format: e.format as ExportFormat,
    dateForm: isDateForm(e.dateForm) ? e.dateForm : "ymd",
    decimalMark: isDecimalMark(e.decimalMark) ? e.decimalMark : ".",
    status,
    rowsDone: status === "completed" || status === "expired" ? rowsTotal : Number(progressDone),
    rowsTotal,
    estimatedRows: Number(e.estimatedRows),
    sizeBytes: e.sizeBytes === null ? null : Number(e.sizeBytes),
    fileName: e.fileName,
    expiresAt: e.expiresAt,
    error: status === "failed" || status === "cancelled" ? jobError : null,
    createdByLabel: e.createdByLabel,
    createdAt: e.createdAt,
    completedAt: e.completedAt,
    jobId: e.jobId,
    startedAt,
  };
}

function joined(db: Db) {
  return db
    .select(viewColumns)
    .from(exportsTable)
    .innerJoin(jobsTable, and(eq(jobsTable.accountId, exportsTable.accountId), eq(jobsTable.id, exportsTable.jobId)));
}

export const EXPORTS_PAGE_SIZE = 50;

/** Newest first; `before` (an export id) pages back by keyset. One page plus whether there is more. */
export async function listExports(
  db: Db,
  accountId: number,
  options: { before?: number | null; limit?: number } = {},
): Promise<{ exports: ExportView[]; more: boolean }> {
  const limit = options.limit ?? EXPORTS_PAGE_SIZE;
  const rows = await joined(db)
    .where(and(eq(exportsTable.accountId, accountId), options.before ? lt(exportsTable.id, options.before) : undefined))
    .orderBy(desc(exportsTable.id))
    .limit(limit + 1);
  return { exports: rows.slice(0, limit).map((r) => toView(r as ViewRow)), more: rows.length > limit };
}

export async function getExport(db: Db, accountId: number, id: number): Promise<ExportView | null> {
  const [row] = await joined(db).where(and(eq(exportsTable.accountId, accountId), eq(exportsTable.id, id)));
  return row ? toView(row as ViewRow) : null;
}

export async function getExportByToken(db: Db, accountId: number, token: string): Promise<ExportView | null> {
  const [row] = await joined(db).where(and(eq(exportsTable.accountId, accountId), eq(exportsTable.token, token)));
  return row ? toView(row as ViewRow) : null;
}

/** The stored file of a completed, unexpired export; null otherwise. */
export async function getExportFileId(db: Db, accountId: number, id: number): Promise<number | null> {
  const [row] = await db
    .select({ fileId: exportsTable.fileId })
    .from(exportsTable)
    .innerJoin(filesTable, and(eq(filesTable.accountId, exportsTable.accountId), eq(filesTable.id, exportsTable.fileId)))
    .where(and(eq(exportsTable.accountId, accountId), eq(exportsTable.id, id), eq(filesTable.complete, true), sql`${exportsTable.expiredAt} is null`));
  return row?.fileId ?? null;
}

/** Cancels a queued or running export; null when it is not (or no longer) cancellable. */
export async function cancelExport(db: Db, accountId: number, id: number): Promise<ExportView | null> {
  const view = await getExport(db, accountId, id);
  if (!view) return null;
  const job = await cancelJob(db, accountId, view.jobId, EXPORT_JOB_KIND);
  return job ? getExport(db, accountId, id) : null;
}

/** Queues a failed or cancelled export again from the start; null when it is not retryable. */
export async function retryExport(db: Db, accountId: number, id: number): Promise<ExportView | null> {
  const view = await getExport(db, accountId, id);
  if (!view || view.status === "expired") return null;
  const job = await retryJob(db, accountId, view.jobId, EXPORT_JOB_KIND);
  return job ? getExport(db, accountId, id) : null;
}

/**
 * Marks expired the exports whose file is past its expiry, and lets go of the file, so that the purge that
 * follows (purgeExpiredFiles) leaves no export pointing at a deleted file. All accounts: maintenance is global.
 */
export async function expireExports(db: Db, now: Date = new Date()): Promise<number> {
  const rows = await queryRows(
    db,
    sql`update exports e set expired_at = ${now.toISOString()}::timestamptz, file_id = null
        from files f
        where f.account_id = e.account_id and f.id = e.file_id
          and f.expires_at is not null and f.expires_at < ${now.toISOString()}::timestamptz
        returning e.id`,
  );
  return rows.length;
}
