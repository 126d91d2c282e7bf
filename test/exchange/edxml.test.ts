// Issue 4, model side: the edXML envelope and status packet are read from the domain examples, built back
// deterministically in the QCVN 102 namespace, and survive build → serialize → parse unchanged (examples and
// random packages); every error names its element; the reader is position-anchored (duplicates refused, only the
// given root read) and goes through the safe parser.
import { readFileSync } from 'node:fs';
import type { Document, Element } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import {
  agencyIdForm,
  buildEdxml,
  buildEdxmlDocument,
  buildStatusXml,
  EDOC_NS,
  EDXML_NS,
  EdxmlValidationError,
  edxmlHeaderElement,
  formatDateDMY,
  formatDateYMD,
  formatDocumentId,
  formatEdxmlTimestamp,
  locateEdxml,
  parseDocumentId,
  parseEdxml,
  parseEdxmlDate,
  parseEdxmlDocument,
  parseEdxmlPackage,
  parseEdxmlTimestamp,
  parseStatusPacket,
  serializeEdxml,
  STATUS_CODE_LIST,
  STATUS_CODES,
  statusLabel,
  statusPacket,
  vietnamDate,
  type EdxmlPackage,
  type StatusPacket,
} from '../../src/exchange/edxml/index.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';

const FIX = new URL('../fixtures/edxml/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');
const DOCUMENT = fixture('document-vpcp.xml');
const STATUS = fixture('status-accepted.xml');
const GOVN = fixture('edoc-govn.xml');
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** The EDXML_INVALID error thrown by `fn`. */
function invalid(fn: () => unknown): EdxmlValidationError {
  try {
    fn();
  } catch (e) {
    expect(isKysoError(e, 'EDXML_INVALID'), String(e)).toBe(true);
    return e as EdxmlValidationError;
  }
  throw new Error('expected EDXML_INVALID');
}

/** Element at a slash path of local names below the document element, `Name[n]` 1-based. */
function at(doc: Document, path: string): Element {
  let el = doc.documentElement!;
  for (const seg of path.split('/')) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(seg)!;
    const kids: Element[] = [];
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && (c as Element).localName === m[1]) kids.push(c as Element);
    const next = kids[(m[2] ? +m[2] : 1) - 1];
    if (!next) throw new Error(`no ${seg} in ${path}`);
    el = next;
  }
  return el;
}

function mutated(xml: string, change: (doc: Document) => void): Document {
  const doc = parseXmlSafely(xml);
  change(doc);
  return doc;
}

const removeAt = (xml: string, path: string): Document =>
  mutated(xml, (doc) => {
    const el = at(doc, path);
    el.parentNode!.removeChild(el);
  });

const setText = (xml: string, path: string, text: string): Document =>
  mutated(xml, (doc) => {
    const el = at(doc, path);
    while (el.firstChild) el.removeChild(el.firstChild);
    el.appendChild(doc.createTextNode(text));
  });

const MH = 'edXMLEnvelope/edXMLHeader/MessageHeader';
const TH = 'edXMLEnvelope/edXMLHeader/TraceHeaderList';

