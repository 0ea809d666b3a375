// An app over a fresh test database, with helpers to make accounts, sign in and call routes as a browser or an API client.
import { createApp } from "../../src/app";
import { createAccountWithAdmin, createUser } from "../../src/auth/accounts";
import { createApiKey } from "../../src/auth/api-keys";
import { createSession, generateSessionToken, SESSION_COOKIE } from "../../src/auth/session";
import { parseConfig } from "../../src/config";
import { FLASH_COOKIE } from "../../src/web/flash";
import type { Role } from "../../src/db/schema";
import { drainJobs } from "../../src/jobs/worker";
import { createTestDatabase, type TestDatabase } from "./db";

export const ORIGIN = "http://localhost";

export interface TestAccount {
  accountId: number;
  adminId: number;
  /** Cookie header value of a signed-in admin session. */
  adminCookie: string;
  apiKey: string;
  /** A signed-in user of this account with the given role; returns its cookie header. */
  userCookie(role: Role): Promise<string>;
}

let counter = 0;

/** `env` adds configuration variables, e.g. `{ TRUST_PROXY: "1" }`. */
export async function createTestApp(env: Record<string, string> = {}) {
  const database: TestDatabase = await createTestDatabase();
  const config = parseConfig({ LOG_LEVEL: "silent", WORKER: "off", ...env });
  const deps = { database, config };
  const { app } = createApp(deps);
  const db = database.db;

  async function cookieFor(accountId: number, userId: number) {
    const token = generateSessionToken();
    await createSession(db, token, accountId, userId);
    return `${SESSION_COOKIE}=${token}`;
  }

  return {
    app,
    database,
    db,
    deps,
    /** Runs every queued job to its end, as a worker would. */
    runJobs: () => drainJobs(deps),
    async createAccount(name = `Account ${++counter}`): Promise<TestAccount> {
      const n = ++counter;
      const { account, user } = await createAccountWithAdmin(db, name, {
        name: `Admin ${n}`,
        email: `admin${n}-${Date.now()}@example.test`,
        password: "correct horse battery",
      });
      const { key } = await createApiKey(db, account.id, { name: "tests" });
      return {
        accountId: account.id,
        adminId: user.id,
        adminCookie: await cookieFor(account.id, user.id),
        apiKey: key,
        async userCookie(role: Role) {
          const u = await createUser(db, account.id, {
            name: `${role} ${++counter}`,
            email: `${role}${counter}-${Date.now()}@example.test`,
            password: "correct horse battery",
            role,
          });
          return cookieFor(account.id, u.id);
        },
      };
    },
    /** A browser-like request: session cookie, same-site Origin on writes, form or JSON body. */
    browser(cookie: string | null, path: string, init: { method?: string; form?: Record<string, string | string[]>; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (cookie) headers.Cookie = cookie;
      let body: string | undefined;
      if (init.form) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(init.form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
        body = params.toString();
        headers["Content-Type"] = "application/x-www-form-urlencoded";
      }
      const method = init.method ?? (init.form ? "POST" : "GET");
      if (method !== "GET" && !headers.Origin) headers.Origin = ORIGIN;
      return app.request(`${ORIGIN}${path}`, { method, headers, body });
    },
    /**
     * After a form's redirect (or htmx's HX-Redirect): follows it as the browser would, with the flash cookie it set,
     * and returns the toasts' text.
     */
    async noticeAfter(cookie: string, res: Response): Promise<string> {
      const flash = res.headers.getSetCookie().find((line) => line.startsWith(`${FLASH_COOKIE}=`));
      if (!flash) return "";
      const page = await this.browser(`${cookie}; ${flash.split(";")[0]}`, (res.headers.get("location") ?? res.headers.get("hx-redirect"))!);
      const html = await page.text();
      return [...html.matchAll(/<div class="notice toast[^"]*" role="status"[^>]*><p>(.*?)<\/p>/gs)].map((m) => m[1]!).join("\n");
    },
    /** An API request with a Bearer key and an optional JSON body. */
    api(key: string | null, path: string, init: { method?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (key) headers.Authorization = `Bearer ${key}`;
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["Content-Type"] = "application/json";
      }
      return app.request(`${ORIGIN}/api/v1${path}`, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, body });
    },
    close: () => database.destroy(),
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
