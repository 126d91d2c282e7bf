// kyso exchange benchmark: npm run bench:exchange  (node --import tsx bench/exchange.ts [--quick])
//
// The whole exchange path on this machine, end to end, with real parts: PostgreSQL (DATABASE_URL, default
// postgres://root@127.0.0.1:5432/test; a random schema dropped at the end), Redis (REDIS_URL; a random key prefix
// removed at the end), the demo agencies, and
//   - `kyso pki serve` in a child process: OCSP/CRL for validation, the TSA for the service's B-T receipts
//     (an external service in production, so it gets its own process here too — but it shares the 2 cores);
//   - `kyso serve --no-demo-pki --tsa <child>/tsa` in a child process: the product as deployed (role all: HTTP API
//     + delivery workers + sweeper), DATABASE_URL/KYSO_DB_SCHEMA/REDIS_URL/KYSO_REDIS_PREFIX from here;
//   - this process: the clients (keep-alive HTTP, C at a time), the agencies' webhook (node:http, answers 200 to
//     every push and notes when each message arrived), raw BullMQ, and one in-process runtime (role api) for the
//     receiveMessage rate without HTTP (its deliveries are done by the child's workers).
//
// Inputs, built between phases (never while one is timed): N distinct signed edXML packages from the ministry (000.00.12.H99) to
// VPCP (000.00.00.G22), each with its own DocumentId and its own XAdES signature (ministry seal, EC P-256, B-B),
// carrying a 1-page PDF signed PAdES B-T by person-ministry (a pool of 8 distinct signed PDFs: every package's
// attachment is verified in full each time, nothing caches a PDF verdict); and status packets 03 from VPCP about
// the documents VPCP received (vpcp-seal, RSA). Every message is checked as a user would: 202 + accepted, and
// the very message id arriving at the webhook.
//
// Measured:
//   (a) raw BullMQ: addBulk of no-op jobs, one Worker (concurrency 50): the ceiling of the queue alone;
//   (b) saturated: POST /api/v1/messages from C concurrent clients → verify (XML signature, the PDF, certificate
//       binding) → store (blobs, messages, audit, signed 01 receipt) → enqueue → worker pushes to the webhook
//       (2xx) → delivered: messages/s from the first POST to the last webhook arrival; packages and status packets;
//   (c) fixed rate 100 packages/s for 20 s: latency from POST start to webhook arrival, p50/p95/p99. When (b)
//       showed the server cannot sustain 100/s, only 5 s of it (the rest would only measure a growing backlog)
//       and another run at half the saturated rate: the latency of a server that keeps up;
//   (d) receiveMessage in-process (no HTTP), C at a time: accepted/s.
// CPU seconds of each process per phase are printed too, to say what limits the rate on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { getAgency, organizationOf, type Agency } from '../src/exchange/agencies/agency-registry.ts';
import { buildEdxml } from '../src/exchange/edxml/build.ts';
import { formatDocumentId, vietnamDate } from '../src/exchange/edxml/identifiers.ts';
import type { EdxmlPackageInput } from '../src/exchange/edxml/model.ts';
import { buildStatusXml, statusPacket } from '../src/exchange/edxml/status.ts';
import { receiveMessage } from '../src/exchange/intake/receive-message.ts';
import { createRedis, deletePrefixedKeys, freeLoopbackPort } from '../src/exchange/queue/redis-connection.ts';
import { startExchangeRuntime, type ExchangeRuntime } from '../src/exchange/runtime.ts';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import { readTestPkiManifest } from '../src/pki/responders/test-pki-manifest.ts';
import { signDocument } from '../src/signing/pdf/sign-document.ts';
import { signXmlDocument } from '../src/signing/xml/sign-xml-document.ts';
import { defaultPolicy } from '../src/verify/policy.ts';
import { TrustStore } from '../src/verify/trust-store.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const KYSO = join(ROOT, 'bin/kyso.js');
const PKI_DIR = join(ROOT, 'certs-test/pki');
const PASSWORD = 'kyso-test';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TAG = randomBytes(4).toString('hex');
const SCHEMA = `kyso_bench_${TAG}`;
const PREFIX = `kysobench${TAG}`;
/** Set on this run's PostgreSQL connections, to count their backends' CPU. */
const APP_NAME = `kysobench_${TAG}`;
const RUN_DATABASE_URL = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}application_name=${APP_NAME}`;

const VPCP = '000.00.00.G22';
const MINISTRY = '000.00.12.H99';
/** Concurrent HTTP clients in the saturated runs (and receiveMessage calls in flight in (d)). */
const CLIENTS = Number(process.env.KYSO_BENCH_CLIENTS ?? 16);
const N_SATURATED = QUICK ? 150 : 400;
const N_STATUS = QUICK ? 100 : 300;
const RATE = 100;
/** At 100/s for this long when the server keeps up; when its saturated rate is below 100/s, 5 s only (the rest is backlog). */
const FIXED_SECONDS = QUICK ? 5 : 20;
const FIXED_SECONDS_OVERLOADED = 5;
const N_INPROC = QUICK ? 80 : 150;
/**
 * Packages (and as many status packets) sent before anything is timed. A service runs for days; V8's optimizing
 * compiler was measured (`KYSO_BENCH_SERVE_FLAGS=--trace-opt`) still compiling ≈ 1,000 messages after start, so a
 * short warm-up charges start-up compilation to the first phases. KYSO_BENCH_WARMUP overrides.
 */
const N_WARMUP = Number(process.env.KYSO_BENCH_WARMUP ?? (QUICK ? 200 : 400));
const RAW_JOBS = QUICK ? 2000 : 5000;

// ---- statistics -------------------------------------------------------------------------------------------------
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number | undefined, d = 0) =>
  x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---- child processes --------------------------------------------------------------------------------------------
interface Child {
  proc: ChildProcess;
  out: string;
  stop(): Promise<void>;
}

function startChild(args: string[], env: NodeJS.ProcessEnv, readyWhen: RegExp, timeoutMs = 60_000): Promise<Child> {
  // KYSO_BENCH_PROFILE=<dir>: CPU profiles of the server's threads, written when it stops.
  // KYSO_BENCH_SERVE_FLAGS='--flag …': extra Node/V8 flags for the server (e.g. --trace-opt, --trace-gc);
  // KYSO_BENCH_CHILD_LOG=<path>: each child's standard output is also appended to <path>.<command>.
  const prof = process.env.KYSO_BENCH_PROFILE && args[0] === 'serve' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KYSO_BENCH_PROFILE}`] : [];
  const extraFlags = args[0] === 'serve' && process.env.KYSO_BENCH_SERVE_FLAGS ? process.env.KYSO_BENCH_SERVE_FLAGS.split(' ') : [];
  const proc = spawn(process.execPath, [...prof, ...extraFlags, KYSO, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = {
    proc,
    out: '',
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    child.out += d.toString('utf8');
    if (process.env.KYSO_BENCH_CHILD_LOG) appendFileSync(`${process.env.KYSO_BENCH_CHILD_LOG}.${args[0]}`, d);
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // never leave a half-started server behind
      fail(new Error(`kyso ${args[0]} not ready after ${timeoutMs} ms:\n${child.out}\n${err}`));
    }, timeoutMs);
    const check = () => {
      if (readyWhen.test(child.out)) {
        clearTimeout(timer);
        ok(child);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`kyso ${args[0]} exited (${code}):\n${child.out}\n${err}`));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

/** Total CPU seconds of the PostgreSQL and Redis server processes (all backends), if visible. */
function serverCpu(names: string[]): number {
  let total = 0;
  try {
    for (const pid of readFileSyncDir('/proc')) {
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        if (names.some((n) => comm.startsWith(n))) total += cpuSeconds(Number(pid));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return NaN;
  }
  return total;
}
function readFileSyncDir(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^\d+$/.test(n));
}

// ---- inputs ----------------------------------------------------------------------------------------------------
const signerOf = (id: string) => KeyObjectSigner.fromPkcs12File(join(PKI_DIR, `${id}.p12`), PASSWORD);

async function onePagePdf(i: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const page = doc.addPage([595.28, 841.89]);
  page.drawText(`Cong van so ${i}/BTP-VP ve viec bao cao tinh hinh`, { x: 56, y: 790, size: 14, font });
  for (let l = 0; l < 20; l++) page.drawText(`Dong ${l + 1}: noi dung cong van gui Van phong Chinh phu.`, { x: 56, y: 760 - l * 14, size: 10, font });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

interface Inputs {
  /** The next n packages (numbered on from the last call; built when asked, never while a phase is timed). */
  packages(n: number): Promise<{ bytes: Uint8Array; documentId: string; code: string }[]>;
  statuses: (about: { documentId: string; code: string }) => Promise<Uint8Array>;
}

async function buildInputs(from: Agency, to: Agency, vpcp: Agency, pkiUrl: string): Promise<Inputs> {
  const network = {};
  const person = signerOf('person-ministry');
  const seal = signerOf('ministry-seal');
  const vpcpSeal = signerOf('vpcp-seal');
  const pdfs: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < 8; i++) {
    const signed = await signDocument(await onePagePdf(i), { signer: person, level: 'B-T', tsaUrl: `${pkiUrl}/tsa`, network, revocationCheck: 'off', reason: 'Ký ban hành' });
    pdfs.push(new Uint8Array(signed.bytes));
  }
  const at = new Date();
  const date = vietnamDate(at);
  let last = 0;
  const packages = async (n: number) => {
    const out: { bytes: Uint8Array; documentId: string; code: string }[] = [];
    for (let k = 0; k < n; k++) {
      const i = ++last;
      const code = `${i}/BTP-VP`;
      const documentId = formatDocumentId({ organId: from.id, date: at, code });
      const input: EdxmlPackageInput = {
        MessageHeader: {
          From: organizationOf(from),
          To: [organizationOf(to)],
          DocumentId: documentId,
          Code: { CodeNumber: String(i), CodeNotation: 'BTP-VP' },
          PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: date },
          DocumentType: { Type: '1', TypeDetail: '0', TypeName: 'Công văn' },
          Subject: `Báo cáo tình hình thực hiện nhiệm vụ (${i})`,
          ResponseFor: [],
        },
        TraceHeaderList: { TraceHeader: [{ OrganId: from.id, Timestamp: at }], Bussiness: { DocumentId: documentId, BussinessDocType: 0, Paper: 0 } },
        Manifest: { version: '1.0', Reference: [{ ContentId: 'cid:att-001', ContentType: 'application/pdf', Description: 'Công văn', AttachmentName: `cv-${i}.pdf` }] },
        Attachments: [{ ContentId: 'att-001', AttachmentName: `cv-${i}.pdf`, ContentType: 'application/pdf', Description: 'Công văn', ContentTransferEncoded: pdfs[i % pdfs.length]! }],
      };
      const signed = await signXmlDocument(Buffer.from(buildEdxml(input), 'utf8'), { signer: seal, level: 'B-B', revocationCheck: 'off', now: at });
      out.push({ bytes: new Uint8Array(signed.bytes), documentId, code });
    }
    return out;
  };
  const statuses = async (about: { documentId: string; code: string }) => {
    const xml = buildStatusXml(
      statusPacket({
        from: organizationOf(vpcp),
        responseFor: { OrganId: from.id, Code: about.code, PromulgationDate: date, DocumentId: about.documentId },
        code: '03',
        at,
        description: 'Đã vào sổ văn bản đến (registered)',
      }),
    );
    return new Uint8Array((await signXmlDocument(Buffer.from(xml, 'utf8'), { signer: vpcpSeal, level: 'B-B', revocationCheck: 'off', now: at })).bytes);
  };
  return { packages, statuses };
}

