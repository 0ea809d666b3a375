// What oversized bodies cost the server: the Node process's RSS before and after a 200 MB form post to /sign-in
// (declared length, then chunked without one) and a 100 MB JSON body to /api/v1/segments, each answered 413.
// Before the limits, the sign-in post took the server from 126 MB to 1.1 GB, where it stayed.
//
// Usage: npx tsx bench/body-limits.ts      (builds dist/; runs the server on its own embedded database)
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/support/net";

const root = fileURLToPath(new URL("..", import.meta.url));
const MB = 1024 * 1024;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** Sends `total` bytes of `fill` (with or without a declared length) and resolves with the status and how much was sent. */
function send(port: number, path: string, contentType: string, total: number, declared: boolean): Promise<{ status: number; sentMb: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "Content-Type": contentType, Origin: `http://127.0.0.1:${port}` };
    if (declared) headers["Content-Length"] = String(total);
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers });
    const chunk = Buffer.alloc(MB, "a");
    let sent = 0;
    let status = 0;
    req.on("response", (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () => resolve({ status, sentMb: sent / MB }));
    });
    req.on("error", (e) => (status ? resolve({ status, sentMb: sent / MB }) : reject(e)));
    const pump = () => {
      while (sent < total && status === 0) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
const folder = mkdtempSync(join(tmpdir(), "roster-bench-limits-"));
chmodSync(folder, 0o755);
const port = await freePort();
const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(folder, "data"), PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent" };
delete env.DATABASE_URL;
const server = spawn(process.execPath, ["dist/server.mjs"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
try {
  for (;;) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`server RSS at start: ${rssMb(server.pid!).toFixed(0)} MB`);
  const cases = [
    ["POST /sign-in, 200 MB form, declared", "/sign-in", "application/x-www-form-urlencoded", 200 * MB, true],
    ["POST /sign-in, 200 MB form, chunked", "/sign-in", "application/x-www-form-urlencoded", 200 * MB, false],
    ["POST /api/v1/segments, 100 MB JSON, chunked", "/api/v1/segments", "application/json", 100 * MB, false],
  ] as const;
  for (const [label, path, type, total, declared] of cases) {
    const { status, sentMb } = await send(port, path, type, total, declared);
    console.log(`${label.padEnd(46)} -> ${status}, ${sentMb.toFixed(0)} MB sent before the answer; server RSS after: ${rssMb(server.pid!).toFixed(0)} MB`);
  }
} finally {
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await exited;
  rmSync(folder, { recursive: true, force: true });
}
