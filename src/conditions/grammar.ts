// The conditions grammar (issue 15): its types, and the parser that refuses anything outside it, naming the path of each problem.
import { CONDITION_OPERATORS, parseNumber, splitList, type ConditionOperator } from "../workflows/conditions";

export type GroupKind = "all" | "any";
export type ConditionGroup = { all: ConditionNode[] } | { any: ConditionNode[] };
export type ConditionNode = FieldCondition | SegmentCondition | EventCondition | ConditionGroup;

export const BASE_FIELDS = ["email", "email_domain", "first_name", "last_name", "phone", "created_at", "updated_at"] as const;
export type BaseField = (typeof BASE_FIELDS)[number];
/** A base field, or `custom.<key>` of one of the account's custom fields. */
export type FieldName = BaseField | `custom.${string}`;

export const FIELD_OPERATORS = [
  "is",
  "is_not",
  "contains",
  "starts_with",
  "is_empty",
  "is_not_empty",
  "equals",
  "less_than",
  "greater_than",
  "between",
  "before",
  "after",
  "in_last_days",
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

/** The value a field condition compares with: text, a number, yes/no, a date (ISO), a day count, or a pair for between. */
export type FieldValue = string | number | boolean | [string, string] | [number, number];

export interface FieldCondition {
  field: FieldName;
  op: FieldOperator;
  value?: FieldValue;
}

export interface SegmentCondition {
  segment: number;
  op: "in" | "not_in";
  /** With `in`: joined (the current membership began) in the last N days; with `not_in`: did not. */
  joined_in_last_days?: number;
}

export interface EventWhere {
  path: string;
  op: ConditionOperator;
  /** in_list also takes a list; otherwise text or a number. */
  value: string | number | boolean | (string | number)[];
}

export interface EventCondition {
  event: string;
  op: "did" | "did_not";
  where?: EventWhere[];
  /** At least this many matching events (default 1); with `did_not`, fewer than this many. */
  at_least?: number;
  in_last_days?: number;
  /** Two ISO dates or date-times; a plain date as the end covers that whole (UTC) day. */
  between?: [string, string];
}

/** The type of a field, which decides the operators it takes and the shape of its value. */
export type FieldType = "text" | "email_domain" | "phone" | "timestamp" | "number" | "date" | "boolean";

export const OPERATORS_BY_TYPE: Record<FieldType, readonly FieldOperator[]> = {
  text: ["is", "is_not", "contains", "starts_with", "is_empty", "is_not_empty"],
  email_domain: ["is", "is_not", "contains"],
  phone: ["is", "is_not", "contains", "starts_with", "is_empty", "is_not_empty"],
  timestamp: ["before", "after", "between", "in_last_days"],
  number: ["equals", "less_than", "greater_than", "between", "is_empty", "is_not_empty"],
  date: ["before", "after", "between", "in_last_days", "is_empty", "is_not_empty"],
  boolean: ["is", "is_empty", "is_not_empty"],
};

export interface CustomFieldType {
  key: string;
  type: "text" | "number" | "date" | "boolean";
}

export interface ParseOptions {
  /** The account's custom fields: `custom.<key>` must name one, and its type decides the operators. */
  customFields?: readonly CustomFieldType[];
}

export type ParseResult = { ok: true; value: ConditionGroup } | { ok: false; details: { path: string; message: string }[] };

export const LIMITS = {
  conditions: 50,
  whereClauses: 10,
  textLength: 500,
  listItems: 100,
  days: 3650,
  atLeast: 1_000_000,
} as const;

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,100}$/;
const PATH = /^[^.\s]+(\.[^.\s]+)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

export function isGroup(node: ConditionNode): node is ConditionGroup {
  return "all" in node || "any" in node;
}

export function groupKind(group: ConditionGroup): GroupKind {
  return "all" in group ? "all" : "any";
}

export function groupItems(group: ConditionGroup): ConditionNode[] {
  return "all" in group ? group.all : group.any;
}

