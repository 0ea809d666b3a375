import type { Child } from "hono/jsx";
import { firstRowIndex, formatRowIndex, rowRange, type ContactListPage, type ListState, type RowIndex, type SortName } from "../../src/contacts/list";
import type { ContactRow } from "../../src/contacts/queries";
import { formatCount, formatDate, formatDateTime } from "./format";
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
  /** The column the rows are sorted by, announced with aria-sort. */
  sortedBy?: { sort: SortName; dir: "asc" | "desc" };
}

/**
 * The contacts table, as Contacts > See all and a segment's member table both show it. Each row's checkbox is
 * labelled by the contact's email (the visible label), and belongs to the bulk form through form=. Every cell has a
 * data-label naming its column, for narrow screens that show a row as a card.
 */
export function ContactsTable({ rows, selectForm, showMembership, rowActions, empty, sortedBy }: ContactsTableProps) {
  if (rows.length === 0) return <p class="empty-state">{empty}</p>;
  const sorted = (name: SortName) => (sortedBy?.sort === name ? { "aria-sort": sortedBy.dir === "asc" ? "ascending" : "descending" } : {});
  return (
    <div class="table-wrap">
      <table class="contacts-table">
        <thead>
          <tr>
            <th scope="col" {...sorted("email")}>
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
            <th scope="col" {...sorted("first_name")}>
              First name
            </th>
            <th scope="col" {...sorted("last_name")}>
              Last name
            </th>
            <th scope="col">Phone</th>
            <th scope="col" class="num">
              Segments
            </th>
            {showMembership && <th scope="col">Added</th>}
            <th scope="col" {...sorted("created")}>
              Created
            </th>
            <th scope="col" {...sorted("updated")}>
              Last change
            </th>
            {rowActions && (
              <th scope="col" class="actions">
                Actions
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <td data-label="Email">
                {selectForm ? (
                  <label class="row-select">
                    <input type="checkbox" name="ids" value={String(r.id)} form={selectForm} aria-label={`Select ${r.email}`} />
                    <a href={`/contacts/${r.id}`}>{r.email}</a>
                  </label>
                ) : (
                  <a href={`/contacts/${r.id}`}>{r.email}</a>
                )}
              </td>
              <td data-label="First name">{r.firstName ?? ""}</td>
              <td data-label="Last name">{r.lastName ?? ""}</td>
              <td data-label="Phone">{r.phone ?? ""}</td>
              <td data-label="Segments" class="num">
                {r.segmentsCount}
              </td>
              {showMembership && (
                <td data-label="Added">
                  {r.membership && (
                    <>
                      <time datetime={r.membership.addedAt.toISOString()}>{formatDateTime(r.membership.addedAt)}</time>
                      <br />
                      <small class="muted">
                        <SourceText {...r.membership} />
                      </small>
                    </>
                  )}
                </td>
              )}
              <td data-label="Created">
                <time datetime={r.createdAt.toISOString()}>{formatDate(r.createdAt)}</time>
              </td>
              <td data-label="Last change">
                <time datetime={r.updatedAt.toISOString()} title={formatDateTime(r.updatedAt)}>
                  {formatDate(r.updatedAt)}
                </time>
              </td>
              {rowActions && (
                <td data-label="Actions" class="actions">
                  {rowActions(r)}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Query parameters of a page link: a cursor and the index of its row, or the last page. */
export type PageParams = { after?: string; before?: string; at?: string; last?: "1" };

/**
 * "1–50 of 401,953" and First, Previous, Next, Last (keyset cursors both ways; Last reads the reverse order's first
 * page). With htmx the links swap only `target` and push the URL. A total not known yet is loaded by `countHref`,
 * whose answer is this range again.
 */
export function ListNav(props: {
  page: ContactListPage;
  state: ListState;
  total: number | null;
  href: (p: PageParams) => string;
  countHref: string;
  target: string;
}) {
  const { page, state } = props;
  const shown = page.rows.length;
  const first = firstRowIndex(state, shown);
  const lastShown: RowIndex | null = first && { from: first.from, n: first.from === "s" ? first.n + shown - 1 : first.n - shown + 1 };
  const link = (label: string, href: string | null, rel?: string) =>
    href ? (
      <a href={href} hx-get={href} hx-target={props.target} hx-swap="outerHTML" hx-push-url="true" role="button" class="secondary outline" rel={rel}>
        {label}
      </a>
    ) : (
      <a role="button" aria-disabled="true" class="secondary outline">
        {label}
      </a>
    );
  return (
    <nav class="pager" aria-label="Pages">
      {props.total === null && shown > 0 ? (
        <span
          class="range"
          hx-get={`${props.countHref}${props.countHref.includes("?") ? "&" : "?"}shown=${shown}${first ? `&first=${formatRowIndex(first)}` : ""}`}
          hx-trigger="load"
          hx-swap="outerHTML"
        >
          <ListRange first={first} shown={shown} total={null} />
        </span>
      ) : (
        <ListRange first={first} shown={shown} total={props.total} />
      )}
      {(page.hasPrevious || page.hasNext) && (
        <span class="pager-links">
          {link("First", page.hasPrevious ? props.href({}) : null)}
          {link("Previous", page.hasPrevious && page.first ? props.href({ before: page.first, ...(first && { at: formatRowIndex(first) }) }) : null, "prev")}
          {link("Next", page.hasNext && page.last ? props.href({ after: page.last, ...(lastShown && { at: formatRowIndex(lastShown) }) }) : null, "next")}
          {link("Last", page.hasNext ? props.href({ last: "1" }) : null)}
        </span>
      )}
    </nav>
  );
}

/** The rows shown and the total: "1–50 of 401,953", "51–100 of …" while the total is counted. */
export function ListRange({ first, shown, total }: { first: RowIndex | null; shown: number; total: number | null }) {
  const range = rowRange(first, shown, total);
  const of = total === null ? "…" : formatCount(total);
  return (
    <span class="range" data-testid="list-range">
      {shown === 0 ? `0 of ${of}` : range ? `${formatCount(range.start)}–${formatCount(range.end)} of ${of}` : `${formatCount(shown)} shown of ${of}`}
    </span>
  );
}
