// Import pages: choose a file or paste, map columns and options, preview (a dry-run job), start, follow progress, list, error report.
import { Hono, type Context } from "hono";
import { NotFoundPage } from "../../views/error";
import { ImportsPage } from "../../views/imports/list";
import { NewImportPage, PastePreview, type PastePreviewProps } from "../../views/imports/new";
import { ImportPage, ImportPanel, type MappingErrors, type MappingValues } from "../../views/imports/show";
import { cancelJob, retryJob } from "../jobs/queue";
import { redirectWithNotice, takeFlash } from "../flash";
import type { ImportMode } from "../db/schema";
import { ChangeSetNotUndoableError, undoChangeSet } from "../segments/change-sets";
import { findSegmentByName, getSegmentChoice, listSegmentChoices } from "../segments/choices";
import { SegmentNameTakenError } from "../segments/queries";
import { pageOrFragment, parseId, requireRole, type AppEnv } from "../web";
import { uploadExpiry, uploadRequest } from "../web/upload";
import { createDraftFromUpload } from "./create";
import { errorReportResponse } from "./error-report";
import { ENCODING_NAMES, isTextEncoding, type TextEncoding } from "./decode";
import { mapHeaders, type ColumnTarget } from "./headers";
import { checkMapping, parseTarget, targetLabel } from "./mapping";
import { previewCsv } from "./parse";
import {
  getImportView,
  IMPORT_JOB,
  isImportMode,
  ImportAlreadyStartedError,
  listCustomFieldRefs,
  listImports,
  saveOptionsAndPreview,
  setDraftEncoding,
  startImport,
  type ImportOptions,
  type ImportView,
} from "./queries";
import { inspectStoredFile, UploadError } from "./upload";
import { markJobNoticesShown } from "../jobs/notices";
import { readForm } from "../web/form";

const PAGE_SIZE = 50;
/** The live preview reads only the start of the pasted text: enough for the columns and first rows. */
const PASTE_PREVIEW_CHARS = 64 * 1024;

function pastePreviewProps(text: string, customFields: { key: string; label: string }[]): PastePreviewProps {
  if (text.trim() === "") return { preview: null, targets: [], mapping: [] };
  const preview = previewCsv(text.slice(0, PASTE_PREVIEW_CHARS), { maxRows: 5 });
  const mapping = mapHeaders(preview.header?.fields ?? [], customFields);
  return { preview, mapping, targets: mapping.map((t) => targetLabel(t, customFields)) };
}

function valuesOf(view: ImportView): MappingValues {
  const imp = view.import;
  return {
    mapping: imp.mapping,
    overwrite: imp.overwrite,
    mode: imp.mode,
    segmentMode: imp.newSegmentName ? "new" : imp.segmentId ? "existing" : "none",
    segmentId: imp.segmentId,
    newSegmentName: imp.newSegmentName ?? "",
  };
}

async function renderImport(c: Context<AppEnv>, view: ImportView, options: { editing?: boolean; values?: MappingValues; errors?: MappingErrors; status?: 200 | 422 } = {}) {
  const db = c.get("db");
  const user = c.get("user")!;
  const customFields = await listCustomFieldRefs(db, user.accountId);
  // A draft shows its form until a preview exists; after that, only when asked to change it.
  const editing = options.editing ?? view.preview === null;
  const segments = editing ? await listSegmentChoices(db, user.accountId, { staticOnly: true }) : [];
  // Seen ending here: the layout's notice would only repeat it.
  if (view.job && view.job.status !== "queued" && view.job.status !== "running") await markJobNoticesShown(db, user.accountId, [view.job.id], user.id);
  return pageOrFragment(
    c,
    async () => <ImportPage user={user} view={view} segments={segments} customFields={customFields} editing={editing} values={options.values ?? valuesOf(view)} errors={options.errors} notice={await takeFlash(c)} />,
    () => <ImportPanel view={view} customFields={customFields} errors={options.errors} />,
    options.status ?? 200,
  );
}

