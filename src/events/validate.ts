// Validation of incoming events (POST /api/v1/events and /batch): every problem reported with its path, never just the first.
import { z } from "zod";
import { hasNul } from "../text";

export const BUILTIN_EVENT_TYPES = ["purchase", "product_search", "page_view", "form_submit"] as const;
export type BuiltinEventType = (typeof BUILTIN_EVENT_TYPES)[number];

/** Custom event type names: lowercase, start with a letter, up to 64 characters. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const MAX_BATCH_EVENTS = 1000;
/** Clock skew tolerated on occurred_at; later than this is a sender bug, not a real event. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
export const MAX_PROPERTIES_JSON_CHARS = 32_768;

export interface ValidationDetail {
  path: string;
  message: string;
}

export type ScalarValue = string | number | boolean | null;

export interface NormalizedContact {
  firstName?: string;
  lastName?: string;
  phone?: string;
  /** Every other contact key, by custom field key. */
  custom: Record<string, ScalarValue>;
}

export interface NormalizedEvent {
  id: string;
  type: string;
  /** Trimmed, case kept: identity is lower(email). */
  email: string;
  contact: NormalizedContact | null;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

export type EventValidation = { ok: true; event: NormalizedEvent } | { ok: false; details: ValidationDetail[] };
export type EventResult = ({ ok: true; event: NormalizedEvent } | { ok: false; details: ValidationDetail[] }) & { index: number };
/** ok: false only when the batch itself is malformed; otherwise each event has its own result. */
export type BatchValidation = { ok: true; results: EventResult[] } | { ok: false; details: ValidationDetail[] };

export interface ValidateOptions {
  now?: Date;
}

// A schema's own message for a wrong value, while a missing one still reads "is required".
const unlessMissing = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? "is required" : message);

const NUL = "must not contain a NUL character (U+0000)";
const noNul = (s: string) => !hasNul(s);
const text = (max: number) => z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`).refine(noNul, NUL);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(noNul, NUL)
    .transform((s) => (s === "" ? undefined : s))
    .optional();
const amount = z.number().min(0, "must not be negative");
const productId = z.union([z.string().trim().min(1).max(200), z.number()], { error: unlessMissing("must be a string or a number") }).transform(String);

const purchaseProperties = z.looseObject({
  order_id: text(200),
  total: amount,
  currency: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{3}$/, "must be a 3-letter currency code, like EUR")
    .transform((s) => s.toUpperCase()),
  products: z
    .array(
      z.looseObject({
        id: productId,
        name: text(500),
        category: optionalText(500),
        price: amount.optional(),
        quantity: z.number().int("must be a whole number").min(1, "must be at least 1").default(1),
      }),
    )
    .max(500, "must list at most 500 products")
    .default([]),
});

const productSearchProperties = z.looseObject({
  query: text(500),
  product: z.looseObject({ id: productId.optional(), name: optionalText(500), category: optionalText(500) }).optional(),
});

const pageViewProperties = z.looseObject({
  url: z.url({ protocol: /^https?$/, error: unlessMissing("must be an http or https URL") }),
  category: optionalText(500),
});

const formSubmitProperties = z.looseObject({ form: text(200) });

const customProperties = z.looseObject({});

const PROPERTY_SCHEMAS: Record<BuiltinEventType, z.ZodType<Record<string, unknown>>> = {
  purchase: purchaseProperties,
  product_search: productSearchProperties,
  page_view: pageViewProperties,
  form_submit: formSubmitProperties,
};

const contactSchema = z
  .object({ first_name: optionalText(200), last_name: optionalText(200), phone: optionalText(50) })
  .catchall(z.union([z.string().refine(noNul, NUL), z.number(), z.boolean(), z.null()], { error: "must be a string, number, boolean or null" }));

const occurredAtSchema = z.iso.datetime({
  offset: true,
  error: "must be an ISO 8601 date-time with a time zone, like 2025-03-01T12:00:00Z",
});

const eventSchema = z.strictObject({
  id: text(200),
  type: z.string().trim().regex(EVENT_TYPE_PATTERN, "must start with a lowercase letter and use only a-z, 0-9, _ . : - (max 64)"),
  email: z.string().trim().max(254, "must be at most 254 characters").pipe(z.email("must be a valid email address")),
  contact: contactSchema.optional(),
  properties: z.unknown().optional(),
  occurred_at: occurredAtSchema.optional(),
});

// Default messages for what the schemas above do not word themselves.
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "is required";
    if (issue.expected === "object") return "must be a JSON object";
    return `must be ${issue.expected === "array" ? "an array" : `a ${issue.expected}`}`;
  }
  return undefined;
};

function formatPath(segments: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const s of segments) out += typeof s === "number" ? `[${s}]` : out === "" ? String(s) : `.${String(s)}`;
  return out;
}

function toDetails(issues: readonly z.core.$ZodIssue[], prefix: string): ValidationDetail[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key], prefix), message: "is not a recognized field" }))
      : [{ path: formatPath(issue.path, prefix), message: issue.message }],
  );
}

export function isBuiltinEventType(type: unknown): type is BuiltinEventType {
  return (BUILTIN_EVENT_TYPES as readonly unknown[]).includes(type);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function join(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}.${key}`;
}

