// HTML pages of Contacts > Segments: list, create, edit, delete, a segment's contacts (add by email, remove).
import { Hono } from "hono";
import { NotFoundPage } from "../../views/error";
import { plural } from "../../views/components/format";
import { NewSegmentPage } from "../../views/segments/form";
import { SegmentsPage, SegmentsResults } from "../../views/segments/list";
import { SegmentContactsPage, SegmentMembersResults } from "../../views/segments/members";
import { DeleteSegmentPage, SegmentPage } from "../../views/segments/page";
import { fieldErrors, readForm } from "../web/form";
import { safeNextPath } from "../safe-path";
import { getDefaultCountry } from "../auth/accounts";
import { listContactPage, readListState } from "../contacts/list";
import { normaliseQuery } from "../contacts/queries";
import { redirectWithNotice, takeFlash } from "../flash";
import { hasRole, pageOrFragment, parseId, requireRole, sourceOf, type AppEnv } from "../web";
import { listMembershipEvents } from "./history";
import { getSegmentSizeHistory, parseChartPeriod } from "./size-history";
import { addEmailsToSegment } from "./members-by-email";
import { removeContactsFromSegment } from "./membership";
import { createSegment, deleteSegment, getSegment, listSegments, SegmentNameTakenError, updateSegment } from "./queries";
import { segmentInputSchema } from "./validate";

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
  .get("/new", requireRole("editor"), (c) => c.html(<NewSegmentPage user={c.get("user")!} values={{ type: "static" }} />))
  .post("/", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const form = await readForm(c);
    const parsed = segmentInputSchema.safeParse(form);
    if (form.type !== undefined && form.type !== "static") {
      return c.html(<NewSegmentPage user={user} values={form} errors={{ type: "Choose Static segment." }} />, 422);
    }
    if (!parsed.success) return c.html(<NewSegmentPage user={user} values={form} errors={fieldErrors(parsed.error)} />, 422);
    try {
      const segment = await createSegment(c.get("db"), user.accountId, parsed.data);
      return redirectWithNotice(c, `/segments/${segment.id}/contacts`, `The segment ${segment.name} was created. Add contacts to it below.`);
    } catch (e) {
      if (e instanceof SegmentNameTakenError) return c.html(<NewSegmentPage user={user} values={form} errors={{ name: `${e.message} Choose another name.` }} />, 422);
      throw e;
    }
  })
  .get("/:id", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(c.get("db"), user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    const history = await listMembershipEvents(c.get("db"), user.accountId, { segmentId: segment.id }, { cursor: c.req.query("history"), limit: 20 });
    const period = parseChartPeriod(c.req.query("period"));
    const chart = { period, periods: await getSegmentSizeHistory(c.get("db"), user.accountId, segment, period) };
    return c.html(<SegmentPage user={user} segment={segment} history={history} chart={chart} notice={await takeFlash(c)} />);
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
      const history = await listMembershipEvents(db, user.accountId, { segmentId: segment.id }, { limit: 20 });
      const chart = { period: "day" as const, periods: await getSegmentSizeHistory(db, user.accountId, segment, "day") };
      return c.html(<SegmentPage user={user} segment={segment} history={history} chart={chart} values={form} errors={errors} />, 422);
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
  .get("/:id/delete", requireRole("editor"), async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const segment = id ? await getSegment(c.get("db"), user.accountId, id) : null;
    if (!segment) return c.html(<NotFoundPage user={user} />, 404);
    return c.html(<DeleteSegmentPage user={user} segment={segment} />);
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
    const page = await listContactPage(db, user.accountId, { q, segmentId: segment.id, country }, state, state.position, state.size);
    const props = { segment, page, q, state, canWrite: hasRole(user.role, "editor") };
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
    const email = ((await readForm(c)).email ?? "").trim();
    const result = await addEmailsToSegment(db, user.accountId, segment.id, [email], sourceOf(c.get("actor")));
    if (result.invalid.length > 0) {
      const state = readListState(() => undefined);
      const page = await listContactPage(db, user.accountId, { segmentId: segment.id }, state);
      return c.html(
        <SegmentContactsPage user={user} segment={segment} page={page} q="" state={state} canWrite email={email} error="Enter a valid email address, like ana@example.com." />,
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
    if (ids.length === 0) return redirectWithNotice(c, back, "Tick at least one contact to remove.");
    const { removed } = await removeContactsFromSegment(db, user.accountId, segment.id, ids, sourceOf(c.get("actor")));
    return redirectWithNotice(c, back, `${plural(removed, "contact")} removed from ${segment.name}.`);
  });
