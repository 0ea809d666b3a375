import type { SessionUser } from "../../src/auth/session";
import type { CustomFieldRef } from "../../src/imports/headers";
import { BUILTIN_TARGETS, targetLabel } from "../../src/imports/mapping";
import type { ImportView } from "../../src/imports/queries";
import { importStatus, jobCounts } from "../../src/imports/status";
import type { ColumnTarget } from "../../src/imports/headers";
import { ENCODING_NAMES, isTextEncoding } from "../../src/imports/decode";
import type { Notice } from "../../src/web/flash";
import { JobProgress } from "../components/job-progress";
import { Layout } from "../layout";
import { DELIMITER_NAMES, formatBytes, formatCount, formatWhen, OutcomeBar, OutcomeTable } from "./parts";
import type { ImportMode } from "../../src/db/schema";
import { MODE_LABELS, SegmentChange, UndoImport } from "./segment-change";
import { columnReaders, readSamples, suggestType, type TypedFieldRef, type ValueForms } from "../../src/imports/typed-columns";
import { DATE_FORM_LABELS, DATE_FORMS, DECIMAL_MARK_LABELS, DECIMAL_MARKS, type DateForm, type DecimalMark } from "../../src/custom-fields/typed-values";
import { CUSTOM_FIELD_TYPE_LABELS } from "../../src/custom-fields/labels";
import { CUSTOM_FIELD_TYPES } from "../../src/db/schema";

export interface MappingValues {
  mapping: ColumnTarget[];
  overwrite: boolean;
  mode: ImportMode;
  segmentMode: "none" | "existing" | "new";
  segmentId: number | null;
  newSegmentName: string;
  /** Chosen forms for typed custom fields; null: detected. */
  dateForm: DateForm | null;
  decimalMark: DecimalMark | null;
}

/** "Create field…" on a column of the mapping step: what was typed, and why it was refused. */
export interface NewFieldState {
  column: number;
  label: string;
  type: string;
  errors: { label?: string; type?: string; role?: string };
}

export interface MappingErrors {
  encoding?: string;
  mapping?: string;
  segment?: string;
  start?: string;
  undo?: string;
  forms?: string;
}

export interface ImportPageProps {
  user: SessionUser;
  view: ImportView;
  segments: { id: number; name: string }[];
  customFields: TypedFieldRef[];
  /** Show the mapping and options form (a draft not yet previewed, or "Change mapping"). */
  editing: boolean;
  values: MappingValues;
  /** The forms typed values are read in, for `values`. */
  forms: ValueForms;
  /** Admins may create custom fields from the mapping step; editors are told who can. */
  canCreateFields: boolean;
  newField?: NewFieldState;
  errors?: MappingErrors;
  notice?: Notice | null;
}

const STEP_NAMES = ["Choose a file", "Map columns", "Options", "Preview", "Import"];

function Steps({ current }: { current: number }) {
  return (
    <ol class="import-steps" aria-label="Import steps">
      {STEP_NAMES.map((name, i) => (
        <li aria-current={i === current ? "step" : undefined} class={i < current ? "done" : undefined}>
          {name}
        </li>
      ))}
    </ol>
  );
}

/** One page per import: the mapping form while it is a draft, then its preview, progress or outcome. */
export function ImportPage(props: ImportPageProps) {
  const { user, view, editing } = props;
  const imp = view.import;
  const status = importStatus(view.job);
  const step = status !== "draft" ? 4 : editing ? 1 : 3;
  return (
    <Layout title={`Import #${imp.id}`} user={user} section="imports" notice={props.notice}>
      <div class="page-head">
        <div>
          <h1>Import #{imp.id}</h1>
          <p class="muted subtitle">
            {imp.fileName} · {formatBytes(imp.sizeBytes)} · {imp.createdByLabel} · {formatWhen(imp.createdAt)}
          </p>
        </div>
        <div class="buttons">
          <a href="/imports" role="button" class="secondary outline">
            All imports
          </a>
          <a href="/imports/new" role="button" class="secondary">
            New import
          </a>
        </div>
      </div>
      <Steps current={step} />
      {editing && status === "draft" ? (
        <>
          <EncodingForm view={view} editing error={props.errors?.encoding} />
          <MappingForm {...props} />
        </>
      ) : (
        <ImportPanel view={view} customFields={props.customFields} forms={props.forms} errors={props.errors} />
      )}
    </Layout>
  );
}

