// Password hashing with argon2id, using the parameters the Lucia guide recommends.
import { hash, verify } from "@node-rs/argon2";
import commonPasswords from "./common-passwords.json";

const OPTIONS = { memoryCost: 19456, timeCost: 2, outputLen: 32, parallelism: 1 };

export const MIN_PASSWORD_LENGTH = 8;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPasswordHash(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

const COMMON = new Set<string>(commonPasswords);

/** One of the few hundred passwords tried first by anyone guessing (common-passwords.json), case ignored. */
export function isCommonPassword(password: string): boolean {
  return COMMON.has(password.trim().toLowerCase());
}
