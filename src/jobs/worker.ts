// The job worker: claims jobs, runs their handler with a heartbeat, and records the outcome. Runs inside
// `npm start` or alone (`npm run worker`); any number of workers may share one database.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { jobHandlers } from "./handlers";
import { keepStatistics } from "../db/statistics";
import { errorMessage, logError } from "../log";
import { runMaintenance } from "./maintenance";
import { keepSegmentsCurrent } from "./segments-current";
import { claimNextJob, completeJob, failJob, jobQueued, LEASE_MS, renewLease, reportProgress, type Job } from "./queue";
import { JobError } from "./handler";

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** Runs one claimed job to its end. Exported for tests that drive a worker step by step. */
export async function runJob(deps: { database: Database; config: Config }, job: Job, workerId: string, leaseMs = LEASE_MS): Promise<void> {
  const db = deps.database.db;
  const handler = jobHandlers[job.kind];
  const controller = new AbortController();
  const heartbeat = setInterval(
    async () => {
      try {
        if (!(await renewLease(db, job, workerId, leaseMs))) controller.abort(new Error("lease lost or job cancelled"));
      } catch {
        // A missed heartbeat is not fatal: the lease is long enough for the next one.
      }
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  try {
    if (!handler) throw new JobError(`No handler for jobs of kind "${job.kind}".`);
    const result = await handler({
      database: deps.database,
      db,
      config: deps.config,
      job,
      workerId,
      signal: controller.signal,
      progress: (done, total, partial) => reportProgress(db, job, workerId, done, total, partial),
    });
    if (result !== undefined) await completeJob(db, job, workerId, result);
  } catch (e) {
    if (controller.signal.aborted) return;
    const message = errorMessage(e);
    const retryable = !(e instanceof JobError) || e.retryable;
    if (retryable) logError(`job ${job.kind} #${job.id} failed (attempt ${job.attempts})`, e);
    await failJob(db, job, workerId, message, retryable);
  } finally {
    clearInterval(heartbeat);
  }
}

/** Claims and runs jobs until none is runnable. Tests use it to run queued work deterministically. */
export async function drainJobs(deps: { database: Database; config: Config }, workerId = newWorkerId()): Promise<number> {
  let ran = 0;
  for (;;) {
    const job = await claimNextJob(deps.database.db, workerId, Object.keys(jobHandlers));
    if (!job) return ran;
    await runJob(deps, job, workerId);
    ran++;
  }
}

export interface WorkerHandle {
  id: string;
  stop(): Promise<void>;
}

export function startWorker(
  deps: { database: Database; config: Config },
  options: { pollMs?: number; maintenanceMs?: number; segmentsMs?: number } = {},
): WorkerHandle {
  const id = newWorkerId();
  const pollMs = options.pollMs ?? 500;
  const maintenanceMs = options.maintenanceMs ?? 60_000;
  // Dynamic segments are kept within a minute of their inputs: a pass every few seconds, each refresh set-based.
  const segmentsMs = options.segmentsMs ?? 10_000;
  let running = true;
  let wake: (() => void) | null = null;
  let lastMaintenance = 0;
  let lastSegments = 0;
  const onQueued = () => wake?.();
  jobQueued.addEventListener("queued", onQueued);

  const loop = (async () => {
    while (running) {
      try {
        if (Date.now() - lastMaintenance > maintenanceMs) {
          lastMaintenance = Date.now();
          await runMaintenance(deps.database.db);
          const kept = await keepStatistics(deps.database);
          if (kept.length > 0) console.log(`statistics: ${kept.join(", ")}`);
        }
        if (Date.now() - lastSegments > segmentsMs) {
          lastSegments = Date.now();
          await keepSegmentsCurrent(deps.database.db);
        }
        const job = await claimNextJob(deps.database.db, id, Object.keys(jobHandlers));
        if (job) {
          await runJob(deps, job, id);
          continue;
        }
      } catch (e) {
        if (running) logError("worker loop error", e);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  })();

  return {
    id,
    async stop() {
      running = false;
      jobQueued.removeEventListener("queued", onQueued);
      wake?.();
      await loop;
    },
  };
}