// ---- webhook and clients ---------------------------------------------------------------------------------------
class Webhook {
  readonly arrived = new Map<string, number>();
  private waiters: { ids: Set<string>; done: () => void }[] = [];
  readonly server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      const id = req.headers['x-kyso-message-id'];
      if (typeof id === 'string' && !this.arrived.has(id)) {
        this.arrived.set(id, performance.now());
        for (const w of this.waiters) {
          w.ids.delete(id);
          if (w.ids.size === 0) w.done();
        }
        this.waiters = this.waiters.filter((w) => w.ids.size > 0);
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  url = '';
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  /** Resolves when every id has arrived. */
  waitFor(ids: readonly string[], timeoutMs: number): Promise<void> {
    const missing = new Set(ids.filter((id) => !this.arrived.has(id)));
    if (missing.size === 0) return Promise.resolve();
    return new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`${missing.size}/${ids.length} messages never reached the webhook`)), timeoutMs);
      this.waiters.push({ ids: missing, done: () => (clearTimeout(t), ok()) });
    });
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function httpJson(base: string, method: string, path: string, key: string, body: Uint8Array | string, contentType: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const req = request(new URL(path, base), { method, agent, headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'content-length': buf.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          ok({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
        } catch {
          ok({ status: res.statusCode ?? 0, json: { raw: text } });
        }
      });
    });
    req.on('error', fail);
    req.end(buf);
  });
}

