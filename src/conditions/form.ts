// The conditions builder's form: its inputs (named under a prefix, "c.1.0.value") read into a draft, the draft's
// edits (add, remove, nest), and the round trip between the draft and the JSON grammar.
import {
  fieldType,
  groupItems,
  groupKind,
  isGroup,
  makeGroup,
  parseConditions,
  type ConditionGroup,
  type ConditionNode,
  type CustomFieldType,
  type GroupKind,
  type ParseResult,
} from "./grammar";

export type DraftKind = "field" | "segment" | "event";

/** One condition row as typed: every value is text, as the inputs hold it. */
export interface DraftLeaf {
  type: DraftKind;
  field: string;
  op: string;
  value: string;
  value2: string;
  segment: string;
  segmentOp: string;
  joinedDays: string;
  event: string;
  eventOp: string;
  atLeast: string;
  window: "any" | "days" | "between";
  days: string;
  from: string;
  to: string;
  where: { path: string; op: string; value: string }[];
}

export interface DraftGroup {
  type: "group";
  kind: GroupKind;
  items: (DraftLeaf | DraftGroup)[];
}

export type DraftNode = DraftLeaf | DraftGroup;

export function emptyLeaf(type: DraftKind = "field"): DraftLeaf {
  return {
    type,
    field: "email_domain",
    op: "is",
    value: "",
    value2: "",
    segment: "",
    segmentOp: "in",
    joinedDays: "",
    event: "purchase",
    eventOp: "did",
    atLeast: "1",
    window: "days",
    days: "30",
    from: "",
    to: "",
    where: [],
  };
}

export function emptyDraft(): DraftGroup {
  return { type: "group", kind: "all", items: [emptyLeaf()] };
}

export type Form = Record<string, string | string[] | File | (string | File)[] | undefined>;

function text(form: Form, name: string): string {
  const v = form[name];
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === "string" ? one : "";
}

function indexesUnder(form: Form, path: string): number[] {
  const re = new RegExp(`^${path.replace(/\./g, "\\.")}\\.(\\d+)\\.(type|kind)$`);
  const found = new Set<number>();
  for (const key of Object.keys(form)) {
    const m = re.exec(key);
    if (m) found.add(Number(m[1]));
  }
  return [...found].filter((i) => i < 200).sort((a, b) => a - b);
}

/** The draft the builder's inputs hold under `prefix`; null when the form has none of them. */
export function readDraft(form: Form, prefix: string): DraftGroup | null {
  if (!text(form, `${prefix}.kind`)) return null;
  return readGroup(form, prefix, 0);
}

function readGroup(form: Form, path: string, depth: number): DraftGroup {
  const kind: GroupKind = text(form, `${path}.kind`) === "any" ? "any" : "all";
  const items: DraftNode[] = [];
  for (const i of indexesUnder(form, path)) {
    const p = `${path}.${i}`;
    if (text(form, `${p}.type`) === "group" && depth === 0) items.push(readGroup(form, p, 1));
    else if (text(form, `${p}.type`) !== "group") items.push(readLeaf(form, p));
  }
  return { type: "group", kind, items };
}

function readLeaf(form: Form, p: string): DraftLeaf {
  const t = text(form, `${p}.type`);
  const type: DraftKind = t === "segment" || t === "event" ? t : "field";
  const window = text(form, `${p}.window`);
  const where: DraftLeaf["where"] = [];
  for (let j = 0; j < 10; j++) {
    const path = text(form, `${p}.w${j}.path`);
    const op = text(form, `${p}.w${j}.op`);
    const value = text(form, `${p}.w${j}.value`);
    if (form[`${p}.w${j}.path`] === undefined && form[`${p}.w${j}.op`] === undefined) continue;
    where.push({ path, op: op || "equals", value });
  }
  return {
    type,
    field: text(form, `${p}.field`) || "email_domain",
    op: text(form, `${p}.op`),
    value: text(form, `${p}.value`),
    value2: text(form, `${p}.value2`),
    segment: text(form, `${p}.segment`),
    segmentOp: text(form, `${p}.segment_op`) === "not_in" ? "not_in" : "in",
    joinedDays: text(form, `${p}.joined_days`),
    event: text(form, `${p}.event`),
    eventOp: text(form, `${p}.event_op`) === "did_not" ? "did_not" : "did",
    atLeast: text(form, `${p}.at_least`),
    window: window === "any" || window === "between" ? window : "days",
    days: text(form, `${p}.days`),
    from: text(form, `${p}.from`),
    to: text(form, `${p}.to`),
    where,
  };
}

