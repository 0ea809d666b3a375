// Checks a column mapping, chosen on the mapping step or sent to the API: known targets, exactly one email column, no field twice.
import type { ColumnTarget, CustomFieldRef } from "./headers";
import { mapHeaders, normaliseHeader } from "./headers";

export const BUILTIN_TARGETS: readonly { value: ColumnTarget; label: string }[] = [
  { value: "email", label: "Email" },
  { value: "first_name", label: "First name" },
  { value: "last_name", label: "Last name" },
  { value: "phone", label: "Phone" },
];

/** The name a user reads for a target: "Email", "Custom: Loyalty tier", "Don't import". */
export function targetLabel(target: ColumnTarget, customFields: readonly CustomFieldRef[] = []): string {
  if (target === "skip") return "Don't import";
  const builtin = BUILTIN_TARGETS.find((t) => t.value === target);
  if (builtin) return builtin.label;
  const key = target.slice("custom:".length);
  return `Custom: ${customFields.find((f) => f.key === key)?.label ?? key}`;
}

/** A submitted target value, or null when it names no field this account has ("" and "skip" mean Don't import). */
export function parseTarget(value: string, customFields: readonly CustomFieldRef[]): ColumnTarget | null {
  const v = value.trim();
  if (v === "" || v === "skip") return "skip";
  if (BUILTIN_TARGETS.some((t) => t.value === v)) return v as ColumnTarget;
  if (v.startsWith("custom:") && customFields.some((f) => f.key === v.slice("custom:".length))) return v as ColumnTarget;
  return null;
}

/** Why this mapping cannot be imported, or null: one column must be the email, and no field may take two columns. */
export function checkMapping(mapping: readonly ColumnTarget[], customFields: readonly CustomFieldRef[] = []): string | null {
  if (!mapping.includes("email")) return "Choose which column holds the email address: an email column is required.";
  const seen = new Set<ColumnTarget>();
  for (const target of mapping) {
    if (target === "skip") continue;
    if (seen.has(target)) return `${targetLabel(target, customFields)} is chosen for more than one column: choose it once.`;
    seen.add(target);
  }
  return null;
}

export type MappingResult = { ok: true; mapping: ColumnTarget[] } | { ok: false; message: string };

/**
 * The API's `mapping`: a JSON object from column header to field. Headers it names take that field (matched
 * like automatic mapping: case, spaces, '-' and '_' ignored); the others keep their automatic mapping, except
 * that a field the object gives to a column is taken away from any column that had it automatically.
 */
export function mappingFromJson(header: readonly string[], json: string | undefined, customFields: readonly CustomFieldRef[]): MappingResult {
  const mapping = mapHeaders(header, customFields);
  if (json === undefined || json.trim() === "") {
    const problem = checkMapping(mapping, customFields);
    return problem ? { ok: false, message: problem } : { ok: true, mapping };
  }
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    return { ok: false, message: "mapping is not valid JSON: send an object from column header to field." };
  }
  if (!input || typeof input !== "object" || Array.isArray(input)) return { ok: false, message: "mapping must be a JSON object from column header to field." };
  const normalised = header.map(normaliseHeader);
  const chosen = new Map<number, ColumnTarget>();
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const column = normalised.indexOf(normaliseHeader(name));
    if (column === -1) return { ok: false, message: `mapping names a column the file does not have: "${name}".` };
    const target = typeof value === "string" ? parseTarget(value, customFields) : value === null ? "skip" : null;
    if (!target)
      return {
        ok: false,
        message: `mapping of "${name}": unknown field ${JSON.stringify(value)} (use email, first_name, last_name, phone, custom:<key> or skip).`,
      };
    chosen.set(column, target);
  }
  const taken = new Set<ColumnTarget>([...chosen.values()].filter((t) => t !== "skip"));
  const result = mapping.map((auto, i) => chosen.get(i) ?? (taken.has(auto) ? "skip" : auto));
  const problem = checkMapping(result, customFields);
  return problem ? { ok: false, message: problem } : { ok: true, mapping: result };
}
