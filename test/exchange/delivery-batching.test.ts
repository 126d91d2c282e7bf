// The delivery worker's cheap path, against the real Redis and both database backends: package bytes read with
// the message (and hash-checked), successful deliveries recorded by group commit (many per transaction, one bad
// item failing only its own job), the dead-letter deletion skipped only where no dead letter can exist, and the
// POST over node:http (redirects not followed, timeouts). Every Redis key lives under a random prefix.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { DeliveryQueues } from '../../src/exchange/queue/delivery-queue.ts';
import { DeliveryWorker, SqlMessageSource, auditToDatabase, type DeliveryWorkerOptions } from '../../src/exchange/queue/delivery-worker.ts';
import { createRedis, deletePrefixedKeys } from '../../src/exchange/queue/redis-connection.ts';
import { BlobStore } from '../../src/store/blob-store.ts';
import type { Database, Queryable } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { until as waitUntil } from '../helpers/exchange.ts';
import { startWebhook, type TestWebhook } from '../helpers/webhook-server.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../store/test-databases.ts';

const REDIS_URL = process.env.KYSO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `kysotest_${randomBytes(5).toString('hex')}`;
const SENDER = '000.00.00.G01';

// Deliveries here pile up behind slowed transactions: twice the default patience.
const until = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> => waitUntil(what, fn, 20_000);

/** The worker's message load (SqlMessageSource), as sent to the database. */
const isLoad = (sql: string) => sql.includes('FROM messages m JOIN agencies a');

/**
 * The database with its transactions (each is one BEGIN … COMMIT) and its message loads counted and,
 * optionally, slowed down.
 */
function countingDatabase(db: Database, delayMs = 0, loadDelayMs = 0): Database & { transactions: number; loads: number } {
  const counted = Object.create(db) as Database & { transactions: number; loads: number };
  counted.transactions = 0;
  counted.loads = 0;
  counted.transaction = async (fn) => {
    counted.transactions++;
    return db.transaction(async (tx) => {
      // Holding the transaction open a little makes deliveries pile up behind it, as under load.
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return fn(tx);
    });
  };
  counted.query = async (sql, params) => {
    if (isLoad(sql)) {
      counted.loads++;
      // A slow load makes the jobs that start meanwhile wait for it, as under load.
      if (loadDelayMs) await new Promise((r) => setTimeout(r, loadDelayMs));
    }
    return db.query(sql, params);
  };
  return counted;
}

let redis: Redis;
let webhook: TestWebhook;

beforeAll(async () => {
  redis = createRedis(REDIS_URL);
  await redis.ping();
  webhook = await startWebhook();
});

afterAll(async () => {
  await webhook?.close();
  if (redis) {
    await deletePrefixedKeys(redis, PREFIX);
    await redis.quit();
  }
});

