// HTML pages of Contacts > Segments: list, create, edit, delete, a segment's contacts (add by email, remove).
import { Hono } from "hono";
import { NotFoundPage } from "../../views/error";
import { plural } from "../../views/components/format";
import { BUILDER_PREFIX, EditConditionsPage, NewSegmentPage, type SegmentBuilder } from "../../views/segments/form";
import { SegmentsPage, SegmentsResults } from "../../views/segments/list";
import { SegmentContactsPage, SegmentMembersResults } from "../../views/segments/members";
import { DeleteSegmentPage, SegmentPage } from "../../views/segments/page";
import { fieldErrors, readForm } from "../web/form";
import { safeNextPath } from "../web/safe-path";
import { getDefaultCountry } from "../auth/accounts";
import { listContactPage, readListState } from "../contacts/list";
import { normaliseQuery } from "../contacts/queries";
import { redirectWithNotice, takeFlash } from "../web/flash";
import { hasRole, pageOrFragment, parseId, requireRole, sourceOf, type AppEnv } from "../web";
import { listSegmentHistory } from "./history";
import { getSegmentSizeHistory, parseChartPeriod } from "./size-history";
import { addEmailsToSegment } from "./members-by-email";
import { CONFIRM_ABOVE, removeContactsFromSegment } from "./membership";
import { changeAsOneSet, changeSetOfActor, ChangeSetNotUndoableError, getChangeSet, undoAction, undoChangeSet, undoSummary } from "./change-sets";
import { BulkConfirmationPage } from "../../views/contacts/bulk-confirm";
import { createSegment, deleteSegment, getSegment, listSegments, SegmentNameTakenError, segmentsReferringTo, updateSegment } from "./queries";
import { segmentInputSchema } from "./validate";
import { changeConditions, checkConditions, conditionSentences, createDynamicSegment, dynamicMembershipRefusal, explainMembership } from "./dynamic";
import type { Db } from "../db/client";
import type { ConditionGroup } from "../conditions/grammar";
import { conditionsFromDraft, draftFromConditions, draftFromRequest, emptyDraft, type DraftGroup, type Form } from "../conditions/form";
import { listCustomFields } from "../custom-fields/queries";
import { saveAsStaticSegment } from "./save-as-static";
import { getContact } from "../contacts/queries";
import { WhyExplanation, WhyPage } from "../../views/segments/why";

function one(body: Form, key: string): string {
  const v = body[key];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? first : "";
}

/** The builder of a segment form: the draft with the account's segments and custom fields to choose from. */
async function segmentBuilder(db: Db, accountId: number, draft: DraftGroup, errors?: Record<string, string>): Promise<SegmentBuilder> {
  const [segments, fields] = await Promise.all([listSegments(db, accountId), listCustomFields(db, accountId)]);
  return {
    draft,
    errors,
    segments: segments.map((s) => ({ id: s.id, name: s.name })),
    customFields: fields.map((f) => ({ key: f.key, label: f.label, type: f.type })),
  };
}

/** The builder's conditions checked as Save checks them: every row complete and valid, segments existing, no cycle. */
async function conditionsOf(
  db: Db,
  accountId: number,
  segmentId: number | null,
  draft: DraftGroup,
): Promise<{ ok: true; group: ConditionGroup } | { ok: false; message: string; errors?: Record<string, string> }> {
  const fields = await listCustomFields(db, accountId);
  const parsed = conditionsFromDraft(draft, BUILDER_PREFIX, fields);
  if (!parsed) return { ok: false, message: "Add at least one condition: the members are the contacts that meet them." };
  if (!parsed.ok) return { ok: false, message: "Check the conditions marked below.", errors: parsed.errors };
  const checked = await checkConditions(db, accountId, segmentId, parsed.value);
  if (!checked.ok) return { ok: false, message: checked.details[0]!.message };
  return { ok: true, group: checked.group };
}

/** Ticked row ids plus those public/app.js kept for rows no longer on screen ("kept", comma-separated). */
function formIds(body: Record<string, unknown>): number[] {
  const raw = body.ids;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const kept = typeof body.kept === "string" ? body.kept.split(",") : [];
  return [...new Set([...list, ...kept].map((v) => parseId(String(v).trim())).filter((v): v is number => v !== null))];
}

