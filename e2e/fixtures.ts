// Browser-test fixtures: every test file gets its own Roster process on a fresh database, set up
// through its own first-run page, plus helpers to sign in and to get an API key as that admin.
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { alive, readPidFile } from "../src/db/embedded";
import { freePort } from "../test/support/net";
import { A11yWatch, describeViolations } from "./a11y";

export interface RunningServer {
  baseURL: string;
  databaseUrl?: string;
  stop(): Promise<void>;
}

export interface Admin {
  email: string;
  password: string;
  name: string;
}

/** Starts the server as `npm start` runs it (the bundle in dist/, which scripts/test.sh builds) on a free port and a fresh database; resolves once /healthz answers. */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent", ...extraEnv };
  let cleanup: () => Promise<void>;
  const baseUrl = process.env.DATABASE_URL;
  if (baseUrl) {
    const name = `roster_e2e_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    cleanup = async () => {
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    };
  } else {
    // No DATABASE_URL: the server runs its embedded PostgreSQL in a folder of its own, as `npm start` does.
    const dir = mkdtempSync(join(tmpdir(), "roster-e2e-"));
    chmodSync(dir, 0o755); // as root the database runs as the user postgres, which must reach the folder
    env.DATA_DIR = join(dir, "data");
    delete env.DATABASE_URL;
    cleanup = async () => {
      // A server that had to be killed left its database running: stop it before its folder goes.
      const left = readPidFile(join(env.DATA_DIR!, "postgres"));
      if (left && alive(left.pid)) process.kill(left.pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const child: ChildProcess = spawn(process.execPath, ["--enable-source-maps", "dist/server.mjs"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Roster exited during start:\n${output}`);
    try {
      const res = await fetch(`${baseURL}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Roster did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseURL,
    databaseUrl: env.DATABASE_URL,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      await cleanup();
    },
  };
}

/** Completes first-run setup over HTTP (as the setup form would) and returns the admin. */
export async function setUpAccount(baseURL: string, accountName = "Acme Furniture"): Promise<Admin> {
  const admin = { name: "Ada Admin", email: "ada@acme.test", password: "correct horse battery" };
  const res = await fetch(`${baseURL}/setup`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseURL },
    body: new URLSearchParams({ accountName, ...admin }).toString(),
  });
  if (res.status !== 303) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  return admin;
}

/** Signs in through the sign-in form, as a person would. */
export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toHaveCount(0);
}

/** POSTs JSON to the API with this key; fails the test unless the answer is 2xx, and returns its body. */
export async function postApi(request: APIRequestContext, key: string, path: string, data: unknown) {
  const res = await request.post(`/api/v1${path}`, { data, headers: { Authorization: `Bearer ${key}` } });
  expect(res.ok(), await res.text()).toBe(true);
  return res.json();
}

/** One API key per spec file and worker, created in the browser the first time a test asks for it. */
export function apiKeyOnce(): (page: Page) => Promise<string> {
  let key: string | undefined;
  return async (page) => (key ??= await createApiKeyInBrowser(page));
}

/** Creates a full API key through the admin page in this signed-in browser and returns it. */
export async function createApiKeyInBrowser(page: Page, name = "Tests"): Promise<string> {
  await page.goto("/admin/api-keys");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  expect(key).toMatch(/^rk_/);
  return key;
}

/**
 * One server per test file, so each spec controls its data: a worker runs several files in turn, and the server
 * of the previous file is stopped when the next file starts (an embedded database takes about 1 GB).
 */
class FileServers {
  private current: { file: string; server: RunningServer; admin: Admin } | null = null;

  async forFile(file: string) {
    if (this.current?.file === file) return this.current;
    await this.stop();
    const server = await startServer();
    const admin = await setUpAccount(server.baseURL);
    this.current = { file, server, admin };
    return this.current;
  }

  async stop() {
    await this.current?.server.stop();
    this.current = null;
  }
}

type TestFixtures = { server: RunningServer; admin: Admin };
type WorkerFixtures = { fileServers: FileServers };

export const test = base.extend<TestFixtures, WorkerFixtures>({
  fileServers: [
    async ({}, use) => {
      const servers = new FileServers();
      await use(servers);
      await servers.stop();
    },
    { scope: "worker", timeout: 90_000 },
  ],
  server: async ({ fileServers }, use, testInfo) => {
    testInfo.setTimeout(testInfo.timeout + 60_000);
    await use((await fileServers.forFile(testInfo.file)).server);
  },
  admin: async ({ fileServers }, use, testInfo) => {
    await use((await fileServers.forFile(testInfo.file)).admin);
  },
  baseURL: async ({ server }, use) => {
    await use(server.baseURL);
  },
  // The pages run under a Content-Security-Policy without inline script: a test fails on any violation it reports,
  // and on a favicon that does not load. Every document the page loads and every htmx swap is checked by axe-core
  // at 1440 and 390 px (e2e/a11y.ts): a test fails on any accessibility violation too.
  page: async ({ page }, use, testInfo) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const missingIcons: string[] = [];
    page.on("response", (response) => {
      if (/favicon/.test(response.url()) && response.status() >= 400) missingIcons.push(`${response.status()} ${response.url()}`);
    });
    const a11y = await A11yWatch.attach(page);
    await use(page);
    expect(violations, "Content Security Policy violations").toEqual([]);
    expect(missingIcons, "favicon requests that failed").toEqual([]);
    // The checks still queued run after the test's last step: a few seconds each on a loaded machine.
    testInfo.setTimeout(testInfo.timeout + 180_000);
    const found = await a11y.violations();
    await a11y.close();
    expect(found, `accessibility violations (axe-core):\n${describeViolations(found)}`).toEqual([]);
  },
});

export { expect };
