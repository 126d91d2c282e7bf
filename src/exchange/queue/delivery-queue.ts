// Delivery queues (issue 5, Flow → Delivery; Idempotency).
//
// One BullMQ queue per destination agency. Its keys are `<prefix>:{deliver-<agency id>}:…`: the braces are a
// Redis Cluster hash tag, so all of one queue's keys (wait list, active list, job hashes, locks) live in one slot
// — BullMQ's Lua scripts need that — while different agencies' queues spread over the cluster. (BullMQ refuses
// ':' in a queue name, hence `deliver-` rather than `deliver:`.)
//
// A job carries `{ messageId }` and nothing else: the package bytes are in the blob store under their SHA-256
// and the message row says where they go. Jobs with document bytes cost 20× in Redis memory and throughput
// (reference-systems.md §6: 100 KB jobs ≈ 700/s against ≈ 7,000/s) and would put citizens' documents in a cache.
//
// The job id is the message id, so enqueuing the same message again (a resend, a retried API call, a crashed
// producer re-running) while its job is still known to Redis adds nothing. Completed jobs are kept for a day
// for that reason; after that the worker's own check (a message already delivered is not delivered again)
// remains.
//
// Retries: exponential backoff, `attempts` in all (default 8: 2 s, 4 s, … 128 s ≈ 4 minutes end to end).
// After the last attempt the message goes to the dead-letter hash `<prefix>:{dead}` with the reason; an
// operator lists it (listDead) and, once the cause is fixed, replays it (replayDead).
import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { KysoError } from '../../errors.ts';
import { checkRedisPrefix, DEFAULT_REDIS_PREFIX } from './redis-connection.ts';

/** Everything a delivery job carries. */
export interface DeliveryJobData {
  messageId: string;
}

export interface DeadLetter {
  messageId: string;
  agencyId: string;
  /** Why the last attempt failed, e.g. `HTTP 500 from https://…`, `timeout after 15000 ms`. */
  reason: string;
  /** Attempts made. */
  attempts: number;
  /** ISO 8601. */
  failedAt: string;
}

export interface DeliveryQueueOptions {
  /** Shared client (created with createRedis: maxRetriesPerRequest null). Not closed by close(). */
  connection: Redis;
  /** Key prefix (default `kyso`). */
  prefix?: string;
  /** Attempts in all, the first included (default 8). */
  attempts?: number;
  /** First backoff delay in ms; doubles each attempt (default 2000). */
  backoffMs?: number;
  /** How long completed jobs are kept for de-duplication, in seconds (default 86,400). */
  keepCompletedSeconds?: number;
}

// Mã định danh: QCVN 102:2016 `000.00.00.G22` or QĐ 20/2020 codes (the `agencies.id` CHECK).
const AGENCY_ID = /^[0-9A-Z][0-9A-Z.-]{0,34}$/;
// Message ids are uuids in the `messages` table; anything id-like is accepted, but never ':' (BullMQ refuses it
// in a job id), never all digits (BullMQ reserves integer ids for its own counter) and never bytes.
const MESSAGE_ID = /^[0-9A-Za-z_-]{1,100}$/;

export function checkAgencyId(agencyId: string): string {
  if (typeof agencyId !== 'string' || !AGENCY_ID.test(agencyId)) {
    throw new KysoError('INVALID_ARGUMENT', `Mã định danh cơ quan không hợp lệ: "${String(agencyId).slice(0, 80)}"`, `Invalid agency identifier: "${String(agencyId).slice(0, 80)}"`);
  }
  return agencyId;
}

export function checkMessageId(messageId: string): string {
  if (typeof messageId !== 'string' || !MESSAGE_ID.test(messageId) || /^\d+$/.test(messageId)) {
    throw new KysoError('INVALID_ARGUMENT', `Mã thông điệp không hợp lệ: "${String(messageId).slice(0, 80)}"`, `Invalid message id: "${String(messageId).slice(0, 80)}"`);
  }
  return messageId;
}

/**
 * Throws unless `data` is exactly `{ messageId: <id> }`. Called on every enqueue and again by the worker on
 * every job it takes, so a job with document bytes (or anything else) cannot get in or be processed.
 */
