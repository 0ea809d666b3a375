// JSON API for segments and their members: /api/v1/segments. Same operations as the HTML pages, plus replacing the
// members (PUT .../contacts), the feed of joins and leaves (GET .../changes), change sets and their undo.
import { Hono, type Context } from "hono";
import { contactJson, readJsonObject, readPaging, segmentJson } from "../contacts/json";
import { getDefaultCountry } from "../auth/accounts";
import { listContacts } from "../contacts/list";
import { apiError, parseId, requireApiRole, sourceOf, validationFailed, zodDetails, type AppEnv } from "../web";
import { startImportNow } from "../imports/create";
import { createImport } from "../imports/queries";
import { importStatus } from "../imports/status";
import { uploadExpiry, uploadRequest } from "../web/upload";
import { EmailLinesTooLargeError, MAX_TEXT_BYTES, receiveEmailLines } from "./email-lines";
import { listSegmentChanges } from "./history";
import {
  changeSetOfActor,
  ChangeSetNotUndoableError,
  getChangeSet,
  listChangeSets,
  undoChangeSet,
  undoSummary,
  whyNotUndoable,
  type ChangeSet,
} from "./change-sets";
import { addEmailsToSegment, MAX_EMAILS_PER_CALL, removeEmailsFromSegment, replaceSegmentMembersByEmail } from "./members-by-email";
import { changeConditions, checkConditions, createDynamicSegment, dynamicMembershipRefusal } from "./dynamic";
import { createSegment, deleteSegment, getSegment, listSegments, SegmentNameTakenError, updateSegment, type Segment } from "./queries";
import { segmentInputSchema, segmentPatchSchema } from "./validate";
import type { z } from "zod";

function validationError(c: Context<AppEnv>, error: z.ZodError) {
  const details = zodDetails(error);
  return validationFailed(c, details, { field: details[0]!.path });
}

async function segmentFrom(c: Context<AppEnv>): Promise<Segment | null> {
  const id = parseId(c.req.param("id"));
  return id ? getSegment(c.get("db"), c.get("actor").accountId, id) : null;
}

const notFound = (c: Context<AppEnv>) => apiError(c, 404, "not_found", "No segment with this id in your account.");

/** 409 for a write to a dynamic segment's members, saying why. */
const dynamicConflict = (c: Context<AppEnv>, segment: Segment) => apiError(c, 409, "conflict", dynamicMembershipRefusal(segment), { segment_type: "dynamic" });

/** The bad conditions of a create or patch: 400 with the path of each problem. */
const badConditions = (c: Context<AppEnv>, details: { path: string; message: string }[]) =>
  apiError(c, 400, "invalid_conditions", details.length === 1 ? details[0]!.message : `The conditions have ${details.length} problems: see details.`, {
    details,
  });

/** The `emails` array of a members call, or an error response (missing, not a list, more than 10,000). */
async function readEmails(c: Context<AppEnv>): Promise<{ emails: unknown[] } | { response: Response }> {
  const read = await readJsonObject(c);
  if ("response" in read) return read;
  const emails = read.body.emails;
  if (!Array.isArray(emails))
    return { response: validationFailed(c, [{ path: "emails", message: 'Send {"emails": ["ana@example.com", ...]}.' }], { field: "emails" }) };
  if (emails.length === 0)
    return { response: validationFailed(c, [{ path: "emails", message: "emails is empty: send at least one email." }], { field: "emails" }) };
  if (emails.length > MAX_EMAILS_PER_CALL) {
    return {
      response: validationFailed(
        c,
        [
          {
            path: "emails",
            message: `Send at most ${MAX_EMAILS_PER_CALL.toLocaleString("en-US")} emails a call (got ${emails.length.toLocaleString("en-US")}); split the list.`,
          },
        ],
        { field: "emails", former_code: "too_many_emails" },
      ),
    };
  }
  return { emails };
}

/** A change set as the API shows it; `undoable` false comes with the reason (`not_undoable_reason`). */
export function changeSetJson(cs: ChangeSet) {
  const refusal = whyNotUndoable(cs);
  return {
    id: cs.id,
    kind: cs.kind,
    segment_id: cs.segmentId,
    segment_name: cs.segmentName,
    label: cs.label,
    joined: cs.joined,
    left: cs.left,
    skipped: cs.skipped,
    created_by: cs.createdByLabel,
    created_at: cs.createdAt.toISOString(),
    undoes_id: cs.undoesId,
    undone_by_id: cs.undoneById,
    undoable: refusal === null,
    not_undoable_reason: refusal,
  };
}

/** /api/v1/change-sets: undoing one (POST /:id/undo) answers the undo's own change set and its counts. */
export const changeSetApi = new Hono<AppEnv>().post("/:id/undo", requireApiRole("editor"), async (c) => {
  const actor = c.get("actor");
  const id = parseId(c.req.param("id"));
  const target = id ? await getChangeSet(c.get("db"), actor.accountId, id) : null;
  if (!target) return apiError(c, 404, "not_found", "No change set with this id in your account.");
  try {
    const undo = await undoChangeSet(c.get("db"), actor.accountId, target.id, actor);
    return c.json({ ...changeSetJson(undo), message: undoSummary(undo) });
  } catch (e) {
    if (e instanceof ChangeSetNotUndoableError) return apiError(c, 409, "conflict", e.message, { change_set_id: target.id });
    throw e;
  }
});

