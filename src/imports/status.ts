// An import's status and counts as its pages and the API show them, read from its job (pure: views use it too).
import type { Job } from "../jobs/queue";
import type { ImportProgress, ImportResult } from "./run";

export type ImportStatus = "draft" | "queued" | "running" | "completed" | "failed";

/** A job's status as the import shows it: a cancelled job is a failed import. */
export function importStatus(job: Job | null): ImportStatus {
  if (!job) return "draft";
  return job.status === "cancelled" ? "failed" : job.status;
}

/** What its job (the import's, or the preview's) recorded so far: progress while it runs, every count once it completed. */
export function jobCounts(job: Job | null): Partial<ImportResult & ImportProgress> {
  return (job?.result ?? {}) as Partial<ImportResult & ImportProgress>;
}
