// Segments of an account, static and dynamic: list, read, create, rename and describe, change a dynamic segment's
// conditions, delete (memberships go, contacts stay).
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { queryRows } from "../db/client";
import { foldedLikePattern, normaliseQuery, toDate } from "../contacts/queries";
import { isUniqueViolation } from "../db/errors";
import type { SegmentType } from "../db/schema";
import type { MembershipSource } from "./membership";
import { deactivateWorkflowsForSegment } from "../workflows/queries";

export interface Segment {
  id: number;
  name: string;
  description: string;
  type: SegmentType;
  /** A dynamic segment's conditions (src/conditions/grammar.ts); null for a static segment. */
  conditions: Record<string, unknown> | null;
  memberCount: number;
  /** When a dynamic segment's members were last made to match its conditions; null for static ones or before the first refresh. */
  refreshedAt: Date | null;
  /** Why a dynamic segment's last refresh failed (a condition too broad), or null. */
  refreshError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export class SegmentNameTakenError extends Error {
  constructor(readonly segmentName: string) {
    super(`A segment named "${segmentName}" already exists.`);
  }
}

function toSegment(r: Record<string, unknown>): Segment {
  return {
    id: Number(r.id),
    name: String(r.name),
    description: String(r.description ?? ""),
    type: r.type === "dynamic" ? "dynamic" : "static",
    conditions:
      r.conditions === null || r.conditions === undefined
        ? null
        : typeof r.conditions === "string"
          ? JSON.parse(r.conditions)
          : (r.conditions as Record<string, unknown>),
    memberCount: Number(r.member_count),
    refreshedAt: r.refreshed_at === null || r.refreshed_at === undefined ? null : toDate(r.refreshed_at),
    refreshError: (r.refresh_error as string | null) ?? null,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

const COLUMNS = sql`id, name, description, type, conditions, member_count, refreshed_at, refresh_error, created_at, updated_at`;

/** Segments by last change, newest first; `q` matches the name or description (case- and accent-insensitive). */
export async function listSegments(db: Db, accountId: number, options: { q?: string } = {}): Promise<Segment[]> {
  const q = normaliseQuery(options.q);
  const like = sql`'%' || ${foldedLikePattern(q)} || '%'`;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select ${COLUMNS} from segments where account_id = ${accountId}
    ${q ? sql`and (roster_fold(name) like ${like} or roster_fold(description) like ${like})` : sql``}
    order by updated_at desc, id desc limit 1000`,
  );
  return rows.map(toSegment);
}

export async function getSegment(db: Db, accountId: number, id: number): Promise<Segment | null> {
  const [row] = await queryRows<Record<string, unknown>>(db, sql`select ${COLUMNS} from segments where account_id = ${accountId} and id = ${id}`);
  return row ? toSegment(row) : null;
}

/**
 * Creates a segment, static or (with conditions) dynamic; the name is unique in the account, case-insensitively
 * (SegmentNameTakenError). A dynamic segment starts empty: refreshDynamicSegment (src/segments/refresh.ts) fills it.
 */
export async function createSegment(
  db: Db,
  accountId: number,
  input: { name: string; description?: string; type?: SegmentType; conditions?: Record<string, unknown> | null },
): Promise<Segment> {
  const name = input.name.trim();
  const dynamic = input.type === "dynamic";
  const conditions = dynamic ? JSON.stringify(input.conditions ?? { all: [] }) : null;
  const [row] = await queryRows<Record<string, unknown>>(
    db,
    sql`insert into segments (account_id, name, description, type, conditions, conditions_changed_at)
    values (${accountId}, ${name}, ${(input.description ?? "").trim()}, ${dynamic ? "dynamic" : "static"}, ${conditions}::jsonb, ${dynamic ? sql`now()` : sql`null`})
    on conflict (account_id, lower(name)) do nothing returning ${COLUMNS}`,
  );
  if (!row) throw new SegmentNameTakenError(name);
  return toSegment(row);
}

/** Renames or describes a segment; `conditions` changes a dynamic segment's conditions (ignored for a static one). */
export async function updateSegment(
  db: Db,
  accountId: number,
  id: number,
  patch: { name?: string; description?: string; conditions?: Record<string, unknown> },
): Promise<Segment | null> {
  const sets = [sql`updated_at = now()`];
  if (patch.name !== undefined) sets.push(sql`name = ${patch.name.trim()}`);
  if (patch.description !== undefined) sets.push(sql`description = ${patch.description.trim()}`);
  if (patch.conditions !== undefined) {
    sets.push(sql`conditions = case when type = 'dynamic' then ${JSON.stringify(patch.conditions)}::jsonb else conditions end`);
    sets.push(sql`conditions_changed_at = case when type = 'dynamic' then now() else conditions_changed_at end`);
  }
  try {
    const [row] = await queryRows<Record<string, unknown>>(
      db,
      sql`update segments set ${sql.join(sets, sql`, `)} where account_id = ${accountId} and id = ${id} returning ${COLUMNS}`,
    );
    return row ? toSegment(row) : null;
  } catch (e) {
    if (isUniqueViolation(e) && patch.name !== undefined) throw new SegmentNameTakenError(patch.name.trim());
    throw e;
  }
}

/**
 * Deletes a segment and its memberships; contacts are untouched. Each member's exit is written to the history
 * first (one set-based statement), so a contact's history still explains why it left. Null when not found.
 */
export async function deleteSegment(db: Db, accountId: number, id: number, source: MembershipSource): Promise<Segment | null> {
  return db.transaction(async (tx) => {
    const [row] = await queryRows<Record<string, unknown>>(tx, sql`select ${COLUMNS} from segments where account_id = ${accountId} and id = ${id} for update`);
    if (!row) return null;
    await tx.execute(sql`insert into membership_events (account_id, segment_id, segment_name, contact_id, action, source_type, source_id, source_label, at)
      select ${accountId}, ${id}, ${String(row.name)}, m.contact_id, 'removed', ${source.type}, ${source.id}, ${source.label}, now()
      from segment_members m where m.account_id = ${accountId} and m.segment_id = ${id}`);
    await deactivateWorkflowsForSegment(tx, accountId, id, String(row.name));
    // Dynamic segments whose conditions refer to it keep their members and say why they are no longer refreshed
    // (src/segments/refresh.ts refuses conditions that refer to a segment gone) until their conditions change.
    const message = `The segment "${String(row.name)}" that these conditions refer to was deleted. The members stay as they were until the conditions are changed.`;
    await tx.execute(sql`update segments s set refresh_error = ${message} where s.account_id = ${accountId} and s.id <> ${id} and ${refersTo(id)}`);
    await tx.execute(sql`delete from segments where account_id = ${accountId} and id = ${id}`);
    return toSegment(row);
  });
}

/** Segment `s` is a dynamic one whose conditions refer to segment `id` (is in, is not in, joined in the last N days). */
function refersTo(id: number) {
  return sql`s.type = 'dynamic' and jsonb_path_exists(s.conditions, '$.** ? (@.segment == $id)', jsonb_build_object('id', ${id}::bigint))`;
}

/** The dynamic segments whose conditions refer to segment `id`, by name: what deleting it would stop refreshing. */
export async function segmentsReferringTo(db: Db, accountId: number, id: number): Promise<{ id: number; name: string }[]> {
  const rows = await queryRows<{ id: string | number; name: string }>(
    db,
    sql`select s.id, s.name from segments s where s.account_id = ${accountId} and s.id <> ${id} and ${refersTo(id)} order by lower(s.name)`,
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}
