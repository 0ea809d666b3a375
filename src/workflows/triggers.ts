// Workflow trigger kinds: their editor labels, the event type each one listens for, and suggested condition paths;
// the two segment triggers listen for membership changes instead (src/workflows/segment-triggers.ts).
import { EVENT_TYPE_PATTERN, isBuiltinEventType, type BuiltinEventType } from "../events/validate";

export const TRIGGER_KINDS = ["purchase", "product_search", "page_view", "form_submit", "custom", "segment_entered", "segment_left"] as const;
export const SEGMENT_TRIGGER_KINDS = ["segment_entered", "segment_left"] as const;
export type SegmentTriggerKind = (typeof SEGMENT_TRIGGER_KINDS)[number];
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export interface TriggerOption {
  kind: TriggerKind;
  label: string;
  /** The event type this trigger listens for; null for custom, whose type the user names. */
  eventType: BuiltinEventType | null;
  /** Property paths offered as suggestions in the condition editor (free text is still allowed). */
  suggestedPaths: readonly string[];
}

/** In the order the editor shows them. */
export const TRIGGERS: readonly TriggerOption[] = [
  {
    kind: "purchase",
    label: "When buying",
    eventType: "purchase",
    suggestedPaths: ["total", "currency", "order_id", "products.category", "products.name", "products.id", "products.price", "products.quantity"],
  },
  {
    kind: "product_search",
    label: "When searching",
    eventType: "product_search",
    suggestedPaths: ["query", "product.name", "product.category", "product.id"],
  },
  { kind: "page_view", label: "When visiting a page", eventType: "page_view", suggestedPaths: ["url", "category"] },
  { kind: "form_submit", label: "When submitting a form", eventType: "form_submit", suggestedPaths: ["form"] },
  { kind: "custom", label: "When a custom event happens", eventType: null, suggestedPaths: [] },
  { kind: "segment_entered", label: "When entering a segment", eventType: null, suggestedPaths: [] },
  { kind: "segment_left", label: "When leaving a segment", eventType: null, suggestedPaths: [] },
];

export function isSegmentTrigger(kind: unknown): kind is SegmentTriggerKind {
  return kind === "segment_entered" || kind === "segment_left";
}

export function isTriggerKind(value: unknown): value is TriggerKind {
  return (TRIGGER_KINDS as readonly unknown[]).includes(value);
}

export function findTrigger(kind: TriggerKind): TriggerOption {
  return TRIGGERS.find((t) => t.kind === kind)!;
}

export function suggestedPathsForTrigger(kind: TriggerKind): readonly string[] {
  return findTrigger(kind).suggestedPaths;
}

/**
 * The event type a trigger listens for, or null when a custom trigger has no valid type name
 * (run validateTrigger first to tell the user why).
 */
export function eventTypeForTrigger(trigger: TriggerKind, customType?: string): string | null {
  if (trigger !== "custom") return findTrigger(trigger).eventType;
  const type = customType?.trim() ?? "";
  return EVENT_TYPE_PATTERN.test(type) && !isBuiltinEventType(type) ? type : null;
}

/** The trigger kind that fires for an event type: built-in types map to their own kind, anything else is custom. */
export function triggerForEventType(type: string): TriggerKind {
  return isBuiltinEventType(type) ? type : "custom";
}

/**
 * Field errors for the trigger part of the workflow editor form; empty when valid. A segment trigger needs its
 * segment, one of `segmentIds` (the account's) when given.
 */
export function validateTrigger(
  input: { trigger?: string; customType?: string; segmentId?: number | null },
  segmentIds?: ReadonlySet<number>,
): { trigger?: string; customType?: string; segmentId?: string } {
  if (!isTriggerKind(input.trigger)) return { trigger: "Choose when the workflow starts" };
  if (isSegmentTrigger(input.trigger)) {
    if (input.segmentId === null || input.segmentId === undefined) return { segmentId: "Choose the segment" };
    if (segmentIds && !segmentIds.has(input.segmentId)) return { segmentId: "This segment no longer exists: choose another" };
    return {};
  }
  if (input.trigger !== "custom") return {};
  const type = input.customType?.trim() ?? "";
  if (type === "") return { customType: "Enter the event name your site sends, like newsletter_signup" };
  if (isBuiltinEventType(type)) {
    return { customType: `"${type}" is a built-in event: choose "${findTrigger(type).label}" instead` };
  }
  if (!EVENT_TYPE_PATTERN.test(type)) {
    return { customType: "Start with a lowercase letter and use only a-z, 0-9, _ . : - (at most 64 characters)" };
  }
  return {};
}
