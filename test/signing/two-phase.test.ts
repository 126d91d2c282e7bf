// Two-phase signing at the format level: the service prepares, "the clerk" signs with a key the service never
// sees (here a Node KeyObject standing in for WebCrypto or a token), the service checks and completes. The
// outputs must verify TOTAL_PASSED; a value from another key, over other bytes or with another padding must be
// refused before anything is embedded, and the session must stay completable afterwards.
import { constants, createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { KysoError } from '../../src/errors.ts';
import { verifyDocument } from '../../src/exchange/verify-document.ts';
import { hash } from '../../src/pki/native-crypto.ts';
import { nodeDigestName, type SignatureAlgorithm } from '../../src/pki/signer.ts';
import {
  completePdfSession,
  completeXmlSession,
  ecdsaRawToDer,
  normalizeEcdsaSignature,
  startPdfSession,
  startXmlSession,
} from '../../src/signing/two-phase/index.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();
const network = () => ({ rewrite: pki.server.rewrite });

interface Clerk {
  key: KeyObject;
  certificate: Uint8Array;
  chain: Uint8Array[];
}

function clerk(id: TestIdentityId): Clerk {
  const i = testPki.identity(id);
  return {
    key: createPrivateKey(i.keyPem()),
    certificate: new Uint8Array(new X509Certificate(i.certPem()).raw),
    chain: [new Uint8Array(new X509Certificate(readFileSync(testPki.caPem)).raw)],
  };
}

/** What WebCrypto's sign() gives: the data hashed by the implementation; ECDSA as raw r||s (IEEE P1363). */
function webCryptoSign(c: Clerk, a: SignatureAlgorithm, data: Uint8Array): Uint8Array {
  const md = nodeDigestName(a.digest);
  if (a.scheme === 'ECDSA') return new Uint8Array(sign(md, data, { key: c.key, dsaEncoding: 'ieee-p1363' }));
  if (a.scheme === 'RSASSA-PSS') return new Uint8Array(sign(md, data, { key: c.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
  return new Uint8Array(sign(md, data, c.key));
}

const pdf = () => readFileSync(samples.find((s) => s.id.includes('table'))?.file ?? samples[0]!.file);
const edxml = () => readFileSync(new URL('../fixtures/xml/edxml-sample.xml', import.meta.url));

async function verified(bytes: Uint8Array) {
  const r = await verifyDocument(bytes, { trust: TrustStore.demo(), network: network() });
  // What failed, in the assertion message when the outcome is not the expected one.
  const why = r.signatures.flatMap((s) => s.checks.filter((c) => c.status === 'FAILED').map((c) => `${c.id}: ${JSON.stringify(c)}`));
  why.push(JSON.stringify(r.summary), JSON.stringify(r.signatures.map((s) => [s.indication, s.subIndication])), JSON.stringify(r.attachments?.map((a) => [a.name, a.report?.indication, a.problem])));
  return { ...r, indication: r.indication, why: why.join('\n') };
}

async function rejection(p: Promise<unknown>): Promise<KysoError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KysoError);
  return e as KysoError;
}

describe('two-phase PAdES', () => {
  it('RSASSA-PSS (the default): the clerk signs the signed attributes, the result verifies and carries the clerk as signer', async () => {
    const c = clerk('person-vpcp');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() });
    expect(s.algorithm).toEqual({ digest: 'SHA-256', scheme: 'RSASSA-PSS' });
    // dataToSign is the digest of the DER signed attributes: what a hash-signing token signs.
    expect(Buffer.from(s.dataToSign)).toEqual(Buffer.from(hash('SHA-256', s.toBeSigned)));
    expect(s.toBeSigned[0]).toBe(0x31); // a DER SET
    const out = await completePdfSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned));
    expect(Buffer.compare(out.bytes.subarray(0, pdf().length), pdf())).toBe(0); // incremental
    const r = await verified(out.bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.signer?.subject ?? JSON.stringify(r.signatures[0])).toContain('Nguyễn Văn An');
  });

  it('B-T with PKCS#1 v1.5: the signature timestamp comes from the TSA on completion', async () => {
    const c = clerk('person-vpcp');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, level: 'B-T', scheme: 'RSASSA-PKCS1-v1_5', network: network() });
    const out = await completePdfSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned), { tsaUrl: `${pki.server.url}/tsa`, network: network() });
    const r = await verified(out.bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.level).toBe('B-T');
  });

  it('ECDSA: the raw r||s WebCrypto produces is converted to DER and verifies', async () => {
    const c = clerk('person-ministry');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() });
    expect(s.algorithm.scheme).toBe('ECDSA');
    const raw = webCryptoSign(c, s.algorithm, s.toBeSigned);
    expect(raw.length).toBe(64);
    const out = await completePdfSession(s.state, raw);
    {
      const r = await verified(out.bytes);
      expect(r.indication, r.why).toBe('TOTAL_PASSED');
    }
  });

  it("a signature by another key is refused and the session can still be completed with the right one", async () => {
    const c = clerk('person-vpcp');
    const other = clerk('person-province');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() });
    const e = await rejection(completePdfSession(s.state, webCryptoSign(other, s.algorithm, s.toBeSigned)));
    expect(e.code).toBe('SIGNATURE_VALUE_INVALID');
    expect(e.vi).toMatch(/Chữ ký không khớp/);
    // Right key, wrong bytes (e.g. a stale session's data): refused too.
    const stale = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() });
    expect((await rejection(completePdfSession(s.state, webCryptoSign(c, s.algorithm, stale.toBeSigned)))).code).toBe('SIGNATURE_VALUE_INVALID');
    const out = await completePdfSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned));
    {
      const r = await verified(out.bytes);
      expect(r.indication, r.why).toBe('TOTAL_PASSED');
    }
  });

  it('PSS is checked with the declared salt length: a PKCS#1 v1.5 value or a PSS value with another salt is refused', async () => {
    const c = clerk('person-vpcp');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() });
    const v15 = webCryptoSign(c, { digest: 'SHA-256', scheme: 'RSASSA-PKCS1-v1_5' }, s.toBeSigned);
    expect((await rejection(completePdfSession(s.state, v15))).code).toBe('SIGNATURE_VALUE_INVALID');
    const salt20 = new Uint8Array(sign('sha256', s.toBeSigned, { key: c.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }));
    expect((await rejection(completePdfSession(s.state, salt20))).code).toBe('SIGNATURE_VALUE_INVALID');
  });

  it('an expired certificate is refused when the session starts', async () => {
    const c = clerk('expired-signer');
    expect((await rejection(startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, network: network() }))).code).toBe('CERT_EXPIRED');
  });
});

