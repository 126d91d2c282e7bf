// Issue 5, "every hop appends a TraceHeader": kyso signs edXML packages and status packets minus their routing
// trace (XPath Filter 2.0 subtract of edXMLHeader/TraceHeaderList/TraceHeader), appendTraceHeader adds a hop
// without touching any other byte, and the package keeps verifying — while every other byte, Bussiness
// included, stays signed, the reader refuses anything but OrganId/Timestamp in the unsigned part, and the verifier
// accepts no other filter. The PKI server runs in this process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document, Element } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import {
  appendTraceHeader,
  applyTraceSplice,
  buildEdxml,
  buildStatusXml,
  EDXML_NS,
  parseEdxmlDocument,
  parseEdxmlPackage,
  readTraceHeaders,
  statusPacket,
  traceSplice,
} from '../../src/exchange/edxml/index.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { signXml } from '../../src/signing/xml/xades-signer.ts';
import { signatureParent, signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import type { VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { verifyXml, verifyXmlDocument } from '../../src/verify/xml/xml-validator.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const pki = useTestPkiServer();
const FIX = join(import.meta.dirname, '../fixtures/edxml');
const DOCUMENT = readFileSync(join(FIX, 'document-vpcp.xml'), 'utf8');
const GOVN = readFileSync(join(FIX, 'edoc-govn.xml'), 'utf8');
const FILTER2 = 'http://www.w3.org/2002/06/xmldsig-filter2';

let opts: VerifyOptions;
let signedPdf: Buffer;
/** The document package with a signed PDF, unsigned. */
let unsignedPackage: string;

beforeAll(async () => {
  opts = { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } };
  signedPdf = (await signDocument(readFileSync(samples[0]!.file), { signer: signerOf('vpcp-seal'), network: opts.network, appearance: { kind: 'stamp', numberSymbol: '125/VPCP-KSTT' } })).bytes;
  const pkg = parseEdxmlPackage(DOCUMENT);
  pkg.Attachments[0]!.ContentTransferEncoded = new Uint8Array(signedPdf);
  unsignedPackage = buildEdxml(pkg);
});

/** Signs as `kyso sign` does (signXmlDocument: trace filter on for edXML). */
async function sign(xml: string): Promise<Buffer> {
  return (await signXmlDocument(Buffer.from(xml), { signer: signerOf('vpcp-seal'), network: opts.network })).bytes;
}

const HOPS = [
  { organId: '000.00.00.G22', at: new Date('2026-03-12T03:16:00Z') }, // VPCP hands the package to the platform
  { organId: 'A01.02.03', at: new Date('2026-03-12T03:16:02.900Z') }, // the national platform (QĐ 20/2020 form)
  { organId: '000.00.00.H41', at: new Date('2026-03-12T17:30:45Z') }, // Nghệ An receives it, after midnight there
];

function withHops(signed: Uint8Array, hops = HOPS): Uint8Array {
  return hops.reduce<Uint8Array>((bytes, hop) => appendTraceHeader(bytes, hop), signed);
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const failures = (r: ValidationReport, i = 0): string[] => (r.signatures[i]?.checks ?? []).filter((c) => c.status === 'FAILED').map((c) => `${c.id}:${c.subIndication}`);

function edxmlInvalid(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isKysoError(e, 'EDXML_INVALID'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected EDXML_INVALID');
}

/** The first element with this local name in the packet namespace. */
const first = (doc: Document, local: string, ns = EDXML_NS): Element => doc.getElementsByTagNameNS(ns, local).item(0)!;

describe('a signed package travels three hops', () => {
  it('each hop adds one TraceHeader and nothing else; the package, its PDF and the trace verify (TOTAL_PASSED)', async () => {
    const signed = await sign(unsignedPackage);
    expect(text(signed)).toContain(`<ds:Transform Algorithm="${FILTER2}"><dsig-xpath:XPath`);
    const out = withHops(signed);

    // Byte-identical apart from the three entries, each right after the previous TraceHeader, no white space added.
    const all = [...text(out).matchAll(/<edXML:TraceHeader>[\s\S]*?<\/edXML:TraceHeader>/g)].map((m) => m[0]);
    expect(all).toHaveLength(4);
    const entries = all.slice(1);
    expect(entries[0]).toBe('<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp></edXML:TraceHeader>');
    expect(entries[2]).toContain('<edXML:Timestamp>2026/03/13 00:30:45</edXML:Timestamp>'); // Vietnam time: the next day
    expect(Buffer.from(text(out).replace(entries.join(''), ''))).toEqual(signed);

    const v = await verifyXmlPackage(out, opts);
    expect(failures(v.report)).toEqual([]);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.report.attachments?.[0]?.report?.indication).toBe('TOTAL_PASSED');
    const coverage = v.report.signatures[0]!.checks.find((c) => c.id === 'COVERAGE')!;
    expect(coverage.status).toBe('PASSED');
    expect(coverage.message.en).toContain('except the signature element itself and the edXML routing trace (TraceHeader');
    expect(v.report.signatures[0]!.coverage).toBe('ENTIRE_FILE');

    // The model comes from the signed DOM, the trace from the unsigned part.
    const trace = v.package!.TraceHeaderList.TraceHeader;
    expect(trace.map((t) => t.OrganId)).toEqual(['000.00.00.G22', '000.00.00.G22', 'A01.02.03', '000.00.00.H41']);
    expect(trace[2]!.Timestamp).toEqual(new Date('2026-03-12T03:16:02Z')); // whole seconds on the wire
    expect(readTraceHeaders(out)).toEqual(trace);
    expect(v.package!.TraceHeaderList.Bussiness).toEqual(parseEdxmlPackage(DOCUMENT).TraceHeaderList.Bussiness);
    expect(v.package!.MessageHeader.Subject).toBe(parseEdxmlPackage(DOCUMENT).MessageHeader.Subject);
  });

  it('changing any other byte after the hops fails the package signature: subject, attachment, business type, white space beside a TraceHeader', async () => {
    const out = text(withHops(await sign(unsignedPackage)));
    const b64 = /<edXML:ContentTransferEncoded>([^<]+)</.exec(out)![1]!;
    const tampered: [string, string][] = [
      ['subject', out.replace('<edXML:Subject>V/v', '<edXML:Subject>V/V')],
      ['attachment', out.replace(b64, b64.slice(0, 100) + (b64[100] === 'A' ? 'B' : 'A') + b64.slice(101))],
      ['business type 0 → 1 (recall)', out.replace('<edXML:BussinessDocType>0<', '<edXML:BussinessDocType>1<')],
      ['white space next to a TraceHeader', out.replace('</edXML:TraceHeader><edXML:TraceHeader>', '</edXML:TraceHeader>\n<edXML:TraceHeader>')],
      ['Bussiness removed from the list', out.replace(/<edXML:Bussiness>[\s\S]*<\/edXML:Bussiness>/, '')],
    ];
    for (const [what, xml] of tampered) {
      expect(xml, what).not.toBe(out);
      const r = await verifyXml(Buffer.from(xml), opts);
      expect(r.indication, what).toBe('TOTAL_FAILED');
      expect(failures(r), what).toContain('MESSAGE_DIGEST:HASH_FAILURE');
    }
  });

  it('the verifier hands over where the next TraceHeader goes: applying it gives the very bytes appendTraceHeader gives', async () => {
    const signed = await sign(unsignedPackage);
    for (const bytes of [signed, withHops(signed)]) {
      const v = await verifyXmlPackage(bytes, opts);
      expect(v.report.indication).toBe('TOTAL_PASSED');
      expect(v.traceSplice).toBeDefined();
      for (const hop of HOPS) expect(Buffer.from(applyTraceSplice(bytes, v.traceSplice!, hop))).toEqual(Buffer.from(appendTraceHeader(bytes, hop)));
    }
  });

  it('the go.vn variant (default namespace, no prefix) gets unprefixed entries and still verifies', async () => {
    const unsigned = GOVN.replace(/<Signature>[\s\S]*?<\/Signature>\s*/, '');
    const out = withHops(await sign(unsigned), HOPS.slice(0, 2));
    expect(text(out)).toContain('</TraceHeader><TraceHeader><OrganId>000.00.00.G22</OrganId><Timestamp>2026/03/12 10:16:00</Timestamp></TraceHeader>');
    const r = await verifyXml(out, opts);
    expect(failures(r)).toEqual([]);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(readTraceHeaders(out).map((t) => t.OrganId)).toEqual(['H41.01', '000.00.00.G22', 'A01.02.03']);
  });
});

describe('status packets', () => {
  const status = (): string =>
    buildStatusXml(
      statusPacket({
        from: { OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An' },
        responseFor: parseEdxmlPackage(DOCUMENT),
        code: '03',
        description: 'Văn thư đã tiếp nhận, vào sổ văn bản đến số 1532',
        at: new Date('2026-03-12T14:02:11+07:00'),
      }),
    );

  it('the first hop creates the TraceHeaderList after MessageHeader; the status still verifies and reads', async () => {
    const signed = await sign(status());
    expect(text(signed)).not.toContain('TraceHeaderList>');
    const out = withHops(signed, [HOPS[2]!, HOPS[0]!]);
    expect(text(out)).toContain(
      '</edXML:MessageHeader><edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:Timestamp>2026/03/13 00:30:45</edXML:Timestamp></edXML:TraceHeader>' +
        '<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId>',
    );
    const doc = parseXmlSafely(out);
    const v = await verifyXmlDocument(doc, { ...opts, bytes: out });
    expect(failures(v.report)).toEqual([]);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.signatures[0]!.unsignedTrace.map((e) => e.localName)).toEqual(['TraceHeaderList']);
    const parsed = parseEdxmlDocument(v.document, { signedRoot: v.coveredRoot! });
    expect(parsed.kind).toBe('status');
    expect(parsed.warnings).toEqual([]);
    expect(readTraceHeaders(out).map((t) => t.OrganId)).toEqual(['000.00.00.H41', '000.00.00.G22']);
  });

  it('an empty TraceHeaderList written as <x/> before signing takes the first entry', async () => {
    const signed = await sign(status().replace('</edXML:MessageHeader>', '</edXML:MessageHeader><edXML:TraceHeaderList />'));
    const out = appendTraceHeader(signed, HOPS[0]!);
    expect(text(out)).toContain('<edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp></edXML:TraceHeader></edXML:TraceHeaderList>');
    expect((await verifyXml(out, opts)).indication).toBe('TOTAL_PASSED');
  });

  it('a packet without a list and one with an empty <x/> list: the splice point gives what appendTraceHeader gives', async () => {
    for (const xml of [status(), status().replace('</edXML:MessageHeader>', '</edXML:MessageHeader><edXML:TraceHeaderList />')]) {
      const bytes = await sign(xml);
      const splice = traceSplice(bytes, parseXmlSafely(bytes));
      expect(splice.head).toMatch(/^<edXML:TraceHeaderList>?/);
      expect(Buffer.from(applyTraceSplice(bytes, splice, HOPS[0]!))).toEqual(Buffer.from(appendTraceHeader(bytes, HOPS[0]!)));
    }
  });

  it('a TraceHeaderList in a status packet holding anything but TraceHeader is refused by the reader', async () => {
    const signed = text(withHops(await sign(status()), [HOPS[0]!]));
    const forged = signed.replace('<edXML:TraceHeaderList>', '<edXML:TraceHeaderList><edXML:StatusCode>06</edXML:StatusCode>');
    expect((await verifyXml(Buffer.from(forged), opts)).indication).toBe('TOTAL_FAILED'); // the list is now signed content
    expect(edxmlInvalid(() => parseEdxmlDocument(parseXmlSafely(forged)))).toContain('TraceHeaderList/StatusCode');
  });
});

describe('signatures made before the trace filter', () => {
  it('a whole-document signature (no filter transform) still verifies; a hop breaks it, as it always did', async () => {
    const old = Buffer.from(await signXml(unsignedPackage, { signer: signerOf('vpcp-seal'), parent: signatureParent }));
    expect(text(old)).not.toContain(FILTER2);
    const v = await verifyXmlPackage(old, opts);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.report.signatures[0]!.checks.find((c) => c.id === 'COVERAGE')!.message.en).toBe('The signature covers the entire XML document (except the signature element itself)');
    const r = await verifyXml(appendTraceHeader(old, HOPS[0]!), opts);
    expect(failures(r)).toContain('MESSAGE_DIGEST:HASH_FAILURE');
  });

  it('signXmlDocument can be told to sign the trace too', async () => {
    const whole = (await signXmlDocument(Buffer.from(unsignedPackage), { signer: signerOf('vpcp-seal'), network: opts.network, excludeEdxmlTrace: false })).bytes;
    expect(text(whole)).not.toContain(FILTER2);
  });

  it('plain XML is signed as before, with or without the option', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<note><TraceHeaderList><TraceHeader>x</TraceHeader></TraceHeaderList></note>';
    const signed = (await signXmlDocument(Buffer.from(xml), { signer: signerOf('vpcp-seal'), network: opts.network })).bytes;
    expect(text(signed)).not.toContain(FILTER2);
    const r = await verifyXml(Buffer.from(text(signed).replace('>x<', '>y<')), opts);
    expect(failures(r)).toContain('MESSAGE_DIGEST:HASH_FAILURE');
  });
});

