// kyso signing benchmark: npm run bench  (node --import tsx bench/run.ts [--quick])
// One run on one machine: kyso vs the stock @signpdf route on a 1-page and a 200-page (~9 MB) PDF, the
// RSA/SHA-256 floors, kyso's phase breakdown, and peak RSS per contender in a fresh child process.
// Prints Markdown and writes bench/out/results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import { signCadesDetached } from '../src/pki/cms/cades-detached.ts';
import { embedSignature, estimateReservedBytes, openForSigning, prepareSignature } from '../src/signing/pdf/pades.ts';
import { CONTENDER_LABEL, makeContender, visibleAppearance, type ContenderId } from './contenders.ts';
import { makeInputs, type BenchInput } from './inputs.ts';
import { benchKey } from './key-material.ts';

const QUICK = process.argv.includes('--quick');
const scale = (n: number) => (QUICK ? Math.max(3, Math.ceil(n / 5)) : n);
const MiB = 1024 * 1024;
const ROOT = resolve(import.meta.dirname, '..');

// ---- statistics ----------------------------------------------------------------------------------------
interface Stats {
  n: number;
  median: number;
  p95: number;
  min: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => {
    // Nearest-rank percentile.
    const i = Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1));
    return s[i];
  };
  const mid = s.length >> 1;
  return {
    n: s.length,
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    p95: q(0.95),
    min: s[0],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

async function time(fn: () => unknown, warmup: number, n: number): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return stats(out);
}

const f2 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

