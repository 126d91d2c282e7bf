// The delivery worker (issue 5, Flow → Delivery).
//
// For each job it loads the message by id (MessageSource; bytes kept in the database come with it, one statement;
// SqlMessageSource answers the loads that arrive while one is in flight with one query for all of them), then
//   - push: POSTs the package bytes (hash-checked against their SHA-256 name, as BlobStore does on every read) to
//     the agency's webhook (node:http, keep-alive);
//     only a 2xx answer counts as delivered; anything else, a refused connection or a timeout is a failed
//     attempt and BullMQ retries with exponential backoff;
//   - pull: marks the message delivered, i.e. available in the agency's inbox (GET /api/v1/inbox).
// Every attempt appends an audit entry (actor 'worker': delivery.attempt), then delivery.delivered or, after
// the last attempt, delivery.dead with the reason. Successful deliveries are recorded by group commit
// (store/group-commit.ts): under load, many in one transaction; each job completes only once its own record is
// committed.
//
// Delivery is at-least-once: a worker that dies after the webhook answered but before the job was completed
// is redone by another worker (BullMQ stalled-job recovery). The webhook receives `X-Kyso-Message-Id` so it
// can discard the repeat; kyso itself never delivers a message whose status is already delivered/acknowledged.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { KysoError } from '../../errors.ts';
import { checkBlobBytes } from '../../store/blob-store.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { appendAudit, appendAuditManyInTx, type AuditEvent } from '../audit/audit-log.ts';
import { assertDeliveryJobData, deliveryQueueName, isReplayJob, type DeadLetter, type DeliveryJobData, type DeliveryQueues } from './delivery-queue.ts';
import { GroupCommit, type GroupCommitStats } from '../../store/group-commit.ts';
import { closeWebhookAgents, createWebhookAgents, postWebhook, WebhookPostError, type WebhookAgents } from './webhook-post.ts';

export type MessageStatus = 'received' | 'rejected' | 'queued' | 'delivered' | 'acknowledged' | 'dead';

/** What the worker needs to know about a message. */
export interface DeliveryMessage {
  id: string;
  toAgency: string;
  /** SHA-256 (hex) of the package in the blob store. */
  packageSha256: string;
  status: MessageStatus;
  mode: 'push' | 'pull';
  /** Push only. */
  webhookUrl?: string | null;
  /** Content-Type of the POST (default application/xml: an edXML package). */
  mediaType?: string;
  /**
   * Optional: the package bytes, when the source could read them with the message (push, bytes kept in the
   * database). Not trusted: the worker checks them against packageSha256 (and packageSize) before sending.
   */
  packageBytes?: Uint8Array;
  /** The blob's recorded size, checked with packageBytes. */
  packageSize?: number;
}

/** One successful delivery to record: the status change and its audit entries. */
export interface DeliveryRecord {
  messageId: string;
  events: readonly AuditEvent[];
}

/** Where messages come from and where their delivery status goes (the `messages` table, or a test double). */
export interface MessageSource {
  load(messageId: string): Promise<DeliveryMessage | undefined>;
  setStatus(messageId: string, status: Extract<MessageStatus, 'queued' | 'delivered' | 'dead'>, reason?: string | null): Promise<void>;
  /**
   * Optional: marks the messages delivered and records their events in the audit log in ONE transaction, all or
   * nothing (group commit; the status and its audit entries can never disagree); events in the order given.
   */
  markDeliveredMany?(records: readonly DeliveryRecord[]): Promise<void>;
}

/** The package bytes by SHA-256 (a BlobStore). */
export interface PackageSource {
  get(sha256: string): Promise<Uint8Array>;
}

/** Where audit events go. */
export type AuditSink = (event: AuditEvent) => Promise<unknown>;

/** Audit events appended to the database's hash-chained audit log. */
export const auditToDatabase =
  (db: Database): AuditSink =>
  (event) =>
    appendAudit(db, event);

const FINISHED: readonly MessageStatus[] = ['delivered', 'acknowledged'];

