// Checks one parsed CSV row (column count, email) and turns it into the contact values an import writes.
import type { ColumnTarget } from "./headers";
import type { CsvRecord } from "./parse";
// Roster's own exports prefix formula-like cells with an apostrophe; reading them back undoes exactly that.
import { restoreNeutralisedFormula } from "../exports/formats";
import type { CountryCode } from "libphonenumber-js/max";
import { parsePhone } from "../contacts/phone";
import { hasNul } from "../text";
import type { ColumnReader } from "./typed-columns";

export interface ContactValues {
  /** Trimmed, case kept as entered. */
  email: string;
  /** Lowercased: the identity the unique index on lower(email) compares. */
  emailKey: string;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  /** Only the custom fields with a non-empty cell (or a value for an empty one: an "x"-marked yes/no column), typed. */
  custom: Record<string, string | number | boolean>;
}

export type RowCheck = { ok: true; values: ContactValues } | { ok: false; reason: string };

const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_SHOWN = 100;

// Dot-atoms of RFC 5322 characters plus Unicode letters and digits (internationalised addresses).
// The ASCII patterns are tried first: they accept nearly every real address at a fraction of the cost.
const ATEXT = "!#$%&'*+/=?^_`{|}~-";
const LOCAL_ASCII = new RegExp(`^[A-Za-z0-9${escape(ATEXT)}]+(?:\\.[A-Za-z0-9${escape(ATEXT)}]+)*$`);
const LOCAL_UNICODE = new RegExp(`^[\\p{L}\\p{M}\\p{N}${escape(ATEXT)}]+(?:\\.[\\p{L}\\p{M}\\p{N}${escape(ATEXT)}]+)*$`, "u");
const DOMAIN_ASCII = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DOMAIN_UNICODE =
  /^(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?\.)+[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?$/u;
const NUMERIC_TLD = /\.\d+$/;

function escape(chars: string): string {
  return chars.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/**
 * Returns why `value` is not a usable email address, or null when it is. Practical rather than
 * RFC-complete: one @, no spaces or quoted local parts, a dotted domain whose last label is not a
 * number, the SMTP length limits (254 in all, 64 before the @, 63 per domain label).
 * `value` is expected trimmed.
 */
export function checkEmail(value: string): string | null {
  if (value === "") return "missing email";
  const at = value.indexOf("@");
  if (value.length > MAX_EMAIL || at <= 0 || at !== value.lastIndexOf("@") || at > MAX_LOCAL) return invalidEmail(value);
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!LOCAL_ASCII.test(local) && !LOCAL_UNICODE.test(local)) return invalidEmail(value);
  if (domain.length > MAX_DOMAIN || NUMERIC_TLD.test(domain)) return invalidEmail(value);
  if (!DOMAIN_ASCII.test(domain) && !DOMAIN_UNICODE.test(domain)) return invalidEmail(value);
  return null;
}

function invalidEmail(value: string): string {
  return `invalid email: ${value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value}`;
}

/**
 * Checks a data record against the column mapping (one target per header column) and, when it
 * is usable, returns its contact values, the phone in E.164 (read in `country` when written without
 * its country code) and typed custom fields read by `readers` (typed-columns.ts): a cell that does not read makes
 * the row a problem, never text. The reason strings go to the import's error report as they are.
 */
export function validateRow(record: CsvRecord, mapping: readonly ColumnTarget[], country: CountryCode, readers?: readonly (ColumnReader | null)[]): RowCheck {
  if (record.error) return { ok: false, reason: record.error };
  if (record.fields.length !== mapping.length) {
    return { ok: false, reason: `expected ${mapping.length} columns, found ${record.fields.length}` };
  }
  const emailColumn = mapping.indexOf("email");
  if (emailColumn === -1) return { ok: false, reason: "no email column" };
  // PostgreSQL text cannot hold U+0000, and U+FFFD is what decoding made of bytes that are not valid in the
  // file's encoding: either way the row is reported, never stored, and the rest of the file goes on.
  for (let i = 0; i < record.fields.length; i++) {
    const cell = record.fields[i]!;
    if (hasNul(cell)) return { ok: false, reason: `column ${i + 1} contains a NUL character` };
    if (cell.includes("\uFFFD")) return { ok: false, reason: `not valid UTF-8 (column ${i + 1}): fix those bytes, or choose the file's encoding` };
  }
  const reason = checkEmail(record.fields[emailColumn]!.trim());
  if (reason) return { ok: false, reason };
  const values = toContactValues(record.fields, mapping, readers);
  if (values.phone !== null) {
    const phone = parsePhone(values.phone, country);
    if (!phone.ok)
      return {
        ok: false,
        reason: `invalid phone: ${values.phone.length > MAX_SHOWN ? `${values.phone.slice(0, MAX_SHOWN)}…` : values.phone} (${phone.message})`,
      };
    values.phone = phone.e164;
  }
  if (readers) {
    for (let i = 0; i < readers.length; i++) {
      const reader = readers[i];
      if (!reader) continue;
      const cell = restoreNeutralisedFormula((record.fields[i] ?? "").trim());
      if (cell === "") {
        if (reader.empty !== undefined) values.custom[reader.key] = reader.empty;
        continue;
      }
      const value = reader.read(cell);
      if (value === undefined) return { ok: false, reason: reader.problem(cell) };
      values.custom[reader.key] = value;
    }
  }
  return { ok: true, values };
}

/**
 * Turns the cells of a validated row into contact values. Cells are trimmed and empty ones
 * become null (custom: absent), so that an import never blanks a field that already has a value. Columns with a
 * reader in `typed` are left to validateRow.
 */
export function toContactValues(fields: readonly string[], mapping: readonly ColumnTarget[], typed?: readonly (ColumnReader | null)[]): ContactValues {
  const values: ContactValues = { email: "", emailKey: "", first_name: null, last_name: null, phone: null, custom: {} };
  for (let i = 0; i < mapping.length; i++) {
    const target = mapping[i]!;
    // Typed columns are read by validateRow.
    if (target === "skip" || typed?.[i]) continue;
    const cell = (fields[i] ?? "").trim();
    if (target === "email") {
      values.email = cell;
      values.emailKey = cell.toLowerCase();
    } else if (cell === "") continue;
    else if (target === "first_name" || target === "last_name" || target === "phone") values[target] = restoreNeutralisedFormula(cell);
    else values.custom[target.slice("custom:".length)] = restoreNeutralisedFormula(cell);
  }
  return values;
}
