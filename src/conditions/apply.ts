// "Add all N matching to segment" / "Remove all N matching" by conditions: one membership change, recorded as one
// change set ("by conditions of Ada") that the segment's history shows and can undo as a whole.
import type { SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { openChangeSet, recordChangeSetCounts, type ChangeSet, type ChangeSetActor } from "../segments/change-sets";
import { addContactsToSegment, lockSegment, removeContactsFromSegment } from "../segments/membership";

export class SegmentGoneError extends Error {}

export interface ConditionsChange {
  changeSet: ChangeSet;
  /** Contacts that joined (add) or left (remove). */
  changed: number;
  /** Matching contacts already in (add) or not in (remove) the segment. */
  unchanged: number;
}

/**
 * Adds or removes every contact `matching` selects (matchingContactsSql of the list's filter) as one change set of
 * kind "conditions", in one transaction: the segment is locked first (a statement of its own), then the change set
 * is opened, the change made through membership.ts, and its counts recorded.
 */
export async function changeSegmentByConditions(
  db: Db,
  accountId: number,
  segmentId: number,
  matching: SQL,
  action: "add" | "remove",
  actor: ChangeSetActor,
): Promise<ConditionsChange> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    const segment = await lockSegment(t, accountId, segmentId);
    if (!segment) throw new SegmentGoneError("This segment no longer exists.");
    const { changeSet, source } = await openChangeSet(t, accountId, {
      kind: "conditions",
      segmentId,
      segmentName: segment.name,
      sourceType: actor.sourceType,
      sourceId: actor.sourceId,
      label: `by conditions of ${actor.label}`,
      createdByLabel: actor.label,
    });
    if (action === "add") {
      const r = await addContactsToSegment(t, accountId, segmentId, matching, source);
      await recordChangeSetCounts(t, accountId, changeSet.id, { joined: r.added, left: 0 });
      return { changeSet: { ...changeSet, joined: r.added }, changed: r.added, unchanged: r.alreadyMembers };
    }
    const r = await removeContactsFromSegment(t, accountId, segmentId, matching, source);
    await recordChangeSetCounts(t, accountId, changeSet.id, { joined: 0, left: r.removed });
    return { changeSet: { ...changeSet, left: r.removed }, changed: r.removed, unchanged: r.notMembers };
  });
}
