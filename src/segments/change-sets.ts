// Change sets: a membership change made as a whole (an import's run, an undo), recorded once with its counts and
// named on each of its history entries, so that it can be shown and undone as a whole.
import { and, eq, sql } from "drizzle-orm";
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
export async function openChangeSet(
  tx: Db,
  accountId: number,
  input: { kind: ChangeSetKind; segmentId: number; segmentName: string; sourceType: SourceType; sourceId: number | null; label: string; createdByLabel: string; undoesId?: number | null },
): Promise<{ changeSet: ChangeSet; source: MembershipSource }> {
  const [changeSet] = await tx
    .insert(changeSetsTable)
    .values({ accountId, ...input, undoesId: input.undoesId ?? null })
    .returning();
  return { changeSet: changeSet!, source: { type: input.sourceType, id: input.sourceId, label: input.label, changeSetId: changeSet!.id } };
}

export async function recordChangeSetCounts(tx: Db, accountId: number, id: number, counts: { joined: number; left: number; skipped?: number }): Promise<void> {
  await tx
    .update(changeSetsTable)
    .set({ joined: counts.joined, left: counts.left, skipped: counts.skipped ?? 0 })
    .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)));
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
 * an undo itself is not undone (run the import again instead).
 */
export async function undoChangeSet(db: Db, accountId: number, id: number, actor: ChangeSetActor): Promise<ChangeSet> {
  return db.transaction(async (t) => {
    const [target] = await t
      .select()
      .from(changeSetsTable)
      .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, id)))
      .for("update");
    if (!target) throw new ChangeSetNotUndoableError("This change no longer exists.");
    if (target.kind === "undo") throw new ChangeSetNotUndoableError(`"${target.label}" is itself an undo: it cannot be undone.`);
    if (target.undoneById !== null) throw new ChangeSetNotUndoableError(`${capitalise(target.label)} has already been undone.`);
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
    await recordChangeSetCounts(t, accountId, changeSet.id, { joined: added, left: removed, skipped });
    await t
      .update(changeSetsTable)
      .set({ undoneById: changeSet.id })
      .where(and(eq(changeSetsTable.accountId, accountId), eq(changeSetsTable.id, target.id)));
    return { ...changeSet, joined: added, left: removed, skipped };
  });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

