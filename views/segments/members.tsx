import type { SessionUser } from "../../src/auth/session";
import type { ContactPage } from "../../src/contacts/queries";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/web";
import { ContactsTable, Pager } from "../components/contacts-table";
import { queryString } from "../components/format";
import { Layout } from "../layout";
import { SegmentHead } from "./page";
import type { Notice } from "../../src/flash";

export interface MembersProps {
  segment: Segment;
  page: ContactPage;
  q: string;
  cursor: string | null;
  canWrite: boolean;
}

/** A segment's contacts: add one by email, search within members, remove one or a selection. */
export function SegmentContactsPage(props: MembersProps & { user: SessionUser; notice?: Notice | null; error?: string; email?: string }) {
  const { segment, user, q } = props;
  return (
    <Layout title={`${segment.name}: contacts`} user={user} section="contacts" notice={props.notice}>
      <SegmentHead segment={segment} current="contacts" />
      {hasRole(user.role, "editor") && (
        <form method="post" action={`/segments/${segment.id}/contacts`} class="toolbar add-contact">
          <label for="add-email">
            Email of the contact to add
            <input id="add-email" name="email" type="email" required value={props.email ?? ""} autocomplete="off"
              aria-invalid={props.error ? "true" : undefined} aria-describedby={props.error ? "add-email-error" : "add-email-hint"} />
          </label>
          <button type="submit" class="narrow">Add contact</button>
        </form>
      )}
      {hasRole(user.role, "editor") &&
        (props.error ? (
          <small id="add-email-error" class="add-contact-hint error-text" role="alert">{props.error}</small>
        ) : (
          <small id="add-email-hint" class="add-contact-hint muted">A new email creates the contact, and says so.</small>
        ))}
      <form method="get" action={`/segments/${segment.id}/contacts`} class="toolbar" role="search"
        hx-get={`/segments/${segment.id}/contacts`} hx-target="#members-results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="submit, input delay:300ms">
        <label for="members-q">
          Search members
          <input id="members-q" type="search" name="q" value={q} placeholder="Email starts with, or name contains" autocomplete="off" />
        </label>
        <button type="submit" class="narrow secondary">Search</button>
      </form>
      <SegmentMembersResults {...props} />
    </Layout>
  );
}

export function SegmentMembersResults({ segment, page, q, cursor, canWrite }: MembersProps) {
  const href = (c: string | null) => `/segments/${segment.id}/contacts${queryString({ q, cursor: c })}`;
  const formId = "members-bulk";
  return (
    <section id="members-results" aria-live="polite">
      {canWrite && page.rows.length > 0 && (
        <form id={formId} method="post" action={`/segments/${segment.id}/contacts/remove`} class="bulk-bar">
          <input type="hidden" name="back" value={href(cursor)} />
          <span class="muted">Tick contacts below, then</span>
          <button type="submit" class="secondary">Remove selected from segment</button>
        </form>
      )}
      <ContactsTable
        rows={page.rows}
        selectForm={canWrite ? formId : undefined}
        showMembership
        empty={q ? `No member matches "${q}".` : "This segment has no contacts yet."}
        rowActions={
          canWrite
            ? (r) => (
                <form method="post" action={`/segments/${segment.id}/contacts/remove`}>
                  <input type="hidden" name="ids" value={String(r.id)} />
                  <input type="hidden" name="back" value={href(cursor)} />
                  <button type="submit" class="secondary outline" aria-label={`Remove ${r.email} from segment`}>Remove</button>
                </form>
              )
            : undefined
        }
      />
      <Pager href={href} nextCursor={page.nextCursor} onFirstPage={!cursor} target="#members-results" shown={page.rows.length} />
    </section>
  );
}
