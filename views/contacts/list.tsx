import type { SessionUser } from "../../src/auth/session";
import { ORDER_LABELS, PAGE_SIZES, type ContactListPage, type ListState } from "../../src/contacts/list";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/auth/roles";
import { ContactsTable, ListNav, type PageParams } from "../components/contacts-table";
import { formatCount, queryString } from "../components/format";
import { Layout } from "../layout";
import type { Notice } from "../../src/web/flash";
import type { StartSteps } from "../../src/start/checklist";
import { StartChecklist } from "../components/start-checklist";
import type { ConditionGroup } from "../../src/conditions/grammar";
import type { DraftGroup } from "../../src/conditions/form";
import { ConditionsBuilder, type BuilderCustomField } from "../conditions/builder";

export interface ContactsListProps {
  page: ContactListPage;
  q: string;
  segmentId: number | null;
  state: ListState;
  segments: Pick<Segment, "id" | "name" | "memberCount" | "type">[];
  canWrite: boolean;
  /** Known without a scan (a segment alone); otherwise loaded after the page by /contacts/count. */
  matching: number | null;
  /** The conditions filtering the list (src/conditions/), and why they cannot (the list then shows nothing). */
  conditions?: ConditionGroup | null;
  conditionsError?: string | null;
  /** The "Filter by conditions" builder: its draft, errors, and whether it starts open. */
  builder?: { draft: DraftGroup; errors?: Record<string, string>; open: boolean; segments: { id: number; name: string }[]; customFields: BuilderCustomField[] };
}

/** The list's URL for the current filter, sort and size, on the page `p` says. */
export function contactsHref(props: Pick<ContactsListProps, "q" | "segmentId" | "state" | "conditions">, p: PageParams = {}, base = "/contacts"): string {
  const { state } = props;
  return `${base}${queryString({
    q: props.q,
    segment: props.segmentId,
    conditions: props.conditions ? JSON.stringify(props.conditions) : null,
    order: state.order === "created-desc" ? null : state.order,
    size: state.size === PAGE_SIZES[0] ? null : state.size,
    ...p,
  })}`;
}

