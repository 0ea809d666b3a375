import type { SessionUser } from "../../src/auth/session";
import type { ExportField } from "../../src/exports/fields";
import { EXPORT_FORMATS } from "../../src/exports/formats";
import { DATE_FORM_LABELS, DATE_FORMS, DECIMAL_MARK_LABELS, DECIMAL_MARKS } from "../../src/custom-fields/typed-values";
import type { ExportView } from "../../src/exports/queries";
import type { SegmentChoice } from "../../src/segments/choices";
import { JobProgress } from "../components/job-progress";
import { Layout } from "../layout";
import { FORMAT_HINTS, FORMAT_LABELS, formatBytes, formatCount, formatWhen } from "./common";

export const WIZARD_STEPS = ["type", "segment", "properties", "format"] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

const STEP_TITLES: Record<WizardStep, string> = {
  type: "Type of export",
  segment: "Segment",
  properties: "Properties",
  format: "Output format",
};

/** What the wizard has gathered so far; carried from step to step in hidden inputs (no server state). */
export interface WizardState {
  type: string;
  /** "all" or a segment id. */
  segment: string;
  fields: string[];
  format: string;
  /** How typed custom fields are written: a date form (ymd, dmy, mdy) and a decimal mark. */
  dateForm: string;
  decimalMark: string;
}

export interface WizardProps {
  step: WizardStep;
  state: WizardState;
  segments: SegmentChoice[];
  /** Properties available for the chosen segment (or all contacts), in display order. */
  fields: ExportField[];
  error?: string;
}

export function ExportWizardPage({ user, ...props }: WizardProps & { user: SessionUser }) {
  return (
    <Layout title="Export contacts" user={user} section="contacts">
      <div class="page-head">
        <h1>Export contacts</h1>
        <div class="buttons">
          <a href="/exports" class="secondary">
            Export list
          </a>
        </div>
      </div>
      <ExportWizard {...props} />
    </Layout>
  );
}

/**
 * The wizard's card. Every step is one form posting to /exports/new: htmx swaps the card in place with the
 * next step (or the same step with its error, 422); without JavaScript the same post renders the whole page.
 */
export function ExportWizard({ step, state, segments, fields, error }: WizardProps) {
  const index = WIZARD_STEPS.indexOf(step);
  const hidden = (name: keyof WizardState) =>
    name === "fields" ? (
      state.fields.map((f) => <input type="hidden" name="fields" value={f} />)
    ) : (
      <input type="hidden" name={HIDDEN_NAMES[name] ?? name} value={state[name]} />
    );
  return (
    <article id="export-wizard" class="wizard">
      <form method="post" action="/exports/new" hx-post="/exports/new" hx-target="#export-wizard" hx-swap="outerHTML">
        <header>
          <ol class="steps" aria-label="Steps">
            {WIZARD_STEPS.map((s, i) => (
              <li class={i < index ? "done" : i === index ? "current" : ""} aria-current={i === index ? "step" : undefined}>
                {STEP_TITLES[s]}
              </li>
            ))}
          </ol>
        </header>
        <input type="hidden" name="step" value={step} />
        {step !== "type" && hidden("type")}
        {step !== "segment" && hidden("segment")}
        {step !== "properties" && hidden("fields")}
        {step !== "format" && hidden("format")}
        {step !== "format" && hidden("dateForm")}
        {step !== "format" && hidden("decimalMark")}
        {error && (
          <p class="notice error" role="alert" id="wizard-error">
            {error}
          </p>
        )}
        <fieldset aria-describedby={error ? "wizard-error" : undefined}>
          <legend>
            <h2>{STEP_TITLES[step]}</h2>
          </legend>
          {step === "type" && (
            <label>
              <input type="radio" name="type" value="contacts" checked />
              Contacts
              <small class="muted"> Contacts with the properties you choose, one row each.</small>
            </label>
          )}
          {step === "segment" && (
            <label for="f-segment">
              Choose the contacts to export
              <select id="f-segment" name="segment" aria-invalid={error ? "true" : undefined}>
                <option value="all" selected={state.segment === "all"}>
                  All contacts
                </option>
                {segments.map((s) => (
                  <option value={String(s.id)} selected={state.segment === String(s.id)}>
                    {s.name} ({formatCount(s.memberCount)} {s.memberCount === 1 ? "member" : "members"})
                  </option>
                ))}
              </select>
              <small>A static segment, or every contact of the account.</small>
            </label>
          )}
          {step === "properties" && (
            <>
              <p class="select-all">
                Select{" "}
                <button type="submit" name="action" value="all" class="link-button" aria-label="Select all">
                  all
                </button>{" "}
                /{" "}
                <button type="submit" name="action" value="none" class="link-button" aria-label="Select none">
                  none
                </button>
              </p>
              <div class="field-checks">
                {fields.map((f) => (
                  <label>
                    <input type="checkbox" name="fields" value={f.id} checked={state.fields.includes(f.id)} />
                    {f.label}
                  </label>
                ))}
              </div>
              <small class="muted">Columns come in this order; their headers are these labels.</small>
            </>
          )}
          {step === "format" &&
            EXPORT_FORMATS.map((f) => (
              <label class="format-choice">
                <input type="radio" name="format" value={f} checked={state.format === f} />
                {FORMAT_LABELS[f]}
                <br />
                <small class="muted">{FORMAT_HINTS[f]}</small>
              </label>
            ))}
        </fieldset>
        {step === "format" && <TypedValueForms state={state} fields={fields} />}
        <footer class="wizard-buttons">
          {index > 0 && (
            <button type="submit" name="action" value="back" class="secondary outline" formnovalidate>
              Back
            </button>
          )}
          <button type="submit" name="action" value={step === "format" ? "start" : "next"}>
            {step === "format" ? "Start export" : "Next"}
          </button>
        </footer>
      </form>
    </article>
  );
}

