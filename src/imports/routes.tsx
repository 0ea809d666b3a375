// Import pages: choose a file or paste, map columns and options, preview (a dry-run job), start, follow progress, list, error report.
import { Hono, type Context } from "hono";
import { NotFoundPage } from "../../views/error";
import { ImportsPage } from "../../views/imports/list";
import { NewImportPage, PastePreview, type PastePreviewProps } from "../../views/imports/new";
import { ImportPage, ImportPanel, MappingForm, SampleUpdates, type MappingErrors, type MappingValues, type NewFieldState } from "../../views/imports/show";
import { getDefaultCountry } from "../auth/accounts";
import { Toast } from "../../views/components/toast";
import type { Notice } from "../web/flash";
import { checkNewField, createCustomField, CustomFieldKeyTakenError } from "../custom-fields/queries";
import { isDateForm, isDecimalMark } from "../custom-fields/typed-values";
import type { CustomFieldType } from "../db/schema";
import { resolveValueForms } from "./typed-columns";
import { cancelJob, retryJob } from "../jobs/queue";
import { redirectWithNotice, takeFlash } from "../web/flash";
import type { ImportMode } from "../db/schema";
import { ChangeSetNotUndoableError, undoChangeSet } from "../segments/change-sets";
import { findSegmentByName, getSegmentChoice, listSegmentChoices } from "../segments/choices";
import { SegmentNameTakenError } from "../segments/queries";
import { hasRole, pageOrFragment, parseId, requireRole, type AppEnv } from "../web";
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
  type ImportRow,
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
    dateForm: isDateForm(imp.dateForm) ? imp.dateForm : null,
    decimalMark: isDecimalMark(imp.decimalMark) ? imp.decimalMark : null,
  };
}

/** A submitted form choice: "auto" (or nothing) is null, a known value itself, anything else undefined. */
function formChoice<T>(value: string | undefined, is: (v: unknown) => v is T): T | null | undefined {
  if (value === undefined || value === "" || value === "auto") return null;
  return is(value) ? value : undefined;
}

type RenderOptions = { editing?: boolean; values?: MappingValues; errors?: MappingErrors; newField?: NewFieldState };

/** What the import's page and its parts are drawn from: the draft, the account's fields and segments, the forms in use. */
async function importPageProps(c: Context<AppEnv>, view: ImportView, options: RenderOptions) {
  const db = c.get("db");
  const user = c.get("user")!;
  const customFields = await listCustomFieldRefs(db, user.accountId);
  // A draft shows its form until a preview exists; after that, only when asked to change it.
  const editing = options.editing ?? view.preview === null;
  const segments = editing ? await listSegmentChoices(db, user.accountId, { staticOnly: true }) : [];
  const values = options.values ?? valuesOf(view);
  const forms = resolveValueForms({ ...view.import, dateForm: values.dateForm, decimalMark: values.decimalMark }, await getDefaultCountry(db, user.accountId));
  return {
    user,
    view,
    segments,
    customFields,
    editing,
    values,
    forms,
    canCreateFields: hasRole(user.role, "admin"),
    newField: options.newField,
    errors: options.errors,
  };
}

async function renderImport(c: Context<AppEnv>, view: ImportView, options: RenderOptions & { status?: 200 | 422 } = {}) {
  const db = c.get("db");
  const user = c.get("user")!;
  const props = await importPageProps(c, view, options);
  // Seen ending here: the layout's notice would only repeat it.
  if (view.job && view.job.status !== "queued" && view.job.status !== "running") await markJobNoticesShown(db, user.accountId, [view.job.id], user.id);
  return pageOrFragment(
    c,
    async () => <ImportPage {...props} notice={await takeFlash(c)} />,
    () => <ImportPanel view={view} customFields={props.customFields} forms={props.forms} errors={options.errors} />,
    options.status ?? 200,
  );
}

/**
 * The answer to "Create field…": the mapping form alone for htmx (with a toast when a field was created), the whole
 * page without JavaScript. Either way it carries every choice the person had made.
 */
async function renderMappingForm(c: Context<AppEnv>, view: ImportView, options: RenderOptions & { created?: Notice; status?: 200 | 403 | 422 }) {
  const props = await importPageProps(c, view, { ...options, editing: true });
  c.header("Vary", "HX-Request");
  if (!c.req.header("HX-Request")) return c.html(<ImportPage {...props} notice={options.created} />, options.status ?? 200);
  return c.html(
    <>
      <MappingForm {...props} />
      {options.created && (
        <hx-partial hx-target="#toasts" hx-swap="beforeend">
          <Toast notice={options.created} />
        </hx-partial>
      )}
    </>,
    options.status ?? 200,
  );
}

