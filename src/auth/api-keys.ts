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
  if (row) forgetApiKey(accountId, id);
  return row ?? null;
}

/**
 * Validated keys are remembered for a few seconds, so an API client's every request does not read the key
 * table. Revoking on this instance forgets the key at once; other instances refuse it within CACHE_MS.
 */
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;
const validated = new Map<string, { principal: ApiKeyPrincipal; until: number }>();

function forgetApiKey(accountId: number, id: number) {
  for (const [hash, entry] of validated) {
    if (entry.principal.accountId === accountId && entry.principal.id === id) validated.delete(hash);
  }
}

/** The live key for this secret, or null when unknown or revoked. Touches last_used_at at most once a minute. */
export async function validateApiKey(db: Db, key: string): Promise<ApiKeyPrincipal | null> {
  const hash = hashToken(key);
  const cached = validated.get(hash);
  if (cached && cached.until > Date.now()) return cached.principal;
  const [row] = await db
    .select()
    .from(apiKeysTable)
    .where(and(eq(apiKeysTable.keyHash, hash), isNull(apiKeysTable.revokedAt)));
  if (!row) {
    validated.delete(hash);
    return null;
  }
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db
      .update(apiKeysTable)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(apiKeysTable.accountId, row.accountId), eq(apiKeysTable.id, row.id)));
  }
  const principal: ApiKeyPrincipal = { id: row.id, accountId: row.accountId, name: row.name, scope: row.scope, allowedOrigins: row.allowedOrigins };
  if (validated.size >= CACHE_MAX) validated.clear();
  validated.set(hash, { principal, until: Date.now() + CACHE_MS });
  return principal;
}
