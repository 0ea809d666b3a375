import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/client";
import { contactsTable, customFieldsTable, eventsTable, segmentMembersTable, segmentsTable } from "../../src/db/schema";
import { parseConditions, type ConditionGroup, type EventWhere } from "../../src/conditions/grammar";
import { matchingContactsSql, propertyPrefilter, propertySql } from "../../src/conditions/sql";
import { countAndPreview, ConditionsTooBroadError } from "../../src/conditions/preview";
import { explainContact } from "../../src/conditions/explain";
import { compileCondition, type Condition } from "../../src/workflows/conditions";
import { countContacts } from "../../src/contacts/list";
import { createTestApp, type TestApp, type TestAccount } from "../support/app";

let t: TestApp;
let a: TestAccount;
let other: TestAccount;
const ids: Record<string, number> = {};
let customers = 0;
let newsletter = 0;
const customFields = [
  { key: "plan", type: "text" as const },
  { key: "score", type: "number" as const },
  { key: "renewal", type: "date" as const },
  { key: "vip", type: "boolean" as const },
];
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

before(async () => {
  t = await createTestApp();
  a = await t.createAccount();
  other = await t.createAccount();
  await t.db.insert(customFieldsTable).values([
    { accountId: a.accountId, key: "plan", label: "Plan", type: "text" },
    { accountId: a.accountId, key: "score", label: "Score", type: "number" },
    { accountId: a.accountId, key: "renewal", label: "Renewal", type: "date" },
    { accountId: a.accountId, key: "vip", label: "VIP", type: "boolean" },
  ]);
  const rows = await t.db
    .insert(contactsTable)
    .values([
      {
        accountId: a.accountId,
        email: "Ana@Acme.es",
        firstName: "Ána",
        lastName: "García",
        phone: "+34600123456",
        custom: { plan: "pro", score: 80, renewal: "2026-01-15", vip: true },
        createdAt: ago(10),
        updatedAt: ago(2),
      },
      {
        accountId: a.accountId,
        email: "bob@acme.es",
        firstName: "Bob",
        lastName: "Smith",
        custom: { plan: "free", score: 20 },
        createdAt: ago(200),
        updatedAt: ago(200),
      },
      {
        accountId: a.accountId,
        email: "cat@other.com",
        firstName: "Cat",
        lastName: "Éclair",
        phone: "+14155550100",
        custom: {},
        createdAt: ago(400),
        updatedAt: ago(100),
      },
      {
        accountId: a.accountId,
        email: "dan@sub.acme.es",
        firstName: "Dan",
        lastName: "",
        custom: { plan: "Enterprise", score: 50, renewal: "2025-06-01", vip: false },
        createdAt: ago(1),
        updatedAt: ago(1),
      },
      { accountId: other.accountId, email: "eve@acme.es", firstName: "Eve", custom: { plan: "pro" }, createdAt: ago(1) },
    ])
    .returning();
  for (const r of rows) ids[r.email.split("@")[0]!.toLowerCase()] = r.id;
  const segs = await t.db
    .insert(segmentsTable)
    .values([
      { accountId: a.accountId, name: "Customers" },
      { accountId: a.accountId, name: "Newsletter" },
    ])
    .returning();
  customers = segs[0]!.id;
  newsletter = segs[1]!.id;
  const member = (segmentId: number, contactId: number, addedAt: Date) => ({
    accountId: a.accountId,
    segmentId,
    contactId,
    addedAt,
    sourceType: "user" as const,
    sourceLabel: "test",
  });
  await t.db
    .insert(segmentMembersTable)
    .values([
      member(customers, ids.ana!, ago(3)),
      member(customers, ids.cat!, ago(60)),
      member(newsletter, ids.bob!, ago(5)),
      member(newsletter, ids.ana!, ago(5)),
    ]);
  let n = 0;
  const event = (who: string, type: string, at: Date, properties: Record<string, unknown>) => ({
    accountId: a.accountId,
    externalId: `e${++n}`,
    type,
    contactId: ids[who]!,
    properties,
    occurredAt: at,
  });
  await t.db
    .insert(eventsTable)
    .values([
      event("ana", "purchase", ago(5), { products: [{ category: "office furniture", price: 120 }, { category: "Lamps" }], total: 150 }),
      event("ana", "purchase", ago(50), { products: [{ category: "office furniture" }], total: 90 }),
      event("bob", "purchase", ago(3), { products: [{ category: "Office  Furniture " }], total: "99.5" }),
      event("bob", "purchase", ago(10), { total: 300 }),
      event("cat", "page_view", ago(2), { url: "/pricing" }),
      event("dan", "purchase", new Date("2026-03-10T12:00:00Z"), { total: 20 }),
    ]);
  // The other account's contact bought too: it must never be counted.
  await t.db
    .insert(eventsTable)
    .values({ accountId: other.accountId, externalId: "x1", type: "purchase", contactId: rows[4]!.id, properties: { total: 500 }, occurredAt: ago(1) });
});
after(() => t.close());