export const segmentRoutes = new Hono<AppEnv>()
  .use(requireRole("viewer"))
  .get("/", async (c) => {
    const user = c.get("user")!;
    const q = normaliseQuery(c.req.query("q"));
    const segments = await listSegments(c.get("db"), user.accountId, { q });
    return pageOrFragment(
      c,
      async () => <SegmentsPage user={user} segments={segments} q={q} notice={await takeFlash(c)} />,
      () => <SegmentsResults segments={segments} q={q} />,
    );
  })
  .get("/new", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    // The type select redraws the conditions part through this page (hx-select), keeping what was typed.
    const values = {
      type: c.req.query("type") === "dynamic" ? "dynamic" : "static",
      name: c.req.query("name") ?? "",
      description: c.req.query("description") ?? "",
    };
    const builder = values.type === "dynamic" ? await segmentBuilder(c.get("db"), user.accountId, emptyDraft()) : null;
    return c.html(<NewSegmentPage user={user} values={values} builder={builder} />);
  })
  .post("/", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const body = (await c.req.parseBody({ all: true })) as Form;
    const form = { type: one(body, "type"), name: one(body, "name"), description: one(body, "description") };
    const parsed = segmentInputSchema.safeParse(form);
    if (form.type !== "" && form.type !== "static" && form.type !== "dynamic") {
      return c.html(<NewSegmentPage user={user} values={form} errors={{ type: "Choose Static segment or Dynamic segment." }} />, 422);
    }
    if (form.type === "dynamic") {
      const draft = draftFromRequest(body, BUILDER_PREFIX);
      const page = async (status: 200 | 422, errors: Record<string, string | undefined>, builderErrors?: Record<string, string>) =>
        c.html(<NewSegmentPage user={user} values={form} errors={errors} builder={await segmentBuilder(db, user.accountId, draft, builderErrors)} />, status);
      // Without JavaScript the builder's buttons (add, remove, nest) submit this form: show the edited builder.
      if (one(body, "cb_action")) return page(200, {});
      const conditions = await conditionsOf(db, user.accountId, null, draft);
      const errors = parsed.success ? {} : fieldErrors(parsed.error);
      if (!conditions.ok || !parsed.success)
        return page(422, { ...errors, conditions: conditions.ok ? undefined : conditions.message }, conditions.ok ? undefined : conditions.errors);
      try {
        const { segment } = await createDynamicSegment(db, user.accountId, { ...parsed.data, conditions: conditions.group });
        const found = segment.refreshError ?? `${plural(segment.memberCount, "contact")} match its conditions now, and it is kept current.`;
        return redirectWithNotice(c, `/segments/${segment.id}/contacts`, `The dynamic segment ${segment.name} was created: ${found}`);
      } catch (e) {
        if (e instanceof SegmentNameTakenError) return page(422, { name: `${e.message} Choose another name.` });
        throw e;
      }
    }
    if (!parsed.success) return c.html(<NewSegmentPage user={user} values={form} errors={fieldErrors(parsed.error)} />, 422);
    try {
      const segment = await createSegment(db, user.accountId, parsed.data);
      return redirectWithNotice(c, `/segments/${segment.id}/contacts`, `The segment ${segment.name} was created. Add contacts to it below.`);
    } catch (e) {
      if (e instanceof SegmentNameTakenError)
        return c.html(<NewSegmentPage user={user} values={form} errors={{ name: `${e.message} Choose another name.` }} />, 422);
      throw e;
    }
  })
  .get("/:id/conditions", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(c.get("db"), user.accountId, id) : null;
    if (!segment?.conditions) return c.html(<NotFoundPage user={user} />, 404);
    const draft = draftFromConditions(segment.conditions as unknown as ConditionGroup);
    return c.html(<EditConditionsPage user={user} segment={segment} builder={await segmentBuilder(c.get("db"), user.accountId, draft)} />);
  })
  .post("/:id/conditions", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment?.conditions) return c.html(<NotFoundPage user={user} />, 404);
    const body = (await c.req.parseBody({ all: true })) as Form;
    const draft = draftFromRequest(body, BUILDER_PREFIX);
    const page = async (status: 200 | 422, error?: string, builderErrors?: Record<string, string>) =>
      c.html(
        <EditConditionsPage user={user} segment={segment} error={error} builder={await segmentBuilder(db, user.accountId, draft, builderErrors)} />,
        status,
      );
    if (one(body, "cb_action")) return page(200);
    const conditions = await conditionsOf(db, user.accountId, segment.id, draft);
    if (!conditions.ok) return page(422, conditions.message, conditions.errors);
    const changed = await changeConditions(db, user.accountId, segment.id, { conditions: conditions.group });
    if (!changed) return c.html(<NotFoundPage user={user} />, 404);
    const { refresh, segment: saved } = changed;
    const moved = refresh
      ? `${plural(refresh.joined, "contact")} joined, ${plural(refresh.left, "contact")} left; ${plural(saved.memberCount, "contact")} match now.`
      : (saved.refreshError ?? "");
    return redirectWithNotice(c, `/segments/${segment.id}`, `Conditions saved: ${moved}`);
  })
  .get("/:id", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(c.get("db"), user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const history = await listSegmentHistory(c.get("db"), user.accountId, segment.id, { cursor: c.req.query("history"), limit: 20 });
    const period = parseChartPeriod(c.req.query("period"));
    const chart = { period, periods: await getSegmentSizeHistory(c.get("db"), user.accountId, segment, period) };
    const conditions = await conditionSentences(c.get("db"), user.accountId, segment);
    return c.html(<SegmentPage user={user} segment={segment} history={history} chart={chart} conditions={conditions} notice={await takeFlash(c)} />);
  })
  .post("/:id", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const form = await readForm(c);
    const parsed = segmentInputSchema.safeParse(form);
    const rerender = async (errors: Record<string, string | undefined>) => {
      const history = await listSegmentHistory(db, user.accountId, segment.id, { limit: 20 });
      const chart = { period: "day" as const, periods: await getSegmentSizeHistory(db, user.accountId, segment, "day") };
      const conditions = await conditionSentences(db, user.accountId, segment);
      return c.html(<SegmentPage user={user} segment={segment} history={history} chart={chart} conditions={conditions} values={form} errors={errors} />, 422);
    };
    if (!parsed.success) return rerender(fieldErrors(parsed.error));
    try {
      const updated = await updateSegment(db, user.accountId, segment.id, parsed.data);
      if (!updated) return c.html(<NotFoundPage user={user} />, 404);
      return redirectWithNotice(c, `/segments/${segment.id}`, "Saved.");
    } catch (e) {
      if (e instanceof SegmentNameTakenError) return rerender({ name: `${e.message} Choose another name.` });
      throw e;
    }
  })
  .post("/:id/save-as-static", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const name = String((await c.req.parseBody()).name ?? "");
    const parsed = segmentInputSchema.safeParse({ name });
    const rerender = async (error: string) => {
      const history = await listSegmentHistory(db, user.accountId, segment.id, { limit: 20 });
      const chart = { period: "day" as const, periods: await getSegmentSizeHistory(db, user.accountId, segment, "day") };
      const conditions = await conditionSentences(db, user.accountId, segment);
      return c.html(<SegmentPage user={user} segment={segment} history={history} chart={chart} conditions={conditions} copy={{ name, error }} />, 422);
    };
    if (!parsed.success) return rerender(fieldErrors(parsed.error).name ?? "Enter a segment name.");
    try {
      const saved = await saveAsStaticSegment(
        db,
        user.accountId,
        segment.id,
        { name: parsed.data.name, description: `Copy of ${segment.name}.` },
        sourceOf(c.get("actor")),
      );
      if (!saved) return c.html(<NotFoundPage user={user} />, 404);
      return redirectWithNotice(
        c,
        `/segments/${saved.segment.id}/contacts`,
        `The static segment ${saved.segment.name} was created with the ${plural(saved.copied, "contact")} of ${segment.name}.`,
      );
    } catch (e) {
      if (e instanceof SegmentNameTakenError) return rerender(`${e.message} Choose another name.`);
      throw e;
    }
  })
  .get("/:id/why/:contactId", async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const contactId = parseId(c.req.param("contactId"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    const contact = segment && contactId ? await getContact(db, user.accountId, contactId) : null;
    const why = segment && contact ? await explainMembership(db, user.accountId, segment, contact.id) : null;
    if (!segment || !contact || !why) return c.html(<NotFoundPage user={user} />, 404);
    return pageOrFragment(
      c,
      () => <WhyPage user={user} segment={segment} contact={contact} explanation={why.explanation} member={why.member} />,
      () => <WhyExplanation segment={segment} email={contact.email} explanation={why.explanation} member={why.member} />,
    );
  })
  .get("/:id/delete", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(c.get("db"), user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    return c.html(<DeleteSegmentPage user={user} segment={segment} referredBy={await segmentsReferringTo(c.get("db"), user.accountId, segment.id)} />);
  })
  .post("/:id/delete", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const deleted = id ? await deleteSegment(c.get("db"), user.accountId, id, sourceOf(c.get("actor"))) : null;
    if (!deleted) return c.html(<NotFoundPage user={user} />, 404);
    const notice = `The segment ${deleted.name} was deleted; its ${plural(deleted.memberCount, "contact")} are still in Contacts.`;
    return redirectWithNotice(c, "/segments", notice);
  })
  .get("/:id/contacts", async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const q = normaliseQuery(c.req.query("q"));
    const state = readListState((k) => c.req.query(k));
    const country = q ? await getDefaultCountry(db, user.accountId) : undefined;
    const page = await listContactPage(
      db,
      user.accountId,
      { q, segmentId: segment.id, segmentSize: segment.memberCount, country },
      state,
      state.position,
      state.size,
    );
    // A dynamic segment's members follow its conditions: nothing to add or remove by hand.
    const props = { segment, page, q, state, canWrite: hasRole(user.role, "editor") && segment.type === "static" };
    return pageOrFragment(
      c,
      async () => <SegmentContactsPage {...props} user={user} notice={await takeFlash(c)} />,
      () => <SegmentMembersResults {...props} />,
    );
  })
  .post("/:id/contacts", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    if (segment.type === "dynamic") return redirectWithNotice(c, `/segments/${segment.id}/contacts`, dynamicMembershipRefusal(segment));
    const email = ((await readForm(c)).email ?? "").trim();
    const result = await addEmailsToSegment(db, user.accountId, segment.id, [email], sourceOf(c.get("actor")));
    if (result.invalid.length > 0) {
      const state = readListState(() => undefined);
      const page = await listContactPage(db, user.accountId, { segmentId: segment.id }, state);
      return c.html(
        <SegmentContactsPage
          user={user}
          segment={segment}
          page={page}
          q=""
          state={state}
          canWrite
          email={email}
          error="Enter a valid email address, like ana@example.com."
        />,
        422,
      );
    }
    const notice =
      result.added === 0
        ? `${email} is already in this segment; nothing changed.`
        : result.createdContacts > 0
          ? `${email} was not a contact yet: the contact was created and added to ${segment.name}.`
          : `${email} was added to ${segment.name}.`;
    return redirectWithNotice(c, `/segments/${segment.id}/contacts`, notice);
  })
  .post("/:id/contacts/remove", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(db, user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const body = await c.req.parseBody({ all: true });
    const ids = formIds(body);
    const back = safeNextPath(body.back, `/segments/${segment.id}/contacts`);
    if (segment.type === "dynamic") return redirectWithNotice(c, back, dynamicMembershipRefusal(segment));
    if (ids.length === 0) return redirectWithNotice(c, back, "Tick at least one contact to remove.");
    if (ids.length > CONFIRM_ABOVE && body.confirmed !== "1") {
      const props = {
        action: "remove",
        count: ids.length,
        segment,
        all: false,
        ids,
        q: "",
        segmentId: null,
        back,
        postTo: `/segments/${segment.id}/contacts/remove`,
      } as const;
      return c.html(<BulkConfirmationPage {...props} user={user} />);
    }
    // Ticked rows are one change set (undone from the notice or the history); one row's Remove stays a single entry.
    const actor = c.get("actor");
    if (ids.length === 1) {
      const { removed } = await removeContactsFromSegment(db, user.accountId, segment.id, ids, sourceOf(actor));
      return redirectWithNotice(c, back, `${plural(removed, "contact")} removed from ${segment.name}.`);
    }
    const made = await changeAsOneSet(db, user.accountId, segment.id, changeSetOfActor(actor), async (tx, source) => {
      const { removed } = await removeContactsFromSegment(tx, user.accountId, segment.id, ids, source);
      return { result: removed, joined: 0, left: removed };
    });
    if (!made) return c.html(<NotFoundPage user={user} />, 404);
    const text = `${plural(made.result, "contact")} removed from ${segment.name}.`;
    return redirectWithNotice(c, back, made.changeSet ? { text, action: undoAction(made.changeSet, back) } : text);
  })
  .post("/:id/change-sets/:changeSetId/undo", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const id = parseId(c.req.param("id"));
    const changeSetId = parseId(c.req.param("changeSetId"));
    const changeSet = id && changeSetId ? await getChangeSet(db, user.accountId, changeSetId) : null;
    if (!changeSet || changeSet.segmentId !== id) return c.html(<NotFoundPage user={user} />, 404);
    const back = safeNextPath(c.req.query("back"), `/segments/${changeSet.segmentId}`);
    try {
      const undo = await undoChangeSet(db, user.accountId, changeSet.id, c.get("actor"));
      return redirectWithNotice(c, back, undoSummary(undo));
    } catch (e) {
      if (e instanceof ChangeSetNotUndoableError) return redirectWithNotice(c, back, { text: `Not undone: ${e.message}`, tone: "error" });
      throw e;
    }
  });