export function assertDeliveryJobData(data: unknown): asserts data is DeliveryJobData {
  const ok =
    typeof data === 'object' &&
    data !== null &&
    !Array.isArray(data) &&
    !ArrayBuffer.isView(data) &&
    Object.keys(data).length === 1 &&
    typeof (data as { messageId?: unknown }).messageId === 'string';
  if (!ok) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      'Công việc chuyển phát chỉ được mang mã thông điệp { messageId }, không mang nội dung tài liệu',
      'A delivery job carries only { messageId }, never document content',
    );
  }
  checkMessageId((data as DeliveryJobData).messageId);
}

/**
 * Jobs put back by replayDead carry a mark — the job name 'replay' for a job added anew, progress
 * `{ replay: true }` for a failed job retried (its name cannot change) — so the worker knows that a dead-letter
 * record may still exist when it delivers, even though the job looks like a first attempt (attempts are reset).
 */
export const REPLAY_JOB_NAME = 'replay';
export function isReplayJob(job: { name: string; progress?: unknown }): boolean {
  const p = job.progress as { replay?: unknown } | null | undefined;
  return job.name === REPLAY_JOB_NAME || (typeof p === 'object' && p !== null && p.replay === true);
}

/** The BullMQ queue name of an agency: `{deliver-<id>}` (hash tag: one cluster slot per agency). */
export const deliveryQueueName = (agencyId: string): string => `{deliver-${checkAgencyId(agencyId)}}`;

/** The agency of a queue name made by deliveryQueueName. */
export function agencyOfQueue(queueName: string): string {
  const m = /^\{deliver-([0-9A-Z][0-9A-Z.-]*)\}$/.exec(queueName);
  if (!m) throw new KysoError('INVALID_ARGUMENT', `Không phải hàng đợi chuyển phát: ${queueName}`, `Not a delivery queue: ${queueName}`);
  return m[1]!;
}

export class DeliveryQueues {
  readonly connection: Redis;
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
  /** The dead-letter hash: message id → DeadLetter JSON. */
  readonly deadKey: string;
  private readonly keepCompletedSeconds: number;
  private readonly queues = new Map<string, Queue<DeliveryJobData>>();

  constructor(opts: DeliveryQueueOptions) {
    this.connection = opts.connection;
    this.prefix = checkRedisPrefix(opts.prefix ?? DEFAULT_REDIS_PREFIX);
    this.attempts = opts.attempts ?? 8;
    this.backoffMs = opts.backoffMs ?? 2000;
    this.keepCompletedSeconds = opts.keepCompletedSeconds ?? 86_400;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new KysoError('INVALID_ARGUMENT', 'attempts phải ≥ 1', 'attempts must be an integer ≥ 1');
    if (!(this.backoffMs >= 0)) throw new KysoError('INVALID_ARGUMENT', 'backoffMs phải ≥ 0', 'backoffMs must be ≥ 0');
    this.deadKey = `${this.prefix}:{dead}`;
  }

  /** The agency's queue (created on first use, then cached). */
  queue(agencyId: string): Queue<DeliveryJobData> {
    let q = this.queues.get(agencyId);
    if (!q) {
      q = new Queue<DeliveryJobData>(deliveryQueueName(agencyId), { connection: this.connection, prefix: this.prefix });
      // Errors of the shared connection are reported by its owner; without a listener an EventEmitter throws.
      q.on('error', () => {});
      this.queues.set(agencyId, q);
    }
    return q;
  }

  /** The options every delivery job gets. */
  jobOptions(messageId: string): JobsOptions {
    return {
      jobId: messageId,
      attempts: this.attempts,
      backoff: { type: 'exponential', delay: this.backoffMs },
      removeOnComplete: { age: this.keepCompletedSeconds },
      // Failed jobs stay until replayed: the dead-letter hash says why, the job keeps its stack traces.
      removeOnFail: false,
    };
  }

