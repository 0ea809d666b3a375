import type { SessionUser } from "../../src/auth/session";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/auth/roles";
import { formatCount, formatDateTime } from "../components/format";
import { Layout } from "../layout";
import type { Notice } from "../../src/web/flash";

/** Contacts > Segments: search box and the segments table; the search swaps only the table. */
export function SegmentsPage({ user, segments, q, notice }: { user: SessionUser; segments: Segment[]; q: string; notice?: Notice | null }) {
  return (
    <Layout title="Segments" user={user} section="contacts" notice={notice}>
      <div class="page-head">
        <h1>Segments</h1>
        {hasRole(user.role, "editor") && (
          <div class="buttons">
            <a href="/segments/new" role="button">
              Create new segment
            </a>
          </div>
        )}
      </div>
      <form
        method="get"
        action="/segments"
        class="toolbar"
        role="search"
        hx-get="/segments"
        hx-target="#segments-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger="submit, input delay:300ms"
      >
        <label for="segments-q">
          Search segments
          <input id="segments-q" type="search" name="q" value={q} placeholder="Name or description" autocomplete="off" />
        </label>
        <button type="submit" class="narrow secondary">
          Search
        </button>
      </form>
      <SegmentsResults segments={segments} q={q} />
    </Layout>
  );
}

export function SegmentsResults({ segments, q }: { segments: Segment[]; q: string }) {
  return (
    <section id="segments-results" aria-live="polite">
      {segments.length === 0 ? (
        <p class="empty-state">
          {q ? (
            `No segment matches "${q}".`
          ) : (
            <>
              No segments yet. <a href="/segments/new">Create a segment</a> to start grouping contacts, or <a href="/imports/new">import a file</a> into a new
              one.
            </>
          )}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Type</th>
                <th scope="col" class="num">
                  Members
                </th>
                <th scope="col">Last change</th>
                <th scope="col" class="actions">
                  Actions
                </th>
              </tr>
            </thead>
            <tbody>
              {segments.map((s) => (
                <tr>
                  <td class="card-title">
                    <a href={`/segments/${s.id}/contacts`}>{s.name}</a>
                  </td>
                  <td class="description card-more">{s.description}</td>
                  <td data-label="Type">
                    <span class="badge">Static</span>
                  </td>
                  <td class="num" data-label="Members" data-testid="member-count">
                    {formatCount(s.memberCount)}
                  </td>
                  <td data-label="Last change">
                    <time datetime={s.updatedAt.toISOString()}>{formatDateTime(s.updatedAt)}</time>
                  </td>
                  <td class="actions">
                    <a href={`/segments/${s.id}`} role="button" class="secondary outline" aria-label={`Edit ${s.name}`}>
                      Edit
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
