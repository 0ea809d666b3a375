import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { API_ERROR_STATUS } from "../../src/web";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

test("README's table of error codes lists exactly the codes the API answers, each with its status", () => {
  const section = readme.slice(readme.indexOf("### Errors and paging"));
  const table = section.slice(0, section.indexOf("Lists page with"));
  const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(rows, Object.entries(API_ERROR_STATUS));
});
