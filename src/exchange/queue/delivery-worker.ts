// The delivery worker (issue 5, Flow → Delivery).
//
// For each job it loads the message by id (MessageSource), then
//   - push: POSTs the package bytes (BlobStore, by SHA-256, hash-checked on read) to the agency's webhook;
//     only a 2xx answer counts as delivered; anything else, a refused connection or a timeout is a failed
//     attempt and BullMQ retries with exponential backoff;
//   - pull: marks the message delivered, i.e. available in the agency's inbox (GET /api/v1/inbox).
// Every attempt appends an audit entry (actor 'worker': delivery.attempt), then delivery.delivered or, after
// the last attempt, delivery.dead with the reason.
//
// Delivery is at-least-once: a worker that dies after the webhook answered but before the job was completed
// is redone by another worker (BullMQ stalled-job recovery). The webhook receives `X-Kyso-Message-Id` so it
// can discard the repeat; kyso itself never delivers a message whose status is already delivered/acknowledged.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { KysoError } from '../../errors.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { appendAudit, appendAuditManyInTx, type AuditEvent } from '../audit/audit-log.ts';
import { assertDeliveryJobData, deliveryQueueName, type DeadLetter, type DeliveryJobData, type DeliveryQueues } from './delivery-queue.ts';

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
}

/** Where messages come from and where their delivery status goes (the `messages` table, or a test double). */
export interface MessageSource {
  load(messageId: string): Promise<DeliveryMessage | undefined>;
  setStatus(messageId: string, status: Extract<MessageStatus, 'queued' | 'delivered' | 'dead'>, reason?: string | null): Promise<void>;
  /**
   * Optional: marks the message delivered and records `events` in the audit log in one transaction (fewer round
   * trips on the hot path, and the status and its audit entries can never disagree).
   */
  markDelivered?(messageId: string, events: readonly AuditEvent[]): Promise<void>;
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

/** The `messages` table joined with `agencies` (delivery mode, webhook). */
export class SqlMessageSource implements MessageSource {
  /** With a Database (not just a Queryable), deliveries are recorded in one transaction (markDelivered). */
  constructor(private readonly db: Queryable | Database) {
    if ('transaction' in db) {
      const database = db;
      this.markDelivered = (messageId, events) =>
        database.transaction(async (tx) => {
          await tx.query(`UPDATE messages SET status = 'delivered', status_reason = NULL, updated_at = now() WHERE id = $1 AND status NOT IN ('acknowledged', 'rejected')`, [messageId]);
          await appendAuditManyInTx(tx, events);
        });
    }
  }

  markDelivered?: (messageId: string, events: readonly AuditEvent[]) => Promise<void>;

  async load(messageId: string): Promise<DeliveryMessage | undefined> {
    const r = await this.db.query<{ id: string; to_agency: string; package_blob: string; status: MessageStatus; delivery_mode: 'push' | 'pull'; webhook_url: string | null; media_type: string }>(
      `SELECT m.id, m.to_agency, m.package_blob, m.status, a.delivery_mode, a.webhook_url, b.media_type
         FROM messages m JOIN agencies a ON a.id = m.to_agency JOIN blobs b ON b.sha256 = m.package_blob
        WHERE m.id = $1`,
      [messageId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return { id: row.id, toAgency: row.to_agency, packageSha256: row.package_blob, status: row.status, mode: row.delivery_mode, webhookUrl: row.webhook_url, mediaType: row.media_type };
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
   * a successful delivery then records its status and audit entries in one transaction (source.markDelivered).
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
  /** Replaceable for tests. */
  fetch?: typeof fetch;
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
  private readonly fetchImpl: typeof fetch;
  /** Errors the worker could not attach to a job (Redis down, audit failures in event handlers). */
  readonly errors: Error[] = [];

  constructor(opts: DeliveryWorkerOptions) {
    this.opts = { concurrency: 10, pushTimeoutMs: 15_000, lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 1, ...opts };
    this.fetchImpl = opts.fetch ?? fetch;
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
    if (this.opts.auditWithSource && this.opts.audit && source.markDelivered) {
      // Status and both audit entries in one transaction.
      await source.markDelivered(messageId, [attemptEvent, deliveredEvent].map((e) => ({ actor: 'worker', ...e })));
      await this.opts.queues.clearDead(messageId);
    } else {
      await this.audit(attemptEvent);
      await source.setStatus(messageId, 'delivered', null);
      await this.opts.queues.clearDead(messageId);
      await this.audit(deliveredEvent);
    }
    return { outcome: 'delivered', mode: msg.mode, ...(httpStatus !== undefined ? { httpStatus } : {}) };
  }

  /** One POST of the package; resolves with the 2xx status, throws AttemptFailed otherwise. */
  private async push(msg: DeliveryMessage): Promise<number> {
    if (!msg.webhookUrl) throw new AttemptFailed(`agency ${msg.toAgency} has no webhook URL`);
    const bytes = await this.opts.blobs.get(msg.packageSha256);
    let res: Response;
    try {
      res = await this.fetchImpl(msg.webhookUrl, {
        method: 'POST',
        body: bytes as unknown as BodyInit,
        headers: {
          'content-type': msg.mediaType ?? 'application/xml',
          'x-kyso-message-id': msg.id,
          'x-kyso-package-sha256': msg.packageSha256,
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.pushTimeoutMs),
      });
      // The answer body is not needed; reading it frees the connection for reuse.
      await res.arrayBuffer();
    } catch (e) {
      throw new AttemptFailed(`${describeFetchError(e, this.opts.pushTimeoutMs)} (POST ${msg.webhookUrl})`);
    }
    if (res.status < 200 || res.status > 299) throw new AttemptFailed(`HTTP ${res.status} from ${msg.webhookUrl}`, res.status);
    return res.status;
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
