// How an import reads columns mapped to typed custom fields: the forms it settles on (chosen, or detected from the file's first rows, or the account region's) and one reader per column.
import type { CustomFieldType } from "../db/schema";
import {
  DATE_FORM_LABELS,
  detectDateForm,
  detectDecimalMark,
  emptyProfile,
  isDateForm,
  isDecimalMark,
  parseDate,
  parseNumber,
  parseYesNo,
  profileValue,
  regionForms,
  type ColumnProfile,
  type DateForm,
  type DecimalMark,
} from "../custom-fields/typed-values";
import type { ColumnTarget } from "./headers";

/** How many data rows of a new upload are profiled to detect its forms. */
export const PROFILE_ROWS = 1000;

export interface TypedFieldRef {
  key: string;
  label: string;
  type: CustomFieldType;
}

/** The forms an import reads typed values in, and where each came from. */
export interface ValueForms {
  dateForm: DateForm;
  /** chosen: by the person; detected: every date fits it; ambiguous: several fit (the region's); mixed: none fits all; none: no dates seen. */
  dateHow: "chosen" | "detected" | "ambiguous" | "mixed" | "none";
  /** What detection alone gives (shown next to "Detect" when another form is chosen). */
  detectedDateForm: DateForm;
  /** The decimal mark chosen for the whole file, or null: each column's own (detected, else the region's). */
  decimalChoice: DecimalMark | null;
  decimalMarks: DecimalMark[];
  decimalHow: ("chosen" | "detected" | "ambiguous")[];
}

/** Profiles of every column from a few rows of cells (trimmed), one per header column. */
export function profileRows(columns: number, rows: Iterable<readonly string[]>): ColumnProfile[] {
  const profiles = Array.from({ length: columns }, emptyProfile);
  for (const row of rows) for (let i = 0; i < columns && i < row.length; i++) profileValue(profiles[i]!, row[i]!.trim());
  return profiles;
}

function asProfile(p: Record<string, number> | undefined): ColumnProfile | undefined {
  return p ? { ...emptyProfile(), ...p } : undefined;
}

/**
 * The forms of a draft: what the person chose, else what the first rows show (dates per file, over every column
 * that holds only dates; decimal marks per column), else what the account's region writes.
 */
export function resolveValueForms(
  imp: { profiles: readonly Record<string, number>[]; dateForm: string | null; decimalMark: string | null; header: readonly string[] },
  country: string,
): ValueForms {
  const region = regionForms(country);
  const profiles = imp.header.map((_, i) => asProfile(imp.profiles[i]));
  const detected = detectDateForm(
    profiles.filter((p): p is ColumnProfile => p !== undefined),
    region.dateForm,
  );
  const chosenDate = isDateForm(imp.dateForm) ? imp.dateForm : null;
  const chosenMark = isDecimalMark(imp.decimalMark) ? imp.decimalMark : null;
  const marks = profiles.map((p) => detectDecimalMark(p, region.decimalMark));
  return {
    dateForm: chosenDate ?? detected.form,
    dateHow: chosenDate ? "chosen" : detected.how,
    detectedDateForm: detected.form,
    decimalChoice: chosenMark,
    decimalMarks: marks.map((m) => chosenMark ?? m.mark),
    decimalHow: marks.map((m) => (chosenMark ? "chosen" : m.how)),
  };
}

/** Reads one trimmed, non-empty cell of a typed column: its value, or undefined when it does not parse. */
export interface ColumnReader {
  /** The custom field's key. */
  key: string;
  read(cell: string): string | number | boolean | undefined;
  /** The value of an empty cell, where the column marks yes with "x" and no with nothing. */
  empty?: boolean;
  /** The row problem for a cell that does not parse, naming the column and the value. */
  problem(cell: string): string;
}

const MAX_SHOWN = 60;
const YES_NO_WORDS = "yes/no, true/false, 1/0, sí/no, y/n or x";

function quoted(cell: string): string {
  return JSON.stringify(cell.length > MAX_SHOWN ? `${cell.slice(0, MAX_SHOWN)}…` : cell);
}

/**
 * One reader per column (null for columns that are not typed custom fields), for validateRow. `fields` are the
 * account's custom fields; a column's name in problems is its header (or the field's label when it has none).
 */
export function columnReaders(
  header: readonly string[],
  mapping: readonly ColumnTarget[],
  fields: readonly TypedFieldRef[],
  forms: ValueForms,
  profiles: readonly Record<string, number>[] = [],
): (ColumnReader | null)[] {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  return mapping.map((target, i) => {
    if (!target.startsWith("custom:")) return null;
    const field = byKey.get(target.slice("custom:".length));
    if (!field || field.type === "text") return null;
    const name = header[i]?.trim() || field.label;
    const key = field.key;
    switch (field.type) {
      case "date": {
        const form = forms.dateForm;
        const label = DATE_FORM_LABELS[form];
        return { key, read: (cell) => parseDate(cell, form) ?? undefined, problem: (cell) => `${name} ${quoted(cell)} is not a date (${label})` };
      }
      case "number": {
        const mark = forms.decimalMarks[i] ?? ".";
        return {
          key,
          read: (cell) => parseNumber(cell, mark) ?? undefined,
          problem: (cell) => `${name} ${quoted(cell)} is not a number (decimal mark "${mark}")`,
        };
      }
      case "boolean": {
        const p = asProfile(profiles[i]);
        const marksOnly = p !== undefined && p.marks > 0 && p.marks === p.values;
        return {
          key,
          read: (cell) => parseYesNo(cell) ?? undefined,
          empty: marksOnly ? false : undefined,
          problem: (cell) => `${name} ${quoted(cell)} is not yes or no (${YES_NO_WORDS})`,
        };
      }
    }
  });
}

/** A sample cell as the preview shows it: as written, what it becomes, or why it cannot be read. */
export interface SampleValue {
  raw: string;
  /** What is stored, as text ("1990-12-31", "1234.5", "yes"); null when the cell is empty or not typed. */
  becomes: string | null;
  problem: string | null;
}

/** The preview's samples of one column, read the way the import will read them. */
export function readSamples(samples: readonly (readonly string[])[], column: number, reader: ColumnReader | null): SampleValue[] {
  return samples.map((row) => {
    const raw = (row[column] ?? "").trim();
    if (!reader) return { raw, becomes: null, problem: null };
    if (raw === "") return { raw, becomes: reader.empty === undefined ? null : reader.empty ? "yes" : "no", problem: null };
    const value = reader.read(raw);
    if (value === undefined) return { raw, becomes: null, problem: reader.problem(raw) };
    return { raw, becomes: typeof value === "boolean" ? (value ? "yes" : "no") : String(value), problem: null };
  });
}

/** The type a new field for a column would most likely have, from the column's profile. */
export function suggestType(profile: Record<string, number> | undefined): CustomFieldType {
  const p = asProfile(profile);
  if (!p || p.values === 0) return "text";
  if (p.iso + p.dated === p.values) return "date";
  if (p.yesNo === p.values && (p.marks > 0 || p.numPoint < p.values)) return "boolean";
  if (p.numPoint === p.values || p.numComma === p.values) return "number";
  return "text";
}