function validateAt(input: unknown, prefix: string, now: Date): EventValidation {
  if (!isPlainObject(input)) return { ok: false, details: [{ path: prefix, message: "must be a JSON object" }] };

  const base = eventSchema.safeParse(input, { error: errorMap });
  const details = base.success ? [] : toDetails(base.error.issues, prefix);

  // Properties are checked against the schema of the type as sent, even when other fields are wrong,
  // so one round trip shows the sender everything to fix.
  const rawType = typeof input.type === "string" ? input.type.trim() : undefined;
  const rawProperties = input.properties ?? {};
  let properties: Record<string, unknown> | undefined;
  let propertiesJson: string;
  if (!isPlainObject(rawProperties)) {
    details.push({ path: join(prefix, "properties"), message: "must be a JSON object" });
  } else if ((propertiesJson = JSON.stringify(rawProperties)).length > MAX_PROPERTIES_JSON_CHARS) {
    details.push({ path: join(prefix, "properties"), message: `must be at most ${MAX_PROPERTIES_JSON_CHARS} characters of JSON` });
  } else if (propertiesJson.includes("\\u0000")) {
    details.push({ path: join(prefix, "properties"), message: NUL });
  } else {
    const schema = isBuiltinEventType(rawType) ? PROPERTY_SCHEMAS[rawType] : customProperties;
    const parsed = schema.safeParse(rawProperties, { error: errorMap });
    if (parsed.success) properties = parsed.data;
    else details.push(...toDetails(parsed.error.issues, join(prefix, "properties")));
  }

  let occurredAt = now;
  // Most events carry no occurred_at: skip the parse, whose failure would build a ZodError for nothing.
  const rawOccurredAt = input.occurred_at === undefined ? { success: false as const } : occurredAtSchema.safeParse(input.occurred_at);
  if (rawOccurredAt.success) {
    occurredAt = new Date(rawOccurredAt.data);
    if (Number.isNaN(occurredAt.getTime())) {
      details.push({ path: join(prefix, "occurred_at"), message: "is not a real date" });
    } else if (occurredAt.getTime() - now.getTime() > MAX_FUTURE_MS) {
      details.push({ path: join(prefix, "occurred_at"), message: "must not be more than 24 hours in the future" });
    }
  }

  if (!base.success || properties === undefined || details.length > 0) return { ok: false, details };

  const { first_name, last_name, phone, ...custom } = base.data.contact ?? {};
  const contact: NormalizedContact | null = base.data.contact
    ? {
        ...(first_name !== undefined && { firstName: first_name }),
        ...(last_name !== undefined && { lastName: last_name }),
        ...(phone !== undefined && { phone }),
        custom: custom as Record<string, ScalarValue>,
      }
    : null;
  return {
    ok: true,
    event: { id: base.data.id, type: base.data.type, email: base.data.email, contact, properties, occurredAt },
  };
}

/** Validates one event body; on failure lists every problem, with paths like `properties.total`. */
export function validateEvent(input: unknown, options: ValidateOptions = {}): EventValidation {
  return validateAt(input, "", options.now ?? new Date());
}

/**
 * Validates a batch body `{ events: [...] }`. Each event is judged on its own so the good ones can be
 * accepted; only a malformed or oversized batch is rejected whole. Repeated ids are left to the
 * idempotent insert, not flagged here.
 */
export function validateBatch(input: unknown, options: ValidateOptions = {}): BatchValidation {
  const now = options.now ?? new Date();
  if (!isPlainObject(input)) return { ok: false, details: [{ path: "", message: "must be a JSON object with an events array" }] };
  const events = input.events;
  if (!Array.isArray(events)) return { ok: false, details: [{ path: "events", message: events === undefined ? "is required" : "must be an array" }] };
  if (events.length === 0) return { ok: false, details: [{ path: "events", message: "must contain at least one event" }] };
  if (events.length > MAX_BATCH_EVENTS) {
    return { ok: false, details: [{ path: "events", message: `has ${events.length} events; a batch holds at most 1,000` }] };
  }
  const extra = Object.keys(input).filter((k) => k !== "events");
  if (extra.length > 0) return { ok: false, details: extra.map((k) => ({ path: k, message: "is not a recognized field" })) };
  return { ok: true, results: events.map((e, index) => ({ index, ...validateAt(e, `events[${index}]`, now) })) };
}