describe('two-phase XAdES', () => {
  // The edXML sample's attachment is a placeholder (not a real PDF), so the package's overall outcome stays
  // INDETERMINATE whoever signs it: these tests look at the package signature itself; plain XML is checked whole.
  it('RSA (rsa-sha256): the clerk signs the canonical SignedInfo; the edXML package verifies with its signature in edXMLHeader', async () => {
    const c = clerk('person-vpcp');
    const s = await startXmlSession(edxml(), { certificate: c.certificate, chain: c.chain, network: network() });
    expect(Buffer.from(s.toBeSigned).toString('utf8')).toMatch(/^<ds:SignedInfo xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#">/);
    expect(Buffer.from(s.dataToSign)).toEqual(Buffer.from(hash('SHA-256', s.toBeSigned)));
    const out = await completeXmlSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned));
    const text = out.bytes.toString('utf8');
    expect(text.indexOf('<ds:Signature')).toBeGreaterThan(text.indexOf('edXMLHeader'));
    expect(text.indexOf('<ds:Signature')).toBeLessThan(text.indexOf('</edXMLHeader') === -1 ? text.length : text.search(/<\/(\w+:)?edXMLHeader>/));
    {
      const r = await verified(out.bytes);
      expect(r.signatures[0]!.indication, r.why).toBe('TOTAL_PASSED');
    }
  });

  it('ECDSA raw r||s and B-T', async () => {
    const c = clerk('person-ministry');
    const s = await startXmlSession(edxml(), { certificate: c.certificate, chain: c.chain, level: 'B-T', network: network() });
    const out = await completeXmlSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned), { tsaUrl: `${pki.server.url}/tsa`, network: network() });
    expect(out.bytes.toString('utf8')).toContain('SignatureTimeStamp');
    {
      const r = await verified(out.bytes);
      expect(r.signatures[0]!.indication, r.why).toBe('TOTAL_PASSED');
    }
  });

  it('RSASSA-PSS on request; a signature by another key is refused', async () => {
    const c = clerk('person-vpcp');
    const s = await startXmlSession(edxml(), { certificate: c.certificate, chain: c.chain, scheme: 'RSASSA-PSS', network: network() });
    const e = await rejection(completeXmlSession(s.state, webCryptoSign(clerk('vpcp-seal'), s.algorithm, s.toBeSigned)));
    expect(e.code).toBe('SIGNATURE_VALUE_INVALID');
    const out = await completeXmlSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned));
    {
      const r = await verified(out.bytes);
      expect(r.signatures[0]!.indication, r.why).toBe('TOTAL_PASSED');
    }
  });
});

