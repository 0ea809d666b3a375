import type { SessionUser } from "../../src/auth/session";
import type { ImportView } from "../../src/imports/queries";
import { importStatus, jobCounts } from "../../src/imports/status";
import { Layout } from "../layout";
import { formatBytes, formatCount, formatWhen } from "./parts";

export function ImportsPage({ user, imports, nextBefore }: { user: SessionUser; imports: ImportView[]; nextBefore: number | null }) {
  return (
    <Layout title="Imports" user={user} section="imports">
      <div class="page-head">
        <h1>Imports</h1>
        <div class="buttons">
          <a href="/imports/new" role="button">
            New import
          </a>
        </div>
      </div>
      <div class="table-wrap">
        <table class="imports-list cards">
          <thead>
            <tr>
              <th scope="col">Import</th>
              <th scope="col">File</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
              <th scope="col">Options</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Rows
              </th>
              <th scope="col" class="num">
                Created
              </th>
              <th scope="col" class="num">
                Updated
              </th>
              <th scope="col" class="num">
                Unchanged
              </th>
              <th scope="col" class="num">
                Invalid
              </th>
              <th scope="col" class="num">
                Duplicates
              </th>
            </tr>
          </thead>
          <tbody>
            {imports.length === 0 && (
              <tr>
                <td colspan={12} class="muted">
                  No imports yet. <a href="/imports/new">Import contacts</a> from a CSV file or pasted text.
                </td>
              </tr>
            )}
            {imports.map((view) => {
              const imp = view.import;
              const status = importStatus(view.job);
              const counts = status === "completed" ? jobCounts(view.job) : {};
              const known = status === "completed";
              const cell = (n: number | undefined, label: string) => (
                <td class="num" data-label={label}>
                  {known ? formatCount(n) : "—"}
                </td>
              );
              return (
                <tr>
                  <td class="card-title">
                    <a href={`/imports/${imp.id}`}>#{imp.id}</a>
                  </td>
                  <td data-label="File">
                    {imp.fileName} <small class="muted">{formatBytes(imp.sizeBytes)}</small>
                  </td>
                  <td class="card-more">{imp.createdByLabel}</td>
                  <td data-label="When">{formatWhen(imp.createdAt)}</td>
                  <td class="card-more">
                    <small>
                      overwrite {imp.overwrite ? "on" : "off"}
                      {(imp.segmentName ?? imp.newSegmentName) && <>; segment {imp.segmentName ?? imp.newSegmentName}</>}
                    </small>
                  </td>
                  <td data-label="Status">
                    {view.job?.status === "cancelled" ? <span class="badge cancelled">cancelled</span> : <span class={`badge ${status}`}>{status}</span>}
                  </td>
                  {cell(counts.rows, "Rows")}
                  {cell(counts.created, "Created")}
                  {cell(counts.updated, "Updated")}
                  {cell(counts.unchanged, "Unchanged")}
                  {cell(counts.invalid, "Invalid")}
                  {cell(counts.duplicates, "Duplicates")}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {nextBefore !== null && (
        <nav class="pager" aria-label="Pages">
          <a href={`/imports?before=${nextBefore}`} role="button" class="secondary outline">
            Older imports
          </a>
        </nav>
      )}
    </Layout>
  );
}
