// Bundles the server and the worker into dist/ with esbuild (~50 ms). `npm start` runs the bundle with plain node:
// the tsx loader used in development runs its hooks on a second thread with a heap of its own, and a server
// started through it sat at ~139 MB before its first request against ~90 MB for the bundle (bench/export.ts).
// Packages stay in node_modules (not bundled); only Roster's own TypeScript and JSX are compiled.
import { build } from "esbuild";

await build({
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
});
