// The committed test PKI is what every other test signs with: check it the way a user's tools would see it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import {
  crlUrls,
  extendedKeyUsage,
  hasOcspNoCheck,
  isIssuedBy,
  keyUsage,
  ocspUrls,
  caIssuersUrls,
  parseCertificate,
  serialHex,
  subjectFields,
  certificateKeyInfo,
  basicConstraints,
} from '../../src/pki/certificate.ts';
import { checkCrl } from '../../src/pki/crl-client.ts';
import { KeyPurposeOid } from '../../src/pki/oids.ts';
import { openssl } from './helpers.ts';

const nonRoot = testPki.identities.filter((i) => i.role !== 'root-ca');

describe('test PKI files', () => {
  it.each(testPki.identities.map((i) => [i.id, i] as const))('%s chains to the root (openssl verify)', (id, identity) => {
    const r = openssl(['verify', '-CAfile', testPki.rootPem, '-untrusted', testPki.caPem, identity.cert]);
    if (id === 'expired-signer') {
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/certificate has expired/);
    } else {
      expect(r.out).toContain(': OK');
      expect(r.status).toBe(0);
    }
  });

  it.each(testPki.identities.map((i) => [i.id, i.p12] as const))('%s.p12 opens with the documented password', (_id, p12) => {
    const r = openssl(['pkcs12', '-info', '-noout', '-passin', `pass:${testPki.password}`, '-in', p12]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/AES-256-CBC/);
    expect(r.out).toMatch(/MAC: sha256/);
  });

  it('the legacy P12 uses 3DES and a SHA-1 MAC and opens too', () => {
    const r = openssl(['pkcs12', '-info', '-noout', '-passin', `pass:${testPki.password}`, '-in', testPki.legacyP12]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/TripleDES/);
    expect(r.out).toMatch(/MAC: sha1/);
  });

  it('a wrong password is refused', () => {
    const r = openssl(['pkcs12', '-info', '-noout', '-passin', 'pass:wrong', '-in', testPki.identity('person-vpcp').p12]);
    expect(r.status).not.toBe(0);
  });

  it('officials carry their title and agency in Vietnamese (UTF8String)', () => {
    const cert = parseCertificate(testPki.identity('person-vpcp').certPem());
    const f = subjectFields(cert);
    expect(f.commonName).toBe('Nguyễn Văn An');
    expect(f.title).toBe('Chánh Văn phòng');
    expect(f.organization).toBe('Văn phòng Chính phủ');
    expect(f.country).toBe('VN');
    const ministry = subjectFields(parseCertificate(testPki.identity('person-ministry').certPem()));
    expect(ministry).toMatchObject({ commonName: 'Trần Thị Bích Ngọc', title: 'Phó Chánh Văn phòng', organization: 'Bộ Tư pháp' });
    // openssl shows the same text, so other tools will too
    const r = openssl(['x509', '-in', testPki.identity('person-vpcp').cert, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space']);
    expect(r.out).toContain('title=Chánh Văn phòng, CN=Nguyễn Văn An');
  });

  it('seal certificates carry the agency code in serialNumber', () => {
    for (const id of ['vpcp-seal', 'ministry-seal', 'province-seal'] as const) {
      const identity = testPki.identity(id);
      expect(subjectFields(parseCertificate(identity.certPem())).serialNumber).toBe(identity.agencyCode);
    }
    expect(testPki.identity('vpcp-seal').agencyCode).toBe('000.00.00.G22');
  });

  it('index.json matches the certificates', () => {
    for (const identity of testPki.identities) {
      const cert = parseCertificate(identity.certPem());
      expect(serialHex(cert)).toBe(identity.serialHex);
      expect(certificateKeyInfo(cert)).toEqual({ keyType: identity.keyType, keyBits: identity.keyBits });
      expect(cert.notAfter.value.toISOString().replace('.000', '')).toBe(identity.notAfter);
    }
    const types = new Set(testPki.identities.filter((i) => i.role === 'seal').map((i) => i.keyType));
    expect(types).toEqual(new Set(['RSA', 'EC']));
  });

  it('signer certificates allow signing and point at the local PKI server', () => {
    for (const identity of nonRoot) {
      const cert = parseCertificate(identity.certPem());
      expect(ocspUrls(cert)).toEqual([`${testPki.baseUrl}/ocsp`]);
      const caName = identity.issuer === 'root-ca' ? 'root' : 'ca';
      expect(caIssuersUrls(cert)).toEqual([`${testPki.baseUrl}/certs/${caName}.cer`]);
      expect(crlUrls(cert)).toEqual([`${testPki.baseUrl}/crl/${caName}.crl`]);
      if (identity.role === 'seal' || identity.role === 'person') {
        expect(keyUsage(cert)).toMatchObject({ digitalSignature: true, nonRepudiation: true, keyCertSign: false });
        expect(basicConstraints(cert)).toEqual({ ca: false });
      }
    }
    const ca = parseCertificate(testPki.identity('ca').certPem());
    expect(basicConstraints(ca)).toEqual({ ca: true, pathLen: 0 });
    expect(isIssuedBy(ca, testPki.identity('root-ca').certPem())).toBe(true);
    expect(isIssuedBy(testPki.identity('person-vpcp').certPem(), testPki.identity('root-ca').certPem())).toBe(false);
  });

  it('TSA and OCSP responder certificates have their purposes', () => {
    const tsa = parseCertificate(testPki.identity('tsa').certPem());
    expect(extendedKeyUsage(tsa)).toEqual([KeyPurposeOid.timeStamping]);
    const ocsp = parseCertificate(testPki.identity('ocsp').certPem());
    expect(extendedKeyUsage(ocsp)).toEqual([KeyPurposeOid.ocspSigning]);
    expect(hasOcspNoCheck(ocsp)).toBe(true);
  });

  it('the committed CRLs verify (openssl) and list only revoked-signer', () => {
    for (const [ca, issuer] of [
      ['ca', testPki.caPem],
      ['root', testPki.rootPem],
    ] as const) {
      const r = openssl(['crl', '-inform', 'DER', '-in', testPki.crl(ca), '-CAfile', issuer, '-noout', '-verify']);
      expect(r.out).toContain('verify OK');
    }
    const crlDer = new Uint8Array(readFileSync(testPki.crl('ca')));
    const revoked = checkCrl(testPki.identity('revoked-signer').certPem(), crlDer, testPki.identity('ca').certPem());
    expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect(revoked.revocationTime?.toISOString()).toBe('2025-09-15T03:00:00.000Z');
    expect(checkCrl(testPki.identity('person-vpcp').certPem(), crlDer, testPki.identity('ca').certPem()).status).toBe('good');
  });
});
