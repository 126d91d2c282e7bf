// Key store benchmark: npm run bench:keystores  (node --import tsx bench/keystores.ts [--quick])
//
// Signatures per second through each key store kyso can sign with, in one run on this machine, for the
// agency-seal keys of certs-test (vpcp-seal RSA-2048 with RSASSA-PSS/SHA-256, ministry-seal P-256 with
// ECDSA/SHA-256), over the same 300-byte input (the size of a CMS SignedAttributes set):
//   KeyObject   in-memory KeyObjectSigner (PKCS#12 loaded once): native OpenSSL in this process
//   SoftHSM2    Pkcs11Signer on a SoftHSM2 token made in a temp dir (softhsm2-util + pkcs11-tool, as the README)
//   CSC         CscSigner against certs-test/csc-server.ts on loopback: OAuth2 token (cached), then per
//               signature credentials/authorize + signatures/signHash; the service signs hashes either with
//               `openssl pkeyutl` (one process per hash, its default) or through the same SoftHSM2 token
// Each contender runs a fixed number of signatures with 1 and with 8 in flight (bounded counts, no time loops);
// reported: signatures/s, median latency, and the ratio to KeyObject for the same key and concurrency.
// Results: Markdown on stdout and bench/out/keystores-results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CSC_TEST_CLIENT, CSC_TEST_PIN, startCscServer, type CscTestCredential } from '../certs-test/csc-server.ts';
import { testPki } from '../certs-test/index.ts';
import { CscSigner } from '../src/pki/keys/csc-signer.ts';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import { Pkcs11Signer } from '../src/pki/keys/pkcs11-signer.ts';
import type { SignatureAlgorithm, Signer } from '../src/pki/signer.ts';
import { createSoftHsm } from '../test/helpers/softhsm.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const DATA = Buffer.alloc(300, 0x31);
const FAST_N = QUICK ? 200 : 1000;
const SLOW_N = QUICK ? 40 : 200;
const IN_FLIGHT = [1, 8];

interface Row {
  store: string;
  key: 'RSA-2048' | 'P-256';
  inFlight: number;
  n: number;
  perSecond: number;
  medianMs: number;
  ratio?: number;
}

const ALG: Record<Row['key'], SignatureAlgorithm> = {
  'RSA-2048': { digest: 'SHA-256', scheme: 'RSASSA-PSS' },
  'P-256': { digest: 'SHA-256', scheme: 'ECDSA' },
};

/** n signatures with `inFlight` outstanding at a time; wall-clock throughput and per-signature latency. */
async function measure(signer: Signer, alg: SignatureAlgorithm, n: number, inFlight: number): Promise<{ perSecond: number; medianMs: number }> {
  for (let i = 0; i < Math.min(10, n); i++) await signer.sign(DATA, alg); // warm-up: sessions, token, JIT
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const t = performance.now();
      await signer.sign(DATA, alg);
      lat.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { perSecond: n / seconds, medianMs: lat[lat.length >> 1]! };
}

const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function main(): Promise<void> {
  process.stderr.write('setting up SoftHSM2 token and CSC services…\n');
  const hsm = await createSoftHsm([{ label: 'bench', keys: [{ identity: 'vpcp-seal', id: '01' }, { identity: 'ministry-seal', id: '02' }] }]);
  const token = {
    'RSA-2048': await Pkcs11Signer.fromReference(hsm.reference('bench', { key: 'vpcp-seal', pool: '8' }), hsm.env),
    'P-256': await Pkcs11Signer.fromReference(hsm.reference('bench', { key: 'ministry-seal', pool: '8' }), hsm.env),
  };
  const memory = {
    'RSA-2048': KeyObjectSigner.fromPkcs12File(testPki.identity('vpcp-seal').p12, testPki.password),
    'P-256': KeyObjectSigner.fromPkcs12File(testPki.identity('ministry-seal').p12, testPki.password),
  };
  const opensslCsc = await startCscServer();
  const hsmCredentials: CscTestCredential[] = [
    { id: 'vpcp-seal', identity: 'vpcp-seal', pin: CSC_TEST_PIN, signer: token['RSA-2048'] },
    { id: 'ministry-seal', identity: 'ministry-seal', pin: CSC_TEST_PIN, signer: token['P-256'] },
  ];
  const hsmCsc = await startCscServer({ credentials: hsmCredentials });
  const csc = async (url: string, credential: string): Promise<CscSigner> =>
    CscSigner.open({ url, clientId: CSC_TEST_CLIENT.id, clientSecret: CSC_TEST_CLIENT.secret, credential, pin: CSC_TEST_PIN });
  const credentialOf: Record<Row['key'], string> = { 'RSA-2048': 'vpcp-seal', 'P-256': 'ministry-seal' };

  const stores: { store: string; slow: boolean; open: (k: Row['key']) => Promise<Signer> }[] = [
    { store: 'KeyObject (in memory)', slow: false, open: async (k) => memory[k] },
    { store: 'SoftHSM2 (PKCS#11)', slow: false, open: async (k) => token[k] },
    { store: 'CSC loopback → SoftHSM2', slow: true, open: (k) => csc(hsmCsc.url, credentialOf[k]) },
    { store: 'CSC loopback → openssl pkeyutl', slow: true, open: (k) => csc(opensslCsc.url, credentialOf[k]) },
  ];

  const rows: Row[] = [];
  for (const key of ['RSA-2048', 'P-256'] as const) {
    for (const s of stores) {
      const signer = await s.open(key);
      for (const inFlight of IN_FLIGHT) {
        const n = s.slow ? SLOW_N : FAST_N;
        process.stderr.write(`${s.store} ${key} ×${inFlight}: ${n} signatures…\n`);
        rows.push({ store: s.store, key, inFlight, n, ...(await measure(signer, ALG[key], n, inFlight)) });
      }
    }
  }
  for (const r of rows) {
    const base = rows.find((b) => b.store.startsWith('KeyObject') && b.key === r.key && b.inFlight === r.inFlight)!;
    r.ratio = r.perSecond / base.perSecond;
  }

  await opensslCsc.close();
  await hsmCsc.close();
  await token['RSA-2048'].close();
  await token['P-256'].close();
  hsm.remove();

  const lines = [
    `# kyso key stores — signatures per second (${new Date().toISOString()})`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}${QUICK ? '; --quick' : ''}`,
    'Input: 300 bytes; RSA-2048 = RSASSA-PSS/SHA-256 (vpcp-seal), P-256 = ECDSA/SHA-256 (ministry-seal).',
    '',
    '| key store | key | in flight | signatures | sig/s | median ms | × KeyObject |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.store} | ${r.key} | ${r.inFlight} | ${r.n} | ${f(r.perSecond)} | ${f(r.medianMs)} | ${r.ratio!.toFixed(3)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = join(ROOT, 'bench/out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'keystores-results.json'), JSON.stringify({ at: new Date().toISOString(), quick: QUICK, rows }, null, 2));
}

await main();
