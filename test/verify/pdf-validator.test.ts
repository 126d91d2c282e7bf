// Issue 3 proof, valid side and trust/revocation side: what kyso and other tools sign verifies TOTAL_PASSED;
// untrusted, revoked, expired signers and an unreachable OCSP/CRL never do.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { timestampPdf } from '../../src/signing/pdf/document-timestamp.ts';
import { signPdf } from '../../src/signing/pdf/pades.ts';
import { verifyPdf, type VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { signerOf, signThree } from '../helpers/signing.ts';

const run = promisify(execFile);
let server: TestPkiServer;
let opts: VerifyOptions;

beforeAll(async () => {
  server = await startTestPkiServer();
  opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
});
afterAll(async () => server?.close());

function expectAllPassed(r: ValidationReport): void {
  const failing = r.signatures.flatMap((s) => s.checks.filter((c) => c.status === 'FAILED').map((c) => `${s.id}/${c.id}: ${c.message.en}`));
  expect(failing).toEqual([]);
  expect(r.indication).toBe('TOTAL_PASSED');
  for (const s of r.signatures) expect(s.indication).toBe('TOTAL_PASSED');
}

describe.each(samples.map((s) => [s.id, s] as const))('kyso-signed %s', (_id, sample) => {
  let signed: Buffer[];
  beforeAll(async () => {
    signed = await signThree(readFileSync(sample.file), server);
  });

  it('verifies TOTAL_PASSED with signer, seal and stamp, in the TT 15 vocabulary', async () => {
    const r = await verifyPdf(signed[2], opts);
    expectAllPassed(r);
    expect(r.signatures.map((s) => s.format)).toEqual(['PAdES-BASELINE-B', 'PAdES-BASELINE-T', 'PAdES-BASELINE-T']);
    expect(r.signatures.map((s) => s.coverage)).toEqual(['ENTIRE_REVISION', 'ENTIRE_REVISION', 'ENTIRE_FILE']);
    expect(r.signatures.map((s) => s.modifications.level)).toEqual(['ALLOWED', 'ALLOWED', 'NONE']);
    const first = r.signatures[0];
    expect(first.signer?.commonName).toBe('Nguyễn Văn An');
    expect(first.signer?.title).toBe('Chánh Văn phòng');
    expect(first.summary.result).toBe('Hợp lệ');
    expect(first.summary.signer).toMatch(/Nguyễn Văn An — Chánh Văn phòng — Văn phòng Chính phủ/);
    expect(first.summary.issuer).toMatch(/Test Ban Cơ yếu CA/);
    expect(first.summary.signingTime).toMatch(/\+07:00$/);
    expect(r.signatures[1].timestamp?.valid).toBe(true);
    expect(r.signatures[1].summary.timestamp).toMatch(/\+07:00/);
  });
});

describe('other producers and shapes', () => {
  it('a document timestamp after signer and seal: all TOTAL_PASSED', async () => {
    const [, two] = await signThree(readFileSync(samples[0].file), server);
    const stamped = await timestampPdf(two, { tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite } });
    const r = await verifyPdf(stamped, opts);
    expectAllPassed(r);
    expect(r.signatures.map((s) => s.kind)).toEqual(['signature', 'signature', 'document-timestamp']);
    expect(r.signatures[2].format).toBe('PAdES-DOCUMENT-TIMESTAMP');
  });

  it('a file signed by poppler pdfsig (NSS, adbe.pkcs7.detached) verifies TOTAL_PASSED', async () => {
    const db = mkdtempSync(join(tmpdir(), 'kyso-nsskey-'));
    await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
    await run('pk12util', ['-i', testPki.identity('person-province').p12, '-d', `sql:${db}`, '-W', testPki.password]);
    const out = join(db, 'pdfsig-signed.pdf');
    await run('pdfsig', ['-nssdir', `sql:${db}`, '-nick', 'person-province', '-add-signature', '-new-signature-field-name', 'PopplerSig', samples[0].file, out]);
    const r = await verifyPdf(readFileSync(out), opts);
    expectAllPassed(r);
    expect(r.signatures[0].id).toBe('PopplerSig');
    expect(r.signatures[0].format).toMatch(/^(PKCS7|PAdES)/);
  });

  it('an unsigned PDF gives a report with no signatures, never TOTAL_PASSED', async () => {
    const r = await verifyPdf(readFileSync(samples[0].file), opts);
    expect(r.signatures).toEqual([]);
    expect(r.indication).toBe('INDETERMINATE');
  });
});

describe('trust and status of the signer', () => {
  const input = () => readFileSync(samples[0].file);

  it('untrusted root → INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const signed = await signPdf(input(), { signer: signerOf('person-vpcp') });
    // Trust only the TSA's certificate: a store that does not contain the test root.
    const r = await verifyPdf(signed, { ...opts, trust: TrustStore.fromPaths([testPki.identity('tsa').cert]) });
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.signatures[0].subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect(r.signatures[0].summary.result).toMatch(/^Chưa xác định được hiệu lực/);
  });

  it('revoked signer → not passed (REVOKED or REVOKED_NO_POE)', async () => {
    const signed = await signPdf(input(), { signer: signerOf('revoked-signer') });
    const r = await verifyPdf(signed, opts);
    expect(r.indication).not.toBe('TOTAL_PASSED');
    expect(['REVOKED', 'REVOKED_NO_POE']).toContain(r.signatures[0].subIndication);
  });

  it('expired signer → not passed (EXPIRED or OUT_OF_BOUNDS_NO_POE)', async () => {
    const signed = await signPdf(input(), { signer: signerOf('expired-signer') });
    const r = await verifyPdf(signed, opts);
    expect(r.indication).not.toBe('TOTAL_PASSED');
    expect(['EXPIRED', 'OUT_OF_BOUNDS_NO_POE', 'OUT_OF_BOUNDS_NOT_REVOKED']).toContain(r.signatures[0].subIndication);
  });

  it('OCSP responder and CRL down → INDETERMINATE TRY_LATER, never TOTAL_PASSED', async () => {
    const signed = await signPdf(input(), { signer: signerOf('person-ministry') });
    server.setOffline(true);
    clearCrlCache();
    try {
      const r = await verifyPdf(signed, { ...opts, network: { rewrite: server.rewrite, timeoutMs: 1500 } });
      expect(r.indication).toBe('INDETERMINATE');
      expect(r.signatures[0].subIndication).toBe('TRY_LATER');
      const rev = r.signatures[0].checks.find((c) => c.id === 'REVOCATION');
      expect(rev?.status).toBe('FAILED');
    } finally {
      server.setOffline(false);
    }
  });

  it('a validation time before the certificate was issued is not passed', async () => {
    const signed = await signPdf(input(), { signer: signerOf('person-vpcp') });
    const r = await verifyPdf(signed, { ...opts, at: new Date('2024-06-01T00:00:00Z') });
    expect(r.indication).not.toBe('TOTAL_PASSED');
  });
});
