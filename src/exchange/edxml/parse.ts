// edXML → model. Untrusted text goes through the safe parser (no DOCTYPE, size and depth limits); the model is
// then read by absolute, position-anchored navigation from one root element — root → edXMLEnvelope →
// edXMLHeader → MessageHeader … — where each single element must occur exactly once (a duplicate is an error,
// never "take the first") and elements are matched by namespace URI and local name, never by prefix. A verifier
// passes the element its signature covered as `signedRoot`, so what the application reads is what was signed.
//
// Accepted: the QCVN 102:2016 namespace (root `edXML`), and the older `http://www.go.vn/eDoc` of some provincial
// platforms whose root is the envelope itself (`EdXMLEnvelope`), including the flattened form with MessageHeader
// and TraceHeaderList directly in it. Elements the model does not know are reported as warnings and ignored —
// except in the routing trace: kyso signs edXML minus the TraceHeader elements each hop appends (src/xml/
// xmldsig.ts), so TraceHeaderList may hold only TraceHeader (and, in a document package, the signed Bussiness)
// and a TraceHeader only OrganId and Timestamp. Anything else there is an error, never ignored: the unsigned part
// carries the trace and nothing else, and everything else the model holds comes from signed content.
import type { Document, Element } from '@xmldom/xmldom';
import { z } from 'zod';
import { isKysoError, KysoError } from '../../errors.ts';
import { parseXmlSafely, type XmlLimits } from '../../xml/safe-parser.ts';
import { parseEdxmlDate, parseEdxmlTimestamp } from './identifiers.ts';
import {
  EDOC_NS,
  EDXML_NS,
  EdxmlPackageSchema,
  StatusPacketSchema,
  TraceHeaderSchema,
  type EdxmlKind,
  type EdxmlPackage,
  type EdxmlVariant,
  type StatusPacket,
} from './model.ts';
import {
  ATTACHMENT,
  type Field,
  childElements,
  DOCUMENT_TOP,
  DSIG_NS,
  EdxmlValidationError,
  leafText,
  MANIFEST,
  MESSAGE_HEADER,
  STATUS_HEADER,
  strayText,
  TRACE_HEADER_LIST,
  validate,
  xmlTrim,
  type Complex,
  type EdxmlIssue,
  type Leaf,
} from './wire.ts';

export { EdxmlValidationError, type EdxmlIssue } from './wire.ts';

/** Something the reader ignored (an unknown element, a signature in an old namespace…). */
export type EdxmlWarning = EdxmlIssue;

/** Where the parts of a packet are, for the signer (where ds:Signature goes) and the verifier (what is covered). */
export interface EdxmlElements {
  variant: EdxmlVariant;
  /** The element navigation started from: `edXML`, or the envelope when it is the root (go.vn variant). */
  root: Element;
  envelope: Element;
  /** edXMLHeader; in the flattened go.vn form, the envelope itself. */
  header: Element;
  messageHeader: Element;
  traceHeaderList?: Element;
  /** Signature elements directly in the header (XML-DSig namespace, or the packet namespace in old samples). */
  signatures: Element[];
  body?: Element;
  manifest?: Element;
  attachmentEncoded?: Element;
}

interface ParsedBase {
  variant: EdxmlVariant;
  elements: EdxmlElements;
  warnings: EdxmlWarning[];
}
export type EdxmlParsed =
  | (ParsedBase & { kind: 'document'; package: EdxmlPackage })
  | (ParsedBase & { kind: 'status'; status: StatusPacket });

export interface ParseEdxmlOptions {
  /**
   * The element to read the model from (default: the document element). A verifier passes exactly the element
   * its signature covers; nothing outside it is read.
   */
  signedRoot?: Element;
}

const structural = (path: string, vi: string, en: string): EdxmlValidationError => new EdxmlValidationError([{ path, vi, en }]);

