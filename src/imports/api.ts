// The imports HTTP API: POST a CSV (raw body or multipart `file`) to import it at once; read an import's status, counts and error report.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Context } from "hono";
import { Hono } from "hono";
import type { Db } from "../db/client";
import { deleteFile, getFile, readFileStream } from "../files/store";
import { apiError, parseId, requireApiRole, type AppEnv } from "../web";
import { mappingFromJson } from "./mapping";
import { isDateForm, isDecimalMark } from "../custom-fields/typed-values";
import { createImport, getImportView, isImportMode, getSegmentChoice, importStatus, jobCounts, listCustomFieldRefs, saveOptions, startImport, type ImportView } from "./queries";
import { inspectStoredFile, receiveUpload, UploadError, type UploadRequest } from "./upload";

/** The API's view of an import: status and every count (zero until known). */
export function importJson(view: ImportView) {
  const counts = jobCounts(view.job);
  const n = (v: number | undefined) => v ?? 0;
  return {
    id: view.import.id,
    status: importStatus(view.job),
    file_name: view.import.fileName,
    size_bytes: view.import.sizeBytes,
    overwrite: view.import.overwrite,
    mode: view.import.mode,
    // The forms chosen for typed custom fields; null: detected from the file.
    date_form: view.import.dateForm,
    decimal_mark: view.import.decimalMark,
    segment_id: view.import.segmentId,
    change_set_id: view.import.changeSetId,
    created_at: view.import.createdAt.toISOString(),
    rows: n(counts.rows),
    created: n(counts.created),
    updated: n(counts.updated),
    unchanged: n(counts.unchanged),
    invalid: n(counts.invalid),
    duplicates: n(counts.duplicates),
    added_to_segment: n(counts.added_to_segment),
    already_in_segment: n(counts.already_in_segment),
    joined: n(counts.joined),
    left: n(counts.left),
    not_found: n(counts.not_found),
    already_members: n(counts.already_members),
    not_members: n(counts.not_members),
    members_before: n(counts.members_before),
    members_after: n(counts.members_after),
    bytes_done: view.job?.progressDone ?? 0,
    error: view.job?.status === "failed" || view.job?.status === "cancelled" ? view.job.error : null,
  };
}

/** The request body as a Node stream: the server's IncomingMessage when there is one (see UploadRequest). */
export function uploadRequest(c: Context<AppEnv>): UploadRequest {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return {
    header: (name) => c.req.header(name),
    body: () => incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import("node:stream/web").ReadableStream) : null),
  };
}

export function uploadExpiry(c: Context<AppEnv>): Date {
  return new Date(Date.now() + c.get("deps").config.IMPORT_TTL_DAYS * 86_400_000);
}

/** The error report of a completed import, streamed from the file store; null when there is none (yet). */
export async function errorReportResponse(c: Context<AppEnv>, db: Db, view: ImportView): Promise<Response | null> {
  const fileId = jobCounts(view.job).error_file_id;
  if (view.job?.status !== "completed" || !fileId) return null;
  const file = await getFile(db, view.import.accountId, fileId);
  if (!file || !file.complete) return null;
  const stream = Readable.toWeb(readFileStream(db, view.import.accountId, fileId)) as ReadableStream;
  return c.body(stream, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="import-${view.import.id}-errors.csv"`,
    "Content-Length": String(file.sizeBytes),
    // The rows are whatever the uploader sent: never rendered as anything but a download, never kept by a cache.
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
  });
}

export const importApi = new Hono<AppEnv>()
  .use(requireApiRole("editor"))
  .post("/", async (c) => {
    const db = c.get("db");
    const actor = c.get("actor");
    const overwriteParam = c.req.query("overwrite") ?? "false";
    if (overwriteParam !== "true" && overwriteParam !== "false") return apiError(c, 422, "invalid_overwrite", "overwrite must be true or false.");
    const mode = c.req.query("mode") || "add";
    if (!isImportMode(mode)) return apiError(c, 422, "invalid_mode", "mode must be add, remove or replace.", { field: "mode" });
    const dateForm = c.req.query("date_form") || null;
    if (dateForm !== null && !isDateForm(dateForm)) return apiError(c, 400, "invalid_parameter", "date_form must be dmy, mdy or ymd (or left out: detected from the file).", { field: "date_form" });
    const decimalMark = c.req.query("decimal_mark") || null;
    if (decimalMark !== null && !isDecimalMark(decimalMark)) return apiError(c, 400, "invalid_parameter", 'decimal_mark must be "," or "." (or left out: detected per column).', { field: "decimal_mark" });
    const segmentParam = c.req.query("segment_id");
    let segment: { id: number; name: string } | null = null;
    if (segmentParam !== undefined && segmentParam !== "") {
      const segmentId = parseId(segmentParam);
      segment = segmentId ? await getSegmentChoice(db, actor.accountId, segmentId) : null;
      if (!segment) return apiError(c, 422, "unknown_segment", `No static segment with id ${segmentParam} in this account.`);
    }
    if (!segment && mode !== "add") return apiError(c, 422, "segment_required", `mode=${mode} needs the segment it applies to: add segment_id.`, { field: "segment_id" });
    let upload;
    try {
      upload = await receiveUpload(db, actor.accountId, uploadRequest(c), { expiresAt: uploadExpiry(c), defaultName: c.req.query("file_name") || "upload.csv" });
    } catch (e) {
      if (e instanceof UploadError) return apiError(c, e.tooLarge ? 413 : 400, e.tooLarge ? "payload_too_large" : "bad_upload", e.message);
      throw e;
    }
    const { file } = upload;
    const reject = async (code: string, message: string) => {
      await deleteFile(db, actor.accountId, file.id);
      return apiError(c, 422, code, message);
    };
    let head;
    try {
      head = await inspectStoredFile(db, actor.accountId, file.id);
    } catch (e) {
      if (e instanceof UploadError) return reject("bad_csv", e.message);
      throw e;
    }
    const mapping = mappingFromJson(head.header, c.req.query("mapping") ?? upload.fields.mapping, await listCustomFieldRefs(db, actor.accountId));
    if (!mapping.ok) return reject("invalid_mapping", mapping.message);
    const draft = await createImport(db, actor, {
      source: "api",
      fileId: file.id,
      fileName: file.name,
      sizeBytes: file.sizeBytes,
      ...head,
      mapping: mapping.mapping,
    });
    await saveOptions(db, actor.accountId, draft.id, { mapping: mapping.mapping, overwrite: overwriteParam === "true", mode, segmentId: segment?.id ?? null, segmentName: segment?.name ?? null, newSegmentName: null, dateForm, decimalMark });
    const job = await startImport(db, actor, draft.id);
    return c.json({ id: draft.id, status: importStatus(job) }, 202);
  })
  .get("/:id", async (c) => {
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(c.get("db"), c.get("actor").accountId, id) : null;
    if (!view) return apiError(c, 404, "not_found", "No such import.");
    return c.json(importJson(view));
  })
  .get("/:id/errors", async (c) => {
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, c.get("actor").accountId, id) : null;
    if (!view) return apiError(c, 404, "not_found", "No such import.");
    const response = await errorReportResponse(c, db, view);
    return response ?? apiError(c, 409, "not_ready", `Import ${view.import.id} is ${importStatus(view.job)}: its error report exists once it has completed.`);
  });
