import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { clientAddress } from "../../src/auth/rate-limit";
import { parseConfig } from "../../src/config";

test("defaults: embedded database in ./data on port 3000", () => {
  const config = parseConfig({});
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.DATA_DIR, "./data");
  assert.equal(config.PORT, 3000);
  assert.equal(config.EXPORT_TTL_DAYS, 7);
});

test("a bad value stops the process with a message naming the variable", () => {
  for (const [name, value] of [
    ["PORT", "eighty"],
    ["DATABASE_URL", "mysql://x"],
    ["LOG_LEVEL", "loud"],
  ]) {
    const res = spawnSync(process.execPath, ["--import", "tsx", "-e", "const { loadConfig } = await import('./src/config.ts'); loadConfig();"], {
      env: { ...process.env, [name]: value },
      encoding: "utf8",
    });
    assert.equal(res.status, 1, `${name}=${value} should exit 1`);
    assert.match(res.stderr, new RegExp(`Configuration error: ${name}:`));
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
