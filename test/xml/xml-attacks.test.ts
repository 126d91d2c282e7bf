// Attacks on signed XML (signature-security.md §2), each generated in the test from a valid signature; none may
// be TOTAL_PASSED, and each fails for the reason that names the attack.
import { sign as nodeSign } from 'node:crypto';
import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { isKysoError } from '../../src/errors.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signXml } from '../../src/signing/xml/xades-signer.ts';
import type { VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { verifyXml, verifyXmlDocument } from '../../src/verify/xml/xml-validator.ts';
import { C14N, canonicalize } from '../../src/xml/c14n.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';
import { DSIG, edxmlHeader, ENVELOPED, EXC_C14N, failures, QCVN, sampleXml, selfSigned, signerOf, XADES, xmlsecSign, xmlsecTemplate, type SelfSigned } from './helpers.ts';

let server: TestPkiServer;
let opts: VerifyOptions;
let signed: string; // kyso XAdES-B, signature under edXMLHeader
let attacker: SelfSigned;

beforeAll(async () => {
  server = await startTestPkiServer();
  opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
  signed = await signXml(sampleXml(), { signer: signerOf('person-vpcp'), parent: edxmlHeader });
  attacker = await selfSigned();
});
afterAll(async () => server?.close());

const serialize = (d: Document): string => new XMLSerializer().serializeToString(d);
const verify = (xml: string): Promise<ValidationReport> => verifyXml(Buffer.from(xml), opts);
const first = (d: Document | Element, ns: string, local: string): Element => d.getElementsByTagNameNS(ns, local).item(0)!;

function expectRejected(r: ValidationReport, indication: 'TOTAL_FAILED' | 'INDETERMINATE', sub: string): void {
  expect(r.indication).not.toBe('TOTAL_PASSED');
  expect({ indication: r.indication, sub: r.subIndication }).toEqual({ indication, sub });
}

/** Re-signs SignedInfo with the attacker's key (rsa-sha256), after `mutate` changed the signature element. */
function resignWithAttacker(xml: string, mutate: (sig: Element, doc: Document) => void): string {
  const doc = parseXmlSafely(xml);
  const sig = first(doc, DSIG, 'Signature');
  mutate(sig, doc);
  const si = canonicalize(first(doc, DSIG, 'SignedInfo'), { method: C14N.exclusive });
  const value = first(doc, DSIG, 'SignatureValue');
  value.textContent = nodeSign('sha256', Buffer.from(si, 'utf8'), attacker.key).toString('base64');
  return serialize(doc);
}

function x509Data(doc: Document, ders: Uint8Array[]): Element {
  const data = doc.createElementNS(DSIG, 'ds:X509Data');
  for (const der of ders) {
    const c = doc.createElementNS(DSIG, 'ds:X509Certificate');
    c.appendChild(doc.createTextNode(Buffer.from(der).toString('base64')));
    data.appendChild(c);
  }
  return data;
}

describe('XML attacks are never TOTAL_PASSED', () => {
  it('the untouched signature passes (baseline for every attack below)', async () => {
    expect((await verify(signed)).indication).toBe('TOTAL_PASSED');
  });

  it('text changed inside the signed header: HASH_FAILURE', async () => {
    const r = await verify(signed.replace('V/v chuyển phản ánh', 'V/v phê duyệt chi 9 tỷ đồng'));
    expectRejected(r, 'TOTAL_FAILED', 'HASH_FAILURE');
    expect(failures(r)).toContain('MESSAGE_DIGEST:HASH_FAILURE');
  });

  it('XSW on URI="": signed MessageHeader moved under a wrapper in ds:Object, attacker copy at the original place: HASH_FAILURE', async () => {
    const doc = parseXmlSafely(signed);
    const original = first(doc, QCVN, 'MessageHeader');
    const forged = original.cloneNode(true) as Element;
    first(forged, QCVN, 'Subject').textContent = 'V/v phê duyệt chi 9 tỷ đồng';
    const wrapper = doc.createElementNS(QCVN, 'edXML:Wrapper');
    original.parentNode!.replaceChild(forged, original);
    wrapper.appendChild(original);
    first(doc, DSIG, 'Object').appendChild(wrapper);
    const r = await verify(serialize(doc));
    expectRejected(r, 'TOTAL_FAILED', 'HASH_FAILURE');
  });

  describe('a signature by #id over edXMLHeader only (made by xmlsec1)', () => {
    let byId: string;
    beforeAll(async () => {
      const vpcp = testPki.identity('person-vpcp');
      const input = sampleXml().replace('<edXML:edXMLHeader>', '<edXML:edXMLHeader Id="hdr">');
      byId = await xmlsecSign(input, xmlsecTemplate('#hdr', [EXC_C14N]), '</edXML>', vpcp.key, [vpcp.cert], `${QCVN}:edXMLHeader`);
    });

    it('covers only part of the document: COVERAGE fails although digest, signature and chain hold', async () => {
      const r = await verify(byId);
      expectRejected(r, 'TOTAL_FAILED', 'FORMAT_FAILURE');
      const s = r.signatures[0]!;
      expect(s.coverage).toBe('PARTIAL');
      expect(s.covered).toEqual(['/edXML[1]/edXML:edXMLEnvelope[1]/edXML:edXMLHeader[1]']);
      expect(failures(r)).toEqual(['COVERAGE:FORMAT_FAILURE']);
    });

    it('XSW: the signed header moved under a wrapper, a forged header (no Id) in its place: still PARTIAL, and the report shows where the signed one went', async () => {
      const doc = parseXmlSafely(byId);
      const original = first(doc, QCVN, 'edXMLHeader');
      const forged = original.cloneNode(true) as Element;
      forged.removeAttribute('Id');
      first(forged, QCVN, 'Subject').textContent = 'V/v phê duyệt chi 9 tỷ đồng';
      original.parentNode!.replaceChild(forged, original);
      const wrapper = doc.createElementNS(QCVN, 'edXML:Extension');
      wrapper.appendChild(original);
      doc.documentElement!.appendChild(wrapper);
      const xml = serialize(doc);
      const v = await verifyXmlDocument(parseXmlSafely(xml), { ...opts, bytes: Buffer.from(xml) });
      expect(v.report.indication).not.toBe('TOTAL_PASSED');
      expect(v.coveredRoot).toBeUndefined();
      expect(v.report.signatures[0]!.covered).toEqual(['/edXML[1]/edXML:Extension[1]/edXML:edXMLHeader[1]']);
      expect(failures(v.report)).toEqual(['COVERAGE:FORMAT_FAILURE']);
    });

    it('XSW with a forged copy keeping Id="hdr": duplicate Id, FORMAT_FAILURE before any digest', async () => {
      const doc = parseXmlSafely(byId);
      const original = first(doc, QCVN, 'edXMLHeader');
      const forged = original.cloneNode(true) as Element;
      const wrapper = doc.createElementNS(QCVN, 'edXML:Extension');
      original.parentNode!.insertBefore(forged, original);
      wrapper.appendChild(original);
      doc.documentElement!.appendChild(wrapper);
      const r = await verify(serialize(doc));
      expectRejected(r, 'TOTAL_FAILED', 'FORMAT_FAILURE');
      expect(r.signatures[0]!.checks[0]!.message.en).toMatch(/Id values occur more than once.*hdr/);
    });
  });

  it('a signature over the body only (#id, made by xmlsec1): PARTIAL, never TOTAL_PASSED', async () => {
    const vpcp = testPki.identity('person-vpcp');
    const input = sampleXml().replace('<edXML:edXMLBody>', '<edXML:edXMLBody Id="body">');
    const xml = await xmlsecSign(input, xmlsecTemplate('#body', [EXC_C14N]), '</edXML:edXMLHeader>', vpcp.key, [vpcp.cert], `${QCVN}:edXMLBody`);
    const r = await verify(xml);
    expectRejected(r, 'TOTAL_FAILED', 'FORMAT_FAILURE');
    expect(r.signatures[0]!.coverage).toBe('PARTIAL');
  });

  it('duplicate Id: a fake SignedProperties with the real Id planted in the body: FORMAT_FAILURE', async () => {
    const sp = /<xades:SignedProperties [\s\S]*?<\/xades:SignedProperties>/.exec(signed)![0];
    const fake = sp.replace(/<xades:SigningTime>[^<]*/, '<xades:SigningTime>2020-01-01T00:00:00+07:00');
    const planted = signed.replace('<edXML:edXMLBody>', `<edXML:edXMLBody><edXML:Note xmlns:xades="${XADES}" xmlns:ds="${DSIG}">${fake}</edXML:Note>`);
    expectRejected(await verify(planted), 'TOTAL_FAILED', 'FORMAT_FAILURE');
  });

  it('duplicate Id anywhere, even unrelated to the signature: FORMAT_FAILURE', async () => {
    const planted = signed.replace('<edXML:edXMLBody>', '<edXML:edXMLBody Id="x1">').replace('<edXML:AttachmentEncoded>', '<edXML:AttachmentEncoded id="x1">');
    expectRejected(await verify(planted), 'TOTAL_FAILED', 'FORMAT_FAILURE');
  });

  it('KeyInfo certificate swapped for a self-signed one and SignedInfo re-signed, SigningCertificateV2 still pointing at the real certificate: NO_SIGNING_CERTIFICATE_FOUND', async () => {
    const xml = resignWithAttacker(signed, (_sig, doc) => {
      const keyInfo = first(doc, DSIG, 'KeyInfo');
      keyInfo.replaceChild(x509Data(doc, [attacker.signer.certificate]), first(doc, DSIG, 'X509Data'));
    });
    const r = await verify(xml);
    expectRejected(r, 'INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND');
  });

  it('the attacker certificate added in front of the real ones, re-signed: the key comes from the SigningCertificateV2 certificate, SIG_CRYPTO_FAILURE', async () => {
    const xml = resignWithAttacker(signed, (_sig, doc) => {
      const data = first(doc, DSIG, 'X509Data');
      const c = doc.createElementNS(DSIG, 'ds:X509Certificate');
      c.appendChild(doc.createTextNode(Buffer.from(attacker.signer.certificate).toString('base64')));
      data.insertBefore(c, data.firstChild);
    });
    const r = await verify(xml);
    expectRejected(r, 'TOTAL_FAILED', 'SIG_CRYPTO_FAILURE');
    expect(r.signatures[0]!.signer?.issuer).toMatch(/Test Ban Cơ yếu CA/);
  });

  it('the whole signature redone by the attacker (SigningCertificateV2 replaced too, self-signed certificate): NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const xml = await signXml(sampleXml().replace('V/v chuyển phản ánh', 'V/v phê duyệt chi 9 tỷ đồng'), { signer: attacker.signer, parent: edxmlHeader });
    const r = await verify(xml);
    expectRejected(r, 'INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND');
    expect(r.signatures[0]!.checks.find((c) => c.id === 'SIGNATURE_VALUE')?.status).toBe('PASSED');
    expect(r.signatures[0]!.checks.find((c) => c.id === 'SIGNING_CERTIFICATE_REFERENCE')?.status).toBe('PASSED');
  });

  describe('transform and reference abuse: FORMAT_FAILURE, nothing fetched', () => {
    const cases: [string, (s: string) => string][] = [
      ['an XPath transform', (s) => s.replace(`<ds:Transform Algorithm="${ENVELOPED}"/>`, '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>')],
      ['an XSLT transform', (s) => s.replace(`<ds:Transform Algorithm="${ENVELOPED}"/>`, '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>')],
      ['a remote Reference URI', (s) => s.replace('URI=""', 'URI="http://127.0.0.1:9/evil.xml"')],
      ['an XPointer Reference URI', (s) => s.replace('URI=""', 'URI="#xpointer(/)"')],
      ['a RetrievalMethod in KeyInfo', (s) => s.replace('<ds:KeyInfo>', '<ds:KeyInfo><ds:RetrievalMethod URI="http://127.0.0.1:9/cert"/>')],
      ['a second QualifyingProperties', (s) => s.replace('</ds:Signature>', `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES}" Target="#x"/></ds:Object></ds:Signature>`)],
      ['a second SignedInfo', (s) => s.replace('<ds:SignatureValue', `${/<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/.exec(s)![0]}<ds:SignatureValue`)],
      ['17 References', (s) => s.replace('</ds:SignedInfo>', `${/<ds:Reference Id[\s\S]*?<\/ds:Reference>/.exec(s)![0].replace(/Id="[^"]*"/, '').repeat(16)}</ds:SignedInfo>`)],
    ];
    it.each(cases)('%s', async (_name, attack) => {
      const before = server.requests.total;
      const xml = attack(signed);
      expect(xml).not.toBe(signed);
      const r = await verify(xml);
      expectRejected(r, 'TOTAL_FAILED', 'FORMAT_FAILURE');
      expect(server.requests.total).toBe(before);
    });
  });

  it('DOCTYPE with entity expansion (billion laughs) and external entities: rejected fast, memory bounded', async () => {
    let laughs = '<!ENTITY lol0 "lol">';
    for (let i = 1; i < 10; i++) laughs += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
    const bomb = `<?xml version="1.0"?>\n<!DOCTYPE lolz [${laughs}]>\n<edXML xmlns="${QCVN}">&lol9;</edXML>`;
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
    // A large signed document with the DOCTYPE at the top still costs one regular-expression scan.
    const big = `<?xml version="1.0"?>\n<!DOCTYPE r>${signed.replace(/^<\?xml[^>]*>/, '').replace('JVBERi0xLjcK', 'A'.repeat(8 * 1024 * 1024))}`;
    for (const input of [bomb, xxe, big]) {
      global.gc?.();
      const heap = process.memoryUsage().heapUsed;
      const t = performance.now();
      const e = await verifyXml(Buffer.from(input), opts).then(
        () => undefined,
        (err: unknown) => err,
      );
      const ms = performance.now() - t;
      expect(isKysoError(e, 'XML_DOCTYPE')).toBe(true);
      expect(ms).toBeLessThan(2000); // refused before any expansion: bounded, not a speed target
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
    }
  });
});
