// Change sets: a membership change made as a whole (an import's run, a bulk change, a workflow run, an undo), recorded
// once with its counts and named on each of its history entries, so that it can be shown and undone as a whole.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { changeSetsTable, type ChangeSetKind, type SourceType } from "../db/schema";
import { addContactsToSegment, lockSegment, removeContactsFromSegment, type MembershipSource } from "./membership";

export type ChangeSet = typeof changeSetsTable.$inferSelect;

/** Who undoes: the actor's source as membership history names it. */
export interface ChangeSetActor {
  sourceType: SourceType;
  sourceId: number | null;
  label: string;
}

export class ChangeSetNotUndoableError extends Error {}

/**
 * Opens a change set in the caller's transaction and returns the membership source its changes are written
 * with: every history entry they add names it. Counts are set by `recordChangeSetCounts` once the changes are made.
 */
export async function openChangeSet(tx: Db, accountId: number, input: ChangeSetInput): Promise<{ changeSet: ChangeSet; source: MembershipSource }> {
  const { sourceLabel, ...values } = input;
  const [changeSet] = await tx
    .insert(changeSetsTable)
    .values({ accountId, ...values, undoesId: input.undoesId ?? null })
    .returning();
  return { changeSet: changeSet!, source: { type: input.sourceType, id: input.sourceId, label: sourceLabel ?? input.label, changeSetId: changeSet!.id } };
}

export interface ChangeSetInput {
  kind: ChangeSetKind;
  segmentId: number;
  segmentName: string;
  sourceType: SourceType;
  sourceId: number | null;
  /** How the change set reads in the history and notices: "import #12", "bulk change by Ada". */
  label: string;
  /** What each history entry names as its source, when not the label (a user's entries name the user). */
  sourceLabel?: string;
  createdByLabel: string;
  undoesId?: number | null;
}

/** What the actor's bulk changes by hand or by API are recorded as (kind and label). */
export function changeSetOfActor(actor: ChangeSetActor): Pick<ChangeSetInput, "kind" | "label" | "sourceLabel" | "sourceType" | "sourceId" | "createdByLabel"> {
  return actor.sourceType === "api_key"
    ? { kind: "api", label: actor.label, sourceType: actor.sourceType, sourceId: actor.sourceId, createdByLabel: actor.label }
    : {
        kind: "manual",
        label: `bulk change by ${actor.label}`,
        sourceLabel: actor.label,
        sourceType: actor.sourceType,
        sourceId: actor.sourceId,
        createdByLabel: actor.label,
      };
}

/**
 * Makes a membership change as one change set, in one transaction with the segment locked first: `change` gets the
 * source to write with and returns its result and counts. A change that changed nothing leaves no change set (there
 * would be nothing to show or undo). Returns null when the segment no longer exists.
 */
export async function changeAsOneSet<T>(
  db: Db,
  accountId: number,
  segmentId: number,
  input: Omit<ChangeSetInput, "segmentId" | "segmentName">,
  change: (tx: Db, source: MembershipSource) => Promise<{ result: T; joined: number; left: number }>,
): Promise<{ result: T; changeSet: ChangeSet | null } | null> {
  return db.transaction(async (t) => {
    const segment = await lockSegment(t, accountId, segmentId);
    if (!segment) return null;
    const { changeSet, source } = await openChangeSet(t, accountId, { ...input, segmentId, segmentName: segment.name });
    const { result, joined, left } = await change(t, source);
    if (joined + left === 0) {
      await discardChangeSet(t, accountId, changeSet.id);
      return { result, changeSet: null };
    }
    await recordChangeSetCounts(t, accountId, changeSet.id, { joined, left });
    return { result, changeSet: { ...changeSet, joined, left } };
  });
}

export async function recordChangeSetCounts(tx: Db, accountId: number, id: number, counts: { joined: number; left: number; skipped?: number }): Promise<void> {
  await tx
    .update(changeSetsTable)
    .set({ joined: counts.joined, left: counts.left, skipped: counts.skipped ?? 0 })
    .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)));
}

/** Drops a change set that changed nothing (no history entry names it): there is nothing to show or undo. */
export async function discardChangeSet(tx: Db, accountId: number, id: number): Promise<void> {
  await tx.delete(changeSetsTable).where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)));
}

/** The entries of a change set whose member has had no later change in that segment: what an undo may reverse. */
function untouchedSince(accountId: number, changeSet: ChangeSet, action: "added" | "removed") {
  return sql`select e.contact_id from membership_events e
    where e.account_id = ${accountId} and e.change_set_id = ${changeSet.id} and e.action = ${action}
      and not exists (
        select 1 from membership_events l
        where l.account_id = ${accountId} and l.contact_id = e.contact_id and l.segment_id = ${changeSet.segmentId} and l.id > e.id
      )
      and exists (select 1 from contacts c where c.account_id = ${accountId} and c.id = e.contact_id)`;
}

