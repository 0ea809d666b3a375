// The properties an export can hold: contact fields, the account's custom fields and, for a segment, membership details.
import type { CustomFieldType } from "../db/schema";
import type { ExportColumn, ExportColumnType } from "./formats";

/** One property as the wizard lists it and the API names it (`id`), with its column in the file. */
export interface ExportField {
  /** "email", "first_name", ..., "custom:<key>", "added_at", "source_label". */
  id: string;
  label: string;
  type: ExportColumnType;
  /** Only meaningful for a segment export (membership columns). */
  segmentOnly: boolean;
}

// Labels are the ones the importer maps back automatically (src/imports/headers.ts: Email, First Name,
// Last Name, Phone, custom fields by label), so a CSV export imports back unchanged.
const CONTACT_FIELDS: ExportField[] = [
  { id: "email", label: "Email", type: "text", segmentOnly: false },
  { id: "first_name", label: "First Name", type: "text", segmentOnly: false },
  { id: "last_name", label: "Last Name", type: "text", segmentOnly: false },
  { id: "phone", label: "Phone", type: "text", segmentOnly: false },
  { id: "created_at", label: "Created at", type: "datetime", segmentOnly: false },
  { id: "updated_at", label: "Updated at", type: "datetime", segmentOnly: false },
];

const SEGMENT_FIELDS: ExportField[] = [
  { id: "added_at", label: "Date added to segment", type: "datetime", segmentOnly: true },
  { id: "source_label", label: "Added by", type: "text", segmentOnly: true },
];

/** What the wizard ticks the first time: enough to import the file back. */
export const DEFAULT_FIELDS = ["email", "first_name", "last_name"];

const CUSTOM_TYPES: Record<CustomFieldType, ExportColumnType> = { text: "text", number: "number", date: "date", boolean: "boolean" };

export interface CustomFieldInfo {
  key: string;
  label: string;
  type: CustomFieldType;
}

/** Every property available for an export of a segment (withSegment) or of all contacts, in display order. */
export function availableFields(customFields: readonly CustomFieldInfo[], withSegment: boolean): ExportField[] {
  const custom = customFields.map((f): ExportField => ({ id: `custom:${f.key}`, label: f.label, type: CUSTOM_TYPES[f.type] ?? "text", segmentOnly: false }));
  return [...CONTACT_FIELDS, ...custom, ...(withSegment ? SEGMENT_FIELDS : [])];
}

export class UnknownFieldsError extends Error {
  constructor(public fields: string[]) {
    super(`Unknown properties: ${fields.join(", ")}.`);
  }
}

/**
 * Resolves requested property ids, in the order given, to file columns. Duplicates are dropped (first wins);
 * ids that are not available throw UnknownFieldsError.
 */
export function resolveFields(requested: readonly string[], available: readonly ExportField[]): ExportField[] {
  const byId = new Map(available.map((f) => [f.id, f]));
  const unknown = requested.filter((id) => !byId.has(id));
  if (unknown.length > 0) throw new UnknownFieldsError(unknown);
  return [...new Set(requested)].map((id) => byId.get(id)!);
}

/**
 * The file columns of resolved fields. A JSONL object key is the property id, except that a custom field is
 * keyed by its own key ("tier", not "custom:tier") unless that would clash with a contact field.
 */
export function exportColumns(fields: readonly ExportField[]): ExportColumn[] {
  const builtin = new Set([...CONTACT_FIELDS, ...SEGMENT_FIELDS].map((f) => f.id));
  return fields.map((f) => {
    const bare = f.id.startsWith("custom:") ? f.id.slice(7) : f.id;
    return { key: builtin.has(bare) && bare !== f.id ? f.id : bare, label: f.label, type: f.type };
  });
}