/** Sort and page size selects, shared by Contacts > See all and a segment's View contacts. */
export function ListSettings({ state, idPrefix }: { state: ListState; idPrefix: string }) {
  return (
    <>
      <div class="select-field">
        <label for={`${idPrefix}-order`}>Sort by</label>
        <select id={`${idPrefix}-order`} name="order">
          {Object.entries(ORDER_LABELS).map(([value, label]) => (
            <option value={value} selected={value === state.order}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="select-field narrow">
        <label for={`${idPrefix}-size`}>Per page</label>
        <select id={`${idPrefix}-size`} name="size">
          {PAGE_SIZES.map((n) => (
            <option value={String(n)} selected={n === state.size}>
              {String(n)}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}

/**
 * The search form's htmx trigger. `changed` skips an event whose field holds the value it held at the last search
 * (leaving the search box, Enter on the same text), so nothing is redrawn when nothing changed.
 */
export const SEARCH_TRIGGER = "submit, input changed delay:300ms, change changed";

/**
 * Contacts > See all: search, segment filter, conditions, sort and page size (htmx swaps only the results; a newer
 * request replaces one still running, so a slow answer never lands over a newer one), and bulk segment
 * changes. The bulk form sits outside the results, so a redraw keeps what is ticked (public/app.js re-ticks rows).
 */
export function ContactsPage(props: ContactsListProps & { user: SessionUser; notice?: Notice | null; start?: StartSteps | null }) {
  const { user, q, segmentId, segments } = props;
  const bulk = props.canWrite && segments.length > 0;
  return (
    <Layout title="Contacts" user={user} section="contacts" notice={props.notice}>
      <div class="page-head">
        <h1>Contacts</h1>
        {hasRole(user.role, "editor") && (
          <div class="buttons">
            <a href="/contacts/new" role="button">
              Add contact
            </a>
            <a href="/imports/new" role="button" class="secondary">
              Import
            </a>
            <a href="/exports/new" role="button" class="secondary outline">
              Export
            </a>
          </div>
        )}
      </div>
      {props.start && <StartChecklist steps={props.start} />}
      <form
        method="get"
        action="/contacts"
        class="toolbar"
        role="search"
        hx-get="/contacts"
        hx-target="#contacts-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger={SEARCH_TRIGGER}
        hx-sync="this:replace"
      >
        <label for="contacts-q">
          Search
          <input
            id="contacts-q"
            type="search"
            name="q"
            value={q}
            placeholder="Email, domain, phone, name or field value"
            autocomplete="off"
            aria-describedby="contacts-q-hint"
          />
        </label>
        <div class="select-field">
          <label for="contacts-segment">Segment</label>
          <select id="contacts-segment" name="segment">
            <option value="" selected={!segmentId}>
              All contacts
            </option>
            {segments.map((s) => (
              <option value={String(s.id)} selected={s.id === segmentId}>{`${s.name} (${formatCount(s.memberCount)})`}</option>
            ))}
          </select>
        </div>
        <ListSettings state={props.state} idPrefix="contacts" />
        <button type="submit" class="narrow secondary">
          Search
        </button>
        <small id="contacts-q-hint" class="muted search-hint">
          An email or its start (ana@, zoe.gar), a domain (gmail.com, @acme.es), a phone in any format, part of a name, or a custom field's value.
        </small>
        {props.builder && (
          <details class="conditions-filter" open={props.builder.open}>
            <summary>Filter by conditions</summary>
            <ConditionsBuilder
              draft={props.builder.draft}
              prefix="c"
              segments={props.builder.segments}
              customFields={props.builder.customFields}
              errors={props.builder.errors}
              builderUrl="/conditions/builder"
              legend="Contacts matching"
            />
          </details>
        )}
      </form>
      {bulk && (
        <form id="contacts-bulk" method="post" action="/contacts/bulk" class="bulk-bar" hx-post="/contacts/bulk" hx-target="#bulk-confirm" hx-swap="innerHTML">
          {/* Ticked ids of rows not on screen (another search or page), kept by public/app.js. */}
          <input type="hidden" name="kept" value="" data-kept-ids />
          <label for="bulk-all" class="bulk-all">
            <input id="bulk-all" type="checkbox" name="all" value="1" />
            <MatchingLabel n={props.matching} />
          </label>
          <span class="muted js-only" data-selected-count aria-live="polite"></span>
          <div class="select-field">
            <label for="bulk-target">Segment to change</label>
            <select id="bulk-target" name="target" required>
              <option value="" selected>
                Choose a segment
              </option>
              {segments
                .filter((s) => s.type === "static")
                .map((s) => (
                  <option value={String(s.id)}>{s.name}</option>
                ))}
            </select>
          </div>
          <div class="bulk-buttons">
            <button type="submit" name="action" value="add">
              Add to segment
            </button>
            <button type="submit" name="action" value="remove" class="secondary">
              Remove from segment
            </button>
          </div>
        </form>
      )}
      {bulk && <div id="bulk-confirm"></div>}
      <ContactsResults {...props} />
    </Layout>
  );
}

export function ContactsResults(props: ContactsListProps & { fragment?: boolean }) {
  const { page, q, segmentId, segments, canWrite, state } = props;
  const formId = "contacts-bulk";
  const bulk = canWrite && segments.length > 0;
  return (
    <>
      <section id="contacts-results" aria-live="polite">
        {bulk && (
          <>
            {/* The filter "Select all matching" means: the one shown, belonging to the bulk form outside. */}
            <input type="hidden" name="q" value={q} form={formId} />
            <input type="hidden" name="segment" value={segmentId ? String(segmentId) : ""} form={formId} />
            <input type="hidden" name="conditions" value={props.conditions ? JSON.stringify(props.conditions) : ""} form={formId} />
          </>
        )}
        {props.conditionsError && (
          <p class="notice warning" role="alert" data-testid="conditions-error">
            {props.conditionsError}
          </p>
        )}
        <ContactsTable
          rows={page.rows}
          selectForm={bulk ? formId : undefined}
          showMembership={Boolean(segmentId)}
          sortedBy={state}
          empty={
            props.conditionsError ? (
              "No contacts shown until the conditions can be used."
            ) : q || segmentId || props.conditions ? (
              "No contact matches this search and filter."
            ) : (
              <NoContactsYet canWrite={canWrite} />
            )
          }
        />
        <ListNav
          page={page}
          state={state}
          total={props.matching}
          href={(p) => contactsHref(props, p)}
          countHref={`/contacts/count${queryString({ q, segment: segmentId, conditions: props.conditions ? JSON.stringify(props.conditions) : null })}`}
          target="#contacts-results"
        />
      </section>
      {/* A redraw by htmx also renews the count of "Select all N matching" outside the results. */}
      {props.fragment && bulk && <MatchingLabel n={props.matching} oob />}
    </>
  );
}

export function MatchingLabel({ n, oob }: { n: number | null; oob?: boolean }) {
  return (
    <span id="bulk-all-label" hx-swap-oob={oob ? "true" : undefined}>
      {n === null ? "Select all matching" : <MatchingCount n={n} />}
    </span>
  );
}

export function MatchingCount({ n }: { n: number }) {
  return <span data-testid="matching-count">Select all {formatCount(n)} matching</span>;
}

function NoContactsYet({ canWrite }: { canWrite: boolean }) {
  if (!canWrite) return <>No contacts yet.</>;
  return (
    <>
      No contacts yet. <a href="/imports/new">Import a CSV file</a>, <a href="/contacts/new">add one by hand</a>, or let your shop send them with an{" "}
      <a href="/admin/api-keys">API key</a>.
    </>
  );
}
