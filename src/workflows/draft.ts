// The editor's working copy of a workflow: node changes, field errors per node, and what Save checks and copies.
import { randomBytes } from "node:crypto";
import type { WorkflowAction, WorkflowActionKind, WorkflowCondition, WorkflowDraft } from "../db/schema";
import { isConditionOperator, validateCondition, type ConditionFieldErrors } from "./conditions";
import { eventTypeForTrigger, findTrigger, isSegmentTrigger, isTriggerKind, validateTrigger, type TriggerKind } from "./triggers";

export const ACTION_LABELS: Record<WorkflowActionKind, string> = { add: "Add to segment", remove: "Remove from segment" };

export type DraftCondition = WorkflowDraft["conditions"][number];
export type DraftAction = WorkflowDraft["actions"][number];
export type NodeErrors = Record<string, string | undefined>;

export function emptyDraft(): WorkflowDraft {
  return { trigger: null, customType: "", conditions: [], actions: [] };
}

/** A short id naming a condition or action node in URLs; stable while others are added or removed. */
export function newNodeKey(): string {
  return randomBytes(4).toString("hex");
}

export function blankCondition(): DraftCondition {
  return { key: newNodeKey(), path: "", operator: "equals", value: "" };
}

export function blankAction(): DraftAction {
  return { key: newNodeKey(), kind: "add", segmentId: null };
}

export function triggerErrors(input: { trigger?: string; customType?: string; segmentId?: number | null }, segmentIds?: ReadonlySet<number>): NodeErrors {
  return validateTrigger(input, segmentIds);
}

export function conditionErrors(input: { path?: string; operator?: string; value?: string }): ConditionFieldErrors {
  return validateCondition(input);
}

export function actionErrors(input: { kind?: string; segmentId?: number | null }, segmentIds: ReadonlySet<number>): NodeErrors {
  const errors: NodeErrors = {};
  if (input.kind !== "add" && input.kind !== "remove") errors.kind = "Choose what to do";
  if (input.segmentId === null || input.segmentId === undefined) errors.segmentId = "Choose a segment";
  else if (!segmentIds.has(input.segmentId)) errors.segmentId = "This segment no longer exists: choose another";
  return errors;
}

export interface SavedDefinition {
  triggerKind: TriggerKind;
  /** The event type an event trigger listens for; null for a segment trigger. */
  eventType: string | null;
  /** The segment a segment trigger watches; null for an event trigger. */
  triggerSegmentId: number | null;
  conditions: WorkflowCondition[];
  actions: WorkflowAction[];
}

export type DraftCheck = { ok: true; definition: SavedDefinition } | { ok: false; problems: string[]; nodeErrors: Record<string, NodeErrors> };

/**
 * What Save checks: a trigger, every condition complete, at least one action, each on an existing static segment
 * (`segmentIds`). A segment trigger watches one of `triggerSegmentIds` (any segment of the account), takes no
 * conditions on event properties, and never acts on its own segment (each change would start it again).
 */
export function checkDraft(draft: WorkflowDraft, segmentIds: ReadonlySet<number>, triggerSegmentIds: ReadonlySet<number> = segmentIds): DraftCheck {
  const problems: string[] = [];
  const nodeErrors: Record<string, NodeErrors> = {};
  const segmentTrigger = isSegmentTrigger(draft.trigger);
  const trig = triggerErrors(
    { trigger: draft.trigger ?? undefined, customType: draft.customType, segmentId: draft.triggerSegmentId ?? null },
    triggerSegmentIds,
  );
  if (Object.keys(trig).length > 0) {
    nodeErrors.trigger = trig;
    problems.push(`Trigger: ${Object.values(trig)[0]}.`);
  }
  if (segmentTrigger && draft.conditions.length > 0) {
    problems.push("Conditions on event properties do not apply when a contact enters or leaves a segment: remove them.");
  }
  draft.conditions.forEach((c, i) => {
    const errors = conditionErrors(c);
    if (Object.keys(errors).length > 0) {
      nodeErrors[c.key] = errors;
      problems.push(`Condition ${i + 1}: ${Object.values(errors)[0]}.`);
    }
  });
  if (draft.actions.length === 0) problems.push("Add at least one action: Add to segment or Remove from segment.");
  draft.actions.forEach((a, i) => {
    const errors = actionErrors(a, segmentIds);
    if (segmentTrigger && !errors.segmentId && a.segmentId === draft.triggerSegmentId) {
      errors.segmentId = "This is the segment that starts the workflow: changing it would start the workflow again. Choose another segment";
    }
    if (Object.keys(errors).length > 0) {
      nodeErrors[a.key] = errors;
      problems.push(`Action ${i + 1}: ${Object.values(errors)[0]}.`);
    }
  });
  if (problems.length > 0 || !isTriggerKind(draft.trigger)) return { ok: false, problems, nodeErrors };
  return {
    ok: true,
    definition: {
      triggerKind: draft.trigger,
      eventType: segmentTrigger ? null : eventTypeForTrigger(draft.trigger, draft.customType)!,
      triggerSegmentId: segmentTrigger ? draft.triggerSegmentId! : null,
      conditions: draft.conditions
        .filter((c) => isConditionOperator(c.operator))
        .map((c) => ({ path: c.path.trim(), operator: c.operator, value: c.value.trim() })),
      actions: draft.actions.map((a) => ({ kind: a.kind, segmentId: a.segmentId! })),
    },
  };
}

/** Whether the draft differs from what runs: the editor says "unsaved changes" until Save. */
export function hasUnsavedChanges(
  draft: WorkflowDraft,
  saved: { triggerKind: string | null; eventType: string | null; triggerSegmentId?: number | null; conditions: WorkflowCondition[]; actions: WorkflowAction[] },
): boolean {
  const fromDraft = {
    trigger: draft.trigger,
    type: draft.trigger ? eventTypeForTrigger(draft.trigger, draft.customType) : null,
    segment: isSegmentTrigger(draft.trigger) ? (draft.triggerSegmentId ?? null) : null,
    conditions: draft.conditions.map((c) => [c.path.trim(), c.operator, c.value.trim()]),
    actions: draft.actions.map((a) => [a.kind, a.segmentId]),
  };
  const fromSaved = {
    trigger: saved.triggerKind,
    type: saved.eventType,
    segment: saved.triggerSegmentId ?? null,
    // Saved columns are read defensively: a damaged row must still render its page (and its errors).
    conditions: Array.isArray(saved.conditions) ? saved.conditions.map((c) => [c.path, c.operator, c.value]) : null,
    actions: Array.isArray(saved.actions) ? saved.actions.map((a) => [a.kind, a.segmentId]) : null,
  };
  return JSON.stringify(fromDraft) !== JSON.stringify(fromSaved);
}

/** One line for lists: "When searching", or "When a custom event happens: trial.started". */
export function describeTrigger(triggerKind: string | null, eventType: string | null): string {
  if (!isTriggerKind(triggerKind)) return "No trigger yet";
  const label = findTrigger(triggerKind).label;
  return triggerKind === "custom" && eventType ? `${label}: ${eventType}` : label;
}