/** The inputs that hold `draft` under `prefix` (what readDraft reads back). */
export function draftToForm(draft: DraftGroup, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const group = (g: DraftGroup, path: string) => {
    out[`${path}.kind`] = g.kind;
    g.items.forEach((n, i) => {
      const p = `${path}.${i}`;
      if (n.type === "group") {
        out[`${p}.type`] = "group";
        group(n, p);
        return;
      }
      Object.assign(out, {
        [`${p}.type`]: n.type,
        [`${p}.field`]: n.field,
        [`${p}.op`]: n.op,
        [`${p}.value`]: n.value,
        [`${p}.value2`]: n.value2,
        [`${p}.segment`]: n.segment,
        [`${p}.segment_op`]: n.segmentOp,
        [`${p}.joined_days`]: n.joinedDays,
        [`${p}.event`]: n.event,
        [`${p}.event_op`]: n.eventOp,
        [`${p}.at_least`]: n.atLeast,
        [`${p}.window`]: n.window,
        [`${p}.days`]: n.days,
        [`${p}.from`]: n.from,
        [`${p}.to`]: n.to,
      });
      n.where.forEach((w, j) => Object.assign(out, { [`${p}.w${j}.path`]: w.path, [`${p}.w${j}.op`]: w.op, [`${p}.w${j}.value`]: w.value }));
    });
  };
  group(draft, prefix);
  return out;
}

/** A builder edit, as its button's value says: "add:<group path>", "group:<group path>", "where:<row path>", "remove:<path>", "unwhere:<row path>.w<j>". */
export function applyBuilderAction(draft: DraftGroup, prefix: string, action: string): DraftGroup {
  const [verb, target = ""] = action.split(":", 2) as [string, string?];
  const copy = structuredClone(draft);
  const find = (path: string): { parent: DraftGroup | null; index: number; node: DraftNode } | null => {
    if (path === prefix) return { parent: null, index: -1, node: copy };
    if (!path.startsWith(`${prefix}.`)) return null;
    const steps = path
      .slice(prefix.length + 1)
      .split(".")
      .map(Number);
    let parent: DraftGroup | null = null;
    let node: DraftNode = copy;
    let index = -1;
    for (const s of steps) {
      if (node.type !== "group" || !Number.isInteger(s) || !node.items[s]) return null;
      parent = node;
      index = s;
      node = node.items[s]!;
    }
    return { parent, index, node };
  };
  if (verb === "unwhere") {
    const m = /^(.*)\.w(\d+)$/.exec(target);
    const found = m ? find(m[1]!) : null;
    if (found && found.node.type !== "group") found.node.where.splice(Number(m![2]), 1);
    return copy;
  }
  const found = find(target);
  if (!found) return copy;
  const { parent, index, node } = found;
  switch (verb) {
    case "add":
      if (node.type === "group") node.items.push(emptyLeaf());
      break;
    case "group":
      if (node.type === "group" && node === copy)
        node.items.push({ type: "group", kind: node.kind === "all" ? "any" : "all", items: [emptyLeaf(), emptyLeaf()] });
      break;
    case "where":
      if (node.type !== "group" && node.where.length < 10) node.where.push({ path: "", op: "equals", value: "" });
      break;
    case "remove":
      if (parent) {
        parent.items.splice(index, 1);
        if (parent !== copy && parent.items.length === 0) return applyBuilderAction(copy, prefix, `remove:${target.replace(/\.\d+$/, "")}`);
      }
      break;
  }
  return copy;
}