export const importRoutes = new Hono<AppEnv>()
  .use(requireRole("editor"))
  .get("/", async (c) => {
    const user = c.get("user")!;
    const before = parseId(c.req.query("before"));
    const rows = await listImports(c.get("db"), user.accountId, { before, limit: PAGE_SIZE + 1 });
    const page = rows.slice(0, PAGE_SIZE);
    return c.html(<ImportsPage user={user} imports={page} nextBefore={rows.length > PAGE_SIZE ? page[page.length - 1]!.import.id : null} />);
  })
  .get("/new", async (c) => {
    return c.html(<NewImportPage user={c.get("user")!} pastePreview={pastePreviewProps("", [])} />);
  })
  .post("/paste-preview", async (c) => {
    const text = (await readForm(c)).csv ?? "";
    const customFields = await listCustomFieldRefs(c.get("db"), c.get("user")!.accountId);
    return c.html(<PastePreview {...pastePreviewProps(text, customFields)} />);
  })
  .post("/", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const actor = c.get("actor");
    const fail = async (message: string, status: 400 | 413 | 422, pasted?: string) =>
      c.html(<NewImportPage user={user} error={message} pasted={pasted} pastePreview={pastePreviewProps(pasted ?? "", [])} />, status);
    const created = await createDraftFromUpload(db, actor, uploadRequest(c), {
      expiresAt: uploadExpiry(c),
      mapColumns: (header, customFields) => ({ ok: true, mapping: mapHeaders(header, customFields) }),
    });
    if (!created.ok) {
      const pasted = created.upload?.source === "paste" ? created.upload.fields.csv : undefined;
      return fail(created.message, created.tooLarge ? 413 : 422, pasted);
    }
    const { draft } = created;
    return c.redirect(`/imports/${draft.id}`, 303);
  })
  .get("/:id", async (c) => {
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(c.get("db"), c.get("user")!.accountId, id) : null;
    if (!view) return c.html(<NotFoundPage user={c.get("user")} />, 404);
    return renderImport(c, view, { editing: c.req.query("edit") === "1" ? true : undefined });
  })
  .post("/:id/preview", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    if (view.import.jobId !== null) return c.redirect(`/imports/${view.import.id}`, 303);
    const form = await readForm(c);
    const customFields = await listCustomFieldRefs(db, user.accountId);
    const errors: MappingErrors = {};
    const mapping: ColumnTarget[] = view.import.header.map((_, i) => parseTarget(form[`map_${i}`] ?? "skip", customFields) ?? "skip");
    const mappingProblem = checkMapping(mapping, customFields);
    if (mappingProblem) errors.mapping = mappingProblem;
    const mode = form.segment_mode === "existing" || form.segment_mode === "new" ? form.segment_mode : "none";
    const newName = (form.new_segment_name ?? "").trim();
    const importMode = isImportMode(form.import_mode ?? "") ? (form.import_mode as ImportMode) : "add";
    const options: ImportOptions = { mapping, overwrite: form.overwrite === "on", mode: importMode, segmentId: null, segmentName: null, newSegmentName: null };
    if (mode === "existing") {
      const segmentId = parseId(form.segment_id);
      const segment = segmentId ? await getSegmentChoice(db, user.accountId, segmentId, { staticOnly: true }) : null;
      if (!segment) errors.segment = "Choose a segment from the list.";
      else Object.assign(options, { segmentId: segment.id, segmentName: segment.name });
    } else if (mode === "new") {
      if (!newName) errors.segment = "Enter a name for the new segment.";
      else if (newName.length > 200) errors.segment = "Use at most 200 characters.";
      else if (await findSegmentByName(db, user.accountId, newName)) errors.segment = `A segment named "${newName}" already exists: choose it as an existing segment, or pick another name.`;
      else options.newSegmentName = newName;
    }
    if (importMode !== "add" && mode !== "existing" && !errors.segment) {
      errors.segment = `${importMode === "remove" ? "Remove from segment" : "Replace the segment's members"} acts on an existing segment: choose one from the list.`;
    }
    if (errors.mapping || errors.segment) {
      const values: MappingValues = { mapping, overwrite: options.overwrite, mode: importMode, segmentMode: mode, segmentId: parseId(form.segment_id), newSegmentName: newName };
      return renderImport(c, view, { editing: true, values, errors, status: 422 });
    }
    await saveOptionsAndPreview(db, c.get("actor"), view.import.id, options);
    return c.redirect(`/imports/${view.import.id}`, 303);
  })
  .post("/:id/encoding", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    const imp = view.import;
    if (imp.jobId !== null) return c.redirect(`/imports/${imp.id}`, 303);
    const form = await readForm(c);
    const editing = form.edit === "1" || view.preview === null;
    const value = form.encoding ?? "";
    const choice = value === "auto" ? null : isTextEncoding(value) ? value : undefined;
    if (choice === undefined) return renderImport(c, view, { editing, errors: { encoding: "Choose an encoding from the list." }, status: 422 });
    let head;
    try {
      head = await inspectStoredFile(db, user.accountId, imp.fileId, { encoding: choice ?? undefined });
    } catch (e) {
      if (!(e instanceof UploadError)) throw e;
      const name = choice ? ENCODING_NAMES[choice] : "detected automatically";
      return renderImport(c, view, { editing, errors: { encoding: `Read as ${name}: ${e.message}` }, status: 422 });
    }
    const sameColumns = head.header.length === imp.header.length && head.header.every((h, i) => h === imp.header[i]);
    const mapping = sameColumns ? imp.mapping : mapHeaders(head.header, await listCustomFieldRefs(db, user.accountId));
    const draft = await setDraftEncoding(db, user.accountId, imp.id, { encodingChoice: choice, ...head, mapping });
    if (!draft) return c.redirect(`/imports/${imp.id}`, 303);
    // A previewed draft whose columns read the same is previewed again; otherwise the mapping is checked first.
    if (!editing && sameColumns) {
      await saveOptionsAndPreview(db, c.get("actor"), imp.id, {
        mapping: draft.mapping,
        overwrite: draft.overwrite,
        mode: draft.mode,
        segmentId: draft.segmentId,
        segmentName: draft.segmentName,
        newSegmentName: draft.newSegmentName,
      });
      return c.redirect(`/imports/${imp.id}`, 303);
    }
    const read = `The file is now read as ${ENCODING_NAMES[draft.encoding as TextEncoding] ?? draft.encoding}${choice ? "" : " (detected automatically)"}.`;
    return redirectWithNotice(c, view.preview ? `/imports/${imp.id}?edit=1` : `/imports/${imp.id}`, sameColumns ? read : { text: `${read} Its columns read differently: check the mapping.`, tone: "warning" });
  })
  .post("/:id/start", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    try {
      await startImport(db, c.get("actor"), view.import.id);
    } catch (e) {
      if (e instanceof SegmentNameTakenError) {
        const start = `A segment named "${e.segmentName}" already exists: choose it in the list of existing segments, or pick another name.`;
        return renderImport(c, view, { editing: false, errors: { start }, status: 422 });
      }
      if (!(e instanceof ImportAlreadyStartedError)) throw e;
    }
    return c.redirect(`/imports/${view.import.id}`, 303);
  })
  .post("/:id/undo", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    if (view.import.changeSetId === null) {
      return renderImport(c, view, { editing: false, errors: { undo: "This import changed no segment: there is nothing to undo." }, status: 422 });
    }
    try {
      await undoChangeSet(db, user.accountId, view.import.changeSetId, c.get("actor"));
    } catch (e) {
      if (e instanceof ChangeSetNotUndoableError) return renderImport(c, view, { editing: false, errors: { undo: e.message }, status: 422 });
      throw e;
    }
    return c.redirect(`/imports/${view.import.id}`, 303);
  })
  .post("/:id/:action{retry|cancel}", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    if (!view || view.import.jobId === null) return c.html(<NotFoundPage user={user} />, 404);
    // A cancelled import changes nothing: everything it writes is in the transaction that completes its job, which
    // then finds the job cancelled and rolls back; a running one stops at its next check of the job.
    if (c.req.param("action") === "cancel") await cancelJob(db, user.accountId, view.import.jobId, IMPORT_JOB);
    else await retryJob(db, user.accountId, view.import.jobId, IMPORT_JOB);
    return c.redirect(`/imports/${view.import.id}`, 303);
  })
  .get("/:id/errors", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const view = id ? await getImportView(db, user.accountId, id) : null;
    const response = view ? await errorReportResponse(db, view) : null;
    return response ?? c.html(<NotFoundPage user={user} />, 404);
  });
