import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { keepStatistics } from "../../src/db/statistics";
import { createTestDatabase, type TestDatabase } from "../support/db";

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(() => database.destroy());

const reltuples = async (table: string) =>
  Number((await queryRows<{ n: number | string }>(database.db, sql`select reltuples as n from pg_class where relname = ${table} and relkind = 'r'`))[0]!.n);

test("where no autovacuum runs, a table that grew is analyzed once, and the planner then counts its rows", async () => {
  const [{ av }] = await queryRows<{ av: boolean }>(database.db, sql`select current_setting('autovacuum') = 'on' as av`);
  if (av) {
    assert.deepEqual(await keepStatistics(database), [], "autovacuum keeps them: nothing to do");
    return;
  }
  await keepStatistics(database); // whatever the migrations left
  await database.db.execute(sql`insert into accounts (name) values ('Stats')`);
  const [{ id }] = await queryRows<{ id: number | string }>(database.db, sql`select id from accounts where name = 'Stats'`);
  await database.db.execute(sql`insert into contacts (account_id, email) select ${id}, 'c' || g || '@stats.test' from generate_series(1, 20000) g`);
  assert.ok((await reltuples("contacts")) < 1000, "no statistics yet for the rows just written");

  const first = await keepStatistics(database);
  assert.ok(
    first.some((d) => d.endsWith(" contacts")),
    `contacts analyzed (did: ${first.join(", ")})`,
  );
  assert.ok(Math.abs((await reltuples("contacts")) - 20000) < 2000, "the planner now knows the rows");
  assert.ok(!(await keepStatistics(database)).some((d) => d.endsWith(" contacts")), "and leaves it until it changes again");
});