const HIDDEN_NAMES: Partial<Record<keyof WizardState, string>> = { dateForm: "date_form", decimalMark: "decimal_mark" };

/**
 * The format step's choice of how typed custom fields are written (dates and numbers in CSV and TSV; XLSX takes the
 * date form for its date cells). Without such a field among the chosen ones, the defaults ride along unseen.
 */
function TypedValueForms({ state, fields }: { state: WizardState; fields: ExportField[] }) {
  const chosen = fields.filter((f) => state.fields.includes(f.id) && f.id.startsWith("custom:"));
  const hasDate = chosen.some((f) => f.type === "date");
  const hasNumber = chosen.some((f) => f.type === "number");
  if (!hasDate && !hasNumber) {
    return (
      <>
        <input type="hidden" name="date_form" value={state.dateForm} />
        <input type="hidden" name="decimal_mark" value={state.decimalMark} />
      </>
    );
  }
  return (
    <fieldset class="value-forms" aria-describedby="value-forms-hint">
      <legend>Dates and numbers</legend>
      <small id="value-forms-hint" class="muted">
        For custom fields of type date and number, in CSV and TSV files (XLSX writes real date and number cells, shown in the date form chosen; JSON Lines keeps
        yyyy-mm-dd and plain numbers).
      </small>
      <div class="grid">
        {hasDate ? (
          <div>
            <label for="f-date-form">Date form</label>
            <select id="f-date-form" name="date_form">
              {DATE_FORMS.map((f) => (
                <option value={f} selected={state.dateForm === f}>
                  {DATE_FORM_LABELS[f]}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <input type="hidden" name="date_form" value={state.dateForm} />
        )}
        {hasNumber ? (
          <div>
            <label for="f-decimal-mark">Decimal mark</label>
            <select id="f-decimal-mark" name="decimal_mark">
              {DECIMAL_MARKS.map((m) => (
                <option value={m} selected={state.decimalMark === m}>
                  {DECIMAL_MARK_LABELS[m]}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <input type="hidden" name="decimal_mark" value={state.decimalMark} />
        )}
      </div>
    </fieldset>
  );
}

/** Shown once the export is queued: what was asked, and the way to follow it. The same card for htmx and /exports/:id. */
/**
 * What was asked for and how far it is; also the htmx fragment of GET /exports/:id. While the export is queued or
 * running it fetches itself again a second later (load polling); the finished states carry no trigger.
 */
export function ExportSummary({ exp, fieldLabels }: { exp: ExportView; fieldLabels: string[] }) {
  const active = exp.status === "queued" || exp.status === "running";
  const poll = active ? { "hx-get": `/exports/${exp.id}`, "hx-trigger": "load delay:1s", "hx-swap": "outerHTML" } : {};
  return (
    <article id="export-wizard" class="wizard" aria-live="polite" {...poll}>
      <header>
        <h2>{active ? "Export started" : exp.status === "completed" ? "Export ready" : `Export ${exp.status}`}</h2>
      </header>
      <dl class="fields">
        <dt>Segment</dt>
        <dd>{exp.segmentName ?? "All contacts"}</dd>
        <dt>Properties</dt>
        <dd>{fieldLabels.join(", ")}</dd>
        <dt>Format</dt>
        <dd>{FORMAT_LABELS[exp.format]}</dd>
        {(exp.dateForm !== "ymd" || exp.decimalMark !== ".") && (
          <>
            <dt>Dates and numbers</dt>
            <dd>
              Dates as {DATE_FORM_LABELS[exp.dateForm]}, decimal {DECIMAL_MARK_LABELS[exp.decimalMark]}
            </dd>
          </>
        )}
        <dt>Estimated rows</dt>
        <dd>{formatCount(exp.estimatedRows)}</dd>
        <dt>Requested</dt>
        <dd>
          {formatWhen(exp.createdAt)} by {exp.createdByLabel}
        </dd>
        <dt>Status</dt>
        <dd data-testid="export-status">
          <span class={`badge ${exp.status}`}>{exp.status}</span>
          {exp.status === "completed" && ` ${formatCount(exp.rowsTotal)} rows, ${formatBytes(exp.sizeBytes)}`}
          {exp.error && <small class="export-error"> {exp.error}</small>}
        </dd>
      </dl>
      {exp.status === "running" && (
        <JobProgress
          label={`Export of ${exp.segmentName ?? "All contacts"}`}
          done={exp.rowsDone}
          total={exp.rowsTotal}
          rows={exp.rowsDone}
          startedAt={exp.startedAt}
        />
      )}
      {active && <p class="muted">The file is made in the background: you can leave this page, Roster tells you when it is ready.</p>}
      <footer class="form-actions">
        {exp.status === "completed" && (
          <a href={`/exports/${exp.token}/download`} role="button" download={exp.fileName ?? true}>
            Download
          </a>
        )}
        <a href="/exports" role="button" class={exp.status === "completed" ? "secondary outline" : undefined}>
          Go to export list
        </a>
      </footer>
    </article>
  );
}

export function ExportSummaryPage({ user, exp, fieldLabels }: { user: SessionUser; exp: ExportView; fieldLabels: string[] }) {
  return (
    <Layout title="Export" user={user} section="exports">
      <div class="page-head">
        <h1>Export contacts</h1>
      </div>
      <ExportSummary exp={exp} fieldLabels={fieldLabels} />
    </Layout>
  );
}