describe('ECDSA value forms', () => {
  it('raw r||s becomes a DER Ecdsa-Sig-Value that verifies; DER stays as it is', () => {
    const c = clerk('person-ministry');
    const data = Buffer.from('dữ liệu cần ký');
    for (let i = 0; i < 20; i++) {
      // Some r or s have a high bit set or leading zero bytes: both need the INTEGER's minimal two's complement.
      const raw = new Uint8Array(sign('sha256', data, { key: c.key, dsaEncoding: 'ieee-p1363' }));
      const der = ecdsaRawToDer(raw);
      expect(verify('sha256', data, { key: new X509Certificate(c.certificate).publicKey, dsaEncoding: 'der' }, der)).toBe(true);
      expect(Buffer.from(normalizeEcdsaSignature(raw, 256))).toEqual(Buffer.from(der));
      expect(Buffer.from(normalizeEcdsaSignature(der, 256))).toEqual(Buffer.from(der));
    }
  });
});

describe('two-phase XAdES on plain XML', () => {
  it('the signature goes last in the root element and the document verifies TOTAL_PASSED', async () => {
    const c = clerk('person-province');
    const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<CongVan so="125/UBND-VP"><TrichYeu>Trả lời phản ánh của công dân</TrichYeu></CongVan>\n');
    const s = await startXmlSession(xml, { certificate: c.certificate, chain: c.chain, network: network() });
    const out = await completeXmlSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned));
    expect(out.bytes.toString('utf8')).toMatch(/<\/ds:Signature><\/CongVan>\n$/);
    const r = await verified(out.bytes);
    expect(r.indication, r.why).toBe('TOTAL_PASSED');
  });
});

describe('two-phase PAdES long-term levels', () => {
  it('B-LTA: completion adds the timestamp, the /DSS validation data and the archive timestamp', async () => {
    const c = clerk('person-vpcp');
    const s = await startPdfSession(pdf(), { certificate: c.certificate, chain: c.chain, level: 'B-LTA', network: network() });
    const out = await completePdfSession(s.state, webCryptoSign(c, s.algorithm, s.toBeSigned), { tsaUrl: `${pki.server.url}/tsa`, network: network() });
    expect(out.bytes.toString('latin1')).toContain('/DSS');
    const r = await verified(out.bytes);
    expect(r.indication, r.why).toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.level).toBe('B-LTA');
  });
});
