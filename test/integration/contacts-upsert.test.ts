import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq } from "drizzle-orm";
import { upsertContacts } from "../../src/contacts/upsert";
import { contactsTable } from "../../src/db/schema";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("creates new emails, matches existing ones case-insensitively, and overwrites only when asked", async () => {
  const a = await t.createAccount();
  const first = await upsertContacts(t.db, a.accountId, [{ email: "Ana@Example.test", firstName: "Ana", phone: "+34 600" }, { email: "bo@example.test" }], {
    overwrite: false,
  });
  assert.equal(first.length, 2);
  assert.ok(first.every((c) => c.created && !c.updated));

  const keep = await upsertContacts(t.db, a.accountId, [{ email: "ana@example.TEST", firstName: "Anna" }], { overwrite: false });
  assert.deepEqual(
    keep.map((c) => [c.created, c.updated]),
    [[false, false]],
  );
  const [ana] = await t.db.select().from(contactsTable).where(eq(contactsTable.id, keep[0]!.id));
  assert.equal(ana!.firstName, "Ana", "overwrite off keeps every field");
  assert.equal(ana!.email, "Ana@Example.test", "stored as first entered");

  const over = await upsertContacts(
    t.db,
    a.accountId,
    [{ email: "ana@example.test", firstName: "Anna", lastName: "", phone: null, custom: { plan: "gold" } }],
    { overwrite: true },
  );
  assert.deepEqual(
    over.map((c) => [c.created, c.updated]),
    [[false, true]],
  );
  const [ana2] = await t.db.select().from(contactsTable).where(eq(contactsTable.id, ana!.id));
  assert.equal(ana2!.firstName, "Anna");
  assert.equal(ana2!.phone, "+34 600", "an empty value never blanks a field");
  assert.deepEqual(ana2!.custom, { plan: "gold" });

  const same = await upsertContacts(t.db, a.accountId, [{ email: "ana@example.test", firstName: "Anna" }], { overwrite: true });
  assert.deepEqual(
    same.map((c) => [c.created, c.updated]),
    [[false, false]],
    "unchanged values are not a change",
  );

  const dupes = await upsertContacts(
    t.db,
    a.accountId,
    [
      { email: "cy@example.test", firstName: "One" },
      { email: "CY@example.test", firstName: "Two" },
    ],
    { overwrite: true },
  );
  assert.equal(dupes.length, 1);
  const [cy] = await t.db.select().from(contactsTable).where(eq(contactsTable.id, dupes[0]!.id));
  assert.equal(cy!.firstName, "Two", "the last occurrence wins");
});

test("concurrent creations of one new email all get its id", async () => {
  const a = await t.createAccount();
  for (let round = 0; round < 5; round++) {
    const email = `race${round}@example.test`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => upsertContacts(t.db, a.accountId, [{ email, firstName: `N${i}` }], { overwrite: true })),
    );
    assert.ok(
      results.every((r) => r.length === 1),
      "everyone gets the contact back",
    );
    const ids = new Set(results.map((r) => r[0]!.id));
    assert.equal(ids.size, 1, "one contact, the same id for everyone");
    assert.equal(results.filter((r) => r[0]!.created).length, 1, "exactly one caller created it");
  }
});