interface Sent {
  /** The message id of the (single) recipient's copy. */
  id: string;
  start: number;
  answered: number;
}

async function post(base: string, key: string, bytes: Uint8Array): Promise<Sent> {
  const start = performance.now();
  const r = await httpJson(base, 'POST', '/api/v1/messages', key, bytes, 'application/xml');
  const answered = performance.now();
  const messages = r.json.messages as { id: string }[] | undefined;
  if (r.status !== 202 || r.json.accepted !== true || !messages?.[0]) throw new Error(`POST /api/v1/messages answered ${r.status}: ${JSON.stringify(r.json).slice(0, 600)}`);
  return { id: messages[0].id, start, answered };
}

/** Sends every body with `clients` requests in flight. */
async function saturate<T>(items: readonly T[], clients: number, send: (item: T) => Promise<Sent>): Promise<Sent[]> {
  const out: Sent[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await send(items[i]!);
      }
    }),
  );
  return out;
}

// ---- phases -----------------------------------------------------------------------------------------------------
interface Row {
  scenario: string;
  n: number;
  perS: number;
  acceptedPerS?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  answerP50?: number;
  cpu?: string;
}

async function rawBullmq(): Promise<Row> {
  const connection = createRedis(REDIS_URL);
  const q = new Queue('{raw}', { connection, prefix: PREFIX });
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((r) => (finished = r));
  const w = new Worker('{raw}', async () => undefined, { connection: createRedis(REDIS_URL), prefix: PREFIX, concurrency: 50 });
  w.on('completed', () => {
    if (++done === RAW_JOBS) finished();
  });
  await w.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < RAW_JOBS; i += 500) {
    await q.addBulk(Array.from({ length: Math.min(500, RAW_JOBS - i) }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { removeOnComplete: true } })));
  }
  await all;
  const s = (performance.now() - t0) / 1000;
  await w.close();
  await q.close();
  connection.disconnect();
  return { scenario: '(a) raw BullMQ no-op jobs (addBulk, 1 worker × 50) — ceiling', n: RAW_JOBS, perS: RAW_JOBS / s };
}

