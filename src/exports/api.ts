// The exports HTTP API (/api/v1/exports): request an export, follow it, list them, download the file.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { apiError, parseId, requireApiRole, validationFailed, zodDetails, type AppEnv } from "../web";
import { UnknownFieldsError } from "./fields";
import { EXPORT_FORMATS } from "./formats";
import { DATE_FORMS, DECIMAL_MARKS } from "../custom-fields/typed-values";
import { cancelExport, getExport, getExportByToken, listExports, requestExport, retryExport, SegmentNotFoundError, type ExportView } from "./queries";
import { streamExportFile } from "./download";

const requestSchema = z.object({
  segment_id: z.number().int().positive().nullable().default(null),
  fields: z.array(z.string().min(1)).min(1, "List at least one property."),
  format: z.enum(EXPORT_FORMATS),
  date_form: z.enum(DATE_FORMS, { message: "date_form must be ymd, dmy or mdy." }).default("ymd"),
  decimal_mark: z.enum(DECIMAL_MARKS, { message: 'decimal_mark must be "." or ",".' }).default("."),
});

/** The JSON of one export. download_url names the random token, never the sequential id. */
export function exportJson(exp: ExportView) {
  return {
    id: exp.id,
    status: exp.status,
    segment_id: exp.segmentId,
    segment_name: exp.segmentName,
    fields: exp.fields,
    format: exp.format,
    date_form: exp.dateForm,
    decimal_mark: exp.decimalMark,
    rows_done: exp.rowsDone,
    rows_total: exp.rowsTotal,
    size_bytes: exp.sizeBytes,
    file_name: exp.fileName,
    download_url: exp.status === "completed" ? `/api/v1/exports/${exp.token}/download` : null,
    expires_at: exp.expiresAt?.toISOString() ?? null,
    error: exp.error,
    requested_by: exp.createdByLabel,
    created_at: exp.createdAt.toISOString(),
    completed_at: exp.completedAt?.toISOString() ?? null,
  };
}

/** An export by its id, or by its download token (what download_url carries). */
async function findExport(c: Context<AppEnv>, ref: string): Promise<ExportView | null> {
  const accountId = c.get("actor").accountId;
  const id = parseId(ref);
  if (id) return getExport(c.get("db"), accountId, id);
  return /^[a-z0-9]{32}$/.test(ref) ? getExportByToken(c.get("db"), accountId, ref) : null;
}

export const exportApi = new Hono<AppEnv>()
  .use(requireApiRole("editor"))
  .post("/", async (c) => {
    const body = await c.req.json().catch(() => null);
    const parsed = requestSchema.safeParse(body);
    if (!parsed.success) {
      const details = zodDetails(parsed.error);
      // `issues` repeats `details` under its former name for one release.
      return validationFailed(
        c,
        details,
        { issues: details, former_code: "invalid" },
        'Send {segment_id: number | null, fields: [...], format: "csv" | "csv_excel" | "tsv" | "jsonl" | "xlsx"}.',
      );
    }
    try {
      const exp = await requestExport(c.get("db"), c.get("actor"), {
        segmentId: parsed.data.segment_id,
        fields: parsed.data.fields,
        format: parsed.data.format,
        dateForm: parsed.data.date_form,
        decimalMark: parsed.data.decimal_mark,
      });
      return c.json({ id: exp.id, status: exp.status }, 202, { Location: `/api/v1/exports/${exp.id}` });
    } catch (e) {
      if (e instanceof SegmentNotFoundError) return apiError(c, 404, "not_found", e.message, { field: "segment_id", former_code: "segment_not_found" });
      if (e instanceof UnknownFieldsError)
        return validationFailed(c, [{ path: "fields", message: e.message }], { fields: e.fields, former_code: "unknown_fields" });
      throw e;
    }
  })
  .get("/", async (c) => {
    const cursor = c.req.query("cursor");
    if (cursor !== undefined && cursor !== "" && parseId(cursor) === null) {
      return apiError(c, 400, "invalid_parameter", "cursor must be a next_cursor value from a previous page.", { field: "cursor" });
    }
    // `before` and `next_before` are the former names of `cursor` and `next_cursor`, answered for one release.
    const before = parseId(cursor || c.req.query("before"));
    const { exports, more } = await listExports(c.get("db"), c.get("actor").accountId, { before });
    const last = more ? exports[exports.length - 1]!.id : null;
    return c.json({ data: exports.map(exportJson), next_cursor: last === null ? null : String(last), next_before: last });
  })
  .get("/:ref", async (c) => {
    const exp = await findExport(c, c.req.param("ref"));
    if (!exp) return apiError(c, 404, "not_found", "No such export.");
    return c.json(exportJson(exp));
  })
  .post("/:id/:action{cancel|retry}", async (c) => {
    const id = parseId(c.req.param("id"));
    const accountId = c.get("actor").accountId;
    const existing = id ? await getExport(c.get("db"), accountId, id) : null;
    if (!existing) return apiError(c, 404, "not_found", "No such export.");
    const cancel = c.req.param("action") === "cancel";
    const exp = await (cancel ? cancelExport(c.get("db"), accountId, existing.id) : retryExport(c.get("db"), accountId, existing.id));
    if (!exp)
      return apiError(c, 409, "conflict", cancel ? "Only a queued or running export can be cancelled." : "Only a failed or cancelled export can be retried.");
    return c.json(exportJson(exp));
  })
  .get("/:ref/download", async (c) => {
    const exp = await findExport(c, c.req.param("ref"));
    if (!exp) return apiError(c, 404, "not_found", "No such export.");
    const response = await streamExportFile(c.get("deps").database, c.get("actor").accountId, exp);
    if (!response) {
      const message = exp.status === "expired" ? "This export's file has expired." : `This export is ${exp.status}: there is no file to download.`;
      return apiError(c, 409, "conflict", message, { former_code: "not_ready" });
    }
    return response;
  });