const TRACE_HEADER_FIELD: Field = TRACE_HEADER_LIST.fields.find((f) => f.el === 'TraceHeader')!;
/** A status packet's TraceHeaderList: hops only. */
const STATUS_TRACE_LIST: Complex = { fields: [TRACE_HEADER_FIELD] };
/** Read strictly (unknown or foreign elements are errors): the containers of unsigned routing data. */
const STRICT = new Set<Complex>([TRACE_HEADER_LIST, STATUS_TRACE_LIST, TRACE_HEADER_FIELD.type as Complex]);
const STRICT_VI = 'phần tử không được phép trong vết chuyển (TraceHeaderList chỉ chứa TraceHeader và Bussiness; TraceHeader chỉ chứa OrganId và Timestamp)';
const STRICT_EN = 'element not allowed in the routing trace (TraceHeaderList holds only TraceHeader and Bussiness; TraceHeader only OrganId and Timestamp)';

/** Collects issues and warnings while walking one packet. */
class Reader {
  readonly issues: EdxmlIssue[] = [];
  readonly warnings: EdxmlWarning[] = [];
  constructor(readonly ns: string) {}

  inNs(el: Element): boolean {
    return el.namespaceURI === this.ns;
  }

  /** Children of `el` in the packet namespace grouped by local name; foreign ones reported unless `skip` says so. */
  children(el: Element, path: string, skip: (c: Element) => boolean = () => false, strict = false): Map<string, Element[]> {
    const text = strayText(el);
    if (text !== undefined) {
      this.issues.push({ path, vi: `có văn bản không mong đợi ${JSON.stringify(text.slice(0, 40))}`, en: `unexpected text ${JSON.stringify(text.slice(0, 40))}` });
    }
    const groups = new Map<string, Element[]>();
    for (const c of childElements(el)) {
      if (skip(c)) continue;
      if (!this.inNs(c)) {
        if (strict) {
          this.issues.push({ path: `${path}/${c.localName}`, vi: `${STRICT_VI}: không gian tên ${c.namespaceURI ?? 'không có'}`, en: `${STRICT_EN}: namespace ${c.namespaceURI ?? 'none'}` });
          continue;
        }
        this.warnings.push({
          path: `${path}/${c.localName}`,
          vi: `phần tử thuộc không gian tên khác (${c.namespaceURI ?? 'không có'}) bị bỏ qua`,
          en: `element in another namespace (${c.namespaceURI ?? 'none'}) ignored`,
        });
        continue;
      }
      const name = c.localName ?? c.nodeName;
      const g = groups.get(name);
      if (g) g.push(c);
      else groups.set(name, [c]);
    }
    return groups;
  }

  /** At most one `name` in `groups`; a second one is an error. */
  single(groups: Map<string, Element[]>, name: string, path: string): Element | undefined {
    const g = groups.get(name);
    if (g && g.length > 1) {
      this.issues.push({ path: path ? `${path}/${name}` : name, vi: `phần tử xuất hiện ${g.length} lần, chỉ được phép 1`, en: `element occurs ${g.length} times, only 1 allowed` });
    }
    return g?.[0];
  }

  unknown(groups: Map<string, Element[]>, known: Iterable<string>, path: string, strict = false): void {
    const k = new Set(known);
    for (const [name] of groups) {
      if (k.has(name)) continue;
      if (strict) this.issues.push({ path: `${path}/${name}`, vi: STRICT_VI, en: STRICT_EN });
      else this.warnings.push({ path: `${path}/${name}`, vi: 'phần tử không được hỗ trợ, bị bỏ qua', en: 'unsupported element ignored' });
    }
  }

