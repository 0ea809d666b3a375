import type { SessionUser } from "../../src/auth/session";
import { encodeCursor, formatRowIndex, type ContactListPage, type ListState } from "../../src/contacts/list";
import type { Segment } from "../../src/segments/queries";
import { ContactsTable, ListNav } from "../components/contacts-table";
import { contactsHref, ListSettings, SEARCH_TRIGGER } from "../contacts/list";
import { queryString } from "../components/format";
import { Layout } from "../layout";
import { SegmentHead } from "./page";
import { whyHref } from "./why";
import type { Notice } from "../../src/web/flash";

export interface MembersProps {
  segment: Segment;
  page: ContactListPage;
  q: string;
  state: ListState;
  canWrite: boolean;
}

/** A segment's contacts: add one by email, search within members, remove one or a selection. */
export function SegmentContactsPage(props: MembersProps & { user: SessionUser; notice?: Notice | null; error?: string; email?: string }) {
  const { segment, user, q } = props;
  return (
    <Layout title={`${segment.name}: contacts`} user={user} section="contacts" notice={props.notice}>
      <SegmentHead segment={segment} current="contacts" />
      {segment.type === "dynamic" && (
        <p class="muted">
          The members are the contacts its <a href={`/segments/${segment.id}`}>conditions</a> match, kept current as contacts and events change.
        </p>
      )}
      {props.canWrite && (
        <form method="post" action={`/segments/${segment.id}/contacts`} class="toolbar add-contact">
          <label for="add-email">
            Email of the contact to add
            <input
              id="add-email"
              name="email"
              type="email"
              required
              value={props.email ?? ""}
              autocomplete="off"
              aria-invalid={props.error ? "true" : undefined}
              aria-describedby={props.error ? "add-email-error" : "add-email-hint"}
            />
          </label>
          <button type="submit" class="narrow">
            Add contact
          </button>
        </form>
      )}
      {props.canWrite &&
        (props.error ? (
          <small id="add-email-error" class="add-contact-hint error-text" role="alert">
            {props.error}
          </small>
        ) : (
          <small id="add-email-hint" class="add-contact-hint muted">
            A new email creates the contact, and says so.
          </small>
        ))}
      <form
        method="get"
        action={`/segments/${segment.id}/contacts`}
        class="toolbar"
        role="search"
        hx-get={`/segments/${segment.id}/contacts`}
        hx-target="#members-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger={SEARCH_TRIGGER}
      >
        <label for="members-q">
          Search members
          <input id="members-q" type="search" name="q" value={q} placeholder="Email, domain, phone, name or field value" autocomplete="off" />
        </label>
        <ListSettings state={props.state} idPrefix="members" />
        <button type="submit" class="narrow secondary">
          Search
        </button>
      </form>
      {props.canWrite && (
        <form id="members-bulk" method="post" action={`/segments/${segment.id}/contacts/remove`} class="bulk-bar">
          {/* Ticked ids of rows not on screen (another search or page), kept by public/app.js. */}
          <input type="hidden" name="kept" value="" data-kept-ids />
          <span class="muted">Tick contacts below, then</span>
          <span class="muted js-only" data-selected-count aria-live="polite"></span>
          <button type="submit" class="secondary">
            Remove selected from segment
          </button>
        </form>
      )}
      <SegmentMembersResults {...props} />
    </Layout>
  );
}

export function SegmentMembersResults({ segment, page, q, state, canWrite }: MembersProps) {
  const href = (p = {}) => contactsHref({ q, segmentId: null, state }, p, `/segments/${segment.id}/contacts`);
  const formId = "members-bulk";
  // Where a removal comes back to: this very page.
  const p = state.position;
  const at = state.at ? { at: formatRowIndex(state.at) } : {};
  const here = href(
    p.kind === "after"
      ? { after: encodeCursor(p.cursor), ...at }
      : p.kind === "before"
        ? { before: encodeCursor(p.cursor), ...at }
        : p.kind === "last"
          ? { last: "1" }
          : {},
  );
  return (
    <section id="members-results" aria-live="polite">
      {canWrite && page.rows.length > 0 && <input type="hidden" name="back" value={here} form={formId} />}
      <ContactsTable
        rows={page.rows}
        selectForm={canWrite ? formId : undefined}
        showMembership
        sortedBy={state}
        empty={q ? `No member matches "${q}".` : "This segment has no contacts yet."}
        rowActions={
          segment.type === "dynamic"
            ? (r) => (
                <a href={whyHref(segment.id, r.id)}>
                  Why?<span class="visually-hidden"> ({r.email} is in it)</span>
                </a>
              )
            : canWrite
              ? (r) => (
                  <form method="post" action={`/segments/${segment.id}/contacts/remove`}>
                    <input type="hidden" name="ids" value={String(r.id)} />
                    <input type="hidden" name="back" value={here} />
                    <button type="submit" class="secondary outline" aria-label={`Remove ${r.email} from segment`}>
                      Remove
                    </button>
                  </form>
                )
              : undefined
        }
      />
      <ListNav
        page={page}
        state={state}
        total={q ? null : segment.memberCount}
        href={href}
        countHref={`/contacts/count${queryString({ q, segment: segment.id })}`}
        target="#members-results"
      />
    </section>
  );
}
