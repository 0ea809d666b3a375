// Custom field definitions of an account (admin-only) and the typed checking of the values contacts hold for them.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { CUSTOM_FIELD_TYPES, customFieldsTable, type CustomFieldType } from "../db/schema";
import type { CustomValue } from "../contacts/upsert";
import { hasNul } from "../text";
import { isUniqueViolation } from "../db/errors";

export interface CustomFieldDef {
  id: number;
  key: string;
  label: string;
  type: CustomFieldType;
  createdAt: Date;
}

export class CustomFieldKeyTakenError extends Error {
  constructor(public key: string) {
    super(`A custom field with the key "${key}" already exists.`);
  }
}

/** "Favourite colour" -> "favourite_colour": the key values are stored under in contacts.custom and the API uses. */
export function keyFromLabel(label: string): string {
  const key = label
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .replace(/æ/g, "ae")
    .replace(/œ/g, "oe")
    .replace(/ø/g, "o")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60);
  return /^[a-z]/.test(key) ? key : key ? `f_${key}` : "";
}

/** The account's custom fields by label, or in the order they were created (the order an export lists them in). */
export async function listCustomFields(db: Db, accountId: number, options: { order?: "label" | "created" } = {}): Promise<CustomFieldDef[]> {
  return db
    .select({
      id: customFieldsTable.id,
      key: customFieldsTable.key,
      label: customFieldsTable.label,
      type: customFieldsTable.type,
      createdAt: customFieldsTable.createdAt,
    })
    .from(customFieldsTable)
    .where(eq(customFieldsTable.accountId, accountId))
    .orderBy(...(options.order === "created" ? [asc(customFieldsTable.id)] : [asc(customFieldsTable.label), asc(customFieldsTable.id)]));
}

export async function createCustomField(db: Db, accountId: number, input: { label: string; type: CustomFieldType }): Promise<CustomFieldDef> {
  const key = keyFromLabel(input.label);
  try {
    const [row] = await db.insert(customFieldsTable).values({ accountId, key, label: input.label.trim(), type: input.type }).returning();
    return { id: row!.id, key: row!.key, label: row!.label, type: row!.type, createdAt: row!.createdAt };
  } catch (e) {
    if (isUniqueViolation(e)) throw new CustomFieldKeyTakenError(key);
    throw e;
  }
}

/** Deletes the definition and the values contacts held for it (one statement), so no value outlives its field. */
export async function deleteCustomField(db: Db, accountId: number, id: number): Promise<CustomFieldDef | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(customFieldsTable)
      .where(and(eq(customFieldsTable.accountId, accountId), eq(customFieldsTable.id, id)))
      .returning();
    if (!row) return null;
    await tx.execute(sql`update contacts set custom = custom - ${row.key}, updated_at = now() where account_id = ${accountId} and custom ? ${row.key}`);
    return { id: row.id, key: row.key, label: row.label, type: row.type, createdAt: row.createdAt };
  });
}

/** Why a new field's label or type cannot be used, by input name (empty when both can). */
export function checkNewField(label: string, type: string): { label?: string; type?: string } {
  const errors: { label?: string; type?: string } = {};
  const l = label.trim();
  if (l === "") errors.label = "Enter a label.";
  else if (l.length > 100) errors.label = "Use at most 100 characters.";
  else if (keyFromLabel(l) === "") errors.label = "Use at least one letter or digit.";
  if (!isCustomFieldType(type)) errors.type = "Choose a type.";
  return errors;
}

export function isCustomFieldType(v: unknown): v is CustomFieldType {
  return typeof v === "string" && (CUSTOM_FIELD_TYPES as readonly string[]).includes(v);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.getUTCMonth() + 1 === Number(m[2]) && d.getUTCDate() === Number(m[3]);
}

/**
 * Checks custom values against the definitions. `form` input is text (a checkbox sends "on" or nothing);
 * `json` input must already have the type's JSON shape. Empty means "no value" (null). Unknown keys are errors.
 * Returns the typed values by key, and errors by key.
 */
export function parseCustomValues(
  defs: CustomFieldDef[],
  input: Record<string, unknown>,
  mode: "form" | "json",
): { values: Record<string, CustomValue>; errors: Record<string, string> } {
  const values: Record<string, CustomValue> = {};
  const errors: Record<string, string> = {};
  const byKey = new Map(defs.map((d) => [d.key, d]));
  for (const key of Object.keys(input)) if (!byKey.has(key)) errors[key] = `There is no custom field "${key}".`;
  for (const [key, raw] of Object.entries(input)) {
    const def = byKey.get(key);
    if (!def) continue;
    if (typeof raw === "string" && hasNul(raw)) {
      errors[key] = `${def.label} must not contain a NUL character (U+0000).`;
      continue;
    }
    if (raw === null || raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
      values[key] = null;
      continue;
    }
    switch (def.type) {
      case "text":
        if (typeof raw !== "string" && mode === "json") errors[key] = `${def.label} must be text.`;
        else values[key] = String(raw).trim().slice(0, 2000);
        break;
      case "number": {
        const n = typeof raw === "number" ? raw : mode === "form" && typeof raw === "string" ? Number(raw.trim().replace(/,/g, "")) : NaN;
        if (!Number.isFinite(n)) errors[key] = `${def.label} must be a number.`;
        else values[key] = n;
        break;
      }
      case "date":
        if (typeof raw !== "string" || !validDate(raw.trim())) errors[key] = `${def.label} must be a date like 2024-05-31.`;
        else values[key] = raw.trim();
        break;
      case "boolean":
        if (typeof raw === "boolean") values[key] = raw;
        else if (mode === "form" && typeof raw === "string" && /^(on|true|yes|1)$/i.test(raw)) values[key] = true;
        else if (mode === "form" && typeof raw === "string" && /^(off|false|no|0)$/i.test(raw)) values[key] = false;
        else errors[key] = `${def.label} must be yes or no${mode === "json" ? " (true or false)" : ""}.`;
        break;
    }
  }
  return { values, errors };
}
