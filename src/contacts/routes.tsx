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
import { addContactsToSegment, CONFIRM_ABOVE, removeContactsFromSegment, type ContactSelection } from "../segments/membership";
import { dynamicMembershipRefusal } from "../segments/dynamic";
import { getSegment, listSegments } from "../segments/queries";
import { safeNextPath } from "../web/safe-path";
import { redirectWithNotice, setFlash, takeFlash, type Notice } from "../web/flash";
import { changeAsOneSet, changeSetOfActor, undoAction } from "../segments/change-sets";
import { getStartSteps, startChecklistHidden } from "../start/checklist";
import { hasRole, pageOrFragment, parseId, requireRole, sourceOf, type AppEnv } from "../web";
import { countContacts, listContactPage, matchingContactsSql, parseRowIndex, readListState, type ContactFilter, type ContactListPage } from "./list";
import { parseConditions, type ConditionGroup } from "../conditions/grammar";
import { conditionsFromDraft, draftFromConditions, draftFromRequest, emptyDraft, type DraftGroup } from "../conditions/form";
import { broadestCondition, isStatementTimeout, PREVIEW_TIMEOUT_MS, withStatementTimeout } from "../conditions/preview";
import { parseConditionsForAccount } from "../conditions/queries";
import type { CustomFieldDef } from "../custom-fields/queries";
import { ContactEmailTakenError, createContact, deleteContact, getContact, listContactSegments, normaliseQuery, updateContact } from "./queries";
import { parseContactForm, type ContactErrors } from "./validate";
import { readForm } from "../web/form";

/** The list's conditions: the builder's inputs ("c.*") when the form sent them, else a `conditions` JSON document (links). */
export interface ListConditions {
  draft: DraftGroup | null;
  conditions: ConditionGroup | null;
  errors: Record<string, string> | null;
  /** A message when the conditions cannot filter (invalid, too broad): the list then shows nothing. */
  error: string | null;
}

async function conditionsFrom(c: Context<AppEnv>, customFields: { key: string; type: CustomFieldDef["type"] }[]): Promise<ListConditions> {
  const queries = c.req.queries() as Record<string, string[]>;
  const prefix = "c";
  if (queries[`${prefix}.kind`]) {
    const draft = draftFromRequest(queries, prefix);
    const parsed = conditionsFromDraft(draft, prefix, customFields, { skipUnfinished: true });
    if (!parsed) return { draft, conditions: null, errors: null, error: null };
    if (!parsed.ok)
      return { draft, conditions: null, errors: parsed.errors, error: "Check the conditions: the list shows their matches once they are complete." };
    return { draft, conditions: parsed.value, errors: null, error: null };
  }
  const raw = c.req.query("conditions");
  if (!raw) return { draft: null, conditions: null, errors: null, error: null };
  let doc: unknown = null;
  try {
    doc = JSON.parse(raw);
  } catch {
    return { draft: null, conditions: null, errors: null, error: "These conditions could not be read." };
  }
  const parsed = parseConditions(doc, { customFields });
  if (!parsed.ok) return { draft: null, conditions: null, errors: null, error: `Check the conditions: ${parsed.details[0]!.message}` };
  return { draft: draftFromConditions(parsed.value), conditions: parsed.value, errors: null, error: null };
}

async function filterFrom(c: Context<AppEnv>, conditions: ConditionGroup | null = null): Promise<ContactFilter & { q: string; segmentId: number | null }> {
  const q = normaliseQuery(c.req.query("q"));
  // The account's country reads a phone typed without its country code; only a search needs it.
  const country = q ? await getDefaultCountry(c.get("db"), c.get("user")!.accountId) : undefined;
  return { q, segmentId: parseId(c.req.query("segment")), country, conditions };
}

const EMPTY_PAGE: ContactListPage = { rows: [], first: null, last: null, hasPrevious: false, hasNext: false };