  /** Reads a complex element by its table; absent optional elements leave no key. */
  complex(el: Element, spec: Complex, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, attr] of Object.entries(spec.attrs ?? {})) {
      if (el.hasAttribute(attr)) out[key] = xmlTrim(el.getAttribute(attr) ?? '');
    }
    const strict = STRICT.has(spec);
    const groups = this.children(el, path, undefined, strict);
    for (const field of spec.fields) {
      const els = groups.get(field.el) ?? [];
      const p = `${path}/${field.el}`;
      if (field.repeat) {
        out[field.key] = els.map((e, i) => this.value(e, field.type, `${p}[${i + 1}]`));
        continue;
      }
      const e = this.single(groups, field.el, path);
      if (!e) continue;
      if (field.wrap) {
        const items = this.children(e, p);
        this.unknown(items, [field.wrap], p);
        out[field.key] = (items.get(field.wrap) ?? []).map((item, i) => this.value(item, field.type, `${p}/${field.wrap}[${i + 1}]`));
      } else {
        const v = this.value(e, field.type, p);
        if (v !== undefined) out[field.key] = v;
      }
    }
    this.unknown(groups, spec.fields.map((x) => x.el), path, strict);
    return out;
  }

  value(el: Element, type: Leaf | Complex, path: string): unknown {
    if (typeof type !== 'string') return this.complex(el, type, path);
    const { text, child } = leafText(el);
    if (child) {
      this.issues.push({ path, vi: `không được chứa phần tử con <${child.nodeName}>`, en: `must not contain the child element <${child.nodeName}>` });
      return undefined;
    }
    const t = xmlTrim(text);
    try {
      switch (type) {
        case 'text':
          return text;
        case 'token':
          return t;
        case 'dmy':
        case 'ymd':
          return t === '' ? undefined : parseEdxmlDate(t);
        case 'timestamp':
          return t === '' ? undefined : parseEdxmlTimestamp(t);
        case 'count':
          if (t === '') return undefined;
          if (!/^\d{1,15}$/.test(t)) throw new KysoError('EDXML_INVALID', `phải là số nguyên không âm ${JSON.stringify(t)}`, `must be a non-negative integer ${JSON.stringify(t)}`);
          return Number(t);
        case 'base64':
          return decodeBase64(text);
      }
    } catch (e) {
      if (!isKysoError(e)) throw e;
      this.issues.push({ path, vi: e.vi, en: e.en });
      return undefined;
    }
  }
}

const StatusTraceListSchema = z.strictObject({ TraceHeader: z.array(TraceHeaderSchema) });

/** Strict base64 (white space between characters allowed, as in line-wrapped MIME) → bytes. */
function decodeBase64(text: string): Uint8Array {
  const b = text.replace(/[ \t\r\n]+/g, '');
  if (b.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b)) {
    throw new KysoError('EDXML_INVALID', 'nội dung base64 không hợp lệ', 'invalid base64 content');
  }
  const buf = Buffer.from(b, 'base64');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/**
 * Finds the parts of a packet from `root` by absolute navigation: exactly one envelope, header and MessageHeader,
 * at most one TraceHeaderList, body, manifest and AttachmentEncoded. Throws EDXML_INVALID if the skeleton is wrong
 * (a duplicate included).
 */
export function locateEdxml(root: Element): EdxmlElements {
  const r = new Reader(root.namespaceURI ?? '');
  const e = locate(root, r);
  if (r.issues.length) throw new EdxmlValidationError(r.issues);
  return e;
}

