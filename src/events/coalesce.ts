// Single events that arrive together are stored and evaluated together: set-based statements and one pass over
// the workflows for many requests, instead of a handful of statements (and commits, and hot-row locks) each.
import type { Db } from "../db/client";
import { ingestEvents, type IngestResult } from "./ingest";
import type { NormalizedEvent } from "./validate";

interface Pending {
  event: NormalizedEvent;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

export interface CoalescerOptions {
  /** Groups being written at once; more arrive and wait meanwhile, so groups grow with load. */
  maxConcurrent: number;
  maxBatch: number;
}

/**
 * Queues single events per account and writes them in groups. Under light load a request goes out alone at
 * once (no added wait); under heavy load each group carries the requests that arrived while the previous ones
 * were written. A request's answer is exactly what it would get alone: a repeated id within a group is a
 * duplicate, as in a batch. Nothing is kept between requests: a group lives only while its requests wait.
 */
export class EventCoalescer {
  /** Queues by account and write rule (`${accountId}:full` or `${accountId}:fill`): a group shares both. */
  private readonly pending = new Map<string, Pending[]>();
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly options: CoalescerOptions = { maxConcurrent: 2, maxBatch: 500 },
  ) {}

  /** `fillEmptyOnly`: the event's contact fields only fill empty ones (see ingestEvents). */
  submit(accountId: number, event: NormalizedEvent, options: { fillEmptyOnly?: boolean } = {}): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      const key = `${accountId}:${options.fillEmptyOnly ? "fill" : "full"}`;
      const queue = this.pending.get(key);
      if (queue) queue.push({ event, resolve, reject });
      else this.pending.set(key, [{ event, resolve, reject }]);
      if (!this.scheduled) {
        // Requests parsed in the same turn of the event loop share a group.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump() {
    while (this.running < this.options.maxConcurrent && this.pending.size > 0) {
      const [key, queue] = this.pending.entries().next().value as [string, Pending[]];
      const group = queue.splice(0, this.options.maxBatch);
      // Accounts take turns: one that still has events goes to the back.
      this.pending.delete(key);
      if (queue.length > 0) this.pending.set(key, queue);
      this.running++;
      const colon = key.indexOf(":");
      ingestEvents(
        this.db,
        Number(key.slice(0, colon)),
        group.map((p) => p.event),
        { fillEmptyOnly: key.endsWith(":fill") },
      )
        .then(({ results }) => group.forEach((p, i) => p.resolve(results[i]!)))
        .catch((e) => group.forEach((p) => p.reject(e)))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}

const coalescers = new WeakMap<Db, EventCoalescer>();

/** The coalescer of this database handle (one per app instance). */
export function coalescerFor(db: Db): EventCoalescer {
  let c = coalescers.get(db);
  if (!c) coalescers.set(db, (c = new EventCoalescer(db)));
  return c;
}
