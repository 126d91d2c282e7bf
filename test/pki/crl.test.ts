// CRLs from the test server: fresh, verified, cached until nextUpdate, and acceptable to openssl.
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { checkCrl, fetchCrl, verifyCrl } from '../../src/pki/crl-client.ts';
import { testPki } from '../../certs-test/index.ts';
import { openssl, pem, tempDir, writeTemp } from './helpers.ts';

const pki = useTestPkiServer();

const caCrlUrl = `${testPki.baseUrl}/crl/ca.crl`;

describe('CRL client against the test server', () => {
  it('fetches a fresh CRL valid for seven days', async () => {
    const before = Date.now();
    const info = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    expect(info.thisUpdate.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(info.nextUpdate!.getTime() - info.thisUpdate.getTime()).toBe(7 * 86_400_000);
    expect(info.url).toBe(`${pki.server.url}/crl/ca.crl`);
  });

  it('finds revoked-signer revoked and the others good', async () => {
    const info = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    const revoked = checkCrl(pem('revoked-signer'), info.der, pem('ca'));
    expect(revoked.status).toBe('revoked');
    expect(revoked.revocationTime?.toISOString()).toBe('2025-09-15T03:00:00.000Z');
    expect(revoked.revocationReason).toBe('keyCompromise');
    for (const id of ['person-vpcp', 'person-ministry', 'province-seal'] as const) {
      expect(checkCrl(pem(id), info.der, pem('ca')).status).toBe('good');
    }
    const root = await fetchCrl(`${testPki.baseUrl}/crl/root.crl`, pem('root-ca'), { rewrite: pki.server.rewrite });
    expect(checkCrl(pem('ca'), root.der, pem('root-ca')).status).toBe('good');
  });

  it('openssl verifies the served CRLs', async () => {
    const dir = tempDir();
    const ca = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    const root = await fetchCrl(`${testPki.baseUrl}/crl/root.crl`, pem('root-ca'), { rewrite: pki.server.rewrite });
    for (const [der, issuer] of [
      [ca.der, testPki.caPem],
      [root.der, testPki.rootPem],
    ] as const) {
      const r = openssl(['crl', '-inform', 'DER', '-in', writeTemp(dir, 'x.crl', der), '-CAfile', issuer, '-noout', '-verify', '-text']);
      expect(r.out).toContain('verify OK');
    }
  });

  it('serves from cache until nextUpdate, even when the server goes offline', async () => {
    await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    const served = pki.server.requests.crl;
    pki.server.setOffline({ crl: true });
    const again = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    expect(checkCrl(pem('revoked-signer'), again.der, pem('ca')).status).toBe('revoked');
    expect(pki.server.requests.crl).toBe(served);
    // ...and not once the cache is bypassed
    const err = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite, cache: false }).catch((e: unknown) => e);
    expect(isKysoError(err, 'NETWORK')).toBe(true);
  });

  it('refuses a CRL checked against the wrong issuer, tampered, or stale', async () => {
    const info = await fetchCrl(caCrlUrl, pem('ca'), { rewrite: pki.server.rewrite });
    expect(() => verifyCrl(info.der, pem('root-ca'))).toThrowError(expect.objectContaining({ code: 'CRL_FAILED' }));
    const tampered = new Uint8Array(info.der);
    const serialAt = Buffer.from(tampered).indexOf(Buffer.from(testPki.identity('revoked-signer').serialHex, 'hex'));
    tampered[serialAt + 3]! ^= 0x01; // "un-revoke" by changing the listed serial
    expect(() => verifyCrl(tampered, pem('ca'))).toThrow(/signature/);
    const inTenDays = new Date(Date.now() + 10 * 86_400_000);
    expect(() => checkCrl(pem('person-vpcp'), info.der, pem('ca'), { at: inTenDays })).toThrow(/stale/);
  });
});
