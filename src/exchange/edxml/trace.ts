// The routing trace of edXML packets (QCVN 102): every hop — sender, national platform, receiver — appends a
// TraceHeader {OrganId, Timestamp `yyyy/MM/dd HH:mm:ss` Vietnam time} to edXMLHeader/TraceHeaderList of a package
// that is already signed. kyso signs edXML minus those TraceHeader elements (an XPath Filter 2.0 subtract
// transform, src/xml/xmldsig.ts), so appending one keeps the signature valid — provided nothing else moves:
// appendTraceHeader splices the new element into the bytes as received (no re-serialization, no added white
// space: text next to a TraceHeader is signed) and every other byte stays as it was.
//
// The trace is unsigned routing data: who says they handled the packet and when. Never take it as proof of
// anything; the package's own content and signature are what the receiver trusts. A package signed without the
// trace filter (by kyso before it existed, or by another signer) covers its TraceHeaders: appending one breaks
// that signature, as it always did.
import type { Document, Element } from '@xmldom/xmldom';
import { KysoError } from '../../errors.ts';
import { elementOrdinal, elementSpan, expandEmptyElement, type ElementSpan } from '../../xml/element-span.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { assertAgencyId, formatEdxmlTimestamp, parseEdxmlTimestamp } from './identifiers.ts';
import { TraceHeaderSchema, type TraceHeader } from './model.ts';
import { locateEdxml, type EdxmlElements } from './parse.ts';
import { childElements, leafText, strayText, xmlTrim } from './wire.ts';

export interface TraceHop {
  /** The agency handling the packet at this hop (mã định danh). */
  organId: string;
  /** When; written as Vietnam time `yyyy/MM/dd HH:mm:ss` (whole seconds). */
  at: Date;
}

const invalid = (vi: string, en: string): KysoError => new KysoError('EDXML_INVALID', `Vết chuyển edXML không hợp lệ: ${vi}`, `Invalid edXML routing trace: ${en}`);

const isIn = (el: Element, ns: string, local: string): boolean => el.namespaceURI === ns && el.localName === local;

/**
 * Where the next TraceHeader goes in a package's bytes, worked out once from its parsed DOM: bytes [0, before)
 * stay, then `head`, the TraceHeader (in `prefix`), `tail`, then bytes [after, end). Plain data, so the thread
 * that verified a package (and so parsed it) can hand it over and the receipt need not parse the package again.
 */
export interface TraceSplice {
  before: number;
  after: number;
  head: string;
  tail: string;
  prefix: string | null;
}

/**
 * The splice point for the next TraceHeader: after the last TraceHeader of edXMLHeader/TraceHeaderList (a new list
 * right after MessageHeader when there is none, e.g. in a status packet). `doc` must be `packageBytes` parsed.
 * Throws EDXML_INVALID for a packet whose header or trace cannot be read.
 */
export function traceSplice(packageBytes: Uint8Array, doc: Document): TraceSplice {
  const e = locateEdxml(doc.documentElement!);
  const ns = e.root.namespaceURI!;
  readTrace(e); // refuse to extend a trace that does not read back
  const text = Buffer.from(packageBytes.buffer, packageBytes.byteOffset, packageBytes.byteLength).toString('utf8');
  let at: number;
  let replace = 0; // characters of `text` the insertion replaces (an empty-element tag `<x/>` → `<x>…</x>`)
  let head = '';
  let tail = '';
  let prefix: string | null;
  const list = e.traceHeaderList;
  if (list) {
    prefix = list.prefix;
    const last = childElements(list).filter((c) => isIn(c, ns, 'TraceHeader')).at(-1);
    if (last) {
      at = spanOf(text, doc, last).end;
    } else {
      const s = spanOf(text, doc, list);
      if (s.empty) {
        // `<p:TraceHeaderList/>` — a list holding no element at all is subtracted by the trace filter as a whole.
        at = s.start;
        replace = s.end - s.start;
        const MARK = '\u0000';
        [head, tail] = expandEmptyElement(text, s, MARK).split(MARK) as [string, string];
      } else {
        at = s.openEnd;
      }
    }
  } else {
    // A new list directly after MessageHeader (QCVN 102 order: MessageHeader, TraceHeaderList, Signature), in the
    // header's own prefix, which is in scope there.
    at = spanOf(text, doc, e.messageHeader).end;
    prefix = e.header.prefix;
    const q = prefix ? `${prefix}:` : '';
    head = `<${q}TraceHeaderList>`;
    tail = `</${q}TraceHeaderList>`;
  }
  const before = Buffer.byteLength(text.slice(0, at), 'utf8');
  return { before, after: before + Buffer.byteLength(text.slice(at, at + replace), 'utf8'), head, tail, prefix };
}

