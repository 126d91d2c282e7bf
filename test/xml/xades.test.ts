// XAdES signing and verification round trips: every key type, scheme, digest and level, string/bytes/DOM input,
// the signature placed under edXMLHeader, the text outside the signature kept byte for byte, and the
// verified DOM handed back with the elements the signature covers.
import { DOMParser, type Document } from '@xmldom/xmldom';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signXml, signXmlDetailed } from '../../src/signing/xml/xades-signer.ts';
import type { VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { verifyXml, verifyXmlDocument } from '../../src/verify/xml/xml-validator.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';
import { DSIG, edxmlHeader, expectedPassedMessage, QCVN, sampleXml, signerOf, XADES } from './helpers.ts';

let server: TestPkiServer;
let opts: VerifyOptions;

beforeAll(async () => {
  server = await startTestPkiServer();
  opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
});
afterAll(async () => server?.close());

const stripSignature = (xml: string): string => xml.replace(/<ds:Signature [\s\S]*<\/ds:Signature>/, '');

async function expectPassed(xml: string) {
  const r = await verifyXml(Buffer.from(xml), opts);
  expect(expectedPassedMessage(r)).toBe('');
  expect(r.indication).toBe('TOTAL_PASSED');
  return r;
}

describe('sign → verify', () => {
  it('RSA (rsa-sha256 by default), under edXMLHeader: TOTAL_PASSED, whole document covered, text outside the signature unchanged', async () => {
    const input = sampleXml();
    const signed = await signXmlDetailed(input, { signer: signerOf('person-vpcp'), parent: edxmlHeader, signingTime: new Date('2026-03-12T03:15:30Z') });
    expect(stripSignature(signed.xml)).toBe(input);
    expect(signed.xml).toContain('</edXML:TraceHeaderList>\n  <ds:Signature ');
    expect(signed.xml).toContain('<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>');
    expect(signed.xml).toContain('<xades:SigningTime>2026-03-12T10:15:30+07:00</xades:SigningTime>');
    const r = await expectPassed(signed.xml);
    const s = r.signatures[0]!;
    expect(r.document.format).toBe('XML');
    expect(s.id).toBe(signed.signatureId);
    expect(s.format).toBe('XAdES-BASELINE-B');
    expect(s.coverage).toBe('ENTIRE_FILE');
    expect(s.covered?.[0]).toBe('/');
    expect(s.covered?.[1]).toBe('/edXML[1]/edXML:edXMLEnvelope[1]/edXML:edXMLHeader[1]/ds:Signature[1]/ds:Object[1]/xades:QualifyingProperties[1]/xades:SignedProperties[1]');
    expect(s.signer?.commonName).toBe('Nguyễn Văn An');
    expect(s.signingTime).toBe('2026-03-12T10:15:30+07:00');
    expect(s.summary.result).toBe('Hợp lệ');
    expect(s.checks.find((c) => c.id === 'SIGNING_CERTIFICATE_REFERENCE')?.status).toBe('PASSED');
    expect(s.checks.find((c) => c.id === 'PADES_ATTRIBUTES')?.status).toBe('PASSED');
  });

  it.each([
    ['vpcp-seal', 'RSASSA-PSS', 'SHA-256', 'sha256-rsa-MGF1'],
    ['person-province', 'RSASSA-PKCS1-v1_5', 'SHA-512', 'rsa-sha512'],
    ['ministry-seal', undefined, 'SHA-256', 'ecdsa-sha256'],
    ['person-ministry', 'ECDSA', 'SHA-384', 'ecdsa-sha384'],
  ] as const)('%s %s %s → %s', async (id, scheme, digest, method) => {
    const xml = await signXml(sampleXml(), { signer: signerOf(id), ...(scheme ? { scheme } : {}), digest });
    expect(xml).toMatch(new RegExp(`SignatureMethod Algorithm="[^"]*#${method}"`));
    await expectPassed(xml);
  });

  it('B-T: SignatureTimeStamp over the canonical SignatureValue gives the proof of existence', async () => {
    const signed = await signXmlDetailed(sampleXml(), { signer: signerOf('vpcp-seal'), level: 'B-T', tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite } });
    expect(signed.timestampToken?.length).toBeGreaterThan(500);
    const r = await expectPassed(signed.xml);
    const s = r.signatures[0]!;
    expect(s.format).toBe('XAdES-BASELINE-T');
    expect(s.timestamp?.valid).toBe(true);
    expect(s.checks.find((c) => c.id === 'SIGNING_TIME')?.status).toBe('PASSED');
    expect(s.summary.timestamp).toMatch(/\+07:00/);
  });

  it('B-T with a token over other data: TIMESTAMP fails with HASH_FAILURE', async () => {
    const other = await signXmlDetailed(sampleXml(), { signer: signerOf('vpcp-seal'), level: 'B-T', tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite } });
    const signed = await signXml(sampleXml(), { signer: signerOf('vpcp-seal'), level: 'B-T', timestamper: async () => other.timestampToken! });
    const r = await verifyXml(Buffer.from(signed), opts);
    expect(r.indication).not.toBe('TOTAL_PASSED');
    expect(r.signatures[0]!.checks.find((c) => c.id === 'TIMESTAMP')).toMatchObject({ status: 'FAILED', subIndication: 'HASH_FAILURE' });
  });

  it('SigningTime in UTC (Z) is read as the same instant', async () => {
    const xml = await signXml(sampleXml(), { signer: signerOf('person-vpcp'), signingTime: new Date('2026-03-12T03:15:30Z'), signingTimeZone: 'utc' });
    expect(xml).toContain('<xades:SigningTime>2026-03-12T03:15:30Z</xades:SigningTime>');
    const r = await expectPassed(xml);
    expect(r.signatures[0]!.signingTime).toBe('2026-03-12T10:15:30+07:00');
  });

  it('a DOM input with a parent Element, bytes input, an empty-element parent and a status packet', async () => {
    const doc = parseXmlSafely(sampleXml());
    const fromDom = await signXml(doc, { signer: signerOf('person-vpcp'), parent: edxmlHeader(doc)! });
    expect(fromDom).toMatch(/<\/edXML:TraceHeaderList>\s*<ds:Signature /);
    await expectPassed(fromDom);

    const built: Document = new DOMParser().parseFromString(`<Status xmlns="${QCVN}"/>`, 'application/xml');
    const root = built.documentElement!;
    for (const [k, v] of [['ResponseFor', '000.00.00.G22,2026/03/12,125/VPCP-KSTT'], ['StatusCode', '01'], ['Description', 'Đã đến & "đã nhận" <OK>']]) {
      const e = built.createElementNS(QCVN, k!);
      e.appendChild(built.createTextNode(v!));
      root.appendChild(e);
    }
    await expectPassed(await signXml(built, { signer: signerOf('vpcp-seal') }));

    const empty = await signXml(new TextEncoder().encode('<?xml version="1.0"?>\n<a><b x="1>2" /><c/></a>'), { signer: signerOf('person-vpcp'), parent: (d) => d.getElementsByTagName('b').item(0) });
    expect(empty).toMatch(/^<\?xml version="1.0"\?>\n<a><b x="1>2"><ds:Signature [\s\S]*<\/ds:Signature><\/b><c\/><\/a>$/);
    await expectPassed(empty);
  });

  it('CRLF line ends and a byte order mark are kept as written and still verify', async () => {
    const input = `\ufeff${sampleXml().replace(/\n/g, '\r\n')}`;
    const xml = await signXml(input, { signer: signerOf('person-vpcp'), parent: edxmlHeader });
    expect(stripSignature(xml)).toBe(input);
    await expectPassed(xml);
  });

  it('refuses what it cannot sign safely: DOCTYPE, duplicate Ids, a parent Element with text input, B-T without a TSA', async () => {
    const signer = signerOf('person-vpcp');
    await expect(signXml('<!DOCTYPE a><a/>', { signer })).rejects.toMatchObject({ code: 'XML_DOCTYPE' });
    await expect(signXml('<a><b Id="x"/><c Id="x"/></a>', { signer })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const other = parseXmlSafely('<z/>');
    await expect(signXml('<a/>', { signer, parent: other.documentElement! })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(signXml('<a/>', { signer, level: 'B-T' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(signXml('<a/>', { signer, scheme: 'ECDSA' })).rejects.toMatchObject({ code: 'ALGORITHM_UNSUPPORTED' });
  });

  it('verifyXmlDocument hands back the verified DOM and the exact covered elements', async () => {
    const xml = await signXml(sampleXml(), { signer: signerOf('person-vpcp'), parent: edxmlHeader });
    const doc = parseXmlSafely(xml);
    const v = await verifyXmlDocument(doc, { ...opts, bytes: Buffer.from(xml) });
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.document).toBe(doc);
    expect(v.coveredRoot).toBe(doc.documentElement);
    const s = v.signatures[0]!;
    expect(s.coversDocument).toBe(true);
    expect(s.element).toBe(doc.getElementsByTagNameNS(DSIG, 'Signature').item(0));
    expect(s.covered[0]).toBe(doc.documentElement);
    expect(s.covered[1]).toBe(doc.getElementsByTagNameNS(XADES, 'SignedProperties').item(0));
  });

  it('no signature: INDETERMINATE, SIGNED_DATA_NOT_FOUND', async () => {
    const r = await verifyXml(Buffer.from(sampleXml()), opts);
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('SIGNED_DATA_NOT_FOUND');
    expect(r.signatures).toEqual([]);
  });

  it('property: any header text (Vietnamese, markup characters, CR/LF/tab) round-trips through sign → serialize → parse → verify', async () => {
    const chars = fc.constantFrom('a', 'Ệ', 'ư', ' ', '&', '<', '>', '"', "'", '\t', '\n', '\r', '😀', ']]>', '-');
    const value = fc.string({ unit: chars, maxLength: 24 });
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
    await fc.assert(
      fc.asyncProperty(value, value, async (subject, attr) => {
        const input = sampleXml().replace(/<edXML:Subject>[^<]*<\/edXML:Subject>/, `<edXML:Subject note="${esc(attr)}">${esc(subject)}</edXML:Subject>`);
        const signed = await signXml(input, { signer: signerOf('person-vpcp'), parent: edxmlHeader });
        const doc = parseXmlSafely(signed);
        const v = await verifyXmlDocument(doc, opts);
        expect(expectedPassedMessage(v.report)).toBe('');
        const el = v.coveredRoot!.getElementsByTagNameNS(QCVN, 'Subject').item(0)!;
        expect(el.textContent).toBe(subject);
        expect(el.getAttribute('note')).toBe(attr);
      }),
      { numRuns: 40, seed: 42 },
    );
  });
});
