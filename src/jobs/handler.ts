// What a job handler is given and may return, and the helpers handlers share; the worker (worker.ts) runs them.
import type { Config } from "../config";
import type { Database, Db } from "../db/client";
import type { Job } from "./queue";
import type { JobKind, JobPartialResult, JobResults } from "./results";

export interface JobContext {
  database: Database;
  db: Db;
  config: Config;
  job: Job;
  workerId: string;
  /** Aborted when the job is cancelled or this worker lost its lease: stop and return promptly. */
  signal: AbortSignal;
  progress(done: number, total?: number | null, partial?: JobPartialResult): Promise<void>;
}

/**
 * A handler returns the job's result, which the worker records as completed; or, when it applied its effects
 * in a transaction that also called completeJob() (so they apply exactly once), it returns undefined.
 */
export type JobHandler<K extends JobKind = JobKind> = (ctx: JobContext) => Promise<JobResults[K] | undefined>;

/**
 * Lets the event loop run what waits (page requests, the heartbeat) before a job's next piece of work: `for await`
 * over a buffered stream goes from chunk to chunk in microtasks and never yields by itself.
 */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The same stream, with a turn of the event loop after each chunk (see yieldToLoop). */
export async function* yieldingEach<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  for await (const chunk of source) {
    yield chunk;
    await yieldToLoop();
  }
}

/** A failure to show the user as it is (bad input): not retried. Other errors are retried while attempts remain. */
export class JobError extends Error {
  constructor(
    message: string,
    public retryable = false,
  ) {
    super(message);
  }
}