describe('domain examples', () => {
  it('reads the document package of edxml-exchange.md §6', () => {
    const r = parseEdxml(DOCUMENT);
    expect(r.kind).toBe('document');
    expect(r.variant).toBe('qcvn102');
    expect(r.warnings).toEqual([]);
    if (r.kind !== 'document') return;
    const p = r.package;
    expect(p.MessageHeader.From).toEqual({ OrganId: '000.00.00.G22', OrganName: 'Văn phòng Chính phủ', Email: 'vanthu@vpcp.example.vn' });
    expect(p.MessageHeader.To).toEqual([{ OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An' }]);
    expect(p.MessageHeader.DocumentId).toBe('000.00.00.G22,2026/03/12,125/VPCP-KSTT');
    expect(p.MessageHeader.Code).toEqual({ CodeNumber: '125', CodeNotation: 'VPCP-KSTT' });
    expect(p.MessageHeader.PromulgationInfo).toEqual({ Place: 'Hà Nội', PromulgationDate: '2026-03-12' });
    expect(p.MessageHeader.DocumentType).toEqual({ Type: '1', TypeDetail: '0', TypeName: 'Công văn' });
    expect(p.MessageHeader.Subject).toBe('V/v chuyển phản ánh, kiến nghị về thủ tục cấp giấy phép xây dựng');
    expect(p.MessageHeader.SignerInfo).toEqual({ Competence: 'KT. BỘ TRƯỞNG, CHỦ NHIỆM', Position: 'PHÓ CHỦ NHIỆM', FullName: 'Nguyễn Văn An' });
    expect(p.MessageHeader.DueDate).toBe('2026-04-09');
    expect(p.MessageHeader.OtherInfo).toEqual({ Priority: '0', PageAmount: 2 });
    expect(p.MessageHeader.ToPlaces).toEqual(['Ủy ban nhân dân tỉnh Nghệ An', 'Lưu: VT, KSTT']);
    expect(p.MessageHeader.ResponseFor).toEqual([]);
    expect(p.TraceHeaderList.TraceHeader).toEqual([{ OrganId: '000.00.00.G22', Timestamp: new Date('2026-03-12T10:15:30+07:00') }]);
    expect(p.TraceHeaderList.Bussiness).toEqual({
      DocumentId: '000.00.00.G22,2026/03/12,125/VPCP-KSTT',
      BussinessDocType: 0,
      BussinessDocReason: 'Gửi văn bản mới',
      StaffInfo: { Department: 'Phòng Văn thư', Staff: 'Trần Thị Bình' },
    });
    expect(p.Manifest).toEqual({
      version: '1.0',
      Reference: [{ ContentId: 'cid:att-001', ContentType: 'application/pdf', AttachmentName: '125-VPCP-KSTT.pdf' }],
    });
    expect(p.Attachments).toHaveLength(1);
    expect(p.Attachments[0]).toMatchObject({ ContentId: 'att-001', AttachmentName: '125-VPCP-KSTT.pdf', ContentType: 'application/pdf' });
    expect(Buffer.from(p.Attachments[0]!.ContentTransferEncoded).toString('latin1')).toBe('%PDF-1.7\n');
    // The placeholder ds:Signature is located, not modelled.
    expect(r.elements.signatures).toHaveLength(1);
    expect(r.elements.signatures[0]!.namespaceURI).toBe(DSIG_NS);
    expect(r.elements.header.localName).toBe('edXMLHeader');
  });

  it('reads the status packet of §7', () => {
    const r = parseEdxml(Buffer.from(STATUS));
    expect(r.kind).toBe('status');
    if (r.kind !== 'status') return;
    expect(r.status).toEqual({
      From: { OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An' },
      ResponseFor: {
        OrganId: '000.00.00.G22',
        Code: '125/VPCP-KSTT',
        PromulgationDate: '2026-03-12',
        DocumentId: '000.00.00.G22,2026/03/12,125/VPCP-KSTT',
      },
      StaffInfo: { Department: 'Văn phòng UBND tỉnh', Staff: 'Lê Văn Cường' },
      StatusCode: '03',
      Description: 'Văn thư đã tiếp nhận, vào sổ văn bản đến số 1532',
      Timestamp: new Date('2026-03-12T14:02:11+07:00'),
    } satisfies StatusPacket);
    expect(statusLabel(r.status.StatusCode).vi).toBe('Đã tiếp nhận');
    expect(r.elements.signatures).toHaveLength(1);
  });

  it('rebuilds both examples in the example layout, and the result reads back equal', () => {
    const pkg = parseEdxmlPackage(DOCUMENT);
    const xml = buildEdxml(pkg);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">\n <edXML:edXMLEnvelope>\n  <edXML:edXMLHeader>\n   <edXML:MessageHeader>')).toBe(true);
    expect(xml).toContain('<edXML:PromulgationDate>12/03/2026</edXML:PromulgationDate>');
    expect(xml).toContain('<edXML:DueDate>09/04/2026</edXML:DueDate>');
    expect(xml).toContain('<edXML:Timestamp>2026/03/12 10:15:30</edXML:Timestamp>');
    expect(xml).toContain('<edXML:edXMLManifest version="1.0">');
    expect(xml).toContain('<edXML:ContentTransferEncoded>JVBERi0xLjcK</edXML:ContentTransferEncoded>');
    expect(xml).not.toMatch(/\sId=/);
    // Same order of the header as the example: MessageHeader, TraceHeaderList (the signature goes after).
    const doc = parseXmlSafely(xml);
    const header = edxmlHeaderElement(doc);
    const names: string[] = [];
    for (let c = header.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) names.push((c as Element).localName!);
    expect(names).toEqual(['MessageHeader', 'TraceHeaderList']);
    expect(parseEdxmlPackage(xml)).toEqual(pkg);
    // Deterministic: same model, same bytes; and building what was read gives the same bytes again.
    expect(buildEdxml(pkg)).toBe(xml);
    expect(buildEdxml(parseEdxmlPackage(xml))).toBe(xml);

    const status = parseStatusPacket(STATUS);
    const sxml = buildStatusXml(status);
    expect(sxml).toContain('<edXML:PromulgationDate>2026/03/12</edXML:PromulgationDate>');
    expect(sxml).toContain('<edXML:StatusCode>03</edXML:StatusCode>');
    expect(sxml).not.toContain('TraceHeaderList');
    expect(sxml).not.toContain('edXMLBody');
    expect(parseStatusPacket(sxml)).toEqual(status);
  });

  it('the header element is where a signature goes, and a signed packet still reads the same', () => {
    const doc = buildEdxmlDocument(parseEdxmlPackage(DOCUMENT));
    const header = edxmlHeaderElement(doc);
    const sig = doc.createElementNS(DSIG_NS, 'ds:Signature');
    sig.appendChild(doc.createElementNS(DSIG_NS, 'ds:SignedInfo'));
    header.appendChild(sig);
    const r = parseEdxml(serializeEdxml(doc));
    expect(r.warnings).toEqual([]);
    expect(r.elements.signatures).toHaveLength(1);
    if (r.kind === 'document') expect(r.package).toEqual(parseEdxmlPackage(DOCUMENT));
    // A status packet has the same header.
    const sdoc = parseXmlSafely(buildStatusXml(parseStatusPacket(STATUS)));
    expect(edxmlHeaderElement(sdoc).localName).toBe('edXMLHeader');
  });
});

describe('namespaces and variants', () => {
  it('reads the older http://www.go.vn/eDoc variant (root EdXMLEnvelope, default namespace, yyyy/MM/dd dates)', () => {
    const r = parseEdxml(GOVN);
    expect(r.variant).toBe('edoc');
    expect(r.kind).toBe('document');
    expect(r.warnings).toEqual([]);
    if (r.kind !== 'document') return;
    const h = r.package.MessageHeader;
    expect(h.From.OrganId).toBe('H41.01');
    expect(agencyIdForm(h.From.OrganId)).toBe('qd20');
    expect(h.From.Fax).toBe('');
    expect(h.PromulgationInfo.PromulgationDate).toBe('2026-03-20');
    expect(h.DueDate).toBeUndefined(); // <DueDate></DueDate>
    expect(h.OtherInfo).toEqual({
      Priority: '0',
      SphereOfPromulgation: 'Liên thông văn bản',
      TyperNotation: 'QLXD',
      PromulgationAmount: 3,
      PageAmount: 2,
      Direction: 'false',
      Appendixes: [''],
    });
    expect(h.ResponseFor).toEqual([
      { OrganId: '000.00.00.G22', Code: '125/VPCP-KSTT', PromulgationDate: '2026-03-12', DocumentId: '000.00.00.G22,2026/03/12,125/VPCP-KSTT' },
    ]);
    expect(r.package.TraceHeaderList.Bussiness.Paper).toBe(0);
    // Line-wrapped base64 is accepted.
    expect(Buffer.from(r.package.Attachments[0]!.ContentTransferEncoded).toString('latin1')).toBe('%PDF-1.7\n');
    // An unqualified Signature in the old namespace (as in platform samples) is located, not modelled.
    expect(r.elements.signatures).toHaveLength(1);
    // Always emitted in QCVN 102.
    const xml = buildEdxml(r.package);
    expect(xml).toContain(`xmlns:edXML="${EDXML_NS}"`);
    expect(xml).not.toContain(EDOC_NS);
    expect(parseEdxmlPackage(xml)).toEqual(r.package);
  });

  it('reads the flattened LGSP form (MessageHeader directly in EdXMLEnvelope)', () => {
    const flat = GOVN.replace('<edXMLHeader>', '').replace('</edXMLHeader>', '');
    const r = parseEdxml(flat);
    expect(r.kind).toBe('document');
    expect(r.elements.header).toBe(r.elements.envelope);
    if (r.kind === 'document') expect(r.package).toEqual(parseEdxmlPackage(GOVN));
  });

  it('matches by namespace URI, not prefix', () => {
    const pkg = parseEdxmlPackage(DOCUMENT);
    const unprefixed = DOCUMENT.replace(/edXML:(?=\w)/g, '').replace(' xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"', '');
    expect(unprefixed).not.toContain('edXML:');
    expect(parseEdxmlPackage(unprefixed)).toEqual(pkg);
    const otherPrefix = DOCUMENT.replace(/edXML:(?=\w)/g, 'q:').replace('xmlns:edXML=', 'xmlns:q=');
    expect(parseEdxmlPackage(otherPrefix)).toEqual(pkg);
    // Same local name in another namespace: not the element (a warning), so no duplicate either.
    const doc = mutated(DOCUMENT, (d) => {
      const mh = at(d, MH);
      const evil = d.createElementNS('urn:evil', 'x:Subject');
      evil.appendChild(d.createTextNode('giả mạo'));
      mh.appendChild(evil);
    });
    const r = parseEdxmlDocument(doc);
    expect(r.kind === 'document' && r.package.MessageHeader.Subject).toBe(pkg.MessageHeader.Subject);
    expect(r.warnings.map((w) => w.path)).toEqual(['edXMLHeader/MessageHeader/Subject']);
    // The platform samples mix a default namespace and the prefix, and leave AttachmentEncoded unprefixed.
    const mixed = DOCUMENT.replace(/<(\/?)edXML:(AttachmentEncoded|Attachment|ContentId|AttachmentName|ContentType)>/g, '<$1$2>');
    expect(parseEdxmlPackage(mixed)).toEqual(pkg);
  });

  it('a signature outside edXMLHeader is not taken for the packet signature', () => {
    const doc = mutated(DOCUMENT, (d) => {
      const sig = at(d, 'edXMLEnvelope/edXMLHeader/Signature');
      at(d, 'edXMLEnvelope').appendChild(sig);
    });
    const r = parseEdxmlDocument(doc);
    expect(r.elements.signatures).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual(['edXMLEnvelope/Signature']);
  });

  it('refuses another root namespace or element', () => {
    expect(invalid(() => parseEdxml(DOCUMENT.replaceAll(EDXML_NS, 'urn:other'))).message).toContain('không phải gói tin edXML');
    expect(invalid(() => parseEdxml(`<edXMLHeader xmlns="${EDXML_NS}"/>`)).message).toContain('edXMLHeader');
  });

  it('keeps unknown elements out of the model, with a warning naming them', () => {
    const doc = mutated(DOCUMENT, (d) => {
      const e = d.createElementNS(EDXML_NS, 'edXML:Promulgator');
      e.appendChild(d.createTextNode('x'));
      at(d, `${MH}/PromulgationInfo`).appendChild(e);
    });
    const r = parseEdxmlDocument(doc);
    expect(r.warnings).toEqual([expect.objectContaining({ path: 'edXMLHeader/MessageHeader/PromulgationInfo/Promulgator' })]);
  });
});

describe('round trip', () => {
  it('a package with every field survives build → serialize → parse exactly', () => {
    const pkg = fullPackage();
    for (const indent of [undefined, false, '\t'] as const) {
      const xml = buildEdxml(pkg, { indent });
      expect(parseEdxmlPackage(xml)).toEqual(pkg);
    }
    expect(buildEdxml(pkg, { indent: false }).split('\n', 2)[1]).not.toMatch(/>[ \t\n]+</);
  });

  it('keeps characters XML would normalize: CR, NEL, LINE SEPARATOR, markup characters, astral', () => {
    const pkg = fullPackage();
    const tricky = 'a\r\nb\rc\u0085d\u2028e <&>"\' ]]> \t😀 \u00a0';
    pkg.MessageHeader.Subject = tricky;
    pkg.MessageHeader.Content = ` ${tricky} `;
    pkg.MessageHeader.From.Telephone = '0238\u00a0384';
    const xml = buildEdxml(pkg);
    expect(xml).toContain('&#xD;');
    expect(xml).toContain('&#x85;');
    expect(xml).toContain('&#x2028;');
    const back = parseEdxmlPackage(xml);
    expect(back.MessageHeader.Subject).toBe(tricky);
    expect(back.MessageHeader.Content).toBe(` ${tricky} `);
    expect(back).toEqual(pkg);
  });

  it('a status packet built with statusPacket() survives the round trip; 02 needs a reason', () => {
    const pkg = parseEdxmlPackage(DOCUMENT);
    const at = new Date('2026-03-12T14:02:11.750+07:00');
    const s = statusPacket({
      from: { OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An' },
      responseFor: pkg,
      staff: { Department: 'Văn phòng UBND tỉnh', Staff: 'Lê Văn Cường' },
      code: '03',
      description: 'Văn thư đã tiếp nhận, vào sổ văn bản đến số 1532',
      at,
    });
    expect(s.ResponseFor).toEqual(parseStatusPacket(STATUS).ResponseFor);
    const back = parseStatusPacket(buildStatusXml(s));
    expect(back).toEqual({ ...s, Timestamp: new Date('2026-03-12T14:02:11+07:00') }); // whole seconds on the wire
    expect(buildStatusXml(s)).toBe(buildStatusXml(parseStatusPacket(STATUS)));

    const e = invalid(() => statusPacket({ from: s.From, responseFor: s.ResponseFor, code: '02', at }));
    expect(e.issues[0]!.path).toBe('edXMLHeader/MessageHeader/Description');
    expect(e.message).toContain('lý do');
    const rejected = statusPacket({
      from: s.From,
      responseFor: s.ResponseFor,
      code: '02',
      description: 'Chữ ký số của cơ quan không hợp lệ: chứng thư đã bị thu hồi',
      at,
    });
    expect(parseStatusPacket(buildStatusXml(rejected)).Description).toBe('Chữ ký số của cơ quan không hợp lệ: chứng thư đã bị thu hồi');
    expect(STATUS_CODE_LIST).toEqual(['01', '02', '03', '04', '05', '06', '13', '14', '16']);
    expect(Object.keys(STATUS_CODES).sort()).toEqual([...STATUS_CODE_LIST]);
    expect(invalid(() => statusPacket({ from: s.From, responseFor: s.ResponseFor, code: '15' as never, at })).message).toContain(
      'edXMLHeader/MessageHeader/StatusCode: giá trị không hợp lệ "15"',
    );
  });

  it('property: random packages with Vietnamese text and attachments read back equal', () => {
    const t0 = performance.now();
    fc.assert(
      fc.property(arbPackage, fc.constantFrom<' ' | false>(' ', false), (pkg, indent) => {
        const xml = buildEdxml(pkg, { indent });
        expect(parseEdxmlPackage(xml)).toEqual(pkg);
      }),
      { numRuns: 150, seed: 20260312 },
    );
    fc.assert(
      fc.property(arbStatus, (s) => {
        expect(parseStatusPacket(buildStatusXml(s))).toEqual(s);
      }),
      { numRuns: 100, seed: 20260312 },
    );
    const ms = performance.now() - t0;
    console.log(`edXML property round trips: 250 runs in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('errors name the element', () => {
  const documentRequired: Array<[string, string]> = [
    ['edXMLEnvelope', 'edXML/edXMLEnvelope'],
    ['edXMLEnvelope/edXMLHeader', 'edXMLHeader'],
    [MH, 'edXMLHeader/MessageHeader'],
    [`${MH}/From`, 'edXMLHeader/MessageHeader/From'],
    [`${MH}/From/OrganId`, 'edXMLHeader/MessageHeader/From/OrganId'],
    [`${MH}/To`, 'edXMLHeader/MessageHeader/To'],
    [`${MH}/To/OrganId`, 'edXMLHeader/MessageHeader/To[1]/OrganId'],
    [`${MH}/DocumentId`, 'edXMLHeader/MessageHeader/DocumentId'],
    [`${MH}/Code`, 'edXMLHeader/MessageHeader/Code'],
    [`${MH}/Code/CodeNumber`, 'edXMLHeader/MessageHeader/Code/CodeNumber'],
    [`${MH}/Code/CodeNotation`, 'edXMLHeader/MessageHeader/Code/CodeNotation'],
    [`${MH}/PromulgationInfo`, 'edXMLHeader/MessageHeader/PromulgationInfo'],
    [`${MH}/PromulgationInfo/PromulgationDate`, 'edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate'],
    [`${MH}/DocumentType`, 'edXMLHeader/MessageHeader/DocumentType'],
    [`${MH}/DocumentType/Type`, 'edXMLHeader/MessageHeader/DocumentType/Type'],
    [`${MH}/Subject`, 'edXMLHeader/MessageHeader/Subject'],
    [TH, 'edXMLHeader/TraceHeaderList'],
    [`${TH}/TraceHeader`, 'edXMLHeader/TraceHeaderList/TraceHeader'],
    [`${TH}/TraceHeader/OrganId`, 'edXMLHeader/TraceHeaderList/TraceHeader[1]/OrganId'],
    [`${TH}/TraceHeader/Timestamp`, 'edXMLHeader/TraceHeaderList/TraceHeader[1]/Timestamp'],
    [`${TH}/Bussiness`, 'edXMLHeader/TraceHeaderList/Bussiness'],
    [`${TH}/Bussiness/DocumentId`, 'edXMLHeader/TraceHeaderList/Bussiness/DocumentId'],
    [`${TH}/Bussiness/BussinessDocType`, 'edXMLHeader/TraceHeaderList/Bussiness/BussinessDocType'],
    ['edXMLEnvelope/edXMLBody/edXMLManifest/Reference/ContentId', 'edXMLBody/edXMLManifest/Reference[1]/ContentId'],
    ['edXMLEnvelope/edXMLBody/edXMLManifest/Reference/ContentType', 'edXMLBody/edXMLManifest/Reference[1]/ContentType'],
    ['edXMLEnvelope/edXMLBody/edXMLManifest/Reference/AttachmentName', 'edXMLBody/edXMLManifest/Reference[1]/AttachmentName'],
    ['AttachmentEncoded/Attachment/ContentId', 'AttachmentEncoded/Attachment[1]/ContentId'],
    ['AttachmentEncoded/Attachment/AttachmentName', 'AttachmentEncoded/Attachment[1]/AttachmentName'],
    ['AttachmentEncoded/Attachment/ContentType', 'AttachmentEncoded/Attachment[1]/ContentType'],
    ['AttachmentEncoded/Attachment/ContentTransferEncoded', 'AttachmentEncoded/Attachment[1]/ContentTransferEncoded'],
  ];
  it.each(documentRequired)('document package without %s', (remove, path) => {
    const e = invalid(() => parseEdxmlDocument(removeAt(DOCUMENT, remove)));
    expect(e.issues.map((i) => i.path)).toContain(path);
    expect(e.message).toMatch(new RegExp(`^Gói tin edXML không hợp lệ: .*${path.replace(/[[\]/]/g, '\\$&')}: `));
    expect(e.message).toContain(`Invalid edXML packet: `);
  });

  const statusRequired: Array<[string, string]> = [
    [`${MH}/From`, 'edXMLHeader/MessageHeader/From'],
    [`${MH}/From/OrganId`, 'edXMLHeader/MessageHeader/From/OrganId'],
    [`${MH}/ResponseFor`, 'edXMLHeader/MessageHeader/ResponseFor'],
    [`${MH}/ResponseFor/OrganId`, 'edXMLHeader/MessageHeader/ResponseFor/OrganId'],
    [`${MH}/ResponseFor/Code`, 'edXMLHeader/MessageHeader/ResponseFor/Code'],
    [`${MH}/ResponseFor/PromulgationDate`, 'edXMLHeader/MessageHeader/ResponseFor/PromulgationDate'],
    [`${MH}/ResponseFor/DocumentId`, 'edXMLHeader/MessageHeader/ResponseFor/DocumentId'],
    [`${MH}/Timestamp`, 'edXMLHeader/MessageHeader/Timestamp'],
  ];
  it.each(statusRequired)('status packet without %s', (remove, path) => {
    const e = invalid(() => parseEdxmlDocument(removeAt(STATUS, remove)));
    expect(e.issues.map((i) => i.path)).toContain(path);
    expect(e.message).toContain(`${path}: thiếu phần tử bắt buộc`);
  });

  it('a required element left empty is named too', () => {
    expect(invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${MH}/Subject`, '  '))).message).toContain('edXMLHeader/MessageHeader/Subject: không được để trống');
    expect(invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${MH}/Code/CodeNumber`, ''))).message).toContain('edXMLHeader/MessageHeader/Code/CodeNumber: không được để trống');
    expect(invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${MH}/PromulgationInfo/PromulgationDate`, ''))).message).toContain(
      'edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate: thiếu phần tử bắt buộc',
    );
  });

  it('invalid agency identifiers are refused with the value and the element', () => {
    const e = invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${MH}/From/OrganId`, 'abc')));
    expect(e.message).toContain('edXMLHeader/MessageHeader/From/OrganId: mã định danh không hợp lệ "abc"');
    expect(e.message).toContain('edXMLHeader/MessageHeader/From/OrganId: invalid agency identifier "abc"');
    expect(e.vi).toMatch(/^Gói tin edXML không hợp lệ: /);
    const e2 = invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${TH}/TraceHeader/OrganId`, '000.00.00.g22')));
    expect(e2.message).toContain('edXMLHeader/TraceHeaderList/TraceHeader[1]/OrganId: mã định danh không hợp lệ "000.00.00.g22"');
    const e3 = invalid(() => parseEdxmlDocument(setText(STATUS, `${MH}/ResponseFor/OrganId`, 'Z12.01')));
    expect(e3.message).toContain('edXMLHeader/MessageHeader/ResponseFor/OrganId: mã định danh không hợp lệ "Z12.01"');

    for (const ok of ['000.00.00.G22', '000.00.00.H41', '000.00.11.H53', 'H41', 'H41.01', 'G22.12.AB', 'A53.01.02.03', 'Y99.' + 'A'.repeat(31)]) {
      expect(agencyIdForm(ok), ok).toBeDefined();
    }
    for (const bad of ['abc', '', '000.00.00.g22', '00.00.00.G22', '000.00.00.G2', '000.00.00.22G', 'Z12.01', 'A1.01', 'H41..01', 'H41.01.', '.H41', 'H41 .01', 'h41.01', 'Y99.' + 'A'.repeat(32), 'H41.Đ1']) {
      expect(agencyIdForm(bad), bad).toBeUndefined();
    }
    expect(agencyIdForm('000.00.00.G22')).toBe('legacy');
    expect(agencyIdForm('H41.01')).toBe('qd20');
  });

  it('invalid DocumentIds are refused with a clear message', () => {
    const bad: Array<[string, string]> = [
      ['125/VPCP-KSTT', 'cần dạng MãĐịnhDanh,yyyy/MM/dd,Số/Ký hiệu'],
      ['000.00.00.G22,12/03/2026,125/VPCP-KSTT', 'phải có dạng yyyy/MM/dd'],
      ['000.00.00.G22,2026-03-12,125/VPCP-KSTT', 'phải có dạng yyyy/MM/dd'],
      ['000.00.00.G22,2026/13/12,125/VPCP-KSTT', 'phải có dạng yyyy/MM/dd'],
      ['000.00.00.G2,2026/03/12,125/VPCP-KSTT', 'mã định danh không hợp lệ "000.00.00.G2"'],
      ['000.00.00.G22,2026/03/12,125', 'phải có dạng Số/Ký hiệu'],
      ['000.00.00.G22,2026/03/12,/VPCP-KSTT', 'phải có dạng Số/Ký hiệu'],
      ['000.00.00.G22,2026/03/12,125/VPCP,KSTT', 'phải có dạng Số/Ký hiệu'],
      ['000.00.00.G22,2026/03/12,125/ VPCP', 'phải có dạng Số/Ký hiệu'],
    ];
    for (const [id, why] of bad) {
      const e = invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${MH}/DocumentId`, id)));
      expect(e.message, id).toContain(`edXMLHeader/MessageHeader/DocumentId: mã văn bản (DocumentId) không hợp lệ ${JSON.stringify(id)}: `);
      expect(e.vi, id).toContain(why);
      expect(() => parseDocumentId(id)).toThrow(/DocumentId/);
    }
    expect(invalid(() => parseEdxmlDocument(setText(DOCUMENT, `${TH}/Bussiness/DocumentId`, 'x'))).message).toContain(
      'edXMLHeader/TraceHeaderList/Bussiness/DocumentId: mã văn bản (DocumentId) không hợp lệ "x"',
    );
    expect(parseDocumentId('000.00.00.G22,2026/03/12,125/VPCP-KSTT')).toEqual({
      organId: '000.00.00.G22',
      date: '2026-03-12',
      code: '125/VPCP-KSTT',
      number: '125',
      symbol: 'VPCP-KSTT',
    });
    expect(parseDocumentId('000.00.00.G22,2020/10/30,30/2020/NĐ-CP').symbol).toBe('2020/NĐ-CP');
    // A production platform sample carries 2014/02/30: the day is checked against 01–31 only.
    expect(parseDocumentId('000.00.00.G22,2014/02/30,7806/VPCP-TTĐT').date).toBe('2014-02-30');
    expect(formatDocumentId({ organId: '000.00.11.H53', date: '2020-10-30', code: '2491/STC-BCTC' })).toBe('000.00.11.H53,2020/10/30,2491/STC-BCTC');
    expect(formatDocumentId({ organId: '000.00.00.G22', date: new Date('2026-03-11T18:30:00Z'), number: '125', symbol: 'VPCP-KSTT' })).toBe(
      '000.00.00.G22,2026/03/12,125/VPCP-KSTT',
    );
  });

  it('values in the wrong format are named: dates, timestamps, counts, business type, base64, status code', () => {
    const cases: Array<[string, string, string, string]> = [
      [DOCUMENT, `${MH}/PromulgationInfo/PromulgationDate`, '31/02/2026', 'edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate: ngày không tồn tại "31/02/2026"'],
      [DOCUMENT, `${MH}/DueDate`, '2026.04.09', 'edXMLHeader/MessageHeader/DueDate: ngày không hợp lệ "2026.04.09"'],
      [DOCUMENT, `${TH}/TraceHeader/Timestamp`, '2026/03/12 25:00:00', 'edXMLHeader/TraceHeaderList/TraceHeader[1]/Timestamp: thời điểm không hợp lệ'],
      [DOCUMENT, `${MH}/OtherInfo/PageAmount`, 'hai', 'edXMLHeader/MessageHeader/OtherInfo/PageAmount: phải là số nguyên không âm "hai"'],
      [DOCUMENT, `${TH}/Bussiness/BussinessDocType`, '4', 'edXMLHeader/TraceHeaderList/Bussiness/BussinessDocType: giá trị không hợp lệ 4 (cho phép: 0, 1, 2, 3)'],
      [DOCUMENT, 'AttachmentEncoded/Attachment/ContentTransferEncoded', 'JVBERi0xLjcK!', 'AttachmentEncoded/Attachment[1]/ContentTransferEncoded: nội dung base64 không hợp lệ'],
      [STATUS, `${MH}/StatusCode`, '15', 'edXMLHeader/MessageHeader/StatusCode: giá trị không hợp lệ "15"'],
      [STATUS, `${MH}/StatusCode`, '3', 'edXMLHeader/MessageHeader/StatusCode: giá trị không hợp lệ "3"'],
    ];
    for (const [xml, path, value, message] of cases) {
      expect(invalid(() => parseEdxmlDocument(setText(xml, path, value))).message, path).toContain(message);
    }
    const rejected = setText(STATUS, `${MH}/StatusCode`, '02');
    at(rejected, `${MH}/Description`).parentNode!.removeChild(at(rejected, `${MH}/Description`));
    expect(invalid(() => parseEdxmlDocument(rejected)).message).toContain('edXMLHeader/MessageHeader/Description: trạng thái 02 (từ chối) phải nêu lý do');
  });

  it('the manifest and the attachments must agree', () => {
    const unlisted = setText(DOCUMENT, 'AttachmentEncoded/Attachment/ContentId', 'att-002');
    const e = invalid(() => parseEdxmlDocument(unlisted));
    expect(e.message).toContain('AttachmentEncoded/Attachment[1]/ContentId: tệp đính kèm "att-002" không có trong edXMLManifest');
    expect(e.message).toContain('edXMLBody/edXMLManifest/Reference[1]/ContentId: không có tệp đính kèm "cid:att-001" trong AttachmentEncoded');
    const twice = mutated(DOCUMENT, (d) => {
      const a = at(d, 'AttachmentEncoded/Attachment');
      a.parentNode!.appendChild(a.cloneNode(true));
    });
    expect(invalid(() => parseEdxmlDocument(twice)).message).toContain('AttachmentEncoded/Attachment[2]/ContentId: ContentId "att-001" bị trùng');
  });

  it('structure: text where elements belong, elements inside a value', () => {
    const stray = mutated(DOCUMENT, (d) => at(d, `${MH}/From`).appendChild(d.createTextNode('rác')));
    expect(invalid(() => parseEdxmlDocument(stray)).message).toContain('edXMLHeader/MessageHeader/From: có văn bản không mong đợi "rác"');
    const nested = mutated(DOCUMENT, (d) => at(d, `${MH}/Subject`).appendChild(d.createElementNS(EDXML_NS, 'edXML:b')));
    expect(invalid(() => parseEdxmlDocument(nested)).message).toContain('edXMLHeader/MessageHeader/Subject: không được chứa phần tử con <edXML:b>');
  });

  it('building an invalid model fails the same way, naming the element', () => {
    const pkg = fullPackage();
    pkg.MessageHeader.To[1]!.OrganId = 'abc';
    pkg.MessageHeader.Subject = 'a\u0001b';
    pkg.Attachments[0]!.ContentType = ' application/pdf';
    const e = invalid(() => buildEdxml(pkg));
    expect(e.issues.map((i) => i.path)).toEqual([
      'edXMLHeader/MessageHeader/To[2]/OrganId',
      'edXMLHeader/MessageHeader/Subject',
      'AttachmentEncoded/Attachment[1]/ContentType',
    ]);
    expect(e.message).toContain('edXMLHeader/MessageHeader/Subject: ký tự U+0001 không được phép trong XML');
    const e2 = invalid(() => buildEdxml({ ...pkg, Extra: 1 } as never));
    expect(e2.message).toContain('edXML: trường không được hỗ trợ: Extra');
    const ok = fullPackage();
    ok.Manifest.version = ' 1.0';
    ok.TraceHeaderList.Bussiness.BussinessDocType = 7 as never;
    expect(invalid(() => buildEdxml(ok)).issues.map((i) => i.path)).toEqual([
      'edXMLHeader/TraceHeaderList/Bussiness/BussinessDocType',
      'edXMLBody/edXMLManifest/@version',
    ]);
  });
});

describe('position-anchored reading (signature-wrapping defence)', () => {
  const duplicates: Array<[string, string]> = [
    [MH, 'edXMLHeader/MessageHeader'],
    ['edXMLEnvelope', 'edXML/edXMLEnvelope'],
    ['edXMLEnvelope/edXMLHeader', 'edXMLHeader'],
    [TH, 'edXMLHeader/TraceHeaderList'],
    ['edXMLEnvelope/edXMLBody', 'edXMLBody'],
    ['edXMLEnvelope/edXMLBody/edXMLManifest', 'edXMLBody/edXMLManifest'],
    ['AttachmentEncoded', 'edXML/AttachmentEncoded'],
    [`${MH}/From`, 'edXMLHeader/MessageHeader/From'],
    [`${MH}/Subject`, 'edXMLHeader/MessageHeader/Subject'],
    [`${MH}/From/OrganId`, 'edXMLHeader/MessageHeader/From/OrganId'],
    [`${TH}/Bussiness`, 'edXMLHeader/TraceHeaderList/Bussiness'],
  ];
  it.each(duplicates)('a second %s is an error, not "take the first"', (path, named) => {
    const doc = mutated(DOCUMENT, (d) => {
      const el = at(d, path);
      el.parentNode!.insertBefore(el.cloneNode(true), el);
    });
    const e = invalid(() => parseEdxmlDocument(doc));
    expect(e.message).toContain(`${named}: phần tử xuất hiện 2 lần, chỉ được phép 1`);
    if (path !== 'edXMLEnvelope/edXMLHeader' && path !== MH) return;
    expect(() => locateEdxml(doc.documentElement!)).toThrow(/xuất hiện 2 lần/);
    expect(() => edxmlHeaderElement(doc)).toThrow(/xuất hiện 2 lần/);
  });

  it('a duplicate in a status packet too', () => {
    const doc = mutated(STATUS, (d) => {
      const el = at(d, `${MH}/StatusCode`);
      const other = el.cloneNode(true) as Element;
      other.firstChild!.nodeValue = '02';
      el.parentNode!.appendChild(other);
    });
    expect(invalid(() => parseEdxmlDocument(doc)).message).toContain('edXMLHeader/MessageHeader/StatusCode: phần tử xuất hiện 2 lần');
  });

  it('reads only from signedRoot: an attacker envelope around the signed one is not what the verifier reads', () => {
    // The attacker's document element is a forged package; the originally signed edXML is moved into a wrapper.
    const forged = parseEdxmlPackage(DOCUMENT);
    forged.MessageHeader.Subject = 'Nội dung giả mạo';
    const doc = buildEdxmlDocument(forged);
    const signedDoc = parseXmlSafely(DOCUMENT);
    const wrapper = doc.createElementNS('urn:attacker', 'x:Wrapper');
    const signedRoot = doc.importNode(signedDoc.documentElement!, true) as Element;
    wrapper.appendChild(signedRoot);
    doc.documentElement!.appendChild(wrapper);

    const plain = parseEdxmlDocument(doc);
    expect(plain.kind === 'document' && plain.package.MessageHeader.Subject).toBe('Nội dung giả mạo');
    expect(plain.warnings.map((w) => w.path)).toContain('edXML/Wrapper');

    const covered = parseEdxmlDocument(doc, { signedRoot });
    expect(covered.kind === 'document' && covered.package.MessageHeader.Subject).toBe(parseEdxmlPackage(DOCUMENT).MessageHeader.Subject);
    expect(covered.elements.root).toBe(signedRoot);
    expect(covered.elements.signatures).toHaveLength(1);

    expect(invalid(() => parseEdxmlDocument(signedDoc, { signedRoot })).message).toContain('signedRoot');
  });

  it('an envelope as signedRoot reads no attachment from outside it', () => {
    const doc = parseXmlSafely(DOCUMENT);
    const envelope = at(doc, 'edXMLEnvelope');
    const e = invalid(() => parseEdxmlDocument(doc, { signedRoot: envelope }));
    expect(e.message).toContain('edXMLBody/edXMLManifest/Reference[1]/ContentId: không có tệp đính kèm');
  });
});

describe('safe parsing', () => {
  it('refuses a DOCTYPE (entity expansion) fast, before any edXML reading', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' +
      DOCUMENT.replace(/^<\?xml[^>]*>\s*/, '').replace('Hà Nội', '&c;');
    const t0 = performance.now();
    let code: string | undefined;
    try {
      parseEdxml(bomb);
    } catch (e) {
      code = isKysoError(e) ? e.code : undefined;
    }
    expect(code).toBe('XML_DOCTYPE');
    expect(performance.now() - t0).toBeLessThan(2000); // refused before any expansion: bounded, not a speed target
    expect(() => parseStatusPacket(`<!DOCTYPE x SYSTEM "file:///etc/passwd">${STATUS.replace(/^<\?xml[^>]*>\s*/, '')}`)).toThrow(/DOCTYPE/);
    expect(() => parseEdxml('<edXML')).toThrow(/XML/);
  });

  it('kind is detected; asking for the other kind is an error', () => {
    expect(() => parseEdxmlPackage(STATUS)).toThrow(/gói tin trạng thái/);
    expect(() => parseStatusPacket(DOCUMENT)).toThrow(/gói tin văn bản/);
  });
});

describe('dates and times', () => {
  it('parses both date orders, emits the documented one per field', () => {
    expect(parseEdxmlDate('12/03/2026')).toBe('2026-03-12');
    expect(parseEdxmlDate('2026/03/12')).toBe('2026-03-12');
    expect(parseEdxmlDate('2026-03-12')).toBe('2026-03-12');
    expect(parseEdxmlDate('1/3/2026')).toBe('2026-03-01');
    expect(parseEdxmlDate('29/02/2024')).toBe('2024-02-29');
    for (const bad of ['29/02/2026', '2026/02/29', '31/04/2026', '12-03-2026', '2026/3', '', '12/03/26']) expect(() => parseEdxmlDate(bad), bad).toThrow();
    expect(formatDateDMY('2026-03-12')).toBe('12/03/2026');
    expect(formatDateYMD('2026-03-12')).toBe('2026/03/12');
  });

  it('timestamps are Vietnam time (+07:00), whole seconds on the wire', () => {
    expect(parseEdxmlTimestamp('2026/03/12 10:15:30').toISOString()).toBe('2026-03-12T03:15:30.000Z');
    expect(parseEdxmlTimestamp('2026-03-12 10:15:30').toISOString()).toBe('2026-03-12T03:15:30.000Z');
    expect(parseEdxmlTimestamp('12/03/2026 10:15:30').toISOString()).toBe('2026-03-12T03:15:30.000Z');
    expect(parseEdxmlTimestamp('2026-03-12T10:15:30+07:00').toISOString()).toBe('2026-03-12T03:15:30.000Z');
    expect(parseEdxmlTimestamp('2026-03-12T03:15:30Z').toISOString()).toBe('2026-03-12T03:15:30.000Z');
    expect(parseEdxmlTimestamp('2026/03/12 06:00:00').toISOString()).toBe('2026-03-11T23:00:00.000Z');
    for (const bad of ['2026/03/12', '2026/03/12 24:00:00', '2026/02/30 10:00:00', 'hôm nay']) expect(() => parseEdxmlTimestamp(bad), bad).toThrow();
    expect(formatEdxmlTimestamp(new Date('2026-03-11T23:00:00.999Z'))).toBe('2026/03/12 06:00:00');
    expect(vietnamDate(new Date('2026-03-11T17:00:00Z'))).toBe('2026-03-12');
    expect(vietnamDate(new Date('2026-03-11T16:59:59Z'))).toBe('2026-03-11');
  });
});

describe('a realistic 20 KB package', () => {
  // Its speed is measured in bench/xml.ts; here only that it round-trips.
  it('with three PDF attachments builds to ~20 KB and reads back equal', () => {
    const pkg = fullPackage();
    const pdfs = ['ghostscript.pdf', 'pdflib-acroform.pdf', 'pdflib-table.pdf'].map((n) => new Uint8Array(readFileSync(new URL(`../fixtures/pdf/${n}`, import.meta.url))));
    pkg.Attachments = pdfs.map((bytes, i) => ({ ContentId: `att-${i + 1}`, AttachmentName: `phu-luc-${i + 1}.pdf`, ContentType: 'application/pdf', Description: `Phụ lục ${i + 1}`, ContentTransferEncoded: bytes }));
    pkg.Manifest = { version: '1.0', Reference: pkg.Attachments.map((a) => ({ ContentId: `cid:${a.ContentId}`, ContentType: a.ContentType, Description: a.Description, AttachmentName: a.AttachmentName })) };
    const xml = buildEdxml(pkg);
    const size = Buffer.byteLength(xml);
    expect(size).toBeGreaterThan(17_000);
    expect(size).toBeLessThan(23_000);
    expect(parseEdxmlPackage(xml)).toEqual(pkg);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Test data

/** A package using every field of the model. */
function fullPackage(): EdxmlPackage {
  return {
    MessageHeader: {
      From: {
        OrganId: '000.00.00.G22',
        OrganizationInCharge: 'Chính phủ',
        OrganName: 'Văn phòng Chính phủ',
        OrganAdd: 'Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội',
        Email: 'vanthu@vpcp.example.vn',
        Telephone: '080 43100',
        Fax: '080 43101',
        Website: 'vpcp.example.vn',
      },
      To: [
        { OrganId: '000.00.00.H41', OrganName: 'Ủy ban nhân dân tỉnh Nghệ An', OrganAdd: 'Số 03, đường Trường Thi, Thành phố Vinh' },
        { OrganId: 'H41.01', OrganName: 'Sở Xây dựng tỉnh Nghệ An', Email: '' },
      ],
      DocumentId: '000.00.00.G22,2026/03/12,125/VPCP-KSTT',
      Code: { CodeNumber: '125', CodeNotation: 'VPCP-KSTT' },
      PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: '2026-03-12' },
      DocumentType: { Type: '1', TypeDetail: '0', TypeName: 'Công văn' },
      Subject: 'V/v chuyển phản ánh, kiến nghị về thủ tục cấp giấy phép xây dựng',
      Content: 'Văn phòng Chính phủ chuyển phản ánh, kiến nghị của ông Nguyễn Văn Bình (xã Hưng Lộc) đến Ủy ban nhân dân tỉnh Nghệ An.\nĐề nghị trả lời trước ngày 09/04/2026.',
      SignerInfo: { Competence: 'KT. BỘ TRƯỞNG, CHỦ NHIỆM', Position: 'PHÓ CHỦ NHIỆM', FullName: 'Nguyễn Văn An' },
      DueDate: '2026-04-09',
      OtherInfo: {
        Priority: '0',
        SphereOfPromulgation: 'Liên thông văn bản quốc gia',
        TyperNotation: 'KSTT',
        PromulgationAmount: 3,
        PageAmount: 2,
        Direction: 'false',
        Appendixes: ['Phụ lục I: Nội dung phản ánh', ''],
      },
      SteeringType: '1',
      ToPlaces: ['Ủy ban nhân dân tỉnh Nghệ An', 'Cục KSTTHC', 'Lưu: VT, KSTT (2b)'],
      ResponseFor: [
        { OrganId: 'H41.01', Code: '312/SXD-QLXD', PromulgationDate: '2026-03-01', DocumentId: 'H41.01,2026/03/01,312/SXD-QLXD' },
      ],
    },
    TraceHeaderList: {
      TraceHeader: [
        { OrganId: '000.00.00.G22', Timestamp: new Date('2026-03-12T10:15:30+07:00') },
        { OrganId: '000.00.00.H41', Timestamp: new Date('2026-03-12T10:16:02+07:00') },
      ],
      Bussiness: {
        DocumentId: '000.00.00.G22,2026/03/12,125/VPCP-KSTT',
        BussinessDocType: 3,
        BussinessDocReason: 'Thay thế văn bản do sai sót',
        Paper: 0,
        ReplacementInfoList: [{ DocumentId: '000.00.00.G22,2026/03/10,118/VPCP-KSTT', OrganIdList: ['000.00.00.H41', 'H41.01'] }],
        BussinessDocumentInfo: {
          DocumentInfo: '1',
          DocumentReceiver: '1',
          ReceiverList: [{ OrganId: '000.00.00.H41', ReceiverType: '0' }, { OrganId: 'H41.01' }],
        },
        StaffInfo: { Department: 'Phòng Văn thư', Staff: 'Trần Thị Bình', Email: 'binh.tt@vpcp.example.vn', Mobile: '84912000001' },
      },
    },
    Manifest: {
      version: '1.0',
      Reference: [{ ContentId: 'cid:att-001', ContentType: 'application/pdf', Description: 'Công văn đã ký số', AttachmentName: '125-VPCP-KSTT.pdf' }],
    },
    Attachments: [
      {
        ContentId: 'att-001',
        AttachmentName: '125-VPCP-KSTT.pdf',
        ContentType: 'application/pdf',
        Description: 'Công văn đã ký số',
        ContentTransferEncoded: new Uint8Array(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n%%EOF\n', 'latin1')),
      },
    ],
  };
}

const VI_CHARS = [
  ...'aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵÁÀẢÃẠỐỒỔỖỘỨỪỬỮỰ0123456789',
  ...' ,.;:/-()"\'<>&',
  '\n',
  '\t',
  '\r',
  '\u2028',
  '\u0085',
  '\u00a0',
  '😀',
  '𠀀',
  ']]>',
];
const WS = /^[ \t\r\n]+|[ \t\r\n]+$/g;
const arbText = fc.array(fc.constantFrom(...VI_CHARS), { maxLength: 24 }).map((a) => a.join(''));
const arbSomeText = arbText.filter((s) => s.trim() !== '');
const arbToken = arbText.map((s) => s.replace(WS, ''));
const arbSomeToken = arbToken.filter((s) => s !== '');
const arbLegacyId = fc
  .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom(...'ABGHKZ'), fc.integer({ min: 0, max: 99 }))
  .map(([a, b, c, l, d]) => `${String(a).padStart(3, '0')}.${String(b).padStart(2, '0')}.${String(c).padStart(2, '0')}.${l}${String(d).padStart(2, '0')}`);
const arbQd20Id = fc
  .tuple(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXY'), fc.integer({ min: 0, max: 99 }), fc.array(fc.stringMatching(/^[0-9A-Z]{1,4}$/), { maxLength: 6 }))
  .map(([l, n, groups]) => [`${l}${String(n).padStart(2, '0')}`, ...groups].join('.'))
  .filter((s) => s.length <= 35);
const arbAgencyId = fc.oneof(arbLegacyId, arbQd20Id);
const arbDate = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const arbInstant = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }).map((s) => new Date(s * 1000));
const arbCode = fc.tuple(fc.stringMatching(/^[0-9]{1,5}$/), fc.constantFrom('VPCP-KSTT', 'STC-BCTC', '2020/NĐ-CP', 'UBND-VX', 'SXD-QLXD', 'VPCP-TTĐT'));
const arbDocumentId = fc.tuple(arbAgencyId, arbDate, arbCode).map(([o, d, [n, s]]) => `${o},${d.replaceAll('-', '/')},${n}/${s}`);
const arbOrganization = fc.record(
  { OrganId: arbAgencyId, OrganizationInCharge: arbText, OrganName: arbText, OrganAdd: arbText, Email: arbToken, Telephone: arbToken, Fax: arbToken, Website: arbToken },
  { requiredKeys: ['OrganId'] },
);
const arbStaff = fc.record({ Department: arbText, Staff: arbText, Email: arbToken, Mobile: arbToken }, { requiredKeys: [] });
const arbResponseFor = fc.record({ OrganId: arbAgencyId, Code: arbSomeToken, PromulgationDate: arbDate, DocumentId: arbDocumentId });
const arbAttachments = fc
  .uniqueArray(
    fc.record(
      {
        ContentId: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,11}$/),
        AttachmentName: arbSomeText,
        ContentType: fc.constantFrom('application/pdf', 'application/zip', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
        Description: arbText,
        ContentTransferEncoded: fc.uint8Array({ maxLength: 256 }),
      },
      { requiredKeys: ['ContentId', 'AttachmentName', 'ContentType', 'ContentTransferEncoded'] },
    ),
    { maxLength: 3, selector: (a) => a.ContentId },
  )
  .chain((atts) =>
    fc.tuple(fc.constant(atts), fc.array(fc.boolean(), { minLength: atts.length, maxLength: atts.length }), fc.option(fc.constantFrom('1.0', '2.0'), { nil: undefined })),
  )
  .map(([atts, cid, version]) => {
    const Reference = atts.map((a, i) => {
      const r: EdxmlPackage['Manifest']['Reference'][number] = { ContentId: cid[i] ? `cid:${a.ContentId}` : a.ContentId, ContentType: a.ContentType, AttachmentName: a.AttachmentName };
      if (a.Description !== undefined) r.Description = a.Description;
      return r;
    });
    return { Manifest: version === undefined ? { Reference } : { version, Reference }, Attachments: atts };
  });
const arbPackage: fc.Arbitrary<EdxmlPackage> = fc
  .record({
    MessageHeader: fc.record(
      {
        From: arbOrganization,
        To: fc.array(arbOrganization, { minLength: 1, maxLength: 3 }),
        DocumentId: arbDocumentId,
        Code: fc.record({ CodeNumber: arbSomeToken, CodeNotation: arbToken }),
        PromulgationInfo: fc.record({ Place: arbText, PromulgationDate: arbDate }, { requiredKeys: ['PromulgationDate'] }),
        DocumentType: fc.record({ Type: arbSomeToken, TypeDetail: arbToken, TypeName: arbText }, { requiredKeys: ['Type'] }),
        Subject: arbSomeText,
        Content: arbText,
        SignerInfo: fc.record({ Competence: arbText, Position: arbText, FullName: arbText }, { requiredKeys: [] }),
        DueDate: arbDate,
        OtherInfo: fc.record(
          {
            Priority: arbToken,
            SphereOfPromulgation: arbText,
            TyperNotation: arbText,
            PromulgationAmount: fc.nat({ max: 1000 }),
            PageAmount: fc.nat({ max: 1000 }),
            Direction: arbToken,
            Appendixes: fc.array(arbText, { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
        SteeringType: fc.constantFrom('0', '1', '2'),
        ToPlaces: fc.array(arbText, { maxLength: 4 }),
        ResponseFor: fc.array(arbResponseFor, { maxLength: 2 }),
      },
      { requiredKeys: ['From', 'To', 'DocumentId', 'Code', 'PromulgationInfo', 'DocumentType', 'Subject', 'ResponseFor'] },
    ),
    TraceHeaderList: fc.record({
      TraceHeader: fc.array(fc.record({ OrganId: arbAgencyId, Timestamp: arbInstant }), { minLength: 1, maxLength: 3 }),
      Bussiness: fc.record(
        {
          DocumentId: arbDocumentId,
          BussinessDocType: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
          BussinessDocReason: arbText,
          Paper: fc.constantFrom(0, 1),
          ReplacementInfoList: fc.array(fc.record({ DocumentId: arbDocumentId, OrganIdList: fc.array(arbAgencyId, { maxLength: 2 }) }, { requiredKeys: ['DocumentId'] }), { maxLength: 2 }),
          BussinessDocumentInfo: fc.record(
            { DocumentInfo: arbToken, DocumentReceiver: arbToken, ReceiverList: fc.array(fc.record({ OrganId: arbAgencyId, ReceiverType: arbToken }, { requiredKeys: ['OrganId'] }), { maxLength: 2 }) },
            { requiredKeys: [] },
          ),
          StaffInfo: arbStaff,
        },
        { requiredKeys: ['DocumentId', 'BussinessDocType'] },
      ),
    }),
    parts: arbAttachments,
  })
  .map(({ parts, ...rest }) => ({ ...rest, ...parts }));

const arbStatus: fc.Arbitrary<StatusPacket> = fc
  .record(
    {
      From: arbOrganization,
      ResponseFor: arbResponseFor,
      StaffInfo: arbStaff,
      StatusCode: fc.constantFrom(...STATUS_CODE_LIST),
      Description: arbText,
      Timestamp: arbInstant,
    },
    { requiredKeys: ['From', 'ResponseFor', 'StatusCode', 'Timestamp'] },
  )
  .map((s) => (s.StatusCode === '02' && !s.Description?.trim() ? { ...s, Description: 'Lý do: sai nơi nhận' } : s));