function locate(root: Element, r: Reader): EdxmlElements {
  const ns = root.namespaceURI;
  if (ns !== EDXML_NS && ns !== EDOC_NS) {
    throw structural(
      root.nodeName,
      `không phải gói tin edXML (không gian tên ${ns ?? 'không có'}, cần ${EDXML_NS})`,
      `not an edXML packet (namespace ${ns ?? 'none'}, expected ${EDXML_NS})`,
    );
  }
  const variant: EdxmlVariant = ns === EDXML_NS ? 'qcvn102' : 'edoc';
  const isSignature = (c: Element): boolean => c.localName === 'Signature' && (c.namespaceURI === DSIG_NS || c.namespaceURI === ns);
  const dsigSignature = (c: Element): boolean => c.localName === 'Signature' && c.namespaceURI === DSIG_NS;
  let envelope: Element | undefined;
  let attachmentEncoded: Element | undefined;
  const name = root.localName;
  if (name === 'edXML') {
    const g = r.children(root, 'edXML');
    envelope = r.single(g, 'edXMLEnvelope', 'edXML');
    attachmentEncoded = r.single(g, 'AttachmentEncoded', 'edXML');
    r.unknown(g, ['edXMLEnvelope', 'AttachmentEncoded'], 'edXML');
    if (!envelope) {
      r.issues.push({ path: 'edXML/edXMLEnvelope', vi: 'thiếu phần tử bắt buộc', en: 'required element is missing' });
      throw new EdxmlValidationError(r.issues);
    }
  } else if (name === 'edXMLEnvelope' || name === 'EdXMLEnvelope') {
    envelope = root;
  } else {
    throw structural(name ?? root.nodeName, `phần tử gốc <${name}> không phải edXML hoặc EdXMLEnvelope`, `root element <${name}> is not edXML or EdXMLEnvelope`);
  }

  // Flattened LGSP form (go.vn only): no edXMLHeader, the header's children (and signature) sit in the envelope.
  const flattened = variant === 'edoc' && !childElements(envelope).some((c) => c.namespaceURI === ns && c.localName === 'edXMLHeader');
  const eg = r.children(envelope, 'edXMLEnvelope', flattened ? dsigSignature : () => false);
  const envelopeKnown = ['edXMLHeader', 'edXMLBody'];
  if (envelope === root) {
    attachmentEncoded = r.single(eg, 'AttachmentEncoded', '');
    envelopeKnown.push('AttachmentEncoded');
  }
  let header = r.single(eg, 'edXMLHeader', '');
  let hg: Map<string, Element[]>;
  if (header) {
    hg = r.children(header, 'edXMLHeader', dsigSignature);
  } else if (flattened && eg.has('MessageHeader')) {
    header = envelope;
    hg = eg;
    envelopeKnown.push('MessageHeader', 'TraceHeaderList');
  } else {
    r.issues.push({ path: 'edXMLHeader', vi: 'thiếu phần tử bắt buộc', en: 'required element is missing' });
    throw new EdxmlValidationError(r.issues);
  }
  const signatures = childElements(header).filter(isSignature);
  hg.delete('Signature'); // old samples: an unqualified Signature under a default packet namespace
  if (header !== envelope) r.unknown(hg, ['MessageHeader', 'TraceHeaderList'], 'edXMLHeader');
  r.unknown(eg, envelopeKnown, 'edXMLEnvelope');
  const messageHeader = r.single(hg, 'MessageHeader', 'edXMLHeader');
  const traceHeaderList = r.single(hg, 'TraceHeaderList', 'edXMLHeader');
  if (!messageHeader) {
    r.issues.push({ path: 'edXMLHeader/MessageHeader', vi: 'thiếu phần tử bắt buộc', en: 'required element is missing' });
    throw new EdxmlValidationError(r.issues);
  }
  const body = r.single(eg, 'edXMLBody', '');
  let manifest: Element | undefined;
  if (body) {
    const bg = r.children(body, 'edXMLBody');
    manifest = r.single(bg, 'edXMLManifest', 'edXMLBody');
    r.unknown(bg, ['edXMLManifest'], 'edXMLBody');
  }
  return { variant, root, envelope, header, messageHeader, traceHeaderList, signatures, body, manifest, attachmentEncoded };
}

/** Kind of packet: a status packet's MessageHeader carries StatusCode. */
function kindOf(e: EdxmlElements): EdxmlKind {
  const ns = e.root.namespaceURI;
  return childElements(e.messageHeader).some((c) => c.namespaceURI === ns && c.localName === 'StatusCode') ? 'status' : 'document';
}

/**
 * Reads the model from an already parsed DOM. Only `opts.signedRoot` (default: the document element) and what
 * is inside it is read. Throws EDXML_INVALID (an EdxmlValidationError listing every problem by element path).
 */
