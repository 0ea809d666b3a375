// How a search's page is read: walking the sort order first when the search is common, collecting its matches at
// once when it is rare, from the planner's estimates (src/contacts/list.ts, walkBudget). A file of its own: the
// column statistics these depend on are the whole table's, so no other test's contacts may be in it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { decodeCursor, listContactPage, walkBudget, type PagePosition } from "../../src/contacts/list";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("a rare search is collected through its indexes at once, a common one walks the order first", async () => {
  const a = await t.createAccount();
  // 4,000 contacts: half named Ana; a tier, gold for 1 in 100, else silver or bronze.
  await queryRows(
    t.db,
    sql`insert into contacts (account_id, email, first_name, custom)
    select ${a.accountId}, 'c' || g || '@example.test', case when g % 2 = 0 then 'Ana' else 'Luis' end,
      jsonb_build_object('tier', case when g % 100 = 0 then 'gold' when g % 2 = 0 then 'silver' else 'bronze' end)
    from generate_series(1, 4000) g`,
  );
  await queryRows(t.db, sql`analyze contacts`);
  const budget = async (q: string) => (await walkBudget(t.db, a.accountId, q, {}, 51)).rows;
  assert.ok((await budget("ana")) >= 2_000, "half the contacts are named Ana: the order is walked first");
  assert.ok((await budget("gold")) >= 2_000, "a custom value 1 in 100 contacts hold: walked first");
  assert.equal(await budget("c3999"), 0, "an email prefix one contact has: collected at once");
  // The planner counts a value outside the column's statistics (here gold, silver and bronze) as 0.5% of the
  // contacts, which would walk.
  assert.equal(await budget("platinum"), 0, "a custom value nobody holds: collected at once");
  // Either way the page is the same.
  const page = await listContactPage(t.db, a.accountId, { q: "gold" }, { sort: "first_name", dir: "asc" }, { kind: "first" }, 50);
  assert.equal(page.rows.length, 40);
  assert.ok(page.rows.every((r) => r.custom.tier === "gold"));
});

test("a walk that goes on past its first stretch gives the pages a walk of the whole order does", async () => {
  const a = await t.createAccount();
  // 10,000 contacts in email order, one in 50 named Zoé: the first 1,000 rows of the email order hold 20 of them,
  // fewer than a page, and as many as expected, so the walk goes on from the 20th.
  await queryRows(
    t.db,
    sql`insert into contacts (account_id, email, first_name)
    select ${a.accountId}, 'w' || lpad(g::text, 5, '0') || '@example.test', case when g % 50 = 0 then 'Zoé' else 'Luis' end
    from generate_series(1, 10000) g`,
  );
  await queryRows(t.db, sql`analyze contacts`);
  const estimate = await walkBudget(t.db, a.accountId, "zoe", {}, 51);
  assert.ok(estimate.rows > 1_000, `walked past the first stretch (${estimate.rows} rows)`);
  const walked: string[] = [];
  const unbounded: string[] = [];
  for (const [seen, smallSet] of [
    [walked, undefined],
    [unbounded, 0],
  ] as const) {
    let position: PagePosition = { kind: "first" };
    for (let i = 0; i < 10; i++) {
      const page = await listContactPage(t.db, a.accountId, { q: "zoe" }, { sort: "email", dir: "asc" }, position, 50, { smallSet });
      seen.push(...page.rows.map((r) => r.email));
      if (!page.hasNext) break;
      position = { kind: "after", cursor: decodeCursor(page.last)! };
    }
  }
  const expected = Array.from({ length: 200 }, (_, i) => `w${String((i + 1) * 50).padStart(5, "0")}@example.test`);
  assert.deepEqual(walked, expected);
  assert.deepEqual(unbounded, expected, "every page walking the sort order");
});
