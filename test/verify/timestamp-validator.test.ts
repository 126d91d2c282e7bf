// RFC 3161 tokens: imprint, token integrity and signature, TSA purpose, TSA trust and validity, condensation
// into the signature's TIMESTAMP check.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { childrenOf, parseTimestampToken, readTlv, tlvBytes } from '../../src/pki/cms/cms-parser.ts';
import { fetchPki } from '../../src/pki/pki-http.ts';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { buildTimestampRequest, requestTimestamp } from '../../src/pki/tsp-client.ts';
import { CertificatePool } from '../../src/verify/chain-builder.ts';
import type { CheckEnv } from '../../src/verify/cms-checks.ts';
import { clearRevocationCache } from '../../src/verify/revocation-validator.ts';
import { timestampCheck, validateTimestampToken } from '../../src/verify/timestamp-validator.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { certDer, contextFor, flipped } from './cms-test-helpers.ts';

let server: TestPkiServer;
beforeAll(async () => {
  server = await startTestPkiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  clearRevocationCache();
  clearCrlCache();
});

const data = [new TextEncoder().encode('Quyết định số 15/QĐ-UBND '), new TextEncoder().encode('— nội dung được đóng dấu thời gian')];
const env = (extra: Partial<CheckEnv['ctx']> = {}): CheckEnv => ({
  ctx: contextFor(server, extra),
  validationTime: new Date(),
  pool: new CertificatePool(),
  revocationData: { ocspResponses: [], crls: [] },
});
const tokenFor = async (parts: readonly Uint8Array[], s: TestPkiServer = server) => {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return (await requestTimestamp({ digest: new Uint8Array(h.digest()) }, 'SHA-256', { url: `${testPki.baseUrl}/tsa`, rewrite: s.rewrite })).tokenDer;
};
/** The token as the TSA sent it, without the client's own checks (which refuse a TSA outside its validity). */
const rawTokenFor = async (parts: readonly Uint8Array[], s: TestPkiServer) => {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const req = buildTimestampRequest(new Uint8Array(h.digest()), 'SHA-256', { nonce: false });
  const res = await fetchPki(`${testPki.baseUrl}/tsa`, { method: 'POST', body: req.der, contentType: 'application/timestamp-query' }, { rewrite: s.rewrite });
  const [, token] = childrenOf(res.body, readTlv(res.body, 0));
  return tlvBytes(res.body, token!);
};
const statusOf = (v: Awaited<ReturnType<typeof validateTimestampToken>>) => Object.fromEntries(v.checks.map((c) => [c.id, c.subIndication ?? c.status]));

