import { test } from "node:test";
import assert from "node:assert/strict";
import { sniffDelimiter } from "../../src/imports/dialect";

test("sniffDelimiter finds each supported delimiter", () => {
  assert.equal(sniffDelimiter("email,name\na@b.co,A\n"), ",");
  assert.equal(sniffDelimiter("email;name\na@b.co;A\n"), ";");
  assert.equal(sniffDelimiter("email\tname\na@b.co\tA\n"), "\t");
  assert.equal(sniffDelimiter("email|name\na@b.co|A\n"), "|");
});

test("sniffDelimiter ignores delimiters inside quotes", () => {
  const sample = 'email;name;company\na@b.co;"Doe, Jane";"Acme, Inc, Ltd"\nc@d.co;"Roe, Rick";X\n';
  assert.equal(sniffDelimiter(sample), ";");
  const multiline = 'email|note\na@b.co|"one, two\nthree, four, five"\nc@d.co|x\n';
  assert.equal(sniffDelimiter(multiline), "|");
});

test("sniffDelimiter prefers the delimiter consistent across lines, whatever the line ending", () => {
  // Commas appear as decimal separators in some rows, semicolons split every row the same way.
  const sample = "email;amount;city\ra@b.co;1,5;Paris\rc@d.co;2;Lyon\re@f.co;3,25;Nice\r";
  assert.equal(sniffDelimiter(sample), ";");
  assert.equal(sniffDelimiter("email\r\na@b.co\r\n"), ",");
  assert.equal(sniffDelimiter(""), ",");
});

test("sniffDelimiter skips leading blank lines", () => {
  assert.equal(sniffDelimiter("\n\n  \nemail\tname\na@b.co\tA"), "\t");
});