function parse(doc: unknown): ConditionGroup {
  const r = parseConditions(doc, { customFields });
  if (!r.ok) assert.fail(`invalid conditions: ${JSON.stringify(r.details)}`);
  return r.value;
}

/** The names (local parts) of the contacts of account `a` the conditions match. */
async function names(doc: unknown): Promise<string[]> {
  const rows = await queryRows<{ id: string | number }>(t.db, matchingContactsSql(a.accountId, parse(doc)));
  const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
  return rows.map((r) => byId.get(Number(r.id))!).sort();
}

const one = (c: unknown) => names({ all: [c] });

test("contact field operators, each holding and not", async () => {
  const cases: [unknown, string[]][] = [
    [{ field: "email", op: "is", value: "ANA@acme.ES" }, ["ana"]],
    [{ field: "email", op: "is_not", value: "ana@acme.es" }, ["bob", "cat", "dan"]],
    [{ field: "email", op: "contains", value: "@ACME" }, ["ana", "bob"]],
    [{ field: "email", op: "starts_with", value: "ca" }, ["cat"]],
    [{ field: "email", op: "is_empty" }, []],
    [{ field: "email", op: "is_not_empty" }, ["ana", "bob", "cat", "dan"]],
    [{ field: "email_domain", op: "is", value: "acme.es" }, ["ana", "bob"]],
    [{ field: "email_domain", op: "is", value: "@SUB.acme.es" }, ["dan"]],
    [{ field: "email_domain", op: "is_not", value: "acme.es" }, ["cat", "dan"]],
    [{ field: "email_domain", op: "contains", value: "acme" }, ["ana", "bob", "dan"]],
    [{ field: "first_name", op: "is", value: "ana" }, ["ana"]],
    [{ field: "first_name", op: "is_not", value: "ANA" }, ["bob", "cat", "dan"]],
    [{ field: "last_name", op: "contains", value: "clai" }, ["cat"]],
    [{ field: "last_name", op: "starts_with", value: "GAR" }, ["ana"]],
    [{ field: "last_name", op: "is_empty" }, ["dan"]],
    [{ field: "last_name", op: "is_not_empty" }, ["ana", "bob", "cat"]],
    [{ field: "phone", op: "is", value: "600 12 34 56" }, ["ana"]],
    [{ field: "phone", op: "is", value: "+1 (415) 555-0100" }, ["cat"]],
    [{ field: "phone", op: "is_not", value: "600123456" }, ["bob", "cat", "dan"]],
    [{ field: "phone", op: "starts_with", value: "+34" }, ["ana"]],
    [{ field: "phone", op: "contains", value: "5550" }, ["cat"]],
    [{ field: "phone", op: "is_empty" }, ["bob", "dan"]],
    [{ field: "phone", op: "is_not_empty" }, ["ana", "cat"]],
    [{ field: "created_at", op: "in_last_days", value: 30 }, ["ana", "dan"]],
    [{ field: "created_at", op: "before", value: ago(300).toISOString() }, ["cat"]],
    [{ field: "created_at", op: "after", value: ago(5).toISOString() }, ["dan"]],
    [{ field: "created_at", op: "between", value: [ago(250).toISOString(), ago(5).toISOString()] }, ["ana", "bob"]],
    [{ field: "updated_at", op: "in_last_days", value: 3 }, ["ana", "dan"]],
    [{ field: "custom.plan", op: "is", value: "PRO" }, ["ana"]],
    [{ field: "custom.plan", op: "is", value: "enterprise" }, ["dan"]],
    [{ field: "custom.plan", op: "is_not", value: "pro" }, ["bob", "cat", "dan"]],
    [{ field: "custom.plan", op: "contains", value: "er" }, ["dan"]],
    [{ field: "custom.plan", op: "starts_with", value: "fr" }, ["bob"]],
    [{ field: "custom.plan", op: "is_empty" }, ["cat"]],
    [{ field: "custom.plan", op: "is_not_empty" }, ["ana", "bob", "dan"]],
    [{ field: "custom.score", op: "equals", value: 50 }, ["dan"]],
    [{ field: "custom.score", op: "less_than", value: 50 }, ["bob"]],
    [{ field: "custom.score", op: "greater_than", value: 50 }, ["ana"]],
    [{ field: "custom.score", op: "between", value: [20, 50] }, ["bob", "dan"]],
    [{ field: "custom.score", op: "is_empty" }, ["cat"]],
    [{ field: "custom.renewal", op: "before", value: "2026-01-01" }, ["dan"]],
    [{ field: "custom.renewal", op: "after", value: "2026-01-01" }, ["ana"]],
    [{ field: "custom.renewal", op: "between", value: ["2025-06-01", "2026-01-14"] }, ["dan"]],
    [{ field: "custom.renewal", op: "in_last_days", value: 3650 }, ["ana", "dan"]],
    [{ field: "custom.renewal", op: "is_empty" }, ["bob", "cat"]],
    [{ field: "custom.vip", op: "is", value: true }, ["ana"]],
    [{ field: "custom.vip", op: "is", value: false }, ["dan"]],
    [{ field: "custom.vip", op: "is_not_empty" }, ["ana", "dan"]],
  ];
  for (const [c, expected] of cases) assert.deepEqual(await one(c), expected, JSON.stringify(c));
});

