// JSON API for contacts: /api/v1/contacts, addressed by email. Same operations as the HTML pages.
import { Hono, type Context } from "hono";
import { getDefaultCountry } from "../auth/accounts";
import { listCustomFields } from "../custom-fields/queries";
import { getSegment } from "../segments/queries";
import { apiError, parseId, requireApiRole, sourceOf, validationFailed, type AppEnv } from "../web";
import { contactJson, readJsonObject, readPaging } from "./json";
import { listContacts } from "./list";
import { ContactEmailTakenError, deleteContact, getContact, getContactByEmail, listContactSegments, updateContact } from "./queries";
import { upsertContacts } from "./upsert";
import { parseConditionsForAccount, searchContactsByConditions } from "../conditions/queries";
import { ConditionsTooBroadError } from "../conditions/preview";
import { parseContactJson } from "./validate";

const notFound = (c: Context<AppEnv>) => apiError(c, 404, "not_found", "No contact with this email in your account.");

export const contactApi = new Hono<AppEnv>()
  .get("/", requireApiRole("viewer"), async (c) => {
    const accountId = c.get("actor").accountId;
    const paging = readPaging(c);
    if ("response" in paging) return paging.response;
    const rawSegment = c.req.query("segment_id");
    let segmentId: number | null = null;
    if (rawSegment) {
      segmentId = parseId(rawSegment);
      if (!segmentId || !(await getSegment(c.get("db"), accountId, segmentId))) {
        return apiError(c, 404, "not_found", "No segment with this segment_id in your account.", { field: "segment_id" });
      }
    }
    const q = c.req.query("q");
    const country = q ? await getDefaultCountry(c.get("db"), accountId) : undefined;
    const page = await listContacts(c.get("db"), accountId, { q, segmentId, country }, paging);
    return c.json({ data: page.rows.map(contactJson), next_cursor: page.nextCursor });
  })
  .post("/", requireApiRole("editor"), async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const read = await readJsonObject(c);
    if ("response" in read) return read.response;
    const parsed = parseContactJson(read.body, await listCustomFields(db, accountId), { partial: false, country: await getDefaultCountry(db, accountId) });
    if (parsed.error) return validationFailed(c, [{ path: parsed.error.field, message: parsed.error.message }], { field: parsed.error.field });
    const d = parsed.data!;
    // Create or update by email: given values replace stored ones, absent ones are kept (upsertContacts' rule).
    const [result] = await upsertContacts(
      db,
      accountId,
      [{ email: d.email!, firstName: d.firstName, lastName: d.lastName, phone: d.phone, custom: d.custom }],
      { overwrite: true },
    );
    const contact = await getContact(db, accountId, result!.id);
    return c.json({ ...contactJson(contact!), created: result!.created }, result!.created ? 201 : 200);
  })
  // Contacts matching conditions (the grammar in README.md): {conditions, limit, cursor} -> {count, data, next_cursor}.
  // A bad document is a 400 naming the path of each problem in the body ("conditions.all[1].value").
  .post("/search", requireApiRole("viewer"), async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const read = await readJsonObject(c);
    if ("response" in read) return read.response;
    const { conditions, limit = 50, cursor = null, ...rest } = read.body;
    const details: { path: string; message: string }[] = Object.keys(rest).map((k) => ({
      path: k,
      message: `Unknown key "${k}"; allowed: conditions, limit, cursor.`,
    }));
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 500)
      details.push({ path: "limit", message: "limit must be a whole number from 1 to 500." });
    if (cursor !== null && (typeof cursor !== "string" || !/^[1-9][0-9]{0,15}$/.test(cursor)))
      details.push({ path: "cursor", message: "cursor must be a next_cursor value from a previous page." });
    if (conditions === undefined) details.push({ path: "conditions", message: 'conditions is required: {"all": [...]} or {"any": [...]}.' });
    const parsed = conditions === undefined ? null : await parseConditionsForAccount(db, accountId, conditions, "conditions.");
    if (parsed && !parsed.ok) details.push(...parsed.details);
    if (details.length > 0 || !parsed?.ok) return apiError(c, 400, "invalid_conditions", "The search has problems: see details.", { details });
    try {
      const page = await searchContactsByConditions(db, accountId, parsed.value, {
        limit: limit as number,
        cursor: cursor as string | null,
        country: await getDefaultCountry(db, accountId),
      });
      return c.json({ count: page.count, data: page.rows.map(contactJson), next_cursor: page.nextCursor });
    } catch (e) {
      if (e instanceof ConditionsTooBroadError) {
        return apiError(c, 400, "invalid_conditions", e.message, { details: [{ path: e.path ? `conditions.${e.path}` : "conditions", message: e.message }] });
      }
      throw e;
    }
  })
  .get("/:email", requireApiRole("viewer"), async (c) => {
    const contact = await getContactByEmail(c.get("db"), c.get("actor").accountId, c.req.param("email"));
    return contact ? c.json(contactJson(contact)) : notFound(c);
  })
  .patch("/:email", requireApiRole("editor"), async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const contact = await getContactByEmail(db, accountId, c.req.param("email"));
    if (!contact) return notFound(c);
    const read = await readJsonObject(c);
    if ("response" in read) return read.response;
    const parsed = parseContactJson(read.body, await listCustomFields(db, accountId), { partial: true, country: await getDefaultCountry(db, accountId) });
    if (parsed.error) return validationFailed(c, [{ path: parsed.error.field, message: parsed.error.message }], { field: parsed.error.field });
    try {
      const updated = await updateContact(db, accountId, contact.id, parsed.data!);
      return updated ? c.json(contactJson(updated)) : notFound(c);
    } catch (e) {
      if (e instanceof ContactEmailTakenError) return apiError(c, 409, "conflict", e.message, { field: "email", former_code: "email_taken" });
      throw e;
    }
  })
  .delete("/:email", requireApiRole("editor"), async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const contact = await getContactByEmail(db, accountId, c.req.param("email"));
    if (!contact || !(await deleteContact(db, accountId, contact.id, sourceOf(c.get("actor"))))) return notFound(c);
    return c.json({ id: contact.id, email: contact.email, deleted: true });
  })
  .get("/:email/segments", requireApiRole("viewer"), async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const contact = await getContactByEmail(db, accountId, c.req.param("email"));
    if (!contact) return notFound(c);
    const segments = await listContactSegments(db, accountId, contact.id);
    return c.json({
      data: segments.map((s) => ({
        id: s.id,
        name: s.name,
        added_at: s.addedAt.toISOString(),
        source: { type: s.sourceType, id: s.sourceId, label: s.sourceLabel },
      })),
    });
  });
