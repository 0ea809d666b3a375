// Conditions in words: "Email domain is acme.es", "Did purchase at least once in the last 30 days where ...".
import { OPERATOR_LABELS } from "../workflows/conditions";
import {
  groupItems,
  groupKind,
  isGroup,
  type ConditionGroup,
  type ConditionNode,
  type EventCondition,
  type EventWhere,
  type FieldCondition,
  type FieldOperator,
  type SegmentCondition,
} from "./grammar";

/** Names to use instead of ids and keys: segments by id, custom fields by key. */
export interface DescribeNames {
  segments?: ReadonlyMap<number, string> | Record<number, string>;
  customFields?: ReadonlyMap<string, string> | Record<string, string>;
}

export const FIELD_LABELS: Record<string, string> = {
  email: "Email",
  email_domain: "Email domain",
  first_name: "First name",
  last_name: "Last name",
  phone: "Phone",
  created_at: "Created",
  updated_at: "Last change",
};

export const FIELD_OPERATOR_LABELS: Record<FieldOperator, string> = {
  is: "is",
  is_not: "is not",
  contains: "contains",
  starts_with: "starts with",
  is_empty: "is empty",
  is_not_empty: "is not empty",
  equals: "=",
  less_than: "<",
  greater_than: ">",
  between: "is between",
  before: "is before",
  after: "is after",
  in_last_days: "is in the last",
};

function lookup<K extends string | number>(names: ReadonlyMap<K, string> | Record<K, string> | undefined, key: K): string | undefined {
  if (!names) return undefined;
  return names instanceof Map ? names.get(key) : (names as Record<K, string>)[key];
}

export function fieldLabel(field: string, names: DescribeNames = {}): string {
  if (field.startsWith("custom.")) {
    const key = field.slice(7);
    return lookup(names.customFields, key) ?? key;
  }
  return FIELD_LABELS[field] ?? field;
}

const days = (n: number) => (n === 1 ? "1 day" : `${n} days`);

export function describeField(c: FieldCondition, names: DescribeNames = {}): string {
  const label = fieldLabel(c.field, names);
  const op = FIELD_OPERATOR_LABELS[c.op];
  switch (c.op) {
    case "is_empty":
    case "is_not_empty":
      return `${label} ${op}`;
    case "in_last_days":
      return `${label} ${op} ${days(Number(c.value))}`;
    case "between": {
      const [a, b] = c.value as [unknown, unknown];
      return `${label} ${op} ${a} and ${b}`;
    }
  }
  if (typeof c.value === "boolean") return `${label} is ${c.value ? "yes" : "no"}`;
  return `${label} ${op} ${c.value}`;
}

export function describeSegment(c: SegmentCondition, names: DescribeNames = {}): string {
  const name = lookup(names.segments, c.segment);
  const segment = name ? `segment ${name}` : `segment #${c.segment}`;
  if (c.joined_in_last_days)
    return c.op === "in"
      ? `Joined ${segment} in the last ${days(c.joined_in_last_days)}`
      : `Did not join ${segment} in the last ${days(c.joined_in_last_days)}`;
  return c.op === "in" ? `Is in ${segment}` : `Is not in ${segment}`;
}

export function describeWhere(w: EventWhere): string {
  const value = Array.isArray(w.value) ? w.value.join(", ") : String(w.value);
  return `${w.path} ${OPERATOR_LABELS[w.op]} ${value}`;
}

export function describeEvent(c: EventCondition): string {
  const n = c.at_least ?? 1;
  const times = n === 1 ? "at least once" : `at least ${n} times`;
  const parts = [c.op === "did" ? `Did ${c.event} ${times}` : n === 1 ? `Did not do ${c.event}` : `Did ${c.event} fewer than ${n} times`];
  if (c.in_last_days) parts.push(`in the last ${days(c.in_last_days)}`);
  if (c.between) parts.push(`between ${c.between[0]} and ${c.between[1]}`);
  if (c.where?.length) parts.push(`where ${c.where.map(describeWhere).join(" and ")}`);
  return parts.join(" ");
}

export function describeNode(node: ConditionNode, names: DescribeNames = {}): string {
  if (isGroup(node)) return describeGroup(node, names, true);
  if ("field" in node) return describeField(node, names);
  if ("segment" in node) return describeSegment(node, names);
  return describeEvent(node);
}

/** The whole document in one sentence; nested groups in parentheses. */
export function describeGroup(group: ConditionGroup, names: DescribeNames = {}, nested = false): string {
  const joiner = groupKind(group) === "all" ? " and " : " or ";
  const items = groupItems(group);
  const text = items.map((n, i) => {
    const s = describeNode(n, names);
    return i === 0 || isGroup(n) ? s : s.charAt(0).toLowerCase() + s.slice(1);
  });
  const sentence = text.join(joiner);
  return nested && items.length > 1 ? `(${sentence})` : sentence;
}