describe('the unsigned part carries the trace and nothing else', () => {
  it('a forged second MessageHeader inside TraceHeaderList breaks the signature and the reader refuses it', async () => {
    const out = text(withHops(await sign(unsignedPackage), [HOPS[0]!]));
    const mh = /<edXML:MessageHeader>[\s\S]*<\/edXML:MessageHeader>/.exec(out)![0];
    const forgedMh = mh.replace('<edXML:Subject>V/v', '<edXML:Subject>GIẢ MẠO V/v');
    const forged = out.replace('<edXML:TraceHeaderList>', `<edXML:TraceHeaderList>${forgedMh}`);
    const r = await verifyXml(Buffer.from(forged), opts);
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(edxmlInvalid(() => parseEdxmlDocument(parseXmlSafely(forged)))).toContain('edXMLHeader/TraceHeaderList/MessageHeader');
  });

  it('extra elements inside a TraceHeader (the unsigned part) leave the signature valid but are refused by the reader and by readTraceHeaders', async () => {
    const out = text(withHops(await sign(unsignedPackage), [HOPS[0]!]));
    const cases = [
      out.replace('<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00', '<edXML:TraceHeader><edXML:Subject>Giả mạo</edXML:Subject><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00'),
      out.replace('<edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00', '<edXML:OrganId>000.00.00.G22</edXML:OrganId><x:Note xmlns:x="urn:x">Giả mạo</x:Note><edXML:Timestamp>2026/03/12 10:16:00'),
      out.replace('<edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00', '<edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00'),
      // A second list of TraceHeaders only: subtracted as a whole, so the signature holds; the reader sees two lists.
      out.replace('<edXML:TraceHeaderList>', '<edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp></edXML:TraceHeader></edXML:TraceHeaderList><edXML:TraceHeaderList>'),
    ];
    for (const xml of cases) {
      expect(xml).not.toBe(out);
      const doc = parseXmlSafely(xml);
      const v = await verifyXmlDocument(doc, opts);
      expect(v.report.indication).toBe('TOTAL_PASSED'); // unsigned routing data: the signature does not see it…
      expect(edxmlInvalid(() => parseEdxmlDocument(doc, { signedRoot: v.coveredRoot! }))).toMatch(/TraceHeader/); // …the reader refuses it
      edxmlInvalid(() => readTraceHeaders(xml));
      edxmlInvalid(() => appendTraceHeader(Buffer.from(xml), HOPS[1]!));
      await expect(verifyXmlPackage(Buffer.from(xml), opts)).rejects.toThrow(/TraceHeader/);
    }
  });

  it('signature wrapping through the trace fails: the signed header moved into a TraceHeader, a forged one in its place', async () => {
    const out = text(withHops(await sign(unsignedPackage), [HOPS[0]!]));
    const mh = /<edXML:MessageHeader>[\s\S]*<\/edXML:MessageHeader>/.exec(out)![0];
    const wrapped = out
      .replace(mh, mh.replace('<edXML:Subject>V/v', '<edXML:Subject>GIẢ MẠO V/v'))
      .replace('<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp>', `<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp>${mh}`);
    const r = await verifyXml(Buffer.from(wrapped), opts);
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(failures(r)).toContain('MESSAGE_DIGEST:HASH_FAILURE');
  });

  it('another agency\'s valid signature hidden in a TraceHeader does not ride along: it fails, and the reader refuses the package', async () => {
    const out = text(withHops(await sign(unsignedPackage), [HOPS[0]!]));
    // The ministry signs the whole document (its own signature placed inside the vpcp package's last TraceHeader).
    const lastTrace = (d: Document): Element => {
      const all = d.getElementsByTagNameNS(EDXML_NS, 'TraceHeader');
      return all.item(all.length - 1)!;
    };
    const rider = await signXml(out, { signer: signerOf('ministry-seal'), parent: lastTrace });
    const doc = parseXmlSafely(rider);
    const v = await verifyXmlDocument(doc, opts);
    expect(v.signatures).toHaveLength(2);
    // Document order: the rider (in TraceHeaderList) comes before vpcp's signature (after it, in edXMLHeader).
    const [hidden, vpcp] = v.signatures;
    expect((hidden!.element.parentNode as Element).localName).toBe('TraceHeader');
    expect(vpcp!.report.indication).toBe('TOTAL_PASSED'); // the trace is not covered by vpcp's signature
    expect(hidden!.report.indication).not.toBe('TOTAL_PASSED');
    expect(hidden!.report.checks.find((c) => c.id === 'CMS_STRUCTURE')!.message.en).toContain('inside the edXML routing trace');
    expect(v.report.indication).not.toBe('TOTAL_PASSED');
    expect(v.coveredRoot).toBe(doc.documentElement);
    expect(edxmlInvalid(() => parseEdxmlDocument(doc, { signedRoot: v.coveredRoot! }))).toMatch(/TraceHeader/);
  });
});

