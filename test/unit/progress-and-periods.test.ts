import assert from "node:assert/strict";
import { test } from "node:test";
import { formatRate, formatTimeLeft, progressFigures } from "../../src/jobs/progress";
import { periodStart, periodStarts } from "../../src/segments/size-history";

test("progress: percent, rows per second since the start, and time left at that pace", () => {
  const startedAt = new Date("2026-05-01T10:00:00Z");
  const now = new Date("2026-05-01T10:00:04Z");
  assert.deepEqual(progressFigures({ done: 250, total: 1000, rows: 2000, startedAt, now }), { percent: 25, rowsPerSecond: 500, secondsLeft: 12 });
  assert.deepEqual(
    progressFigures({ done: 0, total: 1000, rows: 0, startedAt, now }),
    { percent: 0, rowsPerSecond: null, secondsLeft: null },
    "nothing to measure yet",
  );
  assert.deepEqual(
    progressFigures({ done: 10, total: null, rows: 10, startedAt, now }),
    { percent: null, rowsPerSecond: 2.5, secondsLeft: null },
    "no total: no time left",
  );
  assert.equal(progressFigures({ done: 1000, total: 1000, rows: 9, startedAt, now }).secondsLeft, 0);
  assert.equal(progressFigures({ done: 1, total: 1000, rows: 1, startedAt: null, now }).rowsPerSecond, null, "not started");
});

test("time left and rates read as people say them", () => {
  assert.equal(formatTimeLeft(2), "a few seconds left");
  assert.equal(formatTimeLeft(12), "about 10 s left");
  assert.equal(formatTimeLeft(200), "about 3 min left");
  assert.equal(formatTimeLeft(4 * 3600), "about 4 h left");
  assert.equal(formatRate(12345.6), "12,346 rows/s");
  assert.equal(formatRate(3.25), "3.3 rows/s");
});

test("chart periods: UTC days, ISO weeks from Monday, months, ending with the current one", () => {
  const sunday = new Date("2026-03-01T23:30:00Z");
  assert.equal(periodStart(sunday, "week").toISOString().slice(0, 10), "2026-02-23");
  assert.equal(periodStart(sunday, "month").toISOString().slice(0, 10), "2026-03-01");
  assert.deepEqual(periodStarts(sunday, "day", 3), ["2026-02-27", "2026-02-28", "2026-03-01"]);
  assert.deepEqual(periodStarts(sunday, "week", 2), ["2026-02-16", "2026-02-23"]);
  assert.deepEqual(periodStarts(new Date("2026-01-31T00:00:00Z"), "month", 3), ["2025-11-01", "2025-12-01", "2026-01-01"]);
});
