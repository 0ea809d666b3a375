// The imports HTTP API: POST a CSV (raw body or multipart `file`) to import it at once; read an import's status, counts and error report.
import { Hono } from "hono";
import { apiError, parseId, requireApiRole, validationFailed, type AppEnv } from "../web";
import { uploadExpiry, uploadRequest } from "../web/upload";
import { createDraftFromUpload, startImportNow } from "./create";
import { errorReportResponse } from "./error-report";
import { mappingFromJson } from "./mapping";
import { getSegmentChoice } from "../segments/choices";
import { getImportView, isImportMode, type ImportView } from "./queries";
import { importStatus, jobCounts } from "./status";
import { isDateForm, isDecimalMark } from "../custom-fields/typed-values";
import { getSegment } from "../segments/queries";
import { dynamicMembershipRefusal } from "../segments/dynamic";

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

export const importApi = new Hono<AppEnv>()
  .use(requireApiRole("editor"))
  .post("/", async (c) => {
    const db = c.get("db");
    const actor = c.get("actor");
    const overwriteParam = c.req.query("overwrite") ?? "false";
    if (overwriteParam !== "true" && overwriteParam !== "false")
      return apiError(c, 400, "invalid_parameter", "overwrite must be true or false.", { field: "overwrite", former_code: "invalid_overwrite" });
    const mode = c.req.query("mode") || "add";
    if (!isImportMode(mode))
      return apiError(c, 400, "invalid_parameter", "mode must be add, remove or replace.", { field: "mode", former_code: "invalid_mode" });
    const dateForm = c.req.query("date_form") || null;
    if (dateForm !== null && !isDateForm(dateForm))
      return apiError(c, 400, "invalid_parameter", "date_form must be dmy, mdy or ymd (or left out: detected from the file).", { field: "date_form" });
    const decimalMark = c.req.query("decimal_mark") || null;
    if (decimalMark !== null && !isDecimalMark(decimalMark))
      return apiError(c, 400, "invalid_parameter", 'decimal_mark must be "," or "." (or left out: detected per column).', { field: "decimal_mark" });
    const segmentParam = c.req.query("segment_id");
    let segment: { id: number; name: string } | null = null;
    if (segmentParam !== undefined && segmentParam !== "") {
      const segmentId = parseId(segmentParam);
      segment = segmentId ? await getSegmentChoice(db, actor.accountId, segmentId, { staticOnly: true }) : null;
      if (!segment) {
        const other = segmentId ? await getSegment(db, actor.accountId, segmentId) : null;
        if (other?.type === "dynamic") return apiError(c, 409, "conflict", dynamicMembershipRefusal(other), { field: "segment_id" });
        return apiError(c, 404, "not_found", `No static segment with id ${segmentParam} in this account.`, {
          field: "segment_id",
          former_code: "unknown_segment",
        });
      }
    }
    if (!segment && mode !== "add")
      return apiError(c, 400, "invalid_parameter", `mode=${mode} needs the segment it applies to: add segment_id.`, {
        field: "segment_id",
        former_code: "segment_required",
      });
    const created = await createDraftFromUpload(db, actor, uploadRequest(c), {
      expiresAt: uploadExpiry(c),
      defaultName: c.req.query("file_name") || "upload.csv",
      source: "api",
      mapColumns: (header, customFields, upload) => mappingFromJson(header, c.req.query("mapping") ?? upload.fields.mapping, customFields),
    });
    if (!created.ok) {
      if (created.tooLarge) return apiError(c, 413, "payload_too_large", created.message);
      const former = { upload: "bad_upload", file: "bad_csv", mapping: "invalid_mapping" }[created.problem];
      return validationFailed(c, [{ path: created.problem === "mapping" ? "mapping" : "file", message: created.message }], { former_code: former });
    }
    const { draft } = created;
    const job = await startImportNow(db, actor, draft.id, {
      mapping: draft.mapping,
      overwrite: overwriteParam === "true",
      mode,
      segmentId: segment?.id ?? null,
      segmentName: segment?.name ?? null,
      newSegmentName: null,
      dateForm,
      decimalMark,
    });
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
    const response = await errorReportResponse(db, view);
    return (
      response ??
      apiError(c, 409, "conflict", `Import ${view.import.id} is ${importStatus(view.job)}: its error report exists once it has completed.`, {
        former_code: "not_ready",
      })
    );
  });
