// kyso delivery-queue benchmark: npm run bench:queue  (node --import tsx bench/queue.ts [--quick])
//
// Against the Redis at REDIS_URL (default redis://127.0.0.1:6379), under a random key prefix removed at the end:
//   (1) raw BullMQ: addBulk of small no-op jobs, one Worker (concurrency 50) — the ceiling;
//   (2) kyso delivery: DeliveryQueues.enqueueMany + DeliveryWorker (concurrency 50) pushing a 4 KB package to a
//       no-op webhook (node:http on 127.0.0.1, same process), messages and blobs from an in-memory source,
//       no audit log (the database is not what is measured here).
// Each as a burst (everything queued at once: throughput; latency = queueing + work) and paced at 100 messages/s
// (latency of one message when the system is not saturated — the issue's p99 ≤ 100 ms at 100/s target).
// Latency = enqueue call → job done (raw: worker 'completed' event; kyso: message status set to delivered).
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { DeliveryQueues } from '../src/exchange/queue/delivery-queue.ts';
import { DeliveryWorker, type DeliveryMessage, type MessageSource } from '../src/exchange/queue/delivery-worker.ts';
import { createRedis, deletePrefixedKeys } from '../src/exchange/queue/redis-connection.ts';

const QUICK = process.argv.includes('--quick');
const BURST = QUICK ? 1000 : 5000;
const PACED = QUICK ? 100 : 300;
const RATE = 100;
const CONCURRENCY = 50;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `kysobench_${randomBytes(4).toString('hex')}`;

interface Row {
  scenario: string;
  n: number;
  addPerS?: number;
  donePerS: number;
  p50: number;
  p99: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` jobs through `enqueue`, as a burst (chunks of 500) or paced; `done` resolves per id. */
async function drive(
  ids: string[],
  enqueue: (ids: string[]) => Promise<void>,
  doneAt: Map<string, number>,
  paced: boolean,
): Promise<{ addPerS: number; donePerS: number; latencies: number[] }> {
  const startedAt = new Map<string, number>();
  const t0 = performance.now();
  if (paced) {
    for (let i = 0; i < ids.length; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      startedAt.set(ids[i]!, performance.now());
      await enqueue([ids[i]!]);
    }
  } else {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const now = performance.now();
      for (const id of chunk) startedAt.set(id, now);
      await enqueue(chunk);
    }
  }
  const tAdded = performance.now();
  const deadline = Date.now() + 60_000;
  while (doneAt.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`only ${doneAt.size}/${ids.length} done`);
    await sleep(5);
  }
  const tDone = Math.max(...ids.map((id) => doneAt.get(id)!));
  return {
    addPerS: ids.length / ((tAdded - t0) / 1000),
    donePerS: ids.length / ((tDone - t0) / 1000),
    latencies: ids.map((id) => doneAt.get(id)! - startedAt.get(id)!),
  };
}

async function rawBullmq(rows: Row[]): Promise<void> {
  const connection = createRedis(REDIS_URL);
  const q = new Queue('{raw}', { connection, prefix: PREFIX });
  const doneAt = new Map<string, number>();
  const w = new Worker('{raw}', async () => undefined, { connection, prefix: PREFIX, concurrency: CONCURRENCY });
  w.on('completed', (job) => doneAt.set(job.data.id as string, performance.now()));
  await w.waitUntilReady();
  const add = (ids: string[]) => q.addBulk(ids.map((id) => ({ name: 'noop', data: { id }, opts: { removeOnComplete: true } }))).then(() => undefined);
  for (const paced of [false, true]) {
    doneAt.clear();
    const ids = Array.from({ length: paced ? PACED : BURST }, () => randomUUID());
    const r = await drive(ids, add, doneAt, paced);
    rows.push({ scenario: `raw BullMQ no-op, ${paced ? `paced ${RATE}/s` : 'burst'}`, n: ids.length, ...(paced ? {} : { addPerS: r.addPerS }), donePerS: r.donePerS, p50: pct(r.latencies, 50), p99: pct(r.latencies, 99) });
  }
  await w.close();
  await q.close();
  connection.disconnect();
}

async function kysoDelivery(rows: Row[]): Promise<void> {
  const pkg = randomBytes(4096);
  const sha = createHash('sha256').update(pkg).digest('hex');
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  const agency = '000.00.00.G22';

  const messages = new Map<string, DeliveryMessage>();
  const doneAt = new Map<string, number>();
  const source: MessageSource = {
    async load(id) {
      return messages.get(id);
    },
    async setStatus(id, status) {
      const m = messages.get(id);
      if (m) m.status = status;
      if (status === 'delivered') doneAt.set(id, performance.now());
    },
  };
  const connection = createRedis(REDIS_URL);
  const queues = new DeliveryQueues({ connection, prefix: PREFIX, attempts: 3, backoffMs: 100 });
  const worker = new DeliveryWorker({ queues, source, blobs: { get: async () => pkg }, concurrency: CONCURRENCY }).start([agency]);
  await worker.waitUntilReady();
  const add = (ids: string[]) => (ids.length === 1 ? queues.enqueue(agency, ids[0]!).then(() => undefined) : queues.enqueueMany(agency, ids));
  for (const paced of [false, true]) {
    doneAt.clear();
    const ids = Array.from({ length: paced ? PACED : BURST }, () => randomUUID());
    for (const id of ids) messages.set(id, { id, toAgency: agency, packageSha256: sha, status: 'queued', mode: 'push', webhookUrl: url });
    const r = await drive(ids, add, doneAt, paced);
    rows.push({ scenario: `kyso push delivery (4 KB, no-op webhook), ${paced ? `paced ${RATE}/s` : 'burst'}`, n: ids.length, ...(paced ? {} : { addPerS: r.addPerS }), donePerS: r.donePerS, p50: pct(r.latencies, 50), p99: pct(r.latencies, 99) });
  }
  if (worker.errors.length) console.error('worker errors:', worker.errors.slice(0, 3));
  await worker.close();
  await queues.close();
  connection.disconnect();
  await new Promise((r) => srv.close(r));
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const t0 = performance.now();
  try {
    await rawBullmq(rows);
    await kysoDelivery(rows);
  } finally {
    const c = createRedis(REDIS_URL);
    await deletePrefixedKeys(c, PREFIX);
    c.disconnect();
  }
  const f = (x: number | undefined, d = 0) => (x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  console.log(`\nkyso queue bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Redis ${REDIS_URL}, concurrency ${CONCURRENCY}${QUICK ? ', --quick' : ''}\n`);
  console.log('| Scenario | Messages | Added/s | Done/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.n} | ${f(r.addPerS)} | ${f(r.donePerS)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} |`);
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s; latency = enqueue → done; burst latency is mostly time spent waiting in the queue)`);
}

await main();
