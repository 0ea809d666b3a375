// Import rows: drafts, their mapping and options, starting one (segment creation and job in one transaction), lists and lookups.
import { aliasedTable, and, desc, eq, lt, sql } from "drizzle-orm";
import { listCustomFields } from "../custom-fields/queries";
import type { Db } from "../db/client";
import { changeSetsTable, importsTable, jobsTable, type ImportColumnTarget, type ImportMode, IMPORT_MODES } from "../db/schema";
import { enqueueJob, type Job } from "../jobs/queue";
import type { Actor } from "../web";
import type { ChangeSet } from "../segments/change-sets";
import { createSegment } from "../segments/queries";
import type { TypedFieldRef } from "./typed-columns";
import type { DateForm, DecimalMark } from "../custom-fields/typed-values";

export type ImportRow = typeof importsTable.$inferSelect;
export const IMPORT_JOB = "import";
export const IMPORT_PREVIEW_JOB = "import_preview";

/** What an import's page and the API show: the row, its import job (null for a draft) and its latest preview job. */
export interface ImportView {
  import: ImportRow;
  job: Job | null;
  preview: Job | null;
  /** The membership change set of its run, and the undo of it (null until there is one). */
  changeSet?: ChangeSet | null;
  undo?: ChangeSet | null;
}

/** The counts a finished preview or import job records (snake_case: the API returns them as they are). */
export interface ImportCounts {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  duplicates: number;
  added_to_segment: number;
  already_in_segment: number;
  blank_lines: number;
  error_file_id: number | null;
  /** What the file did to the segment (zero without one). Rows: created + updated + unchanged + not_found + invalid + duplicates. */
  mode: ImportMode;
  joined: number;
  left: number;
  /** Remove: emails of no contact in Roster (none is created). */
  not_found: number;
  already_members: number;
  /** Remove: contacts of the file that were not members. */
  not_members: number;
  /** Members before, and after: members_before + joined - left. */
  members_before: number;
  members_after: number;
}

/** The preview's examples, ten of each (emails as in the file or as stored). */
export interface ImportExamples {
  joins: string[];
  leaves: string[];
  unchanged: string[];
  not_found: string[];
}

export class ImportAlreadyStartedError extends Error {
  constructor() {
    super("This import has already been started.");
  }
}

export function isImportMode(value: string): value is ImportMode {
  return (IMPORT_MODES as readonly string[]).includes(value);
}

export async function createImport(
  db: Db,
  actor: Actor,
  input: Pick<ImportRow, "source" | "fileId" | "fileName" | "sizeBytes" | "encoding" | "delimiter" | "header" | "samples" | "mapping"> &
    Partial<Pick<ImportRow, "profiles">>,
): Promise<ImportRow> {
  const [row] = await db
    .insert(importsTable)
    .values({
      ...input,
      accountId: actor.accountId,
      createdByUserId: actor.userId,
      createdByApiKeyId: actor.apiKeyId,
      createdByLabel: actor.label,
    })
    .returning();
  return row!;
}

const previewJobs = aliasedTable(jobsTable, "preview_jobs");
const undoSets = aliasedTable(changeSetsTable, "undo_sets");

export async function getImportView(db: Db, accountId: number, id: number): Promise<ImportView | null> {
  const [row] = await db
    .select({ import: importsTable, job: jobsTable, preview: previewJobs, changeSet: changeSetsTable, undo: undoSets })
    .from(importsTable)
    .leftJoin(jobsTable, and(eq(jobsTable.accountId, importsTable.accountId), eq(jobsTable.id, importsTable.jobId)))
    .leftJoin(previewJobs, and(eq(previewJobs.accountId, importsTable.accountId), eq(previewJobs.id, importsTable.previewJobId)))
    .leftJoin(changeSetsTable, and(eq(changeSetsTable.accountId, importsTable.accountId), eq(changeSetsTable.id, importsTable.changeSetId)))
    .leftJoin(undoSets, and(eq(undoSets.accountId, importsTable.accountId), eq(undoSets.id, changeSetsTable.undoneById)))
    .where(and(eq(importsTable.accountId, accountId), eq(importsTable.id, id)));
  return row ?? null;
}

export async function getImport(db: Db, accountId: number, id: number): Promise<ImportRow | null> {
  const [row] = await db
    .select()
    .from(importsTable)
    .where(and(eq(importsTable.accountId, accountId), eq(importsTable.id, id)));
  return row ?? null;
}

