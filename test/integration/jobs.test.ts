import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import { jobsTable } from "../../src/db/schema";
import { jobHandlers } from "../../src/jobs/handlers";
import { cancelJob, claimNextJob, completeJob, enqueueJob, getJob, retryJob } from "../../src/jobs/queue";
import { drainJobs, runJob } from "../../src/jobs/worker";
import { JobError } from "../../src/jobs/handler";
import { createFile, createFileWriter, purgeExpiredFiles, readFileStream } from "../../src/files/store";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
const runs: { jobId: number; worker: string }[] = [];
before(async () => {
  t = await createTestApp();
  jobHandlers["test-record"] = async (ctx) => {
    runs.push({ jobId: ctx.job.id, worker: ctx.workerId });
    await new Promise((r) => setTimeout(r, 5));
    return { rows: 1, sizeBytes: 0 }; // a result of a real kind's shape (an export's)
  };
  jobHandlers["test-bad-input"] = async () => {
    throw new JobError("Line 3 has no email column.");
  };
});
after(async () => {
  delete jobHandlers["test-record"];
  delete jobHandlers["test-bad-input"];
  await t.close();
});

test("two workers draining at once never run the same job", async () => {
  const a = await t.createAccount();
  runs.length = 0;
  const jobs = [];
  for (let i = 0; i < 30; i++) jobs.push(await enqueueJob(t.db, { accountId: a.accountId, kind: "test-record", params: { i } }));
  const [ranA, ranB] = await Promise.all([drainJobs(t.deps, "worker-A"), drainJobs(t.deps, "worker-B")]);
  assert.equal(ranA + ranB, 30);
  const ids = runs.map((r) => r.jobId).sort((x, y) => x - y);
  assert.deepEqual(
    ids,
    jobs.map((j) => j.id).sort((x, y) => x - y),
    "every job ran exactly once",
  );
  const rows = await t.db.select().from(jobsTable).where(eq(jobsTable.kind, "test-record"));
  assert.ok(rows.every((r) => r.status === "completed" && r.attempts === 1));
});

test("a job whose worker died is picked up when its lease lapses, and the dead worker cannot complete it", async () => {
  const a = await t.createAccount();
  const job = await enqueueJob(t.db, { accountId: a.accountId, kind: "test-record", params: {} });
  const claimed = await claimNextJob(t.db, "dead-worker", ["test-record"], 60_000);
  assert.equal(claimed!.id, job.id);
  assert.equal(await claimNextJob(t.db, "other", ["test-record"]), null, "a live lease is respected");
  // The worker dies: no heartbeat renews its lease, which lapses (moved into the past rather than waited for).
  await t.db
    .update(jobsTable)
    .set({ leaseUntil: sql`now() - interval '1 second'` })
    .where(eq(jobsTable.id, job.id));
  const taken = await claimNextJob(t.db, "rescuer", ["test-record"]);
  assert.equal(taken!.id, job.id);
  assert.equal(taken!.attempts, 2);
  assert.equal(await completeJob(t.db, claimed!, "dead-worker", { rows: 99, sizeBytes: 99 }), false, "the dead worker lost the job");
  await runJob(t.deps, taken!, "rescuer");
  const done = await getJob(t.db, a.accountId, job.id);
  assert.equal(done!.status, "completed");
  assert.deepEqual(done!.result, { rows: 1, sizeBytes: 0 });
});

test("a job that keeps losing its worker fails with the reason after its attempts", async () => {
  const a = await t.createAccount();
  const job = await enqueueJob(t.db, { accountId: a.accountId, kind: "test-record", params: {}, maxAttempts: 2 });
  await claimNextJob(t.db, "w1", ["test-record"], 10);
  await new Promise((r) => setTimeout(r, 30));
  await claimNextJob(t.db, "w2", ["test-record"], 10);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(await claimNextJob(t.db, "w3", ["test-record"]), null);
  const failed = await getJob(t.db, a.accountId, job.id);
  assert.equal(failed!.status, "failed");
  assert.match(failed!.error!, /stopped 2 times/);
});

test("bad input fails at once with its message; failed jobs can be retried and queued ones cancelled", async () => {
  const a = await t.createAccount();
  const b = await t.createAccount();
  const job = await enqueueJob(t.db, { accountId: a.accountId, kind: "test-bad-input", params: {} });
  await drainJobs(t.deps);
  const failed = await getJob(t.db, a.accountId, job.id);
  assert.equal(failed!.status, "failed");
  assert.equal(failed!.error, "Line 3 has no email column.");
  assert.equal(failed!.attempts, 1, "not retried");

  assert.equal(await retryJob(t.db, b.accountId, job.id), null, "another account cannot retry it");
  const again = await retryJob(t.db, a.accountId, job.id);
  assert.equal(again!.status, "queued");
  const cancelled = await cancelJob(t.db, a.accountId, job.id);
  assert.equal(cancelled!.status, "cancelled");
  assert.equal(await claimNextJob(t.db, "w", ["test-bad-input"]), null);
});

test("files are stored in chunks, read back whole, and purged after expiry", async () => {
  const a = await t.createAccount();
  const file = await createFile(t.db, a.accountId, { name: "big.bin", contentType: "application/octet-stream", expiresAt: new Date(Date.now() + 60_000) });
  const writer = createFileWriter(t.db, file);
  const part = Buffer.alloc(700 * 1024, 7);
  await new Promise<void>((resolve, reject) => {
    writer.on("error", reject);
    writer.write(part);
    writer.write(part);
    writer.end(Buffer.from("end"), () => resolve());
  });
  const chunks: Buffer[] = [];
  for await (const c of readFileStream(t.db, a.accountId, file.id)) chunks.push(c as Buffer);
  const whole = Buffer.concat(chunks);
  assert.equal(whole.length, 1400 * 1024 + 3);
  assert.equal(whole.subarray(-3).toString(), "end");
  assert.equal(await purgeExpiredFiles(t.db), 0);
  assert.equal(await purgeExpiredFiles(t.db, new Date(Date.now() + 120_000)), 1);
  const after: Buffer[] = [];
  for await (const c of readFileStream(t.db, a.accountId, file.id)) after.push(c as Buffer);
  assert.equal(after.length, 0);
});

test("on PostgreSQL, files can be stored through one binary COPY and read back byte for byte", async () => {
  const a = await t.createAccount();
  const file = await createFile(t.db, a.accountId, { name: "copy.bin", contentType: "application/octet-stream" });
  const writer = createFileWriter(t.db, file, t.database.sql);
  const bytes = Buffer.alloc(2.5 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  await new Promise<void>((resolve, reject) => {
    writer.on("error", reject);
    writer.write(bytes.subarray(0, 1_000_000));
    writer.end(bytes.subarray(1_000_000), () => resolve());
  });
  const chunks: Buffer[] = [];
  for await (const c of readFileStream(t.db, a.accountId, file.id)) chunks.push(c as Buffer);
  assert.ok(Buffer.concat(chunks).equals(bytes));
  assert.equal(writer.bytesWritten(), bytes.length);
});
