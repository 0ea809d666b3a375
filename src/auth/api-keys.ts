// API keys: shown once at creation, stored as SHA-256, revocable. "full" keys act as an editor of their account.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeysTable, type ApiKeyScope } from "../db/schema";
import { generateToken, hashToken } from "./tokens";

export const API_KEY_PREFIX = "rk_";

export interface ApiKeyPrincipal {
  id: number;
  accountId: number;
  name: string;
  scope: ApiKeyScope;
  allowedOrigins: string[];
}

export async function createApiKey(
  db: Db,
  accountId: number,
  input: { name: string; scope?: ApiKeyScope; allowedOrigins?: string[]; createdBy?: number | null },
) {
  const scope = input.scope ?? "full";
  const key = `${scope === "send" ? "rk_pub_" : API_KEY_PREFIX}${generateToken(24)}`;
  const [row] = await db
    .insert(apiKeysTable)
    .values({
      accountId,
      name: input.name.trim(),
      keyHash: hashToken(key),
      prefix: key.slice(0, scope === "send" ? 12 : 8),
      scope,
      allowedOrigins: input.allowedOrigins ?? [],
      createdBy: input.createdBy ?? null,
    })
    .returning();
  return { key, apiKey: row! };
}

export async function listApiKeys(db: Db, accountId: number) {
  return db.select().from(apiKeysTable).where(eq(apiKeysTable.accountId, accountId)).orderBy(desc(apiKeysTable.createdAt));
}

export async function revokeApiKey(db: Db, accountId: number, id: number) {
  const [row] = await db
    .update(apiKeysTable)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeysTable.accountId, accountId), eq(apiKeysTable.id, id), isNull(apiKeysTable.revokedAt)))
    .returning();
  return row ?? null;
}

/** The live key for this secret, or null when unknown or revoked. Touches last_used_at at most once a minute. */
export async function validateApiKey(db: Db, key: string): Promise<ApiKeyPrincipal | null> {
  const [row] = await db
    .select()
    .from(apiKeysTable)
    .where(and(eq(apiKeysTable.keyHash, hashToken(key)), isNull(apiKeysTable.revokedAt)));
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db
      .update(apiKeysTable)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiKeysTable.accountId, row.accountId), eq(apiKeysTable.id, row.id)));
  }
  return { id: row.id, accountId: row.accountId, name: row.name, scope: row.scope, allowedOrigins: row.allowedOrigins };
}
