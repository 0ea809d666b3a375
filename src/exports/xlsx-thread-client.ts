// The export job's side of the XLSX thread (xlsx-thread.ts): pieces of COPY text go out, zip bytes come back in
// order, and at most MAX_IN_FLIGHT pieces are out at once, counted until their bytes are stored: reading the
// database waits for the thread, and the thread for the file store.
import { Worker } from "node:worker_threads";
import type { XlsxThreadData, XlsxThreadReply } from "./xlsx-thread";

const MAX_IN_FLIGHT = 4;

export class XlsxThread {
  private readonly worker: Worker;
  private inFlight = 0;
  private failure: Error | null = null;
  private finished = false;
  private wakeUp: (() => void) | null = null;
  private ended: { resolve(): void; reject(e: Error): void } | null = null;
  private stored: Promise<void> = Promise.resolve();

  /** `store` receives each reply's bytes and rows, one at a time, in order. */
  constructor(
    data: XlsxThreadData,
    private readonly store: (bytes: Buffer, rows: number) => Promise<void>,
  ) {
    // Next to this module: src/exports/xlsx-thread.ts under tsx (the thread inherits its loader), or the bundle's
    // dist/xlsx-thread.mjs next to dist/server.mjs and dist/worker.mjs.
    const here = import.meta.url;
    if (here.endsWith(".mjs")) this.worker = new Worker(new URL("./xlsx-thread.mjs", here), { workerData: data });
    else {
      // Under tsx (tests, tools) a thread does not get the TypeScript loader: it registers it, then loads the module.
      const entry = new URL("./xlsx-thread.ts", here).href;
      const tsx = import.meta.resolve("tsx/esm/api");
      const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
      this.worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data });
    }
    this.worker.on("message", (reply: XlsxThreadReply) => this.received(reply));
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", (code) => {
      if (!this.finished) this.fail(new Error(`The XLSX writer stopped (exit code ${code}).`));
    });
  }

  /** Sends a piece of COPY text; `piece` must own its memory (it is moved to the thread). */
  async push(piece: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.worker.postMessage({ type: "piece", data: piece }, [piece.buffer as ArrayBuffer]);
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((resolve) => (this.wakeUp = resolve));
    if (this.failure) throw this.failure;
  }

  /** Ends the workbook: resolves once its last bytes are stored, then stops the thread. */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    const ended = new Promise<void>((resolve, reject) => (this.ended = { resolve, reject }));
    this.worker.postMessage({ type: "end" });
    try {
      await ended;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the thread at once (a failed or cancelled export): replies still queued are not stored. */
  async close(): Promise<void> {
    this.finished = true;
    this.failure ??= new Error("The XLSX writer was stopped.");
    await this.worker.terminate();
    await this.stored;
  }

  private received(reply: XlsxThreadReply) {
    if (reply.type === "error") return this.fail(new Error(reply.message));
    const bytes = Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
    this.stored = this.stored
      .then(async () => {
        if (this.failure) return;
        await this.store(bytes, reply.rows);
        if (reply.type === "end") {
          this.finished = true;
          this.ended?.resolve();
        } else {
          this.inFlight--;
          this.wake();
        }
      })
      .catch((e: Error) => this.fail(e));
  }

  private fail(e: Error) {
    this.failure ??= e;
    this.wake();
    this.ended?.reject(this.failure);
  }

  private wake() {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }
}