export const segmentApi = new Hono<AppEnv>()
  .get("/", requireApiRole("viewer"), async (c) => {
    const segments = await listSegments(c.get("db"), c.get("actor").accountId, { q: c.req.query("q") });
    return c.json({ data: segments.map(segmentJson) });
  })
  .post("/", requireApiRole("editor"), async (c) => {
    const read = await readJsonObject(c);
    if ("response" in read) return read.response;
    const { type = "static", conditions, ...rest } = read.body;
    if (type !== "static" && type !== "dynamic") return apiError(c, 422, "validation_failed", 'type must be "static" or "dynamic".', { field: "type" });
    const parsed = segmentInputSchema.strict().safeParse(rest);
    if (!parsed.success) return validationError(c, parsed.error);
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    try {
      if (type === "static") {
        if (conditions !== undefined && conditions !== null) {
          return apiError(c, 422, "validation_failed", 'A static segment has no conditions: send "type": "dynamic" with them.', { field: "conditions" });
        }
        return c.json(segmentJson(await createSegment(db, accountId, parsed.data)), 201);
      }
      if (conditions === undefined) return badConditions(c, [{ path: "conditions", message: 'A dynamic segment needs conditions, such as {"all": [...]}.' }]);
      const check = await checkConditions(db, accountId, null, conditions, "conditions");
      if (!check.ok) return badConditions(c, check.details);
      const { segment } = await createDynamicSegment(db, accountId, { ...parsed.data, conditions: check.group });
      return c.json(segmentJson(segment), 201);
    } catch (e) {
      if (e instanceof SegmentNameTakenError) return apiError(c, 409, "conflict", e.message, { field: "name", former_code: "name_taken" });
      throw e;
    }
  })
  .get("/:id", requireApiRole("viewer"), async (c) => {
    const segment = await segmentFrom(c);
    return segment ? c.json(segmentJson(segment)) : notFound(c);
  })
  .patch("/:id", requireApiRole("editor"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    const read = await readJsonObject(c);
    if ("response" in read) return read.response;
    const { type, conditions, ...rest } = read.body;
    if (type !== undefined && type !== segment.type) {
      return apiError(
        c,
        409,
        "conflict",
        `A segment's type cannot be changed: "${segment.name}" stays ${segment.type}. To keep a dynamic segment's current members in a static one, use Save as static segment.`,
        { field: "type" },
      );
    }
    const parsed = segmentPatchSchema.strict().safeParse(rest);
    if (!parsed.success) return validationError(c, parsed.error);
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    try {
      if (conditions !== undefined) {
        if (segment.type !== "dynamic")
          return apiError(c, 409, "conflict", `"${segment.name}" is a static segment: it has no conditions (its type cannot be changed).`, {
            field: "conditions",
          });
        const check = await checkConditions(db, accountId, segment.id, conditions, "conditions");
        if (!check.ok) return badConditions(c, check.details);
        const changed = await changeConditions(db, accountId, segment.id, { ...parsed.data, conditions: check.group });
        return changed ? c.json(segmentJson(changed.segment)) : notFound(c);
      }
      const updated = await updateSegment(db, accountId, segment.id, parsed.data);
      return updated ? c.json(segmentJson(updated)) : notFound(c);
    } catch (e) {
      if (e instanceof SegmentNameTakenError) return apiError(c, 409, "conflict", e.message, { field: "name", former_code: "name_taken" });
      throw e;
    }
  })
  .delete("/:id", requireApiRole("editor"), async (c) => {
    const id = parseId(c.req.param("id"));
    const deleted = id ? await deleteSegment(c.get("db"), c.get("actor").accountId, id, sourceOf(c.get("actor"))) : null;
    if (!deleted) return notFound(c);
    return c.json({ id: deleted.id, deleted: true, removed_memberships: deleted.memberCount });
  })
  .get("/:id/contacts", requireApiRole("viewer"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    const paging = readPaging(c);
    if ("response" in paging) return paging.response;
    const q = c.req.query("q");
    const country = q ? await getDefaultCountry(c.get("db"), c.get("actor").accountId) : undefined;
    const page = await listContacts(c.get("db"), c.get("actor").accountId, { segmentId: segment.id, segmentSize: segment.memberCount, q, country }, paging);
    return c.json({ data: page.rows.map(contactJson), next_cursor: page.nextCursor });
  })
  .post("/:id/contacts", requireApiRole("editor"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    if (segment.type === "dynamic") return dynamicConflict(c, segment);
    const read = await readEmails(c);
    if ("response" in read) return read.response;
    const r = await addEmailsToSegment(c.get("db"), c.get("actor").accountId, segment.id, read.emails, sourceOf(c.get("actor")));
    return c.json({ added: r.added, already_members: r.alreadyMembers, created_contacts: r.createdContacts, invalid: r.invalid });
  })
  .put("/:id/contacts", requireApiRole("editor"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    if (segment.type === "dynamic") return dynamicConflict(c, segment);
    const db = c.get("db");
    const actor = c.get("actor");
    const type = c.req.header("content-type") ?? "";
    const replace = async (emails: unknown[]) => {
      // One change set ("API key <name>"), undone by POST /api/v1/change-sets/:id/undo like an import's.
      const r = await replaceSegmentMembersByEmail(db, actor.accountId, segment.id, emails, sourceOf(actor), changeSetOfActor(actor));
      return c.json({
        joined: r.joined,
        left: r.left,
        unchanged: r.unchanged,
        invalid: r.invalid,
        created_contacts: r.createdContacts,
        change_set_id: r.changeSetId,
      });
    };
    if (!/^text\/(plain|csv)\b/i.test(type)) {
      const read = await readEmails(c);
      return "response" in read ? read.response : replace(read.emails);
    }
    // A list of one email per line, streamed (src/web/body-limit.tsx leaves this body to the route).
    if (Number(c.req.header("content-length") ?? 0) > MAX_TEXT_BYTES) {
      return apiError(c, 413, "payload_too_large", `The body is larger than ${MAX_TEXT_BYTES.toLocaleString("en-US")} bytes, the most this endpoint takes.`);
    }
    const body = uploadRequest(c).body();
    if (!body) return validationFailed(c, [{ path: "", message: "Send one email per line in the body." }]);
    let lines;
    try {
      lines = await receiveEmailLines(db, actor.accountId, body, { name: `segment-${segment.id}-members.csv`, expiresAt: uploadExpiry(c) });
    } catch (e) {
      if (e instanceof EmailLinesTooLargeError) return apiError(c, 413, "payload_too_large", e.message);
      throw e;
    }
    if (lines.kind === "list") {
      if (lines.emails.length === 0) return validationFailed(c, [{ path: "", message: "The body has no emails: send one email per line." }]);
      return replace(lines.emails);
    }
    // Long lists run as an import in Replace mode: the answer names the import to follow (GET /api/v1/imports/:id).
    const { file } = lines;
    const draft = await createImport(db, actor, {
      source: "api",
      fileId: file.id,
      fileName: file.name,
      sizeBytes: file.sizeBytes,
      encoding: "utf-8",
      delimiter: ",",
      header: ["email"],
      samples: [],
      mapping: ["email"],
    });
    const job = await startImportNow(db, actor, draft.id, {
      mapping: ["email"],
      overwrite: false,
      mode: "replace",
      segmentId: segment.id,
      segmentName: segment.name,
      newSegmentName: null,
    });
    return c.json({ import_id: draft.id, status: importStatus(job), lines: lines.lines }, 202);
  })
  .get("/:id/changes", requireApiRole("viewer"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    const paging = readPaging(c);
    if ("response" in paging) return paging.response;
    const since = c.req.query("since") || paging.cursor || "0";
    if (!/^(0|[1-9][0-9]{0,15})$/.test(since)) {
      return apiError(c, 400, "invalid_parameter", "since must be a next_cursor value from a previous answer (or 0 for the start).", { field: "since" });
    }
    const page = await listSegmentChanges(c.get("db"), c.get("actor").accountId, segment.id, { since: Number(since), limit: paging.limit });
    const last = page.changes[page.changes.length - 1];
    return c.json({
      data: page.changes.map((ch) => ({
        id: ch.id,
        change: ch.action === "added" ? "joined" : "left",
        contact_id: ch.contactId,
        email: ch.contactEmail,
        at: ch.at.toISOString(),
        change_set_id: ch.changeSetId,
        source: ch.sourceLabel,
      })),
      // Always a cursor: at the end it is where to ask again later.
      next_cursor: last ? String(last.id) : since,
      has_more: page.hasMore,
    });
  })
  .get("/:id/change-sets", requireApiRole("viewer"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    const paging = readPaging(c);
    if ("response" in paging) return paging.response;
    const page = await listChangeSets(c.get("db"), c.get("actor").accountId, segment.id, {
      cursor: paging.cursor ? Number(paging.cursor) : null,
      limit: paging.limit,
    });
    return c.json({ data: page.changeSets.map(changeSetJson), next_cursor: page.nextCursor });
  })
  .delete("/:id/contacts", requireApiRole("editor"), async (c) => {
    const segment = await segmentFrom(c);
    if (!segment) return notFound(c);
    if (segment.type === "dynamic") return dynamicConflict(c, segment);
    const read = await readEmails(c);
    if ("response" in read) return read.response;
    const r = await removeEmailsFromSegment(c.get("db"), c.get("actor").accountId, segment.id, read.emails, sourceOf(c.get("actor")));
    return c.json({ removed: r.removed, not_members: r.notMembers, invalid: r.invalid });
  });
