// Delivery over BullMQ against the real Redis (127.0.0.1:6379, or KYSO_TEST_REDIS_URL) with messages, blobs and
// the audit log in an in-memory PGlite: push to a local webhook, pull, retries while the webhook is down,
// dead letters and replay, de-duplication, a worker stopped mid-job, and what a job holds in Redis.
// Every key lives under a random prefix, removed at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { DeliveryQueues, assertDeliveryJobData, deliveryQueueName } from '../../src/exchange/queue/delivery-queue.ts';
import { DeliveryWorker, SqlMessageSource, auditToDatabase, type DeliveryWorkerOptions } from '../../src/exchange/queue/delivery-worker.ts';
import { createRedis, deletePrefixedKeys, freeLoopbackPort, startPrivateRedis } from '../../src/exchange/queue/redis-connection.ts';
import type { Database } from '../../src/store/database.ts';
import { BlobStore } from '../../src/store/blob-store.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openDatabase } from '../../src/store/database.ts';
import { until } from '../helpers/exchange.ts';

const REDIS_URL = process.env.KYSO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `kysotest_${randomBytes(5).toString('hex')}`;
const SENDER = '000.00.00.G01';

let redis: Redis;
let db: Database;
let blobs: BlobStore;
let source: SqlMessageSource;
const blobDir = mkdtempSync(join(tmpdir(), 'kyso-queue-blobs-'));

// ---------------------------------------------------------------------------------------------------------
// A webhook server with a behaviour per path (= per agency)

type Behaviour = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
interface Received {
  path: string;
  messageId: string;
  sha256: string;
  body: Buffer;
  contentType: string;
}
let server: Server;
let baseUrl: string;
const behaviours = new Map<string, Behaviour>();
const received: Received[] = [];
const sockets = new Set<Socket>();
const ok: Behaviour = (_q, res) => res.writeHead(200).end('ok');

function startServer(port = 0): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      received.push({ path, messageId: String(req.headers['x-kyso-message-id']), sha256: String(req.headers['x-kyso-package-sha256']), body, contentType: String(req.headers['content-type']) });
      (behaviours.get(path) ?? ok)(req, res, body);
    });
  });
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

const hits = (path: string) => received.filter((r) => r.path === path);

// ---------------------------------------------------------------------------------------------------------
// Helpers

async function addAgency(id: string, mode: 'push' | 'pull', webhookUrl: string | null = null): Promise<void> {
  await db.query('INSERT INTO agencies (id, name, delivery_mode, webhook_url) VALUES ($1, $2, $3, $4)', [id, `Agency ${id}`, mode, webhookUrl]);
}

async function newMessage(to: string, bytes: Uint8Array = randomBytes(2048)): Promise<{ id: string; sha256: string; bytes: Uint8Array }> {
  const sha256 = await blobs.put(bytes, 'application/xml');
  const r = await db.query<{ id: string }>(
    `INSERT INTO messages (idempotency_key, kind, from_agency, to_agency, package_blob, status)
     VALUES ($1, 'edoc', $2, $3, $4, 'queued') RETURNING id`,
    [randomBytes(8).toString('hex'), SENDER, to, sha256],
  );
  return { id: r.rows[0]!.id, sha256, bytes };
}

const status = async (id: string) => (await db.query<{ status: string; status_reason: string | null }>('SELECT status, status_reason FROM messages WHERE id = $1', [id])).rows[0];
/** Delivered and fully audited (the status changes just before the delivery.delivered entry is appended). */
const isDelivered = async (id: string) => (await status(id))?.status === 'delivered' && (await auditOf(id)).some((a) => a.action === 'delivery.delivered');
const auditOf = async (id: string) =>
  (await db.query<{ action: string; actor: string; details: Record<string, unknown>; document_sha256: string | null }>('SELECT action, actor, details, document_sha256 FROM audit_log WHERE subject = $1 ORDER BY seq', [id])).rows;

let agencySeq = 10;
const nextAgency = () => `000.00.00.H${agencySeq++}`;

