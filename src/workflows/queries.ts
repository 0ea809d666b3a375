// Workflows in the database: create, edit the draft, save, activate or deactivate, delete, and read runs and errors.
import { and, asc, desc, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { workflowErrorsTable, workflowsTable, type WorkflowAction, type WorkflowDraft } from "../db/schema";
import { listSegmentChoices } from "../segments/choices";
import { referencedSegmentIds, type ConditionGroup } from "../conditions/grammar";
import { checkDraft, emptyDraft, type NodeErrors } from "./draft";
import { isUniqueViolation } from "../db/errors";

export type WorkflowRow = typeof workflowsTable.$inferSelect;

export class WorkflowNameTakenError extends Error {
  constructor(name: string) {
    super(`A workflow named "${name}" already exists.`);
  }
}

export async function listWorkflows(db: Db, accountId: number): Promise<WorkflowRow[]> {
  return db
    .select()
    .from(workflowsTable)
    .where(eq(workflowsTable.accountId, accountId))
    .orderBy(asc(sql`lower(${workflowsTable.name})`), asc(workflowsTable.id));
}

export async function getWorkflow(db: Db, accountId: number, id: number): Promise<WorkflowRow | null> {
  const [row] = await db
    .select()
    .from(workflowsTable)
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)));
  return row ?? null;
}

export async function createWorkflow(db: Db, accountId: number, input: { name: string; createdBy: number | null }): Promise<WorkflowRow> {
  try {
    const [row] = await db.insert(workflowsTable).values({ accountId, name: input.name.trim(), draft: emptyDraft(), createdBy: input.createdBy }).returning();
    return row!;
  } catch (e) {
    if (isUniqueViolation(e)) throw new WorkflowNameTakenError(input.name.trim());
    throw e;
  }
}

export async function renameWorkflow(db: Db, accountId: number, id: number, name: string): Promise<WorkflowRow | null> {
  try {
    const [row] = await db
      .update(workflowsTable)
      .set({ name: name.trim(), updatedAt: new Date() })
      .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)))
      .returning();
    return row ?? null;
  } catch (e) {
    if (isUniqueViolation(e)) throw new WorkflowNameTakenError(name.trim());
    throw e;
  }
}

/** Replaces the editor's draft; what runs changes only on Save. */
export async function updateDraft(db: Db, accountId: number, id: number, draft: WorkflowDraft): Promise<WorkflowRow | null> {
  const [row] = await db
    .update(workflowsTable)
    .set({ draft, updatedAt: new Date() })
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)))
    .returning();
  return row ?? null;
}

/** The account's static segments, for the action nodes' choice. */
export const listSegmentOptions = (db: Db, accountId: number) => listSegmentChoices(db, accountId, { staticOnly: true });

/** Every segment of the account, static and dynamic, for the segment triggers' choice. */
export const listTriggerSegmentOptions = (db: Db, accountId: number) => listSegmentChoices(db, accountId);

/** The newest history entry of the segment: a segment trigger runs on entries after it. */
const newestEntryOf = (accountId: number, segmentId: SQL | number) =>
  sql`(select coalesce(max(e.id), 0) from membership_events e where e.account_id = ${accountId} and e.segment_id = ${segmentId})`;

export type SaveOutcome = { ok: true; workflow: WorkflowRow } | { ok: false; problems: string[]; nodeErrors: Record<string, NodeErrors> };

/**
 * Copies a complete draft to the columns evaluation reads. An active workflow keeps running with the new
 * definition from the next event on. A reason left by a deleted segment is cleared once no action uses it.
 */
export async function saveWorkflow(db: Db, accountId: number, workflow: WorkflowRow): Promise<SaveOutcome> {
  const segmentIds = new Set((await listSegmentOptions(db, accountId)).map((s) => s.id));
  const triggerSegmentIds = new Set((await listTriggerSegmentOptions(db, accountId)).map((s) => s.id));
  const check = checkDraft(workflow.draft, segmentIds, triggerSegmentIds);
  if (!check.ok) return check;
  const { triggerSegmentId } = check.definition;
  if (triggerSegmentId !== null) {
    const loop = await triggerLoop(
      db,
      accountId,
      workflow.id,
      triggerSegmentId,
      check.definition.actions.map((a) => a.segmentId),
    );
    if (loop) return { ok: false, problems: [loop], nodeErrors: {} };
  }
  // A segment trigger now watching another segment starts from that segment's present: its past is not run.
  const cursor =
    triggerSegmentId === null
      ? null
      : triggerSegmentId === workflow.triggerSegmentId && workflow.triggerCursor !== null
        ? workflow.triggerCursor
        : newestEntryOf(accountId, triggerSegmentId);
  const [row] = await db
    .update(workflowsTable)
    .set({ ...check.definition, triggerCursor: cursor, savedAt: new Date(), updatedAt: new Date(), deactivatedReason: null })
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, workflow.id)))
    .returning();
  return { ok: true, workflow: row! };
}

