import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { and, eq, sql } from "drizzle-orm";
import { contactsTable, membershipEventsTable, segmentMembersTable, segmentsTable } from "../../src/db/schema";
import { addContactsToSegment, removeContactsFromSegment } from "../../src/segments/membership";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("adding is idempotent, history records each change once, and the count stays exact", async () => {
  const a = await t.createAccount();
  const b = await t.createAccount();
  const [seg] = await t.db.insert(segmentsTable).values({ accountId: a.accountId, name: "Buyers" }).returning();
  const contacts = await t.db
    .insert(contactsTable)
    .values([1, 2, 3].map((i) => ({ accountId: a.accountId, email: `c${i}@example.test` })))
    .returning();
  const [foreign] = await t.db.insert(contactsTable).values({ accountId: b.accountId, email: "other@example.test" }).returning();
  const source = { type: "user" as const, id: a.adminId, label: "Ada" };

  const first = await addContactsToSegment(t.db, a.accountId, seg!.id, [contacts[0]!.id, contacts[1]!.id, foreign!.id], source);
  assert.deepEqual(first, { added: 2, alreadyMembers: 0 }, "another account's contact is ignored");
  const second = await addContactsToSegment(
    t.db,
    a.accountId,
    seg!.id,
    contacts.map((c) => c.id),
    source,
  );
  assert.deepEqual(second, { added: 1, alreadyMembers: 2 });

  const all = sql`select id from contacts where account_id = ${a.accountId}`;
  const third = await addContactsToSegment(t.db, a.accountId, seg!.id, all, source);
  assert.deepEqual(third, { added: 0, alreadyMembers: 3 });

  const [after1] = await t.db.select().from(segmentsTable).where(eq(segmentsTable.id, seg!.id));
  assert.equal(after1!.memberCount, 3);
  const history = await t.db.select().from(membershipEventsTable).where(eq(membershipEventsTable.accountId, a.accountId));
  assert.equal(history.length, 3);
  assert.ok(history.every((h) => h.action === "added" && h.sourceLabel === "Ada" && h.segmentName === "Buyers"));

  const removed = await removeContactsFromSegment(t.db, a.accountId, seg!.id, [contacts[0]!.id, foreign!.id], source);
  assert.deepEqual(removed, { removed: 1, notMembers: 0 }, "another account's contact is not a candidate");
  const [after2] = await t.db.select().from(segmentsTable).where(eq(segmentsTable.id, seg!.id));
  assert.equal(after2!.memberCount, 2);
  const members = await t.db
    .select()
    .from(segmentMembersTable)
    .where(and(eq(segmentMembersTable.accountId, a.accountId), eq(segmentMembersTable.segmentId, seg!.id)));
  assert.equal(members.length, 2);
  const removals = await t.db.select().from(membershipEventsTable).where(eq(membershipEventsTable.action, "removed"));
  assert.equal(removals.length, 1);
  assert.equal(removals[0]!.contactId, contacts[0]!.id);
});

test("another account's segment is never changed", async () => {
  const a = await t.createAccount();
  const b = await t.createAccount();
  const [segB] = await t.db.insert(segmentsTable).values({ accountId: b.accountId, name: "Theirs" }).returning();
  const [mine] = await t.db.insert(contactsTable).values({ accountId: a.accountId, email: "mine@example.test" }).returning();
  const res = await addContactsToSegment(t.db, a.accountId, segB!.id, [mine!.id], { type: "user", id: a.adminId, label: "x" });
  assert.equal(res.added, 0);
  const members = await t.db.select().from(segmentMembersTable).where(eq(segmentMembersTable.segmentId, segB!.id));
  assert.equal(members.length, 0);
});
