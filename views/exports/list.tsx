import type { SessionUser } from "../../src/auth/session";
import type { ExportView } from "../../src/exports/queries";
import { Layout } from "../layout";
import { FORMAT_LABELS, formatBytes, formatCount, formatWhen } from "./common";
import type { Notice } from "../../src/web/flash";

export interface ExportListProps {
  exports: ExportView[];
  more: boolean;
  /** The page's keyset bound, kept by the polling request so it refreshes the same page. */
  before: number | null;
}

export function ExportListPage({ user, notice, ...list }: ExportListProps & { user: SessionUser; notice?: Notice | null }) {
  return (
    <Layout title="Exports" user={user} section="exports" notice={notice}>
      <div class="page-head">
        <h1>Exports</h1>
        <div class="buttons">
          <a href="/exports/new" role="button">
            New export
          </a>
        </div>
      </div>
      <ExportList {...list} />
    </Layout>
  );
}

function isActive(e: ExportView) {
  return e.status === "queued" || e.status === "running";
}

/**
 * The table of exports. While one is queued or running it reloads itself a second after it lands ("load
 * polling"); once none is, the fragment has no trigger and polling stops by itself.
 */
export function ExportList({ exports, more, before }: ExportListProps) {
  const self = before ? `/exports?before=${before}` : "/exports";
  const poll = exports.some(isActive) ? { "hx-get": self, "hx-trigger": "load delay:1s", "hx-swap": "outerHTML" } : {};
  return (
    <div id="export-list" {...poll}>
      <div class="table-wrap">
        <table class="exports cards">
          <thead>
            <tr>
              <th scope="col">Requested</th>
              <th scope="col">Segment</th>
              <th scope="col">Format</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Rows</th>
              <th scope="col">Size</th>
              <th scope="col" class="actions">
                Actions
              </th>
            </tr>
          </thead>
          <tbody>
            {exports.length === 0 && (
              <tr>
                <td colspan={8} class="muted">
                  No exports yet. <a href="/exports/new">Export contacts</a> to get a file.
                </td>
              </tr>
            )}
            {exports.map((e) => (
              <ExportRow e={e} />
            ))}
          </tbody>
        </table>
      </div>
      {(more || before) && (
        <nav class="pager" aria-label="Pages">
          {before && <a href="/exports">Newest</a>}
          {more && <a href={`/exports?before=${exports[exports.length - 1]!.id}`}>Older</a>}
        </nav>
      )}
    </div>
  );
}

function ExportRow({ e }: { e: ExportView }) {
  const listTarget = { "hx-target": "#export-list", "hx-swap": "outerHTML" };
  return (
    <tr data-export-id={e.id}>
      <td data-label="Requested">
        {e.createdByLabel}
        <br />
        <small class="muted">{formatWhen(e.createdAt)}</small>
      </td>
      <td class="card-title">
        <a href={`/exports/${e.id}`}>{e.segmentName ?? "All contacts"}</a>
      </td>
      <td data-label="Format">{FORMAT_LABELS[e.format] ?? e.format}</td>
      <td data-label="Status">
        <span class={`badge ${e.status}`}>{e.status}</span>
        {e.error && (
          <>
            <br />
            <small class="export-error">{e.error}</small>
          </>
        )}
        {e.status === "completed" && e.expiresAt && (
          <>
            <br />
            <small class="muted">until {formatWhen(e.expiresAt).slice(0, 10)}</small>
          </>
        )}
      </td>
      <td class="progress-cell" data-label="Progress">
        <progress value={e.rowsDone} max={Math.max(e.rowsTotal, 1)} aria-label={`Rows done of ${e.segmentName ?? "All contacts"} export`} />
        <small>
          {formatCount(e.rowsDone)} of {formatCount(e.rowsTotal)}
        </small>
      </td>
      <td data-label="Rows">{e.status === "completed" || e.status === "expired" ? formatCount(e.rowsTotal) : ""}</td>
      <td data-label="Size">{formatBytes(e.sizeBytes)}</td>
      <td class="actions">
        {e.status === "completed" && (
          <a href={`/exports/${e.token}/download`} role="button" download={e.fileName ?? true}>
            Download
          </a>
        )}
        {isActive(e) && (
          <form method="post" action={`/exports/${e.id}/cancel`} hx-post={`/exports/${e.id}/cancel`} {...listTarget}>
            <button type="submit" class="secondary outline">
              Cancel
            </button>
          </form>
        )}
        {(e.status === "failed" || e.status === "cancelled") && (
          <form method="post" action={`/exports/${e.id}/retry`} hx-post={`/exports/${e.id}/retry`} {...listTarget}>
            <button type="submit" class="secondary">
              Retry
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