test("a number condition holds only for a stored JSON number: not text, a list, an object, null or yes/no", async () => {
  const x = await t.createAccount();
  const stored: [string, unknown][] = [
    ["number", 99.5],
    ["text", "99"],
    ["list", [99]],
    ["object", { score: 99 }],
    ["null", null],
    ["yes", true],
    ["missing", undefined],
    ["low", 7],
  ];
  const rows = await t.db
    .insert(contactsTable)
    .values(
      stored.map(([name, score]) => ({
        accountId: x.accountId,
        email: `${name}@x.test`,
        custom: (score === undefined ? {} : { score }) as Record<string, number>,
      })),
    )
    .returning();
  const byId = new Map(rows.map((r) => [r.id, r.email.split("@")[0]]));
  const matching = async (c: unknown) =>
    (await queryRows<{ id: string | number }>(t.db, matchingContactsSql(x.accountId, parse({ all: [c] })))).map((r) => byId.get(Number(r.id))).sort();
  assert.deepEqual(await matching({ field: "custom.score", op: "greater_than", value: 50 }), ["number"]);
  assert.deepEqual(await matching({ field: "custom.score", op: "less_than", value: 50 }), ["low"]);
  assert.deepEqual(await matching({ field: "custom.score", op: "equals", value: 99.5 }), ["number"]);
  assert.deepEqual(await matching({ field: "custom.score", op: "between", value: [7, 99.5] }), ["low", "number"]);
  assert.deepEqual(await matching({ field: "custom.score", op: "between", value: [8, 99] }), []);
  // The other tests count every contact there is.
  await t.db.execute(sql`delete from contacts where account_id = ${x.accountId}`);
});

test("segment conditions: in, not in, joined in the last N days", async () => {
  assert.deepEqual(await one({ segment: customers, op: "in" }), ["ana", "cat"]);
  assert.deepEqual(await one({ segment: customers, op: "not_in" }), ["bob", "dan"]);
  assert.deepEqual(await one({ segment: customers, op: "in", joined_in_last_days: 30 }), ["ana"]);
  assert.deepEqual(await one({ segment: customers, op: "not_in", joined_in_last_days: 30 }), ["bob", "cat", "dan"]);
  // Set operations: in A and in B, in A or B, in A and not in B.
  assert.deepEqual(
    await names({
      all: [
        { segment: customers, op: "in" },
        { segment: newsletter, op: "in" },
      ],
    }),
    ["ana"],
  );
  assert.deepEqual(
    await names({
      any: [
        { segment: customers, op: "in" },
        { segment: newsletter, op: "in" },
      ],
    }),
    ["ana", "bob", "cat"],
  );
  assert.deepEqual(
    await names({
      all: [
        { segment: customers, op: "in" },
        { segment: newsletter, op: "not_in" },
      ],
    }),
    ["cat"],
  );
});

