// Putting contacts into a segment by email (creating the contacts that do not exist) and taking them out by email:
// what "Add contact" on a segment page and POST/DELETE/PUT /api/v1/segments/:id/contacts do (PUT replaces the members).
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { upsertContacts } from "../contacts/upsert";
import { addContactsToSegment, lockSegment, removeContactsFromSegment, type MembershipSource } from "./membership";
import { discardChangeSet, openChangeSet, recordChangeSetCounts, type ChangeSetInput } from "./change-sets";

export const MAX_EMAILS_PER_CALL = 10_000;

const emailCheck = z.string().max(254).email();

export interface InvalidEmail {
  email: string;
  reason: string;
}

/** Splits input into distinct valid emails (first spelling kept, compared case-insensitively) and invalid ones. */
export function sortEmails(input: unknown[]): { valid: string[]; invalid: InvalidEmail[] } {
  const seen = new Set<string>();
  const valid: string[] = [];
  const invalid: InvalidEmail[] = [];
  for (const raw of input) {
    if (typeof raw !== "string") {
      invalid.push({ email: String(raw), reason: "not a string" });
      continue;
    }
    const email = raw.trim();
    if (!emailCheck.safeParse(email).success) {
      invalid.push({ email: raw, reason: email ? "not a valid email address" : "empty" });
      continue;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    valid.push(email);
  }
  return { valid, invalid };
}

export interface AddEmailsResult {
  added: number;
  alreadyMembers: number;
  createdContacts: number;
  /** Emails of the contacts this call created, for "created and added" messages. */
  created: string[];
  invalid: InvalidEmail[];
}

/**
 * Adds contacts by email to a segment, creating the contacts that do not exist yet (existing ones are not
 * changed). All in one transaction: no contact is created for a segment that ends up unchanged by a failure.
 * The caller checks the segment belongs to the account.
 */
export async function addEmailsToSegment(db: Db, accountId: number, segmentId: number, emails: unknown[], source: MembershipSource): Promise<AddEmailsResult> {
  const { valid, invalid } = sortEmails(emails);
  if (valid.length === 0) return { added: 0, alreadyMembers: 0, createdContacts: 0, created: [], invalid };
  return db.transaction(async (t) => {
    const contacts = await upsertContacts(
      t,
      accountId,
      valid.map((email) => ({ email })),
      { overwrite: false },
    );
    const created = contacts.filter((c) => c.created);
    const createdKeys = new Set(created.map((c) => c.emailKey));
    const { added, alreadyMembers } = await addContactsToSegment(
      t,
      accountId,
      segmentId,
      contacts.map((c) => c.id),
      source,
    );
    return { added, alreadyMembers, createdContacts: created.length, created: valid.filter((e) => createdKeys.has(e.toLowerCase())), invalid };
  });
}

/** Removes contacts by email from a segment. Emails of no contact, or of a non-member, count as not members. */
export async function removeEmailsFromSegment(
  db: Db,
  accountId: number,
  segmentId: number,
  emails: unknown[],
  source: MembershipSource,
): Promise<{ removed: number; notMembers: number; invalid: InvalidEmail[] }> {
  const { valid, invalid } = sortEmails(emails);
  if (valid.length === 0) return { removed: 0, notMembers: 0, invalid };
  const selection = sql`select c.id from contacts c
    where c.account_id = ${accountId}
      and lower(c.email) in (select lower(e) from jsonb_array_elements_text(${JSON.stringify(valid)}::jsonb) as j(e))`;
  const { removed } = await removeContactsFromSegment(db, accountId, segmentId, selection, source);
  return { removed, notMembers: valid.length - removed, invalid };
}

export interface ReplaceEmailsResult {
  joined: number;
  left: number;
  /** Emails of members that stay. */
  unchanged: number;
  createdContacts: number;
  invalid: InvalidEmail[];
}

/**
 * Makes the segment's members exactly the contacts of these emails, creating the contacts that do not exist (existing
 * ones are not changed). One transaction, with the segment locked before both sides of the change, so a concurrent
 * addition either lands before (and leaves) or after (and stays), never half counted. The caller checks the segment
 * belongs to the account.
 */
export async function replaceSegmentMembersByEmail(
  db: Db,
  accountId: number,
  segmentId: number,
  emails: unknown[],
  source: MembershipSource,
  /** Made as one change set (PUT .../contacts): its id is in the answer, and it can be undone. */
  asChangeSet?: Omit<ChangeSetInput, "segmentId" | "segmentName">,
): Promise<ReplaceEmailsResult & { changeSetId: number | null }> {
  const { valid, invalid } = sortEmails(emails);
  return db.transaction(async (t) => {
    const contacts =
      valid.length > 0
        ? await upsertContacts(
            t,
            accountId,
            valid.map((email) => ({ email })),
            { overwrite: false },
          )
        : [];
    const segment = await lockSegment(t, accountId, segmentId);
    const opened = segment && asChangeSet ? await openChangeSet(t, accountId, { ...asChangeSet, segmentId, segmentName: segment.name }) : null;
    const writeAs = opened ? opened.source : source;
    const ids = `{${contacts.map((c) => Math.trunc(Number(c.id))).join(",")}}`;
    const leaving = sql`select m.contact_id from segment_members m
      where m.account_id = ${accountId} and m.segment_id = ${segmentId} and not (m.contact_id = any(${ids}::bigint[]))`;
    const { removed } = await removeContactsFromSegment(t, accountId, segmentId, leaving, writeAs);
    const { added, alreadyMembers } = await addContactsToSegment(
      t,
      accountId,
      segmentId,
      contacts.map((c) => c.id),
      writeAs,
    );
    let changeSetId: number | null = null;
    if (opened && added + removed > 0) {
      await recordChangeSetCounts(t, accountId, opened.changeSet.id, { joined: added, left: removed });
      changeSetId = opened.changeSet.id;
    } else if (opened) {
      await discardChangeSet(t, accountId, opened.changeSet.id);
    }
    return { joined: added, left: removed, unchanged: alreadyMembers, createdContacts: contacts.filter((c) => c.created).length, invalid, changeSetId };
  });
}
