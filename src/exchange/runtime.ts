// Assembles the exchange backbone for one process (issue 5, Runtime): database + migrations, blob store,
// Redis (REDIS_URL or a private redis-server), delivery queues, the keys held for agencies, and — in the worker
// role — the delivery workers for every registered agency, the sweeper that enqueues committed-but-unqueued
// messages, and the overdue scan. `kyso serve` and the tests build the service through this one function.
import type { Redis } from 'ioredis';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { openBlobStore, type BlobStore, type BlobStoreOptions } from '../store/blob-store.ts';
import { openDatabase, type Database, type DatabaseConfig } from '../store/database.ts';
import { migrate } from '../store/migrate.ts';
import type { VerifyOptions } from '../verify/verify-options.ts';
import { listAgencies } from './agencies/agency-registry.ts';
import { AgencySigners } from './agencies/agency-signers.ts';
import { auditToDatabase } from './queue/delivery-worker.ts';
import { DeliveryQueues } from './queue/delivery-queue.ts';
import { DeliveryWorker, SqlMessageSource } from './queue/delivery-worker.ts';
import { createRedis, type PrivateRedis } from './queue/redis-connection.ts';
import { registryIsEmpty, seedDemo, type DemoCredentials } from './demo/demo-agencies.ts';
import type { DeadlinePolicy } from './deadlines/deadlines.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { packageVerifierThreads, type ContextWithVerifier } from './intake/package-verifier.ts';
import { listUnqueued } from './messages/messages.ts';
import { sealAuditLog, type AuditSeal } from './audit/audit-log.ts';
import { startMaintenance } from './deadlines/overdue-job.ts';
import { runArchivePass } from './archive/archive.ts';
import { webhookAdapter } from './notifications/outbox.ts';

export type ServeRole = 'api' | 'worker' | 'all';

export interface RuntimeConfig {
  role: ServeRole;
  database?: DatabaseConfig;
  /** An already open database (tests); not closed by close(). */
  db?: Database;
  blobs?: BlobStoreOptions;
  redis: { url: string; prefix?: string; privateServer?: PrivateRedis };
  verify: VerifyOptions;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  deadlines?: DeadlinePolicy;
  /** Seed the demo agencies when the registry is empty (default false; `kyso serve` turns it on). */
  demo?: boolean | { webhooks?: Record<string, string> };
  delivery?: { attempts?: number; backoffMs?: number; concurrency?: number; pushTimeoutMs?: number; lockDuration?: number; stalledInterval?: number };
  /** Sweeper period and the age after which an unqueued message is enqueued again (ms; default 5000 / 10000). */
  sweep?: { everyMs?: number; olderThanMs?: number };
  /** Threads verifying received packages (default env KYSO_EXCHANGE_VERIFY_THREADS, else one per core; 0: in this thread). */
  verifyThreads?: number;
  /** Archive pass period (B-LTA extension of new documents, renewals) and renewal horizon; false: none. */
  archive?: { everyMs?: number; horizonDays?: number } | false;
  /** Overdue scan and notification delivery period (default 15 min); false: no maintenance job. */
  maintenance?: { everyMs?: number } | false;
  /** How often the worker seals the audit chain head with an RFC 3161 timestamp (ms; default 10 min; needs tsaUrl). */
  sealEveryMs?: number;
  now?: () => Date;
}

export interface ExchangeRuntime {
  ctx: ExchangeContext;
  db: Database;
  blobs: BlobStore;
  queues: DeliveryQueues;
  redis: Redis;
  worker?: DeliveryWorker;
  /** Set on the first start in demo mode: the API keys to print once. */
  demo?: DemoCredentials;
  /** Starts delivery for an agency registered while running (worker role). */
  watchAgency(id: string): void;
  /** One sweeper pass: enqueues messages committed but not (or no longer) in Redis. */
  sweep(): Promise<number>;
  /** Seals the audit chain head now if it moved since the last seal; undefined when there was nothing new. */
  seal(): Promise<AuditSeal | undefined>;
  close(): Promise<void>;
}

