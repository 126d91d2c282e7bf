// Revocation: embedded before online, verification of embedded answers, caching, and the POE-based assessment.
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { describe, expect, it } from 'vitest';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { checkOcsp } from '../../src/pki/ocsp-client.ts';
import { certInfo } from '../../src/verify/cert-info.ts';
import {
  assessOne,
  assessRevocation,
  checkCertificateRevocation,
  clearRevocationCache,
  type CertRevocation,
} from '../../src/verify/revocation-validator.ts';
import { certDer, flipped } from './cms-test-helpers.ts';

const pki = useTestPkiServer();

const leaf = certInfo(certDer('person-vpcp'));
const revoked = certInfo(certDer('revoked-signer'));
const ca = certInfo(certDer('ca'));
const net = () => ({ rewrite: pki.server.rewrite, timeoutMs: 3000 });

describe('checkCertificateRevocation', () => {
  it('asks OCSP online, then answers from the cache until nextUpdate', async () => {
    const first = await checkCertificateRevocation(leaf, ca, { network: net() });
    expect(first).toMatchObject({ status: 'good', used: { source: 'ocsp', origin: 'online' } });
    expect(first.used?.cached).toBeUndefined();
    const before = pki.server.requests.total;
    const second = await checkCertificateRevocation(leaf, ca, { network: net() });
    expect(second.used?.cached).toBe(true);
    expect(pki.server.requests.total).toBe(before);
    // An answer older than the time that must be covered is refreshed.
    const fresh = await checkCertificateRevocation(leaf, ca, { network: net(), freshAfter: new Date(Date.now() + 2000) });
    expect(fresh.used?.cached).toBeUndefined();
    expect(pki.server.requests.total).toBeGreaterThan(before);
  });

  it('reports revocation time and reason', async () => {
    const r = await checkCertificateRevocation(revoked, ca, { network: net() });
    expect(r.status).toBe('revoked');
    expect(r.used?.revocationTime?.toISOString()).toBe('2025-09-15T03:00:00.000Z');
    expect(r.used?.revocationReason).toBe('keyCompromise');
  });

  it('falls back to the CRL, and says why when nothing answers', async () => {
    pki.server.setOffline({ ocsp: true });
    const viaCrl = await checkCertificateRevocation(revoked, ca, { network: net() });
    expect(viaCrl).toMatchObject({ status: 'revoked', used: { source: 'crl', origin: 'online' } });
    expect(viaCrl.failures.join()).toContain('OCSP');
    clearRevocationCache();
    clearCrlCache(); // the CRL client's own cache would answer otherwise
    pki.server.setOffline(true);
    const none = await checkCertificateRevocation(leaf, ca, { network: net() });
    expect(none.status).toBe('unknown');
    expect(none.failures.some((f) => f.startsWith('OCSP'))).toBe(true);
    expect(none.failures.some((f) => f.startsWith('CRL'))).toBe(true);
    const offline = await checkCertificateRevocation(leaf, ca, { offline: true });
    expect(offline.status).toBe('unknown');
    expect(offline.failures.join()).toContain('offline');
  });

  it('uses embedded answers about this certificate only, verified', async () => {
    const mine = (await checkOcsp(leaf.der, ca.der, net())).responseDer;
    const other = (await checkOcsp(revoked.der, ca.der, net())).responseDer;
    clearRevocationCache();
    const before = pki.server.requests.total;
    const r = await checkCertificateRevocation(leaf, ca, { offline: true, embedded: { ocspResponses: [other, mine], crls: [] } });
    expect(r).toMatchObject({ status: 'good', used: { origin: 'embedded', source: 'ocsp' } });
    expect(r.embedded).toBe(r.used);
    expect(pki.server.requests.total).toBe(before);

    // A forged answer (signature broken) is not evidence.
    const sigAt = mine.length - 20;
    const forged = await checkCertificateRevocation(leaf, ca, { offline: true, embedded: { ocspResponses: [flipped(mine, sigAt)], crls: [] } });
    expect(forged.status).toBe('unknown');
    expect(forged.failures.join()).toContain('embedded OCSP response');

    // The revoked certificate's answer, embedded, decides even online.
    const rv = await checkCertificateRevocation(revoked, ca, { network: net(), embedded: { ocspResponses: [other], crls: [] } });
    expect(rv).toMatchObject({ status: 'revoked', used: { origin: 'embedded' } });
  });

  it('online and without a POE, a current answer is preferred to an archived "good"', async () => {
    const mine = (await checkOcsp(leaf.der, ca.der, net())).responseDer;
    clearRevocationCache();
    const embedded = { ocspResponses: [mine], crls: [] };
    const before = pki.server.requests.ocsp;
    const noPoe = await checkCertificateRevocation(leaf, ca, { network: net(), embedded });
    expect(noPoe.used?.origin).toBe('online');
    expect(noPoe.embedded?.origin).toBe('embedded');
    expect(pki.server.requests.ocsp).toBe(before + 1);
    const withPoe = await checkCertificateRevocation(leaf, ca, { network: net(), embedded, hasPoe: true, freshAfter: new Date(Date.now() - 60_000) });
    expect(withPoe.used?.origin).toBe('embedded');
    expect(pki.server.requests.ocsp).toBe(before + 1);
  });

  it('an OCSP responder certificate with ocsp-nocheck is exempt', async () => {
    const r = await checkCertificateRevocation(certInfo(certDer('ocsp')), ca, { offline: true });
    expect(r).toMatchObject({ status: 'good', exempt: 'ocsp-nocheck' });
  });
});

