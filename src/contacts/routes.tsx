// HTML pages of Contacts > See all: the filtered table, bulk segment changes, add, edit, delete, one contact's page.
import { Hono, type Context } from "hono";
import { ContactsPage, ContactsResults, MatchingLabel } from "../../views/contacts/list";
import { BulkConfirmation, BulkConfirmationPage } from "../../views/contacts/bulk-confirm";
import { ListRange } from "../../views/components/contacts-table";
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
import { redirectWithNotice, setFlash, takeFlash } from "../flash";
import { getStartSteps, startChecklistHidden } from "../start/checklist";
import { hasRole, pageOrFragment, parseId, requireRole, sourceOf, type AppEnv } from "../web";
import { countContacts, listContactPage, matchingContactsSql, parseRowIndex, readListState, type ContactFilter } from "./list";
import { ContactEmailTakenError, createContact, deleteContact, getContact, listContactSegments, normaliseQuery, updateContact } from "./queries";
import { parseContactForm, type ContactErrors } from "./validate";
import { readForm } from "../web/form";

async function filterFrom(c: Context<AppEnv>): Promise<ContactFilter & { q: string; segmentId: number | null }> {
  const q = normaliseQuery(c.req.query("q"));
  // The account's country reads a phone typed without its country code; only a search needs it.
  const country = q ? await getDefaultCountry(c.get("db"), c.get("user")!.accountId) : undefined;
  return { q, segmentId: parseId(c.req.query("segment")), country };
}

/** Above this many contacts, a bulk change asks first, naming the count and the segment. */
export const CONFIRM_ABOVE = 1000;

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
      notice={await takeFlash(c)}
    />,
    extra.status ?? 200,
  );
}

