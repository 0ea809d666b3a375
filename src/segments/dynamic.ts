// Dynamic segments' operations shared by the pages and the API: check conditions (grammar, segments referred to,
// cycles), create a dynamic segment, change its conditions; each save refreshes the members at once.
import type { Db } from "../db/client";
import { sql } from "drizzle-orm";
import { queryRows } from "../db/client";
import { describeNode, type DescribeNames } from "../conditions/describe";
import { explainContact, type Explanation } from "../conditions/explain";
import { groupItems, groupKind, parseConditions, type ConditionGroup } from "../conditions/grammar";
import { listCustomFields } from "../custom-fields/queries";
import { createSegment, getSegment, updateSegment, type Segment } from "./queries";
import { RefreshFailedError, refreshDynamicSegment, segmentReferenceProblem, type RefreshOutcome } from "./refresh";

/** Refreshes at once after a save; a refresh stopped at its limit is recorded on the segment (refresh_error), not thrown. */
async function refreshAfterSave(db: Db, accountId: number, segmentId: number): Promise<RefreshOutcome | null> {
  try {
    return await refreshDynamicSegment(db, accountId, segmentId);
  } catch (e) {
    if (e instanceof RefreshFailedError) return null;
    throw e;
  }
}

export interface ConditionProblem {
  path: string;
  message: string;
}

export type ConditionsCheck = { ok: true; group: ConditionGroup } | { ok: false; details: ConditionProblem[] };

/** The message every refused membership change of a dynamic segment gives, naming it. */
export function dynamicMembershipRefusal(segment: { name: string }): string {
  return `"${segment.name}" is a dynamic segment: its members are the contacts its conditions match, so they cannot be added or removed by hand, by import, by workflow or through the API. Change its conditions, or use "Save as static segment" for a copy you can change.`;
}

/**
 * Checks a conditions document for segment `segmentId` (null for a new one): the grammar (with the account's
 * custom fields), then the segments it refers to (existing, no cycle). Paths are relative to the document, prefixed
 * with `prefix` (the API's "conditions").
 */
export async function checkConditions(db: Db, accountId: number, segmentId: number | null, input: unknown, prefix = ""): Promise<ConditionsCheck> {
  const customFields = await listCustomFields(db, accountId);
  const parsed = parseConditions(input, { customFields });
  const at = (path: string) => (prefix ? (path ? `${prefix}.${path}` : prefix) : path);
  if (!parsed.ok) return { ok: false, details: parsed.details.map((d) => ({ path: at(d.path), message: d.message })) };
  const problem = await segmentReferenceProblem(db, accountId, segmentId, parsed.value);
  if (problem) return { ok: false, details: [{ path: at(""), message: problem }] };
  return { ok: true, group: parsed.value };
}

/** Creates a dynamic segment and fills it at once. Throws SegmentNameTakenError; the conditions must have been checked. */
export async function createDynamicSegment(
  db: Db,
  accountId: number,
  input: { name: string; description?: string; conditions: ConditionGroup },
): Promise<{ segment: Segment; refresh: RefreshOutcome | null }> {
  const created = await createSegment(db, accountId, { ...input, type: "dynamic", conditions: input.conditions as unknown as Record<string, unknown> });
  const refresh = await refreshAfterSave(db, accountId, created.id);
  return { segment: (await getSegment(db, accountId, created.id)) ?? created, refresh };
}

/** Saves a dynamic segment's new conditions (already checked) and refreshes its members at once. */
export async function changeConditions(
  db: Db,
  accountId: number,
  segmentId: number,
  patch: { name?: string; description?: string; conditions: ConditionGroup },
): Promise<{ segment: Segment; refresh: RefreshOutcome | null } | null> {
  const updated = await updateSegment(db, accountId, segmentId, { ...patch, conditions: patch.conditions as unknown as Record<string, unknown> });
  if (!updated) return null;
  const refresh = await refreshAfterSave(db, accountId, segmentId);
  return { segment: (await getSegment(db, accountId, segmentId)) ?? updated, refresh };
}

/** Segment names by id and custom field labels by key, so that conditions read in words rather than ids. */
export async function describeNames(db: Db, accountId: number): Promise<DescribeNames> {
  const [segments, customFields] = await Promise.all([
    queryRows<{ id: string | number; name: string }>(db, sql`select id, name from segments where account_id = ${accountId}`),
    listCustomFields(db, accountId),
  ]);
  return { segments: new Map(segments.map((r) => [Number(r.id), r.name])), customFields: new Map(customFields.map((f) => [f.key, f.label])) };
}

/** A dynamic segment's conditions as the segment page shows them: how they join, one sentence each. */
export async function conditionSentences(db: Db, accountId: number, segment: Segment): Promise<{ join: "all" | "any"; items: string[] } | null> {
  if (segment.type !== "dynamic" || !segment.conditions) return null;
  const group = segment.conditions as unknown as ConditionGroup;
  const names = await describeNames(db, accountId);
  return { join: groupKind(group), items: groupItems(group).map((n) => describeNode(n, names)) };
}

/** Why the contact is (or is not) in the dynamic segment: each condition, whether it held, and the values that decided. */
export async function explainMembership(
  db: Db,
  accountId: number,
  segment: Segment,
  contactId: number,
): Promise<{ explanation: Explanation; member: boolean } | null> {
  if (segment.type !== "dynamic" || !segment.conditions) return null;
  const explanation = await explainContact(db, accountId, contactId, segment.conditions as unknown as ConditionGroup, await describeNames(db, accountId));
  if (!explanation) return null;
  const [row] = await queryRows<{ member: boolean }>(
    db,
    sql`select exists (select 1 from segment_members where account_id = ${accountId} and segment_id = ${segment.id} and contact_id = ${contactId}) as member`,
  );
  return { explanation, member: row?.member === true };
}
