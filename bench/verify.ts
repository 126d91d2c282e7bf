// kyso verification benchmark: npm run bench:verify  (node --import tsx bench/verify.ts [--quick])
//
// One 1-page PDF with two B-T signatures (person-vpcp signer image + vpcp-seal seal, as in the README), made at
// bench start against the test PKI server running in this process. Then, on this machine:
//   (a) in-process verifyPdf (crypto + chain + cached revocation + difference analysis): median/p95, ≥ 200 runs
//   (b) POST /api/v1/verify throughput: `kyso serve` in a child process, wrk (or a Node keep-alive loop) for ~10 s
//   (c) pdfsig on the same file, one process per file, sequentially and 2 in parallel
// side by side in one Markdown table; raw figures in bench/out/verify-results.json.
//
// Everything that talks to the PKI server (the validator, pdfsig's own OCSP client, the API child) runs
// asynchronously: a blocking spawnSync against a server in this process would deadlock.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import { startTestPkiServer, type TestPkiServer } from '../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../src/signing/pdf/sign-document.ts';
import { verifyPdf } from '../src/verify/pdf/pdf-validator.ts';
import { defaultPolicy } from '../src/verify/policy.ts';
import type { ValidationReport } from '../src/verify/report.ts';
import { TrustStore } from '../src/verify/trust-store.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const PKI = join(ROOT, 'certs-test/pki');
const PASSWORD = 'kyso-test';
const LOAD_SECONDS = QUICK ? 3 : 10;
/** `kyso serve --workers W` under N concurrent keep-alive connections. */
const LOAD_PLAN: { workers: number; concurrency: number }[] = [
  { workers: cpus().length, concurrency: 1 },
  { workers: cpus().length, concurrency: 8 },
  { workers: 0, concurrency: 8 },
];

