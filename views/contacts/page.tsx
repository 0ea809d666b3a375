import type { SessionUser } from "../../src/auth/session";
import type { ContactRow, ContactSegment } from "../../src/contacts/queries";
import type { CustomFieldDef } from "../../src/custom-fields/queries";
import type { MembershipEvent } from "../../src/segments/history";
import type { Segment } from "../../src/segments/queries";
import { hasRole } from "../../src/auth/roles";
import type { FieldErrors } from "../auth/pages";
import { formatDateTime } from "../components/format";
import { HistoryTable } from "../components/history-table";
import { RecentEvents } from "../events/recent-events";
import type { RecentEvent } from "../../src/events/queries";
import { SourceText } from "../components/source";
import { Layout } from "../layout";
import { ContactFields } from "./form";
import { whyHref } from "../segments/why";
import type { Notice } from "../../src/web/flash";

/** A contact's values as the edit form shows them (custom values keyed "custom.<key>"). */
export function contactFormValues(contact: ContactRow): Record<string, string> {
  const values: Record<string, string> = {
    email: contact.email,
    firstName: contact.firstName ?? "",
    lastName: contact.lastName ?? "",
    phone: contact.phone ?? "",
  };
  for (const [k, v] of Object.entries(contact.custom)) values[`custom.${k}`] = v === null ? "" : String(v);
  return values;
}

function customText(def: CustomFieldDef, v: unknown): string {
  if (v === undefined || v === null || v === "") return "";
  if (def.type === "boolean") return v ? "Yes" : "No";
  return String(v);
}

export function ContactPage(props: {
  user: SessionUser;
  contact: ContactRow;
  customFields: CustomFieldDef[];
  memberships: ContactSegment[];
  segments: Pick<Segment, "id" | "name" | "type">[];
  history: { events: MembershipEvent[]; nextCursor: string | null };
  recentEvents: RecentEvent[];
  values?: Record<string, string>;
  errors?: FieldErrors;
  notice?: Notice | null;
}) {
  const { user, contact, customFields, memberships, history, errors = {} } = props;
  const canWrite = hasRole(user.role, "editor");
  const values = props.values ?? contactFormValues(contact);
  const inSegments = new Set(memberships.map((m) => m.id));
  // Only static segments take contacts by hand: a dynamic segment's members follow its conditions.
  const addable = props.segments.filter((s) => !inSegments.has(s.id) && s.type === "static");
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(" ");
  return (
    <Layout title={contact.email} user={user} section="contacts" notice={props.notice}>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/contacts">Contacts</a>
          </li>
          <li>{contact.email}</li>
        </ul>
      </nav>
      <div class="page-head">
        <div>
          <h1 class="break">{contact.email}</h1>
          <p class="muted subtitle">
            {name ? `${name} · ` : ""}created {formatDateTime(contact.createdAt)}
          </p>
        </div>
        {canWrite && (
          <div class="buttons">
            <a href={`/contacts/${contact.id}/delete`} role="button" class="secondary outline danger">
              Delete contact
            </a>
          </div>
        )}
      </div>
      <div class="contact-columns">
        <article>
          <header>
            <h2>Fields</h2>
          </header>
          {canWrite ? (
            <form method="post" action={`/contacts/${contact.id}`}>
              <ContactFields values={values} errors={errors} customFields={customFields} />
              <button type="submit">Save</button>
            </form>
          ) : (
            <dl class="fields">
              <dt>Email</dt>
              <dd>{contact.email}</dd>
              <dt>First name</dt>
              <dd>{contact.firstName ?? ""}</dd>
              <dt>Last name</dt>
              <dd>{contact.lastName ?? ""}</dd>
              <dt>Phone</dt>
              <dd>{contact.phone ?? ""}</dd>
              {customFields.map((f) => (
                <>
                  <dt>{f.label}</dt>
                  <dd>{customText(f, contact.custom[f.key])}</dd>
                </>
              ))}
            </dl>
          )}
        </article>
        <article>
          <header>
            <h2>Segments</h2>
          </header>
          {memberships.length === 0 ? (
            <p class="empty-state">Not in any segment.</p>
          ) : (
            <div class="table-wrap">
              <table class="cards">
                <thead>
                  <tr>
                    <th scope="col">Segment</th>
                    <th scope="col">Added</th>
                    {canWrite && (
                      <th scope="col" class="actions">
                        Actions
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {memberships.map((m) => (
                    <tr>
                      <td class="card-title">
                        <a href={`/segments/${m.id}/contacts`}>{m.name}</a>
                      </td>
                      <td data-label="Added">
                        {formatDateTime(m.addedAt)}
                        <br />
                        <small class="muted">
                          <SourceText {...m} />
                        </small>
                        {m.sourceType === "conditions" && (
                          <>
                            <br />
                            <a href={whyHref(m.id, contact.id)}>
                              Why is this contact in it?<span class="visually-hidden"> ({m.name})</span>
                            </a>
                          </>
                        )}
                      </td>
                      {canWrite && (
                        <td class="actions">
                          {m.sourceType === "conditions" ? (
                            <small class="muted">By its conditions</small>
                          ) : (
                            <form method="post" action={`/contacts/${contact.id}/segments/${m.id}/remove`}>
                              <button type="submit" class="secondary outline" aria-label={`Remove from ${m.name}`}>
                                Remove
                              </button>
                            </form>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {canWrite && addable.length > 0 && (
            <form method="post" action={`/contacts/${contact.id}/segments`} class="toolbar">
              <div class="select-field">
                <label for="add-segment">Segment</label>
                <select id="add-segment" name="segment" required>
                  {addable.map((s) => (
                    <option value={String(s.id)}>{s.name}</option>
                  ))}
                </select>
              </div>
              <button type="submit" class="narrow">
                Add to segment
              </button>
            </form>
          )}
        </article>
      </div>
      <section>
        <h2>Membership history</h2>
        <HistoryTable
          events={history.events}
          show="segment"
          moreHref={history.nextCursor ? `/contacts/${contact.id}?history=${history.nextCursor}` : null}
          empty="This contact has not entered or left any segment yet."
        />
      </section>
      <RecentEvents events={props.recentEvents} />
    </Layout>
  );
}

export function DeleteContactPage({ user, contact, segmentsCount }: { user: SessionUser; contact: ContactRow; segmentsCount: number }) {
  return (
    <Layout title={`Delete ${contact.email}`} user={user} section="contacts">
      <article class="form-card">
        <header>
          <h1 class="break">Delete the contact {contact.email}?</h1>
        </header>
        <p>
          The contact is removed from {segmentsCount === 1 ? "the 1 segment" : `the ${segmentsCount} segments`} it is in, and its fields are deleted. Its
          membership history is kept. This cannot be undone.
        </p>
        <form method="post" action={`/contacts/${contact.id}/delete`} class="form-buttons">
          <button type="submit" class="danger">
            Delete contact
          </button>
          <a href={`/contacts/${contact.id}`} role="button" class="secondary outline">
            Keep it
          </a>
        </form>
      </article>
    </Layout>
  );
}