  /**
   * Queues the message for delivery to `agencyId`. Idempotent: a message already waiting, being delivered,
   * delivered within keepCompletedSeconds, or dead is not queued a second time (`added: false`).
   */
  async enqueue(agencyId: string, messageId: string): Promise<{ jobId: string; added: boolean }> {
    const data = { messageId };
    assertDeliveryJobData(data);
    const q = this.queue(agencyId);
    const job = await q.add('deliver', data, this.jobOptions(messageId));
    // BullMQ returns the existing job's id for a duplicate without telling; its timestamp tells.
    const stored = await q.getJob(messageId);
    const added = !stored || stored.timestamp === job.timestamp;
    return { jobId: job.id ?? messageId, added };
  }

  /** Many messages for one agency in one round trip (addBulk); duplicates are skipped as in enqueue. */
  async enqueueMany(agencyId: string, messageIds: readonly string[]): Promise<void> {
    const jobs = messageIds.map((messageId) => {
      const data = { messageId };
      assertDeliveryJobData(data);
      return { name: 'deliver', data, opts: this.jobOptions(messageId) };
    });
    await this.queue(agencyId).addBulk(jobs);
  }

  /** The job of a message, if Redis still has it. */
  getJob(agencyId: string, messageId: string): Promise<Job<DeliveryJobData> | undefined> {
    return this.queue(agencyId).getJob(checkMessageId(messageId));
  }

  // -------------------------------------------------------------------------------------------------------
  // Dead letters

  /**
   * Records a dead message. `onlyIfAbsent`: keep an existing record (the worker's own record has the better
   * reason; the 'failed' event only fills in what the processor could not, e.g. a job that stalled too often).
   * Returns whether a record was written.
   */
  async markDead(entry: DeadLetter, opts: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    checkMessageId(entry.messageId);
    const json = JSON.stringify(entry);
    if (opts.onlyIfAbsent) return (await this.connection.hsetnx(this.deadKey, entry.messageId, json)) === 1;
    await this.connection.hset(this.deadKey, entry.messageId, json);
    return true;
  }

  async getDead(messageId: string): Promise<DeadLetter | undefined> {
    const v = await this.connection.hget(this.deadKey, checkMessageId(messageId));
    return v ? (JSON.parse(v) as DeadLetter) : undefined;
  }

  /** The operator view: every dead message, oldest failure first. */
  async listDead(): Promise<DeadLetter[]> {
    const all = await this.connection.hvals(this.deadKey);
    return all.map((v) => JSON.parse(v) as DeadLetter).sort((a, b) => a.failedAt.localeCompare(b.failedAt) || a.messageId.localeCompare(b.messageId));
  }

  /** Removes a dead-letter record (the worker does this after a successful delivery). */
  async clearDead(messageId: string): Promise<void> {
    await this.connection.hdel(this.deadKey, checkMessageId(messageId));
  }

  /**
   * Queues a dead message again with a fresh set of attempts: its failed job is moved back to waiting (same job
   * id, counters reset) or, if Redis no longer has it, added anew. The dead record is removed afterwards — a
   * crash in between leaves a record that the successful delivery removes: the requeued job is marked as a replay
   * (isReplayJob), which tells the worker to delete the record. `onReplay` lets the caller reset the
   * message's status (e.g. to 'queued'). Returns false if the message is not dead.
   */
  async replayDead(messageId: string, onReplay?: (entry: DeadLetter) => Promise<void>): Promise<boolean> {
    const entry = await this.getDead(messageId);
    if (!entry) return false;
    const q = this.queue(entry.agencyId);
    const job = await q.getJob(messageId);
    const state = job ? await job.getState() : undefined;
    if (job && state === 'failed') {
      // Marked before it can run again (progress is not touched by the retry).
      await job.updateProgress({ replay: true });
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else if (!job || state === 'completed' || state === 'unknown') {
      if (job) await job.remove();
      await q.add(REPLAY_JOB_NAME, { messageId }, this.jobOptions(messageId));
    }
    // Otherwise (waiting, active, delayed) it is already on its way.
    if (onReplay) await onReplay(entry);
    await this.clearDead(messageId);
    return true;
  }

  /** Closes the queues (not the shared connection). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
