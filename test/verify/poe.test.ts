// Past-time validation with proof of existence (ETSI EN 319 102-1 §5.6): what a signature is worth years later,
// after its certificate expired or was revoked, with the OCSP responder gone. Real PKI servers (the committed
// test PKI, and variants made at test time with a short-lived TSA or extra signers revoked at chosen times);
// clocks moved with the PKI server's `now` (signing in the past) and the verifier's `at` / `--at` (the future).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { requestTimestamp } from '../../src/pki/tsp-client.ts';
import { extendPdf } from '../../src/signing/pdf/extend.ts';
import { signPdf } from '../../src/signing/pdf/pades.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { clearRevocationCache } from '../../src/verify/revocation-validator.ts';
import { runKyso } from '../helpers/cli.ts';
import { makeAltPki } from '../helpers/ltv-pki.ts';
import { signerOf } from '../helpers/signing.ts';

const input = readFileSync(join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf'));
const DAY = 86_400_000;

const servers: TestPkiServer[] = [];
async function server(opts: Parameters<typeof startTestPkiServer>[0] = {}): Promise<TestPkiServer> {
  const s = await startTestPkiServer(opts);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** Verifies with every PKI server unreachable and only the file's own data. */
async function offline(bytes: Uint8Array, at?: Date): Promise<ValidationReport> {
  for (const s of servers) s.setOffline(true);
  clearRevocationCache();
  clearCrlCache();
  try {
    return await verifyPdf(bytes, { offline: true, ...(at ? { at } : {}) });
  } finally {
    for (const s of servers) s.setOffline(false);
  }
}

const tsaOf = (s: TestPkiServer) => async (value: Uint8Array, digest: 'SHA-256' | 'SHA-384' | 'SHA-512') =>
  (await requestTimestamp(value, digest, { rewrite: s.rewrite, url: `${s.url}/tsa` })).tokenDer;

describe('an expired signing certificate', () => {
  it('B-LT signed while it was valid (timestamp 10 Jan 2025, expiry 14 Jan 2025) → TOTAL_PASSED today, offline', async () => {
    const then = new Date('2025-01-10T03:00:00Z');
    const past = await server({ now: () => then });
    const { bytes } = await signDocument(input, {
      signer: signerOf('expired-signer'),
      level: 'B-LT',
      tsaUrl: `${past.url}/tsa`,
      network: { rewrite: past.rewrite },
      revocationCheck: 'require',
      now: then,
    });
    const r = await offline(bytes);
    expect(r.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', level: 'B-LT' });
    expect(r.signatures[0].checks.find((c) => c.id === 'CERTIFICATE_VALIDITY')!.status).toBe('PASSED');
  });

  it('without a timestamp (B-B, claimed June 2024) → INDETERMINATE / OUT_OF_BOUNDS_NO_POE', async () => {
    const bytes = await signPdf(input, { signer: signerOf('expired-signer'), signingTime: new Date('2024-06-01T03:00:00Z') });
    const online = await server();
    const r = await verifyPdf(bytes, { network: { rewrite: online.rewrite } });
    expect(r.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE', level: 'B-B' });
  });
});

describe('a revoked signing certificate', () => {
  it('revoked after the timestamp: TOTAL_PASSED online and, once extended to B-LT, offline with the "revoked" OCSP answer embedded', async () => {
    const alt = makeAltPki({ signers: [{ id: 'late', commonName: 'Lê Văn Muộn', notBefore: new Date('2025-04-01T00:00:00Z'), notAfter: new Date('2028-03-31T23:59:59Z') }] });
    const before = await server({ dir: alt.dir });
    const bt = await signPdf(input, { signer: alt.signer('late'), level: 'B-T', timestamper: tsaOf(before) });
    const revokedAt = new Date(Date.now() + 2000);
    alt.revoke('late', revokedAt);
    await new Promise((ok) => setTimeout(ok, 2100));
    const after = await server({ dir: alt.dir });
    clearRevocationCache();
    const online = await verifyPdf(bt, { network: { rewrite: after.rewrite } });
    expect(online.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', level: 'B-T' });
    expect(online.signatures[0].checks.find((c) => c.id === 'REVOCATION')!.message.en).toMatch(/after the proven signing time/);

    const lt = (await extendPdf(bt, { level: 'B-LT', network: { rewrite: after.rewrite } })).bytes;
    const r = await offline(lt, new Date(Date.now() + 365 * DAY));
    expect(r.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', level: 'B-LT' });
    expect(r.signatures[0].checks.find((c) => c.id === 'REVOCATION')!.message.en).toMatch(/revoked at .*after the proven signing time.*embedded/);
  });

  it('revoked before the timestamp (revoked-signer, revoked Sept 2025, signed today) → TOTAL_FAILED / REVOKED, offline', async () => {
    const now = await server();
    const { bytes } = await signDocument(input, {
      signer: signerOf('revoked-signer'),
      level: 'B-LT',
      tsaUrl: `${now.url}/tsa`,
      network: { rewrite: now.rewrite },
      revocationCheck: 'off',
    });
    const r = await offline(bytes);
    expect(r.signatures[0]).toMatchObject({ indication: 'TOTAL_FAILED', subIndication: 'REVOKED' });
  });

  it('revoked after the claimed time but no timestamp → INDETERMINATE / REVOKED_NO_POE', async () => {
    const alt = makeAltPki({
      signers: [
        {
          id: 'nopoe',
          commonName: 'Đỗ Thị Chưa',
          notBefore: new Date('2025-04-01T00:00:00Z'),
          notAfter: new Date('2028-03-31T23:59:59Z'),
          revocation: { time: new Date(Date.now() - DAY), reason: 'keyCompromise' },
        },
      ],
    });
    const s = await server({ dir: alt.dir });
    const bytes = await signPdf(input, { signer: alt.signer('nopoe'), signingTime: new Date(Date.now() - 2 * DAY) });
    const r = await verifyPdf(bytes, { network: { rewrite: s.rewrite } });
    expect(r.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
  });
});

describe('document timestamps chain proofs of existence', () => {
  // The first archive is made with a TSA whose certificate expires mid-2027; the signer's expires in March 2028.
  const shortTsa = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2027-06-30T23:59:59Z'), commonName: 'Test TSA ngắn hạn' };
  const june2028 = new Date('2028-06-01T00:00:00+07:00');

  it('a B-LTA file whose TSA has expired is INDETERMINATE; renewed before that with another TSA it is TOTAL_PASSED', async () => {
    const alt = makeAltPki({ tsa: shortTsa });
    const shortLived = await server({ dir: alt.dir });
    const { bytes: lta } = await signDocument(input, {
      signer: signerOf('person-vpcp'),
      level: 'B-LTA',
      tsaUrl: `${shortLived.url}/tsa`,
      network: { rewrite: shortLived.rewrite },
      revocationCheck: 'require',
    });
    expect((await offline(lta)).indication).toBe('TOTAL_PASSED');

    const stale = await offline(lta, june2028);
    expect(stale.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(stale.signatures[1].checks.find((c) => c.id === 'CERTIFICATE_VALIDITY')!.message.en).toMatch(/Test TSA ngắn hạn.*no archive timestamp/);

    // Archive renewal with the long-lived TSA (until 2029) while the short one is still valid.
    const longLived = await server();
    const renewed = (await extendPdf(lta, { level: 'B-LTA', tsaUrl: `${longLived.url}/tsa`, network: { rewrite: longLived.rewrite } })).bytes;
    const r = await offline(renewed, june2028);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures.map((s) => [s.kind, s.indication])).toEqual([
      ['signature', 'TOTAL_PASSED'],
      ['document-timestamp', 'TOTAL_PASSED'],
      ['document-timestamp', 'TOTAL_PASSED'],
    ]);

    // Once the newest TSA has expired too (end of 2029), nothing covers it any more.
    const later = await offline(renewed, new Date('2030-06-01T00:00:00+07:00'));
    expect(later.indication).toBe('INDETERMINATE');

    // The same through the CLI, with the clock moved by --at.
    const dir = mkdtempSync(join(tmpdir(), 'kyso-poe-'));
    writeFileSync(join(dir, 'lta.pdf'), lta);
    writeFileSync(join(dir, 'renewed.pdf'), renewed);
    const env = { ...process.env, KYSO_PKI_URL_REWRITE: `${testPki.baseUrl}=http://127.0.0.1:9` };
    const a = await runKyso(['verify', '--offline', '--at', '2028-06-01', 'lta.pdf'], { cwd: dir, env });
    const b = await runKyso(['verify', '--offline', '--at', '2028-06-01', 'renewed.pdf'], { cwd: dir, env });
    expect([a.code, b.code]).toEqual([2, 0]);
    expect(a.stdout).toMatch(/OUT_OF_BOUNDS_NO_POE/);
  });
});
