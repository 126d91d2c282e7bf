// RFC 3161 timestamps from the test TSA: our client verifies them, and so does `openssl ts -verify`.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { certificateDer } from '../../src/pki/certificate.ts';
import { TestPolicyOid } from '../../src/pki/oids.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { requestTimestamp, verifyTimestampToken } from '../../src/pki/tsp-client.ts';
import { testPki } from '../../certs-test/index.ts';
import { openssl, pem, tempDir, writeTemp } from './helpers.ts';

let server: TestPkiServer;
beforeAll(async () => {
  server = await startTestPkiServer();
});
afterAll(async () => {
  await server.close();
});

const tsaUrl = `${testPki.baseUrl}/tsa`;
const data = new TextEncoder().encode('Công văn số 123/VPCP-TH — nội dung cần đóng dấu thời gian');

describe('timestamp client against the test TSA', () => {
  it('returns a token for the data, with time, serial and the TSA certificate', async () => {
    const before = Date.now();
    const t = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite });
    expect(t.genTime.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(t.genTime.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(t.serial).toMatch(/^[0-9a-f]+$/);
    expect(t.policy).toBe(TestPolicyOid.tsaPolicy);
    expect(t.accuracyMs).toBe(1000);
    expect(Buffer.from(t.tsaCert).equals(Buffer.from(certificateDer(pem('tsa'))))).toBe(true);
  });

  it('openssl ts -verify accepts the token for the same data', async () => {
    const dir = tempDir();
    const t = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite });
    const tok = writeTemp(dir, 'tok.der', t.tokenDer);
    const file = writeTemp(dir, 'data.txt', data);
    const ok = openssl(['ts', '-verify', '-in', tok, '-token_in', '-data', file, '-CAfile', testPki.rootPem, '-untrusted', testPki.chainPem]);
    expect(ok.out).toContain('Verification: OK');
    // Different data: openssl must refuse, proving the imprint is bound.
    const other = writeTemp(dir, 'other.txt', 'khác');
    const bad = openssl(['ts', '-verify', '-in', tok, '-token_in', '-data', other, '-CAfile', testPki.rootPem, '-untrusted', testPki.chainPem]);
    expect(bad.out).not.toContain('Verification: OK');
  });

  it('accepts a precomputed SHA-384 digest', async () => {
    const digest = new Uint8Array(createHash('sha384').update(data).digest());
    const t = await requestTimestamp({ digest }, 'SHA-384', { url: tsaUrl, rewrite: server.rewrite });
    expect(verifyTimestampToken(t.tokenDer, { digestAlgorithm: 'SHA-384', imprint: digest }).serial).toBe(t.serial);
  });

  it('successive tokens get distinct serials', async () => {
    const a = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite });
    const b = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite });
    expect(a.serial).not.toBe(b.serial);
  });

  it('detects a token presented for other data or with a broken signature', async () => {
    const t = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite });
    const otherImprint = new Uint8Array(createHash('sha256').update('other').digest());
    expect(() => verifyTimestampToken(t.tokenDer, { digestAlgorithm: 'SHA-256', imprint: otherImprint })).toThrow(/messageImprint/);

    const imprint = new Uint8Array(createHash('sha256').update(data).digest());
    const tampered = new Uint8Array(t.tokenDer);
    const at = Buffer.from(tampered).lastIndexOf(Buffer.from(imprint)); // inside TSTInfo (covered by messageDigest)
    expect(at).toBeGreaterThan(0);
    tampered[at] ^= 0x01;
    expect(() => verifyTimestampToken(tampered, { digestAlgorithm: 'SHA-256', imprint: tampered.subarray(at, at + 32) })).toThrowError(
      expect.objectContaining({ code: 'TSA_FAILED' }),
    );
  });

  it('reports a refusal from the TSA (unaccepted policy) as TSA_FAILED', async () => {
    const err = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite, policy: '1.2.3.4' }).catch((e: unknown) => e);
    expect(isKysoError(err, 'TSA_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/rejection/);
  });

  it('fails with NETWORK when the TSA is offline', async () => {
    server.setOffline({ tsa: true });
    try {
      const err = await requestTimestamp(data, 'SHA-256', { url: tsaUrl, rewrite: server.rewrite }).catch((e: unknown) => e);
      expect(isKysoError(err, 'NETWORK')).toBe(true);
    } finally {
      server.setOffline(false);
    }
  });
});
