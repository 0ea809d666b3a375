import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { importsOf, importShapeProblems } from "../../scripts/import-shape";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "roster-shape-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, "views"), { recursive: true });
  return dir;
}

test("Roster's own src/ and views/ have no route-to-route import and no import cycle", () => {
  assert.deepEqual(importShapeProblems(root), []);
});

test("an import from one route or API file into another is reported, type-only imports included", (t) => {
  const dir = tree({
    "src/a/routes.tsx": 'import { helper } from "../b/api";\nexport const x = helper;\n',
    "src/b/api.ts": 'import type { X } from "./routes";\nexport const helper = 1;\nexport type Y = X;\n',
    "src/b/routes.tsx": "export type X = number;\n",
  });
  t.after(() => rmSync(dir, { recursive: true }));
  assert.deepEqual(
    importShapeProblems(dir).map((p) => p.split(":")[0]),
    ["src/a/routes.tsx imports src/b/api.ts", "src/b/api.ts imports src/b/routes.tsx"],
  );
});

test("a runtime cycle is reported with its files, through a dynamic import or an index file; a type-only one is not", (t) => {
  const dir = tree({
    "src/web/index.tsx": 'export async function f() { return (await import("../../views/page")).Page; }\n',
    "views/page.tsx": 'import { g } from "./layout";\nexport const Page = g;\n',
    "views/layout.tsx": 'import {\n  f,\n} from "../src/web";\nexport const g = f;\n',
    "src/a.ts": 'import type { B } from "./b";\nexport type A = B;\n',
    "src/b.ts": 'import { type A } from "./a";\nexport type B = A;\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  assert.deepEqual(importShapeProblems(dir), ["import cycle: src/web/index.tsx -> views/page.tsx -> views/layout.tsx -> src/web/index.tsx"]);
});

test("imports are read from every statement form, and commented-out ones are not", () => {
  const text = [
    'import { a, type B } from "./one";',
    'import type { C } from "./two";',
    'export { d } from "./three";',
    'import "./four";',
    '// import { e } from "./five";',
    'import { z } from "zod";',
  ].join("\n");
  assert.deepEqual(importsOf(text), [
    { specifier: "./one", typeOnly: false },
    { specifier: "./two", typeOnly: true },
    { specifier: "./three", typeOnly: false },
    { specifier: "./four", typeOnly: false },
  ]);
});
