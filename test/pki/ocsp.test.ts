// OCSP against the real test responder over HTTP; openssl cross-checks what the responder says.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { buildOcspRequest, checkOcsp, verifyOcspResponse } from '../../src/pki/ocsp-client.ts';
import { fetchPki } from '../../src/pki/pki-http.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { testPki } from '../../certs-test/index.ts';
import { openssl, opensslAsync, pem, tempDir, writeTemp } from './helpers.ts';

let server: TestPkiServer;
beforeAll(async () => {
  server = await startTestPkiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.setOffline(false));

const net = () => ({ rewrite: server.rewrite });

describe('OCSP client against the test responder', () => {
  it('reports a valid signer as good, signed by the delegated responder', async () => {
    for (const id of ['person-vpcp', 'person-ministry', 'vpcp-seal', 'ministry-seal'] as const) {
      const r = await checkOcsp(pem(id), pem('ca'), net());
      expect(r.status, id).toBe('good');
      expect(r.nextUpdate!.getTime()).toBeGreaterThan(r.thisUpdate.getTime());
      expect(Buffer.from(r.responderCert).toString('base64')).toBe(pem('ocsp').replace(/-----[^-]+-----|\s/g, ''));
    }
  });

  it('reports revoked-signer as revoked at the recorded time with reason keyCompromise', async () => {
    const r = await checkOcsp(pem('revoked-signer'), pem('ca'), net());
    expect(r.status).toBe('revoked');
    expect(r.revocationTime?.toISOString()).toBe('2025-09-15T03:00:00.000Z');
    expect(r.revocationReason).toBe('keyCompromise');
  });

  it('checks the intermediate CA against the root, which signs its own responses', async () => {
    const r = await checkOcsp(pem('ca'), pem('root-ca'), net());
    expect(r.status).toBe('good');
  });

  it('openssl accepts the responses (ocsp -respin)', async () => {
    const dir = tempDir();
    for (const [id, expected] of [
      ['person-vpcp', 'good'],
      ['revoked-signer', 'revoked'],
    ] as const) {
      const r = await checkOcsp(pem(id), pem('ca'), net());
      const file = writeTemp(dir, `${id}.ocsp`, r.responseDer);
      const out = openssl(['ocsp', '-no_nonce', '-respin', file, '-CAfile', testPki.rootPem, '-verify_other', testPki.caPem, '-issuer', testPki.caPem, '-cert', testPki.identity(id).cert]);
      expect(out.out).toContain('Response verify OK');
      expect(out.out).toContain(`: ${expected}`);
    }
  });

  it('openssl as a client gets a verified answer from the server', async () => {
    const out = await opensslAsync([
      'ocsp', '-timeout', '10', '-issuer', testPki.caPem, '-cert', testPki.identity('revoked-signer').cert, '-url', `${server.url}/ocsp`,
      '-CAfile', testPki.rootPem, '-verify_other', testPki.caPem,
    ]);
    expect(out.out).toContain('Response verify OK');
    expect(out.out).toMatch(/revoked-signer\.pem: revoked[\s\S]*keyCompromise/);
  });

  it('answers the RFC 6960 GET form too', async () => {
    const req = buildOcspRequest(pem('person-province'), pem('ca'));
    const b64 = encodeURIComponent(Buffer.from(req.der).toString('base64'));
    const res = await fetchPki(`${server.url}/ocsp/${b64}`, { method: 'GET' });
    expect(res.contentType).toBe('application/ocsp-response');
    expect(verifyOcspResponse(res.body, pem('person-province'), pem('ca'), { nonce: req.nonce! }).status).toBe('good');
  });

  it('rejects a response replayed for another request (nonce) or checked against the wrong issuer', async () => {
    const r = await checkOcsp(pem('person-vpcp'), pem('ca'), net());
    const otherNonce = new Uint8Array(16).fill(7);
    expect(() => verifyOcspResponse(r.responseDer, pem('person-vpcp'), pem('ca'), { nonce: otherNonce })).toThrow(/nonce/);
    expect(() => verifyOcspResponse(r.responseDer, pem('person-vpcp'), pem('root-ca'))).toThrowError(
      expect.objectContaining({ code: 'OCSP_FAILED' }),
    );
    // A response for one certificate says nothing about another.
    expect(() => verifyOcspResponse(r.responseDer, pem('person-ministry'), pem('ca'))).toThrow(/does not cover/);
  });

  it('rejects a tampered response', async () => {
    const r = await checkOcsp(pem('person-vpcp'), pem('ca'), net());
    const tampered = new Uint8Array(r.responseDer);
    // flip a byte inside producedAt's digits (the signed part), keeping the DER well-formed
    const text = Buffer.from(tampered).toString('latin1');
    const at = text.search(/20\d{12}Z/);
    tampered[at + 13] = tampered[at + 13] === 0x30 ? 0x31 : 0x30;
    expect(() => verifyOcspResponse(tampered, pem('person-vpcp'), pem('ca'))).toThrow(/signature/);
  });

  it('refuses stale responses', async () => {
    const r = await checkOcsp(pem('person-vpcp'), pem('ca'), net());
    const later = new Date(Date.now() + 3 * 3_600_000);
    expect(() => verifyOcspResponse(r.responseDer, pem('person-vpcp'), pem('ca'), { now: later })).toThrow(/stale/);
  });

  it('answers garbage with malformedRequest, which the client reports as OCSP_FAILED', async () => {
    const res = await fetchPki(`${server.url}/ocsp`, { method: 'POST', body: new Uint8Array([1, 2, 3]), contentType: 'application/ocsp-request' });
    expect(() => verifyOcspResponse(res.body, pem('person-vpcp'), pem('ca'))).toThrow(/malformedRequest/);
  });

  it('fails with NETWORK when the responder is unreachable', async () => {
    server.setOffline({ ocsp: true });
    const before = server.requests.ocsp;
    const err = await checkOcsp(pem('person-vpcp'), pem('ca'), net()).catch((e: unknown) => e);
    expect(isKysoError(err, 'NETWORK')).toBe(true);
    expect(server.requests.ocsp).toBe(before + 1);
  });
});