async function renderContactPage(
  c: Context<AppEnv>,
  contactId: number,
  extra: { values?: Record<string, string>; errors?: ContactErrors; status?: 200 | 422 } = {},
) {
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
    const customFields = await listCustomFields(db, user.accountId);
    const listed = await conditionsFrom(c, customFields);
    const filter = await filterFrom(c, listed.conditions);
    const state = readListState((k) => c.req.query(k));
    const segments = await listSegments(db, user.accountId);
    const segment = filter.segmentId ? segments.find((s) => s.id === filter.segmentId) : undefined;
    let page = EMPTY_PAGE;
    let conditionsError = listed.error;
    if (!conditionsError) {
      try {
        const read = (tx: typeof db) =>
          listContactPage(
            tx,
            user.accountId,
            { ...filter, segmentId: segment?.id ?? null, segmentSize: segment?.memberCount },
            state,
            state.position,
            state.size,
          );
        // Conditions run under the statement timeout: too broad says which condition, never holds the database.
        page = filter.conditions ? await withStatementTimeout(db, PREVIEW_TIMEOUT_MS, read) : await read(db);
      } catch (e) {
        if (!isStatementTimeout(e) || !filter.conditions) throw e;
        conditionsError = (await broadestCondition(db, user.accountId, filter.conditions, PREVIEW_TIMEOUT_MS)).message;
      }
    }
    // A segment alone has its exact count at hand; any other filter is counted after the page, by /contacts/count.
    const matching = conditionsError ? 0 : segment && !filter.q && !filter.conditions ? segment.memberCount : null;
    const builder = {
      draft: listed.draft ?? emptyDraft(),
      errors: listed.errors ?? undefined,
      // Open once it filters, shows a problem, or was just edited (without JavaScript); a search alone leaves it as it was.
      open: listed.conditions !== null || listed.errors !== null || listed.error !== null || Boolean(c.req.query("cb_action")),
      segments: segments.map((s) => ({ id: s.id, name: s.name })),
      customFields: customFields.map((f) => ({ key: f.key, label: f.label, type: f.type })),
    };
    const props = {
      page,
      q: filter.q,
      segmentId: segment ? segment.id : null,
      state,
      segments,
      canWrite: hasRole(user.role, "editor"),
      matching,
      conditions: filter.conditions ?? null,
      conditionsError,
      builder,
    };
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
    const db = c.get("db");
    const listed = await conditionsFrom(c, await listCustomFields(db, user.accountId));
    const filter = await filterFrom(c, listed.conditions);
    let n = 0;
    if (!listed.error) {
      try {
        n = filter.conditions
          ? await withStatementTimeout(db, PREVIEW_TIMEOUT_MS, (tx) => countContacts(tx, user.accountId, filter))
          : await countContacts(db, user.accountId, filter);
      } catch (e) {
        if (!isStatementTimeout(e)) throw e;
      }
    }
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
      if (e instanceof ContactEmailTakenError)
        return c.html(<NewContactPage user={user} customFields={customFields} values={form} errors={{ email: e.message }} />, 422);
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
    // The list's conditions, as its results carried them (a JSON document), checked again here.
    const rawConditions = one("conditions");
    const back = `/contacts${queryString({ q: filter.q, segment: filter.segmentId, conditions: rawConditions || null })}`;
    // With htmx the form asks in place (#bulk-confirm); its outcome is a whole page, as without.
    const inline = c.req.header("HX-Request") === "true";
    const go = async (path: string, notice: Notice | string) => {
      if (!inline) return redirectWithNotice(c, path, notice);
      await setFlash(c, notice);
      return c.body(null, 200, { "HX-Redirect": path });
    };
    if (rawConditions) {
      let doc: unknown = null;
      try {
        doc = JSON.parse(rawConditions);
      } catch {
        return go(back, "These conditions could not be read: nothing changed.");
      }
      const parsed = await parseConditionsForAccount(db, user.accountId, doc);
      if (!parsed.ok) return go(back, `Check the conditions: ${parsed.details[0]!.message} Nothing changed.`);
      filter.conditions = parsed.value;
    }
    const target = parseId(one("target"));
    const segment = target ? await getSegment(db, user.accountId, target) : null;
    if (!segment) return go(back, "Choose a segment to change.");
    if (segment.type === "dynamic") return go(back, dynamicMembershipRefusal(segment));
    // Row ticks, plus the ticks kept (public/app.js) on rows another search or page no longer shows.
    const ticked = [...(Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids]), ...one("kept").split(",")];
    const ids = [...new Set(ticked.map((v) => parseId(String(v).trim())).filter((v): v is number => v !== null))];
    const all = one("all") === "1";
    if (!all && ids.length === 0) return go(back, "Tick some contacts, or “Select all matching”, first.");
    const action = one("action") === "remove" ? "remove" : "add";
    if (one("confirmed") !== "1") {
      const count = all ? await countContacts(db, user.accountId, filter) : ids.length;
      if (count > CONFIRM_ABOVE) {
        const props = { action, count, segment, all, ids, q: filter.q ?? "", segmentId: filter.segmentId ?? null, conditions: rawConditions, back } as const;
        return inline ? c.html(<BulkConfirmation {...props} inline />) : c.html(<BulkConfirmationPage {...props} user={user} />);
      }
    }
    // "All matching" is one set-based statement over the same filter the table shows, whatever its size; the
    // change is one change set, undone from the notice or the segment's history.
    const selection: ContactSelection = all ? matchingContactsSql(user.accountId, filter) : ids;
    const actor = c.get("actor");
    // All matching conditions is its own kind of change set: "by conditions of Ada".
    const byConditions = all && filter.conditions !== undefined;
    const input = byConditions
      ? { ...changeSetOfActor(actor), kind: "conditions" as const, label: `by conditions of ${actor.label}`, sourceLabel: `by conditions of ${actor.label}` }
      : changeSetOfActor(actor);
    const how = byConditions ? " by conditions" : "";
    const made = await changeAsOneSet(db, user.accountId, segment.id, input, async (tx, source) => {
      if (action === "remove") {
        const r = await removeContactsFromSegment(tx, user.accountId, segment.id, selection, source);
        const text = `${plural(r.removed, "contact")} removed from ${segment.name}${how}${r.notMembers ? ` (${plural(r.notMembers, "was", "were")} not in it)` : ""}.`;
        return { result: text, joined: 0, left: r.removed };
      }
      const r = await addContactsToSegment(tx, user.accountId, segment.id, selection, source);
      const text = `${plural(r.added, "contact")} added to ${segment.name}${how}${r.alreadyMembers ? ` (${formatAlready(r.alreadyMembers)})` : ""}.`;
      return { result: text, joined: r.added, left: 0 };
    });
    if (!made) return go(back, "Choose a segment to change.");
    const notice: Notice = made.changeSet ? { text: made.result, action: undoAction(made.changeSet, back) } : { text: made.result };
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
    if (segment.type === "dynamic") return redirectWithNotice(c, `/contacts/${contact.id}`, dynamicMembershipRefusal(segment));
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
    const back = safeNextPath(c.req.query("back"), `/contacts/${contact.id}`);
    if (segment.type === "dynamic") return redirectWithNotice(c, back, dynamicMembershipRefusal(segment));
    const r = await removeContactsFromSegment(db, user.accountId, segment.id, [contact.id], sourceOf(c.get("actor")));
    return redirectWithNotice(c, back, r.removed ? `Removed from ${segment.name}.` : `Not in ${segment.name}; nothing changed.`);
  });

function formatAlready(n: number): string {
  return n === 1 ? "1 was already in it" : `${n.toLocaleString("en-US")} were already in it`;
}
