// Creating an import from an uploaded file, for the import pages and the API alike: store, inspect, map, draft.
import type { Db } from "../db/client";
import type { Job } from "../jobs/queue";
import { deleteFile } from "../files/store";
import type { Actor } from "../web";
import type { CustomFieldRef } from "./headers";
import type { MappingResult } from "./mapping";
import { createImport, listCustomFieldRefs, saveOptions, startImport, type ImportOptions, type ImportRow } from "./queries";
import { inspectStoredFile, receiveUpload, UploadError, type ReceivedUpload, type UploadRequest } from "./upload";

export type DraftFromUpload =
  | { ok: true; draft: ImportRow; upload: ReceivedUpload }
  /** `upload`: the body could not be stored; `file`: it is not a CSV we can read; `mapping`: the mapping given is wrong. */
  | { ok: false; problem: "upload" | "file" | "mapping"; message: string; tooLarge: boolean; upload: ReceivedUpload | null };

/**
 * Stores the request's file and keeps it as a draft import with the mapping `mapColumns` chooses. A file that
 * cannot become a draft is deleted again; the answer says which step refused it and why.
 */
export async function createDraftFromUpload(
  db: Db,
  actor: Actor,
  request: UploadRequest,
  options: {
    expiresAt: Date;
    defaultName?: string;
    /** Imports made through the API record "api" whatever the body's form. */
    source?: "api";
    mapColumns: (header: readonly string[], customFields: CustomFieldRef[], upload: ReceivedUpload) => MappingResult;
  },
): Promise<DraftFromUpload> {
  let upload: ReceivedUpload;
  try {
    upload = await receiveUpload(db, actor.accountId, request, { expiresAt: options.expiresAt, defaultName: options.defaultName });
  } catch (e) {
    if (e instanceof UploadError) return { ok: false, problem: "upload", message: e.message, tooLarge: e.tooLarge, upload: null };
    throw e;
  }
  const { file } = upload;
  let head;
  try {
    head = await inspectStoredFile(db, actor.accountId, file.id);
  } catch (e) {
    await deleteFile(db, actor.accountId, file.id);
    if (e instanceof UploadError) return { ok: false, problem: "file", message: e.message, tooLarge: false, upload };
    throw e;
  }
  const mapping = options.mapColumns(head.header, await listCustomFieldRefs(db, actor.accountId), upload);
  if (!mapping.ok) {
    await deleteFile(db, actor.accountId, file.id);
    return { ok: false, problem: "mapping", message: mapping.message, tooLarge: false, upload };
  }
  const draft = await createImport(db, actor, {
    source: options.source ?? upload.source,
    fileId: file.id,
    fileName: file.name,
    sizeBytes: file.sizeBytes,
    ...head,
    mapping: mapping.mapping,
  });
  return { ok: true, draft, upload };
}

/** Saves a draft's options and starts it at once, without a preview (imports made through the API). */
export async function startImportNow(db: Db, actor: Actor, draftId: number, options: ImportOptions): Promise<Job> {
  await saveOptions(db, actor.accountId, draftId, options);
  return startImport(db, actor, draftId);
}
