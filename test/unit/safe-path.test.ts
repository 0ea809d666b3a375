import assert from "node:assert/strict";
import { test } from "node:test";
import { safeNextPath } from "../../src/web/safe-path";

test("paths of this site are kept as they are", () => {
  for (const path of [
    "/",
    "/contacts",
    "/contacts?q=ada%40example.com&segment=3",
    "/segments/4/contacts?cursor=12#members",
    "/admin/users",
    "/a/b%20c",
    "/@handle",
  ]) {
    assert.equal(safeNextPath(path), path);
  }
});

test("anything a browser could read as another host, or not a path at all, falls back", () => {
  const hostile = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\t\\evil.example",
    " /evil.example",
    "/\u0000/evil.example",
    "/\u000b/evil.example",
    "/\u00a0/evil.example",
    "/\u3000/evil.example",
    "https://evil.example",
    "http:/evil.example",
    "HTTPS://evil.example/x",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F/evil.example",
    "/%2fevil.example",
    "%2F%2Fevil.example",
    "%2F%5Cevil.example",
    "/contacts\\..\\..\\evil",
    "",
  ];
  for (const value of hostile) assert.equal(safeNextPath(value), "/", JSON.stringify(value));
});

test("non-strings fall back, to the fallback given", () => {
  assert.equal(safeNextPath(undefined, "/contacts/1"), "/contacts/1");
  assert.equal(safeNextPath(["/a", "/b"], "/contacts/1"), "/contacts/1");
  assert.equal(safeNextPath("//evil.example", "/segments/2/contacts"), "/segments/2/contacts");
});
