// The pre-signing certificate check (TT 15/2025 Art. 5(1)(a)) as a user meets it: which certificates may sign,
// what happens when the OCSP responder or the whole PKI is unreachable, and what the messages say.
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCertificate } from '../../certs-test/cert-builder.ts';
import { testPki } from '../../certs-test/index.ts';
import { parseCertificate, subjectKeyIdentifier } from '../../src/pki/certificate.ts';
import { isKysoError } from '../../src/errors.ts';
import { assertSigningCertificate, checkSigningCertificate } from '../../src/pki/cert-status.ts';
import { pem } from './helpers.ts';
import type { TestIdentityId } from '../../certs-test/index.ts';

const pki = useTestPkiServer();

const ref = (id: TestIdentityId) => ({ certificate: pem(id), chain: [pem('ca'), pem('root-ca')] });
const network = () => ({ rewrite: pki.server.rewrite, timeoutMs: 2000 });

describe('checkSigningCertificate', () => {
  it('lets valid personal and seal certificates sign, confirmed by OCSP', async () => {
    for (const id of ['person-vpcp', 'person-ministry', 'person-province', 'vpcp-seal', 'ministry-seal', 'province-seal'] as const) {
      const r = await checkSigningCertificate(ref(id), { network: network(), revocation: 'require' });
      expect(r, id).toMatchObject({ ok: true, problems: [], warnings: [], revocation: { status: 'good', source: 'ocsp' } });
      expect(r.ocsp?.responseDer.byteLength).toBeGreaterThan(0); // kept for B-LT validation data
    }
  });

  it('refuses revoked-signer with the revocation time and reason in Vietnamese and English', async () => {
    const r = await checkSigningCertificate(ref('revoked-signer'), { network: network(), revocation: 'prefer' });
    expect(r.ok).toBe(false);
    expect(r.revocation).toMatchObject({ status: 'revoked', source: 'ocsp', revocationReason: 'keyCompromise' });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'CERT_REVOKED' });
    expect(r.problems[0]!.vi).toContain('đã bị thu hồi lúc 15/09/2025 10:00 (giờ Việt Nam)');
    expect(r.problems[0]!.vi).toContain('khoá bí mật bị lộ');
    expect(r.problems[0]!.en).toContain('2025-09-15T03:00:00Z');
    await expect(assertSigningCertificate(ref('revoked-signer'), { network: network(), revocation: 'prefer' })).rejects.toMatchObject({
      code: 'CERT_REVOKED',
    });
  });

  it('falls back to the CRL when the OCSP responder is offline', async () => {
    pki.server.setOffline({ ocsp: true });
    const revoked = await checkSigningCertificate(ref('revoked-signer'), { network: network(), revocation: 'require' });
    expect(revoked.revocation).toMatchObject({ status: 'revoked', source: 'crl' });
    expect(revoked.problems[0]?.code).toBe('CERT_REVOKED');
    const good = await checkSigningCertificate(ref('person-vpcp'), { network: network(), revocation: 'require' });
    expect(good).toMatchObject({ ok: true, revocation: { status: 'good', source: 'crl' } });
    expect(good.crl?.crlDer.byteLength).toBeGreaterThan(0); // the CRL at signing time, kept (TT 15 Art. 5(4))
    expect(pki.server.requests.ocsp).toBeGreaterThan(0);
  });

  it("warns but allows signing when nothing answers in 'prefer' mode", async () => {
    pki.server.setOffline(true);
    const r = await checkSigningCertificate(ref('person-vpcp'), { network: network(), revocation: 'prefer' });
    expect(r.ok).toBe(true);
    expect(r.revocation.status).toBe('unknown');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ code: 'CERT_STATUS_UNKNOWN' });
    expect(r.warnings[0]!.vi).toMatch(/Không xác định được tình trạng thu hồi/);
  });

  it("refuses when nothing answers in 'require' mode", async () => {
    pki.server.setOffline(true);
    const r = await checkSigningCertificate(ref('person-vpcp'), { network: network(), revocation: 'require' });
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.code).toBe('CERT_STATUS_UNKNOWN');
    const err = await assertSigningCertificate(ref('person-vpcp'), { network: network(), revocation: 'require' }).catch((e: unknown) => e);
    expect(isKysoError(err, 'CERT_STATUS_UNKNOWN')).toBe(true);
  });

  it('offline mode never touches the network', async () => {
    const before = pki.server.requests.total;
    const r = await checkSigningCertificate(ref('person-vpcp'), { network: { ...network(), offline: true }, revocation: 'prefer' });
    expect(r.warnings[0]?.code).toBe('CERT_STATUS_UNKNOWN');
    expect(pki.server.requests.total).toBe(before);
  });

  it('refuses an expired certificate without asking the network', async () => {
    const before = pki.server.requests.total;
    const r = await checkSigningCertificate(ref('expired-signer'), { network: network(), revocation: 'require' });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ code: 'CERT_EXPIRED' });
    expect(r.problems[0]!.vi).toContain('đã hết hiệu lực từ 15/01/2025 06:59');
    expect(pki.server.requests.total).toBe(before);
    await expect(assertSigningCertificate(ref('expired-signer'), { revocation: 'off' })).rejects.toMatchObject({ code: 'CERT_EXPIRED' });
  });

  it('refuses a certificate that is not yet valid at the signing time', async () => {
    const r = await checkSigningCertificate(ref('person-vpcp'), { at: new Date('2025-01-01T00:00:00Z'), revocation: 'off' });
    expect(r.problems[0]?.code).toBe('CERT_NOT_YET_VALID');
  });

  it('refuses a certificate whose key usage does not allow signing (encryption-only)', async () => {
    const caKey = createPrivateKey(testPki.identity('ca').keyPem());
    const ca = parseCertificate(pem('ca'));
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encryptionOnly = buildCertificate({
      subject: [['C', 'VN'], ['O', 'Văn phòng Chính phủ'], ['CN', 'Khoá mã hoá']],
      serialHex: '4b59534f0001',
      notBefore: new Date('2025-04-01T00:00:00Z'),
      notAfter: new Date('2028-03-31T23:59:59Z'),
      publicKey,
      issuer: { name: ca.subject, key: caKey, keyId: subjectKeyIdentifier(ca)! },
      keyUsage: ['keyEncipherment', 'keyAgreement'],
    });
    const r = await checkSigningCertificate({ certificate: encryptionOnly.der, chain: [pem('ca')] }, { revocation: 'off' });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ code: 'CERT_KEY_USAGE' });
    // digitalSignature alone is enough (the OCSP responder certificate has only that)
    expect((await checkSigningCertificate({ certificate: pem('ocsp'), chain: [pem('ca')] }, { revocation: 'off' })).ok).toBe(true);
  });

  it('finds a missing issuer through caIssuers (AIA)', async () => {
    const before = pki.server.requests.certs;
    const r = await checkSigningCertificate({ certificate: pem('person-ministry') }, { network: network(), revocation: 'require' });
    expect(r).toMatchObject({ ok: true, revocation: { status: 'good' } });
    expect(pki.server.requests.certs).toBe(before + 1);
  });
});