export async function startExchangeRuntime(config: RuntimeConfig): Promise<ExchangeRuntime> {
  const ownDb = !config.db;
  const db = config.db ?? (await openDatabase(config.database));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    await migrate(db);
    const blobs = openBlobStore(db, config.blobs ?? {});
    const redis = createRedis(config.redis.url, { connectionName: `kyso-${config.role}` });
    redis.on('error', () => {}); // reconnects on its own; operations fail with REDIS_UNAVAILABLE meanwhile
    cleanups.push(async () => {
      redis.disconnect();
    });
    const queues = new DeliveryQueues({
      connection: redis,
      ...(config.redis.prefix ? { prefix: config.redis.prefix } : {}),
      ...(config.delivery?.attempts ? { attempts: config.delivery.attempts } : {}),
      ...(config.delivery?.backoffMs !== undefined ? { backoffMs: config.delivery.backoffMs } : {}),
    });
    cleanups.unshift(() => queues.close());
    const signers = new AgencySigners(db);
    cleanups.push(() => signers.close());
    // Received packages are verified in worker threads (API roles): this thread keeps to HTTP, SQL and Redis.
    const verifier = config.role === 'worker' ? undefined : packageVerifierThreads(config.verify, config.verifyThreads);
    if (verifier) cleanups.unshift(() => verifier.close());
    const ctx: ContextWithVerifier = {
      ...(verifier ? { verifyPackage: verifier.verifyPackage } : {}),
      db,
      blobs,
      queues,
      signers,
      verify: config.verify,
      ...(config.tsaUrl ? { tsaUrl: config.tsaUrl } : {}),
      ...(config.network ? { network: config.network } : {}),
      ...(config.deadlines ? { deadlines: config.deadlines } : {}),
      ...(config.now ? { now: config.now } : {}),
    };

    let demo: DemoCredentials | undefined;
    if (config.demo && (await registryIsEmpty(db))) {
      demo = await seedDemo(db, typeof config.demo === 'object' ? config.demo : {});
    }

    let worker: DeliveryWorker | undefined;
    let sweepTimer: NodeJS.Timeout | undefined;
    const sweep = async (): Promise<number> => {
      const stale = await listUnqueued(db, new Date(Date.now() - (config.sweep?.olderThanMs ?? 10_000)));
      for (const m of stale) await queues.enqueue(m.toAgency, m.id);
      // Two-phase signing sessions abandoned more than a day ago go (their steps stay in the audit trail).
      await db.query(`DELETE FROM signing_sessions WHERE state <> 'completed' AND expires_at < now() - interval '1 day'`);
      return stale.length;
    };
    const seal = async (): Promise<AuditSeal | undefined> => {
      if (!config.tsaUrl) return undefined;
      const r = await db.query<{ head: number; sealed: number | null }>('SELECT (SELECT seq FROM audit_head WHERE id = 1) AS head, (SELECT max(head_seq) FROM audit_seals) AS sealed');
      const { head, sealed } = r.rows[0]!;
      if (head === 0 || (sealed !== null && Number(sealed) >= Number(head))) return undefined;
      return sealAuditLog(db, { tsaUrl: config.tsaUrl, ...(config.network ? { network: config.network } : {}) });
    };
    if (config.role !== 'api') {
      worker = new DeliveryWorker({
        queues,
        source: new SqlMessageSource(db),
        blobs,
        audit: auditToDatabase(db),
        auditWithSource: true,
        ...(config.delivery?.concurrency ? { concurrency: config.delivery.concurrency } : {}),
        ...(config.delivery?.pushTimeoutMs ? { pushTimeoutMs: config.delivery.pushTimeoutMs } : {}),
        ...(config.delivery?.lockDuration ? { lockDuration: config.delivery.lockDuration } : {}),
        ...(config.delivery?.stalledInterval ? { stalledInterval: config.delivery.stalledInterval } : {}),
      });
      worker.start((await listAgencies(db)).map((a) => a.id));
      await worker.waitUntilReady();
      cleanups.unshift(() => worker!.close());
      const every = config.sweep?.everyMs ?? 5000;
      sweepTimer = setInterval(() => void sweep().catch(() => {}), every);
      sweepTimer.unref();
      cleanups.unshift(async () => clearInterval(sweepTimer));
      // Deadlines (issue 5): a repeatable BullMQ job flags overdue cases and emits reminders into the notification
      // outbox, then delivers them to push agencies' webhooks; one pass at a time across all workers.
      if (config.maintenance !== false) {
        const maintenance = await startMaintenance({
          connection: redis,
          prefix: queues.prefix,
          db,
          everyMs: config.maintenance?.everyMs ?? 15 * 60_000,
          notifications: webhookAdapter(),
          ...(config.deadlines ? { policy: config.deadlines } : {}),
          ...(config.now ? { now: config.now } : {}),
        });
        cleanups.unshift(() => maintenance.close());
      }
      // The archive (issue 7): new answers and packages extended to B-LTA, archives renewed before their newest
      // timestamp's TSA certificate expires (horizon 90 days by default).
      if (config.archive !== false && config.tsaUrl) {
        const policy = { horizonDays: config.archive?.horizonDays ?? 90 };
        const archiveTimer = setInterval(() => void runArchivePass(ctx, policy).catch(() => {}), config.archive?.everyMs ?? 5 * 60_000);
        archiveTimer.unref();
        cleanups.unshift(async () => clearInterval(archiveTimer));
      }
      // The audit trail is sealed periodically (issue 5, Audit trail): a TSA token over the chain head proves
      // every entry up to it existed, unchanged, at that time. A failed seal (TSA down) is retried next period.
      if (config.tsaUrl) {
        const sealTimer = setInterval(() => void seal().catch(() => {}), config.sealEveryMs ?? 10 * 60_000);
        sealTimer.unref();
        cleanups.unshift(async () => clearInterval(sealTimer));
      }
    }

    return {
      ctx,
      db,
      blobs,
      queues,
      redis,
      ...(worker ? { worker } : {}),
      ...(demo ? { demo } : {}),
      watchAgency(id: string) {
        worker?.add(id);
      },
      sweep,
      seal,
      async close() {
        for (const c of cleanups) await c().catch(() => {});
        if (ownDb) await db.close();
        await config.redis.privateServer?.stop();
      },
    };
  } catch (e) {
    for (const c of cleanups) await c().catch(() => {});
    if (ownDb) await db.close().catch(() => {});
    throw e;
  }
}