describe('assessment against the proof of existence', () => {
  const R = new Date('2025-09-15T03:00:00Z');
  const before = new Date('2025-09-01T00:00:00Z');
  const after = new Date('2025-10-01T00:00:00Z');
  const now = new Date('2026-11-01T00:00:00Z');
  const revokedResult = (cert = revoked): CertRevocation => ({
    cert,
    issuer: ca,
    status: 'revoked',
    failures: [],
    used: { source: 'ocsp', origin: 'online', status: 'revoked', revocationTime: R, revocationReason: 'keyCompromise', producedAt: now, thisUpdate: now, der: new Uint8Array() },
  });
  const cases: [string, Parameters<typeof assessOne>[2], boolean, string | undefined][] = [
    ['POE before revocation', { poe: before, validation: now }, true, undefined],
    ['POE after revocation', { poe: after, validation: now }, true, 'REVOKED'],
    ['no POE, claimed after revocation', { claimed: after, validation: now }, true, 'REVOKED'],
    ['no POE, claimed before revocation', { claimed: before, validation: now }, true, 'REVOKED_NO_POE'],
    ['no POE, no claimed time', { validation: now }, true, 'REVOKED_NO_POE'],
    ['validation time before the revocation', { validation: before }, true, undefined],
    ['CA, POE after revocation', { poe: after, validation: now }, false, 'REVOKED_CA_NO_POE'],
    ['CA, POE before revocation', { poe: before, validation: now }, false, undefined],
    ['CA, no POE', { claimed: after, validation: now }, false, 'REVOKED_CA_NO_POE'],
  ];
  for (const [name, times, signer, sub] of cases) {
    it(name, () => {
      const a = assessOne(revokedResult(), signer, times);
      expect(a.status).toBe(sub ? 'FAILED' : 'PASSED');
      expect(a.subIndication).toBe(sub);
      expect(a.message.vi).toContain('2025-09-15T10:00:00+07:00');
    });
  }

  it('unknown status → TRY_LATER; the worst outcome of a chain wins', () => {
    const unknown: CertRevocation = { cert: ca, issuer: ca, status: 'unknown', failures: ['OCSP: timed out'] };
    expect(assessOne(unknown, false, { validation: now })).toMatchObject({ status: 'FAILED', subIndication: 'TRY_LATER' });
    const chain = assessRevocation([revokedResult(), unknown], { claimed: after, validation: now });
    expect(chain.subIndication).toBe('REVOKED');
    expect(chain.message.en).toContain('timed out');
  });
});