/** The mapping step's form as submitted: mapping, forms and options, with what is wrong with them. */
async function readMappingForm(c: Context<AppEnv>, view: ImportView, form: Record<string, string>) {
  const db = c.get("db");
  const user = c.get("user")!;
  const customFields = await listCustomFieldRefs(db, user.accountId);
  const errors: MappingErrors = {};
  const mapping: ColumnTarget[] = view.import.header.map((_, i) => parseTarget(form[`map_${i}`] ?? "skip", customFields) ?? "skip");
  const mappingProblem = checkMapping(mapping, customFields);
  if (mappingProblem) errors.mapping = mappingProblem;
  const mode = form.segment_mode === "existing" || form.segment_mode === "new" ? form.segment_mode : "none";
  const newName = (form.new_segment_name ?? "").trim();
  const importMode = isImportMode(form.import_mode ?? "") ? (form.import_mode as ImportMode) : "add";
  const dateForm = formChoice(form.date_form, isDateForm);
  const decimalMark = formChoice(form.decimal_mark, isDecimalMark);
  if (dateForm === undefined || decimalMark === undefined) errors.forms = "Choose a date form and a decimal mark from the lists.";
  const values: MappingValues = {
    mapping,
    overwrite: form.overwrite === "on",
    mode: importMode,
    segmentMode: mode,
    segmentId: parseId(form.segment_id),
    newSegmentName: newName,
    dateForm: dateForm ?? null,
    decimalMark: decimalMark ?? null,
  };
  return { values, errors, customFields };
}

/** The options a draft already holds, to preview it again with one of them changed (date forms and decimal marks stay). */
function savedOptions(imp: ImportRow): ImportOptions {
  return {
    mapping: imp.mapping,
    overwrite: imp.overwrite,
    mode: imp.mode,
    segmentId: imp.segmentId,
    segmentName: imp.segmentName,
    newSegmentName: imp.newSegmentName,
  };
}

