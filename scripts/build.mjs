// Bundles the server and the worker into dist/ with esbuild (~50 ms). `npm start` runs the bundle with plain node,
// never through the tsx loader, whose second thread and heap cost tens of MB (bench/export.ts measures both).
// Packages stay in node_modules (not bundled); only Roster's own TypeScript and JSX are compiled.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const OUTPUTS = ["dist/server.mjs", "dist/worker.mjs", "dist/xlsx-thread.mjs", "dist/cli.mjs", "dist/migrate-cli.mjs"];

/** The newest modification time among the files the bundle is made of (and this script), in ms. */
function newestSource() {
  let newest = statSync("scripts/build.mjs").mtimeMs;
  for (const file of ["package.json", "package-lock.json", "tsconfig.json"]) newest = Math.max(newest, statSync(file).mtimeMs);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      newest = Math.max(newest, statSync(path).mtimeMs); // a folder's time moves when a file is added or removed
      if (entry.isDirectory()) walk(path);
    }
  };
  walk("src");
  walk("views");
  return newest;
}

/** The bundle is up to date when every output is newer than every source: a warm `npm start` skips esbuild. */
function upToDate() {
  try {
    return Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs)) > newestSource();
  } catch {
    return false;
  }
}

if (process.argv.includes("--if-changed") && upToDate()) process.exit(0);

const { build } = await import("esbuild");
const result = await build({
  // The XLSX thread is started from a file of its own (src/exports/xlsx-thread-client.ts finds it next to the bundle).
  // The command lines too: test/integration/embedded.test.ts starts them as processes (tsx took 3-5 s a start there).
  entryPoints: {
    server: "src/server.ts",
    worker: "src/worker.ts",
    "xlsx-thread": "src/exports/xlsx-thread.ts",
    cli: "src/cli.ts",
    "migrate-cli": "src/db/migrate-cli.ts",
  },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  jsx: "automatic",
  jsxImportSource: "hono/jsx",
  sourcemap: true,
  logLevel: "warning",
  write: false,
});
// Each file is written aside and renamed into place: a server and a worker started together both build, and
// neither may load a file the other is halfway through writing.
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const aside = `${file.path}.${process.pid}.tmp`;
  writeFileSync(aside, file.contents);
  renameSync(aside, file.path);
}