/** A uuid as PostgreSQL prints it (lowercase, hyphenated): how SqlMessageSource matches rows to batched loads. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The `messages` table joined with `agencies` (delivery mode, webhook). */
export class SqlMessageSource implements MessageSource {
  /** With a Database (not just a Queryable), deliveries are recorded in one transaction (markDeliveredMany). */
  constructor(private readonly db: Queryable | Database) {
    if ('transaction' in db) {
      const database = db;
      // Messages before the audit head: the same lock order as every other writer.
      this.markDeliveredMany = (records) =>
        database.transaction(async (tx) => {
          await tx.query(`UPDATE messages SET status = 'delivered', status_reason = NULL, updated_at = now() WHERE id = ANY($1::uuid[]) AND status NOT IN ('acknowledged', 'rejected')`, [
            records.map((r) => r.messageId),
          ]);
          await appendAuditManyInTx(tx, records.flatMap((r) => r.events));
        });
    }
  }

  markDeliveredMany?: (records: readonly DeliveryRecord[]) => Promise<void>;

  /**
   * Loads by natural batching (store/group-commit.ts, DataLoader style): a load made while none is in flight goes
   * at once, alone; the loads that arrive while one is in flight (the worker's jobs, `concurrency` per agency
   * queue, several queues) go together in the next query, `WHERE m.id = ANY($1)`. Each caller gets its own row
   * (undefined when its id has none); a failed query rejects every caller of that batch — nothing to retry one
   * by one, as no single id can make it fail (see load()).
   */
  private readonly loader = new GroupCommit<string, DeliveryMessage | undefined>({
    writeMany: async (ids) => {
      const byId = new Map((await this.select(ids)).map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id));
    },
    maxBatch: 100,
    retryOneByOne: false,
  });

  /** Loads so far: queries that answered several (batches) or one (singles), ids answered (recorded). */
  loadStats(): GroupCommitStats {
    return { ...this.loader.stats };
  }

  load(messageId: string): Promise<DeliveryMessage | undefined> {
    // Only ids in the form PostgreSQL answers them in join a batch: their row is found again by its id, and none
    // of them can make the uuid[] cast fail for the others. Any other id (a job id is checked only against
    // MESSAGE_ID) is looked up alone, so whatever PostgreSQL says of it is said to its own job only.
    if (!CANONICAL_UUID.test(messageId)) return this.select([messageId]).then((rows) => rows[0]);
    return this.loader.write(messageId);
  }

  private async select(ids: readonly string[]): Promise<DeliveryMessage[]> {
    // The package bytes come along when a push will need them and they are in the row (storage 'db'): one round
    // trip instead of two. Never for pull, nor for a message already delivered (it is not sent again).
    const r = await this.db.query<{
      id: string;
      to_agency: string;
      package_blob: string;
      status: MessageStatus;
      delivery_mode: 'push' | 'pull';
      webhook_url: string | null;
      media_type: string;
      size: number;
      bytes: Uint8Array | null;
    }>(
      `SELECT m.id, m.to_agency, m.package_blob, m.status, a.delivery_mode, a.webhook_url, b.media_type, b.size,
              CASE WHEN b.storage = 'db' AND a.delivery_mode = 'push' AND m.status NOT IN ('delivered', 'acknowledged', 'rejected') THEN b.bytes END AS bytes
         FROM messages m JOIN agencies a ON a.id = m.to_agency JOIN blobs b ON b.sha256 = m.package_blob
        WHERE m.id = ANY($1::uuid[])`,
      [ids],
    );
    return r.rows.map((row) => ({
      id: row.id,
      toAgency: row.to_agency,
      packageSha256: row.package_blob,
      status: row.status,
      mode: row.delivery_mode,
      webhookUrl: row.webhook_url,
      mediaType: row.media_type,
      ...(row.bytes ? { packageBytes: row.bytes, packageSize: Number(row.size) } : {}),
    }));
  }

  async setStatus(messageId: string, status: 'queued' | 'delivered' | 'dead', reason: string | null = null): Promise<void> {
    // Never moves a message back from acknowledged (the agency confirmed it) or from rejected.
    await this.db.query(
      `UPDATE messages SET status = $2, status_reason = $3, updated_at = now()
        WHERE id = $1 AND status NOT IN ('acknowledged', 'rejected')`,
      [messageId, status, reason],
    );
  }
}