export function parseEdxmlDocument(doc: Document, opts: ParseEdxmlOptions = {}): EdxmlParsed {
  const root = opts.signedRoot ?? doc.documentElement;
  if (!root) throw structural('/', 'tài liệu không có phần tử gốc', 'the document has no root element');
  if (root.ownerDocument !== doc) throw structural('/', 'signedRoot không thuộc tài liệu này', 'signedRoot does not belong to this document');
  const r = new Reader(root.namespaceURI ?? '');
  const elements = locate(root, r);
  const base = { variant: elements.variant, elements, warnings: r.warnings };

  if (kindOf(elements) === 'status') {
    // Hops append TraceHeaders to status packets too (readTraceHeaders reads them); the list holds nothing else.
    if (elements.traceHeaderList) {
      const trace = r.complex(elements.traceHeaderList, STATUS_TRACE_LIST, 'edXMLHeader/TraceHeaderList');
      validate(StatusTraceListSchema, trace, { prefix: 'edXMLHeader/TraceHeaderList', type: STATUS_TRACE_LIST }, r.issues);
    }
    if (elements.body || elements.attachmentEncoded) r.warnings.push({ path: 'edXMLBody', vi: 'gói tin trạng thái: bỏ qua phần thân và tệp đính kèm', en: 'status packet: body and attachments ignored' });
    const raw = r.complex(elements.messageHeader, STATUS_HEADER, 'edXMLHeader/MessageHeader');
    const status = validate(StatusPacketSchema, raw, { prefix: 'edXMLHeader/MessageHeader', type: STATUS_HEADER }, r.issues);
    return { ...base, kind: 'status', status };
  }

  const raw: Record<string, unknown> = {
    MessageHeader: r.complex(elements.messageHeader, MESSAGE_HEADER, DOCUMENT_TOP.MessageHeader!.path),
  };
  if (elements.traceHeaderList) raw.TraceHeaderList = r.complex(elements.traceHeaderList, TRACE_HEADER_LIST, DOCUMENT_TOP.TraceHeaderList!.path);
  raw.Manifest = elements.manifest ? r.complex(elements.manifest, MANIFEST, DOCUMENT_TOP.Manifest!.path) : { Reference: [] };
  const attachments: unknown[] = [];
  if (elements.attachmentEncoded) {
    const g = r.children(elements.attachmentEncoded, 'AttachmentEncoded');
    r.unknown(g, ['Attachment'], 'AttachmentEncoded');
    (g.get('Attachment') ?? []).forEach((a, i) => attachments.push(r.complex(a, ATTACHMENT, `AttachmentEncoded/Attachment[${i + 1}]`)));
  }
  raw.Attachments = attachments;
  const pkg = validate(EdxmlPackageSchema, raw, DOCUMENT_TOP, r.issues);
  return { ...base, kind: 'document', package: pkg };
}

/** Parses untrusted XML (text or UTF-8 bytes) through the safe parser, or reads an already parsed DOM. */
export function parseEdxml(input: string | Uint8Array | Document, opts: ParseEdxmlOptions & { limits?: XmlLimits } = {}): EdxmlParsed {
  const doc = typeof input === 'string' || input instanceof Uint8Array ? parseXmlSafely(input, opts.limits) : input;
  return parseEdxmlDocument(doc, opts);
}

/** A document package, or EDXML_INVALID if the input is a status packet or invalid. */
export function parseEdxmlPackage(input: string | Uint8Array | Document, opts: ParseEdxmlOptions & { limits?: XmlLimits } = {}): EdxmlPackage {
  const r = parseEdxml(input, opts);
  if (r.kind !== 'document') {
    throw new KysoError('EDXML_INVALID', 'Đây là gói tin trạng thái, không phải gói tin văn bản', 'This is a status packet, not a document package');
  }
  return r.package;
}
