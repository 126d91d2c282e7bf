// URL rewriting and transport errors: what lets certificates with fixed AIA/CDP URLs work against a server on
// any port, and what a user sees when an endpoint is unreachable.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { fetchPki, parseRewriteEnv, rewriteUrl } from '../../src/pki/pki-http.ts';

const savedEnv = process.env.KYSO_PKI_URL_REWRITE;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.KYSO_PKI_URL_REWRITE;
  else process.env.KYSO_PKI_URL_REWRITE = savedEnv;
});

describe('PKI HTTP transport', () => {
  it('parses KYSO_PKI_URL_REWRITE', () => {
    expect(parseRewriteEnv('http://127.0.0.1:8400=http://127.0.0.1:41111, http://a.example/x=http://b.example/y')).toEqual({
      'http://127.0.0.1:8400': 'http://127.0.0.1:41111',
      'http://a.example/x': 'http://b.example/y',
    });
    expect(parseRewriteEnv('garbage,=x,y=')).toEqual({});
  });

  it('rewrites by longest prefix, explicit rules over the environment', () => {
    process.env.KYSO_PKI_URL_REWRITE = 'http://127.0.0.1:8400=http://127.0.0.1:1111';
    expect(rewriteUrl('http://127.0.0.1:8400/ocsp')).toBe('http://127.0.0.1:1111/ocsp');
    expect(rewriteUrl('http://127.0.0.1:8400/ocsp', { 'http://127.0.0.1:8400': 'http://127.0.0.1:2222' })).toBe('http://127.0.0.1:2222/ocsp');
    expect(rewriteUrl('http://127.0.0.1:8400/crl/ca.crl', { 'http://127.0.0.1:8400/crl': 'http://mirror.local/crls' })).toBe(
      'http://mirror.local/crls/ca.crl',
    );
    expect(rewriteUrl('http://other.example/x')).toBe('http://other.example/x');
  });

  it('refuses non-http URLs and offline mode with NETWORK', async () => {
    for (const url of ['ldap://ca.example/cn=CRL', 'file:///etc/passwd']) {
      const err = await fetchPki(url).catch((e: unknown) => e);
      expect(isKysoError(err, 'NETWORK')).toBe(true);
    }
    const err = await fetchPki('http://127.0.0.1:9/x', {}, { offline: true }).catch((e: unknown) => e);
    expect(isKysoError(err, 'NETWORK')).toBe(true);
    expect((err as Error).message).toMatch(/ngoại tuyến/);
  });

  it('times out slow servers and reports HTTP errors', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 2000);
      else {
        res.writeHead(503);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const slow = await fetchPki(`${base}/slow`, {}, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(isKysoError(slow, 'NETWORK')).toBe(true);
      expect((slow as Error).message).toMatch(/200 ms/);
      const unavailable = await fetchPki(`${base}/x`).catch((e: unknown) => e);
      expect(isKysoError(unavailable, 'NETWORK')).toBe(true);
      expect((unavailable as Error).message).toMatch(/HTTP 503/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});
