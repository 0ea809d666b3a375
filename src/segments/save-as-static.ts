// "Save as static segment": a dynamic segment's current members frozen into a new static segment.
import type { Db } from "../db/client";
import { addContactsToSegment, lockSegment, type MembershipSource } from "./membership";
import { createSegment, type Segment } from "./queries";
import { membersOf } from "./refresh";

/**
 * Creates the static segment `name` holding exactly the members `segmentId` has now, in one transaction: the
 * source is locked first so no refresh moves its members meanwhile, and the copy is one set-based statement whose
 * history entries say "copy of <source name>" (by the actor). Throws SegmentNameTakenError for a name in use;
 * null when the source does not exist.
 */
export async function saveAsStaticSegment(
  db: Db,
  accountId: number,
  segmentId: number,
  input: { name: string; description?: string },
  actor: MembershipSource,
): Promise<{ segment: Segment; copied: number } | null> {
  return db.transaction(async (t) => {
    const source = await lockSegment(t, accountId, segmentId);
    if (!source) return null;
    const segment = await createSegment(t, accountId, { name: input.name, description: input.description });
    const { added } = await addContactsToSegment(t, accountId, segment.id, membersOf(accountId, segmentId), {
      type: actor.type,
      id: actor.id,
      label: `copy of ${source.name}`,
    });
    return { segment: { ...segment, memberCount: added }, copied: added };
  });
}