export function makeGroup(kind: GroupKind, items: ConditionNode[]): ConditionGroup {
  return kind === "all" ? { all: items } : { any: items };
}

/** A valid ISO date (YYYY-MM-DD) or date-time with a zone; plain dates are UTC days. */
export function isIsoDate(s: string): boolean {
  if (ISO_DATE.test(s)) {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }
  return ISO_DATE_TIME.test(s) && !Number.isNaN(new Date(s).getTime());
}

export function isPlainDate(s: string): boolean {
  return ISO_DATE.test(s);
}

/** The type of a field name, or null when it names no field (or an unknown custom field). */
export function fieldType(field: string, customFields?: readonly CustomFieldType[]): FieldType | null {
  switch (field) {
    case "email":
    case "first_name":
    case "last_name":
      return "text";
    case "email_domain":
      return "email_domain";
    case "phone":
      return "phone";
    case "created_at":
    case "updated_at":
      return "timestamp";
  }
  if (!field.startsWith("custom.")) return null;
  const key = field.slice("custom.".length);
  if (!/^[a-z][a-z0-9_]{0,59}$/.test(key)) return null;
  if (!customFields) return "text";
  return customFields.find((f) => f.key === key)?.type ?? null;
}

type Details = { path: string; message: string }[];

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isDayCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= LIMITS.days;

/**
 * Reads a conditions document: a group `{"all": [...]}` or `{"any": [...]}` whose items are field, segment or event
 * conditions, or groups one level down (whose items are conditions only). Every problem is reported with its path
 * (`all[1].any[0].value`); unknown keys are refused, so nothing outside the grammar reaches the SQL.
 */
export function parseConditions(input: unknown, opts: ParseOptions = {}): ParseResult {
  const details: Details = [];
  const counter = { conditions: 0 };
  const value = parseGroup(input, "", 0, opts, details, counter);
  if (counter.conditions > LIMITS.conditions) {
    details.push({ path: "", message: `At most ${LIMITS.conditions} conditions are allowed; this has ${counter.conditions}.` });
  }
  if (details.length > 0 || !value) return { ok: false, details: details.length > 0 ? details : [{ path: "", message: "Invalid conditions." }] };
  return { ok: true, value };
}

function parseGroup(input: unknown, path: string, depth: number, opts: ParseOptions, details: Details, counter: { conditions: number }): ConditionGroup | null {
  if (!isRecord(input)) {
    details.push({ path, message: 'Expected a group: {"all": [...]} or {"any": [...]}.' });
    return null;
  }
  const keys = Object.keys(input);
  const kind = keys.length === 1 && (keys[0] === "all" || keys[0] === "any") ? (keys[0] as GroupKind) : null;
  if (!kind) {
    details.push({ path, message: 'A group has exactly one key, "all" or "any", holding a list of conditions.' });
    return null;
  }
  const listPath = at(path, kind);
  const list = input[kind];
  if (!Array.isArray(list)) {
    details.push({ path: listPath, message: "Expected a list of conditions." });
    return null;
  }
  if (list.length === 0) {
    details.push({ path: listPath, message: "A group needs at least one condition." });
    return null;
  }
  const items: ConditionNode[] = [];
  list.forEach((item, i) => {
    const itemPath = `${listPath}[${i}]`;
    if (isRecord(item) && ("all" in item || "any" in item)) {
      if (depth >= 1) {
        details.push({ path: itemPath, message: "Groups nest one level only: this group is inside a nested group." });
        return;
      }
      const g = parseGroup(item, itemPath, depth + 1, opts, details, counter);
      if (g) items.push(g);
      return;
    }
    counter.conditions++;
    const c = parseCondition(item, itemPath, opts, details);
    if (c) items.push(c);
  });
  return makeGroup(kind, items);
}

