// The CMS parser: original bytes of what is signed, typed errors for anything malformed, embedded validation
// data in its three carriers (Adobe archival attribute, CAdES revocation values, SignedData.crls).
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { parseCertificate, serialHex } from '../../src/pki/certificate.ts';
import { assembleSignedData, prepareSignedAttributes } from '../../src/pki/cms/cades-detached.ts';
import {
  CmsAttributeOid,
  CmsParseError,
  certificateOutline,
  childrenOf,
  crlOutline,
  decodeTime,
  derTlv,
  nameKey,
  ocspProducedAt,
  parseCms,
  parseTimestampToken,
  readTlv,
  tlvBytes,
  wrapBasicOcspResponse,
} from '../../src/pki/cms/cms-parser.ts';
import { checkOcsp } from '../../src/pki/ocsp-client.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { certDer, contentDigest, sign, signerOf } from './cms-test-helpers.ts';

let server: TestPkiServer;
let ocspDer: Uint8Array;
const crlDer = new Uint8Array(readFileSync(testPki.crl('ca')));
beforeAll(async () => {
  server = await startTestPkiServer();
  ocspDer = (await checkOcsp(certDer('person-vpcp'), certDer('ca'), { rewrite: server.rewrite })).responseDer;
});
afterAll(async () => {
  await server.close();
});

const attr = (oid: string, valueDer: Uint8Array): pkijs.Attribute => new pkijs.Attribute({ type: oid, values: [asn1js.fromBER(valueDer).result] });

async function signWithAttributes(extraSigned: pkijs.Attribute[] = [], unsigned: pkijs.Attribute[] = []): Promise<{ cms: Uint8Array; toBeSigned: Uint8Array }> {
  const signer = signerOf('person-vpcp');
  const prepared = prepareSignedAttributes({ certificate: signer.certificate, chain: signer.chain, keyType: signer.keyType, contentDigest: contentDigest(), extraSignedAttributes: extraSigned });
  const value = await signer.sign(prepared.toBeSigned, prepared.algorithm);
  return { cms: assembleSignedData(prepared, value, unsigned), toBeSigned: prepared.toBeSigned };
}

