// Reading stored events: a contact's recent events, for the contact page.
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { eventsTable } from "../db/schema";

export interface RecentEvent {
  id: number;
  externalId: string;
  type: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
}

/** The contact's latest events, newest first (by when they happened), on the (account, contact, occurred_at) index. */
export async function listRecentEvents(db: Db, accountId: number, contactId: number, limit = 20): Promise<RecentEvent[]> {
  return db
    .select({
      id: eventsTable.id,
      externalId: eventsTable.externalId,
      type: eventsTable.type,
      properties: eventsTable.properties,
      occurredAt: eventsTable.occurredAt,
      receivedAt: eventsTable.receivedAt,
    })
    .from(eventsTable)
    .where(and(eq(eventsTable.accountId, accountId), eq(eventsTable.contactId, contactId)))
    .orderBy(desc(eventsTable.occurredAt), desc(eventsTable.id))
    .limit(limit);
}
