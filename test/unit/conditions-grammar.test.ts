import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConditions, referencedSegmentIds } from "../../src/conditions/grammar";
import { describeGroup, describeNode } from "../../src/conditions/describe";

const customFields = [
  { key: "plan", type: "text" as const },
  { key: "score", type: "number" as const },
];

const example = {
  all: [
    { field: "email_domain", op: "is", value: "acme.es" },
    {
      any: [
        { field: "custom.plan", op: "is", value: "pro" },
        { field: "created_at", op: "in_last_days", value: 90 },
      ],
    },
    { segment: 12, op: "not_in" },
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
};

function problems(doc: unknown): { path: string; message: string }[] {
  const r = parseConditions(doc, { customFields });
  assert.equal(r.ok, false, "expected the document to be refused");
  return r.ok ? [] : r.details;
}

test("the issue's example parses as it is written", () => {
  const r = parseConditions(example, { customFields });
  assert.ok(r.ok);
  assert.deepEqual(r.value, example);
  assert.deepEqual(referencedSegmentIds(r.value), [12]);
});

test("each problem is named by its path", () => {
  assert.deepEqual(problems({ all: [{ field: "email_domain", op: "is", value: "acme.es" }, { any: [{ field: "custom.plan", op: "is", value: 3 }] }] }), [
    { path: "all[1].any[0].value", message: "Expected text." },
  ]);
  assert.deepEqual(
    problems({ all: [{ field: "nope", op: "is", value: "x" }] }).map((d) => d.path),
    ["all[0].field"],
  );
  assert.match(problems({ all: [{ field: "custom.tier", op: "is", value: "x" }] })[0]!.message, /no custom field "tier"/);
  assert.match(
    problems({ all: [{ field: "custom.score", op: "contains", value: "1" }] })[0]!.message,
    /"contains" does not apply to custom.score; use one of: equals/,
  );
  assert.deepEqual(
    problems({ all: [{ field: "custom.score", op: "between", value: [5, "x"] }] }).map((d) => d.path),
    ["all[0].value[1]"],
  );
  assert.deepEqual(
    problems({ all: [{ field: "created_at", op: "before", value: "yesterday" }] }).map((d) => d.path),
    ["all[0].value"],
  );
  assert.deepEqual(
    problems({ all: [{ segment: "12", op: "in" }] }).map((d) => d.path),
    ["all[0].segment"],
  );
  assert.deepEqual(
    problems({ all: [{ segment: 12, op: "in", joined_in_last_days: 0 }] }).map((d) => d.path),
    ["all[0].joined_in_last_days"],
  );
  assert.deepEqual(
    problems({ all: [{ event: "purchase", op: "done", where: [{ path: "total", op: "greater_than", value: "lots" }] }] }).map((d) => d.path),
    ["all[0].op", "all[0].where[0].value"],
  );
  assert.deepEqual(
    problems({ all: [{ event: "purchase", op: "did", in_last_days: 3, between: ["2026-01-01", "2026-02-01"] }] }).map((d) => d.path),
    ["all[0].between"],
  );
  assert.deepEqual(
    problems({ all: [{ event: "purchase", op: "did", between: ["2026-02-01", "2026-01-01"] }] }).map((d) => d.path),
    ["all[0].between"],
  );
  assert.deepEqual(
    problems({ all: [{ field: "email", op: "is", value: "a", extra: 1 }] }).map((d) => d.path),
    ["all[0].extra"],
  );
});

test("groups: one key, a non-empty list, nested one level only", () => {
  assert.deepEqual(
    problems({ all: [] }).map((d) => d.path),
    ["all"],
  );
  assert.deepEqual(
    problems({ all: [], any: [] }).map((d) => d.path),
    [""],
  );
  assert.deepEqual(
    problems([{ field: "email" }]).map((d) => d.path),
    [""],
  );
  assert.deepEqual(problems({ all: [{ any: [{ all: [{ field: "email", op: "is_empty" }] }] }] }), [
    { path: "all[0].any[0]", message: "Groups nest one level only: this group is inside a nested group." },
  ]);
});

test("at most 50 conditions", () => {
  const c = { field: "email", op: "is_not_empty" };
  assert.ok(parseConditions({ all: Array(50).fill(c) }).ok);
  assert.match(problems({ all: Array(51).fill(c) })[0]!.message, /At most 50 conditions/);
});

test("conditions read as sentences", () => {
  const r = parseConditions(example, { customFields });
  assert.ok(r.ok);
  assert.equal(describeNode({ field: "email_domain", op: "is", value: "acme.es" }), "Email domain is acme.es");
  assert.equal(
    describeNode({ event: "purchase", op: "did", in_last_days: 30, where: [{ path: "products.category", op: "equals", value: "office furniture" }] }),
    "Did purchase at least once in the last 30 days where products.category equals office furniture",
  );
  assert.equal(
    describeGroup(r.value, { segments: { 12: "Customers" }, customFields: { plan: "Plan" } }),
    "Email domain is acme.es and (Plan is pro or created is in the last 90 days) and is not in segment Customers and did purchase at least once in the last 30 days where products.category equals office furniture and total is greater than 100",
  );
});