/** Newest first, keyset-paginated by id: `before` is the last id of the previous page. */
export async function listImports(db: Db, accountId: number, options: { before?: number | null; limit?: number } = {}): Promise<ImportView[]> {
  const limit = options.limit ?? 50;
  const rows = await db
    .select({ import: importsTable, job: jobsTable })
    .from(importsTable)
    .leftJoin(jobsTable, and(eq(jobsTable.accountId, importsTable.accountId), eq(jobsTable.id, importsTable.jobId)))
    .where(and(eq(importsTable.accountId, accountId), options.before ? lt(importsTable.id, options.before) : undefined))
    .orderBy(desc(importsTable.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, preview: null }));
}

/** The account's custom fields by label, with their types, as the mapping step lists them. */
export async function listCustomFieldRefs(db: Db, accountId: number): Promise<TypedFieldRef[]> {
  return (await listCustomFields(db, accountId)).map(({ key, label, type }) => ({ key, label, type }));
}

export interface ImportOptions {
  mapping: ImportColumnTarget[];
  overwrite: boolean;
  mode: ImportMode;
  segmentId: number | null;
  segmentName: string | null;
  newSegmentName: string | null;
  /** Date form and decimal mark for typed custom fields (null: detected); left as they are when absent. */
  dateForm?: DateForm | null;
  decimalMark?: DecimalMark | null;
}

/**
 * Saves the mapping and options of a draft and queues its dry run, which replaces any earlier preview.
 * Returns null when the import is no longer a draft.
 */
export async function saveOptionsAndPreview(db: Db, actor: Actor, importId: number, options: ImportOptions): Promise<ImportRow | null> {
  return db.transaction(async (t) => {
    const [draft] = await t
      .select({ jobId: importsTable.jobId })
      .from(importsTable)
      .where(and(eq(importsTable.accountId, actor.accountId), eq(importsTable.id, importId)))
      .for("update");
    if (!draft || draft.jobId !== null) return null;
    const job = await enqueueJob(t, { accountId: actor.accountId, kind: IMPORT_PREVIEW_JOB, params: { importId }, actor, maxAttempts: 2 });
    const [row] = await t
      .update(importsTable)
      .set({ ...options, previewJobId: job.id, updatedAt: sql`now()` })
      .where(and(eq(importsTable.accountId, actor.accountId), eq(importsTable.id, importId)))
      .returning();
    return row ?? null;
  });
}

/**
 * Reads a draft with another encoding (null: Automatic): its header, samples and delimiter as read that way, and
 * the mapping (kept when the columns are the same). Returns null when the import is no longer a draft.
 */
export async function setDraftEncoding(
  db: Db,
  accountId: number,
  importId: number,
  input: Pick<ImportRow, "encodingChoice" | "encoding" | "delimiter" | "header" | "samples" | "mapping" | "profiles">,
): Promise<ImportRow | null> {
  const [row] = await db
    .update(importsTable)
    .set({ ...input, updatedAt: sql`now()` })
    .where(and(eq(importsTable.accountId, accountId), eq(importsTable.id, importId), sql`${importsTable.jobId} is null`))
    .returning();
  return row ?? null;
}

/** Sets the options of a draft without a preview (the API starts at once). */
export async function saveOptions(db: Db, accountId: number, importId: number, options: ImportOptions): Promise<void> {
  await db
    .update(importsTable)
    .set({ ...options, updatedAt: sql`now()` })
    .where(and(eq(importsTable.accountId, accountId), eq(importsTable.id, importId)));
}

/**
 * Starts a draft: creates the new segment it names (if any) and queues the import job, in one transaction, so
 * a failure leaves neither. A draft already started raises ImportAlreadyStartedError (a double click).
 */
export async function startImport(db: Db, actor: Actor, importId: number): Promise<Job> {
  return db.transaction(async (t) => {
    const [draft] = await t
      .select()
      .from(importsTable)
      .where(and(eq(importsTable.accountId, actor.accountId), eq(importsTable.id, importId)))
      .for("update");
    if (!draft) throw new Error(`import ${importId} not found`);
    if (draft.jobId !== null) throw new ImportAlreadyStartedError();
    let segmentId = draft.segmentId;
    let segmentName = draft.segmentName;
    if (draft.newSegmentName) {
      const segment = await createSegment(t, actor.accountId, {
        name: draft.newSegmentName,
        description: `Created by import #${importId} (${draft.fileName}).`,
      });
      segmentId = segment.id;
      segmentName = segment.name;
    }
    const job = await enqueueJob(t, {
      accountId: actor.accountId,
      kind: IMPORT_JOB,
      params: { importId },
      actor,
      progressTotal: draft.sizeBytes,
    });
    await t
      .update(importsTable)
      .set({ jobId: job.id, segmentId, segmentName, newSegmentName: null, updatedAt: sql`now()` })
      .where(and(eq(importsTable.accountId, actor.accountId), eq(importsTable.id, importId)));
    return job;
  });
}
