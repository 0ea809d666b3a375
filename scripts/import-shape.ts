// The import graph of src/ and views/, and the two rules it must keep: no route/API file imports another, no cycle.
// Run by test/unit/import-shape.test.ts (so by `npm test`); `npx tsx scripts/import-shape.ts` prints the problems.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface ImportEdge {
  from: string;
  to: string;
  /** Erased at compile time (`import type`, or every name marked `type`): it cannot take part in a runtime cycle. */
  typeOnly: boolean;
}

const STATEMENT =
  /(?:^|[\n;])\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*["']([^"']+)["']|(?:^|[\n;])\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of one file's text, with whether each is erased at compile time. Comments are dropped first. */
export function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const m of code.matchAll(STATEMENT)) {
    const specifier = m[4] ?? m[5] ?? m[6]!;
    if (!specifier.startsWith(".")) continue;
    const clause = (m[3] ?? "").trim();
    const names = /^\{([\s\S]*)\}$/
      .exec(clause)?.[1]
      ?.split(",")
      .map((n) => n.trim())
      .filter(Boolean);
    const allTypes = names !== undefined && names.length > 0 && names.every((n) => n.startsWith("type "));
    found.push({ specifier, typeOnly: Boolean(m[2]) || allTypes });
  }
  return found;
}

const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];

function resolveImport(fromFile: string, specifier: string): string | null {
  const base = resolve(dirname(fromFile), specifier.replace(/\.js$/, ""));
  for (const ext of EXTENSIONS) {
    const candidate = base + ext;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative import between the files under `dirs` (paths relative to `root`). */
export function importGraph(root: string, dirs: string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of dirs.flatMap((d) => sourceFiles(join(root, d)))) {
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
      const target = resolveImport(file, specifier);
      if (target) edges.push({ from: relative(root, file), to: relative(root, target), typeOnly });
    }
  }
  return edges;
}

/** An HTML route file (`routes.tsx`) or an API file (`api.ts`) of a feature. */
export function isRouteFile(path: string): boolean {
  return /(^|\/)(routes|api)\.tsx?$/.test(path);
}

/** Imports from one route/API file into another, type-only ones included: what they share belongs elsewhere. */
export function routeCrossImports(edges: ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => isRouteFile(e.from) && isRouteFile(e.to));
}

/** Each runtime import cycle once, as the files around it (first file repeated at the end). Tarjan's algorithm. */
export function importCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (next.get(node) ?? []).includes(node)) cycles.push(cyclePath(component, next));
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** One concrete loop through a strongly connected component, for the message. */
function cyclePath(component: string[], next: Map<string, string[]>): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0]!;
  const path = [start];
  const seen = new Set([start]);
  for (let at = start; ;) {
    const to = (next.get(at) ?? []).filter((t) => inside.has(t));
    const back = to.find((t) => t === start);
    if (back) return [...path, start];
    const step = to.find((t) => !seen.has(t)) ?? to[0]!;
    path.push(step);
    if (seen.has(step)) return path;
    seen.add(step);
    at = step;
  }
}

/** The problems of the tree at `root`, one line each; empty when the shape holds. */
export function importShapeProblems(root: string): string[] {
  const edges = importGraph(root, ["src", "views"]);
  return [
    ...routeCrossImports(edges).map((e) => `${e.from} imports ${e.to}: route and API files share code through src/web/ or the feature's operations`),
    ...importCycles(edges).map((c) => `import cycle: ${c.join(" -> ")}`),
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = importShapeProblems(resolve(dirname(fileURLToPath(import.meta.url)), ".."));
  for (const p of problems) console.log(p);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
