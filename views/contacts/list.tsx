import type { SessionUser } from "../../src/auth/session";
import type { ContactPage } from "../../src/contacts/queries";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/web";
import { ContactsTable, Pager } from "../components/contacts-table";
import { formatCount, queryString } from "../components/format";
import { Layout } from "../layout";
import type { Notice } from "../../src/flash";
import type { StartSteps } from "../../src/start/checklist";
import { StartChecklist } from "../components/start-checklist";

export interface ContactsListProps {
  page: ContactPage;
  q: string;
  segmentId: number | null;
  cursor: string | null;
  segments: Pick<Segment, "id" | "name" | "memberCount">[];
  canWrite: boolean;
  /** Known without a scan (a segment alone); otherwise loaded after the page by /contacts/count. */
  matching: number | null;
}

/** Contacts > See all: search and segment filter (htmx swaps only the results), bulk segment changes. */
export function ContactsPage(props: ContactsListProps & { user: SessionUser; notice?: Notice | null; start?: StartSteps | null }) {
  const { user, q, segmentId, segments } = props;
  return (
    <Layout title="Contacts" user={user} section="contacts" notice={props.notice}>
      <div class="page-head">
        <h1>Contacts</h1>
        {hasRole(user.role, "editor") && (
          <div class="buttons">
            <a href="/contacts/new" role="button">Add contact</a>
            <a href="/imports/new" role="button" class="secondary">Import</a>
            <a href="/exports/new" role="button" class="secondary outline">Export</a>
          </div>
        )}
      </div>
      {props.start && <StartChecklist steps={props.start} />}
      <form method="get" action="/contacts" class="toolbar" role="search"
        hx-get="/contacts" hx-target="#contacts-results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="submit, input delay:300ms, change">
        <label for="contacts-q">
          Search
          <input id="contacts-q" type="search" name="q" value={q} placeholder="Email starts with, or name contains" autocomplete="off" />
        </label>
        <div class="select-field">
          <label for="contacts-segment">Segment</label>
          <select id="contacts-segment" name="segment">
            <option value="" selected={!segmentId}>All contacts</option>
            {segments.map((s) => (
              <option value={String(s.id)} selected={s.id === segmentId}>{`${s.name} (${formatCount(s.memberCount)})`}</option>
            ))}
          </select>
        </div>
        <button type="submit" class="narrow secondary">Search</button>
      </form>
      <ContactsResults {...props} />
    </Layout>
  );
}

export function ContactsResults({ page, q, segmentId, cursor, segments, canWrite, matching }: ContactsListProps) {
  const filter = { q, segment: segmentId };
  const href = (c: string | null) => `/contacts${queryString({ ...filter, cursor: c })}`;
  const formId = "contacts-bulk";
  return (
    <section id="contacts-results" aria-live="polite">
      {canWrite && page.rows.length > 0 && segments.length > 0 && (
        <form id={formId} method="post" action="/contacts/bulk" class="bulk-bar">
          <input type="hidden" name="q" value={q} />
          <input type="hidden" name="segment" value={segmentId ? String(segmentId) : ""} />
          <label for="bulk-all" class="bulk-all">
            <input id="bulk-all" type="checkbox" name="all" value="1" />
            {matching === null ? (
              <span hx-get={`/contacts/count${queryString(filter)}`} hx-trigger="load" hx-swap="outerHTML">Select all matching</span>
            ) : (
              <MatchingCount n={matching} />
            )}
          </label>
          <div class="select-field">
            <label for="bulk-target">Segment to change</label>
            <select id="bulk-target" name="target" required>
              {segments.map((s) => (
                <option value={String(s.id)} selected={s.id === segmentId}>{s.name}</option>
              ))}
            </select>
          </div>
          <div class="bulk-buttons">
            <button type="submit" name="action" value="add">Add to segment</button>
            <button type="submit" name="action" value="remove" class="secondary">Remove from segment</button>
          </div>
        </form>
      )}
      <ContactsTable
        rows={page.rows}
        selectForm={canWrite && segments.length > 0 ? formId : undefined}
        showMembership={Boolean(segmentId)}
        empty={q || segmentId ? "No contact matches this search and filter." : <NoContactsYet canWrite={canWrite} />}
      />
      <Pager href={href} nextCursor={page.nextCursor} onFirstPage={!cursor} target="#contacts-results" shown={page.rows.length} />
    </section>
  );
}

export function MatchingCount({ n }: { n: number }) {
  return <span data-testid="matching-count">Select all {formatCount(n)} matching</span>;
}

function NoContactsYet({ canWrite }: { canWrite: boolean }) {
  if (!canWrite) return <>No contacts yet.</>;
  return (
    <>
      No contacts yet. <a href="/imports/new">Import a CSV file</a>, <a href="/contacts/new">add one by hand</a>, or let your
      shop send them with an <a href="/admin/api-keys">API key</a>.
    </>
  );
}