/** The draft of a parsed document (to edit saved conditions). */
export function draftFromConditions(group: ConditionGroup): DraftGroup {
  const node = (n: ConditionNode): DraftNode => {
    if (isGroup(n)) return { type: "group", kind: groupKind(n), items: groupItems(n).map(node) };
    const leaf = emptyLeaf();
    if ("field" in n) {
      const v = n.value;
      const [a, b] = Array.isArray(v) ? v : [v, ""];
      return { ...leaf, type: "field", field: n.field, op: n.op, value: a === undefined ? "" : String(a), value2: b === undefined ? "" : String(b) };
    }
    if ("segment" in n)
      return { ...leaf, type: "segment", segment: String(n.segment), segmentOp: n.op, joinedDays: n.joined_in_last_days ? String(n.joined_in_last_days) : "" };
    return {
      ...leaf,
      type: "event",
      event: n.event,
      eventOp: n.op,
      atLeast: String(n.at_least ?? 1),
      window: n.in_last_days ? "days" : n.between ? "between" : "any",
      days: n.in_last_days ? String(n.in_last_days) : "",
      from: n.between?.[0] ?? "",
      to: n.between?.[1] ?? "",
      where: (n.where ?? []).map((w) => ({ path: w.path, op: w.op, value: Array.isArray(w.value) ? w.value.join(", ") : String(w.value) })),
    };
  };
  return { type: "group", kind: groupKind(group), items: groupItems(group).map(node) };
}

export interface DraftDocument {
  /** The JSON document the draft reads as (for parseConditions). */
  doc: unknown;
  /** The builder input each document path stands for ("all[1].value" -> "c.1.value"), to show errors beside it. */
  names: Map<string, string>;
  /** How many rows were left out as unfinished (preview mode). */
  skipped: number;
}

const INT = /^\s*\d+\s*$/;

function isUnfinished(l: DraftLeaf): boolean {
  if (l.type === "field") return !["is_empty", "is_not_empty"].includes(l.op) && l.value.trim() === "" && l.field !== "" && !isBooleanChoice(l);
  if (l.type === "segment") return l.segment === "";
  return l.event.trim() === "";
}

function isBooleanChoice(l: DraftLeaf): boolean {
  return l.value === "true" || l.value === "false";
}

/**
 * The document a draft reads as. Values become the type their field has (numbers, yes/no, day counts); what does not
 * convert stays text, so that parseConditions names the problem. With `skipUnfinished`, rows without a value yet
 * (just added) are left out, so a live count does not stop at every new row.
 */
export function draftToDocument(
  draft: DraftGroup,
  prefix: string,
  customFields: readonly CustomFieldType[],
  opts: { skipUnfinished?: boolean } = {},
): DraftDocument {
  const names = new Map<string, string>();
  let skipped = 0;
  const group = (g: DraftGroup, formPath: string, docPath: string): ConditionGroup | null => {
    const items: unknown[] = [];
    g.items.forEach((n, i) => {
      const fp = `${formPath}.${i}`;
      if (n.type === "group") {
        const dp = `${docPath ? `${docPath}.` : ""}${g.kind}[${items.length}]`;
        const inner = group(n, fp, dp);
        if (inner) items.push(inner);
        return;
      }
      if (opts.skipUnfinished && isUnfinished(n)) {
        skipped++;
        return;
      }
      const dp = `${docPath ? `${docPath}.` : ""}${g.kind}[${items.length}]`;
      items.push(leafDoc(n, fp, dp, customFields, names));
    });
    if (items.length === 0 && opts.skipUnfinished) return null;
    return makeGroup(g.kind, items as ConditionNode[]);
  };
  const doc = group(draft, prefix, "") ?? null;
  return { doc, names, skipped };
}

function num(s: string): number | string {
  const t = s.trim().replace(/,/g, "");
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : s;
}