describe('the verifier accepts exactly the trace filter', () => {
  // Structure is checked before any digest or signature value: these report CMS_STRUCTURE, whatever the rest.
  const variants: [string, (xml: string) => string][] = [
    ['Filter="intersect"', (x) => x.replace('Filter="subtract"', 'Filter="intersect"')],
    ['another expression (subtract MessageHeader)', (x) => x.replace(/(Filter="subtract">)[^<]+/, '$1/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader')],
    ['the prefix bound to another namespace', (x) => x.replace(`xmlns:edXML="${EDXML_NS}" Filter`, 'xmlns:edXML="urn:attacker" Filter')],
    ['the filter before enveloped-signature', (x) => x.replace(/(<ds:Transform Algorithm="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#enveloped-signature"\/>)(<ds:Transform Algorithm="http:\/\/www\.w3\.org\/2002\/06\/xmldsig-filter2">.*?<\/ds:Transform>)/, '$2$1')],
    ['two XPath elements', (x) => x.replace(/(<dsig-xpath:XPath [^>]*>[^<]*<\/dsig-xpath:XPath>)/, '$1$1')],
    ['the filter twice', (x) => x.replace(/(<ds:Transform Algorithm="http:\/\/www\.w3\.org\/2002\/06\/xmldsig-filter2">.*?<\/ds:Transform>)/, '$1$1')],
    ['an extra attribute', (x) => x.replace('Filter="subtract"', 'Filter="subtract" Id="f"')],
  ];
  it.each(variants)('refused: %s', async (_what, change) => {
    const signed = text(withHops(await sign(unsignedPackage), [HOPS[0]!]));
    const xml = change(signed);
    expect(xml).not.toBe(signed);
    const r = await verifyXml(Buffer.from(xml), opts);
    expect(r.indication).not.toBe('TOTAL_PASSED');
    const structure = r.signatures[0]!.checks.find((c) => c.id === 'CMS_STRUCTURE')!;
    expect(structure.status).toBe('FAILED');
    expect(structure.message.en).toMatch(/XPath Filter 2\.0/);
  });
});

