import type { SessionUser } from "../../src/auth/session";
import type { ColumnTarget } from "../../src/imports/headers";
import type { CsvPreview } from "../../src/imports/parse";
import { Layout } from "../layout";
import { DELIMITER_NAMES } from "./parts";

export interface PastePreviewProps {
  preview: CsvPreview | null;
  /** Target label per column, from automatic mapping. */
  targets: string[];
  mapping: ColumnTarget[];
}

const SHOWN_ROWS = 5;

/** What the paste box holds, as Roster reads it: detected columns and the first rows. Re-rendered as the user types. */
export function PastePreview({ preview, targets, mapping }: PastePreviewProps) {
  if (!preview || !preview.header) {
    return (
      <p class="muted" data-testid="paste-preview">
        The detected columns and the first rows appear here as you type.
      </p>
    );
  }
  const header = preview.header.fields;
  return (
    <div data-testid="paste-preview">
      <p class="muted">
        {header.length} {header.length === 1 ? "column" : "columns"}, separated by {DELIMITER_NAMES[preview.delimiter] ?? preview.delimiter}
        {preview.rows.length > 0 && `; the first ${Math.min(SHOWN_ROWS, preview.rows.length)} rows:`}
      </p>
      {!mapping.includes("email") && <p class="notice warning">No column is recognised as the email address: you will choose it in the next step.</p>}
      <div class="table-wrap">
        <table class="striped compact">
          <thead>
            <tr>
              {header.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
            <tr class="targets">
              {targets.map((t) => (
                <td>
                  <small>→ {t}</small>
                </td>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.slice(0, SHOWN_ROWS).map((r) => (
              <tr>
                {r.error ? (
                  <td colspan={header.length} class="muted">
                    Line {r.line}: {r.error}
                  </td>
                ) : (
                  r.fields.map((f) => <td>{f}</td>)
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function NewImportPage({ user, error, pasted, pastePreview }: { user: SessionUser; error?: string; pasted?: string; pastePreview: PastePreviewProps }) {
  return (
    <Layout title="Import contacts" user={user} section="contacts">
      <div class="page-head">
        <h1>Import contacts</h1>
        <div class="buttons">
          <a href="/imports" role="button" class="secondary outline">
            All imports
          </a>
        </div>
      </div>
      <ol class="import-steps" aria-label="Import steps">
        <li aria-current="step">Choose a file</li>
        <li>Map columns</li>
        <li>Options</li>
        <li>Preview</li>
        <li>Import</li>
      </ol>
      {error && (
        <p class="notice error" role="alert">
          {error}
        </p>
      )}
      <div class="grid import-sources">
        <article>
          <header>
            <h2>Upload a CSV file</h2>
          </header>
          {/* public/app.js sends this form itself when it can, to show the upload's progress with a Cancel button. */}
          <form method="post" action="/imports" enctype="multipart/form-data" data-upload-progress>
            <label for="f-file">
              CSV file
              <input id="f-file" type="file" name="file" accept=".csv,.tsv,.txt,text/csv,text/plain" required aria-describedby="f-file-hint" />
              <small id="f-file-hint">
                Up to 1 GB. UTF-8, UTF-16 or Windows-1252; comma, semicolon, tab or pipe separated; the first line names the columns.
              </small>
            </label>
            <button type="submit">Upload and continue</button>
            <div class="upload-progress" data-upload-box hidden>
              <progress value={0} max={100} aria-label="Upload progress" />
              <p class="muted" data-upload-figures></p>
              <button type="button" class="secondary outline" data-upload-cancel>
                Cancel upload
              </button>
            </div>
            <p class="upload-status" role="status" data-upload-status></p>
          </form>
        </article>
        <article>
          <header>
            <h2>Paste CSV</h2>
          </header>
          <form method="post" action="/imports">
            <label for="f-csv">
              CSV text
              <textarea
                id="f-csv"
                name="csv"
                rows={8}
                spellcheck={false}
                placeholder={"email,first_name,last_name\nada@example.com,Ada,Lovelace"}
                hx-post="/imports/paste-preview"
                hx-trigger="input changed delay:400ms"
                hx-target="#paste-preview"
                hx-swap="innerHTML"
              >
                {pasted ?? ""}
              </textarea>
            </label>
            <div id="paste-preview" aria-live="polite">
              <PastePreview {...pastePreview} />
            </div>
            <button type="submit">Continue with this text</button>
          </form>
        </article>
      </div>
    </Layout>
  );
}