export const contactRoutes = new Hono<AppEnv>()
  .use(requireRole("viewer"))
  .get("/", async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const filter = await filterFrom(c);
    const state = readListState((k) => c.req.query(k));
    const segments = await listSegments(db, user.accountId);
    const segment = filter.segmentId ? segments.find((s) => s.id === filter.segmentId) : undefined;
    const page = await listContactPage(db, user.accountId, { ...filter, segmentId: segment?.id ?? null }, state, state.position, state.size);
    // A segment alone has its exact count at hand; any other filter is counted after the page, by /contacts/count.
    const matching = segment && !filter.q ? segment.memberCount : null;
    const props = { page, q: filter.q, segmentId: segment ? segment.id : null, state, segments, canWrite: hasRole(user.role, "editor"), matching };
    return pageOrFragment(
      c,
      async () => {
        const start = hasRole(user.role, "admin") && !startChecklistHidden(c) ? await getStartSteps(db, user.accountId) : null;
        return <ContactsPage {...props} user={user} notice={await takeFlash(c)} start={start} />;
      },
      () => <ContactsResults {...props} fragment />,
    );
  })
  .get("/count", async (c) => {
    const user = c.get("user")!;
    const n = await countContacts(c.get("db"), user.accountId, await filterFrom(c));
    const shown = Math.max(0, Math.min(Number(c.req.query("shown")) || 0, 500));
    // The range of the page ("51–100 of 401,953") and, outside the results, the "Select all N matching" label.
    return c.html(
      <>
        <ListRange first={parseRowIndex(c.req.query("first"))} shown={shown} total={n} />
        {hasRole(user.role, "editor") && <MatchingLabel n={n} oob />}
      </>,
    );
  })
  .get("/new", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    return c.html(<NewContactPage user={user} customFields={await listCustomFields(c.get("db"), user.accountId)} />);
  })
  .post("/", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const form = await readForm(c);
    const customFields = await listCustomFields(db, user.accountId);
    const { data, errors } = parseContactForm(form, customFields, await getDefaultCountry(db, user.accountId));
    if (!data) return c.html(<NewContactPage user={user} customFields={customFields} values={form} errors={errors} />, 422);
    try {
      const contact = await createContact(db, user.accountId, data);
      return redirectWithNotice(c, `/contacts/${contact.id}`, `The contact ${contact.email} was added.`);
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
    const q = normaliseQuery(one("q"));
    const filter: ContactFilter = { q, segmentId: parseId(one("segment")), country: q ? await getDefaultCountry(db, user.accountId) : undefined };
    const back = `/contacts${queryString({ q: filter.q, segment: filter.segmentId })}`;
    // With htmx the form asks in place (#bulk-confirm); its outcome is a whole page, as without.
    const inline = c.req.header("HX-Request") === "true";
    const go = async (path: string, notice: string) => {
      if (!inline) return redirectWithNotice(c, path, notice);
      await setFlash(c, notice);
      return c.body(null, 200, { "HX-Redirect": path });
    };
    const target = parseId(one("target"));
    const segment = target ? await getSegment(db, user.accountId, target) : null;
    if (!segment) return go(back, "Choose a segment to change.");
    // Row ticks, plus the ticks kept (public/app.js) on rows another search or page no longer shows.
    const ticked = [...(Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids]), ...one("kept").split(",")];
    const ids = [...new Set(ticked.map((v) => parseId(String(v).trim())).filter((v): v is number => v !== null))];
    const all = one("all") === "1";
    if (!all && ids.length === 0) return go(back, "Tick some contacts, or “Select all matching”, first.");
    const action = one("action") === "remove" ? "remove" : "add";
    if (one("confirmed") !== "1") {
      const count = all ? await countContacts(db, user.accountId, filter) : ids.length;
      if (count > CONFIRM_ABOVE) {
        const props = { action, count, segment, all, ids, q: filter.q ?? "", segmentId: filter.segmentId ?? null, back } as const;
        return inline ? c.html(<BulkConfirmation {...props} inline />) : c.html(<BulkConfirmationPage {...props} user={user} />);
      }
    }
    // "All matching" is one set-based statement over the same filter the table shows, whatever its size.
    const selection: ContactSelection = all ? matchingContactsSql(user.accountId, filter) : ids;
    const source = sourceOf(c.get("actor"));
    let notice: string;
    if (action === "remove") {
      const r = await removeContactsFromSegment(db, user.accountId, segment.id, selection, source);
      notice = `${plural(r.removed, "contact")} removed from ${segment.name}${r.notMembers ? ` (${plural(r.notMembers, "was", "were")} not in it)` : ""}.`;
    } else {
      const r = await addContactsToSegment(db, user.accountId, segment.id, selection, source);
      notice = `${plural(r.added, "contact")} added to ${segment.name}${r.alreadyMembers ? ` (${formatAlready(r.alreadyMembers)})` : ""}.`;
    }
    return go(back, notice);
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
    const form = await readForm(c);
    const { data, errors } = parseContactForm(form, await listCustomFields(db, user.accountId), await getDefaultCountry(db, user.accountId));
    if (!data) return renderContactPage(c, id, { values: form, errors, status: 422 });
    try {
      const updated = await updateContact(db, user.accountId, id, data);
      if (!updated) return c.html(<NotFoundPage user={user} />, 404);
      return redirectWithNotice(c, `/contacts/${id}`, "Saved.");
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
    return redirectWithNotice(c, "/contacts", `The contact ${contact.email} was deleted.`);
  })
  .post("/:id/segments", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const contact = id ? await getContact(db, user.accountId, id) : null;
    if (!contact) return c.html(<NotFoundPage user={user} />, 404);
    const segmentId = parseId((await readForm(c)).segment);
    const segment = segmentId ? await getSegment(db, user.accountId, segmentId) : null;
    if (!segment) return redirectWithNotice(c, `/contacts/${contact.id}`, "Choose a segment.");
    const r = await addContactsToSegment(db, user.accountId, segment.id, [contact.id], sourceOf(c.get("actor")));
    const notice = r.added ? `Added to ${segment.name}.` : `Already in ${segment.name}; nothing changed.`;
    return redirectWithNotice(c, `/contacts/${contact.id}`, notice);
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
    return redirectWithNotice(c, back, r.removed ? `Removed from ${segment.name}.` : `Not in ${segment.name}; nothing changed.`);
  });

function formatAlready(n: number): string {
  return n === 1 ? "1 was already in it" : `${n.toLocaleString("en-US")} were already in it`;
}
