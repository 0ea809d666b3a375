// Segments as other features offer them to choose from (imports, exports, workflows): listed by name, by id, by name.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { segmentsTable } from "../db/schema";

export interface SegmentChoice {
  id: number;
  name: string;
  memberCount: number;
}

const CHOICE = { id: segmentsTable.id, name: segmentsTable.name, memberCount: segmentsTable.memberCount };

/** The account's segments by name (only those whose members can be changed by hand with `staticOnly`). */
export async function listSegmentChoices(db: Db, accountId: number, options: { staticOnly?: boolean; limit?: number } = {}): Promise<SegmentChoice[]> {
  const query = db
    .select(CHOICE)
    .from(segmentsTable)
    .where(and(eq(segmentsTable.accountId, accountId), options.staticOnly ? eq(segmentsTable.type, "static") : undefined))
    .orderBy(asc(sql`lower(${segmentsTable.name})`), asc(segmentsTable.id));
  return options.limit === undefined ? query : query.limit(options.limit);
}

export async function getSegmentChoice(db: Db, accountId: number, id: number, options: { staticOnly?: boolean } = {}): Promise<SegmentChoice | null> {
  const [row] = await db
    .select(CHOICE)
    .from(segmentsTable)
    .where(and(eq(segmentsTable.accountId, accountId), eq(segmentsTable.id, id), options.staticOnly ? eq(segmentsTable.type, "static") : undefined));
  return row ?? null;
}

/** The segment of this name, compared as the unique index does (case-insensitively). */
export async function findSegmentByName(db: Db, accountId: number, name: string): Promise<SegmentChoice | null> {
  const [row] = await db
    .select(CHOICE)
    .from(segmentsTable)
    .where(and(eq(segmentsTable.accountId, accountId), sql`lower(${segmentsTable.name}) = lower(${name})`));
  return row ?? null;
}
