// Starts a Roster server for a benchmark on the database at `url` (its worker on) and waits for /healthz.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/support/net";

const root = fileURLToPath(new URL("..", import.meta.url));

/** `entry`: the arguments node runs, e.g. the bundle (`dist/server.mjs`, built first) or the sources through tsx. */
export async function startRoster(url: string, entry: string[]): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent", WORKER: "on" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, base };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("Roster did not start");
}
