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
import type { Document, Element, Node } from '@xmldom/xmldom';
import { KysoError } from '../../errors.ts';
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
 * The package with one more TraceHeader: after the last TraceHeader of edXMLHeader/TraceHeaderList (a new list
 * right after MessageHeader when there is none, e.g. in a status packet). Every other byte is unchanged.
 * Throws EDXML_INVALID for an invalid agency identifier or a packet whose header or trace cannot be read,
 * XML_MALFORMED / XML_DOCTYPE for unreadable XML.
 */
export function appendTraceHeader(packageBytes: Uint8Array, hop: TraceHop): Uint8Array {
  const organId = assertAgencyId(hop.organId);
  const timestamp = formatEdxmlTimestamp(hop.at);
  const doc = parseXmlSafely(packageBytes);
  const e = locateEdxml(doc.documentElement!);
  const ns = e.root.namespaceURI!;
  readTrace(e); // refuse to extend a trace that does not read back

  const entry = (prefix: string | null): string => {
    const q = prefix ? `${prefix}:` : '';
    return `<${q}TraceHeader><${q}OrganId>${organId}</${q}OrganId><${q}Timestamp>${timestamp}</${q}Timestamp></${q}TraceHeader>`;
  };
  const text = Buffer.from(packageBytes.buffer, packageBytes.byteOffset, packageBytes.byteLength).toString('utf8');
  let at: number;
  let insert: string;
  let replace = 0; // characters of `text` the insertion replaces (an empty-element tag `<x/>` → `<x>…</x>`)
  const list = e.traceHeaderList;
  if (list) {
    const last = childElements(list).filter((c) => isIn(c, ns, 'TraceHeader')).at(-1);
    if (last) {
      at = spanOf(text, doc, last).end;
      insert = entry(list.prefix);
    } else {
      const s = spanOf(text, doc, list);
      if (s.empty) {
        // `<p:TraceHeaderList/>` — a list holding no element at all is subtracted by the trace filter as a whole.
        at = s.start;
        replace = s.end - s.start;
        insert = `${text.slice(s.start, s.openEnd - 2).replace(/\s+$/, '')}>${entry(list.prefix)}</${list.tagName}>`;
      } else {
        at = s.openEnd;
        insert = entry(list.prefix);
      }
    }
  } else {
    // A new list directly after MessageHeader (QCVN 102 order: MessageHeader, TraceHeaderList, Signature), in the
    // header's own prefix, which is in scope there.
    at = spanOf(text, doc, e.messageHeader).end;
    const q = e.header.prefix ? `${e.header.prefix}:` : '';
    insert = `<${q}TraceHeaderList>${entry(e.header.prefix)}</${q}TraceHeaderList>`;
  }
  const before = Buffer.byteLength(text.slice(0, at), 'utf8');
  const after = before + Buffer.byteLength(text.slice(at, at + replace), 'utf8');
  return new Uint8Array(Buffer.concat([packageBytes.subarray(0, before), Buffer.from(insert, 'utf8'), packageBytes.subarray(after)]));
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

interface Span {
  /** Offset of `<` of the start tag. */
  start: number;
  /** Offset just after the start tag's `>`. */
  openEnd: number;
  /** Offset just after the end tag's `>` (= openEnd for an empty-element tag). */
  end: number;
  empty: boolean;
}

/** Position of `el` among the document's elements in document order (0 = the document element). */
function documentOrder(doc: Document, el: Element): number {
  let i = 0;
  const stack: Node[] = [doc.documentElement!];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === el) return i;
    i++;
    for (let c = n.lastChild; c; c = c.previousSibling) if (c.nodeType === 1) stack.push(c);
  }
  throw invalid('phần tử không thuộc tài liệu', 'element not in the document');
}

/**
 * The text span of `el`: a lexical scan of `text` (already known to be well-formed: it parsed) over comments,
 * CDATA, processing instructions and tags (quoted attribute values may hold `>`), counting start tags in document
 * order as the DOM does.
 */
function spanOf(text: string, doc: Document, el: Element): Span {
  const index = documentOrder(doc, el);
  const fail = (): never => {
    throw new KysoError('XML_MALFORMED', 'Không xác định được vị trí phần tử trong tài liệu', 'Cannot locate the element in the document text');
  };
  let pos = 0;
  let count = -1;
  const open: { index: number; start: number; openEnd: number }[] = [];
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) return fail();
    const next = text.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) pos = text.indexOf('-->', lt + 4) + 3;
      else if (text.startsWith('<![CDATA[', lt)) pos = text.indexOf(']]>', lt + 9) + 3;
      else return fail(); // DOCTYPE: refused by the parser already
      if (pos < 3) return fail();
    } else if (next === 0x3f /* ? */) {
      pos = text.indexOf('?>', lt + 2) + 2;
      if (pos < 2) return fail();
    } else if (next === 0x2f /* / */) {
      const gt = text.indexOf('>', lt);
      if (gt < 0) return fail();
      const o = open.pop();
      if (!o) return fail();
      if (o.index === index) return { start: o.start, openEnd: o.openEnd, end: gt + 1, empty: false };
      pos = gt + 1;
    } else {
      let i = lt + 1;
      for (; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 0x3e /* > */) break;
        if (ch === 0x22 || ch === 0x27) {
          i = text.indexOf(ch === 0x22 ? '"' : "'", i + 1);
          if (i < 0) return fail();
        }
      }
      if (i >= text.length) return fail();
      count++;
      const empty = text.charCodeAt(i - 1) === 0x2f;
      if (empty) {
        if (count === index) return { start: lt, openEnd: i + 1, end: i + 1, empty: true };
      } else open.push({ index: count, start: lt, openEnd: i + 1 });
      pos = i + 1;
    }
  }
}
