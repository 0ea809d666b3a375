// HTML pages of Contacts > See all: the filtered table, bulk segment changes, add, edit, delete, one contact's page.
import { Hono, type Context } from "hono";
import { MatchingCount } from "../../views/contacts/list";
import { ContactsPage, ContactsResults } from "../../views/contacts/list";
import { NewContactPage } from "../../views/contacts/form";
import { ContactPage, DeleteContactPage } from "../../views/contacts/page";
import { plural, queryString } from "../../views/components/format";
import { NotFoundPage } from "../../views/error";
import { getDefaultCountry } from "../auth/accounts";
import { listCustomFields } from "../custom-fields/queries";
import { listMembershipEvents } from "../segments/history";
import { listRecentEvents } from "../events/queries";
import { addContactsToSegment, removeContactsFromSegment, type ContactSelection } from "../segments/membership";
import { getSegment, listSegments } from "../segments/queries";
import { safeNextPath } from "../safe-path";
import { sourceOf, withNotice } from "../segments/routes";
import { hasRole, pageOrFragment, parseId, requireRole, type AppEnv } from "../web";
import {
  ContactEmailTakenError,
  countContacts,
  createContact,
  deleteContact,
  getContact,
  listContactSegments,
  listContacts,
  matchingContactsSql,
  normaliseQuery,
  updateContact,
  type ContactFilter,
} from "./queries";
import { parseContactForm, type ContactErrors } from "./validate";

function filterFrom(c: Context<AppEnv>): ContactFilter & { q: string; segmentId: number | null } {
  return { q: normaliseQuery(c.req.query("q")), segmentId: parseId(c.req.query("segment")) };
}

async function renderContactPage(c: Context<AppEnv>, contactId: number, extra: { values?: Record<string, string>; errors?: ContactErrors; status?: 200 | 422 } = {}) {
  const user = c.get("user")!;
  const db = c.get("db");
  const contact = await getContact(db, user.accountId, contactId);
  if (!contact) return c.html(<NotFoundPage user={user} />, 404);
  const [customFields, memberships, segments, history, recentEvents] = await Promise.all([
    listCustomFields(db, user.accountId),
    listContactSegments(db, user.accountId, contactId),
    listSegments(db, user.accountId),
    listMembershipEvents(db, user.accountId, { contactId }, { cursor: c.req.query("history"), limit: 20 }),
    listRecentEvents(db, user.accountId, contactId, 20),
  ]);
  return c.html(
    <ContactPage
      user={user}
      contact={contact}
      customFields={customFields}
      memberships={memberships}
      segments={segments}
      history={history}
      recentEvents={recentEvents}
      values={extra.values}
      errors={extra.errors}
      notice={c.req.query("notice")}
    />,
    extra.status ?? 200,
  );
}