describe('appendTraceHeader refuses what it cannot do right', () => {
  it('an invalid agency identifier, a time outside the format, XML that is not edXML', async () => {
    const signed = await sign(unsignedPackage);
    expect(edxmlInvalid(() => appendTraceHeader(signed, { organId: '000.00.00.g22', at: new Date() }))).toContain('000.00.00.g22');
    edxmlInvalid(() => appendTraceHeader(signed, { organId: '000.00.00.G22', at: new Date(Number.NaN) }));
    edxmlInvalid(() => appendTraceHeader(Buffer.from('<note/>'), HOPS[0]!));
  });

  it('keeps a byte-order mark, CRLF line ends and comments exactly; the result still verifies', async () => {
    const crlf = '\uFEFF' + unsignedPackage.replace(/\n/g, '\r\n').replace('<edXML:TraceHeaderList>', '<!-- hops > here --><edXML:TraceHeaderList>');
    const signed = await sign(crlf);
    const out = appendTraceHeader(signed, HOPS[0]!);
    expect([...out.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const entry = '<edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:Timestamp>2026/03/12 10:16:00</edXML:Timestamp></edXML:TraceHeader>';
    expect(Buffer.from(text(out).replace(entry, ''))).toEqual(signed);
    expect((await verifyXml(out, opts)).indication).toBe('TOTAL_PASSED');
  });
});