describe('validateTimestampToken', () => {
  it('accepts a token over the data: genTime, TSA, chain, revocation', async () => {
    const v = await validateTimestampToken(await tokenFor(data), data, env());
    expect(v.valid).toBe(true);
    expect(v.failure).toBeUndefined();
    expect(Math.abs(v.genTime!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(v.tsa?.subjectFields.commonName).toBe('Test Ban Cơ yếu TSA');
    expect(v.chain?.map((e) => e.cert.subjectFields.commonName)).toEqual(['Test Ban Cơ yếu TSA', 'Test Ban Cơ yếu CA', 'Test NEAC Root']);
    expect(v.revocation?.map((r) => r.status)).toEqual(['good', 'good']);
    expect(v.embeddedOnly).toBe(false);
    expect(v.algorithm).toBe('RSASSA-PKCS1-v1_5/SHA-256 (2048)');
    expect(v.checks.every((c) => c.status === 'PASSED')).toBe(true);
  });

  it('a token for other data → MESSAGE_DIGEST HASH_FAILURE', async () => {
    const v = await validateTimestampToken(await tokenFor(data), [data[0]!], env());
    expect(v.valid).toBe(false);
    expect(v.failure).toMatchObject({ id: 'MESSAGE_DIGEST', subIndication: 'HASH_FAILURE' });
  });

  it('an altered TSTInfo (genTime changed) → HASH_FAILURE; a broken token signature → SIG_CRYPTO_FAILURE', async () => {
    const token = await tokenFor(data);
    const parsed = parseTimestampToken(token);
    const genTimeText = Buffer.from(parsed.eContent!).toString('latin1').match(/\d{14}(\.\d+)?Z/)![0];
    const at = Buffer.from(token).indexOf(Buffer.from(genTimeText, 'latin1')) + 3; // a year digit
    const altered = await validateTimestampToken(flipped(token, at), data, env());
    expect(altered.failure).toMatchObject({ id: 'MESSAGE_DIGEST', subIndication: 'HASH_FAILURE' });
    const sigAt = Buffer.from(token).indexOf(Buffer.from(parsed.signer.signature)) + 7;
    const broken = await validateTimestampToken(flipped(token, sigAt), data, env());
    expect(broken.failure).toMatchObject({ id: 'SIGNATURE_VALUE', subIndication: 'SIG_CRYPTO_FAILURE' });
  });

  it('garbage → CMS_STRUCTURE FORMAT_FAILURE', async () => {
    const v = await validateTimestampToken(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), data, env());
    expect(v.failure).toMatchObject({ id: 'CMS_STRUCTURE', subIndication: 'FORMAT_FAILURE' });
    expect(v.checks).toHaveLength(11);
  });

  it('a TSA outside the trust store → NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const v = await validateTimestampToken(await tokenFor(data), data, env({ trust: TrustStore.fromCertificates([certDer('person-vpcp')]) }));
    expect(v.failure).toMatchObject({ id: 'CERTIFICATE_CHAIN', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
  });

  it('a signature certificate posing as TSA → KEY_USAGE CHAIN_CONSTRAINTS_FAILURE', async () => {
    // The token of a real TSA is fine; check the purpose rule on its own with a non-TSA certificate.
    const { keyUsageCheck } = await import('../../src/verify/cms-checks.ts');
    const { certInfo } = await import('../../src/verify/cert-info.ts');
    expect(keyUsageCheck(certInfo(certDer('vpcp-seal')), 'timestamping')).toMatchObject({ status: 'FAILED', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    expect(keyUsageCheck(certInfo(certDer('tsa')), 'timestamping').status).toBe('PASSED');
  });

  it('a token issued before the TSA certificate was valid → CERTIFICATE_VALIDITY NOT_YET_VALID', async () => {
    const early = await startTestPkiServer({ now: () => new Date('2024-12-01T00:00:00Z') });
    try {
      const v = await validateTimestampToken(await rawTokenFor(data, early), data, env());
      expect(v.failure).toMatchObject({ id: 'CERTIFICATE_VALIDITY', subIndication: 'NOT_YET_VALID' });
      expect(statusOf(v).SIGNATURE_VALUE).toBe('PASSED');
    } finally {
      await early.close();
    }
  });
});

describe('timestampCheck', () => {
  it('keeps crypto failures, turns TSA status problems into CERTIFICATE_CHAIN_GENERAL_FAILURE', async () => {
    const good = await validateTimestampToken(await tokenFor(data), data, env());
    const wrongData = await validateTimestampToken(await tokenFor(data), [data[1]!], env());
    expect(timestampCheck([wrongData]).check).toMatchObject({ id: 'TIMESTAMP', status: 'FAILED', subIndication: 'HASH_FAILURE' });
    const both = timestampCheck([wrongData, good]);
    expect(both.check.status).toBe('PASSED');
    expect(both.best).toBe(good);
    expect(both.check.message.vi).toContain('1 dấu thời gian khác không hợp lệ');

    const early = await startTestPkiServer({ now: () => new Date('2024-12-01T00:00:00Z') });
    try {
      const v = await validateTimestampToken(await rawTokenFor(data, early), data, env());
      expect(timestampCheck([v]).check).toMatchObject({ status: 'FAILED', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE' });
    } finally {
      await early.close();
    }
  });
});
