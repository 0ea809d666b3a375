import { formatRate, formatTimeLeft, progressFigures } from "../../src/jobs/progress";
import { formatCount } from "./format";

/**
 * A running job's bar and its figures: rows done, rows per second and time left (see progressFigures). `detail`
 * adds what the job measures besides rows (e.g. "3.1 MB of 13.8 MB read").
 */
export function JobProgress(props: { label: string; done: number; total: number | null; rows: number; startedAt: Date | null; now?: Date; detail?: string }) {
  const { percent, rowsPerSecond, secondsLeft } = progressFigures({ ...props, now: props.now ?? new Date() });
  const figures = [
    `${formatCount(props.rows)} rows done`,
    rowsPerSecond !== null ? formatRate(rowsPerSecond) : null,
    secondsLeft !== null ? formatTimeLeft(secondsLeft) : props.startedAt ? "measuring the pace…" : null,
    props.detail ?? null,
    percent !== null ? `${percent}%` : null,
  ].filter((f): f is string => f !== null);
  return (
    <div class="job-progress" data-testid="job-progress">
      <progress value={percent ?? undefined} max={100} aria-label={props.label} />
      <small class="muted">{figures.join(" · ")}</small>
    </div>
  );
}