function refuseUnknownKeys(input: Record<string, unknown>, allowed: readonly string[], path: string, details: Details): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) details.push({ path: at(path, key), message: `Unknown key "${key}"; allowed here: ${allowed.join(", ")}.` });
  }
}

function parseCondition(input: unknown, path: string, opts: ParseOptions, details: Details): ConditionNode | null {
  if (!isRecord(input)) {
    details.push({ path, message: 'Expected a condition: an object with "field", "segment" or "event", or a group.' });
    return null;
  }
  if ("field" in input) return parseField(input, path, opts, details);
  if ("segment" in input) return parseSegment(input, path, details);
  if ("event" in input) return parseEvent(input, path, details);
  details.push({ path, message: 'A condition needs "field", "segment" or "event".' });
  return null;
}

function parseText(v: unknown, path: string, details: Details, what = "text"): string | null {
  if (typeof v !== "string" || v.trim() === "") {
    details.push({ path, message: `Expected ${what}.` });
    return null;
  }
  if (v.length > LIMITS.textLength) {
    details.push({ path, message: `At most ${LIMITS.textLength} characters.` });
    return null;
  }
  if (v.includes("\u0000")) {
    details.push({ path, message: "Must not contain a NUL character (U+0000)." });
    return null;
  }
  return v.trim();
}

function parseField(input: Record<string, unknown>, path: string, opts: ParseOptions, details: Details): FieldCondition | null {
  refuseUnknownKeys(input, ["field", "op", "value"], path, details);
  const field = input.field;
  if (typeof field !== "string") {
    details.push({ path: at(path, "field"), message: `Expected a field name: ${BASE_FIELDS.join(", ")} or custom.<key>.` });
    return null;
  }
  const type = fieldType(field, opts.customFields);
  if (!type) {
    const message = field.startsWith("custom.")
      ? `There is no custom field "${field.slice(7)}".`
      : `Unknown field "${field}"; expected ${BASE_FIELDS.join(", ")} or custom.<key>.`;
    details.push({ path: at(path, "field"), message });
    return null;
  }
  const op = input.op;
  const allowed = OPERATORS_BY_TYPE[type];
  if (typeof op !== "string" || !(allowed as readonly string[]).includes(op)) {
    details.push({
      path: at(path, "op"),
      message: `${typeof op === "string" ? `"${op}" does not apply to ${field}` : "Expected an operator"}; use one of: ${allowed.join(", ")}.`,
    });
    return null;
  }
  const vPath = at(path, "value");
  const v = input.value;
  const fieldOp = op as FieldOperator;
  if (fieldOp === "is_empty" || fieldOp === "is_not_empty") {
    if (v !== undefined && v !== null) details.push({ path: vPath, message: `${op} takes no value.` });
    return { field: field as FieldName, op: fieldOp };
  }
  if (fieldOp === "in_last_days") {
    if (!isDayCount(v)) {
      details.push({ path: vPath, message: `Expected a whole number of days from 1 to ${LIMITS.days}.` });
      return null;
    }
    return { field: field as FieldName, op: fieldOp, value: v };
  }
  const one = (x: unknown, p: string): string | number | boolean | null => {
    switch (type) {
      case "text":
        return parseText(x, p, details);
      case "phone": {
        const s = parseText(x, p, details, "a phone number");
        if (s !== null && !/\d/.test(s)) {
          details.push({ path: p, message: "Expected the digits of a phone number." });
          return null;
        }
        return s;
      }
      case "email_domain": {
        const s = parseText(x, p, details, "a domain such as acme.es");
        if (s === null) return null;
        const d = s.replace(/^@/, "").toLowerCase();
        if (fieldOp !== "contains" && !DOMAIN.test(d)) {
          details.push({ path: p, message: `"${s}" is not a domain; expected something like acme.es.` });
          return null;
        }
        return d;
      }
      case "number":
        if (typeof x !== "number" || !Number.isFinite(x)) {
          details.push({ path: p, message: "Expected a number." });
          return null;
        }
        return x;
      case "timestamp":
      case "date":
        if (typeof x !== "string" || !isIsoDate(x) || (type === "date" && !isPlainDate(x))) {
          details.push({
            path: p,
            message: type === "date" ? "Expected a date like 2026-05-31." : "Expected an ISO date like 2026-05-31 or 2026-05-31T12:00:00Z.",
          });
          return null;
        }
        return x;
      case "boolean":
        if (typeof x !== "boolean") {
          details.push({ path: p, message: "Expected true or false." });
          return null;
        }
        return x;
    }
  };
  if (fieldOp === "between") {
    if (!Array.isArray(v) || v.length !== 2) {
      details.push({ path: vPath, message: "Expected two values [from, to]." });
      return null;
    }
    const a = one(v[0], `${vPath}[0]`);
    const b = one(v[1], `${vPath}[1]`);
    if (a === null || b === null) return null;
    if (type === "number" ? (a as number) > (b as number) : new Date(a as string).getTime() > new Date(b as string).getTime()) {
      details.push({ path: vPath, message: "The first value must not be after the second." });
      return null;
    }
    return { field: field as FieldName, op: fieldOp, value: [a, b] as [string, string] | [number, number] };
  }
  const value = one(v, vPath);
  if (value === null) return null;
  return { field: field as FieldName, op: fieldOp, value };
}