export interface DeliveryWorkerOptions {
  queues: DeliveryQueues;
  source: MessageSource;
  blobs: PackageSource;
  /** Default: no audit (tests, benchmarks). The service passes auditToDatabase(db). */
  audit?: AuditSink;
  /**
   * The audit sink writes to the source's database (the service: auditToDatabase(db) with SqlMessageSource(db)):
   * a successful delivery then records its status and audit entries in one transaction (source.markDeliveredMany).
   */
  auditWithSource?: boolean;
  /** Jobs in flight per agency queue (default 10). */
  concurrency?: number;
  /** Push: abort the POST after this long (default 15 s); a timeout is a failed attempt. */
  pushTimeoutMs?: number;
  /** BullMQ lock: a job whose worker stops renewing it for this long is taken over (default 30 s). */
  lockDuration?: number;
  /** How often to look for stalled jobs (default 30 s). */
  stalledInterval?: number;
  /** Stalls tolerated before a job fails (default 1). */
  maxStalledCount?: number;
  /**
   * Replaceable for tests: when given, pushes go through it (as before) instead of node:http. With neither,
   * node:http/https with keep-alive agents (webhookMaxSockets connections per webhook host, default 64).
   */
  fetch?: typeof fetch;
  webhookMaxSockets?: number;
  /** Most deliveries recorded in one transaction (default 200). */
  maxRecordBatch?: number;
}

export interface DeliveryResult {
  outcome: 'delivered' | 'already-delivered';
  mode?: 'push' | 'pull';
  httpStatus?: number;
}

