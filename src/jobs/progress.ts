// How far a running job is, as people read it: rows done, rows per second and time left, from what the job
// reported (progress_done of progress_total, rows in its partial result) and when it started.

export interface ProgressFigures {
  /** 0-100, or null while the total is unknown. */
  percent: number | null;
  /** Rows per second since the job started, or null before there is anything to measure. */
  rowsPerSecond: number | null;
  /** Seconds left at the pace so far, or null before there is a pace. */
  secondsLeft: number | null;
}

/**
 * `done` of `total` is the job's own measure (bytes read for an import, rows for an export); `rows` the rows
 * handled so far. The pace is measured from `startedAt` to `now`, so it reads from the first report on.
 */
export function progressFigures(p: { done: number; total: number | null; rows: number; startedAt: Date | null; now: Date }): ProgressFigures {
  const percent = p.total && p.total > 0 ? Math.min(100, Math.floor((p.done / p.total) * 100)) : null;
  const elapsed = p.startedAt ? (p.now.getTime() - p.startedAt.getTime()) / 1000 : 0;
  if (elapsed <= 0 || p.done <= 0) return { percent, rowsPerSecond: null, secondsLeft: null };
  const rowsPerSecond = p.rows > 0 ? p.rows / elapsed : null;
  const secondsLeft = p.total && p.total > p.done ? (elapsed * (p.total - p.done)) / p.done : p.total ? 0 : null;
  return { percent, rowsPerSecond, secondsLeft };
}

/** "about 3 min left", "about 40 s left", "a few seconds left". */
export function formatTimeLeft(seconds: number): string {
  if (seconds < 5) return "a few seconds left";
  if (seconds < 90) return `about ${Math.round(seconds / 5) * 5} s left`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${Math.round(seconds / 3600)} h left`;
}

/** "12,400 rows/s", "3.5 rows/s". */
export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? Math.round(perSecond).toLocaleString("en-US") : perSecond.toFixed(1)} rows/s`;
}