function parseSegment(input: Record<string, unknown>, path: string, details: Details): SegmentCondition | null {
  refuseUnknownKeys(input, ["segment", "op", "joined_in_last_days"], path, details);
  const id = input.segment;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
    details.push({ path: at(path, "segment"), message: "Expected a segment id (a positive whole number)." });
    return null;
  }
  if (input.op !== "in" && input.op !== "not_in") {
    details.push({ path: at(path, "op"), message: 'Expected "in" or "not_in".' });
    return null;
  }
  const out: SegmentCondition = { segment: id, op: input.op };
  if (input.joined_in_last_days !== undefined) {
    if (!isDayCount(input.joined_in_last_days)) {
      details.push({ path: at(path, "joined_in_last_days"), message: `Expected a whole number of days from 1 to ${LIMITS.days}.` });
      return null;
    }
    out.joined_in_last_days = input.joined_in_last_days;
  }
  return out;
}

function parseEvent(input: Record<string, unknown>, path: string, details: Details): EventCondition | null {
  refuseUnknownKeys(input, ["event", "op", "where", "at_least", "in_last_days", "between"], path, details);
  const before = details.length;
  const type = input.event;
  if (typeof type !== "string" || !EVENT_TYPE.test(type)) {
    details.push({ path: at(path, "event"), message: "Expected an event type such as purchase (letters, digits, _ . : -)." });
  }
  if (input.op !== "did" && input.op !== "did_not") details.push({ path: at(path, "op"), message: 'Expected "did" or "did_not".' });
  const out: EventCondition = { event: type as string, op: input.op as "did" | "did_not" };
  if (input.at_least !== undefined) {
    const n = input.at_least;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > LIMITS.atLeast)
      details.push({ path: at(path, "at_least"), message: "Expected a whole number of times, at least 1." });
    else out.at_least = n;
  }
  if (input.in_last_days !== undefined && input.between !== undefined) {
    details.push({ path: at(path, "between"), message: "Give in_last_days or between, not both." });
  } else if (input.in_last_days !== undefined) {
    if (!isDayCount(input.in_last_days)) details.push({ path: at(path, "in_last_days"), message: `Expected a whole number of days from 1 to ${LIMITS.days}.` });
    else out.in_last_days = input.in_last_days;
  } else if (input.between !== undefined) {
    const b = input.between;
    const bPath = at(path, "between");
    if (!Array.isArray(b) || b.length !== 2) details.push({ path: bPath, message: "Expected two ISO dates [from, to]." });
    else {
      b.forEach((d, i) => {
        if (typeof d !== "string" || !isIsoDate(d))
          details.push({ path: `${bPath}[${i}]`, message: "Expected an ISO date like 2026-05-31 or 2026-05-31T12:00:00Z." });
      });
      if (details.length === before) {
        if (new Date(b[0]).getTime() > new Date(b[1]).getTime()) details.push({ path: bPath, message: "The first date must not be after the second." });
        else out.between = [b[0], b[1]];
      }
    }
  }
  if (input.where !== undefined) {
    const wPath = at(path, "where");
    if (!Array.isArray(input.where)) details.push({ path: wPath, message: "Expected a list of property conditions." });
    else if (input.where.length > LIMITS.whereClauses) details.push({ path: wPath, message: `At most ${LIMITS.whereClauses} property conditions.` });
    else {
      const where: EventWhere[] = [];
      input.where.forEach((w, i) => {
        const parsed = parseWhere(w, `${wPath}[${i}]`, details);
        if (parsed) where.push(parsed);
      });
      if (where.length > 0) out.where = where;
    }
  }
  return details.length === before ? out : null;
}