/**
 * Why a segment-triggered workflow would start itself again through others, or null. Its actions change segments;
 * a change to a segment starts the workflows it triggers (their actions change more segments) and moves the dynamic
 * segments whose conditions refer to it. If that reaches its own trigger segment, the workflows could start each
 * other forever: Save refuses, naming the way round.
 */
async function triggerLoop(db: Db, accountId: number, workflowId: number, triggerSegmentId: number, actionSegmentIds: number[]): Promise<string | null> {
  const [flows, segments] = await Promise.all([
    queryRows<{ id: string | number; name: string; trigger_segment_id: string | number; actions: unknown }>(
      db,
      sql`select id, name, trigger_segment_id, actions from workflows where account_id = ${accountId} and trigger_segment_id is not null and id <> ${workflowId}`,
    ),
    queryRows<{ id: string | number; name: string; conditions: unknown }>(db, sql`select id, name, conditions from segments where account_id = ${accountId}`),
  ]);
  const names = new Map(segments.map((s) => [Number(s.id), s.name]));
  // Edges: a segment -> the segments a change to it may change next, with what makes it.
  const next = new Map<number, { to: number; via: string }[]>();
  const edge = (from: number, to: number, via: string) => next.set(from, [...(next.get(from) ?? []), { to, via }]);
  for (const f of flows) {
    const actions = (typeof f.actions === "string" ? JSON.parse(f.actions) : f.actions) as WorkflowAction[];
    for (const a of Array.isArray(actions) ? actions : []) edge(Number(f.trigger_segment_id), a.segmentId, `workflow "${f.name}"`);
  }
  for (const s of segments) {
    const doc = typeof s.conditions === "string" ? JSON.parse(s.conditions) : s.conditions;
    if (doc) for (const ref of referencedSegmentIds(doc as ConditionGroup)) edge(ref, Number(s.id), "its conditions");
  }
  const seen = new Set<number>();
  const walk = (segment: number, path: string[]): string[] | null => {
    if (segment === triggerSegmentId) return path;
    if (seen.has(segment)) return null;
    seen.add(segment);
    for (const { to, via } of next.get(segment) ?? []) {
      const found = walk(to, [...path, `${via} changes "${names.get(to) ?? `#${to}`}"`]);
      if (found) return found;
    }
    return null;
  };
  for (const start of actionSegmentIds) {
    const path = walk(start, [`this workflow changes "${names.get(start) ?? `#${start}`}"`]);
    if (path) return `Its actions would start it again: ${path.join(", then ")}, which starts this workflow. Choose segments outside that loop.`;
  }
  return null;
}

/** Why the saved workflow cannot be activated, or null when it can. */
export async function activationProblem(db: Db, accountId: number, workflow: WorkflowRow): Promise<string | null> {
  if (!workflow.savedAt || (!workflow.eventType && workflow.triggerSegmentId === null) || workflow.actions.length === 0)
    return "Save a complete workflow before activating it.";
  const segmentIds = new Set((await listSegmentOptions(db, accountId)).map((s) => s.id));
  if (workflow.triggerSegmentId !== null && !(await listTriggerSegmentOptions(db, accountId)).some((s) => s.id === workflow.triggerSegmentId)) {
    return "The segment that starts this workflow no longer exists: choose another and Save.";
  }
  if (workflow.actions.some((a) => !segmentIds.has(a.segmentId))) return "A segment this workflow acts on no longer exists: choose another and Save.";
  return null;
}

/**
 * Active from now on: events received from this moment are evaluated; earlier ones never are. A segment trigger
 * likewise runs on the joins or leaves recorded after this moment.
 */
export async function activateWorkflow(db: Db, accountId: number, id: number): Promise<WorkflowRow | null> {
  const [row] = await db
    .update(workflowsTable)
    // The database's clock, as events' received_at: recovery compares the two.
    .set({
      status: "active",
      activatedAt: sql`now()`,
      deactivatedReason: null,
      updatedAt: new Date(),
      triggerCursor: sql`case when ${workflowsTable.triggerSegmentId} is null then null else ${newestEntryOf(accountId, sql`${workflowsTable.triggerSegmentId}`)} end`,
    })
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)))
    .returning();
  return row ?? null;
}

export async function deactivateWorkflow(db: Db, accountId: number, id: number, reason: string | null = null): Promise<WorkflowRow | null> {
  const [row] = await db
    .update(workflowsTable)
    .set({ status: "inactive", deactivatedReason: reason, updatedAt: new Date() })
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)))
    .returning();
  return row ?? null;
}