export const contactRoutes = new Hono<AppEnv>()
  .use(requireRole("viewer"))
  .get("/", async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const filter = filterFrom(c);
    const cursor = c.req.query("cursor") || null;
    const [page, segments] = await Promise.all([listContacts(db, user.accountId, filter, { cursor, limit: 50 }), listSegments(db, user.accountId)]);
    // A segment alone has its exact count at hand; any other filter is counted after the page, by /contacts/count.
    const segment = filter.segmentId ? segments.find((s) => s.id === filter.segmentId) : undefined;
    const matching = segment && !filter.q ? segment.memberCount : null;
    const props = { page, q: filter.q, segmentId: segment ? segment.id : null, cursor, segments, canWrite: hasRole(user.role, "editor"), matching };
    return pageOrFragment(
      c,
      () => <ContactsPage {...props} user={user} notice={c.req.query("notice")} />,
      () => <ContactsResults {...props} />,
    );
  })
  .get("/count", async (c) => {
    const user = c.get("user")!;
    const n = await countContacts(c.get("db"), user.accountId, filterFrom(c));
    return c.html(<MatchingCount n={n} />);
  })
  .get("/new", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    return c.html(<NewContactPage user={user} customFields={await listCustomFields(c.get("db"), user.accountId)} />);
  })
  .post("/", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const form = (await c.req.parseBody()) as Record<string, string>;
    const customFields = await listCustomFields(db, user.accountId);
    const { data, errors } = parseContactForm(form, customFields, await getDefaultCountry(db, user.accountId));
    if (!data) return c.html(<NewContactPage user={user} customFields={customFields} values={form} errors={errors} />, 422);
    try {
      const contact = await createContact(db, user.accountId, data);
      return c.redirect(withNotice(`/contacts/${contact.id}`, `The contact ${contact.email} was added.`), 303);
    } catch (e) {
      if (e instanceof ContactEmailTakenError) return c.html(<NewContactPage user={user} customFields={customFields} values={form} errors={{ email: e.message }} />, 422);
      throw e;
    }
  })
  .post("/bulk", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const body = await c.req.parseBody({ all: true });
    const one = (k: string) => (Array.isArray(body[k]) ? String((body[k] as unknown[])[0]) : body[k] === undefined ? "" : String(body[k]));
    const filter = { q: normaliseQuery(one("q")), segmentId: parseId(one("segment")) };
    const back = `/contacts${queryString({ q: filter.q, segment: filter.segmentId })}`;
    const target = parseId(one("target"));
    const segment = target ? await getSegment(db, user.accountId, target) : null;
    if (!segment) return c.redirect(withNotice(back, "Choose a segment."), 303);
    const ids = (Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids]).map((v) => parseId(String(v))).filter((v): v is number => v !== null);
    const all = one("all") === "1";
    if (!all && ids.length === 0) return c.redirect(withNotice(back, "Tick some contacts, or “Select all matching”, first."), 303);
    // "All matching" is one set-based statement over the same filter the table shows, whatever its size.
    const selection: ContactSelection = all ? matchingContactsSql(user.accountId, filter) : ids;
    const source = sourceOf(c.get("actor"));
    let notice: string;
    if (one("action") === "remove") {
      const r = await removeContactsFromSegment(db, user.accountId, segment.id, selection, source);
      notice = `${plural(r.removed, "contact")} removed from ${segment.name}${r.notMembers ? ` (${plural(r.notMembers, "was", "were")} not in it)` : ""}.`;
    } else {
      const r = await addContactsToSegment(db, user.accountId, segment.id, selection, source);
      notice = `${plural(r.added, "contact")} added to ${segment.name}${r.alreadyMembers ? ` (${formatAlready(r.alreadyMembers)})` : ""}.`;
    }
    return c.redirect(withNotice(back, notice), 303);
  })
  .get("/:id", async (c) => {
    const id = parseId(c.req.param("id"));
    if (!id) return c.html(<NotFoundPage user={c.get("user")} />, 404);
    return renderContactPage(c, id);
  })
  .post("/:id", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    if (!id) return c.html(<NotFoundPage user={user} />, 404);
    const form = (await c.req.parseBody()) as Record<string, string>;
    const { data, errors } = parseContactForm(form, await listCustomFields(db, user.accountId), await getDefaultCountry(db, user.accountId));
    if (!data) return renderContactPage(c, id, { values: form, errors, status: 422 });
    try {
      const updated = await updateContact(db, user.accountId, id, data);
      if (!updated) return c.html(<NotFoundPage user={user} />, 404);
      return c.redirect(withNotice(`/contacts/${id}`, "Saved."), 303);
    } catch (e) {
      if (e instanceof ContactEmailTakenError) return renderContactPage(c, id, { values: form, errors: { email: e.message }, status: 422 });
      throw e;
    }
  })
  .get("/:id/delete", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const contact = id ? await getContact(c.get("db"), user.accountId, id) : null;
    if (!contact) return c.html(<NotFoundPage user={user} />, 404);
    return c.html(<DeleteContactPage user={user} contact={contact} segmentsCount={contact.segmentsCount} />);
  })
  .post("/:id/delete", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const contact = id ? await getContact(c.get("db"), user.accountId, id) : null;
    if (!contact || !(await deleteContact(c.get("db"), user.accountId, contact.id, sourceOf(c.get("actor"))))) return c.html(<NotFoundPage user={user} />, 404);
    return c.redirect(withNotice("/contacts", `The contact ${contact.email} was deleted.`), 303);
  })
  .post("/:id/segments", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const contact = id ? await getContact(db, user.accountId, id) : null;
    if (!contact) return c.html(<NotFoundPage user={user} />, 404);
    const segmentId = parseId(String((await c.req.parseBody()).segment ?? ""));
    const segment = segmentId ? await getSegment(db, user.accountId, segmentId) : null;
    if (!segment) return c.redirect(withNotice(`/contacts/${contact.id}`, "Choose a segment."), 303);
    const r = await addContactsToSegment(db, user.accountId, segment.id, [contact.id], sourceOf(c.get("actor")));
    const notice = r.added ? `Added to ${segment.name}.` : `Already in ${segment.name}; nothing changed.`;
    return c.redirect(withNotice(`/contacts/${contact.id}`, notice), 303);
  })
  .post("/:id/segments/:segmentId/remove", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segmentId = parseId(c.req.param("segmentId"));
    const contact = id ? await getContact(db, user.accountId, id) : null;
    const segment = segmentId ? await getSegment(db, user.accountId, segmentId) : null;
    if (!contact || !segment) return c.html(<NotFoundPage user={user} />, 404);
    const r = await removeContactsFromSegment(db, user.accountId, segment.id, [contact.id], sourceOf(c.get("actor")));
    const back = safeNextPath(c.req.query("back"), `/contacts/${contact.id}`);
    return c.redirect(withNotice(back, r.removed ? `Removed from ${segment.name}.` : `Not in ${segment.name}; nothing changed.`), 303);
  });

function formatAlready(n: number): string {
  return n === 1 ? "1 was already in it" : `${n.toLocaleString("en-US")} were already in it`;
}