function parseWhere(input: unknown, path: string, details: Details): EventWhere | null {
  if (!isRecord(input)) {
    details.push({ path, message: 'Expected {"path", "op", "value"}.' });
    return null;
  }
  refuseUnknownKeys(input, ["path", "op", "value"], path, details);
  const p = input.path;
  if (typeof p !== "string" || !PATH.test(p.trim()) || p.length > 200) {
    details.push({ path: at(path, "path"), message: "Expected property names separated by dots, like products.category." });
    return null;
  }
  const op = input.op;
  if (typeof op !== "string" || !(CONDITION_OPERATORS as readonly string[]).includes(op)) {
    details.push({ path: at(path, "op"), message: `Expected one of: ${CONDITION_OPERATORS.join(", ")}.` });
    return null;
  }
  const vPath = at(path, "value");
  const v = input.value;
  const scalarOk = (x: unknown): x is string | number | boolean =>
    (typeof x === "string" && x.trim() !== "" && x.length <= LIMITS.textLength && !x.includes("\u0000")) ||
    (typeof x === "number" && Number.isFinite(x)) ||
    typeof x === "boolean";
  if (op === "in_list") {
    const items = Array.isArray(v) ? v : typeof v === "string" ? splitList(v) : null;
    if (
      !items ||
      items.length === 0 ||
      items.length > LIMITS.listItems ||
      !items.every((x) => (typeof x === "string" || typeof x === "number") && scalarOk(x))
    ) {
      details.push({ path: vPath, message: `Expected a list of 1 to ${LIMITS.listItems} values (text or numbers).` });
      return null;
    }
    return { path: p.trim(), op: "in_list", value: items as (string | number)[] };
  }
  if (!scalarOk(v)) {
    details.push({ path: vPath, message: "Expected a value (text, a number, or true/false)." });
    return null;
  }
  if ((op === "greater_than" || op === "less_than") && parseNumber(v) === null) {
    details.push({ path: vPath, message: "Expected a number, like 100 or 12.5." });
    return null;
  }
  return { path: p.trim(), op: op as ConditionOperator, value: v };
}

/** Every segment id the conditions name, once each (for the cycle check of dynamic segments). */
export function referencedSegmentIds(group: ConditionGroup): number[] {
  const ids = new Set<number>();
  const walk = (g: ConditionGroup) => {
    for (const n of groupItems(g)) {
      if (isGroup(n)) walk(n);
      else if ("segment" in n) ids.add(n.segment);
    }
  };
  walk(group);
  return [...ids];
}

/** Every leaf condition, depth first (the order the builder and the explanation show them in). */
export function leafConditions(group: ConditionGroup): (FieldCondition | SegmentCondition | EventCondition)[] {
  return groupItems(group).flatMap((n) => (isGroup(n) ? leafConditions(n) : [n]));
}
