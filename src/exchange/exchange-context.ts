// What the exchange operations need, passed explicitly: the store, the queues (absent in a process that only
// accepts and lets the sweeper enqueue), the keys held for agencies, validation settings and the clock.
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
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

/** Enqueues after commit; a failure leaves the message for the sweeper rather than failing the request. */
export async function enqueueAll(ctx: ExchangeContext, items: readonly { id: string; toAgency: string }[]): Promise<void> {
  if (!ctx.queues || items.length === 0) return;
  try {
    await Promise.all(items.map((m) => ctx.queues!.enqueue(m.toAgency, m.id)));
  } catch {
    // Redis unavailable: the message rows are committed; the sweeper (worker role) enqueues them when Redis is back.
  }
}
