import assert from "node:assert/strict";
import { test } from "node:test";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describeError, errorMessage } from "../../src/log";

/** Shaped like postgres.js's PostgresError: detail and parameters hold the row's values. */
function postgresError(): Error {
  return Object.assign(new Error('new row for relation "contacts" violates check constraint "no_secret"'), {
    name: "PostgresError",
    severity: "ERROR",
    code: "23514",
    detail: "Failing row contains (1, 7, ada.secret@example.com, Ada).",
    query: "insert into contacts (account_id, email) values ($1, $2)",
    parameters: ["7", "ada.secret@example.com"],
  });
}

test("a failed query is described by its statement and SQLSTATE, never by its parameter values", () => {
  const wrapped = new DrizzleQueryError("insert into contacts (account_id, email) values ($1, $2)", [7, "ada.secret@example.com"], postgresError());
  assert.match(wrapped.message, /ada\.secret@example\.com/, "drizzle's own message lists the values");
  const text = describeError(wrapped);
  assert.match(text, /Failed query: insert into contacts \(account_id, email\) values \(\$1, \$2\)/);
  assert.match(text, /PostgresError 23514: new row for relation "contacts" violates check constraint "no_secret"/);
  assert.match(text, /\n\s+at /, "the stack's frames are kept");
  assert.doesNotMatch(text, /ada\.secret|Failing row/);

  const bare = describeError(postgresError());
  assert.match(bare, /PostgresError 23514: .* in: insert into contacts/);
  assert.doesNotMatch(bare, /ada\.secret/);

  const message = errorMessage(wrapped);
  assert.equal(message, 'A database statement failed: new row for relation "contacts" violates check constraint "no_secret" (SQLSTATE 23514)');
});

test("other errors keep their message and their causes", () => {
  const text = describeError(new Error("the file has no header", { cause: new TypeError("bad byte") }));
  assert.match(text, /^Error: the file has no header\n  caused by TypeError: bad byte\n\s+at /);
  assert.equal(errorMessage(new Error("plain")), "plain");
  assert.equal(describeError("a string"), "a string");
});
