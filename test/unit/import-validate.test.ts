import { test } from "node:test";
import assert from "node:assert/strict";
import { mapHeaders } from "../../src/imports/headers";
import { checkEmail, toContactValues, validateRow } from "../../src/imports/validate";
import { parseAll } from "./import-helpers";
import { neutraliseFormula } from "../../src/exports/formats";

test("checkEmail accepts practical addresses", () => {
  for (const email of ["a@b.co", "first.last+tag@sub.example.com", "o'brien@example.ie", "zoé@exämple.fr", "x_y-z@a-b.io"]) {
    assert.equal(checkEmail(email), null, email);
  }
});

test("checkEmail rejects with a reason naming the value", () => {
  assert.equal(checkEmail(""), "missing email");
  assert.equal(checkEmail("foo@"), "invalid email: foo@");
  for (const email of [
    "@b.co",
    "a@b",
    "a b@c.co",
    "a@@b.co",
    "a@b@c.co",
    "a@b..co",
    "a@-b.co",
    "a@b.123",
    ".a@b.co",
    "a.@b.co",
    "a..b@c.co",
    "a@b.co.",
    "a(b)@c.co",
    "a@b_c.co",
    "a\u00a0b@c.co",
  ]) {
    assert.equal(checkEmail(email), `invalid email: ${email}`, email);
  }
  assert.equal(checkEmail(`${"x".repeat(65)}@b.co`), `invalid email: ${"x".repeat(65)}@b.co`);
  assert.equal(checkEmail(`a@${"b".repeat(64)}.co`), `invalid email: a@${"b".repeat(64)}.co`);
  assert.equal(checkEmail(`a@${"b".repeat(63)}.co`), null);
  const long = `a@${"b.".repeat(130)}co`;
  assert.equal(checkEmail(long), `invalid email: ${long.slice(0, 100)}…`);
});

test("fixture wrong-columns.csv: rows with the wrong column count are reported", async () => {
  const parsed = await parseAll("wrong-columns.csv");
  const mapping = mapHeaders(parsed.header!.fields);
  const results = parsed.rows.map((row) => ({ line: row.line, result: validateRow(row, mapping, "US") }));
  assert.deepEqual(
    results.map(({ line, result }) => [line, result.ok ? result.values.email : result.reason]),
    [
      [2, "expected 3 columns, found 2"],
      [3, "expected 3 columns, found 4"],
      [4, "uma@example.com"],
    ],
  );
});

test("fixture invalid-emails.csv: missing and malformed emails are reported with their line and raw text", async () => {
  const parsed = await parseAll("invalid-emails.csv");
  const mapping = mapHeaders(parsed.header!.fields);
  const failures = parsed.rows.flatMap((row) => {
    const result = validateRow(row, mapping, "US");
    return result.ok ? [] : [{ line: row.line, raw: row.raw, reason: result.reason }];
  });
  assert.deepEqual(failures, [
    { line: 2, raw: ",NoEmail", reason: "missing email" },
    { line: 3, raw: "foo@,Foo", reason: "invalid email: foo@" },
    { line: 4, raw: "vic @example.com,Vic", reason: "invalid email: vic @example.com" },
  ]);
});

test("fixture spaces-emails.csv: surrounding spaces are trimmed, case kept, key lowercased, empty cells null", async () => {
  const parsed = await parseAll("spaces-emails.csv");
  const mapping = mapHeaders(parsed.header!.fields);
  const values = parsed.rows.map((row) => {
    const result = validateRow(row, mapping, "US");
    assert.ok(result.ok, `line ${row.line}`);
    return result.values;
  });
  assert.deepEqual(values, [
    { email: "quinn@Example.com", emailKey: "quinn@example.com", first_name: "Quinn", last_name: null, phone: null, custom: {} },
    { email: "ray@example.com", emailKey: "ray@example.com", first_name: "Ray", last_name: null, phone: null, custom: {} },
  ]);
  assert.equal(parsed.rows[0]!.raw, "  quinn@Example.com  ,Quinn,");
});

test("validateRow passes a parse error through and needs an email column", () => {
  assert.deepEqual(validateRow({ line: 7, fields: [], raw: '"x', error: "unterminated quoted field" }, ["email"], "US"), {
    ok: false,
    reason: "unterminated quoted field",
  });
  assert.deepEqual(validateRow({ line: 2, fields: ["a@b.co"], raw: "a@b.co" }, ["skip"], "US"), { ok: false, reason: "no email column" });
});

test("toContactValues maps custom fields and leaves empty cells out", () => {
  const mapping = mapHeaders(
    ["Email", "Town", "Plan", "Mobile", "Ignored"],
    [
      { key: "city", label: "Town" },
      { key: "plan", label: "Plan" },
    ],
  );
  assert.deepEqual(toContactValues([" A@B.co ", " Paris ", "", "  ", "x"], mapping), {
    email: "A@B.co",
    emailKey: "a@b.co",
    first_name: null,
    last_name: null,
    phone: null,
    custom: { city: "Paris" },
  });
});

test("cells that Roster's export neutralised come back as they were", () => {
  const original = ['=HYPERLINK("x")', "+1-800-FLOWERS", "@home", "+33 6 12 34 56 78"];
  const cells = ["a@example.test", ...original.map(neutraliseFormula)];
  assert.equal(cells[1], '\'=HYPERLINK("x")', "the export prefixes a formula");
  const values = toContactValues(cells, ["email", "first_name", "last_name", "phone", "custom:note"]);
  assert.deepEqual([values.first_name, values.last_name, values.phone, values.custom.note], [original[0], original[1], original[2], original[3]]);
});
