// Group commit of successful deliveries (natural batching).
//
// Recording a delivery is a transaction that takes the audit chain's head lock: BEGIN, UPDATE messages, lock the
// head, INSERT the entries, COMMIT — five round trips, each a socket syscall or two, and every appender in every
// process waits for the lock in turn. Recording N deliveries in one such transaction costs the same five.
//
// No timer: when nothing is being written, a record is written at once (no added latency at low load); while a
// write is in flight, the records that arrive meanwhile wait for it and then go together in the next one (up to
// maxBatch). The batch size therefore follows the load by itself. Each caller's promise settles when ITS record
// is committed (or has failed), so a job still completes only after its delivery is durable.
//
// A batch that fails (one bad item — an invalid audit event, a row that cannot be updated — or a transient error)
// is written again item by item, each in its own transaction: one bad item fails only its own job.

export interface RecorderOptions<T> {
  /** Writes every item in one transaction. */
  writeMany(items: readonly T[]): Promise<void>;
  /** Writes one item in a transaction of its own (a batch of one, and the fallback after a failed batch). */
  writeOne(item: T): Promise<void>;
  /** Most items per transaction (default 200): bounds the statement size and the time the head lock is held. */
  maxBatch?: number;
}

export interface RecorderStats {
  /** Transactions that wrote more than one item. */
  batches: number;
  /** Transactions that wrote one item (alone, or after a failed batch). */
  singles: number;
  /** Items recorded (committed). */
  recorded: number;
  /** Items whose record failed (their callers got the error). */
  failed: number;
  /** Batches that failed and were written again item by item. */
  fallbacks: number;
  largestBatch: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class DeliveryRecorder<T> {
  private readonly waiting: Pending<T>[] = [];
  private flushing = false;
  private readonly maxBatch: number;
  readonly stats: RecorderStats = { batches: 0, singles: 0, recorded: 0, failed: 0, fallbacks: 0, largestBatch: 0 };

  constructor(private readonly opts: RecorderOptions<T>) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 200);
  }

  /** Resolves once `item` is committed; rejects with the error of its own write. */
  record(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  /** Items waiting for the write in flight to finish. */
  get backlog(): number {
    return this.waiting.length;
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) await this.flush(this.waiting.splice(0, this.maxBatch));
    } finally {
      this.flushing = false;
    }
  }

  private async flush(batch: Pending<T>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await this.opts.writeMany(batch.map((p) => p.item));
        this.stats.batches++;
        this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
        this.stats.recorded += batch.length;
        for (const p of batch) p.resolve();
        return;
      } catch {
        // The transaction rolled back as a whole: nothing of it was written, each item is written on its own.
        this.stats.fallbacks++;
      }
    }
    // One at a time, in arrival order (the audit chain gets the entries in the order the jobs finished).
    for (const p of batch) {
      try {
        await this.opts.writeOne(p.item);
        this.stats.singles++;
        this.stats.recorded++;
        p.resolve();
      } catch (e) {
        this.stats.failed++;
        p.reject(e);
      }
    }
  }
}
