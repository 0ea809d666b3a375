// Bundles the server and the worker into dist/ with esbuild (~50 ms). `npm start` runs the bundle with plain node,
// never through the tsx loader, whose second thread and heap cost tens of MB (bench/export.ts measures both).
// Packages stay in node_modules (not bundled); only Roster's own TypeScript and JSX are compiled.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

const result = await build({
  // The XLSX thread is started from a file of its own (src/exports/xlsx-thread-client.ts finds it next to the bundle).
  entryPoints: { server: "src/server.ts", worker: "src/worker.ts", "xlsx-thread": "src/exports/xlsx-thread.ts" },
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