interface CpuMarks {
  server: number;
  pki: number;
  bench: number;
  /** CPU seconds per PostgreSQL backend serving this run (application_name), by pid. */
  pg: Map<number, number>;
  redis: number;
}
/** The PostgreSQL backends of this run's connections (the server is shared with other work on the machine). */
async function ourBackends(): Promise<number[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const r = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APP_NAME]);
    return r.rows.map((x) => x.pid);
  } finally {
    await client.end();
  }
}
async function cpuMarks(server: Child, pki: Child): Promise<CpuMarks> {
  const u = process.cpuUsage();
  const pgCpu = new Map<number, number>();
  for (const pid of await ourBackends()) pgCpu.set(pid, cpuSeconds(pid));
  return { server: cpuSeconds(server.proc.pid), pki: cpuSeconds(pki.proc.pid), bench: (u.user + u.system) / 1e6, pg: pgCpu, redis: serverCpu(['redis-server']) };
}
function cpuText(a: CpuMarks, b: CpuMarks, n: number): string {
  const per = (k: 'server' | 'pki' | 'bench' | 'redis') => ((b[k] - a[k]) * 1000) / n;
  // Backends that exist at both marks (connections opened meanwhile count from zero).
  let pgSeconds = 0;
  for (const [pid, end] of b.pg) pgSeconds += end - (a.pg.get(pid) ?? 0);
  return `server ${fmt(per('server'), 1)}, pki ${fmt(per('pki'), 1)}, pg ${fmt((pgSeconds * 1000) / n, 1)}, redis ${fmt(per('redis'), 1)}, bench ${fmt(per('bench'), 1)}`;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const rows: Row[] = [];
  const manifest = readTestPkiManifest(PKI_DIR);
  const children: Child[] = [];
  let rt: ExchangeRuntime | undefined;
  const webhook = new Webhook();
  try {
    // -- processes
    const pkiPort = await freeLoopbackPort();
    const pki = await startChild(['pki', 'serve', '--port', String(pkiPort)], {}, /running|Ctrl\+C/);
    children.push(pki);
    const pkiUrl = `http://127.0.0.1:${pkiPort}`;
    const rewrite = manifest.baseUrl === pkiUrl ? {} : { [manifest.baseUrl]: pkiUrl };
    const rewriteEnv = Object.entries(rewrite).map(([a, b]) => `${a}=${b}`).join(',');
    const port = await freeLoopbackPort();
    const server = await startChild(
      ['serve', '--port', String(port), '--no-demo-pki', '--tsa', `${pkiUrl}/tsa`],
      {
        DATABASE_URL: RUN_DATABASE_URL,
        KYSO_DB_SCHEMA: SCHEMA,
        REDIS_URL,
        KYSO_REDIS_PREFIX: PREFIX,
        KYSO_PKI_URL_REWRITE: rewriteEnv,
        KYSO_NO_DEMO: '',
      },
      /\n\s+admin\s[^\n]*\n/,
    );
    children.push(server);
    const base = `http://127.0.0.1:${port}`;
    const keyOf = (id: string): string => {
      const m = new RegExp(`^\\s+${id.replace(/\./g, '\\.')}\\s.*\\s(\\S+)$`, 'm').exec(server.out);
      if (!m) throw new Error(`no API key for ${id} in kyso serve's output`);
      return m[1]!;
    };
    const adminKey = /^\s+admin\s.*\s(\S+)$/m.exec(server.out)![1]!;
    await webhook.listen();
    for (const id of [VPCP, MINISTRY]) {
      const r = await httpJson(base, 'PATCH', `/api/v1/agencies/${id}`, adminKey, JSON.stringify({ deliveryMode: 'push', webhookUrl: webhook.url }), 'application/json');
      if (r.status !== 200) throw new Error(`PATCH agency ${id}: ${r.status} ${JSON.stringify(r.json)}`);
    }

    // -- the in-process runtime (same schema and queues; the child's workers deliver what it accepts)
    rt = await startExchangeRuntime({
      role: 'api',
      database: { url: RUN_DATABASE_URL, schema: SCHEMA },
      redis: { url: REDIS_URL, prefix: PREFIX },
      verify: { trust: TrustStore.demo(), policy: defaultPolicy(), network: { rewrite } },
      tsaUrl: `${pkiUrl}/tsa`,
      network: { rewrite },
    });
    const ministry = (await getAgency(rt.db, MINISTRY))!;
    const vpcp = (await getAgency(rt.db, VPCP))!;

    let buildMs = 0;
    let built = 0;
    const inputs = await buildInputs(ministry, vpcp, vpcp, pkiUrl);
    const take = async (n: number) => {
      const tb = performance.now();
      const out = await inputs.packages(n);
      buildMs += performance.now() - tb;
      built += n;
      return out;
    };
    const ministryKey = keyOf(MINISTRY);
    const vpcpKey = keyOf(VPCP);

    // -- (a)
    rows.push(await rawBullmq());

    // -- warm-up (JIT, OCSP caches, connection pools): packages, then a status packet on each
    const warmItems = await take(N_WARMUP);
    const warm = await saturate(warmItems, CLIENTS, (p) => post(base, ministryKey, p.bytes));
    await webhook.waitFor(warm.map((s) => s.id), 180_000);
    const warmStatuses: Uint8Array[] = [];
    for (const p of warmItems) warmStatuses.push(await inputs.statuses(p));
    const warmS = await saturate(warmStatuses, CLIENTS, (b) => post(base, vpcpKey, b));
    await webhook.waitFor(warmS.map((s) => s.id), 180_000);

    // -- (b) saturated
    const saturated = async (label: string, bodies: readonly Uint8Array[], key: string): Promise<Row> => {
      const c0 = await cpuMarks(server, pki);
      const t = performance.now();
      const sent = await saturate(bodies, CLIENTS, (b) => post(base, key, b));
      const tAccepted = performance.now();
      await webhook.waitFor(sent.map((x) => x.id), 180_000);
      const tDone = Math.max(...sent.map((x) => webhook.arrived.get(x.id)!));
      const lat = sent.map((x) => webhook.arrived.get(x.id)! - x.start);
      return {
        scenario: `(b) saturated, ${CLIENTS} clients: ${label}`,
        n: bodies.length,
        perS: bodies.length / ((tDone - t) / 1000),
        acceptedPerS: bodies.length / ((tAccepted - t) / 1000),
        p50: pct(lat, 50),
        p95: pct(lat, 95),
        p99: pct(lat, 99),
        answerP50: pct(sent.map((x) => x.answered - x.start), 50),
        cpu: cpuText(c0, await cpuMarks(server, pki), bodies.length),
      };
    };
    const satItems = await take(N_SATURATED);
    const sat = await saturated('signed package + signed PDF → verify → store → 01 receipt → push', satItems.map((p) => p.bytes), ministryKey);
    rows.push(sat);
    // status packets 03 from VPCP on documents it received
    const statusBodies: Uint8Array[] = [];
    for (const p of satItems.slice(0, N_STATUS)) statusBodies.push(await inputs.statuses(p));
    rows.push(await saturated('signed status packet 03 → verify → store → push', statusBodies, vpcpKey));

    // -- (c) fixed rate: 100/s; and, when that is above what the server sustains, also half its saturated rate
    const fixedRate = async (rate: number, seconds: number, note: string): Promise<Row> => {
      const items = await take(Math.round(rate * seconds));
      const c0 = await cpuMarks(server, pki);
      const t = performance.now();
      const pending: Promise<Sent>[] = [];
      for (let i = 0; i < items.length; i++) {
        const wait = t + (i * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        pending.push(post(base, ministryKey, items[i]!.bytes));
      }
      const sent = await Promise.all(pending);
      await webhook.waitFor(sent.map((x) => x.id), 180_000);
      const tDone = Math.max(...sent.map((x) => webhook.arrived.get(x.id)!));
      const lat = sent.map((x) => webhook.arrived.get(x.id)! - x.start);
      return {
        scenario: `(c) fixed rate ${rate} packages/s for ${seconds} s${note}: POST start → webhook`,
        n: items.length,
        perS: items.length / ((tDone - t) / 1000),
        p50: pct(lat, 50),
        p95: pct(lat, 95),
        p99: pct(lat, 99),
        answerP50: pct(sent.map((x) => x.answered - x.start), 50),
        cpu: cpuText(c0, await cpuMarks(server, pki), items.length),
      };
    };
    const keepsUp = sat.perS >= RATE;
    rows.push(await fixedRate(RATE, keepsUp ? FIXED_SECONDS : FIXED_SECONDS_OVERLOADED, keepsUp ? '' : ' (above the saturated rate: latency is mostly backlog)'));
    if (!keepsUp) {
      const half = Math.max(1, Math.floor(sat.perS / 2));
      rows.push(await fixedRate(half, QUICK ? 5 : 10, ' (half the saturated rate)'));
    }

    // -- (d) receiveMessage in-process
    {
      const items = await take(N_INPROC);
      const ctx = rt.ctx;
      const c0 = await cpuMarks(server, pki);
      const t = performance.now();
      const sent = await saturate(items, CLIENTS, async (p) => {
        const start = performance.now();
        const r = await receiveMessage(ctx, { sender: MINISTRY, actor: 'bench', bytes: p.bytes });
        if (!r.accepted || r.duplicate) throw new Error(`receiveMessage: ${JSON.stringify(r.reason ?? r.report)}`);
        return { id: r.messages[0]!.id, start, answered: performance.now() };
      });
      const tAccepted = performance.now();
      await webhook.waitFor(sent.map((x) => x.id), 180_000);
      rows.push({
        scenario: `(d) receiveMessage in-process (no HTTP), ${CLIENTS} in flight; delivery by the server's workers`,
        n: items.length,
        perS: items.length / ((Math.max(...sent.map((x) => webhook.arrived.get(x.id)!)) - t) / 1000),
        acceptedPerS: items.length / ((tAccepted - t) / 1000),
        answerP50: pct(sent.map((x) => x.answered - x.start), 50),
        p50: pct(sent.map((x) => webhook.arrived.get(x.id)! - x.start), 50),
        p99: pct(sent.map((x) => webhook.arrived.get(x.id)! - x.start), 99),
        cpu: cpuText(c0, await cpuMarks(server, pki), items.length),
      });
    }

    // -- the audit chain the run wrote must still verify
    const audit = await httpJson(base, 'GET', '/api/v1/admin/audit/verify', adminKey, '', 'application/json');
    const auditOk = audit.status === 200 && audit.json.ok === true;

    const ceiling = rows[0]!.perS;
    console.log(`\nkyso exchange bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, PostgreSQL ${new URL(DATABASE_URL).host}, Redis ${new URL(REDIS_URL).host}${QUICK ? ', --quick' : ''}`);
    console.log(`inputs: ${built} signed packages built in ${(buildMs / 1000).toFixed(1)} s between phases (not timed); kyso serve (role all, automatic receipts B-B, the PKI child as TSA/OCSP); load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
    console.log('| Scenario | Messages | Delivered/s | vs raw BullMQ | Accepted/s | Answer p50 ms | p50 ms | p95 ms | p99 ms | CPU ms per message |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows) {
      console.log(`| ${r.scenario} | ${r.n} | ${fmt(r.perS)} | ${r === rows[0] ? '1' : `1/${fmt(ceiling / r.perS)}`} | ${fmt(r.acceptedPerS)} | ${fmt(r.answerP50, 1)} | ${fmt(r.p50, 1)} | ${fmt(r.p95, 1)} | ${fmt(r.p99, 1)} | ${r.cpu ?? ''} |`);
    }
    const fixed = rows.find((r) => r.scenario.startsWith(`(c) fixed rate ${RATE} `))!;
    console.log(`\nTargets: ≥ 500 signed packages/s forwarded with verification: ${fmt(sat.perS)}/s — ${sat.perS >= 500 ? 'met' : 'NOT met'}; p99 ≤ 100 ms at ${RATE}/s: ${fmt(fixed.p99, 1)} ms — ${(fixed.p99 ?? Infinity) <= 100 ? 'met' : 'NOT met'}`);
    console.log(`Audit chain after the run: ${auditOk ? 'verifies' : `DOES NOT VERIFY (${audit.status} ${JSON.stringify(audit.json).slice(0, 300)})`}`);
    console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s; latency = POST start → webhook receipt; CPU per message: each process's user+system time over the phase ÷ messages)`);
  } finally {
    await rt?.close().catch(() => {});
    for (const c of children.reverse()) await c.stop().catch(() => {});
    await new Promise((r) => webhook.server.close(r));
    agent.destroy();
    const redis = createRedis(REDIS_URL);
    await deletePrefixedKeys(redis, PREFIX).catch(() => {});
    redis.disconnect();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await client.end();
  }
}

// Explicit exit: a pooled keep-alive socket or a Redis reconnect timer must not keep a finished bench alive.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