/** The package with one more TraceHeader at `splice` (from traceSplice of these very bytes). No parsing. */
export function applyTraceSplice(packageBytes: Uint8Array, splice: TraceSplice, hop: TraceHop): Uint8Array {
  const organId = assertAgencyId(hop.organId);
  const timestamp = formatEdxmlTimestamp(hop.at);
  const q = splice.prefix ? `${splice.prefix}:` : '';
  const insert = `${splice.head}<${q}TraceHeader><${q}OrganId>${organId}</${q}OrganId><${q}Timestamp>${timestamp}</${q}Timestamp></${q}TraceHeader>${splice.tail}`;
  return new Uint8Array(Buffer.concat([packageBytes.subarray(0, splice.before), Buffer.from(insert, 'utf8'), packageBytes.subarray(splice.after)]));
}

/**
 * The package with one more TraceHeader: after the last TraceHeader of edXMLHeader/TraceHeaderList (a new list
 * right after MessageHeader when there is none, e.g. in a status packet). Every other byte is unchanged.
 * Throws EDXML_INVALID for an invalid agency identifier or a packet whose header or trace cannot be read,
 * XML_MALFORMED / XML_DOCTYPE for unreadable XML.
 */
export function appendTraceHeader(packageBytes: Uint8Array, hop: TraceHop): Uint8Array {
  assertAgencyId(hop.organId);
  return applyTraceSplice(packageBytes, traceSplice(packageBytes, parseXmlSafely(packageBytes)), hop);
}

/**
 * The TraceHeaders of a package or status packet, in document order (empty when it has no TraceHeaderList).
 * Read strictly, as the unsigned part it is: the list holds only TraceHeader (and a document's Bussiness), each
 * TraceHeader exactly one valid OrganId and one Timestamp; anything else throws EDXML_INVALID.
 */
export function readTraceHeaders(input: Uint8Array | string | Document): TraceHeader[] {
  const doc = typeof input === 'string' || input instanceof Uint8Array ? parseXmlSafely(input) : input;
  return readTrace(locateEdxml(doc.documentElement!));
}

function readTrace(e: EdxmlElements): TraceHeader[] {
  const list = e.traceHeaderList;
  if (!list) return [];
  const ns = e.root.namespaceURI!;
  if (strayText(list) !== undefined) throw invalid('TraceHeaderList chứa văn bản', 'TraceHeaderList holds text');
  const out: TraceHeader[] = [];
  for (const c of childElements(list)) {
    if (isIn(c, ns, 'Bussiness')) continue;
    const n = out.length + 1;
    if (!isIn(c, ns, 'TraceHeader')) throw invalid(`phần tử <${c.tagName}> trong TraceHeaderList`, `element <${c.tagName}> in TraceHeaderList`);
    if (strayText(c) !== undefined) throw invalid(`TraceHeader ${n} chứa văn bản`, `TraceHeader ${n} holds text`);
    const fields = new Map<string, string>();
    for (const f of childElements(c)) {
      const name = f.localName ?? '';
      if (f.namespaceURI !== ns || (name !== 'OrganId' && name !== 'Timestamp') || fields.has(name)) {
        throw invalid(`phần tử <${f.tagName}> không được phép hoặc lặp lại trong TraceHeader ${n}`, `element <${f.tagName}> not allowed or repeated in TraceHeader ${n}`);
      }
      const { text, child } = leafText(f);
      if (child) throw invalid(`${name} của TraceHeader ${n} chứa phần tử con`, `${name} of TraceHeader ${n} holds a child element`);
      fields.set(name, xmlTrim(text));
    }
    let at: Date;
    try {
      at = parseEdxmlTimestamp(fields.get('Timestamp') ?? '');
    } catch {
      throw invalid(`Timestamp của TraceHeader ${n} thiếu hoặc sai định dạng yyyy/MM/dd HH:mm:ss`, `Timestamp of TraceHeader ${n} missing or not yyyy/MM/dd HH:mm:ss`);
    }
    const r = TraceHeaderSchema.safeParse({ OrganId: fields.get('OrganId'), Timestamp: at });
    if (!r.success) throw invalid(`OrganId của TraceHeader ${n} thiếu hoặc không hợp lệ`, `OrganId of TraceHeader ${n} missing or invalid`);
    out.push(r.data);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Where an element of the parsed DOM is in the text it was parsed from

function spanOf(text: string, doc: Document, el: Element): ElementSpan {
  const ordinal = elementOrdinal(doc, el);
  if (ordinal < 0) throw invalid('phần tử không thuộc tài liệu', 'element not in the document');
  const span = elementSpan(text, ordinal);
  if (!span) throw new KysoError('XML_MALFORMED', 'Không xác định được vị trí phần tử trong tài liệu', 'Cannot locate the element in the document text');
  return span;
}
