import type { Child } from "hono/jsx";
import type { ContactRow } from "../../src/contacts/queries";
import { formatDate, formatDateTime } from "./format";
import { SourceText } from "./source";

export interface ContactsTableProps {
  rows: ContactRow[];
  /** id of the form the row checkboxes belong to (bulk actions); no checkboxes without it. */
  selectForm?: string;
  /** Show when and by what each contact entered the segment the table is filtered to. */
  showMembership?: boolean;
  /** Extra per-row buttons (e.g. "Remove" on a segment's member table). */
  rowActions?: (row: ContactRow) => Child;
  empty: Child;
}

/**
 * The contacts table, as Contacts > See all and a segment's member table both show it. Each row's checkbox is
 * labelled by the contact's email (the visible label), and belongs to the bulk form through form=.
 */
export function ContactsTable({ rows, selectForm, showMembership, rowActions, empty }: ContactsTableProps) {
  if (rows.length === 0) return <p class="empty-state">{empty}</p>;
  return (
    <div class="table-wrap">
      <table class="contacts-table">
        <thead>
          <tr>
            <th scope="col">
              {selectForm ? (
                <label class="row-select">
                  {/* Shown only with app.js, which makes it work (html.js). */}
                  <input type="checkbox" class="js-only" data-select-page form={selectForm} aria-label="Select every contact on this page" />
                  Email
                </label>
              ) : (
                "Email"
              )}
            </th>
            <th scope="col">First name</th>
            <th scope="col">Last name</th>
            <th scope="col">Phone</th>
            <th scope="col" class="num">Segments</th>
            {showMembership ? <th scope="col">Added</th> : <th scope="col">Created</th>}
            {rowActions && <th scope="col" class="actions">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td>
                {selectForm ? (
                  <label class="row-select">
                    <input type="checkbox" name="ids" value={String(r.id)} form={selectForm} />
                    <a href={`/contacts/${r.id}`}>{r.email}</a>
                  </label>
                ) : (
                  <a href={`/contacts/${r.id}`}>{r.email}</a>
                )}
              </td>
              <td>{r.firstName ?? ""}</td>
              <td>{r.lastName ?? ""}</td>
              <td>{r.phone ?? ""}</td>
              <td class="num">{r.segmentsCount}</td>
              {showMembership && r.membership ? (
                <td>
                  <time datetime={r.membership.addedAt.toISOString()}>{formatDateTime(r.membership.addedAt)}</time>
                  <br />
                  <small class="muted"><SourceText {...r.membership} /></small>
                </td>
              ) : (
                <td><time datetime={r.createdAt.toISOString()}>{formatDate(r.createdAt)}</time></td>
              )}
              {rowActions && <td class="actions">{rowActions(r)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Next page" (keyset cursor) and "First page" links; with htmx they swap only the target and keep the URL. */
export function Pager(props: { href: (cursor: string | null) => string; nextCursor: string | null; onFirstPage: boolean; target: string; shown: number }) {
  if (props.onFirstPage && !props.nextCursor) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <small class="muted">{props.shown} shown</small>
      {!props.onFirstPage && (
        <a href={props.href(null)} hx-get={props.href(null)} hx-target={props.target} hx-swap="outerHTML" hx-push-url="true" role="button" class="secondary outline">
          First page
        </a>
      )}
      {props.nextCursor && (
        <a href={props.href(props.nextCursor)} hx-get={props.href(props.nextCursor)} hx-target={props.target} hx-swap="outerHTML" hx-push-url="true" role="button" class="secondary">
          Next page
        </a>
      )}
    </nav>
  );
}