describe('parseCms', () => {
  it('gives the signed attributes exactly as signed, and every field of a kyso PAdES signature', async () => {
    const { cms, toBeSigned } = await signWithAttributes();
    const p = parseCms(cms);
    expect(Buffer.from(p.signer.signedAttributesDer!).equals(Buffer.from(toBeSigned))).toBe(true);
    expect(p.version).toBe(1);
    expect(p.eContentType).toBe('1.2.840.113549.1.7.1');
    expect(p.eContent).toBeUndefined();
    expect(p.certificates.map((c) => Buffer.from(c).toString('hex'))).toEqual(
      [certDer('person-vpcp'), certDer('ca'), certDer('root-ca')].map((c) => Buffer.from(c).toString('hex')),
    );
    const s = p.signer;
    expect(s.sid).toMatchObject({ kind: 'issuerAndSerialNumber', serialHex: testPki.identity('person-vpcp').serialHex });
    expect(s.digest).toBe('SHA-256');
    expect(Buffer.from(s.messageDigest!).equals(Buffer.from(contentDigest()))).toBe(true);
    expect(s.contentType).toBe('1.2.840.113549.1.7.1');
    expect(s.hasSigningTime).toBe(false);
    expect(s.essVersion).toBe(2);
    expect(s.essCertIds).toHaveLength(1);
    expect(s.essCertIds[0]!.digest).toBe('SHA-256');
    expect(s.essCertIds[0]!.issuerSerial!.issuers.map(nameKey)).toEqual([nameKey(certificateOutline(certDer('ca')).subject)]);
    expect(s.signatureAlgorithmInfo).toEqual({ oid: '1.2.840.113549.1.1.10', scheme: 'RSASSA-PSS', digest: 'SHA-256', pss: { saltLength: 32, mgfDigest: 'SHA-256', trailerField: 1 } });
    expect(s.signature.length).toBe(256);
    expect(s.signatureTimestamps).toEqual([]);
    expect(p.embedded).toEqual({ certificates: [], ocspResponses: [], crls: [] });
  });

  it('reads ECDSA and PKCS#1 v1.5 algorithm identifiers', async () => {
    expect(parseCms(await sign('person-ministry', { digest: 'SHA-384' })).signer.signatureAlgorithmInfo).toEqual({ oid: '1.2.840.10045.4.3.3', scheme: 'ECDSA', digest: 'SHA-384' });
    expect(parseCms(await sign('vpcp-seal', { scheme: 'RSASSA-PKCS1-v1_5' })).signer.signatureAlgorithmInfo).toEqual({ oid: '1.2.840.113549.1.1.11', scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' });
  });

  it('exposes the signature timestamp token of a B-T signature', async () => {
    const p = parseCms(await sign('person-vpcp', { tsa: server }));
    expect(p.signer.signatureTimestamps).toHaveLength(1);
    const token = parseTimestampToken(p.signer.signatureTimestamps[0]!);
    expect(token.tstInfo.imprintDigest).toBe('SHA-256');
    expect(Math.abs(token.tstInfo.genTime.getTime() - Date.now())).toBeLessThan(60_000);
    expect(token.tstInfo.accuracyMs).toBe(1000);
    expect(token.signer.hasSigningTime).toBe(true);
  });

  it('collects Adobe revocation archival (signed) and CAdES revocation values (unsigned) as embedded data', async () => {
    const archival = derTlv(0x30, derTlv(0xa0, derTlv(0x30, crlDer)), derTlv(0xa1, derTlv(0x30, ocspDer)));
    // CAdES stores BasicOCSPResponses: take the one inside our OCSPResponse.
    const [, rb] = childrenOf(ocspDer, readTlv(ocspDer, 0));
    const [, os] = childrenOf(ocspDer, childrenOf(ocspDer, rb!)[0]!);
    const basic = ocspDer.subarray(os!.contentStart, os!.contentEnd);
    const revValues = derTlv(0x30, derTlv(0xa1, derTlv(0x30, basic)));
    const certValues = derTlv(0x30, certDer('tsa'));
    const { cms } = await signWithAttributes(
      [attr(CmsAttributeOid.adobeRevocationInfoArchival, archival)],
      [attr(CmsAttributeOid.revocationValues, revValues), attr(CmsAttributeOid.certValues, certValues)],
    );
    const p = parseCms(cms);
    expect(p.embedded.crls.map((c) => Buffer.from(c).toString('hex'))).toEqual([Buffer.from(crlDer).toString('hex')]);
    expect(p.embedded.ocspResponses).toHaveLength(2);
    // Wrapping the BasicOCSPResponse back gives the responder's original OCSPResponse, byte for byte.
    for (const o of p.embedded.ocspResponses) expect(Buffer.from(o).equals(Buffer.from(ocspDer))).toBe(true);
    expect(Buffer.from(wrapBasicOcspResponse(basic)).equals(Buffer.from(ocspDer))).toBe(true);
    expect(Buffer.from(p.embedded.certificates[0]!).equals(Buffer.from(certDer('tsa')))).toBe(true);
  });

  it('collects CRLs and RFC 5940 OCSP responses from SignedData.crls', async () => {
    const cms = await sign('person-vpcp');
    const ci = readTlv(cms, 0);
    const [oid, wrapper] = childrenOf(cms, ci);
    const fields = childrenOf(cms, childrenOf(cms, wrapper!)[0]!);
    const other = derTlv(0xa1, derTlv(0x06, new Uint8Array([0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02])), ocspDer);
    const crls = derTlv(0xa1, crlDer, other);
    const parts = fields.map((f) => tlvBytes(cms, f));
    parts.splice(parts.length - 1, 0, crls); // before signerInfos
    const rebuilt = derTlv(0x30, tlvBytes(cms, oid!), derTlv(0xa0, derTlv(0x30, ...parts)));
    const p = parseCms(rebuilt);
    expect(p.embedded.crls).toHaveLength(1);
    expect(p.embedded.ocspResponses).toHaveLength(1);
    expect(Buffer.from(p.embedded.ocspResponses[0]!).equals(Buffer.from(ocspDer))).toBe(true);
  });

  it('refuses a SignedData with two SignerInfos, naming the count', async () => {
    const cms = await sign('person-vpcp');
    const [oid, wrapper] = childrenOf(cms, readTlv(cms, 0));
    const fields = childrenOf(cms, childrenOf(cms, wrapper!)[0]!);
    const infos = fields[fields.length - 1]!;
    const si = childrenOf(cms, infos)[0]!;
    const parts = fields.slice(0, -1).map((f) => tlvBytes(cms, f));
    const rebuilt = derTlv(0x30, tlvBytes(cms, oid!), derTlv(0xa0, derTlv(0x30, ...parts, derTlv(0x31, tlvBytes(cms, si), tlvBytes(cms, si)))));
    expect(() => parseCms(rebuilt)).toThrow(CmsParseError);
    expect(() => parseCms(rebuilt)).toThrow(/exactly one SignerInfo expected, found 2/);
  });

  it('never throws anything but CmsParseError on damaged input (truncations and bit flips)', async () => {
    const cms = await sign('person-ministry', { tsa: server });
    let parsedOk = 0;
    let refused = 0;
    const tryParse = (b: Uint8Array) => {
      try {
        const p = parseCms(b);
        for (const t of p.signer.signatureTimestamps) {
          try {
            parseTimestampToken(t);
          } catch (e) {
            if (!(e instanceof CmsParseError)) throw e;
          }
        }
        parsedOk++;
      } catch (e) {
        if (!(e instanceof CmsParseError)) throw new Error(`unexpected ${String(e)}`);
        refused++;
      }
    };
    for (let n = 0; n < cms.length; n += 7) tryParse(cms.subarray(0, n));
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const b = Uint8Array.from(cms);
      for (let k = 0; k < 3; k++) b[rnd() % b.length] ^= 1 << rnd() % 8;
      tryParse(b);
    }
    expect(refused).toBeGreaterThan(100);
    expect(parsedOk).toBeGreaterThan(100);
  });

  it('rejects non-CMS input with a Vietnamese and English message', () => {
    for (const b of [new Uint8Array(), new Uint8Array([0x30]), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), certDer('ca')]) {
      const e = (() => {
        try {
          parseCms(b);
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(CmsParseError);
      expect((e as CmsParseError).vi).toMatch(/^CMS không hợp lệ/);
      expect((e as CmsParseError).en).toMatch(/^Malformed CMS/);
    }
  });
});

describe('small readers', () => {
  it('certificateOutline agrees with pkijs', () => {
    for (const id of ['root-ca', 'ca', 'person-ministry', 'tsa'] as const) {
      const der = certDer(id);
      const o = certificateOutline(der);
      const c = parseCertificate(der);
      expect(Buffer.from(o.serial).toString('hex').replace(/^00/, '')).toBe(serialHex(c));
      expect(o.notBefore.getTime()).toBe(c.notBefore.value.getTime());
      expect(o.notAfter.getTime()).toBe(c.notAfter.value.getTime());
      expect(Buffer.from(o.tbs).equals(Buffer.from(c.tbsView))).toBe(true);
      expect(Buffer.from(o.subject).equals(Buffer.from(c.subject.toSchema().toBER()))).toBe(true);
    }
  });

  it('OCSP producedAt and CRL outline', () => {
    expect(Math.abs(ocspProducedAt(ocspDer)!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(ocspProducedAt(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01]))).toBeUndefined(); // malformedRequest
    const o = crlOutline(crlDer)!;
    expect(nameKey(o.issuer)).toBe(nameKey(certificateOutline(certDer('ca')).subject));
    expect(o.nextUpdate!.getTime()).toBeGreaterThan(o.thisUpdate.getTime());
  });

  it('times: UTCTime century window, GeneralizedTime fractions and offsets', () => {
    const t = (tag: number, s: string) => {
      const b = derTlv(tag, new TextEncoder().encode(s));
      return decodeTime(b, readTlv(b, 0)).toISOString();
    };
    expect(t(0x17, '491231235959Z')).toBe('2049-12-31T23:59:59.000Z');
    expect(t(0x17, '500101000000Z')).toBe('1950-01-01T00:00:00.000Z');
    expect(t(0x18, '20260312101530.25Z')).toBe('2026-03-12T10:15:30.250Z');
    expect(t(0x18, '20260312171530+0700')).toBe('2026-03-12T10:15:30.000Z');
    expect(() => t(0x18, '2026-03-12')).toThrow(CmsParseError);
  });

  it('names compare regardless of string type, case and spacing', () => {
    const name = (tag: number, v: string) => derTlv(0x30, derTlv(0x31, derTlv(0x30, derTlv(0x06, new Uint8Array([0x55, 0x04, 0x03])), derTlv(tag, new TextEncoder().encode(v)))));
    expect(nameKey(name(0x13, 'Test  CA'))).toBe(nameKey(name(0x0c, 'test ca')));
    expect(nameKey(name(0x0c, 'Ban Cơ yếu'))).not.toBe(nameKey(name(0x0c, 'Ban Co yeu')));
  });
});
