// Interop of the edXML routing-trace filter with xmlsec1 1.2.37 (libxml2's XPath engine, OpenSSL):
//  (i)   kyso signs (signXmlDocument: XPath Filter 2.0 subtract of the TraceHeaders), three hops append
//        TraceHeaders, and `xmlsec1 --verify` with the test root as trusted CA still accepts the package — and
//        refuses it once the subject or an attachment changes (the oracle is not blind);
//  (ii)  xmlsec1 signs with the same filter over layouts chosen to trip a naive evaluation (a list of only
//        TraceHeaders, no list, an empty list, TraceHeaders outside the header path, a foreign element in the
//        list, the go.vn default namespace): kyso's DOM walk + C14N gives xmlsec1's digest byte for byte, and kyso
//        verifies those signatures after hops;
//  (iii) a filter xmlsec1 happily verifies but kyso does not know (subtract MessageHeader) is refused.
// The PKI server runs in this process: xmlsec1 always runs as an async child process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { appendTraceHeader, buildStatusXml, parseEdxmlPackage, statusPacket } from '../../src/exchange/edxml/index.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import type { VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { verifyXml } from '../../src/verify/xml/xml-validator.ts';
import { C14N, canonicalize } from '../../src/xml/c14n.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';
import { edxmlTraceLayout, edxmlTraceSubtrees, edxmlTraceXPath } from '../../src/xml/xmldsig.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';
import { DSIG, sampleXml, xmlsecSign } from '../xml/helpers.ts';
import { digestValues, preDigests, tempDir, writeTemp, xmlsec1 } from '../xml/xmlsec.ts';

const pki = useTestPkiServer();
const QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
const GOVN_NS = 'http://www.go.vn/eDoc';
const FILTER2 = 'http://www.w3.org/2002/06/xmldsig-filter2';
const FIX = join(import.meta.dirname, '../fixtures/edxml');
const STATUS = readFileSync(join(FIX, 'status-accepted.xml'), 'utf8').replace(/<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*<\/Signature>\n /, '');
const GOVN = readFileSync(join(FIX, 'edoc-govn.xml'), 'utf8').replace(/<Signature>[\s\S]*?<\/Signature>\s*/, '');

let opts: VerifyOptions;
let dir: string;
beforeAll(() => {
  opts = { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } };
  dir = tempDir();
});

const HOPS = [
  { organId: '000.00.00.G22', at: new Date('2026-03-12T03:16:00Z') },
  { organId: 'A01.02.03', at: new Date('2026-03-12T03:16:02Z') },
  { organId: '000.00.00.H41', at: new Date('2026-03-12T17:30:45Z') },
];
const withHops = (b: Uint8Array, hops = HOPS): Uint8Array => hops.reduce<Uint8Array>((x, hop) => appendTraceHeader(x, hop), b);

