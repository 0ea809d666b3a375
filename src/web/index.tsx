// What every route shares: the Hono env type, role checks, page-or-fragment rendering, and the API error body.
import type { Context, MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import type { z } from "zod";
import { ForbiddenPage } from "../../views/error";
import type { Config } from "../config";
import type { Database, Db } from "../db/client";
import type { Role, SourceType } from "../db/schema";
import type { SessionUser } from "../auth/session";
import type { ApiKeyPrincipal } from "../auth/api-keys";
import { hasRole } from "../auth/roles";
import type { MembershipSource } from "../segments/membership";

export { hasRole };

export interface Deps {
  database: Database;
  config: Config;
}

/** Who is acting: a signed-in user or an API key, always within one account. */
export interface Actor {
  accountId: number;
  role: Role;
  userId: number | null;
  apiKeyId: number | null;
  /** How membership history and job lists name this actor. */
  sourceType: Extract<SourceType, "user" | "api_key">;
  sourceId: number;
  label: string;
}

export type AppEnv = {
  Variables: {
    deps: Deps;
    db: Db;
    user: SessionUser | null;
    sessionId: string | null;
    actor: Actor;
    apiKey: ApiKeyPrincipal | null;
  };
};

export function actorFromUser(user: SessionUser): Actor {
  return {
    accountId: user.accountId,
    role: user.role,
    userId: user.id,
    apiKeyId: null,
    sourceType: "user",
    sourceId: user.id,
    label: user.name || user.email,
  };
}

export function actorFromApiKey(key: ApiKeyPrincipal): Actor {
  return {
    accountId: key.accountId,
    role: "editor",
    userId: null,
    apiKeyId: key.id,
    sourceType: "api_key",
    sourceId: key.id,
    label: `API key ${key.name}`,
  };
}

/** How membership history names what this actor changed. */
export function sourceOf(actor: Actor): MembershipSource {
  return { type: actor.sourceType, id: actor.sourceId, label: actor.label };
}

/** HTML routes: a signed-in user with at least this role. Anonymous visitors go to sign-in; too low a role gets 403. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get("user");
    if (!user) {
      const back = new URL(c.req.url);
      const to = `/sign-in?next=${encodeURIComponent(back.pathname + back.search)}`;
      if (c.req.header("HX-Request")) {
        c.header("HX-Redirect", to);
        return c.body(null, 401);
      }
      return c.redirect(to, 303);
    }
    if (!hasRole(user.role, role)) {
      return c.html(<ForbiddenPage user={user} />, 403);
    }
    c.set("actor", actorFromUser(user));
    await next();
  };
}

/** API routes: a key (or, for read-only browser use, nothing else) with at least this role. */
export function requireApiRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const actor = c.get("actor");
    if (!hasRole(actor.role, role)) return apiError(c, 403, "forbidden", `This action needs the ${role} role.`);
    await next();
  };
}

/** True when htmx asked for a fragment (not a history restore, which wants the whole page). */
export function isFragmentRequest(c: Context): boolean {
  return c.req.header("HX-Request") === "true" && c.req.header("HX-History-Restore-Request") !== "true";
}

/** One URL, two renderings: the fragment for htmx, the page otherwise. Caches must key on HX-Request. */
export async function pageOrFragment(c: Context, page: () => Child | Promise<Child>, fragment: () => Child, status: 200 | 422 = 200) {
  c.header("Vary", "HX-Request");
  return c.html((isFragmentRequest(c) ? fragment() : await page()) as string, status);
}

/** The API's error codes, each with its one status (README.md, "Errors and paging"). */
export const API_ERROR_STATUS = {
  invalid_json: 400,
  invalid_parameter: 400,
  invalid_conditions: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  validation_failed: 422,
  internal: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;
export type ApiErrorStatus = (typeof API_ERROR_STATUS)[ApiErrorCode];

/** One problem of a request body: where (`fields.0`, empty for the whole body) and what is wrong. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * `{error: {code, message, ...extra}}` with the code's status. `extra` carries `field` (a query parameter or the
 * body field at fault), `details` (validation_failed) and, for one release, `former_code`: the code this answer had before.
 */
export function apiError<C extends ApiErrorCode>(
  c: Context,
  status: (typeof API_ERROR_STATUS)[C],
  code: C,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return c.json({ error: { code, message, ...extra } }, status);
}

/** 422 validation_failed: the first problem as the message, every problem in `details`. */
export function validationFailed(
  c: Context,
  details: ErrorDetail[],
  extra: Record<string, unknown> = {},
  message = details[0]?.message ?? "The request body is not valid.",
) {
  return apiError(c, 422, "validation_failed", message, { details, ...extra });
}

/** zod's issues as error details (paths joined with dots). */
export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((i) => ({
    path: i.code === "unrecognized_keys" ? (i.keys[0] ?? "") : i.path.join("."),
    message: i.code === "unrecognized_keys" ? `Unknown field "${i.keys[0]}".` : i.message,
  }));
}

/** Parses a positive integer id from a path segment; null for anything else (the route answers 404). */
export function parseId(value: string | undefined): number | null {
  if (!value || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  return Number(value);
}
