// The job table as a queue: enqueue, claim with SKIP LOCKED, lease and heartbeat, finish, cancel, retry.
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { jobsTable, type JobStatus } from "../db/schema";
import type { Actor } from "../web";
import type { JobPartialResult, JobResult } from "./results";

export type Job = typeof jobsTable.$inferSelect;

export const LEASE_MS = 30_000;

/** Tells workers in this process that a job was queued, so they claim it now instead of at their next poll. */
export const jobQueued = new EventTarget();

export async function enqueueJob(
  db: Db,
  input: { accountId: number; kind: string; params: Record<string, unknown>; actor?: Actor | null; progressTotal?: number | null; maxAttempts?: number },
): Promise<Job> {
  const [job] = await db
    .insert(jobsTable)
    .values({
      accountId: input.accountId,
      kind: input.kind,
      params: input.params,
      progressTotal: input.progressTotal ?? null,
      maxAttempts: input.maxAttempts ?? 3,
      requestedByUserId: input.actor?.userId ?? null,
      requestedByApiKeyId: input.actor?.apiKeyId ?? null,
      requestedByLabel: input.actor?.label ?? "",
    })
    .returning();
  jobQueued.dispatchEvent(new Event("queued"));
  return job!;
}

export async function getJob(db: Db, accountId: number, id: number): Promise<Job | null> {
  const [job] = await db
    .select()
    .from(jobsTable)
    .where(and(eq(jobsTable.accountId, accountId), eq(jobsTable.id, id)));
  return job ?? null;
}

/**
 * Fails jobs whose worker died on their last attempt, then claims the oldest runnable job of these kinds:
 * queued, or running with a lapsed lease (its worker died). SKIP LOCKED lets many workers claim at once
 * without ever taking the same job.
 */
export async function claimNextJob(db: Db, workerId: string, kinds: string[], leaseMs = LEASE_MS): Promise<Job | null> {
  if (kinds.length === 0) return null;
  await db
    .update(jobsTable)
    .set({
      status: "failed",
      error: sql`'The worker running this job stopped ' || ${jobsTable.attempts} || ' times; giving up.'`,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
      lockedBy: null,
    })
    .where(and(eq(jobsTable.status, "running"), lt(jobsTable.leaseUntil, sql`now()`), sql`${jobsTable.attempts} >= ${jobsTable.maxAttempts}`));

  const kindList = sql.join(
    kinds.map((k) => sql`${k}`),
    sql`, `,
  );
  const candidate = sql`
    select account_id, id from jobs
    where kind in (${kindList})
      and ((status = 'queued' and run_after <= now())
        or (status = 'running' and lease_until < now() and attempts < max_attempts))
    order by run_after, id
    limit 1
    for update skip locked`;
  const [job] = await db
    .update(jobsTable)
    .set({
      status: "running",
      lockedBy: workerId,
      leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`,
      attempts: sql`${jobsTable.attempts} + 1`,
      startedAt: sql`coalesce(${jobsTable.startedAt}, now())`,
      updatedAt: sql`now()`,
    })
    .where(sql`(${jobsTable.accountId}, ${jobsTable.id}) = (${candidate})`)
    .returning();
  return job ?? null;
}

function ownedBy(job: Job, workerId: string) {
  return and(eq(jobsTable.accountId, job.accountId), eq(jobsTable.id, job.id), eq(jobsTable.status, "running"), eq(jobsTable.lockedBy, workerId));
}

/** Extends the lease; false when the job is no longer this worker's (cancelled, or taken over after a lapse). */
export async function renewLease(db: Db, job: Job, workerId: string, leaseMs = LEASE_MS): Promise<boolean> {
  const rows = await db
    .update(jobsTable)
    .set({ leaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, updatedAt: sql`now()` })
    .where(ownedBy(job, workerId))
    .returning({ id: jobsTable.id });
  return rows.length === 1;
}

export async function reportProgress(db: Db, job: Job, workerId: string, done: number, total?: number | null, partial?: JobPartialResult) {
  await db
    .update(jobsTable)
    .set({
      progressDone: done,
      ...(total !== undefined ? { progressTotal: total } : {}),
      ...(partial ? { result: { ...partial } } : {}),
      updatedAt: sql`now()`,
    })
    .where(ownedBy(job, workerId));
}

/**
 * Marks the job completed if this worker still owns it. Call it inside the transaction that applies the job's
 * effects: when it returns false, roll back, and the effects never apply twice.
 */
export async function completeJob(db: Db, job: Job, workerId: string, result: JobResult): Promise<boolean> {
  const rows = await db
    .update(jobsTable)
    .set({
      status: "completed",
      result: { ...result },
      error: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
      lockedBy: null,
      leaseUntil: null,
      progressDone: sql`coalesce(${jobsTable.progressTotal}, ${jobsTable.progressDone})`,
    })
    .where(ownedBy(job, workerId))
    .returning({ id: jobsTable.id });
  return rows.length === 1;
}

/** A failed attempt: queued again after a pause while attempts remain and the error is retryable, else failed. */
export async function failJob(db: Db, job: Job, workerId: string, error: string, retryable: boolean) {
  const again = retryable && job.attempts < job.maxAttempts;
  await db
    .update(jobsTable)
    .set({
      status: again ? "queued" : "failed",
      error,
      lockedBy: null,
      leaseUntil: null,
      runAfter: again ? sql`now() + ${job.attempts * 5} * interval '1 second'` : jobsTable.runAfter,
      finishedAt: again ? null : sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(job, workerId));
}

export async function cancelJob(db: Db, accountId: number, id: number, kind?: string): Promise<Job | null> {
  const [job] = await db
    .update(jobsTable)
    .set({ status: "cancelled", lockedBy: null, leaseUntil: null, finishedAt: sql`now()`, updatedAt: sql`now()`, error: "Cancelled." })
    .where(
      and(
        eq(jobsTable.accountId, accountId),
        eq(jobsTable.id, id),
        inArray(jobsTable.status, ["queued", "running"] satisfies JobStatus[]),
        kind ? eq(jobsTable.kind, kind) : undefined,
      ),
    )
    .returning();
  return job ?? null;
}

/** Puts a failed or cancelled job back in the queue with a fresh set of attempts. */
export async function retryJob(db: Db, accountId: number, id: number, kind?: string): Promise<Job | null> {
  const [job] = await db
    .update(jobsTable)
    .set({
      status: "queued",
      attempts: 0,
      error: null,
      result: null,
      progressDone: 0,
      runAfter: sql`now()`,
      finishedAt: null,
      startedAt: null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(jobsTable.accountId, accountId),
        eq(jobsTable.id, id),
        inArray(jobsTable.status, ["failed", "cancelled"] satisfies JobStatus[]),
        kind ? eq(jobsTable.kind, kind) : undefined,
      ),
    )
    .returning();
  return job ?? null;
}