/** `xmlsec1 --verify` of a kyso XAdES signature against the test PKI (root trusted, issuing CA untrusted). */
async function xmlsecVerify(xml: Uint8Array | string, extra: string[] = []): Promise<{ ok: boolean; out: string }> {
  const file = writeTemp(dir, `v-${Math.random().toString(36).slice(2)}.xml`, xml);
  const r = await xmlsec1(['--verify', '--trusted-pem', testPki.rootPem, '--untrusted-pem', testPki.caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', ...extra, file]);
  return { ok: r.code === 0 && /^OK$/m.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}

const failed = (r: ValidationReport): string[] => (r.signatures[0]?.checks ?? []).filter((c) => c.status === 'FAILED').map((c) => `${c.id}: ${c.message.en}`);

async function kysoSign(xml: string, id: Parameters<typeof signerOf>[0] = 'vpcp-seal'): Promise<Buffer> {
  return (await signXmlDocument(Buffer.from(xml), { signer: signerOf(id), network: opts.network })).bytes;
}

describe('(i) kyso signs, hops append, xmlsec1 verifies', () => {
  it.each([
    ['RSA (vpcp-seal)', 'vpcp-seal'],
    ['ECDSA P-256 (ministry-seal)', 'ministry-seal'],
  ] as const)('document package, three hops: %s', async (_name, id) => {
    const out = withHops(await kysoSign(sampleXml(), id));
    expect(Buffer.from(out).toString()).toContain(`Algorithm="${FILTER2}"`);
    const v = await xmlsecVerify(out);
    expect(v.out).toMatch(/SignedInfo References \(ok\/all\): 2\/2/);
    expect(v.ok, v.out).toBe(true);
    const k = await verifyXml(out, opts);
    expect(failed(k)).toEqual([]);
    expect(k.indication).toBe('TOTAL_PASSED');
  });

  it('xmlsec1 refuses the package once the subject or the attachment changes after the hops', async () => {
    const out = Buffer.from(withHops(await kysoSign(sampleXml()))).toString();
    for (const bad of [out.replace('<edXML:Subject>V/v', '<edXML:Subject>V/V'), out.replace('JVBERi0xLjcK', 'JVBERi0xLjYK')]) {
      expect(bad).not.toBe(out);
      expect((await xmlsecVerify(bad)).ok).toBe(false);
      expect((await verifyXml(Buffer.from(bad), opts)).indication).toBe('TOTAL_FAILED');
    }
  });

  it('status packet: the hop creates the TraceHeaderList; xmlsec1 and kyso accept it', async () => {
    const status = buildStatusXml(
      statusPacket({
        from: { OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An' },
        responseFor: parseEdxmlPackage(sampleXml()),
        code: '01',
        at: new Date('2026-03-12T14:02:11+07:00'),
      }),
    );
    const out = withHops(await kysoSign(status), HOPS.slice(1));
    expect(Buffer.from(out).toString()).toContain('</edXML:MessageHeader><edXML:TraceHeaderList><edXML:TraceHeader>');
    const v = await xmlsecVerify(out);
    expect(v.ok, v.out).toBe(true);
    expect((await verifyXml(out, opts)).indication).toBe('TOTAL_PASSED');
  });

  it('go.vn variant (default namespace): xmlsec1 accepts it after two hops', async () => {
    const out = withHops(await kysoSign(GOVN), HOPS.slice(0, 2));
    const v = await xmlsecVerify(out);
    expect(v.ok, v.out).toBe(true);
  });
});

describe('(ii) xmlsec1 signs with the trace filter: same digest as kyso, kyso verifies after hops', () => {
  const vpcp = testPki.identity('vpcp-seal');
  const TRACE = '<edXML:TraceHeader><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:Timestamp>2026/03/12 11:00:00</edXML:Timestamp></edXML:TraceHeader>';
  const sample = sampleXml();
  const onlyTraces = sample.replace(/<edXML:Bussiness>[\s\S]*<\/edXML:Bussiness>\n/, '');
  // [name, document, where the signature goes, whether appendTraceHeader can extend its trace]
  const layouts: [string, string, string, boolean][] = [
    ['list with TraceHeaders and Bussiness', sample.replace('</edXML:TraceHeader>', `</edXML:TraceHeader>${TRACE}\n    ${TRACE}`), '</edXML:edXMLHeader>', true],
    ['list of TraceHeaders only (removed as a whole)', onlyTraces, '</edXML:edXMLHeader>', true],
    ['no list (status packet)', STATUS, '</edXML:edXMLHeader>', true],
    ['empty list <x/>', STATUS.replace('</edXML:MessageHeader>', '</edXML:MessageHeader>\n  <edXML:TraceHeaderList/>'), '</edXML:edXMLHeader>', true],
    [
      'decoys: a TraceHeader under Bussiness, a TraceHeaderList inside MessageHeader, a comment in the list',
      sample
        .replace('<edXML:Bussiness>', `<!-- hop --><edXML:Bussiness>${TRACE}`)
        .replace('<edXML:DueDate>', `<edXML:TraceHeaderList>${TRACE}</edXML:TraceHeaderList><edXML:DueDate>`),
      '</edXML:edXMLHeader>',
      true,
    ],
    ['a TraceHeaderList in another namespace', sample.replace('<edXML:TraceHeaderList>', `<o:TraceHeaderList xmlns:o="urn:other"><o:TraceHeader>o</o:TraceHeader></o:TraceHeaderList><edXML:TraceHeaderList>`), '</edXML:edXMLHeader>', true],
    // A same-named element in another namespace keeps the list (only the TraceHeaders go); kyso's reader refuses it.
    ['TraceHeaders beside an x:TraceHeader of another namespace', onlyTraces.replace('</edXML:TraceHeader>', '</edXML:TraceHeader><x:TraceHeader xmlns:x="urn:x">x</x:TraceHeader>'), '</edXML:edXMLHeader>', false],
    ['go.vn default namespace', GOVN, '</edXMLHeader>', true],
  ];

  const filterTemplate = (ns: string, expr: string): string =>
    `<Signature xmlns="${DSIG}"><SignedInfo><CanonicalizationMethod Algorithm="${C14N.exclusive}"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms>` +
    `<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `<Transform Algorithm="${FILTER2}"><dsig-xpath:XPath xmlns:dsig-xpath="${FILTER2}" xmlns:edXML="${ns}" Filter="subtract">${expr}</dsig-xpath:XPath></Transform>` +
    `<Transform Algorithm="${C14N.exclusive}"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>` +
    `<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`;

  it.each(layouts)('%s', async (_name, xml, before, extendable) => {
    const unsignedDoc = parseXmlSafely(xml);
    const layout = edxmlTraceLayout(unsignedDoc)!;
    const file = writeTemp(dir, `t-${Math.random().toString(36).slice(2)}.xml`, xml.replace(before, filterTemplate(layout.namespace, edxmlTraceXPath(layout.headerPath)) + before));
    const out = `${file}.signed`;
    const r = await xmlsec1(['--sign', '--privkey-pem', `${vpcp.key},${vpcp.cert},${testPki.caPem}`, '--store-references', '--print-debug', '--output', out, file]);
    expect(r.code, r.stderr).toBe(0);
    const signed = readFileSync(out, 'utf8');

    // kyso's canonical form of the same node-set: the document minus the signature and the trace subtrees.
    const doc = parseXmlSafely(signed);
    const sig = doc.getElementsByTagNameNS(DSIG, 'Signature').item(0)!;
    const mine = canonicalize(doc, { method: C14N.exclusive, comments: false, exclude: [sig, ...edxmlTraceSubtrees(doc, layout)] });
    const digest = createHash('sha256').update(mine, 'utf8').digest('base64');
    expect(mine).toBe(digest === digestValues(signed)[0] ? mine : preDigests(r.stdout)[0]);
    expect(digest).toBe(digestValues(signed)[0]);

    // kyso verifies xmlsec1's signature (plain XMLDSig: the missing SigningCertificateV2 is a warning), also after hops.
    const k = await verifyXml(Buffer.from(signed), opts);
    expect(failed(k)).toEqual([]);
    expect(k.indication).toBe('TOTAL_PASSED');
    if (!extendable) {
      expect(() => appendTraceHeader(Buffer.from(signed), HOPS[0]!)).toThrow(/TraceHeaderList/);
      return;
    }
    const hopped = withHops(Buffer.from(signed));
    expect((await verifyXml(hopped, opts)).indication).toBe('TOTAL_PASSED');
    expect((await xmlsecVerify(hopped)).ok).toBe(true);
  });

  it('a filter xmlsec1 verifies but kyso does not know (subtract MessageHeader) is refused, never trusted', async () => {
    const expr = '/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader';
    const signed = await xmlsecSign(sample, filterTemplate(QCVN, expr), '</edXML:edXMLHeader>', vpcp.key, [vpcp.cert, testPki.caPem]);
    const forged = signed.replace('<edXML:Subject>V/v', '<edXML:Subject>GIẢ MẠO V/v');
    expect((await xmlsecVerify(forged)).ok).toBe(true); // MessageHeader is unsigned there
    const k = await verifyXml(Buffer.from(forged), opts);
    expect(k.indication).not.toBe('TOTAL_PASSED');
    expect(failed(k).join('\n')).toMatch(/CMS_STRUCTURE: .*unsupported XPath Filter 2\.0 transform/);
  });

  it('the go.vn namespace is what the filter binds there (not the QCVN one)', () => {
    expect(edxmlTraceLayout(parseXmlSafely(GOVN))).toEqual({ namespace: GOVN_NS, headerPath: ['EdXMLEnvelope', 'edXMLHeader'] });
  });
});