/** The import the path names, in the signed-in user's account; null for an id that is not one of theirs. */
async function importOfPath(c: Context<AppEnv>): Promise<ImportView | null> {
  const id = parseId(c.req.param("id"));
  return id ? getImportView(c.get("db"), c.get("user")!.accountId, id) : null;
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
    const view = await importOfPath(c);
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    if (view.import.jobId !== null) return c.redirect(`/imports/${view.import.id}`, 303);
    const form = await readForm(c);
    const { values, errors } = await readMappingForm(c, view, form);
    const { mapping, mode: importMode, segmentMode: mode, newSegmentName: newName } = values;
    const options: ImportOptions = {
      mapping,
      overwrite: values.overwrite,
      mode: importMode,
      segmentId: null,
      segmentName: null,
      newSegmentName: null,
      dateForm: values.dateForm,
      decimalMark: values.decimalMark,
    };
    if (mode === "existing") {
      const segmentId = parseId(form.segment_id);
      const segment = segmentId ? await getSegmentChoice(db, user.accountId, segmentId, { staticOnly: true }) : null;
      if (!segment) errors.segment = "Choose a segment from the list.";
      else Object.assign(options, { segmentId: segment.id, segmentName: segment.name });
    } else if (mode === "new") {
      if (!newName) errors.segment = "Enter a name for the new segment.";
      else if (newName.length > 200) errors.segment = "Use at most 200 characters.";
      else if (await findSegmentByName(db, user.accountId, newName))
        errors.segment = `A segment named "${newName}" already exists: choose it as an existing segment, or pick another name.`;
      else options.newSegmentName = newName;
    }
    if (importMode !== "add" && mode !== "existing" && !errors.segment) {
      errors.segment = `${importMode === "remove" ? "Remove from segment" : "Replace the segment's members"} acts on an existing segment: choose one from the list.`;
    }
    if (errors.mapping || errors.segment || errors.forms) return renderImport(c, view, { editing: true, values, errors, status: 422 });
    await saveOptionsAndPreview(db, c.get("actor"), view.import.id, options);
    return c.redirect(`/imports/${view.import.id}`, 303);
  })
  .post("/:id/fields", async (c) => {
    // "Create field…" on the mapping step: the whole mapping form comes with it, so every choice made is kept.
    const db = c.get("db");
    const user = c.get("user")!;
    const view = await importOfPath(c);
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    if (view.import.jobId !== null) return c.redirect(`/imports/${view.import.id}`, 303);
    const form = await readForm(c);
    const { values } = await readMappingForm(c, view, form);
    const column = Number(form.new_field_column);
    if (!Number.isInteger(column) || column < 0 || column >= view.import.header.length) {
      return renderMappingForm(c, view, { values, errors: { mapping: "Choose the column to create a field for." }, status: 422 });
    }
    const label = (form[`new_field_label_${column}`] ?? "").trim();
    const type = form[`new_field_type_${column}`] ?? "";
    const state: NewFieldState = { column, label, type, errors: {} };
    if (!hasRole(user.role, "admin")) {
      state.errors.role = "Only an admin can create custom fields. Ask one to add it (Admin › Custom fields), then choose it here.";
      return renderMappingForm(c, view, { values, newField: state, status: 403 });
    }
    state.errors = checkNewField(label, type);
    if (state.errors.label || state.errors.type) return renderMappingForm(c, view, { values, newField: state, status: 422 });
    let field;
    try {
      field = await createCustomField(db, user.accountId, { label, type: type as CustomFieldType });
    } catch (e) {
      if (!(e instanceof CustomFieldKeyTakenError)) throw e;
      state.errors.label = `${e.message} Choose it in the list, or use another label.`;
      return renderMappingForm(c, view, { values, newField: state, status: 422 });
    }
    const target = `custom:${field.key}` as ColumnTarget;
    values.mapping = values.mapping.map((t, i) => (i === column ? target : t));
    const created = {
      text: `The field ${field.label} was added (key ${field.key}) and chosen for the column “${view.import.header[column] || `column ${column + 1}`}”.`,
    };
    return renderMappingForm(c, view, { values, created });
  })
  .post("/:id/samples", async (c) => {
    // The mapping step's samples, read with the choices as they stand (htmx); nothing is saved.
    const db = c.get("db");
    const user = c.get("user")!;
    const view = await importOfPath(c);
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    const { values, customFields } = await readMappingForm(c, view, await readForm(c));
    const forms = resolveValueForms(
      { ...view.import, dateForm: values.dateForm, decimalMark: values.decimalMark },
      await getDefaultCountry(db, user.accountId),
    );
    return c.html(<SampleUpdates view={view} customFields={customFields} values={values} forms={forms} />);
  })
  .post("/:id/value-forms", async (c) => {
    // The preview's "Dates and numbers": saved, then the draft is previewed again with them.
    const db = c.get("db");
    const user = c.get("user")!;
    const view = await importOfPath(c);
    if (!view) return c.html(<NotFoundPage user={user} />, 404);
    const imp = view.import;
    if (imp.jobId !== null) return c.redirect(`/imports/${imp.id}`, 303);
    const form = await readForm(c);
    const dateForm = formChoice(form.date_form, isDateForm);
    const decimalMark = formChoice(form.decimal_mark, isDecimalMark);
    if (dateForm === undefined || decimalMark === undefined) {
      return renderImport(c, view, { editing: false, errors: { forms: "Choose a date form and a decimal mark from the lists." }, status: 422 });
    }
    await saveOptionsAndPreview(db, c.get("actor"), imp.id, { ...savedOptions(imp), dateForm, decimalMark });
    return c.redirect(`/imports/${imp.id}`, 303);
  })
  .post("/:id/encoding", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const view = await importOfPath(c);
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
      await saveOptionsAndPreview(db, c.get("actor"), imp.id, savedOptions(draft));
      return c.redirect(`/imports/${imp.id}`, 303);
    }
    const read = `The file is now read as ${ENCODING_NAMES[draft.encoding as TextEncoding] ?? draft.encoding}${choice ? "" : " (detected automatically)"}.`;
    return redirectWithNotice(
      c,
      view.preview ? `/imports/${imp.id}?edit=1` : `/imports/${imp.id}`,
      sameColumns ? read : { text: `${read} Its columns read differently: check the mapping.`, tone: "warning" },
    );
  })
  .post("/:id/start", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const view = await importOfPath(c);
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
    const view = await importOfPath(c);
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
    const view = await importOfPath(c);
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
    const view = await importOfPath(c);
    const response = view ? await errorReportResponse(db, view) : null;
    return response ?? c.html(<NotFoundPage user={user} />, 404);
  });