/** The htmx attributes that redraw the samples (what they become) when a choice that changes them changes. */
function refreshSamples(importId: number) {
  return { "hx-post": `/imports/${importId}/samples`, "hx-trigger": "change", "hx-swap": "none" };
}

function TargetSelect({
  importId,
  column,
  name,
  value,
  customFields,
}: {
  importId: number;
  column: number;
  name: string;
  value: ColumnTarget;
  customFields: CustomFieldRef[];
}) {
  return (
    <select name={`map_${column}`} aria-label={`Import column "${name}" as`} {...refreshSamples(importId)}>
      {BUILTIN_TARGETS.map((t) => (
        <option value={t.value} selected={value === t.value}>
          {t.label}
        </option>
      ))}
      {customFields.length > 0 && (
        <optgroup label="Custom fields">
          {customFields.map((f) => (
            <option value={`custom:${f.key}`} selected={value === `custom:${f.key}`}>
              {f.label}
            </option>
          ))}
        </optgroup>
      )}
      <option value="skip" selected={value === "skip"}>
        Don't import
      </option>
    </select>
  );
}

export function MappingForm(props: ImportPageProps) {
  const { view, segments, customFields, values, forms, errors = {} } = props;
  const imp = view.import;
  const previewFailed = view.preview?.status === "failed";
  const readers = columnReaders(imp.header, values.mapping, customFields, forms, imp.profiles);
  return (
    <form method="post" action={`/imports/${imp.id}/preview`} class="mapping-form" id="mapping-form">
      {previewFailed && (
        <p class="notice error" role="alert">
          The preview failed: {view.preview?.error}
        </p>
      )}
      <section>
        <h2>Map columns</h2>
        <p class="muted">
          Roster read {imp.header.length} columns (separated by {DELIMITER_NAMES[imp.delimiter] ?? imp.delimiter}) and matched them by name. Choose what each
          column holds; one must be the email address. A column with no field yet can get a new one (Create field…).
        </p>
        {errors.mapping && (
          <p class="notice error" role="alert" id="mapping-error">
            {errors.mapping}
          </p>
        )}
        <div class="table-wrap">
          <table class="mapping">
            <thead>
              <tr>
                <th scope="col">Column in the file</th>
                <th scope="col">Samples</th>
                <th scope="col">Import as</th>
              </tr>
            </thead>
            <tbody>
              {imp.header.map((name, i) => {
                const target = values.mapping[i] ?? "skip";
                return (
                  <tr>
                    <td>
                      <strong>{name || `(column ${i + 1})`}</strong>
                    </td>
                    <td class="samples" id={`samples-${i}`}>
                      <SampleList samples={readSamples(imp.samples, i, readers[i] ?? null)} />
                    </td>
                    <td>
                      <TargetSelect importId={imp.id} column={i} name={name} value={target} customFields={customFields} />
                      {target === "skip" && <NewFieldForm {...props} column={i} columnName={name} />}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section>
        <h2>Options</h2>
        <ValueFormsFields forms={forms} values={values} error={errors.forms} refreshFor={imp.id} />
        <fieldset>
          <label>
            <input type="checkbox" role="switch" name="overwrite" value="on" checked={values.overwrite} aria-describedby="overwrite-hint" />
            Overwrite existing
          </label>
          <small id="overwrite-hint" class="muted">
            Contacts are matched by email, ignoring case. Off: existing contacts keep every field. On: a non-empty cell replaces the stored value; an empty cell
            never blanks a field, and columns not imported are never touched.
          </small>
        </fieldset>
        <fieldset aria-describedby={errors.segment ? "segment-error" : undefined}>
          <legend>Segment</legend>
          <label>
            <input type="radio" name="segment_mode" value="none" checked={values.segmentMode === "none"} />
            None
          </label>
          <label>
            <input type="radio" name="segment_mode" value="existing" checked={values.segmentMode === "existing"} disabled={segments.length === 0} />
            An existing segment
          </label>
          <select name="segment_id" aria-label="Which segment" disabled={segments.length === 0} data-focus-checks="segment_mode=existing">
            {segments.length === 0 && <option value="">No static segments yet</option>}
            {segments.map((s) => (
              <option value={String(s.id)} selected={values.segmentId === s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <label>
            <input type="radio" name="segment_mode" value="new" checked={values.segmentMode === "new"} />A new segment
          </label>
          <input
            type="text"
            name="new_segment_name"
            aria-label="Name of the new segment"
            data-focus-checks="segment_mode=new"
            value={values.newSegmentName}
            placeholder="e.g. Trade fair 2026"
            maxlength={200}
          />
          {errors.segment && (
            <small id="segment-error" class="field-error">
              {errors.segment}
            </small>
          )}
        </fieldset>
        <ModeChoice mode={values.mode} />
      </section>
      <div class="form-actions">
        <button type="submit">Preview import</button>
        <span class="muted">Nothing is written until you start the import.</span>
      </div>
    </form>
  );
}

/**
 * The mapping step's samples read with the choices as they stand (htmx, on a change of a column's field, the date
 * form or the decimal mark): one partial per column, in place.
 */
export function SampleUpdates({ view, customFields, values, forms }: Pick<ImportPageProps, "view" | "customFields" | "values" | "forms">) {
  const imp = view.import;
  const readers = columnReaders(imp.header, values.mapping, customFields, forms, imp.profiles);
  return (
    <>
      {imp.header.map((_, i) => (
        <hx-partial hx-target={`#samples-${i}`} hx-swap="innerHTML">
          <SampleList samples={readSamples(imp.samples, i, readers[i] ?? null)} />
        </hx-partial>
      ))}
    </>
  );
}

/** Up to three values of a column as written, each with what it becomes for a typed field, or why it cannot. */
export function SampleList({ samples }: { samples: ReturnType<typeof readSamples> }) {
  const shown = samples.filter((s) => s.raw !== "" || s.becomes !== null);
  if (shown.length === 0) return <span class="muted">(empty)</span>;
  return (
    <ul class="samples">
      {shown.map((s) =>
        s.problem ? (
          <li class="sample-invalid">
            <span class="raw">{s.raw}</span> <span class="badge failed">not read</span> <small>{s.problem}</small>
          </li>
        ) : s.becomes !== null && s.becomes !== s.raw ? (
          <li>
            <span class="raw">{s.raw || "(empty)"}</span> → <span class="becomes">{s.becomes}</span>
          </li>
        ) : (
          <li>
            <span class="raw">{s.raw}</span>
          </li>
        ),
      )}
    </ul>
  );
}

const DATE_HOW: Record<ValueForms["dateHow"], string> = {
  chosen: "as you chose",
  detected: "detected from the file",
  ambiguous: "the file's dates read either way (every day is 12 or less): your account's region decides",
  mixed: "no one form fits every date of the file: the most common one",
  none: "no dates in the file's first rows: your account's region",
};

/** The date form and decimal mark typed custom fields are read with: what was detected, and a way to choose. */
export function ValueFormsFields({
  forms,
  values,
  error,
  refreshFor,
}: {
  forms: ValueForms;
  values: Pick<MappingValues, "dateForm" | "decimalMark">;
  error?: string;
  refreshFor?: number;
}) {
  const detectedMarks = [...new Set(forms.decimalMarks)];
  const refresh = refreshFor === undefined ? {} : refreshSamples(refreshFor);
  return (
    <fieldset class="value-forms" aria-describedby={error ? "forms-error" : undefined}>
      <legend>Dates and numbers</legend>
      <p class="muted">
        Dates are read as <strong data-testid="date-form">{DATE_FORM_LABELS[forms.dateForm]}</strong> <span>({DATE_HOW[forms.dateHow]})</span>
        {"; "}yyyy-mm-dd is always understood. They apply to custom fields of type date, number and yes/no.
      </p>
      <div class="grid">
        <div>
          <label for="date-form">Date form</label>
          <select id="date-form" name="date_form" {...refresh}>
            <option value="auto" selected={!values.dateForm}>
              Detect ({DATE_FORM_LABELS[forms.detectedDateForm]})
            </option>
            {DATE_FORMS.map((f) => (
              <option value={f} selected={values.dateForm === f}>
                {DATE_FORM_LABELS[f]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="decimal-mark">Decimal mark</label>
          <select id="decimal-mark" name="decimal_mark" {...refresh}>
            <option value="auto" selected={!values.decimalMark}>
              Detect per column{detectedMarks.length === 1 && !values.decimalMark ? ` (${detectedMarks[0]})` : ""}
            </option>
            {DECIMAL_MARKS.map((m) => (
              <option value={m} selected={values.decimalMark === m}>
                {DECIMAL_MARK_LABELS[m]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <small id="forms-error" class="field-error">
          {error}
        </small>
      )}
    </fieldset>
  );
}

/**
 * "Create field…" under a column that goes nowhere: label (the key is made from it) and type, sent with the whole
 * mapping form (htmx swaps the form back; without JavaScript the page comes back) so no other choice is lost.
 */
function NewFieldForm({ view, canCreateFields, newField, column, columnName }: ImportPageProps & { column: number; columnName: string }) {
  const imp = view.import;
  const mine = newField?.column === column ? newField : undefined;
  const id = `new-field-${column}`;
  return (
    <details class="new-field" open={mine ? true : undefined}>
      <summary>Create field…</summary>
      {!canCreateFields ? (
        <p class="muted" id={`${id}-why`}>
          Only an admin can create custom fields. Ask one to add it (Admin › Custom fields), then choose it here.
        </p>
      ) : (
        <div class="new-field-body">
          <label for={`${id}-label`}>Label</label>
          <input
            type="text"
            id={`${id}-label`}
            name={`new_field_label_${column}`}
            value={mine?.label ?? columnName}
            maxlength={100}
            aria-invalid={mine?.errors.label ? "true" : undefined}
            aria-describedby={mine?.errors.label ? `${id}-label-error` : `${id}-hint`}
          />
          {mine?.errors.label ? (
            <small id={`${id}-label-error`} class="field-error">
              {mine.errors.label}
            </small>
          ) : (
            <small id={`${id}-hint`} class="muted">
              The key is made from it: “Favourite colour” becomes favourite_colour.
            </small>
          )}
          <label for={`${id}-type`}>Type</label>
          <select id={`${id}-type`} name={`new_field_type_${column}`}>
            {CUSTOM_FIELD_TYPES.map((t) => (
              <option value={t} selected={t === (mine?.type ?? suggestType(imp.profiles[column]))}>
                {CUSTOM_FIELD_TYPE_LABELS[t]}
              </option>
            ))}
          </select>
          {mine?.errors.type && <small class="field-error">{mine.errors.type}</small>}
          <button
            type="submit"
            class="secondary"
            name="new_field_column"
            value={String(column)}
            formaction={`/imports/${imp.id}/fields`}
            hx-post={`/imports/${imp.id}/fields`}
            hx-target="#mapping-form"
            hx-swap="outerHTML"
          >
            Create field for “{columnName || `column ${column + 1}`}”
          </button>
        </div>
      )}
      {mine?.errors.role && (
        <p class="notice error" role="alert">
          {mine.errors.role}
        </p>
      )}
    </details>
  );
}

/** What the file does to the chosen segment. */
function ModeChoice({ mode }: { mode: ImportMode }) {
  const hints: Record<ImportMode, string> = {
    add: "The file's contacts join the segment; its members stay.",
    remove: "The file's contacts leave the segment. Emails not in Roster are counted and listed, never created; no contact field changes.",
    replace: "Afterwards the segment holds exactly the file's valid contacts (new ones are created); every other member leaves.",
  };
  return (
    <fieldset>
      <legend>What the file does to the segment</legend>
      {(["add", "remove", "replace"] as const).map((m) => (
        <>
          <label>
            <input type="radio" name="import_mode" value={m} checked={mode === m} aria-describedby={`mode-hint-${m}`} />
            {MODE_LABELS[m]}
          </label>
          <small id={`mode-hint-${m}`} class="muted mode-hint">
            {hints[m]}
          </small>
        </>
      ))}
    </fieldset>
  );
}

function encodingName(value: unknown): string {
  return isTextEncoding(value) ? ENCODING_NAMES[value] : String(value ?? "");
}

/**
 * Which encoding the file is read with (the one chosen, or the one detected) and a way to choose another: on the
 * mapping step, and on the preview, which then runs again with it.
 */
export function EncodingForm({ view, editing, error }: { view: ImportView; editing: boolean; error?: string }) {
  const imp = view.import;
  const choice = isTextEncoding(imp.encodingChoice) ? imp.encodingChoice : null;
  const previewed = view.preview?.status === "completed" ? jobCounts(view.preview).encoding : undefined;
  const used = choice ?? previewed ?? imp.encoding;
  return (
    <form method="post" action={`/imports/${imp.id}/encoding`} class="encoding-form">
      <input type="hidden" name="edit" value={editing ? "1" : "0"} />
      <p>
        Read as <strong data-testid="encoding-used">{encodingName(used)}</strong>{" "}
        <span class="muted">{choice ? "(as you chose)" : "(detected automatically)"}</span>. If letters look wrong (Ã© where é should be), choose the file's
        encoding.
      </p>
      <label for="encoding-choice">File encoding</label>
      <div role="group">
        <select id="encoding-choice" name="encoding" aria-invalid={error ? "true" : undefined} aria-describedby={error ? "encoding-error" : undefined}>
          <option value="auto" selected={!choice}>
            Automatic
          </option>
          {Object.entries(ENCODING_NAMES).map(([value, name]) => (
            <option value={value} selected={choice === value}>
              {name}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary">
          {editing ? "Read again" : "Preview again"}
        </button>
      </div>
      {error && (
        <small id="encoding-error" class="field-error">
          {error}
        </small>
      )}
    </form>
  );
}

/** A job reading the file: rows, pace and time left while reading, then what it does with them. */
function FileProgress({ job, size, rows, phase, label }: { job: ImportView["job"]; size: number; rows: number; phase?: string; label: string }) {
  if (phase === "writing" || phase === "counting") {
    return (
      <div class="job-progress" data-testid="job-progress">
        <progress aria-label={label} />
        <small class="muted">
          {formatCount(rows)} rows read · {phase === "writing" ? "writing them to your contacts" : "comparing them with your contacts"}
        </small>
      </div>
    );
  }
  const done = job?.progressDone ?? 0;
  return (
    <JobProgress
      label={label}
      done={done}
      total={job?.progressTotal ?? size}
      rows={rows}
      startedAt={job?.status === "running" ? job.startedAt : null}
      detail={`${formatBytes(done)} of ${formatBytes(size)} read`}
    />
  );
}

/** The mapped columns of a previewed draft with their samples, read as the import will read them. */
function ColumnSamples({ view, customFields, forms }: { view: ImportView; customFields: TypedFieldRef[]; forms: ValueForms }) {
  const imp = view.import;
  const mapping = imp.mapping as ColumnTarget[];
  const readers = columnReaders(imp.header, mapping, customFields, forms, imp.profiles);
  return (
    <>
      <p class="muted" id="column-samples-title">
        Three values of each imported column, and what they become:
      </p>
      <div class="table-wrap">
        <table class="cards column-samples" aria-labelledby="column-samples-title">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Imported as</th>
              <th scope="col">Samples</th>
            </tr>
          </thead>
          <tbody>
            {imp.header.map((name, i) =>
              (mapping[i] ?? "skip") === "skip" ? null : (
                <tr>
                  <td class="card-title">{name || `(column ${i + 1})`}</td>
                  <td data-label="Imported as">{targetLabel(mapping[i]!, customFields)}</td>
                  <td data-label="Samples">
                    <SampleList samples={readSamples(imp.samples, i, readers[i] ?? null)} />
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** On the preview: the forms typed values were read in, and another choice, which previews again. */
function ValueFormsForm({ view, forms, error }: { view: ImportView; forms: ValueForms; error?: string }) {
  const imp = view.import;
  const values = { dateForm: forms.dateHow === "chosen" ? forms.dateForm : null, decimalMark: forms.decimalChoice };
  return (
    <form method="post" action={`/imports/${imp.id}/value-forms`} class="value-forms-form">
      <ValueFormsFields forms={forms} values={values} error={error} />
      <button type="submit" class="secondary">
        Read dates and numbers again
      </button>
    </form>
  );
}

function MappingSummary({ view, customFields, forms }: { view: ImportView; customFields: TypedFieldRef[]; forms: ValueForms }) {
  const imp = view.import;
  // The forms in use, for the columns they apply to: date fields, and number fields (each column its own mark).
  const typeOf = new Map(customFields.map((f) => [`custom:${f.key}`, f.type]));
  const hasDates = imp.mapping.some((t) => typeOf.get(t) === "date");
  const marks = [...new Set(imp.mapping.flatMap((t, i) => (typeOf.get(t) === "number" ? [forms.decimalMarks[i]!] : [])))];
  const mapped = imp.header.map((h, i) => [h, imp.mapping[i] ?? "skip"] as const).filter(([, t]) => t !== "skip");
  const skipped = imp.header.filter((_, i) => (imp.mapping[i] ?? "skip") === "skip");
  const segment = imp.segmentName ?? (imp.newSegmentName ? `${imp.newSegmentName} (new)` : null);
  return (
    <dl class="fields">
      <dt>Columns</dt>
      <dd>
        {mapped.map(([h, t], i) => (
          <>
            {i > 0 && ", "}
            {h} → {targetLabel(t, customFields)}
          </>
        ))}
        {skipped.length > 0 && <span class="muted">; not imported: {skipped.join(", ")}</span>}
      </dd>
      {(hasDates || marks.length > 0) && (
        <>
          <dt>Dates and numbers</dt>
          <dd>
            {hasDates && (
              <>
                Dates as {DATE_FORM_LABELS[forms.dateForm]} ({forms.dateHow === "chosen" ? "chosen" : "detected"})
              </>
            )}
            {hasDates && marks.length > 0 && "; "}
            {marks.length > 0 && (
              <>
                decimal mark {marks.map((m) => `"${m}"`).join(" and ")} ({forms.decimalChoice ? "chosen" : "detected per column"})
              </>
            )}
          </dd>
        </>
      )}
      <dt>Overwrite existing</dt>
      <dd>{imp.overwrite ? "On: non-empty cells replace stored values" : "Off: existing contacts keep every field"}</dd>
      <dt>Segment</dt>
      <dd>{segment ? `${MODE_LABELS[imp.mode]}: ${segment}` : "None"}</dd>
    </dl>
  );
}

function Problems({ problems }: { problems?: { line: number; reason: string }[] }) {
  if (!problems || problems.length === 0) return null;
  return (
    <details>
      <summary>First problems found</summary>
      <ul class="problems">
        {problems.map((p) => (
          <li>
            Line {p.line}: {p.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

/**
 * The part of the page that changes while jobs run; also the htmx fragment of GET /imports/:id. It polls (load
 * delay) only while a preview or the import is queued or running: the finished states carry no trigger.
 */
export function ImportPanel({
  view,
  customFields,
  forms,
  errors = {},
}: {
  view: ImportView;
  customFields: TypedFieldRef[];
  forms: ValueForms;
  errors?: MappingErrors;
}) {
  const imp = view.import;
  const status = importStatus(view.job);
  const preview = view.preview;
  const running = status === "queued" || status === "running" || (status === "draft" && (preview?.status === "queued" || preview?.status === "running"));
  const poll = running ? { "hx-get": `/imports/${imp.id}`, "hx-trigger": "load delay:1s", "hx-swap": "outerHTML" } : {};
  const counts = jobCounts(status === "draft" ? preview : view.job);
  const segmentName = imp.segmentName ?? imp.newSegmentName;
  return (
    <section id="import-panel" aria-live="polite" {...poll}>
      <MappingSummary view={view} customFields={customFields} forms={forms} />
      {status === "draft" && running && (
        <article>
          <h2>Checking the file</h2>
          <FileProgress job={preview} size={imp.sizeBytes} rows={counts.rows ?? 0} phase={counts.phase} label="Checking the file" />
          <p class="muted">Every row is read and compared with your contacts. Nothing is written.</p>
        </article>
      )}
      {status === "draft" && preview?.status === "completed" && (
        <article>
          <header>
            <h2>Preview</h2>
          </header>
          <EncodingForm view={view} editing={false} error={errors.encoding} />
          <ColumnSamples view={view} customFields={customFields} forms={forms} />
          <ValueFormsForm view={view} forms={forms} error={errors.forms} />
          <p>If you start the import now:</p>
          <OutcomeBar counts={counts} planned />
          <OutcomeTable counts={counts} planned segmentName={null} />
          {segmentName !== null && <SegmentChange counts={counts} planned segmentName={segmentName} />}
          <Problems problems={counts.problems} />
          {errors.start && (
            <p class="notice error" role="alert">
              {errors.start}
            </p>
          )}
          <footer class="form-actions">
            <form method="post" action={`/imports/${imp.id}/start`} class="inline-form">
              <button type="submit">Start import</button>
            </form>
            <a href={`/imports/${imp.id}?edit=1`} role="button" class="secondary outline">
              Change mapping or options
            </a>
          </footer>
        </article>
      )}
      {(status === "queued" || status === "running") && (
        <article>
          <h2>{status === "queued" ? "Waiting to start" : counts.phase === "writing" ? "Writing contacts" : "Importing"}</h2>
          <FileProgress job={view.job} size={imp.sizeBytes} rows={counts.rows ?? 0} phase={counts.phase} label="Import progress" />
          <p class="muted">You can leave this page: the import goes on, and its result will be here and in the list of imports.</p>
          <form method="post" action={`/imports/${imp.id}/cancel`} class="inline-form">
            <button type="submit" class="secondary outline">
              Cancel import
            </button>
          </form>
        </article>
      )}
      {status === "completed" && (
        <article>
          <header>
            <h2>
              Imported <span class="badge completed">completed</span>
            </h2>
          </header>
          {counts.encoding && (
            <p class="muted">
              Read as {encodingName(counts.encoding)}
              {imp.encodingChoice ? " (as chosen)" : " (detected automatically)"}.
            </p>
          )}
          <OutcomeBar counts={counts} planned={false} />
          <OutcomeTable counts={counts} planned={false} segmentName={null} />
          {segmentName !== null && <SegmentChange counts={counts} planned={false} segmentName={segmentName} />}
          <Problems problems={counts.problems} />
          <UndoImport view={view} error={errors.undo} />
          <footer class="form-actions">
            {(counts.invalid ?? 0) + (counts.duplicates ?? 0) + (counts.not_found ?? 0) > 0 && (
              <a href={`/imports/${imp.id}/errors`} role="button" class="secondary" download>
                Download error report
              </a>
            )}
            {imp.segmentId !== null && (
              <a href={`/segments/${imp.segmentId}`} role="button" class="secondary outline">
                Open the segment
              </a>
            )}
            <a href="/contacts" role="button" class="secondary outline">
              See contacts
            </a>
          </footer>
        </article>
      )}
      {status === "failed" && (
        <article>
          {view.job?.status === "cancelled" ? (
            <>
              <header>
                <h2>
                  Import cancelled <span class="badge cancelled">cancelled</span>
                </h2>
              </header>
              <p class="notice warning">It was cancelled before it finished. Nothing was imported.</p>
            </>
          ) : (
            <>
              <header>
                <h2>
                  Import failed <span class="badge failed">failed</span>
                </h2>
              </header>
              <p class="notice error" role="alert">
                {view.job?.error ?? "The import stopped."} Nothing was imported.
              </p>
            </>
          )}
          <form method="post" action={`/imports/${imp.id}/retry`} class="inline-form">
            <button type="submit" class="secondary">
              Try again
            </button>
          </form>
        </article>
      )}
    </section>
  );
}
