// What every route shares: the Hono env type, role checks, page-or-fragment rendering, and the API error body.
import type { Context, MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
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

export type ApiErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

export function apiError(c: Context, status: ApiErrorStatus, code: string, message: string, extra: Record<string, unknown> = {}) {
  return c.json({ error: { code, message, ...extra } }, status);
}

/** Parses a positive integer id from a path segment; null for anything else (the route answers 404). */
export function parseId(value: string | undefined): number | null {
  if (!value || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  return Number(value);
}