// ---- setup ---------------------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'kyso-bench-'));
const started = performance.now();
try {
  const key = benchKey(tmp);
  const inputs = await makeInputs(tmp);
  const [small, large] = inputs;
  const visible = await visibleAppearance();
  const contenders: ContenderId[] = visible.builder ? ['kyso', 'kyso-visible', 'signpdf'] : ['kyso', 'signpdf'];

  const env = {
    node: process.version,
    cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
    openssl: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
    loadavgBefore: loadavg().map((x) => x.toFixed(2)).join(' '),
    key: key.source,
    visible: visible.builder ? 'signer PNG (test/fixtures/images/signature-blue.png) via placement.appearanceBuilder' : `skipped: ${visible.why}`,
    inputs: inputs.map((i) => `${i.label}: ${i.bytes.length} bytes`),
    quick: QUICK,
  };
  console.log(`# kyso bench — ${new Date().toISOString()}\n`);
  console.log(`- Node ${env.node}, ${env.openssl}, ${env.cpu}, load ${env.loadavgBefore}`);
  console.log(`- Key: ${env.key}`);
  console.log(`- Inputs (pdf-lib, classic xref table, made in ${tmp}): ${env.inputs.join('; ')}`);
  console.log(`- Visible appearance: ${env.visible}`);
  if (QUICK) console.log('- --quick: fewer iterations, figures are indicative only');

  // ---- correctness of what we time (one output per contender and input, checked by pdfsig) -------------
  const validity: Record<string, string> = {};
  for (const c of contenders) {
    const sign = await makeContender(c, key);
    for (const input of inputs) {
      const out = join(tmp, `${c}-${input.id}.signed.pdf`);
      writeFileSync(out, await sign(input.bytes));
      const r = spawnSync('pdfsig', ['-nocert', out], { encoding: 'utf8' });
      const ok = /Signature is Valid\./.test(r.stdout) && /Total document signed/.test(r.stdout);
      const result = /Signature Validation: (.*)/.exec(r.stdout)?.[1] ?? (r.stdout + r.stderr).replace(/\s+/g, ' ').slice(-120);
      const cn = /Signer Certificate Common Name: (.*)/.exec(r.stdout)?.[1]?.trim();
      validity[`${c}/${input.id}`] = ok ? 'pdfsig: valid' : `pdfsig: INVALID — "${result.trim()}"${cn ? '' : ', signer certificate not found'}`;
    }
  }

  // ---- timings -------------------------------------------------------------------------------------------
  const plan: Record<ContenderId, Record<string, [warmup: number, n: number]>> = {
    kyso: { '1p': [50, scale(400)], '200p': [10, scale(80)] },
    'kyso-visible': { '1p': [20, scale(200)], '200p': [5, scale(40)] },
    signpdf: { '1p': [5, scale(40)], '200p': [2, scale(12)] },
  };
  const timings: Record<string, Stats> = {};
  for (const c of contenders) {
    const sign = await makeContender(c, key);
    for (const input of inputs) {
      const [w, n] = plan[c][input.id];
      timings[`${c}/${input.id}`] = await time(() => sign(input.bytes), w, n);
    }
  }

  // ---- floors ----------------------------------------------------------------------------------------------
  const speed = execFileSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)/.exec(speed);
  const opensslSignMs = m ? Number(m[1]) * 1000 : NaN;
  const opensslSignPerS = m ? Number(m[3]) : NaN;
  const signer = KeyObjectSigner.fromPkcs12File(key.p12Path, key.password);
  const tbs = Buffer.alloc(120, 1);
  const nodeRsa = await time(() => signer.signSync(tbs, { digest: 'SHA-256', scheme: signer.keyType === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA' }), 50, scale(500));
  const sha = await time(() => createHash('sha256').update(large.bytes).digest(), 5, scale(40));
  const copy = await time(() => Buffer.concat([large.bytes, tbs]), 5, scale(40));

  // ---- kyso phase breakdown (invisible B-B) ------------------------------------------------------------------
  const phases: Record<string, Record<string, Stats>> = {};
  for (const input of [small, large]) {
    const reserved = estimateReservedBytes(signer, 'B-B');
    const reader = openForSigning(input.bytes);
    const prepared = prepareSignature(input.bytes, { reservedBytes: reserved, signingTime: new Date('2026-01-15T03:00:00Z') }, reader);
    const cms = await signCadesDetached({ signer, contentDigest: prepared.documentDigest });
    const [w, n] = input.id === '1p' ? [30, scale(300)] : [5, scale(60)];
    phases[input.id] = {
      'openForSigning (xref, trailer, catalog, perms)': await time(() => openForSigning(input.bytes), w, n),
      'prepareSignature (objects, serialise, concat, SHA-256)': await time(
        () => prepareSignature(input.bytes, { reservedBytes: reserved, signingTime: new Date('2026-01-15T03:00:00Z') }, openForSigning(input.bytes)),
        w,
        n,
      ),
      'signCadesDetached (pkijs CMS + RSA)': await time(() => signCadesDetached({ signer, contentDigest: prepared.documentDigest }), w, n),
      'embedSignature (hex into placeholder)': await time(() => embedSignature(prepared, cms), w, n),
    };
  }

  // ---- peak memory, 200 pages, one child process per contender ----------------------------------------------
  interface Mem {
    mode: string;
    beforeKiB: number;
    vmHwmKiB: number;
    maxRssKiB: number;
    ms: number;
    iterations: number;
  }
  const child = (mode: string, iterations: number): Mem => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/child.ts'), mode, large.file, key.p12Path, key.password, String(iterations)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Mem;
  };
  // One signature per fresh process (the verdict), and 10 back to back (garbage not yet collected included).
  const mem: Record<string, Mem> = {};
  const mem10: Record<string, Mem> = {};
  for (const mode of ['idle', ...contenders]) {
    mem[mode] = child(mode, 1);
    if (mode !== 'idle') mem10[mode] = child(mode, 10);
  }

  // ---- report ---------------------------------------------------------------------------------------------------
  const fileMiB = large.bytes.length / MiB;
  const memTarget = 3 * fileMiB + 100;
  const verdict = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
  const rows: string[][] = [];
  const add = (what: string, input: BenchInput | undefined, s: Stats, target?: number, extra = '') =>
    rows.push([what, input?.label ?? '—', String(s.n), f2(s.median), f2(s.p95), target === undefined ? '—' : `≤ ${target} ms`, target === undefined ? extra : `${verdict(s.median <= target)}${extra}`]);
  for (const c of contenders) {
    for (const input of inputs) {
      const s = timings[`${c}/${input.id}`];
      const target = c === 'kyso' ? (input.id === '1p' ? 2 : 25) : undefined;
      add(CONTENDER_LABEL[c], input, s, target, `${target === undefined ? '' : ' · '}${validity[`${c}/${input.id}`]}`);
    }
  }
  rows.push(['floor: RSA-2048 sign, `openssl speed -seconds 2 rsa2048`', '—', `${opensslSignPerS} /s`, f2(opensslSignMs), '—', '—', '']);
  add('floor: RSA-2048 sign, node:crypto with the bench key', undefined, nodeRsa);
  add('floor: SHA-256 of the 200-page buffer, node:crypto', large, sha, undefined, `${((large.bytes.length / MiB) / (sha.median / 1000)).toFixed(0)} MiB/s`);
  add('floor: one copy of the 200-page buffer (Buffer.concat)', large, copy);

  const header = ['Measure', 'Input', 'N', 'median ms', 'p95 ms', 'Target', 'Verdict / note'];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log('\n## Time per signature (after warm-up)\n');
  console.log(table);

  console.log('\n## kyso vs @signpdf (median)\n');
  console.log('| Input | kyso ms | @signpdf ms | kyso/@signpdf | speed-up |');
  console.log('| --- | --- | --- | --- | --- |');
  const ratios: Record<string, number> = {};
  for (const input of inputs) {
    const k = timings[`kyso/${input.id}`].median;
    const s = timings[`signpdf/${input.id}`].median;
    ratios[input.id] = k / s;
    console.log(`| ${input.label} | ${f2(k)} | ${f2(s)} | ${(k / s).toFixed(3)} | ${(s / k).toFixed(1)}× |`);
  }

  console.log('\n## kyso phases, invisible B-B (median ms)\n');
  const phaseNames = Object.keys(phases['1p']);
  console.log(`| Phase | ${inputs.map((i) => i.label).join(' | ')} |`);
  console.log(`| --- | ${inputs.map(() => '---').join(' | ')} |`);
  for (const p of phaseNames) console.log(`| ${p} | ${inputs.map((i) => f2(phases[i.id][p].median)).join(' | ')} |`);

  console.log(`\n## Peak RSS, 200 pages (${fileMiB.toFixed(1)} MiB), fresh process per contender\n`);
  console.log(
    `Target: ≤ 3 × file + 100 MiB = ${memTarget.toFixed(0)} MiB, judged on one signature. Peak = VmHWM of a child ` +
      '`node --import tsx bench/child.ts`. "before" = VmRSS with modules and key loaded and the file read, just before ' +
      'signing. "idle" = node + tsx + the file, nothing else loaded. The last column signs 10 times back to back ' +
      '(uncollected garbage included); getrusage maxRSS is not used (see bench/README.md).\n',
  );
  console.log('| Process | peak MiB, 1 signature | before signing MiB | peak − before MiB | Target | Verdict | peak MiB, 10 signatures |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [mode, r] of Object.entries(mem)) {
    const peak = r.vmHwmKiB / 1024;
    const before = r.beforeKiB / 1024;
    const label = mode === 'idle' ? 'idle: node + tsx + file' : CONTENDER_LABEL[mode as ContenderId];
    const ten = mem10[mode] ? (mem10[mode].vmHwmKiB / 1024).toFixed(0) : '—';
    console.log(
      `| ${label} | ${peak.toFixed(0)} | ${before.toFixed(0)} | ${mode === 'idle' ? '—' : (peak - before).toFixed(0)} | ≤ ${memTarget.toFixed(0)} | ${mode === 'idle' ? '—' : verdict(peak <= memTarget)} | ${ten} |`,
    );
  }
  const totalS = (performance.now() - started) / 1000;
  console.log(`\nBench wall time ${totalS.toFixed(1)} s; load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/out/results.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        env,
        timings,
        validity,
        ratios,
        floors: { opensslRsa2048SignMs: opensslSignMs, opensslRsa2048SignPerS: opensslSignPerS, nodeRsaSign: nodeRsa, sha256LargeBuffer: sha, copyLargeBuffer: copy },
        phases,
        memory: { fileBytes: large.bytes.length, targetMiB: memTarget, oneSignature: mem, tenSignatures: mem10 },
        targets: { kyso1pMedianMs: 2, kyso200pMedianMs: 25, memory: '3 × file + 100 MiB' },
        wallSeconds: totalS,
      },
      null,
      2,
    )}\n`,
  );
  console.log('Results: bench/out/results.json');

  // The verification bench (bench/verify.ts) in its own process, after the signing figures.
  console.log('');
  const verify = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/verify.ts'), ...(QUICK ? ['--quick'] : [])], { cwd: ROOT, stdio: 'inherit' });
  if (verify.status !== 0) console.log(`bench/verify.ts failed (exit ${verify.status})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