/** Queues + a worker for one agency; closed by the returned dispose. */
function setup(agency: string, queueOpts: { attempts?: number; backoffMs?: number } = {}, workerOpts: Partial<DeliveryWorkerOptions> = {}) {
  const queues = new DeliveryQueues({ connection: redis, prefix: PREFIX, attempts: queueOpts.attempts ?? 3, backoffMs: queueOpts.backoffMs ?? 50 });
  const worker = new DeliveryWorker({ queues, source, blobs, audit: auditToDatabase(db), concurrency: 4, pushTimeoutMs: 2000, ...workerOpts }).start([agency]);
  return {
    queues,
    worker,
    async dispose() {
      await worker.close();
      await queues.close();
    },
  };
}

beforeAll(async () => {
  redis = createRedis(REDIS_URL);
  await redis.ping();
  db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  blobs = new BlobStore(db, 'file', blobDir);
  source = new SqlMessageSource(db);
  await addAgency(SENDER, 'pull');
  server = await startServer();
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
  if (redis) {
    await deletePrefixedKeys(redis, PREFIX);
    await redis.quit();
  }
  await db?.close();
  rmSync(blobDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------

describe('delivery queue', () => {
  it('names queues per agency with a cluster hash tag and refuses jobs with anything but the message id', () => {
    expect(deliveryQueueName('000.00.00.G22')).toBe('{deliver-000.00.00.G22}');
    expect(() => deliveryQueueName('x:y')).toThrow();
    expect(() => assertDeliveryJobData({ messageId: 'a1', package: 'PD94bWwg' })).toThrow(/only \{ messageId \}/);
    expect(() => assertDeliveryJobData(Buffer.from('x'))).toThrow();
    expect(() => assertDeliveryJobData({ messageId: 'a:b' })).toThrow();
    expect(() => assertDeliveryJobData({ messageId: 'ab-12' })).not.toThrow();
  });

  it('delivers by push: the package bytes reach the webhook once, 2xx → delivered, audited', async () => {
    const agency = nextAgency();
    const path = `/${agency}`;
    await addAgency(agency, 'push', baseUrl + path);
    const t = setup(agency);
    try {
      const m = await newMessage(agency);
      const r = await t.queues.enqueue(agency, m.id);
      expect(r).toEqual({ jobId: m.id, added: true });
      await until('delivered', () => isDelivered(m.id));
      expect(hits(path)).toHaveLength(1);
      const h = hits(path)[0]!;
      expect(Buffer.compare(h.body, Buffer.from(m.bytes))).toBe(0);
      expect(h.messageId).toBe(m.id);
      expect(h.sha256).toBe(m.sha256);
      expect(h.contentType).toBe('application/xml');
      const audit = await auditOf(m.id);
      expect(audit.map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.delivered']);
      expect(audit.every((a) => a.actor === 'worker' && a.document_sha256 === m.sha256)).toBe(true);
      expect(audit[0]!.details).toMatchObject({ ok: true, attempt: 1, httpStatus: 200, agency, mode: 'push' });
    } finally {
      await t.dispose();
    }
  });

  it('delivers by pull: the message becomes available in the inbox without any HTTP call', async () => {
    const agency = nextAgency();
    await addAgency(agency, 'pull');
    const t = setup(agency);
    try {
      const m = await newMessage(agency);
      await t.queues.enqueue(agency, m.id);
      await until('delivered', () => isDelivered(m.id));
      expect(received.filter((r) => r.messageId === m.id)).toHaveLength(0);
      expect((await auditOf(m.id)).map((a) => [a.action, a.details.mode])).toEqual([
        ['delivery.attempt', 'pull'],
        ['delivery.delivered', 'pull'],
      ]);
    } finally {
      await t.dispose();
    }
  });

  it('retries while the webhook is down and delivers once when it is back', async () => {
    const agency = nextAgency();
    const port = await freeLoopbackPort();
    await addAgency(agency, 'push', `http://127.0.0.1:${port}/inbox`);
    const t = setup(agency, { attempts: 8, backoffMs: 100 });
    let back: Server | undefined;
    try {
      const m = await newMessage(agency);
      await t.queues.enqueue(agency, m.id);
      // Nothing listens on the port: connection refused, twice.
      await until('two failed attempts', async () => (await auditOf(m.id)).filter((a) => a.action === 'delivery.attempt').length >= 2);
      back = await startServer(port);
      await until('delivered', () => isDelivered(m.id));
      const audit = await auditOf(m.id);
      const attempts = audit.filter((a) => a.action === 'delivery.attempt');
      expect(attempts.slice(0, -1).every((a) => a.details.ok === false && /ECONNREFUSED/.test(String(a.details.reason)))).toBe(true);
      expect(attempts.at(-1)!.details.ok).toBe(true);
      expect(audit.filter((a) => a.action === 'delivery.delivered')).toHaveLength(1);
      expect(hits('/inbox').filter((r) => r.messageId === m.id)).toHaveLength(1);
    } finally {
      await t.dispose();
      await new Promise((r) => (back ? back.close(r) : r(undefined)));
    }
  });

  it('dead-letters a message the webhook keeps refusing, with the reason; replay delivers it once fixed', async () => {
    const agency = nextAgency();
    const path = `/${agency}`;
    await addAgency(agency, 'push', baseUrl + path);
    behaviours.set(path, (_q, res) => res.writeHead(500).end('boom'));
    const t = setup(agency, { attempts: 3, backoffMs: 50 });
    try {
      const m = await newMessage(agency);
      await t.queues.enqueue(agency, m.id);
      const dead = await until('dead letter', () => t.queues.getDead(m.id));
      expect(dead).toMatchObject({ messageId: m.id, agencyId: agency, attempts: 3 });
      expect(dead.reason).toBe(`HTTP 500 from ${baseUrl + path}`);
      await until('status dead', async () => (await status(m.id))?.status === 'dead');
      expect(await status(m.id)).toEqual({ status: 'dead', status_reason: dead.reason });
      expect((await t.queues.listDead()).map((d) => d.messageId)).toContain(m.id);
      expect(hits(path)).toHaveLength(3);
      expect((await auditOf(m.id)).map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.attempt', 'delivery.attempt', 'delivery.dead']);

      // A resend while dead adds nothing: the failed job still holds the id.
      expect((await t.queues.enqueue(agency, m.id)).added).toBe(false);

      behaviours.set(path, ok);
      expect(await t.queues.replayDead(m.id, (e) => source.setStatus(e.messageId, 'queued'))).toBe(true);
      await until('delivered after replay', () => isDelivered(m.id));
      expect(await t.queues.getDead(m.id)).toBeUndefined();
      expect((await t.queues.listDead()).map((d) => d.messageId)).not.toContain(m.id);
      expect(hits(path)).toHaveLength(4);
      expect((await auditOf(m.id)).map((a) => a.action).slice(4)).toEqual(['delivery.attempt', 'delivery.delivered']);
      expect(await t.queues.replayDead(m.id)).toBe(false);
    } finally {
      await t.dispose();
    }
  });

  it('delivers a message enqueued twice only once, and never redelivers a delivered message', async () => {
    const agency = nextAgency();
    const path = `/${agency}`;
    await addAgency(agency, 'push', baseUrl + path);
    const queues = new DeliveryQueues({ connection: redis, prefix: PREFIX, attempts: 3, backoffMs: 50 });
    try {
      const m = await newMessage(agency);
      // Both before any worker runs: the second add is a no-op (job id = message id).
      expect((await queues.enqueue(agency, m.id)).added).toBe(true);
      expect((await queues.enqueue(agency, m.id)).added).toBe(false);
      await queues.enqueueMany(agency, [m.id, m.id]);
      expect(await queues.queue(agency).getJobCounts('wait')).toEqual({ wait: 1 });
      const t = setup(agency);
      try {
        await until('delivered', () => isDelivered(m.id));
        // After delivery: the kept completed job makes a resend a no-op…
        expect((await t.queues.enqueue(agency, m.id)).added).toBe(false);
        // …and once Redis has forgotten the job, the worker still sees the message is delivered.
        await (await t.queues.getJob(agency, m.id))!.remove();
        expect((await t.queues.enqueue(agency, m.id)).added).toBe(true);
        await until('second job done', async () => (await t.queues.getJob(agency, m.id))?.finishedOn);
        expect((await t.queues.getJob(agency, m.id))!.returnvalue).toEqual({ outcome: 'already-delivered' });
        expect(hits(path)).toHaveLength(1);
        expect((await auditOf(m.id)).filter((a) => a.action === 'delivery.delivered')).toHaveLength(1);
      } finally {
        await t.dispose();
      }
    } finally {
      await queues.close();
    }
  });

  it('does not lose a job whose worker stops mid-delivery: another worker takes it over', async () => {
    const agency = nextAgency();
    const path = `/${agency}`;
    await addAgency(agency, 'push', baseUrl + path);
    const pending: ServerResponse[] = [];
    // The first POST hangs: the worker is "gone" while holding the job.
    behaviours.set(path, (_q, res) => {
      if (hits(path).length === 1) pending.push(res);
      else res.writeHead(204).end();
    });
    const lock = { lockDuration: 1000, stalledInterval: 500, maxStalledCount: 2 };
    const a = setup(agency, {}, { ...lock, pushTimeoutMs: 20_000 });
    const m = await newMessage(agency);
    await a.queues.enqueue(agency, m.id);
    await until('first POST', () => hits(path).length === 1);
    expect(await (await a.queues.getJob(agency, m.id))!.getState()).toBe('active');
    await a.worker.close(true); // stops renewing the lock; the job stays "active" in Redis
    const b = setup(agency, {}, lock);
    try {
      await until('delivered by the second worker', () => isDelivered(m.id), 15_000);
      expect(hits(path)).toHaveLength(2);
      const job = (await b.queues.getJob(agency, m.id))!;
      await until('job completed', async () => (await job.getState()) === 'completed');
    } finally {
      // The first worker's POST never gets an answer (as if its process had died): its connection is cut.
      for (const res of pending) res.destroy();
      await b.dispose();
      await a.queues.close();
    }
  });

  it('stores only the message id in Redis — no document bytes', async () => {
    const agency = nextAgency();
    await addAgency(agency, 'pull');
    const queues = new DeliveryQueues({ connection: redis, prefix: PREFIX });
    try {
      const m = await newMessage(agency, Buffer.from('<edXML>bí mật</edXML>'));
      await queues.enqueue(agency, m.id);
      const key = `${PREFIX}:{deliver-${agency}}:${m.id}`;
      const hash = await redis.hgetall(key);
      expect(JSON.parse(hash.data!)).toEqual({ messageId: m.id });
      const everything = JSON.stringify(hash);
      expect(everything).not.toContain('edXML');
      expect(everything).not.toContain(Buffer.from(m.bytes).toString('base64'));
      // Every key of the queue shares the hash tag, so a cluster keeps them in one slot.
      const keys = await redis.keys(`${PREFIX}:*${agency}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith(`${PREFIX}:{deliver-${agency}}:`))).toBe(true);
      await expect(queues.enqueue(agency, 'x:y')).rejects.toThrow();
    } finally {
      await queues.close();
    }
  });
});

describe('private redis-server', () => {
  it('starts on a free loopback port with AOF on, and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-redis-'));
    const srv = await startPrivateRedis({ dir });
    const c = createRedis(srv.url);
    try {
      expect(await c.ping()).toBe('PONG');
      expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await c.config('GET', 'dir')).toEqual(['dir', dir]);
      expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    } finally {
      c.disconnect();
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the package to install when redis-server is missing', async () => {
    const err = await startPrivateRedis({ dir: mkdtempSync(join(tmpdir(), 'kyso-redis-')), command: 'redis-server-not-installed-here' }).catch((e: unknown) => e);
    expect(isKysoError(err, 'REDIS_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/apt install redis-server/);
  });
});
