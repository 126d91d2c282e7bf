// Group commit (natural batching) for the exchange's hot writes: recording deliveries (queue/delivery-worker.ts)
// and storing received messages (intake/receipt-writer.ts).
//
// Each of those writes is a transaction that takes the audit chain's head lock: BEGIN, the rows, lock the head,
// INSERT the entries, COMMIT — round trips of a socket syscall or two each, and every appender in every process
// waits for the lock in turn. Writing N items in one such transaction costs little more than one.
//
// No timer: when nothing is being written, a record is written at once (no added latency at low load); while a
// write is in flight, the records that arrive meanwhile wait for it and then go together in the next one (up to
// maxBatch). The batch size therefore follows the load by itself. Each caller's promise settles when ITS record
// is committed (or has failed), so a job still completes only after its delivery is durable.
//
// A batch that fails (one bad item — an invalid audit event, a row that cannot be updated — or a transient error)
// is written again item by item, each in its own transaction: one bad item fails only its own job.
//
// The same natural batching serves reads too (the delivery worker's message loads, one `= ANY($1)` query for the
// loads that arrive while one is in flight): there no single item can make the batch fail, so retrying item by
// item would only multiply the queries against a database in trouble — `retryOneByOne: false` rejects every
// caller of a failed batch with its error instead.

export interface GroupCommitOptions<T, R> {
  /** Writes every item in one transaction; answers one result per item, in order. */
  writeMany(items: readonly T[]): Promise<R[]>;
  /**
   * Writes one item in a transaction of its own (a batch of one, and the fallback after a failed batch).
   * Default: writeMany of that one item.
   */
  writeOne?(item: T): Promise<R>;
  /** Most items per transaction (default 200): bounds the statement size and the time the head lock is held. */
  maxBatch?: number;
  /** After a failed batch, write its items again one by one (default true); false: every caller gets the error. */
  retryOneByOne?: boolean;
}

export interface GroupCommitStats {
  /** Transactions that wrote more than one item. */
  batches: number;
  /** Transactions that wrote one item (alone, or after a failed batch). */
  singles: number;
  /** Items recorded (committed). */
  recorded: number;
  /** Items whose record failed (their callers got the error). */
  failed: number;
  /** Batches that failed and were written again item by item (or, without retryOneByOne, failed as a whole). */
  fallbacks: number;
  largestBatch: number;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<T, R = void> {
  private readonly waiting: Pending<T, R>[] = [];
  private flushing = false;
  private readonly maxBatch: number;
  readonly stats: GroupCommitStats = { batches: 0, singles: 0, recorded: 0, failed: 0, fallbacks: 0, largestBatch: 0 };

  constructor(private readonly opts: GroupCommitOptions<T, R>) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 200);
  }

  /** Resolves with its result once `item` is committed; rejects with the error of its own write. */
  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
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

  private async flush(batch: Pending<T, R>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.opts.writeMany(batch.map((p) => p.item));
        this.stats.batches++;
        this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
        this.stats.recorded += batch.length;
        batch.forEach((p, i) => p.resolve(results[i] as R));
        return;
      } catch (e) {
        this.stats.fallbacks++;
        if (this.opts.retryOneByOne === false) {
          this.stats.failed += batch.length;
          for (const p of batch) p.reject(e);
          return;
        }
        // The transaction rolled back as a whole: nothing of it was written, each item is written on its own.
      }
    }
    // One at a time, in arrival order (the audit chain gets the entries in the order the jobs finished).
    for (const p of batch) {
      try {
        const result = this.opts.writeOne ? await this.opts.writeOne(p.item) : (await this.opts.writeMany([p.item]))[0]!;
        this.stats.singles++;
        this.stats.recorded++;
        p.resolve(result);
      } catch (e) {
        this.stats.failed++;
        p.reject(e);
      }
    }
  }
}
