// What the exchange operations need, passed explicitly: the store, the queues (absent in a process that only
// accepts and lets the sweeper enqueue), the keys held for agencies, validation settings and the clock.
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { appendAudit } from './audit/audit-log.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { Database } from '../store/database.ts';
import type { VerifyOptions } from '../verify/verify-options.ts';
import type { AgencySigners } from './agencies/agency-signers.ts';
import type { DeadlinePolicy } from './deadlines/deadlines.ts';
import type { DeliveryQueues } from './queue/delivery-queue.ts';

export interface ExchangeContext {
  db: Database;
  blobs: BlobStore;
  /** Where accepted messages are enqueued. Without it they wait for the sweeper (`kyso serve --role api`). */
  queues?: DeliveryQueues;
  signers: AgencySigners;
  /** Trust store, policy and network for verifying what arrives. */
  verify: VerifyOptions;
  /** RFC 3161 TSA for the signatures the service makes (B-T); unset: B-B. */
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  deadlines?: DeadlinePolicy;
  /** Largest accepted package in bytes (default 50 MiB). */
  maxPackageBytes?: number;
  now?: () => Date;
}

export const nowOf = (ctx: ExchangeContext): Date => (ctx.now ? ctx.now() : new Date());

/** How long a request waits for Redis to take its jobs before leaving them to the sweeper. */
const ENQUEUE_WAIT_MS = 2000;

/**
 * Enqueues after commit; a failure leaves the message for the sweeper rather than failing the request. The
 * shared connection queues commands while Redis is away (BullMQ needs maxRetriesPerRequest: null), so without a
 * bound a request would hang until Redis came back: it waits ENQUEUE_WAIT_MS at most, and not at all while the
 * connection is known to be down. Deferred messages are audited with the reason.
 */
export async function enqueueAll(ctx: ExchangeContext, items: readonly { id: string; toAgency: string }[]): Promise<void> {
  const queues = ctx.queues;
  if (!queues || items.length === 0) return;
  let reason: string | undefined;
  if (queues.connection.status !== 'ready') {
    reason = `Redis unavailable (connection ${queues.connection.status})`;
  } else {
    let timer: NodeJS.Timeout | undefined;
    const work = Promise.all(items.map((m) => queues.enqueue(m.toAgency, m.id)));
    work.catch(() => {}); // after a timeout it may still fail (or succeed: the job id is the message id, so no harm)
    const waited = new Promise<string>((r) => (timer = setTimeout(() => r(`Redis did not answer within ${ENQUEUE_WAIT_MS} ms`), ENQUEUE_WAIT_MS)));
    reason = await Promise.race([work.then(() => undefined), waited]).catch((e: unknown) => `Redis unavailable: ${(e as Error)?.message ?? String(e)}`);
    clearTimeout(timer);
  }
  if (reason === undefined) return;
  // The message rows are committed; the sweeper (worker role) enqueues them when Redis is back.
  for (const m of items) {
    await appendAudit(ctx.db, { actor: 'system:queue', action: 'delivery.deferred', subject: m.id, details: { agency: m.toAgency, reason } }).catch(() => {});
  }
}
