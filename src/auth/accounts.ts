// Accounts and their users: first-run setup, sign-in checks, and the admin's user management.
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { accountsTable, usersTable, type Role } from "../db/schema";
import type { CountryCode } from "libphonenumber-js/max";
import { FALLBACK_COUNTRY, isCountryCode } from "../contacts/phone";
import { hashPassword, verifyPasswordHash } from "./password";
import { invalidateUserSessions } from "./session";
import { isUniqueViolation } from "../db/errors";

/**
 * An email that cannot be a new user's. Emails are unique across accounts, but whether another account has it is
 * not this account's business: only a user of the same account is named as such (`inThisAccount`).
 */
export class EmailTakenError extends Error {
  constructor(
    public email: string,
    public inThisAccount = true,
  ) {
    super(inThisAccount ? `${email} is already a user of this account.` : `A user with the email ${email} cannot be added. Use another email address.`);
  }
}

export async function accountExists(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(accountsTable);
  return (row?.n ?? 0) > 0;
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
}

/** Creates an account and its first admin in one transaction. */
export async function createAccountWithAdmin(db: Db, accountName: string, admin: Omit<NewUser, "role">, defaultCountry?: string) {
  return (await insertAccountWithAdmin(db, accountName, admin, { onlyIfFirst: false, defaultCountry }))!;
}

/**
 * First-run setup: creates the account and its admin only while there is no account at all, or returns null.
 * Concurrent setups queue on one transaction-scoped advisory lock and check inside it, so exactly one wins.
 */
export async function createFirstAccount(db: Db, accountName: string, admin: Omit<NewUser, "role">, defaultCountry?: string) {
  return insertAccountWithAdmin(db, accountName, admin, { onlyIfFirst: true, defaultCountry });
}

async function insertAccountWithAdmin(db: Db, accountName: string, admin: Omit<NewUser, "role">, options: { onlyIfFirst: boolean; defaultCountry?: string }) {
  const passwordHash = await hashPassword(admin.password);
  try {
    return await db.transaction(async (tx) => {
      if (options.onlyIfFirst) {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('roster:first-run-setup'))`);
        const [existing] = await tx.select({ id: accountsTable.id }).from(accountsTable).limit(1);
        if (existing) return null;
      }
      const [account] = await tx
        .insert(accountsTable)
        .values({ name: accountName.trim(), ...(options.defaultCountry && { defaultCountry: options.defaultCountry }) })
        .returning();
      const [user] = await tx
        .insert(usersTable)
        .values({ accountId: account!.id, email: admin.email.trim(), name: admin.name.trim(), passwordHash, role: "admin" })
        .returning();
      return { account: account!, user: user! };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new EmailTakenError(admin.email, false);
    throw e;
  }
}

/** The active user with this email and password, or null. Runs argon2 even for unknown emails (no timing oracle). */
export async function findUserByCredentials(db: Db, email: string, password: string) {
  const [user] = await db
    .select()
    .from(usersTable)
    .where(sql`lower(${usersTable.email}) = ${email.trim().toLowerCase()}`);
  const ok = await verifyPasswordHash(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !ok || !user.active) return null;
  return user;
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword("not-a-real-password");
  return dummy;
}

export async function listUsers(db: Db, accountId: number) {
  return db.select().from(usersTable).where(eq(usersTable.accountId, accountId)).orderBy(asc(usersTable.createdAt), asc(usersTable.id));
}

export async function getUser(db: Db, accountId: number, userId: number) {
  const [user] = await db
    .select()
    .from(usersTable)
    .where(and(eq(usersTable.accountId, accountId), eq(usersTable.id, userId)));
  return user ?? null;
}

export async function createUser(db: Db, accountId: number, input: NewUser) {
  const passwordHash = await hashPassword(input.password);
  try {
    const [user] = await db
      .insert(usersTable)
      .values({ accountId, email: input.email.trim(), name: input.name.trim(), passwordHash, role: input.role })
      .returning();
    return user!;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const [mine] = await db
      .select({ id: usersTable.id })
      .from(usersTable)
      .where(and(eq(usersTable.accountId, accountId), sql`lower(${usersTable.email}) = ${input.email.trim().toLowerCase()}`));
    throw new EmailTakenError(input.email.trim(), Boolean(mine));
  }
}

export async function changeUserRole(db: Db, accountId: number, userId: number, role: Role) {
  const [user] = await db
    .update(usersTable)
    .set({ role, updatedAt: new Date() })
    .where(and(eq(usersTable.accountId, accountId), eq(usersTable.id, userId)))
    .returning();
  return user ?? null;
}

/** Deactivating a user ends all their sessions at once; reactivation lets them sign in again. */
export async function setUserActive(db: Db, accountId: number, userId: number, active: boolean) {
  const [user] = await db
    .update(usersTable)
    .set({ active, updatedAt: new Date() })
    .where(and(eq(usersTable.accountId, accountId), eq(usersTable.id, userId)))
    .returning();
  if (user && !active) await invalidateUserSessions(db, accountId, userId);
  return user ?? null;
}

/** A new password ends every session of the user, including the one that changed it (the caller signs in anew). */
export async function changePassword(db: Db, accountId: number, userId: number, password: string) {
  const passwordHash = await hashPassword(password);
  await db
    .update(usersTable)
    .set({ passwordHash, updatedAt: new Date() })
    .where(and(eq(usersTable.accountId, accountId), eq(usersTable.id, userId)));
  await invalidateUserSessions(db, accountId, userId);
}

/** The country phone numbers written without a country code are read in (an account setting, Admin > Account). */
export async function getDefaultCountry(db: Db, accountId: number): Promise<CountryCode> {
  const [row] = await db.select({ country: accountsTable.defaultCountry }).from(accountsTable).where(eq(accountsTable.id, accountId));
  return isCountryCode(row?.country) ? row.country : FALLBACK_COUNTRY;
}

export async function setDefaultCountry(db: Db, accountId: number, country: CountryCode): Promise<void> {
  await db.update(accountsTable).set({ defaultCountry: country }).where(eq(accountsTable.id, accountId));
}