// ---- statistics --------------------------------------------------------------------------------------------
interface Stats {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  mean: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const mid = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, p95: q(0.95), p99: q(0.99), min: s[0]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const f2 = (x: number) => (!Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- child processes (always async) ----------------------------------------------------------------------------
interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ProcResult> {
  return new Promise((ok, fail) => {
    const t = performance.now();
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => ok({ code: code ?? -1, stdout, stderr, ms: performance.now() - t }));
  });
}

// ---- input ------------------------------------------------------------------------------------------------
async function onePage(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const date = new Date('2026-01-15T03:00:00Z');
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  doc.setTitle('kyso verify bench input');
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Van ban tra loi phan anh, kien nghi', { x: 56, y: 790, size: 14, font });
  for (let l = 0; l < 30; l++) page.drawText(`Line ${l + 1}: Lorem ipsum dolor sit amet, consectetur adipiscing elit.`, { x: 56, y: 760 - l * 14, size: 10, font });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

async function signTwice(pdf: Buffer, pki: TestPkiServer): Promise<Buffer> {
  const network = { rewrite: pki.rewrite };
  const tsaUrl = `${pki.url}/tsa`;
  const images = join(ROOT, 'test/fixtures/images');
  const one = await signDocument(pdf, {
    signer: KeyObjectSigner.fromPkcs12File(join(PKI, 'person-vpcp.p12'), PASSWORD),
    level: 'B-T',
    tsaUrl,
    network,
    revocationCheck: 'require',
    appearance: { kind: 'signer', image: readFileSync(join(images, 'signature-blue.png')) },
    reason: 'Phê duyệt văn bản trả lời',
  });
  const two = await signDocument(one.bytes, {
    signer: KeyObjectSigner.fromPkcs12File(join(PKI, 'vpcp-seal.p12'), PASSWORD),
    level: 'B-T',
    tsaUrl,
    network,
    revocationCheck: 'require',
    appearance: { kind: 'seal', image: readFileSync(join(images, 'seal-red.png')) },
  });
  return two.bytes;
}

const verdictOf = (r: ValidationReport) =>
  `${r.indication} (${r.signatures.map((s) => `${s.format} ${s.indication}${s.subIndication ? `/${s.subIndication}` : ''}`).join(', ')})`;

// ---- (b) load generators ----------------------------------------------------------------------------------------
interface Load {
  tool: string;
  workers?: number;
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p90: number;
  p99: number;
  bad: number;
}

function parseWrkMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const x = Number(m[1]);
  return m[2] === 'us' ? x / 1000 : m[2] === 'ms' ? x : m[2] === 's' ? x * 1000 : x * 60_000;
}

async function loadWithWrk(url: string, file: string, concurrency: number, seconds: number, dir: string): Promise<Load> {
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"
local f = assert(io.open(${JSON.stringify(file)}, "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/pdf"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"indication":"TOTAL_PASSED"', 1, true) or string.find(body, '"TOTAL_FAILED"', 1, true) or string.find(body, '"INDETERMINATE"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("KYSO_BAD %d\\n", total))
end
`,
  );
  const r = await run('wrk', ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '-s', script, `${url}/api/v1/verify`]);
  if (r.code !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const pct = (p: string) => parseWrkMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(r.stdout)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const bad = Math.max(Number(/KYSO_BAD (\d+)/.exec(r.stdout)?.[1] ?? 0), non2xx);
  return { tool: 'wrk', concurrency, seconds, requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN), p50: pct('50'), p90: pct('90'), p99: pct('99'), bad };
}

/** Fallback when wrk is not installed: N keep-alive connections, each sending the next request when the last answered. */
async function loadWithNode(url: string, body: Buffer, concurrency: number, seconds: number): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(`${url}/api/v1/verify`);
  const latencies: number[] = [];
  let bad = 0;
  const one = () =>
    new Promise<void>((ok, fail) => {
      const t = performance.now();
      const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/pdf', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t);
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.includes('"indication":"TOTAL_PASSED"') || text.includes('"TOTAL_FAILED"') || text.includes('"INDETERMINATE"')) bad++;
          ok();
        });
      });
      req.on('error', fail);
      req.end(body);
    });
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const s = stats(latencies);
  const q = (p: number) => [...latencies].sort((a, b) => a - b)[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
  return { tool: 'node http loop', concurrency, seconds: elapsed, requests: latencies.length, rps: latencies.length / elapsed, p50: s.median, p90: q(0.9), p99: s.p99, bad };
}

async function startApiChild(env: NodeJS.ProcessEnv, workers: number): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/kyso.js'), 'serve', '--port', '0', '--no-demo-pki', '--workers', String(workers)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`kyso serve did not start: ${out}${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.on('exit', (code) => fail(new Error(`kyso serve exited ${code}: ${out}${err}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

// ---- (c) pdfsig ------------------------------------------------------------------------------------------------
function nssDb(dir: string): string {
  const db = join(dir, 'nss');
  mkdirSync(db);
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'Test NEAC Root', '-t', 'CT,C,C', '-i', join(PKI, 'root-ca.pem')]);
  return db;
}

interface ProcBench {
  label: string;
  parallel: number;
  files: number;
  wallS: number;
  filesPerS: number;
  perProcess: Stats;
  verdict: string;
}

async function processPerFile(label: string, cmd: string, args: (i: number) => string[], files: number, parallel: number, ok: (r: ProcResult) => boolean, env?: NodeJS.ProcessEnv): Promise<ProcBench> {
  const times: number[] = [];
  let good = 0;
  let sample = '';
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < files) {
        const i = next++;
        const r = await run(cmd, args(i), { env });
        times.push(r.ms);
        if (ok(r)) good++;
        else sample ||= (r.stdout + r.stderr).replace(/\s+/g, ' ').slice(0, 200);
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  return { label, parallel, files, wallS, filesPerS: files / wallS, perProcess: stats(times), verdict: good === files ? `${good}/${files} as expected` : `${good}/${files} as expected; e.g. "${sample}"` };
}

const pdfsigOk = (r: ProcResult) =>
  (r.stdout.match(/Signature is Valid\./g) ?? []).length === 2 && (r.stdout.match(/Certificate is Trusted\./g) ?? []).length === 2;

// ---- main --------------------------------------------------------------------------------------------------------
export async function runVerifyBench(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'kyso-bench-verify-'));
  // Port 8400 is the one baked into the test certificates: there pdfsig's own OCSP client reaches the server too.
  let pki: TestPkiServer;
  let onBakedPort = true;
  try {
    pki = await startTestPkiServer({ port: 8400 });
  } catch {
    pki = await startTestPkiServer();
    onBakedPort = false;
  }
  const started = performance.now();
  try {
    const network = { rewrite: pki.rewrite };
    const pdf = await signTwice(await onePage(), pki);
    const file = join(tmp, 'two-signatures.pdf');
    writeFileSync(file, pdf);
    const trust = TrustStore.demo();
    const policy = defaultPolicy();
    const env = {
      node: process.version,
      cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
      loadavgBefore: loadavg().map((x) => x.toFixed(2)).join(' '),
      input: `1 page (pdf-lib, Times-Roman) + person-vpcp signer image B-T + vpcp-seal seal B-T: ${pdf.length} bytes`,
      pki: `test PKI server on ${pki.url}${onBakedPort ? ' (the certificates’ own port: pdfsig can use OCSP)' : ' (8400 busy: pdfsig runs with -no-ocsp only)'}`,
      quick: QUICK,
    };
    console.log(`# kyso verification bench — ${new Date().toISOString()}\n`);
    console.log(`- Node ${env.node}, ${env.cpu}, load ${env.loadavgBefore}`);
    console.log(`- Input: ${env.input}`);
    console.log(`- PKI: ${env.pki}`);
    if (QUICK) console.log('- --quick: fewer iterations and shorter load runs, figures are indicative only');

    // ---- (a) in-process -----------------------------------------------------------------------------------
    const verify = () => verifyPdf(pdf, { trust, policy, network });
    const ocspBefore = pki.requests.ocsp + pki.requests.crl;
    let t = performance.now();
    const first = await verify();
    const coldMs = performance.now() - t;
    const fetchedCold = pki.requests.ocsp + pki.requests.crl - ocspBefore;
    const warm = QUICK ? 20 : 50;
    const n = QUICK ? 200 : 400;
    for (let i = 0; i < warm; i++) await verify();
    const fetchesBefore = pki.requests.ocsp + pki.requests.crl;
    const samples: number[] = [];
    let last = first;
    for (let i = 0; i < n; i++) {
      t = performance.now();
      last = await verify();
      samples.push(performance.now() - t);
    }
    const inProc = stats(samples);
    const fetchesTimed = pki.requests.ocsp + pki.requests.crl - fetchesBefore;
    const inProcVerdict = verdictOf(last);

    // ---- (b) HTTP ------------------------------------------------------------------------------------------
    const childEnv = { ...process.env, KYSO_PKI_URL_REWRITE: Object.entries(pki.rewrite).map(([a, b]) => `${a}=${b}`).join(',') };
    const loads: Load[] = [];
    let apiVerdict = '';
    const haveWrk = (await run('sh', ['-c', 'command -v wrk'])).code === 0;
    for (const workers of [...new Set(LOAD_PLAN.map((p) => p.workers))]) {
      const api = await startApiChild(childEnv, workers);
      try {
        const postOnce = () => fetch(`${api.url}/api/v1/verify`, { method: 'POST', body: new Uint8Array(pdf), headers: { 'content-type': 'application/pdf' } });
        const res = await postOnce();
        apiVerdict ||= `HTTP ${res.status} ${res.status === 200 ? verdictOf((await res.json()) as ValidationReport) : await res.text()}`;
        // Warm-up: JIT and the OCSP cache of every worker (concurrent requests reach every worker).
        const warmEnd = performance.now() + (QUICK ? 1000 : 3000);
        while (performance.now() < warmEnd) await Promise.all(Array.from({ length: 4 }, async () => (await postOnce()).arrayBuffer()));
        for (const { concurrency } of LOAD_PLAN.filter((p) => p.workers === workers)) {
          const l = haveWrk ? await loadWithWrk(api.url, file, concurrency, LOAD_SECONDS, tmp) : await loadWithNode(api.url, pdf, concurrency, LOAD_SECONDS);
          loads.push({ ...l, workers });
          await sleep(500);
        }
      } finally {
        await api.stop();
      }
    }

    // ---- (c) pdfsig, and kyso's own CLI for the process-per-file comparison ------------------------------------
    const db = nssDb(tmp);
    const pdfsigFiles = QUICK ? 20 : 60;
    const procs: ProcBench[] = [];
    for (const parallel of [1, 2]) {
      procs.push(await processPerFile('pdfsig -no-ocsp (signature + chain)', 'pdfsig', () => ['-nssdir', `sql:${db}`, '-no-ocsp', file], pdfsigFiles, parallel, pdfsigOk));
    }
    if (onBakedPort) {
      for (const parallel of [1, 2]) {
        procs.push(await processPerFile('pdfsig with online OCSP (NSS, per process)', 'pdfsig', () => ['-nssdir', `sql:${db}`, file], pdfsigFiles, parallel, pdfsigOk));
      }
    }
    const kysoCliFiles = QUICK ? 4 : 10;
    procs.push(
      await processPerFile('kyso verify FILE (node + tsx start-up per file)', process.execPath, () => [join(ROOT, 'bin/kyso.js'), 'verify', file], kysoCliFiles, 1, (r) => r.code === 0, childEnv),
    );
    // kyso verify DIR: one process, many files (the batch mode).
    const batchDir = join(tmp, 'batch');
    mkdirSync(batchDir);
    const batchFiles = QUICK ? 50 : 200;
    for (let i = 0; i < batchFiles; i++) writeFileSync(join(batchDir, `f${String(i).padStart(4, '0')}.pdf`), pdf);
    const b = await run(process.execPath, [join(ROOT, 'bin/kyso.js'), 'verify', batchDir], { env: childEnv });
    const batch = { files: batchFiles, wallS: b.ms / 1000, filesPerS: batchFiles / (b.ms / 1000), verdict: b.code === 0 ? `exit 0, ${batchFiles}/${batchFiles} TOTAL_PASSED` : `exit ${b.code}: ${b.stdout.slice(-300)}` };

    // ---- report ----------------------------------------------------------------------------------------------------
    const rows: string[][] = [];
    rows.push([
      '(a) `verifyPdf` in-process, cached revocation',
      '1',
      `${f2(1000 / inProc.median)} /s`,
      f2(inProc.median),
      `${f2(inProc.p95)} (p95)`,
      `${inProc.median <= 3 ? '✅' : '❌'} target ≤ 3 ms median · N=${inProc.n} · ${inProcVerdict}`,
    ]);
    for (const l of loads) {
      rows.push([
        `(b) \`POST /api/v1/verify\`, \`kyso serve --workers ${l.workers}\`${l.workers === 0 ? ' (main thread)' : ''}, ${l.tool}, keep-alive`,
        String(l.concurrency),
        `${f2(l.rps)} req/s`,
        f2(l.p50),
        `${f2(l.p99)} (p99)`,
        `${l.requests} requests in ${l.seconds.toFixed(0)} s, ${l.bad} not 200 TOTAL_PASSED`,
      ]);
    }
    for (const p of procs) {
      rows.push([`(c) ${p.label}, one process per file`, String(p.parallel), `${f2(p.filesPerS)} files/s`, f2(p.perProcess.median), `${f2(p.perProcess.p95)} (p95)`, `${p.files} runs · ${p.verdict}`]);
    }
    rows.push(['kyso verify DIR (one process, files in a directory)', '1', `${f2(batch.filesPerS)} files/s`, '—', '—', `${batch.files} files in ${batch.wallS.toFixed(1)} s incl. start-up · ${batch.verdict}`]);
    const header = ['Route', 'Concurrency', 'Throughput', 'median ms', 'tail ms', 'Notes'];
    console.log('\n## Verifying a 1-page PDF with two signatures\n');
    console.log([header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
    console.log(
      `\nFirst (cold) in-process validation: ${f2(coldMs)} ms with ${fetchedCold} OCSP/CRL fetches; ` +
        `${fetchesTimed} fetches during the ${inProc.n} timed runs (the revocation answers come from the cache). ` +
        `API first answer: ${apiVerdict}. ${cpus().length} cores: the API process and the load generator share them.`,
    );
    const wall = (performance.now() - started) / 1000;
    console.log(`\nBench wall time ${wall.toFixed(1)} s; load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

    mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/out/verify-results.json'),
      `${JSON.stringify({ date: new Date().toISOString(), env, inProcess: { stats: inProc, coldMs, fetchedCold, fetchesTimed, verdict: inProcVerdict }, api: { firstAnswer: apiVerdict, loads }, processPerFile: procs, batch, wallSeconds: wall }, null, 2)}\n`,
    );
    console.log('Results: bench/out/verify-results.json');
  } finally {
    await pki.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (!existsSync(PKI)) throw new Error('certs-test/pki is missing (npm run certs:generate)');
  await runVerifyBench();
}