export async function deleteWorkflow(db: Db, accountId: number, id: number): Promise<boolean> {
  const rows = await db
    .delete(workflowsTable)
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.id, id)))
    .returning({ id: workflowsTable.id });
  return rows.length > 0;
}

/**
 * Call when a segment is deleted (in the same transaction, before or after the delete): every workflow whose
 * saved actions use it stops and says why. Inactive ones get the reason too, so nobody activates them blind.
 * Returns the number of workflows changed.
 */
export async function deactivateWorkflowsForSegment(db: Db, accountId: number, segmentId: number, segmentName: string): Promise<number> {
  const reason = `Deactivated: the segment "${segmentName}" it acts on was deleted. Choose another segment, Save, and activate it again.`;
  const rows = await db
    .update(workflowsTable)
    .set({ status: "inactive", deactivatedReason: reason, updatedAt: new Date() })
    .where(and(eq(workflowsTable.accountId, accountId), sql`${workflowsTable.actions} @> ${JSON.stringify([{ segmentId }])}::jsonb`))
    .returning({ id: workflowsTable.id });
  const started = await db
    .update(workflowsTable)
    .set({
      status: "inactive",
      deactivatedReason: `Deactivated: the segment "${segmentName}" that starts it was deleted. Choose another segment, Save, and activate it again.`,
      updatedAt: new Date(),
    })
    .where(and(eq(workflowsTable.accountId, accountId), eq(workflowsTable.triggerSegmentId, segmentId)))
    .returning({ id: workflowsTable.id });
  return rows.length + started.length;
}

export async function listWorkflowErrors(db: Db, accountId: number, workflowId: number, limit = 20) {
  return db
    .select({ id: workflowErrorsTable.id, eventId: workflowErrorsTable.eventId, message: workflowErrorsTable.message, at: workflowErrorsTable.at })
    .from(workflowErrorsTable)
    .where(and(eq(workflowErrorsTable.accountId, accountId), eq(workflowErrorsTable.workflowId, workflowId)))
    .orderBy(desc(workflowErrorsTable.at), desc(workflowErrorsTable.id))
    .limit(limit);
}

export interface WorkflowChange {
  id: number;
  at: Date;
  action: "added" | "removed";
  segmentName: string;
  contactId: number;
  contactEmail: string | null;
  sourceLabel: string;
}

/**
 * The latest membership changes this workflow made, from membership history. Read through the segments its
 * actions use (history is indexed by segment), so the cost does not grow with the account's other history.
 */
export async function listWorkflowChanges(db: Db, accountId: number, workflow: WorkflowRow, limit = 10): Promise<WorkflowChange[]> {
  const segmentIds = [
    ...new Set(
      [...(Array.isArray(workflow.actions) ? workflow.actions : []), ...workflow.draft.actions]
        .map((a) => a.segmentId)
        .filter((id): id is number => typeof id === "number"),
    ),
  ];
  if (segmentIds.length === 0) return [];
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select e.id, e.at, e.action, e.segment_name, e.contact_id, c.email, e.source_label
    from membership_events e
    left join contacts c on c.account_id = e.account_id and c.id = e.contact_id
    where e.account_id = ${accountId} and e.segment_id in (${sql.join(
      segmentIds.map((id) => sql`${id}`),
      sql`, `,
    )})
      and e.source_type = 'workflow' and e.source_id = ${workflow.id}
    order by e.id desc limit ${limit}`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at instanceof Date ? r.at : new Date(String(r.at)),
    action: r.action as "added" | "removed",
    segmentName: String(r.segment_name),
    contactId: Number(r.contact_id),
    contactEmail: (r.email as string | null) ?? null,
    sourceLabel: String(r.source_label),
  }));
}
