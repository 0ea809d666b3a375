// One-time notices across a redirect: a cookie naming a server-side row that the next page render reads and deletes.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "../db/client";
import { generateToken, hashToken } from "../auth/tokens";
import { safeNextPath } from "./safe-path";
import { wantsSecureCookies } from "./security-headers";
import type { AppEnv } from ".";

export const FLASH_COOKIE = "roster_flash";
/** Long enough for a redirect to be followed on a slow link; a notice nobody saw in time is dropped. */
export const FLASH_MAX_AGE_SECONDS = 60;

/**
 * What a toast shows (views/components/toast.tsx). `action` is a link on this site (Download, See it), or with
 * `method: "post"` a button posting to it (Undo: a change is never made by following a link).
 */
export interface Notice {
  text: string;
  tone?: "success" | "warning" | "error";
  action?: { label: string; href: string; method?: "post" };
}

/**
 * Stores the notice and sets the flash cookie; the next full page that calls `takeFlash` shows it once.
 * The cookie holds only a random token: its text cannot be chosen by whoever writes a link or a cookie.
 */
export async function setFlash(c: Context<AppEnv>, notice: Notice | string): Promise<void> {
  const value = typeof notice === "string" ? { text: notice } : notice;
  const token = generateToken(20);
  await c.get("db").execute(
    sql`insert into flash_notices (id, notice, expires_at)
        values (${hashToken(token)}, ${JSON.stringify(value)}::jsonb, now() + make_interval(secs => ${FLASH_MAX_AGE_SECONDS}))`,
  );
  setCookie(c, FLASH_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: wantsSecureCookies(c),
    path: "/",
    maxAge: FLASH_MAX_AGE_SECONDS,
  });
}

/** `setFlash` then a 303 to `path` (a path of this site, which the caller has already made safe). */
export async function redirectWithNotice(c: Context<AppEnv>, path: string, notice: Notice | string) {
  await setFlash(c, notice);
  return c.redirect(path, 303);
}

/**
 * The pending notice, removed as it is read (so a reload or a second tab does not show it again), or null.
 * Call it only where the notice is rendered: a full page, not a fragment.
 */
export async function takeFlash(c: Context<AppEnv>): Promise<Notice | null> {
  const token = getCookie(c, FLASH_COOKIE);
  if (!token) return null;
  deleteCookie(c, FLASH_COOKIE, { path: "/", httpOnly: true, sameSite: "Lax", secure: wantsSecureCookies(c) });
  if (token.length > 64) return null;
  const [row] = await queryRows<{ notice: unknown; live: boolean }>(
    c.get("db"),
    sql`delete from flash_notices where id = ${hashToken(token)} returning notice, expires_at > now() as live`,
  );
  if (!row || !row.live) return null;
  return parseNotice(row.notice);
}

function parseNotice(value: unknown): Notice | null {
  if (!value || typeof value !== "object") return null;
  const { text, tone, action } = value as Record<string, unknown>;
  if (typeof text !== "string" || text === "") return null;
  const notice: Notice = { text };
  if (tone === "success" || tone === "warning" || tone === "error") notice.tone = tone;
  if (action && typeof action === "object") {
    const { label, href, method } = action as Record<string, unknown>;
    if (typeof label === "string" && typeof href === "string") {
      notice.action = { label, href: safeNextPath(href) };
      if (method === "post") notice.action.method = "post";
    }
  }
  return notice;
}

/** Drops notices whose redirect was never followed. */
export async function purgeExpiredFlashes(db: Db, now: Date = new Date()): Promise<void> {
  await db.execute(sql`delete from flash_notices where expires_at < ${now.toISOString()}::timestamptz`);
}
