import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { parseConfig } from "../../src/config";

test("defaults: embedded database in ./data on port 3000", () => {
  const config = parseConfig({});
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.DATA_DIR, "./data");
  assert.equal(config.PORT, 3000);
  assert.equal(config.EXPORT_TTL_DAYS, 7);
});

test("a bad value stops the process with a message naming the variable", () => {
  for (const [name, value] of [["PORT", "eighty"], ["DATABASE_URL", "mysql://x"], ["LOG_LEVEL", "loud"]]) {
    const res = spawnSync(process.execPath, ["--import", "tsx", "-e", "const { loadConfig } = await import('./src/config.ts'); loadConfig();"], {
      env: { ...process.env, [name]: value },
      encoding: "utf8",
    });
    assert.equal(res.status, 1, `${name}=${value} should exit 1`);
    assert.match(res.stderr, new RegExp(`Configuration error: ${name}:`));
  }
});