/**
 * Undoes a change set as a new one ("undo of import #12"): the members it added leave and those it removed come
 * back, except members whose membership of the segment changed again since (they are skipped and counted, so a
 * later change is never reversed). One transaction, with the segment locked first. A change set is undone once;
 * an undo itself is not undone (see whyNotUndoable), and an undo that would change nothing is refused.
 */
export async function undoChangeSet(db: Db, accountId: number, id: number, actor: ChangeSetActor): Promise<ChangeSet> {
  return db.transaction(async (t) => {
    const [target] = await t
      .select()
      .from(changeSetsTable)
      .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)))
      .for("update");
    if (!target) throw new ChangeSetNotUndoableError("This change no longer exists.");
    const refusal = whyNotUndoable(target);
    if (refusal) throw new ChangeSetNotUndoableError(refusal);
    const segment = await lockSegment(t, accountId, target.segmentId);
    if (!segment) throw new ChangeSetNotUndoableError(`The segment "${target.segmentName}" has been deleted: there is nothing to undo.`);
    const label = `undo of ${target.label}`;
    const { changeSet, source } = await openChangeSet(t, accountId, {
      kind: "undo",
      segmentId: target.segmentId,
      segmentName: segment.name,
      sourceType: actor.sourceType,
      sourceId: actor.sourceId,
      label,
      createdByLabel: actor.label,
      undoesId: target.id,
    });
    const { removed } = await removeContactsFromSegment(t, accountId, target.segmentId, untouchedSince(accountId, target, "added"), source);
    const { added } = await addContactsToSegment(t, accountId, target.segmentId, untouchedSince(accountId, target, "removed"), source);
    const skipped = Math.max(0, target.joined + target.left - removed - added);
    // Throwing rolls the undo back: the change set stays undoable should the members come back as it left them.
    if (removed + added === 0) {
      throw new ChangeSetNotUndoableError(`Nothing to undo: all ${plainCount(skipped)} members ${target.label} changed have been changed again since.`);
    }
    await recordChangeSetCounts(t, accountId, changeSet.id, { joined: added, left: removed, skipped });
    await t
      .update(changeSetsTable)
      .set({ undoneById: changeSet.id })
      .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, target.id)));
    return { ...changeSet, joined: added, left: removed, skipped };
  });
}

/**
 * Why a change set cannot be undone, or null when it can. Redo is refused: an undo is not undone (make the change
 * again instead), so the history never goes back and forth over the same members. A workflow's runs are undone by
 * changing the workflow, not by hand: its next run would put the members back anyway.
 */
export function whyNotUndoable(cs: Pick<ChangeSet, "kind" | "label" | "undoneById" | "joined" | "left">): string | null {
  if (cs.kind === "undo") return `"${cs.label}" is itself an undo: it cannot be undone. Make the change again instead.`;
  if (cs.kind === "workflow") return `Changes made by ${cs.label} are not undone by hand: change or deactivate the workflow instead.`;
  if (cs.undoneById !== null) return `${capitalise(cs.label)} has already been undone.`;
  if (cs.joined + cs.left === 0) return `${capitalise(cs.label)} changed no member: there is nothing to undo.`;
  return null;
}

/** "Undid import #12: 3,120 left, 40 came back, 12 skipped because they changed since." */
export function undoSummary(undo: Pick<ChangeSet, "label" | "joined" | "left" | "skipped">): string {
  const what = undo.label.replace(/^undo of /, "");
  const parts = [`${plainCount(undo.left)} left`, `${plainCount(undo.joined)} came back`];
  if (undo.skipped > 0) parts.push(`${plainCount(undo.skipped)} skipped because they changed since`);
  return `Undid ${what}: ${parts.join(", ")}.`;
}

/** A segment's change sets, newest first, keyset-paged on the id. */
export async function listChangeSets(
  db: Db,
  accountId: number,
  segmentId: number,
  page: { cursor: number | null; limit: number },
): Promise<{ changeSets: ChangeSet[]; nextCursor: string | null }> {
  const rows = await db
    .select()
    .from(changeSetsTable)
    .where(
      and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.segmentId, segmentId), page.cursor ? lt(changeSetsTable.id, page.cursor) : undefined),
    )
    .orderBy(desc(changeSetsTable.id))
    .limit(page.limit + 1);
  const changeSets = rows.slice(0, page.limit);
  return { changeSets, nextCursor: rows.length > page.limit ? String(changeSets[changeSets.length - 1]!.id) : null };
}

export async function getChangeSet(db: Db, accountId: number, id: number): Promise<ChangeSet | null> {
  const [row] = await db
    .select()
    .from(changeSetsTable)
    .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)));
  return row ?? null;
}

function plainCount(n: number): string {
  return n.toLocaleString("en-US");
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A notice's Undo button for a change set just made: posts to the segment's undo route, which comes back to `back`. */
export function undoAction(changeSet: Pick<ChangeSet, "id" | "segmentId">, back: string): { label: string; href: string; method: "post" } {
  return { label: "Undo", href: `/segments/${changeSet.segmentId}/change-sets/${changeSet.id}/undo?back=${encodeURIComponent(back)}`, method: "post" };
}