/** A failed attempt with a reason fit for the dead-letter view. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'AttemptFailed';
  }
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const code = err?.cause?.code;
  return code ? `${code}${err.cause?.message ? `: ${err.cause.message}` : ''}` : String(err?.message ?? e);
}

export class DeliveryWorker {
  private readonly workers = new Map<string, Worker<DeliveryJobData, DeliveryResult>>();
  private readonly opts: Required<Pick<DeliveryWorkerOptions, 'concurrency' | 'pushTimeoutMs' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>> & DeliveryWorkerOptions;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly agents: WebhookAgents | undefined;
  /** Records successful deliveries by group commit (service setup: auditWithSource and source.markDeliveredMany). */
  private readonly recorder: GroupCommit<DeliveryRecord> | undefined;
  /** Errors the worker could not attach to a job (Redis down, audit failures in event handlers). */
  readonly errors: Error[] = [];
  /** Dead-letter deletions skipped because no dead record could exist (see mayHaveDeadRecord). */
  private skippedClearDead = 0;

  constructor(opts: DeliveryWorkerOptions) {
    this.opts = { concurrency: 10, pushTimeoutMs: 15_000, lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 1, ...opts };
    this.fetchImpl = opts.fetch;
    this.agents = opts.fetch ? undefined : createWebhookAgents(opts.webhookMaxSockets ?? 64);
    const { source } = opts;
    if (opts.auditWithSource && opts.audit && source.markDeliveredMany) {
      const many = source.markDeliveredMany.bind(source);
      this.recorder = new GroupCommit<DeliveryRecord>({
        writeMany: async (records) => {
          await many(records);
          return records.map(() => undefined);
        },
        ...(opts.maxRecordBatch ? { maxBatch: opts.maxRecordBatch } : {}),
      });
    }
  }

  /** Counters for tests and benchmarks: transactions of the group commit, and Redis deletions saved. */
  stats(): { recorder?: GroupCommitStats; skippedClearDead: number } {
    return { ...(this.recorder ? { recorder: { ...this.recorder.stats } } : {}), skippedClearDead: this.skippedClearDead };
  }

  /** Starts consuming the queues of these agencies (idempotent per agency). */
  start(agencyIds: readonly string[]): this {
    for (const id of agencyIds) this.add(id);
    return this;
  }

  add(agencyId: string): void {
    if (this.workers.has(agencyId)) return;
    const { queues } = this.opts;
    const w = new Worker<DeliveryJobData, DeliveryResult>(deliveryQueueName(agencyId), (job) => this.process(agencyId, job), {
      connection: queues.connection,
      prefix: queues.prefix,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDuration,
      stalledInterval: this.opts.stalledInterval,
      maxStalledCount: this.opts.maxStalledCount,
    });
    w.on('error', (e) => this.remember(e));
    // A worker that died mid-delivery (killed, or stopped renewing its lock) could not audit its attempt: the
    // worker that takes the job over says so before delivering again (the job id is the message id).
    w.on('stalled', (jobId) => {
      void this.audit({ action: 'delivery.stalled', subject: jobId, details: { agency: agencyId, reason: 'the worker delivering it stopped before finishing (lock expired); delivering again' } }).catch((e) => this.remember(e));
    });
    // A job can fail without the processor deciding it (it stalled more than maxStalledCount): make sure it is
    // in the dead-letter view too. The processor's own record, when there is one, is kept.
    w.on('failed', (job, err) => {
      if (!job) return;
      const final = err?.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) void this.dead(agencyId, job.data.messageId, err?.message ?? 'failed', job.attemptsMade, true).catch((e) => this.remember(e));
    });
    this.workers.set(agencyId, w);
  }

  /** Resolves once every worker is connected and listening. */
  async waitUntilReady(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
  }

  /**
   * Stops taking jobs. Graceful (default): waits for jobs in flight to finish. `force`: returns at once; jobs in
   * flight keep their lock until it expires and are then taken over by another worker.
   */
  async close(force = false): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close(force)));
    this.workers.clear();
    // Forced: a POST in flight keeps its connection (as a worker that died would); idle ones go either way.
    if (this.agents) closeWebhookAgents(this.agents, !force);
  }

  private remember(e: unknown): void {
    this.errors.push(e instanceof Error ? e : new Error(String(e)));
    if (this.errors.length > 100) this.errors.shift();
  }

  private async audit(event: Omit<AuditEvent, 'actor'>): Promise<void> {
    if (this.opts.audit) await this.opts.audit({ actor: 'worker', ...event });
  }

  private async process(agencyId: string, job: Job<DeliveryJobData, DeliveryResult>): Promise<DeliveryResult> {
    assertDeliveryJobData(job.data);
    const { messageId } = job.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const { source } = this.opts;

    const msg = await source.load(messageId);
    if (!msg) return this.failFinally(agencyId, messageId, attempt, 'message not found');
    if (FINISHED.includes(msg.status)) return { outcome: 'already-delivered' };
    if (msg.status === 'rejected') return this.failFinally(agencyId, messageId, attempt, 'message was rejected; it is never delivered', msg.packageSha256);
    if (msg.toAgency !== agencyId) return this.failFinally(agencyId, messageId, attempt, `message is addressed to ${msg.toAgency}, not ${agencyId}`, msg.packageSha256);

    let httpStatus: number | undefined;
    try {
      if (msg.mode === 'push') httpStatus = await this.push(msg);
    } catch (e) {
      const reason = e instanceof AttemptFailed || e instanceof KysoError ? e.message : `error: ${(e as Error)?.message ?? String(e)}`;
      const failedStatus = e instanceof AttemptFailed ? e.httpStatus : undefined;
      await this.audit({
        action: 'delivery.attempt',
        subject: messageId,
        documentSha256: msg.packageSha256,
        details: { agency: agencyId, mode: msg.mode, attempt, maxAttempts, ok: false, reason, ...(failedStatus !== undefined ? { httpStatus: failedStatus } : {}) },
      });
      if (attempt >= maxAttempts) await this.dead(agencyId, messageId, reason, attempt, false, msg.packageSha256);
      throw new AttemptFailed(reason, failedStatus);
    }

    const attemptEvent: Omit<AuditEvent, 'actor'> = {
      action: 'delivery.attempt',
      subject: messageId,
      documentSha256: msg.packageSha256,
      details: { agency: agencyId, mode: msg.mode, attempt, maxAttempts, ok: true, ...(httpStatus !== undefined ? { httpStatus } : {}) },
    };
    const deliveredEvent: Omit<AuditEvent, 'actor'> = {
      action: 'delivery.delivered',
      subject: messageId,
      documentSha256: msg.packageSha256,
      details: { agency: agencyId, mode: msg.mode, attempt, ...(httpStatus !== undefined ? { httpStatus } : {}) },
    };
    const events = [attemptEvent, deliveredEvent].map((e) => ({ actor: 'worker', ...e }));
    if (this.recorder) {
      // Status and both audit entries in one transaction, shared with the deliveries finishing meanwhile.
      await this.recorder.write({ messageId, events });
      await this.clearDead(job, msg);
    } else {
      await this.audit(attemptEvent);
      await source.setStatus(messageId, 'delivered', null);
      await this.clearDead(job, msg);
      await this.audit(deliveredEvent);
    }
    return { outcome: 'delivered', mode: msg.mode, ...(httpStatus !== undefined ? { httpStatus } : {}) };
  }

  /**
   * Removes the message's dead-letter record after a successful delivery — unless none can exist, which saves a
   * Redis round trip per delivery. A record exists only if a dead letter was written for this message, and
   * every way one is written leaves a mark on the job or the message that we see here:
   *   - the worker's own final attempt (dead() or failFinally()) or the 'failed' handler: the job then failed
   *     (it has a stack trace, or stalled: stalledCounter > 0) or the worker died in between and the job is
   *     taken over (attemptsStarted > 1, stalledCounter > 0); if the status was already set, it is 'dead';
   *   - the job goes on only through replayDead, which re-adds it named 'replay' or marks the retried job
   *     (isReplayJob) before requeueing it — so a crash between the requeue and replayDead's own deletion still
   *     leaves a job that deletes the stale record here.
   * A first attempt of a plain 'deliver' job, never stalled, never failed, on a message not 'dead', has none.
   */
  private async clearDead(job: Job<DeliveryJobData, DeliveryResult>, msg: DeliveryMessage): Promise<void> {
    if (!mayHaveDeadRecord(job, msg)) {
      this.skippedClearDead++;
      return;
    }
    await this.opts.queues.clearDead(msg.id);
  }

  /** The package bytes: from the message row when they came with it (hash-checked here), else the blob store. */
  private packageBytes(msg: DeliveryMessage): Promise<Uint8Array> | Uint8Array {
    if (msg.packageBytes) return checkBlobBytes(msg.packageSha256, msg.packageBytes, msg.packageSize);
    return this.opts.blobs.get(msg.packageSha256);
  }

  /** One POST of the package; resolves with the 2xx status, throws AttemptFailed otherwise. */
  private async push(msg: DeliveryMessage): Promise<number> {
    if (!msg.webhookUrl) throw new AttemptFailed(`agency ${msg.toAgency} has no webhook URL`);
    const bytes = await this.packageBytes(msg);
    const headers = {
      'content-type': msg.mediaType ?? 'application/xml',
      'x-kyso-message-id': msg.id,
      'x-kyso-package-sha256': msg.packageSha256,
    };
    let status: number;
    if (this.fetchImpl) {
      try {
        const res = await this.fetchImpl(msg.webhookUrl, {
          method: 'POST',
          body: bytes as unknown as BodyInit,
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.opts.pushTimeoutMs),
        });
        // The answer body is not needed; reading it frees the connection for reuse.
        await res.arrayBuffer();
        status = res.status;
      } catch (e) {
        throw new AttemptFailed(`${describeFetchError(e, this.opts.pushTimeoutMs)} (POST ${msg.webhookUrl})`);
      }
    } else {
      try {
        status = await postWebhook(msg.webhookUrl, bytes, headers, this.opts.pushTimeoutMs, this.agents!);
      } catch (e) {
        throw new AttemptFailed(`${e instanceof WebhookPostError ? e.reason : describeFetchError(e, this.opts.pushTimeoutMs)} (POST ${msg.webhookUrl})`);
      }
    }
    if (status < 200 || status > 299) throw new AttemptFailed(`HTTP ${status} from ${msg.webhookUrl}`, status);
    return status;
  }

  /** A failure no retry can fix: dead at once. */
  private async failFinally(agencyId: string, messageId: string, attempt: number, reason: string, documentSha256?: string): Promise<never> {
    await this.audit({ action: 'delivery.attempt', subject: messageId, ...(documentSha256 ? { documentSha256 } : {}), details: { agency: agencyId, attempt, ok: false, reason } });
    await this.dead(agencyId, messageId, reason, attempt, false, documentSha256);
    throw new UnrecoverableError(reason);
  }

  private async dead(agencyId: string, messageId: string, reason: string, attempts: number, onlyIfAbsent: boolean, documentSha256?: string): Promise<void> {
    const entry: DeadLetter = { messageId, agencyId, reason, attempts, failedAt: new Date().toISOString() };
    const written = await this.opts.queues.markDead(entry, { onlyIfAbsent });
    if (!written) return;
    await this.opts.source.setStatus(messageId, 'dead', reason);
    await this.audit({ action: 'delivery.dead', subject: messageId, ...(documentSha256 ? { documentSha256 } : {}), details: { agency: agencyId, attempts, reason } });
  }
}

/** See DeliveryWorker.clearDead: whether a dead-letter record of this message can exist. */
export function mayHaveDeadRecord(job: Pick<Job, 'name' | 'attemptsMade' | 'attemptsStarted' | 'stalledCounter' | 'stacktrace' | 'progress'>, msg: Pick<DeliveryMessage, 'status'>): boolean {
  return (
    msg.status === 'dead' ||
    job.name !== 'deliver' ||
    job.attemptsMade > 0 ||
    (job.attemptsStarted ?? 0) > 1 ||
    (job.stalledCounter ?? 0) > 0 ||
    (job.stacktrace?.length ?? 0) > 0 ||
    isReplayJob(job)
  );
}
