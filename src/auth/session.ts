// Sessions as the Lucia guide builds them: a random cookie token, its SHA-256 as the stored id, 30-day sliding expiry.
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { accountsTable, sessionsTable, usersTable, type Role } from "../db/schema";
import { generateToken, hashToken } from "./tokens";

const DAY = 24 * 60 * 60 * 1000;
export const SESSION_LIFETIME_MS = 30 * DAY;
export const SESSION_COOKIE = "roster_session";

export interface SessionUser {
  id: number;
  accountId: number;
  accountName: string;
  email: string;
  name: string;
  role: Role;
}

export interface ValidatedSession {
  sessionId: string;
  expiresAt: Date;
  /** True when this request moved the expiry (the cookie must be sent again with it). */
  extended: boolean;
  user: SessionUser;
}

export function generateSessionToken(): string {
  return generateToken(20);
}

export async function createSession(db: Db, token: string, accountId: number, userId: number): Promise<Date> {
  const expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
  await db.insert(sessionsTable).values({ id: hashToken(token), accountId, userId, expiresAt });
  return expiresAt;
}

/**
 * Looks the token's hash up; deletes an expired session; extends one past half its life (sliding expiry).
 * A deactivated user has no valid session.
 */
export async function validateSessionToken(db: Db, token: string): Promise<ValidatedSession | null> {
  const sessionId = hashToken(token);
  const [row] = await db
    .select({
      expiresAt: sessionsTable.expiresAt,
      user: {
        id: usersTable.id,
        accountId: usersTable.accountId,
        accountName: accountsTable.name,
        email: usersTable.email,
        name: usersTable.name,
        role: usersTable.role,
        active: usersTable.active,
      },
    })
    .from(sessionsTable)
    .innerJoin(usersTable, and(eq(usersTable.accountId, sessionsTable.accountId), eq(usersTable.id, sessionsTable.userId)))
    .innerJoin(accountsTable, eq(accountsTable.id, usersTable.accountId))
    .where(eq(sessionsTable.id, sessionId));
  if (!row) return null;
  if (Date.now() >= row.expiresAt.getTime() || !row.user.active) {
    await db.delete(sessionsTable).where(eq(sessionsTable.id, sessionId));
    return null;
  }
  let expiresAt = row.expiresAt;
  const extended = Date.now() >= expiresAt.getTime() - SESSION_LIFETIME_MS / 2;
  if (extended) {
    expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
    await db.update(sessionsTable).set({ expiresAt }).where(eq(sessionsTable.id, sessionId));
  }
  const { active: _active, ...user } = row.user;
  return { sessionId, expiresAt, extended, user };
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
  await db.delete(sessionsTable).where(eq(sessionsTable.id, sessionId));
}

export async function invalidateUserSessions(db: Db, accountId: number, userId: number): Promise<void> {
  await db.delete(sessionsTable).where(and(eq(sessionsTable.accountId, accountId), eq(sessionsTable.userId, userId)));
}