test("event conditions: did, did not, at least, in the last N days, between, and properties on a path through a list", async () => {
  const furniture = { path: "products.category", op: "equals", value: "office furniture" };
  assert.deepEqual(await one({ event: "purchase", op: "did" }), ["ana", "bob", "dan"]);
  assert.deepEqual(await one({ event: "purchase", op: "did_not" }), ["cat"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", in_last_days: 30, where: [furniture] }), ["ana", "bob"], "any item of the list, folded");
  assert.deepEqual(await one({ event: "purchase", op: "did", in_last_days: 4, where: [furniture] }), ["bob"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", at_least: 2 }), ["ana", "bob"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", at_least: 2, in_last_days: 30 }), ["bob"]);
  assert.deepEqual(await one({ event: "purchase", op: "did_not", at_least: 2 }), ["cat", "dan"]);
  assert.deepEqual(await one({ event: "purchase", op: "did_not", in_last_days: 30 }), ["cat", "dan"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", between: ["2026-03-10", "2026-03-10"] }), ["dan"], "a plain end date covers its whole day");
  assert.deepEqual(await one({ event: "purchase", op: "did", between: ["2026-03-11", "2026-03-12"] }), []);
  assert.deepEqual(await one({ event: "purchase", op: "did", where: [{ path: "total", op: "greater_than", value: 100 }] }), ["ana", "bob"]);
  assert.deepEqual(
    await one({ event: "purchase", op: "did", where: [{ path: "total", op: "less_than", value: "100" }] }),
    ["ana", "bob", "dan"],
    '"99.5" sent as text is a number',
  );
  assert.deepEqual(await one({ event: "purchase", op: "did", where: [{ path: "products.category", op: "contains", value: "LAMP" }] }), ["ana"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", where: [{ path: "products.category", op: "in_list", value: ["chairs", "lamps"] }] }), ["ana"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", where: [{ path: "total", op: "not_equals", value: 150 }] }), ["ana", "bob", "dan"]);
  assert.deepEqual(await one({ event: "page_view", op: "did", where: [{ path: "url", op: "equals", value: "/pricing" }] }), ["cat"]);
  // The issue's example: bought office furniture in the last 30 days with a total over 100.
  assert.deepEqual(
    await one({ event: "purchase", op: "did", in_last_days: 30, at_least: 1, where: [furniture, { path: "total", op: "greater_than", value: 100 }] }),
    ["ana"],
    "both property conditions on the same event",
  );
});

test("groups nest: all with an any inside, and the issue's example", async () => {
  assert.deepEqual(
    await names({
      all: [
        { field: "email_domain", op: "contains", value: "acme" },
        {
          any: [
            { field: "custom.plan", op: "is", value: "pro" },
            { field: "created_at", op: "in_last_days", value: 5 },
          ],
        },
      ],
    }),
    ["ana", "dan"],
  );
  assert.deepEqual(
    await names({
      all: [
        { field: "email_domain", op: "is", value: "acme.es" },
        {
          any: [
            { field: "custom.plan", op: "is", value: "pro" },
            { field: "created_at", op: "in_last_days", value: 90 },
          ],
        },
        { segment: newsletter, op: "not_in" },
        {
          event: "purchase",
          op: "did",
          in_last_days: 30,
          at_least: 1,
          where: [
            { path: "products.category", op: "equals", value: "office furniture" },
            { path: "total", op: "greater_than", value: 100 },
          ],
        },
      ],
    }),
    [],
  );
  assert.deepEqual(
    await names({
      any: [
        { segment: newsletter, op: "in" },
        {
          all: [
            { field: "first_name", op: "is", value: "dan" },
            { event: "purchase", op: "did" },
          ],
        },
      ],
    }),
    ["ana", "bob", "dan"],
  );
});

test("a value that looks like SQL stays a value, and a path stays a path", async () => {
  assert.deepEqual(await one({ field: "email", op: "is", value: "x' or '1'='1" }), []);
  assert.deepEqual(await one({ field: "custom.plan", op: "is_not", value: "'); drop table contacts; --" }), ["ana", "bob", "cat", "dan"]);
  assert.deepEqual(await one({ event: "purchase", op: "did", where: [{ path: 'total")||true||("', op: "equals", value: "1" }] }), []);
  assert.deepEqual(await one({ event: "purchase' or true or type='x", op: "did" }).catch(() => "refused"), "refused");
  const [row] = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from contacts`);
  assert.equal(Number(row!.n), 5);
});

test("property conditions in SQL agree with the workflows' matching (valuesAtPath) on the same inputs", async () => {
  const docs: unknown[] = [
    { products: [{ category: "Office Furniture" }, { category: "lamps" }], total: 150 },
    { products: { category: "office  furniture " }, total: "120" },
    { products: [[{ category: "chairs" }], { category: ["desk", "Café"] }], total: 49.9 },
    { total: true, tags: ["a", "b", 7] },
    { total: null, products: [] },
    { products: [{ category: { name: "x" } }] },
    { products: [{ category: 'Say "Hi" \\ Ünder\tthe  desk' }], total: "  120 " },
    {},
  ];
  const conditions: Condition[] = [
    { path: "products.category", operator: "equals", value: "office furniture" },
    { path: "products.category", operator: "not_equals", value: "office furniture" },
    { path: "products.category", operator: "contains", value: "FURN" },
    { path: "products.category", operator: "contains", value: "cafe" },
    { path: "products.category", operator: "in_list", value: "chairs, desk" },
    { path: "total", operator: "greater_than", value: "100" },
    { path: "total", operator: "less_than", value: "50" },
    { path: "total", operator: "equals", value: "49.90" },
    { path: "total", operator: "equals", value: "true" },
    { path: "tags", operator: "equals", value: "7" },
    { path: "tags", operator: "in_list", value: "b,z" },
    { path: "products.category.name", operator: "equals", value: "x" },
    { path: "products.category", operator: "equals", value: "x" },
    { path: "products.category", operator: "equals", value: 'say "hi" \\ under the desk' },
    { path: "products.category", operator: "contains", value: '"HI" \\ UNDER' },
    { path: "products.category", operator: "in_list", value: 'lamps, say "hi" \\ under the desk' },
    { path: "total", operator: "greater_than", value: "119.5" },
  ];
  for (const doc of docs) {
    for (const c of conditions) {
      const w: EventWhere =
        c.operator === "in_list"
          ? { path: c.path, op: c.operator, value: c.value.split(",").map((s) => s.trim()) }
          : { path: c.path, op: c.operator, value: c.value };
      const properties = sql`${JSON.stringify(doc)}::jsonb`;
      const [row] = await queryRows<{ held: boolean; passes: boolean }>(
        t.db,
        sql`select ${propertySql(properties, w)} as held, ${propertyPrefilter(properties, w) ?? sql`true`} as passes`,
      );
      const expected = compileCondition(c)(doc);
      assert.equal(row!.held, expected, `${JSON.stringify(c)} on ${JSON.stringify(doc)}`);
      if (expected) assert.equal(row!.passes, true, `the quick test lets ${JSON.stringify(c)} on ${JSON.stringify(doc)} through`);
    }
  }
});

test("count and preview: the count and the newest ten, and nothing of another account", async () => {
  const p = await countAndPreview(t.db, a.accountId, parse({ all: [{ field: "email_domain", op: "contains", value: "acme" }] }), { limit: 10 });
  assert.equal(p.count, 3);
  assert.deepEqual(
    p.contacts.map((c) => c.email),
    ["dan@sub.acme.es", "bob@acme.es", "Ana@Acme.es"],
  );
  const two = await countAndPreview(t.db, a.accountId, parse({ all: [{ field: "email_domain", op: "contains", value: "acme" }] }), { limit: 2 });
  assert.equal(two.count, 3);
  assert.equal(two.contacts.length, 2);
});

test("segment conditions inside any (joined, not looked up) count and preview the contacts they match everywhere else", async () => {
  const docs: [unknown, string[]][] = [
    [
      {
        any: [
          { segment: customers, op: "in" },
          { segment: newsletter, op: "in" },
        ],
      },
      ["ana", "bob", "cat"],
    ],
    [
      {
        any: [
          { segment: customers, op: "not_in" },
          { field: "custom.plan", op: "is", value: "pro" },
        ],
      },
      ["ana", "bob", "dan"],
    ],
    [
      {
        any: [
          { segment: customers, op: "in", joined_in_last_days: 30 },
          { field: "first_name", op: "is", value: "dan" },
        ],
      },
      ["ana", "dan"],
    ],
    [
      {
        any: [
          { segment: customers, op: "not_in", joined_in_last_days: 30 },
          { segment: newsletter, op: "in" },
        ],
      },
      ["ana", "bob", "cat", "dan"],
    ],
    [
      {
        all: [
          {
            any: [
              { segment: customers, op: "in" },
              { segment: newsletter, op: "in" },
            ],
          },
          { segment: customers, op: "not_in" },
        ],
      },
      ["bob"],
    ],
    [
      {
        any: [
          { segment: customers, op: "in" },
          { segment: customers, op: "in" },
        ],
      },
      ["ana", "cat"],
    ],
  ];
  const emailOf = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
  for (const [doc, expected] of docs) {
    assert.deepEqual(await names(doc), expected, JSON.stringify(doc));
    const p = await countAndPreview(t.db, a.accountId, parse(doc), { limit: 10 });
    assert.equal(p.count, expected.length, JSON.stringify(doc));
    assert.deepEqual(p.contacts.map((c) => emailOf.get(c.id)).sort(), expected, JSON.stringify(doc));
    assert.equal(await countContacts(t.db, a.accountId, { conditions: parse(doc) }), expected.length, JSON.stringify(doc));
  }
});

test("the preview's newest ten are the newest matches whether they are new, old or spread", async () => {
  const x = await t.createAccount();
  // 2,000 contacts, oldest first: the 200 oldest have score 99, and every 10th one plan "pro".
  await t.db.execute(sql`insert into contacts (account_id, email, custom, created_at, updated_at)
    select ${x.accountId}, 'p' || g || '@x.test',
      jsonb_build_object('score', case when g <= 200 then 99 else 1 end, 'plan', case when g % 10 = 0 then 'pro' else 'free' end),
      now() - (2001 - g) * interval '1 minute', now()
    from generate_series(1, 2000) g`);
  await t.db.execute(sql`analyze contacts`);
  const newest = async (doc: unknown) => {
    const p = await countAndPreview(t.db, x.accountId, parse(doc), { limit: 10 });
    return { count: p.count, emails: p.contacts.map((c) => c.email) };
  };
  const emails = (from: number, step: number) => Array.from({ length: 10 }, (_, i) => `p${from - i * step}@x.test`);
  assert.deepEqual(await newest({ all: [{ field: "custom.score", op: "greater_than", value: 50 }] }), { count: 200, emails: emails(200, 1) });
  assert.deepEqual(await newest({ all: [{ field: "custom.plan", op: "is", value: "pro" }] }), { count: 200, emails: emails(2000, 10) });
  assert.deepEqual(
    await newest({
      any: [
        { field: "custom.score", op: "equals", value: 99 },
        { field: "email", op: "is", value: "p1000@x.test" },
      ],
    }),
    {
      count: 201,
      emails: ["p1000@x.test", ...emails(200, 1).slice(0, 9)],
    },
  );
  await t.db.execute(sql`delete from contacts where account_id = ${x.accountId}`);
});

test("a count that runs past the limit stops with a message naming the condition", async () => {
  // A transaction holding the events table makes the event condition wait: the count stops at its limit.
  const reserved = await t.database.sql.reserve();
  try {
    await reserved`begin`;
    await reserved`lock table events in access exclusive mode`;
    const group = parse({
      all: [
        { field: "email_domain", op: "is", value: "acme.es" },
        { event: "purchase", op: "did", in_last_days: 30 },
      ],
    });
    await assert.rejects(countAndPreview(t.db, a.accountId, group, { timeoutMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof ConditionsTooBroadError);
      assert.equal(e.path, "all[1]");
      assert.match(e.message, /Did purchase at least once in the last 30 days/);
      return true;
    });
  } finally {
    await reserved`rollback`;
    reserved.release();
  }
  // The database is free again: the same count answers.
  const ok = await countAndPreview(t.db, a.accountId, parse({ all: [{ event: "purchase", op: "did", in_last_days: 30 }] }));
  assert.equal(ok.count, 2);
});

test("explain: each condition held or not, with the values that decided it", async () => {
  const group = parse({
    all: [
      { field: "email_domain", op: "is", value: "acme.es" },
      {
        any: [
          { segment: customers, op: "in" },
          { field: "custom.plan", op: "is", value: "free" },
        ],
      },
      { event: "purchase", op: "did", in_last_days: 30, where: [{ path: "products.category", op: "equals", value: "office furniture" }] },
    ],
  });
  const e = await explainContact(t.db, a.accountId, ids.ana!, group, { segments: { [customers]: "Customers" } });
  assert.ok(e);
  assert.equal(e.held, true);
  const [domain, any, purchase] = e.items;
  assert.equal(domain!.kind === "field" && domain.value, "acme.es");
  assert.ok(any!.kind === "group" && any.held && any.items[0]!.held && !any.items[1]!.held);
  const seg = any!.kind === "group" ? any.items[0]! : null;
  assert.ok(seg && seg.kind === "segment" && seg.segmentName === "Customers" && seg.joinedAt instanceof Date);
  assert.equal(seg.description, "Is in segment Customers");
  assert.ok(purchase!.kind === "event");
  assert.equal(purchase.count, 1);
  assert.equal(purchase.events[0]!.type, "purchase");
  assert.equal(purchase.events[0]!.summary, "products.category: office furniture, Lamps");

  const cat = await explainContact(t.db, a.accountId, ids.cat!, group);
  assert.equal(cat!.held, false);
  assert.equal(cat!.items[0]!.held, false);
  assert.equal(await explainContact(t.db, other.accountId, ids.ana!, group), null, "another account's contact is not explained");
});

test("POST /api/v1/contacts/search: count, a page and its cursor; a bad document answers 400 naming each path", async () => {
  const body = (conditions: unknown, extra: Record<string, unknown> = {}) => ({ json: { conditions, ...extra } });
  const first = await t.api(a.apiKey, "/contacts/search", body({ all: [{ field: "email_domain", op: "contains", value: "acme" }] }, { limit: 2 }));
  assert.equal(first.status, 200);
  const page1 = (await first.json()) as { count: number; data: { email: string }[]; next_cursor: string | null };
  assert.equal(page1.count, 3);
  assert.deepEqual(
    page1.data.map((c) => c.email),
    ["dan@sub.acme.es", "bob@acme.es"],
  );
  assert.ok(page1.next_cursor);
  const page2 = (await (
    await t.api(
      a.apiKey,
      "/contacts/search",
      body({ all: [{ field: "email_domain", op: "contains", value: "acme" }] }, { limit: 2, cursor: page1.next_cursor }),
    )
  ).json()) as typeof page1;
  assert.deepEqual(
    page2.data.map((c) => c.email),
    ["Ana@Acme.es"],
  );
  assert.equal(page2.next_cursor, null);
  assert.equal(page2.count, 3);

  const bad = await t.api(
    a.apiKey,
    "/contacts/search",
    body(
      {
        all: [
          { field: "email_domain", op: "is", value: "acme.es" },
          {
            any: [
              { field: "custom.score", op: "greater_than", value: "lots" },
              { segment: 999999, op: "in" },
            ],
          },
        ],
      },
      { limit: 0 },
    ),
  );
  assert.equal(bad.status, 400);
  const err = (await bad.json()) as { error: { code: string; details: { path: string; message: string }[] } };
  assert.equal(err.error.code, "invalid_conditions");
  assert.deepEqual(
    err.error.details.map((d) => d.path),
    ["limit", "conditions.all[1].any[0].value"],
  );
  const unknownSegment = await t.api(a.apiKey, "/contacts/search", body({ all: [{ segment: 999999, op: "in" }] }));
  assert.equal(unknownSegment.status, 400);
  assert.deepEqual(((await unknownSegment.json()) as typeof err).error.details, [
    { path: "conditions.all[0].segment", message: "There is no segment 999999 in your account." },
  ]);
  // Another account's segment is as unknown as a missing one.
  const theirs = await t.api(other.apiKey, "/contacts/search", body({ all: [{ segment: customers, op: "in" }] }));
  assert.equal(theirs.status, 400);
  const missing = await t.api(a.apiKey, "/contacts/search", { json: { limit: 5 } });
  assert.deepEqual(
    ((await missing.json()) as typeof err).error.details.map((d) => d.path),
    ["conditions"],
  );
  const notJson = await t.api(a.apiKey, "/contacts/search", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
  assert.equal(notJson.status, 400);
  assert.equal(((await notJson.json()) as typeof err).error.code, "invalid_json");
});

test("the builder's inputs round-trip to the grammar and back", async () => {
  const { conditionsToForm, conditionsFromForm, applyBuilderAction, readDraft } = await import("../../src/conditions/form");
  const doc = {
    all: [
      { field: "email_domain", op: "is", value: "acme.es" },
      {
        any: [
          { field: "custom.plan", op: "is", value: "pro" },
          { field: "created_at", op: "in_last_days", value: 90 },
          { field: "custom.score", op: "between", value: [1, 5] },
        ],
      },
      { segment: customers, op: "not_in", joined_in_last_days: 7 },
      { field: "custom.vip", op: "is", value: false },
      {
        event: "purchase",
        op: "did",
        in_last_days: 30,
        at_least: 2,
        where: [
          { path: "products.category", op: "in_list", value: ["office furniture", "lamps"] },
          { path: "total", op: "greater_than", value: 100 },
        ],
      },
      { event: "page_view", op: "did_not", between: ["2026-01-01", "2026-02-01"] },
    ],
  };
  const form = conditionsToForm(parse(doc), "c");
  assert.equal(form["c.1.type"], "group");
  assert.equal(form["c.4.w0.value"], "office furniture, lamps");
  const back = conditionsFromForm(form, "c", customFields);
  assert.ok(back?.ok);
  assert.deepEqual(back.value, doc);

  // Edits: add a row to the nested group, remove the segment row, add a property condition to the last event.
  let draft = readDraft(form, "c")!;
  draft = applyBuilderAction(draft, "c", "add:c.1");
  draft = applyBuilderAction(draft, "c", "remove:c.2");
  draft = applyBuilderAction(draft, "c", "where:c.4");
  assert.equal(draft.items.length, 5);
  assert.equal(draft.items[1]!.type === "group" && draft.items[1]!.items.length, 4);
  assert.equal(draft.items[4]!.type === "event" && draft.items[4]!.where.length, 1);
  // A bad value is reported beside its input, by name.
  const bad = conditionsFromForm({ ...form, "c.0.value": "not a domain", "c.1.2.value2": "x" }, "c", customFields);
  assert.ok(bad && !bad.ok);
  assert.match(bad.errors["c.0.value"]!, /not a domain/);
  assert.equal(bad.errors["c.1.2.value2"], "Expected a number.");
});

test("builder fragments: an edit redraws the builder; the live panel counts and lists the first matches", async () => {
  const res = await t.browser(a.adminCookie, "/conditions/builder", {
    form: { cb_prefix: "c", cb_action: "add:c", "c.kind": "all", "c.0.type": "field", "c.0.field": "email_domain", "c.0.op": "is", "c.0.value": "acme.es" },
  });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /name="c\.0\.value" type="text" value="acme\.es"/);
  assert.match(html, /name="c\.1\.field"/, "a second row was added");
  assert.match(html, /<option value="custom\.plan">Plan<\/option>/, "custom fields are offered");
  const asSegment = await (await t.browser(a.adminCookie, "/conditions/builder", { form: { cb_prefix: "c", "c.kind": "any", "c.0.type": "segment" } })).text();
  assert.match(asSegment, /<option value="\d+">Customers<\/option>/, "a segment row offers the account's segments");
  assert.match(asSegment, /<option value="any" selected="">Any of<\/option>/);

  const preview = await t.browser(a.adminCookie, "/conditions/preview", {
    form: {
      cb_prefix: "c",
      "c.kind": "all",
      "c.0.type": "field",
      "c.0.field": "email_domain",
      "c.0.op": "is",
      "c.0.value": "acme.es",
      "c.1.type": "segment",
      "c.1.segment": String(customers),
      "c.1.segment_op": "in",
    },
  });
  const panel = await preview.text();
  assert.match(panel, /<strong>1<\/strong> contact matches/);
  assert.match(panel, /Ana@Acme\.es/);
  const unfinished = await (
    await t.browser(a.adminCookie, "/conditions/preview", {
      form: { cb_prefix: "c", "c.kind": "all", "c.0.type": "field", "c.0.field": "email", "c.0.op": "is", "c.0.value": "" },
    })
  ).text();
  assert.match(unfinished, /Finish a condition/);
  const other2 = await t.browser(other.adminCookie, "/conditions/preview", {
    form: { cb_prefix: "c", "c.kind": "all", "c.0.type": "field", "c.0.field": "email_domain", "c.0.op": "is", "c.0.value": "acme.es" },
  });
  assert.match(await other2.text(), /<strong>1<\/strong> contact matches.*eve@acme\.es/s, "each account counts its own contacts");
});

test("Contacts > See all filters by conditions; add and remove all matching are one change set each, undoable", async () => {
  const { undoChangeSet } = await import("../../src/segments/change-sets");
  const [target] = await t.db.insert(segmentsTable).values({ accountId: a.accountId, name: "In A and in B" }).returning();
  const query = new URLSearchParams({
    "c.kind": "all",
    "c.0.type": "segment",
    "c.0.segment": String(customers),
    "c.0.segment_op": "in",
    "c.1.type": "segment",
    "c.1.segment": String(newsletter),
    "c.1.segment_op": "in",
  });
  const list = await (await t.browser(a.adminCookie, `/contacts?${query}`)).text();
  assert.match(list, /Ana@Acme\.es/);
  assert.doesNotMatch(list, /cat@other\.com/);
  const conditions = /name="conditions" value="([^"]*)"/.exec(list)![1]!.replace(/&quot;/g, '"');
  assert.deepEqual(JSON.parse(conditions), {
    all: [
      { segment: customers, op: "in" },
      { segment: newsletter, op: "in" },
    ],
  });
  const count = await (await t.browser(a.adminCookie, `/contacts/count?conditions=${encodeURIComponent(conditions)}`)).text();
  assert.match(count, /Select all 1 matching/);

  const added = await t.browser(a.adminCookie, "/contacts/bulk", {
    form: { action: "add", all: "1", target: String(target!.id), q: "", segment: "", conditions },
  });
  assert.equal(added.status, 303);
  assert.match(await t.noticeAfter(a.adminCookie, added), /1 contact added to In A and in B by conditions\./);
  const members = await queryRows<{ contact_id: string }>(t.db, sql`select contact_id from segment_members where segment_id = ${target!.id}`);
  assert.deepEqual(
    members.map((m) => Number(m.contact_id)),
    [ids.ana],
  );
  const [set] = await queryRows<{ id: string; kind: string; label: string; joined: string }>(
    t.db,
    sql`select id, kind, label, joined from change_sets where account_id = ${a.accountId} and segment_id = ${target!.id}`,
  );
  assert.equal(set!.kind, "conditions");
  assert.match(set!.label, /^by conditions of /);
  assert.equal(Number(set!.joined), 1);
  const history = await queryRows<{ change_set_id: string; action: string }>(
    t.db,
    sql`select change_set_id, action from membership_events where segment_id = ${target!.id}`,
  );
  assert.deepEqual(
    history.map((h) => [Number(h.change_set_id), h.action]),
    [[Number(set!.id), "added"]],
  );

  // "In A or B", then remove all of those matching "not in B": one change set, only the members it matches leave.
  const either = JSON.stringify({
    any: [
      { segment: customers, op: "in" },
      { segment: newsletter, op: "in" },
    ],
  });
  await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "add", all: "1", target: String(target!.id), conditions: either } });
  const notInB = JSON.stringify({ all: [{ segment: newsletter, op: "not_in" }] });
  const removed = await t.browser(a.adminCookie, "/contacts/bulk", { form: { action: "remove", all: "1", target: String(target!.id), conditions: notInB } });
  assert.match(await t.noticeAfter(a.adminCookie, removed), /1 contact removed from In A and in B by conditions/);
  const after2 = await queryRows<{ contact_id: string }>(
    t.db,
    sql`select contact_id from segment_members where segment_id = ${target!.id} order by contact_id`,
  );
  assert.deepEqual(after2.map((m) => Number(m.contact_id)).sort(), [ids.ana, ids.bob].sort());
  const [last] = await queryRows<{ id: string; left: string }>(
    t.db,
    sql`select id, "left" from change_sets where segment_id = ${target!.id} order by id desc limit 1`,
  );
  assert.equal(Number(last!.left), 1);
  await undoChangeSet(t.db, a.accountId, Number(last!.id), { sourceType: "user", sourceId: a.adminId, label: "Admin" });
  const undone = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from segment_members where segment_id = ${target!.id}`);
  assert.equal(Number(undone[0]!.n), 3, "the undo brings back the contact the removal took out");

  // A document that is not valid changes nothing.
  const refused = await t.browser(a.adminCookie, "/contacts/bulk", {
    form: { action: "add", all: "1", target: String(target!.id), conditions: JSON.stringify({ all: [{ field: "nope", op: "is" }] }) },
  });
  assert.match(await t.noticeAfter(a.adminCookie, refused), /Check the conditions: .*Nothing changed\./);
});
