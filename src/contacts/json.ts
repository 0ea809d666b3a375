// How contacts, segments and memberships look in the JSON API, and the small request helpers its routes share.
import type { Context } from "hono";
import type { Segment } from "../segments/queries";
import { apiError, type AppEnv } from "../web";
import type { ContactRow } from "./queries";

export function contactJson(c: ContactRow) {
  const out: Record<string, unknown> = {
    id: c.id,
    email: c.email,
    first_name: c.firstName,
    last_name: c.lastName,
    phone: c.phone,
    custom: c.custom,
    segments_count: c.segmentsCount,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
  if (c.membership) {
    out.added_at = c.membership.addedAt.toISOString();
    out.source = { type: c.membership.sourceType, id: c.membership.sourceId, label: c.membership.sourceLabel };
  }
  return out;
}

export function segmentJson(s: Segment) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    type: s.type,
    // A dynamic segment's conditions (the README's grammar) and when its members last matched them; null for static ones.
    conditions: s.conditions,
    member_count: s.memberCount,
    refreshed_at: s.refreshedAt ? s.refreshedAt.toISOString() : null,
    // Why the last refresh stopped (a condition too broad): the members are then those of the refresh before.
    refresh_error: s.refreshError,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

/** The JSON body, or a 400 response when it is not a JSON object. */
export async function readJsonObject(c: Context<AppEnv>): Promise<{ body: Record<string, unknown> } | { response: Response }> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { response: apiError(c, 400, "invalid_json", "The request body must be a JSON object (Content-Type: application/json).") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { response: apiError(c, 400, "invalid_json", "The request body must be a JSON object.") };
  }
  return { body: body as Record<string, unknown> };
}

/** `limit` and `cursor` query parameters, or a 400 response. */
export function readPaging(c: Context<AppEnv>): { limit: number; cursor: string | null } | { response: Response } {
  const rawLimit = c.req.query("limit");
  const limit = rawLimit === undefined || rawLimit === "" ? 50 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    return { response: apiError(c, 400, "invalid_parameter", "limit must be a whole number from 1 to 500.", { field: "limit" }) };
  }
  const cursor = c.req.query("cursor") || null;
  if (cursor !== null && !/^[1-9][0-9]{0,15}$/.test(cursor)) {
    return { response: apiError(c, 400, "invalid_parameter", "cursor must be a next_cursor value from a previous page.", { field: "cursor" }) };
  }
  return { limit, cursor };
}