function leafDoc(l: DraftLeaf, fp: string, dp: string, customFields: readonly CustomFieldType[], names: Map<string, string>): unknown {
  names.set(dp, fp);
  if (l.type === "segment") {
    names.set(`${dp}.segment`, `${fp}.segment`);
    names.set(`${dp}.joined_in_last_days`, `${fp}.joined_days`);
    const out: Record<string, unknown> = { segment: INT.test(l.segment) ? Number(l.segment) : l.segment, op: l.segmentOp };
    if (l.joinedDays.trim() !== "") out.joined_in_last_days = num(l.joinedDays);
    return out;
  }
  if (l.type === "event") {
    for (const [k, f] of [
      ["event", "event"],
      ["op", "event_op"],
      ["at_least", "at_least"],
      ["in_last_days", "days"],
      ["between", "from"],
      ["between[0]", "from"],
      ["between[1]", "to"],
    ]) {
      names.set(`${dp}.${k}`, `${fp}.${f}`);
    }
    const out: Record<string, unknown> = { event: l.event.trim(), op: l.eventOp };
    if (l.atLeast.trim() !== "" && l.atLeast.trim() !== "1") out.at_least = num(l.atLeast);
    if (l.window === "days") out.in_last_days = num(l.days);
    if (l.window === "between") out.between = [dateOrText(l.from), dateOrText(l.to)];
    if (l.where.length) {
      out.where = l.where.map((w, j) => {
        for (const k of ["path", "op", "value"]) names.set(`${dp}.where[${j}].${k}`, `${fp}.w${j}.${k}`);
        names.set(`${dp}.where[${j}]`, `${fp}.w${j}.path`);
        const value =
          w.op === "in_list"
            ? w.value
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean)
            : w.op === "greater_than" || w.op === "less_than"
              ? num(w.value)
              : w.value;
        return { path: w.path.trim(), op: w.op, value };
      });
    }
    return out;
  }
  names.set(`${dp}.field`, `${fp}.field`);
  names.set(`${dp}.op`, `${fp}.op`);
  names.set(`${dp}.value`, `${fp}.value`);
  names.set(`${dp}.value[0]`, `${fp}.value`);
  names.set(`${dp}.value[1]`, `${fp}.value2`);
  const type = fieldType(l.field, customFields);
  const out: Record<string, unknown> = { field: l.field, op: l.op };
  if (l.op === "is_empty" || l.op === "is_not_empty") return out;
  const convert = (s: string): unknown => {
    if (l.op === "in_last_days") return num(s);
    if (type === "number") return num(s);
    if (type === "boolean") return s === "true" ? true : s === "false" ? false : s;
    if (type === "timestamp" || type === "date") return dateOrText(s);
    return s;
  };
  out.value = l.op === "between" ? [convert(l.value), convert(l.value2)] : convert(l.value);
  return out;
}

function dateOrText(s: string): string {
  return s.trim();
}

export type FormConditions =
  { ok: true; value: ConditionGroup; skipped: number } | { ok: false; errors: Record<string, string>; details: { path: string; message: string }[] };

/**
 * The conditions the builder's inputs under `prefix` hold, parsed with the account's custom fields. Errors are
 * keyed by input name (for the builder to show beside each input); null when the form has no builder inputs, or
 * (with skipUnfinished) nothing finished yet.
 */
export function conditionsFromForm(
  form: Form,
  prefix: string,
  customFields: readonly CustomFieldType[],
  opts: { skipUnfinished?: boolean } = {},
): FormConditions | null {
  const draft = readDraft(form, prefix);
  if (!draft) return null;
  return conditionsFromDraft(draft, prefix, customFields, opts);
}

export function conditionsFromDraft(
  draft: DraftGroup,
  prefix: string,
  customFields: readonly CustomFieldType[],
  opts: { skipUnfinished?: boolean } = {},
): FormConditions | null {
  const { doc, names, skipped } = draftToDocument(draft, prefix, customFields, opts);
  if (doc === null) return null;
  const parsed: ParseResult = parseConditions(doc, { customFields });
  if (parsed.ok) return { ok: true, value: parsed.value, skipped };
  const errors: Record<string, string> = {};
  for (const d of parsed.details) {
    const name = names.get(d.path) ?? names.get(d.path.replace(/\.[^.[]+$/, "")) ?? prefix;
    errors[name] ??= d.message;
  }
  return { ok: false, errors, details: parsed.details };
}

/** The builder inputs for saved conditions: the way back from the grammar to the form. */
export function conditionsToForm(group: ConditionGroup, prefix: string): Record<string, string> {
  return draftToForm(draftFromConditions(group), prefix);
}

const PREFIX = /^[a-z][a-z0-9_]{0,20}$/;

/** The builder's prefix as the form names it ("c" when missing or malformed). */
export function builderPrefix(body: Form): string {
  const raw = body.cb_prefix;
  const v = Array.isArray(raw) ? raw[0] : raw;
  return typeof v === "string" && PREFIX.test(v) ? v : "c";
}

/** The draft the request's builder inputs hold, with the edit its clicked button asks for (`cb_action`) applied. */
export function draftFromRequest(body: Form, prefix: string): DraftGroup {
  const draft = readDraft(body, prefix) ?? emptyDraft();
  const raw = body.cb_action;
  const action = Array.isArray(raw) ? raw[0] : raw;
  return typeof action === "string" && action ? applyBuilderAction(draft, prefix, action) : draft;
}
