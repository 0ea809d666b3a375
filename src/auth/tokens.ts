// Random tokens and their SHA-256 digests: only digests of session tokens and API keys are ever stored.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { randomBytes } from "node:crypto";

export function generateToken(bytes = 20): string {
  return encodeBase32LowerCaseNoPadding(new Uint8Array(randomBytes(bytes)));
}

export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}
