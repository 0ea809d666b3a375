// Workflow conditions on event properties: matching (arrays, accents, case, numbers), form validation and display text.
export const CONDITION_OPERATORS = ["equals", "not_equals", "contains", "greater_than", "less_than", "in_list"] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** As stored and as typed in the editor form: value is always text (comma-separated for in_list). */
export interface Condition {
  path: string;
  operator: ConditionOperator;
  value: string;
}

export const OPERATOR_LABELS: Record<ConditionOperator, string> = {
  equals: "equals",
  not_equals: "does not equal",
  contains: "contains",
  greater_than: "is greater than",
  less_than: "is less than",
  in_list: "is one of",
};

export type ConditionFieldErrors = Partial<Record<keyof Condition, string>>;

const PATH_PATTERN = /^[^.\s]+(\.[^.\s]+)*$/;
const NUMBER_PATTERN = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

export function isConditionOperator(value: unknown): value is ConditionOperator {
  return (CONDITION_OPERATORS as readonly unknown[]).includes(value);
}

/** Folds text for comparison: "  Office FURNITURE " and "office furniture" match, as do "Café" and "cafe". */
export function normalizeText(s: string): string {
  // Plain ASCII (nearly every value) has no accents to strip: skip the Unicode normalisation, the costly part.
  const folded = ASCII.test(s) ? s : s.normalize("NFD").replace(/\p{M}/gu, "");
  return folded.toLowerCase().trim().replace(/\s+/g, " ");
}

const ASCII = /^[\x00-\x7f]*$/;

/** A number from form text or a JSON value; null when it is not one. Strict: "", "12abc" and "1,5" are not numbers. */
export function parseNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string" || !NUMBER_PATTERN.test(v.trim())) return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

type Scalar = string | number | boolean;

const isScalar = (v: unknown): v is Scalar => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * Every scalar at a dotted path. Arrays are walked at every step, so `products.category` yields the
 * category of each product; missing keys and objects at the end yield nothing.
 */
export function valuesAtPath(properties: unknown, path: string): Scalar[] {
  return valuesAtKeys(properties, path.trim().split("."));
}

function valuesAtKeys(properties: unknown, keys: readonly string[]): Scalar[] {
  // Most paths cross no array: walk them without building lists.
  let v = properties;
  for (const key of keys) {
    if (Array.isArray(v)) return valuesThroughArrays(properties, keys);
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return [];
    v = (v as Record<string, unknown>)[key];
  }
  if (Array.isArray(v)) return valuesThroughArrays(properties, keys);
  return isScalar(v) ? [v] : [];
}

function valuesThroughArrays(properties: unknown, keys: readonly string[]): Scalar[] {
  let current: unknown[] = [properties];
  for (const key of keys) {
    const next: unknown[] = [];
    for (const v of flattenArrays(current)) {
      if (typeof v === "object" && v !== null && Object.hasOwn(v, key)) next.push((v as Record<string, unknown>)[key]);
    }
    current = next;
  }
  return flattenArrays(current).filter(isScalar);
}

/** The values, with arrays (at any depth) opened up; a list without arrays is returned as it is. */
function flattenArrays(values: unknown[]): unknown[] {
  return values.some(Array.isArray) ? values.flatMap((v) => (Array.isArray(v) ? flattenArrays(v) : [v])) : values;
}

// Numbers sent as numbers compare as numbers (49.9 equals "49.90"); text stays text, so "007" is not "7".
function equalsTo(expected: string): (actual: Scalar) => boolean {
  const number = parseNumber(expected);
  const text = normalizeText(expected);
  return (actual) => (typeof actual === "number" && number !== null ? actual === number : normalizeText(String(actual)) === text);
}

/** Whether a condition holds on an event's properties; see compileCondition. */
export type Matcher = (properties: unknown) => boolean;

/**
 * A condition made ready for many events: its path split and its value parsed and folded once, not per event.
 * Against several values (arrays) a condition holds if ANY value matches; not_equals is the negation of equals,
 * so it holds when NO value equals (including a missing path).
 */
export function compileCondition(condition: Condition): Matcher {
  const keys = condition.path.trim().split(".");
  const expected = condition.value;
  switch (condition.operator) {
    case "equals": {
      const equals = equalsTo(expected);
      return (p) => valuesAtKeys(p, keys).some(equals);
    }
    case "not_equals": {
      const equals = equalsTo(expected);
      return (p) => !valuesAtKeys(p, keys).some(equals);
    }
    case "contains": {
      const needle = normalizeText(expected);
      if (needle === "") return () => false;
      return (p) => valuesAtKeys(p, keys).some((v) => normalizeText(String(v)).includes(needle));
    }
    case "greater_than":
    case "less_than": {
      const limit = parseNumber(expected);
      if (limit === null) return () => false;
      const above = condition.operator === "greater_than";
      return (p) =>
        valuesAtKeys(p, keys).some((v) => {
          const n = typeof v === "boolean" ? null : parseNumber(v);
          return n !== null && (above ? n > limit : n < limit);
        });
    }
    case "in_list": {
      const options = splitList(expected).map(equalsTo);
      return (p) => valuesAtKeys(p, keys).some((v) => options.some((equals) => equals(v)));
    }
    default:
      return () => false;
  }
}

/** All conditions must hold; no conditions means the workflow runs on every event of its type. */
export function compileConditions(conditions: readonly Condition[]): Matcher {
  const matchers = conditions.map(compileCondition);
  return (p) => matchers.every((m) => m(p));
}

/** Whether one condition holds (compileCondition, for a single event). */
export function conditionHolds(condition: Condition, properties: unknown): boolean {
  return compileCondition(condition)(properties);
}

/** Whether all conditions hold (compileConditions, for a single event). */
export function allConditionsHold(conditions: readonly Condition[], properties: unknown): boolean {
  return compileConditions(conditions)(properties);
}

/** Field errors for one condition row of the editor form; empty when valid. */
export function validateCondition(input: { path?: string; operator?: string; value?: string }): ConditionFieldErrors {
  const errors: ConditionFieldErrors = {};
  const path = input.path?.trim() ?? "";
  const value = input.value?.trim() ?? "";
  if (path === "") errors.path = "Enter a property, like product.category";
  else if (!PATH_PATTERN.test(path)) errors.path = "Use property names separated by dots, like product.category";
  if (!isConditionOperator(input.operator)) errors.operator = "Choose a comparison";
  if (value === "") errors.value = "Enter a value";
  else if ((input.operator === "greater_than" || input.operator === "less_than") && parseNumber(value) === null) {
    errors.value = "Enter a number, like 100 or 12.5";
  } else if (input.operator === "in_list" && splitList(value).length === 0) {
    errors.value = "Enter one or more values separated by commas";
  }
  return errors;
}

/** Readable text for the workflow diagram, e.g. `product.category equals "office furniture"`. */
export function describeCondition(c: Condition): string {
  const label = OPERATOR_LABELS[c.operator] ?? c.operator;
  const quote = (s: string) => JSON.stringify(s);
  let value: string;
  if (c.operator === "greater_than" || c.operator === "less_than") value = c.value.trim();
  else if (c.operator === "in_list") value = splitList(c.value).map(quote).join(", ");
  else value = quote(c.value.trim());
  return `${c.path.trim()} ${label} ${value}`;
}
