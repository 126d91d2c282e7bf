// The maintenance job (issue 5, Deadlines): runs the overdue scan (overdue-scan.ts) every N minutes in the
// worker role and then, when an adapter is configured, one delivery pass of the notification outbox. Each scan
// first recomputes provisional deadlines whose official year table has arrived (deadline-recompute.ts).
//
// Scheduling is a BullMQ job scheduler on the queue `{maintenance}` (braces: a Redis Cluster hash tag, so the
// queue's keys share one slot, like the delivery queues; same key prefix as them). Every worker upserts the same
// scheduler id, so there is one schedule however many workers start — the last one to start sets the period —
// and each tick is one job that exactly one worker takes. Should a pass outlast the period, or someone call
// runNow() meanwhile, the scan's advisory lock makes the second pass return `skipped` instead of overlapping.
import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { KysoError } from '../../errors.ts';
import type { Database } from '../../store/database.ts';
import { isoVn } from '../../util/vn-time.ts';
import { checkRedisPrefix, DEFAULT_REDIS_PREFIX } from '../queue/redis-connection.ts';
import { deliverNotifications, type DeliveryPassResult, type NotificationAdapter } from '../notifications/outbox.ts';
import type { DeadlinePolicy } from './deadlines.ts';
import { scanOverdue, type OverdueScanResult } from './overdue-scan.ts';
import type { WorkingCalendar } from './working-calendar.ts';

export const MAINTENANCE_QUEUE = '{maintenance}';
export const OVERDUE_SCHEDULER_ID = 'overdue-scan';
export const DEFAULT_MAINTENANCE_EVERY_MS = 15 * 60_000;

export interface MaintenanceOptions {
  /** Shared client (createRedis: maxRetriesPerRequest null). Not closed by close(). */
  connection: Redis;
  /** Key prefix, the delivery queues' (default `kyso`). */
  prefix?: string;
  db: Database;
  /** Scan period in ms (default 15 minutes). */
  everyMs?: number;
  policy?: DeadlinePolicy;
  calendar?: WorkingCalendar;
  /** The clock of the scan (default the system clock). */
  now?: () => Date;
  /** Delivers the outbox after each scan (e.g. webhookAdapter()); without it notifications wait to be fetched. */
  notifications?: NotificationAdapter;
  /** Called after each pass this process ran (logging, tests). */
  onRun?: (run: MaintenanceRun) => void;
}

export interface MaintenanceRun {
  /** Which process ran it (random per startMaintenance). */
  instance: string;
  /** The BullMQ job, for a scheduled pass; absent for runNow(). */
  jobId?: string;
  startedAt: Date;
  finishedAt: Date;
  scan: OverdueScanResult;
  delivery?: DeliveryPassResult;
}

export interface Maintenance {
  /** One pass now, in this process (skipped when another pass holds the lock). */
  runNow(): Promise<MaintenanceRun>;
  /** Stops taking jobs (waits for a pass in progress). The schedule stays for the other workers. */
  close(): Promise<void>;
  /** Errors of scheduled passes and of the worker's connection, latest last (at most 100). */
  readonly errors: Error[];
}

function checkEvery(everyMs: number): number {
  if (!Number.isInteger(everyMs) || everyMs < 100) {
    throw new KysoError('INVALID_ARGUMENT', `Chu kỳ quét hồ sơ quá hạn không hợp lệ: ${everyMs} ms`, `Invalid overdue scan period: ${everyMs} ms (an integer ≥ 100)`);
  }
  return everyMs;
}

/** What a completed job keeps as its return value: enough to see who ran which pass when. */
function jobSummary(run: MaintenanceRun): Record<string, unknown> {
  const { scan } = run;
  return {
    instance: run.instance,
    startedAt: isoVn(run.startedAt),
    finishedAt: isoVn(run.finishedAt),
    startedAtMs: run.startedAt.getTime(),
    finishedAtMs: run.finishedAt.getTime(),
    skipped: scan.skipped,
    examined: scan.examined,
    newlyOverdue: scan.newlyOverdue,
    recomputedDeadlines: scan.recomputedDeadlines,
    notifications: scan.overdueNotices + scan.progressReminders + scan.transferNotices,
    errors: scan.errors.length,
    ...(run.delivery ? { delivered: run.delivery.delivered, deliveryFailed: run.delivery.failed.length } : {}),
  };
}

/** Starts the schedule (idempotent across workers) and this process's maintenance worker. */
export async function startMaintenance(opts: MaintenanceOptions): Promise<Maintenance> {
  const prefix = checkRedisPrefix(opts.prefix ?? DEFAULT_REDIS_PREFIX);
  const everyMs = checkEvery(opts.everyMs ?? DEFAULT_MAINTENANCE_EVERY_MS);
  const instance = randomBytes(6).toString('hex');
  const errors: Error[] = [];
  const remember = (e: unknown) => {
    errors.push(e instanceof Error ? e : new Error(String(e)));
    if (errors.length > 100) errors.shift();
  };

  const pass = async (jobId?: string): Promise<MaintenanceRun> => {
    const startedAt = new Date();
    const scan = await scanOverdue(opts.db, {
      now: opts.now?.() ?? new Date(),
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.calendar ? { calendar: opts.calendar } : {}),
    });
    const delivery = opts.notifications && !scan.skipped ? await deliverNotifications(opts.db, opts.notifications, { ...(opts.now ? { now: opts.now } : {}) }) : undefined;
    const run: MaintenanceRun = { instance, ...(jobId ? { jobId } : {}), startedAt, finishedAt: new Date(), scan, ...(delivery ? { delivery } : {}) };
    try {
      opts.onRun?.(run);
    } catch (e) {
      remember(e);
    }
    return run;
  };

  const queue = new Queue(MAINTENANCE_QUEUE, { connection: opts.connection, prefix });
  queue.on('error', remember);
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job: Job) => {
      if (job.name !== OVERDUE_SCHEDULER_ID) return { ignored: job.name };
      return jobSummary(await pass(job.id));
    },
    // One pass at a time per process; the lock is renewed while a pass runs, so a long pass is not taken over.
    { connection: opts.connection, prefix, concurrency: 1, lockDuration: 60_000, autorun: false },
  );
  worker.on('error', remember);
  worker.on('failed', (_job, err) => remember(err));
  try {
    await queue.upsertJobScheduler(
      OVERDUE_SCHEDULER_ID,
      { every: everyMs },
      { name: OVERDUE_SCHEDULER_ID, data: {}, opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
    );
    void worker.run().catch(remember);
    await worker.waitUntilReady();
  } catch (e) {
    await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
    throw e;
  }

  return {
    errors,
    runNow: () => pass(),
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
