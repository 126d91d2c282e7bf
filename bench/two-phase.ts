// Two-phase signing benchmark: npm run bench:two-phase  (node --import tsx bench/two-phase.ts [--quick])
//
// What the split costs against one-shot signing, measured in one run on the same inputs and key (the test
// PKI's person-vpcp RSA-2048 from certs-test, invisible PAdES-B-B on test/fixtures/pdf/pdflib-table.pdf, and
// XAdES-B-B on the edXML sample), with the certificate pre-check off on every row (it is the same network call
// in both paths). Rows, each in-process and sequential, rounds interleaved so load drifts hit all rows alike:
//   one-shot      signDocument / signXmlDocument with a KeyObjectSigner
//   two-phase     startPdfSession → the "clerk" signs toBeSigned with the same key → completePdfSession
//                 (the value is verified against the certificate before embedding; XML replays the signer)
//   service       SigningSessionService.start + complete on PGlite in memory with file blobs: session row,
//                 blobs, three audit entries, and kyso's offline verification of the result (what the HTTP
//                 API does, minus HTTP)
// Results: Markdown on stdout (sessions/s and the ratio to one-shot) and bench/out/two-phase-results.json.
import { constants, createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import type { SignatureAlgorithm } from '../src/pki/signer.ts';
import { signDocument } from '../src/signing/pdf/sign-document.ts';
import { signXmlDocument } from '../src/signing/xml/sign-xml-document.ts';
import { completePdfSession, completeXmlSession, startPdfSession, startXmlSession } from '../src/signing/two-phase/index.ts';
import { SigningSessionService } from '../src/http/signing-sessions.ts';
import { createApiKey } from '../src/store/api-key.ts';
import { openBlobStore } from '../src/store/blob-store.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { TrustStore } from '../src/verify/trust-store.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const PKI = join(ROOT, 'certs-test/pki');
const ROUNDS = QUICK ? 3 : 5;
const PER_ROUND = QUICK ? 10 : 30;
const PER_ROUND_SERVICE = QUICK ? 3 : 8;

const pdf = readFileSync(join(ROOT, 'test/fixtures/pdf/pdflib-table.pdf'));
const xml = readFileSync(join(ROOT, 'test/fixtures/xml/edxml-sample.xml'));
const signer = KeyObjectSigner.fromPkcs12File(join(PKI, 'person-vpcp.p12'), 'kyso-test');
const key: KeyObject = createPrivateKey(readFileSync(join(PKI, 'person-vpcp.key.pem'), 'utf8'));
const certificate = new Uint8Array(new X509Certificate(readFileSync(join(PKI, 'person-vpcp.pem'))).raw);
const chain = [...signer.chain];

/** The clerk's side: what WebCrypto does with the announced algorithm. */
function clerkSign(a: SignatureAlgorithm, data: Uint8Array): Uint8Array {
  if (a.scheme === 'RSASSA-PSS') return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return sign('sha256', data, key);
}

type Row = { name: string; format: 'PDF' | 'XML'; run: () => Promise<unknown>; perRound: number; ms: number[] };

async function main(): Promise<void> {
  const blobDir = mkdtempSync(join(tmpdir(), 'kyso-bench-2phase-'));
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  await db.query(`INSERT INTO agencies (id, name, delivery_mode) VALUES ('000.00.00.G22', 'Văn phòng Chính phủ', 'pull')`);
  const apiKey = await createApiKey(db, { role: 'agency', agencyId: '000.00.00.G22' });
  const principal = { keyId: apiKey.keyId, role: apiKey.role, agencyId: apiKey.agencyId };
  const svc = new SigningSessionService({ db, blobs: openBlobStore(db, { storage: 'file', dir: blobDir }), verify: { trust: TrustStore.demo(), offline: true }, revocationCheck: 'off' });

  const rows: Row[] = [
    { name: 'one-shot signDocument', format: 'PDF', perRound: PER_ROUND, ms: [], run: () => signDocument(pdf, { signer, revocationCheck: 'off' }) },
    {
      name: 'two-phase start + complete',
      format: 'PDF',
      perRound: PER_ROUND,
      ms: [],
      run: async () => {
        const s = await startPdfSession(pdf, { certificate, chain, revocationCheck: 'off' });
        return completePdfSession(s.state, clerkSign(s.algorithm, s.toBeSigned));
      },
    },
    {
      name: 'service start + complete (DB, blobs, audit, verify)',
      format: 'PDF',
      perRound: PER_ROUND_SERVICE,
      ms: [],
      run: async () => {
        const s = await svc.start(principal, { document: pdf, certificate, chain });
        return svc.complete(principal, String(s.id), clerkSign({ digest: 'SHA-256', scheme: s.signatureAlgorithm as SignatureAlgorithm['scheme'] }, Buffer.from(String(s.toBeSigned), 'base64')));
      },
    },
    { name: 'one-shot signXmlDocument', format: 'XML', perRound: PER_ROUND, ms: [], run: () => signXmlDocument(xml, { signer, revocationCheck: 'off' }) },
    {
      name: 'two-phase start + complete',
      format: 'XML',
      perRound: PER_ROUND,
      ms: [],
      run: async () => {
        const s = await startXmlSession(xml, { certificate, chain, revocationCheck: 'off' });
        return completeXmlSession(s.state, clerkSign(s.algorithm, s.toBeSigned));
      },
    },
  ];
  for (const r of rows) await r.run(); // warm-up (JIT, caches, first PGlite statements)
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of rows) {
      for (let i = 0; i < r.perRound; i++) {
        const t = performance.now();
        await r.run();
        r.ms.push(performance.now() - t);
      }
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const results = rows.map((r) => ({ format: r.format, name: r.name, n: r.ms.length, medianMs: median(r.ms), perSecond: 1000 / median(r.ms) }));
  const base = (f: 'PDF' | 'XML') => results.find((x) => x.format === f && x.name.startsWith('one-shot'))!.perSecond;
  console.log(`\nTwo-phase signing vs one-shot — ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}`);
  console.log(`${ROUNDS} interleaved rounds; sequential, in-process; RSA-2048 PSS (PDF) / rsa-sha256 (XML), B-B\n`);
  console.log('| format | path | n | median ms | sessions/s | vs one-shot |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.format} | ${r.name} | ${r.n} | ${r.medianMs.toFixed(2)} | ${r.perSecond.toFixed(1)} | ${(r.perSecond / base(r.format)).toFixed(2)}× |`);
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/out/two-phase-results.json'), JSON.stringify({ at: new Date().toISOString(), cpu: cpus()[0]?.model, results }, null, 2));
  await db.close();
  rmSync(blobDir, { recursive: true, force: true });
}

await main();
