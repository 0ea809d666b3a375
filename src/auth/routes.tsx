// First-run setup, sign-in, sign-out and password change: the HTML routes of the sign-in machinery.
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ChangePasswordPage, SetupPage, SignInPage } from "../../views/auth/pages";
import { redirectWithNotice, takeFlash } from "../web/flash";
import { safeNextPath } from "../web/safe-path";
import { wantsSecureCookies } from "../web/security-headers";
import type { AppEnv } from "../web";
import { fieldErrors, readForm } from "../web/form";
import { emailSchema, passwordSchema } from "./credentials";
import { getConnInfo } from "@hono/node-server/conninfo";
import { countryFromAcceptLanguage } from "../contacts/phone";
import { accountExists, changePassword, createFirstAccount, findUserByCredentials, getUser } from "./accounts";
import { verifyPasswordHash } from "./password";
import { clientAddress, releaseAttempt, reserveAttempt, throttleKeys } from "./rate-limit";
import { SESSION_COOKIE, createSession, generateSessionToken, invalidateSession, validateSessionToken } from "./session";

const setupSchema = z.object({
  accountName: z.string().trim().min(1, "Enter your company's name.").max(200),
  name: z.string().trim().min(1, "Enter your name.").max(200),
  email: emailSchema,
  password: passwordSchema,
});

export function setSessionCookie(c: Context<AppEnv>, token: string, expiresAt: Date) {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: "Lax", secure: wantsSecureCookies(c), path: "/", expires: expiresAt });
}

/** The client's address for throttling (see TRUST_PROXY); absent when neither a socket nor a trusted proxy says (tests). */
function requestAddress(c: Context<AppEnv>): string | null {
  let socket: string | null = null;
  try {
    socket = getConnInfo(c).remote.address ?? null;
  } catch {
    // not through a socket
  }
  return clientAddress(socket, c.req.header("X-Forwarded-For"), c.get("deps").config.TRUST_PROXY);
}

function tooManyFailures(what: string, wait: number): string {
  return `Too many failed ${what}. Wait ${wait} second${wait === 1 ? "" : "s"}, then try again.`;
}

export const authRoutes = new Hono<AppEnv>()
  .get("/setup", async (c) => {
    if (await accountExists(c.get("db"))) return c.redirect("/sign-in", 303);
    return c.html(<SetupPage />);
  })
  .post("/setup", async (c) => {
    const db = c.get("db");
    if (await accountExists(c.get("db"))) return c.redirect("/sign-in", 303);
    const form = await readForm(c);
    const parsed = setupSchema.safeParse(form);
    if (!parsed.success) return c.html(<SetupPage values={form} errors={fieldErrors(parsed.error)} />, 422);
    const { accountName, ...admin } = parsed.data;
    // The account's default country for phone numbers is guessed from the browser's language; admins change it.
    const created = await createFirstAccount(db, accountName, admin, countryFromAcceptLanguage(c.req.header("accept-language")));
    if (!created) return c.redirect("/sign-in", 303);
    const { user } = created;
    const token = generateSessionToken();
    setSessionCookie(c, token, await createSession(db, token, user.accountId, user.id));
    return c.redirect("/", 303);
  })
  .get("/sign-in", async (c) => {
    if (!(await accountExists(c.get("db")))) return c.redirect("/setup", 303);
    if (c.get("user")) return c.redirect(safeNextPath(c.req.query("next")), 303);
    return c.html(<SignInPage next={c.req.query("next") ?? ""} notice={await takeFlash(c)} />);
  })
  .post("/sign-in", async (c) => {
    const db = c.get("db");
    const form = await readForm(c);
    const email = String(form.email ?? "").trim();
    const password = String(form.password ?? "");
    const next = String(form.next ?? "");
    const keys = throttleKeys("sign-in", email, requestAddress(c));
    const attempt = await reserveAttempt(db, keys);
    if (!attempt.allowed) {
      c.header("Retry-After", String(attempt.waitSeconds));
      return c.html(<SignInPage email={email} next={next} error={tooManyFailures("sign-ins", attempt.waitSeconds)} />, 429);
    }
    const user = email && password ? await findUserByCredentials(db, email, password) : null;
    if (!user) return c.html(<SignInPage email={email} next={next} error="That email and password do not match an active user." />, 401);
    await releaseAttempt(db, keys);
    const token = generateSessionToken();
    setSessionCookie(c, token, await createSession(db, token, user.accountId, user.id));
    return c.redirect(safeNextPath(next), 303);
  })
  .post("/sign-out", async (c) => {
    const sessionId = c.get("sessionId");
    if (sessionId) await invalidateSession(c.get("db"), sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return redirectWithNotice(c, "/sign-in", "You are signed out.");
  })
  .get("/account/password", async (c) => {
    const user = c.get("user");
    if (!user) return c.redirect("/sign-in?next=/account/password", 303);
    return c.html(<ChangePasswordPage user={user} />);
  })
  .post("/account/password", async (c) => {
    const db = c.get("db");
    const user = c.get("user");
    if (!user) return c.redirect("/sign-in", 303);
    const form = await readForm(c);
    const keys = throttleKeys("password", String(user.id), requestAddress(c));
    const attempt = await reserveAttempt(db, keys);
    if (!attempt.allowed) {
      c.header("Retry-After", String(attempt.waitSeconds));
      return c.html(<ChangePasswordPage user={user} errors={{ current: tooManyFailures("tries", attempt.waitSeconds) }} />, 429);
    }
    const record = await getUser(db, user.accountId, user.id);
    if (!record || !(await verifyPasswordHash(record.passwordHash, String(form.current ?? "")))) {
      return c.html(<ChangePasswordPage user={user} errors={{ current: "That is not your current password." }} />, 422);
    }
    await releaseAttempt(db, keys);
    const parsed = passwordSchema.safeParse(form.password);
    if (!parsed.success) return c.html(<ChangePasswordPage user={user} errors={{ password: parsed.error.issues[0]!.message }} />, 422);
    await changePassword(db, user.accountId, user.id, parsed.data);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return redirectWithNotice(c, "/sign-in", "Your password was changed. Sign in with the new one.");
  });

/** Reads the session cookie on every request; a stale cookie is removed, an extended one sent again. */
export async function loadSession(c: Context<AppEnv>) {
  const token = getCookie(c, SESSION_COOKIE);
  c.set("user", null);
  c.set("sessionId", null);
  if (!token) return;
  const session = await validateSessionToken(c.get("db"), token);
  if (!session) {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return;
  }
  c.set("user", session.user);
  c.set("sessionId", session.sessionId);
  if (session.extended) setSessionCookie(c, token, session.expiresAt);
}
