import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { clientAddress } from "../../src/auth/rate-limit";
import { parseConfig } from "../../src/config";
import { sizedServerSettings } from "../../src/db/embedded";

test("defaults: embedded database in ./data on port 3000", () => {
  const config = parseConfig({});
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.DATA_DIR, "./data");
  assert.equal(config.PORT, 3000);
  assert.equal(config.EXPORT_TTL_DAYS, 7);
  assert.deepEqual(config.EMBEDDED_PG_SETTINGS, []);
});

test("EMBEDDED_PG_SETTINGS gives the embedded server's settings as name=value pairs", () => {
  assert.deepEqual(parseConfig({ EMBEDDED_PG_SETTINGS: " shared_buffers=1GB  max_wal_size=8GB " }).EMBEDDED_PG_SETTINGS, [
    "shared_buffers=1GB",
    "max_wal_size=8GB",
  ]);
  assert.throws(() => parseConfig({ EMBEDDED_PG_SETTINGS: "shared_buffers 1GB" }), /name=value pairs/);
});

test("the embedded server is sized to the machine's memory, within bounds", () => {
  const GiB = 1024 ** 3;
  const sized = (memory: number) => Object.fromEntries(sizedServerSettings(memory).map((s) => s.split("=") as [string, string]));
  assert.deepEqual(sized(24 * GiB), {
    effective_cache_size: "12288MB",
    maintenance_work_mem: "768MB",
    max_wal_size: "4GB",
    checkpoint_timeout: "15min",
  });
  // A small machine keeps PostgreSQL's floor; a large one does not give the server more than it can use well here.
  assert.equal(sized(512 * 1024 ** 2).maintenance_work_mem, "64MB");
  assert.equal(sized(512 * 1024 ** 2).effective_cache_size, "512MB");
  assert.equal(sized(256 * GiB).maintenance_work_mem, "1024MB");
  assert.equal(sized(256 * GiB).effective_cache_size, "131072MB");
});

test("a bad value stops the process with a message naming the variable", () => {
  for (const [name, value] of [
    ["PORT", "eighty"],
    ["DATABASE_URL", "mysql://x"],
    ["LOG_LEVEL", "loud"],
    ["EMBEDDED_PG_SETTINGS", "shared_buffers"],
  ]) {
    const res = spawnSync(process.execPath, ["--import", "tsx", "-e", "const { loadConfig } = await import('./src/config.ts'); loadConfig();"], {
      env: { ...process.env, [name]: value },
      encoding: "utf8",
    });
    assert.equal(res.status, 1, `${name}=${value} should exit 1`);
    assert.match(res.stderr, new RegExp(`Configuration error: ${name}:`));
  }
});

test("a .env file in the folder Roster runs from fills in what the environment does not set; none is no message", () => {
  const folder = mkdtempSync(join(tmpdir(), "roster-env-"));
  const config = pathToFileURL(join(process.cwd(), "src/config.ts")).href;
  // Run from the temporary folder, tsx is found from here.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const read = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      ["--import", tsx, "-e", `const { loadConfig } = await import(${JSON.stringify(config)}); const c = loadConfig(); console.log(c.PORT, c.DATA_DIR);`],
      {
        cwd: folder,
        env,
        encoding: "utf8",
      },
    );
  const { PORT: _port, DATA_DIR: _dataDir, ...rest } = process.env;
  try {
    const none = read(rest);
    assert.equal(none.stdout.trim(), "3000 ./data");
    assert.equal(none.stderr, "", "no .env: nothing said");
    writeFileSync(join(folder, ".env"), "PORT=4123\nDATA_DIR=/srv/roster\n");
    assert.equal(read(rest).stdout.trim(), "4123 /srv/roster");
    assert.equal(read({ ...rest, PORT: "5000" }).stdout.trim(), "5000 /srv/roster", "the environment wins");
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("the client address: the socket's, or counted from the end of X-Forwarded-For past the trusted proxies", () => {
  assert.equal(clientAddress("10.0.0.2", "203.0.113.5", 0), "10.0.0.2", "no trusted proxy: the header is ignored");
  assert.equal(clientAddress("10.0.0.2", "198.51.100.77, 203.0.113.5", 1), "203.0.113.5");
  assert.equal(clientAddress("10.0.0.2", "203.0.113.5, 10.0.0.9", 2), "203.0.113.5");
  assert.equal(clientAddress("10.0.0.2", "203.0.113.5", 2), "10.0.0.2", "a shorter chain than the proxies: the socket");
  assert.equal(clientAddress("10.0.0.2", undefined, 1), "10.0.0.2");
  assert.equal(parseConfig({ TRUST_PROXY: "1" }).TRUST_PROXY, 1);
  assert.throws(() => parseConfig({ TRUST_PROXY: "yes" }));
});
