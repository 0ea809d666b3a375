// The first-run checklist: which start steps an account has done, read from its data, and whether this browser hid the list.
import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { queryRows, type Db } from "../db/client";
import { wantsSecureCookies } from "../web/security-headers";
import type { AppEnv } from "../web";

export const START_HIDDEN_COOKIE = "roster_start_hidden";

export interface StartSteps {
  segment: boolean;
  import: boolean;
  apiKey: boolean;
  workflow: boolean;
}

/** One statement of four index probes (each table leads its key with account_id): cheap on every contacts page. */
export async function getStartSteps(db: Db, accountId: number): Promise<StartSteps> {
  const [row] = await queryRows<{ segment: boolean; import: boolean; api_key: boolean; workflow: boolean }>(
    db,
    sql`select exists (select 1 from segments where account_id = ${accountId}) as segment,
               exists (select 1 from imports where account_id = ${accountId} and job_id is not null) as import,
               exists (select 1 from api_keys where account_id = ${accountId}) as api_key,
               exists (select 1 from workflows where account_id = ${accountId}) as workflow`,
    { prepared: true },
  );
  return { segment: row!.segment, import: row!.import, apiKey: row!.api_key, workflow: row!.workflow };
}

export function startChecklistHidden(c: Context<AppEnv>): boolean {
  return getCookie(c, START_HIDDEN_COOKIE) === "1";
}

/** Hiding is a choice of this browser, kept for a year. */
export function hideStartChecklist(c: Context<AppEnv>): void {
  setCookie(c, START_HIDDEN_COOKIE, "1", { httpOnly: true, sameSite: "Lax", secure: wantsSecureCookies(c), path: "/", maxAge: 365 * 86_400 });
}