describe.each(BACKENDS)('delivery worker batching (%s)', (backend) => {
  let t: TestDatabase;
  let db: Database;
  let blobs: BlobStore;
  let agencySeq = 10;
  const nextAgency = () => `000.00.0${backend === 'pglite' ? 1 : 2}.K${agencySeq++}`;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    db = t.db;
    await migrate(db);
    // Bytes in the row: what the worker reads together with the message.
    blobs = new BlobStore(db, 'db', '/nonexistent-kyso-blob-dir');
    await db.query('INSERT INTO agencies (id, name, delivery_mode, webhook_url) VALUES ($1, $2, $3, $4)', [SENDER, 'Sender', 'pull', null]);
  });

  afterAll(async () => {
    await t?.dispose();
  });

  async function addPushAgency(url = webhook.url): Promise<string> {
    const id = nextAgency();
    await db.query('INSERT INTO agencies (id, name, delivery_mode, webhook_url) VALUES ($1, $2, $3, $4)', [id, `Agency ${id}`, 'push', url]);
    return id;
  }

  async function newMessage(to: string, bytes: Uint8Array = randomBytes(1024)): Promise<{ id: string; sha256: string }> {
    const sha256 = await blobs.put(bytes, 'application/xml');
    const r = await db.query<{ id: string }>(
      `INSERT INTO messages (idempotency_key, kind, from_agency, to_agency, package_blob, status) VALUES ($1, 'edoc', $2, $3, $4, 'queued') RETURNING id`,
      [randomBytes(8).toString('hex'), SENDER, to, sha256],
    );
    return { id: r.rows[0]!.id, sha256 };
  }

  const statusOf = async (id: string) => (await db.query<{ status: string; status_reason: string | null }>('SELECT status, status_reason FROM messages WHERE id = $1', [id])).rows[0]!;
  const auditOf = async (id: string) =>
    (await db.query<{ action: string; actor: string; details: Record<string, unknown> }>('SELECT action, actor, details FROM audit_log WHERE subject = $1 ORDER BY seq', [id])).rows;

  /** The service's setup: SqlMessageSource on a Database, audit to the same database, group commit. */
  function setup(agency: string, opts: { attempts?: number; delayMs?: number; loadDelayMs?: number; worker?: Partial<DeliveryWorkerOptions> } = {}) {
    const counted = countingDatabase(db, opts.delayMs ?? 0, opts.loadDelayMs ?? 0);
    const source = new SqlMessageSource(counted);
    const queues = new DeliveryQueues({ connection: redis, prefix: PREFIX, attempts: opts.attempts ?? 1, backoffMs: 20 });
    const worker = new DeliveryWorker({
      queues,
      source,
      blobs,
      audit: auditToDatabase(db),
      auditWithSource: true,
      concurrency: 16,
      pushTimeoutMs: 5000,
      ...opts.worker,
    }).start([agency]);
    return {
      queues,
      worker,
      counted,
      source,
      async dispose() {
        await worker.close();
        await queues.close();
      },
    };
  }

  it('50 messages at once: all delivered, one attempt + delivered pair each, chain intact, fewer transactions than messages', async () => {
    const agency = await addPushAgency();
    const s = setup(agency, { delayMs: 15 });
    try {
      const msgs = await Promise.all(Array.from({ length: 50 }, () => newMessage(agency)));
      await s.queues.enqueueMany(agency, msgs.map((m) => m.id));
      await until('all delivered', async () => {
        const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'delivered'`, [msgs.map((m) => m.id)]);
        return r.rows[0]!.n === 50;
      });
      await until('all jobs completed', async () => (await s.queues.queue(agency).getJobCounts('completed')).completed === 50);
      for (const m of msgs) {
        const audit = await auditOf(m.id);
        expect(audit.map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.delivered']);
        expect(audit.every((a) => a.actor === 'worker')).toBe(true);
        expect(audit[0]!.details).toMatchObject({ agency, mode: 'push', attempt: 1, maxAttempts: 1, ok: true, httpStatus: 200 });
        expect(audit[1]!.details).toEqual({ agency, mode: 'push', attempt: 1, httpStatus: 200 });
        const hits = webhook.hits.filter((h) => h.messageId === m.id);
        expect(hits).toHaveLength(1);
        expect(hits[0]!.bodySha256).toBe(m.sha256);
        expect(hits[0]!.declaredSha256).toBe(m.sha256);
        expect(hits[0]!.contentType).toBe('application/xml');
      }
      const chain = await verifyAuditChain(db);
      expect(chain.ok).toBe(true);
      const stats = s.worker.stats();
      expect(stats.recorder!.recorded).toBe(50);
      expect(stats.recorder!.batches).toBeGreaterThan(0);
      expect(stats.recorder!.batches + stats.recorder!.singles).toBe(s.counted.transactions);
      expect(s.counted.transactions).toBeLessThan(50);
      // First attempts of plain jobs: no dead letter can exist, no Redis deletion was made.
      expect(stats.skippedClearDead).toBe(50);
    } finally {
      await s.dispose();
    }
  });

  it('many deliveries at once, on two agency queues: loaded with fewer queries than deliveries, each job with its own message', async () => {
    const a1 = await addPushAgency();
    const a2 = await addPushAgency();
    const s = setup(a1, { loadDelayMs: 20 });
    s.worker.add(a2);
    try {
      // Different sizes too, so a mix-up of bytes could not go unseen.
      const msgs = await Promise.all(Array.from({ length: 60 }, (_, i) => newMessage(i % 2 ? a1 : a2, randomBytes(500 + i * 37))));
      await Promise.all([
        s.queues.enqueueMany(a1, msgs.filter((_, i) => i % 2).map((m) => m.id)),
        s.queues.enqueueMany(a2, msgs.filter((_, i) => !(i % 2)).map((m) => m.id)),
      ]);
      await until('all jobs completed', async () => (await s.queues.queue(a1).getJobCounts('completed')).completed === 30 && (await s.queues.queue(a2).getJobCounts('completed')).completed === 30);
      for (const m of msgs) {
        const hits = webhook.hits.filter((h) => h.messageId === m.id);
        expect(hits).toHaveLength(1);
        expect(hits[0]!.bodySha256).toBe(m.sha256);
        expect(hits[0]!.declaredSha256).toBe(m.sha256);
        expect((await statusOf(m.id)).status).toBe('delivered');
        expect((await auditOf(m.id)).map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.delivered']);
      }
      const loads = s.source.loadStats();
      expect(loads.recorded).toBe(60);
      expect(loads.batches).toBeGreaterThan(0);
      expect(loads.batches + loads.singles).toBe(s.counted.loads);
      expect(s.counted.loads).toBeLessThan(30);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    } finally {
      await s.dispose();
    }
  });

  it('a message id that does not exist, loaded with others: only its job is dead-lettered (message not found)', async () => {
    const agency = await addPushAgency();
    const s = setup(agency, { loadDelayMs: 20 });
    try {
      const msgs = await Promise.all(Array.from({ length: 20 }, () => newMessage(agency)));
      const missing = randomUUID();
      const ids = msgs.map((m) => m.id);
      ids.splice(10, 0, missing);
      await s.queues.enqueueMany(agency, ids);
      const dead = await until('the missing message dead-lettered', () => s.queues.getDead(missing));
      expect(dead.reason).toBe('message not found');
      await until('the others delivered', async () => {
        const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'delivered'`, [msgs.map((m) => m.id)]);
        return r.rows[0]!.n === msgs.length;
      });
      for (const m of msgs) {
        expect(webhook.countFor(m.id)).toBe(1);
        expect(await s.queues.getDead(m.id)).toBeUndefined();
      }
      expect(webhook.countFor(missing)).toBe(0);
      expect(s.counted.loads).toBeLessThan(ids.length);
    } finally {
      await s.dispose();
    }
  });

  it('one item that cannot be recorded fails only its own job; the rest of its batch is delivered', async () => {
    const agency = await addPushAgency();
    const msgs = await Promise.all(Array.from({ length: 20 }, () => newMessage(agency)));
    const poison = msgs[10]!;
    // A real database refusal, for this one message only.
    await db.exec(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${poison.id}' AND NEW.status = 'delivered' THEN RAISE EXCEPTION 'poison message refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    const s = setup(agency, { delayMs: 30 });
    try {
      await s.queues.enqueueMany(agency, msgs.map((m) => m.id));
      const others = msgs.filter((m) => m !== poison);
      await until('the others delivered', async () => {
        const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status = 'delivered'`, [others.map((m) => m.id)]);
        return r.rows[0]!.n === others.length;
      });
      const dead = await until('the poison message dead-lettered', () => s.queues.getDead(poison.id));
      expect(dead.reason).toMatch(/poison message refused/);
      await until('poison status dead', async () => (await statusOf(poison.id)).status === 'dead');
      expect((await auditOf(poison.id)).map((a) => a.action)).toEqual(['delivery.dead']);
      for (const m of others) expect((await auditOf(m.id)).map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.delivered']);
      const stats = s.worker.stats().recorder!;
      expect(stats.fallbacks).toBeGreaterThan(0);
      expect(stats.failed).toBe(1);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    } finally {
      await s.dispose();
      await db.exec('DROP TRIGGER refuse_poison ON messages; DROP FUNCTION refuse_poison();');
    }
  });

  it('a package whose stored bytes no longer match their SHA-256 is a failed attempt, never delivered', async () => {
    const agency = await addPushAgency();
    const m = await newMessage(agency);
    await db.query('UPDATE blobs SET bytes = $2 WHERE sha256 = $1', [m.sha256, randomBytes(1024)]);
    const s = setup(agency);
    try {
      await s.queues.enqueue(agency, m.id);
      const dead = await until('dead letter', () => s.queues.getDead(m.id));
      expect(dead.reason).toMatch(new RegExp(`Blob ${m.sha256} is corrupt: content hashes to [0-9a-f]{64}, 1024 bytes`));
      const audit = await auditOf(m.id);
      expect(audit.map((a) => a.action)).toEqual(['delivery.attempt', 'delivery.dead']);
      expect(audit[0]!.details).toMatchObject({ ok: false, reason: dead.reason });
      expect(webhook.countFor(m.id)).toBe(0);
      expect((await statusOf(m.id)).status).toBe('dead');
    } finally {
      await s.dispose();
    }
  });

  it('a replay interrupted before it removed the dead letter: the delivery removes it (retried job, and job added anew)', async () => {
    const agency = await addPushAgency();
    const a = await newMessage(agency);
    const b = await newMessage(agency);
    let refuse = true;
    webhook.respond = (hit) => (refuse && (hit.messageId === a.id || hit.messageId === b.id) ? { status: 503 } : { status: 200 });
    const s = setup(agency);
    try {
      await s.queues.enqueueMany(agency, [a.id, b.id]);
      await until('both dead', async () => (await s.queues.getDead(a.id)) && (await s.queues.getDead(b.id)) && (await statusOf(b.id)).status === 'dead');
      await until('status dead', async () => (await statusOf(a.id)).status === 'dead');
      refuse = false;
      // b: Redis has forgotten its failed job, so the replay adds a new one.
      await (await s.queues.getJob(agency, b.id))!.remove();
      // The replay "crashes" after requeueing, before deleting the dead letter. The status is reset beforehand so
      // the worker cannot tell from a 'dead' status: only the replay mark on the job says a dead letter may exist.
      await db.query(`UPDATE messages SET status = 'received' WHERE id = ANY($1::uuid[])`, [[a.id, b.id]]);
      const crash = async () => {
        throw new Error('crash before clearDead');
      };
      await expect(s.queues.replayDead(a.id, crash)).rejects.toThrow('crash before clearDead');
      await expect(s.queues.replayDead(b.id, crash)).rejects.toThrow('crash before clearDead');
      for (const m of [a, b]) {
        await until('delivered after replay', async () => (await statusOf(m.id)).status === 'delivered' && (await auditOf(m.id)).some((x) => x.action === 'delivery.delivered'));
        await until('dead letter removed by the delivery', async () => (await s.queues.getDead(m.id)) === undefined);
      }
    } finally {
      webhook.respond = () => ({ status: 200 });
      await s.dispose();
    }
  });

  it('does not follow redirects and gives up after the push timeout', async () => {
    const agency = await addPushAgency();
    const redirected = await newMessage(agency);
    const slow = await newMessage(agency);
    webhook.respond = (hit) =>
      hit.messageId === redirected.id ? { status: 302, headers: { location: webhook.url + '/elsewhere' } } : hit.messageId === slow.id ? 'hang' : { status: 200 };
    const s = setup(agency, { worker: { pushTimeoutMs: 300 } });
    try {
      await s.queues.enqueueMany(agency, [redirected.id, slow.id]);
      const d1 = await until('redirect dead', () => s.queues.getDead(redirected.id));
      expect(d1.reason).toBe(`HTTP 302 from ${webhook.url}`);
      const d2 = await until('timeout dead', () => s.queues.getDead(slow.id));
      expect(d2.reason).toBe(`timeout after 300 ms (POST ${webhook.url})`);
      expect(webhook.countFor(redirected.id)).toBe(1);
      expect(webhook.hits.some((h) => h.messageId === redirected.id && h.body.length === 0)).toBe(false);
    } finally {
      webhook.respond = () => ({ status: 200 });
      await s.dispose();
    }
  });

  it('names the refused connection as fetch did (ECONNREFUSED: …)', async () => {
    const agency = await addPushAgency('http://127.0.0.1:9/hook');
    const m = await newMessage(agency);
    const s = setup(agency);
    try {
      await s.queues.enqueue(agency, m.id);
      const dead = await until('dead letter', () => s.queues.getDead(m.id));
      expect(dead.reason).toMatch(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:9 \(POST http:\/\/127\.0\.0\.1:9\/hook\)$/);
    } finally {
      await s.dispose();
    }
  });
});

describe('SqlMessageSource: batched loads', () => {
  /** A database that answers loads slowly (so the loads made meanwhile pile up), or fails them. */
  function fakeDb(fail: boolean) {
    const calls: unknown[][] = [];
    const db: Queryable = {
      async query<T>(sql: string, params: readonly unknown[] = []) {
        calls.push([...params]);
        await new Promise((r) => setTimeout(r, 10));
        if (fail) throw new Error('connection lost');
        const ids = params[0] as string[];
        const rows = ids
          .filter((id) => !id.startsWith('00000000'))
          .map((id) => ({ id, to_agency: 'A', package_blob: 'f'.repeat(64), status: 'queued', delivery_mode: 'pull', webhook_url: null, media_type: 'application/xml', size: 1, bytes: null }));
        expect(isLoad(sql)).toBe(true);
        return { rows: rows as T[], rowCount: rows.length };
      },
      exec: async () => undefined,
    };
    return { db, calls };
  }

  it('a load with none in flight goes at once; those made meanwhile share one query, each answered its own row', async () => {
    const { db, calls } = fakeDb(false);
    const source = new SqlMessageSource(db);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const missing = '00000000-0000-4000-8000-000000000000';
    const all = await Promise.all([...ids, missing].map((id) => source.load(id)));
    expect(calls).toEqual([[[ids[0]]], [[...ids.slice(1), missing]]]);
    expect(all.slice(0, 6).map((m) => m?.id)).toEqual(ids);
    expect(all[6]).toBeUndefined();
  });

  it('a failed query rejects every caller of its batch, without asking again one by one', async () => {
    const { db, calls } = fakeDb(true);
    const source = new SqlMessageSource(db);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => source.load(randomUUID())));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'connection lost')).toBe(true);
    expect(calls).toHaveLength(2);
    expect(source.loadStats()).toMatchObject({ failed: 5, fallbacks: 1 });
  });

  it('an id not in the form PostgreSQL prints uuids in is loaded alone (it cannot fail a batch)', async () => {
    const { db, calls } = fakeDb(false);
    const source = new SqlMessageSource(db);
    const a = randomUUID();
    const b = randomUUID();
    await Promise.all([source.load(a), source.load('not-a-uuid'), source.load(b.toUpperCase()), source.load(randomUUID())]);
    expect(calls).toContainEqual([['not-a-uuid']]);
    expect(calls).toContainEqual([[b.toUpperCase()]]);
    expect(calls).toHaveLength(4);
  });
});
