// The one entry point for untrusted XML (edXML packages, signed documents): a document type declaration is
// refused outright (no entity expansion, no external entities: the "billion laughs" and XXE classes of attack
// cannot start), input size and nesting depth are bounded, and every error is a typed KysoError naming where
// the problem is. Pure format mechanics: nothing here knows about signatures.
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { KysoError } from '../errors.ts';

export interface XmlLimits {
  /** Bytes of input (default 64 MiB: packages carry base64 PDFs). */
  maxBytes?: number;
  /** Element nesting depth (default 256). */
  maxDepth?: number;
  /** Number of elements (default 1,000,000). */
  maxElements?: number;
}

const DEFAULTS: Required<XmlLimits> = { maxBytes: 64 * 1024 * 1024, maxDepth: 256, maxElements: 1_000_000 };

export const XML_NS = {
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
} as const;

function malformed(vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('XML_MALFORMED', `Tài liệu XML không hợp lệ: ${vi}`, `Invalid XML: ${en}`, cause ? { cause } : undefined);
}

/** Parses untrusted XML text or bytes (UTF-8) into a DOM, enforcing the limits above. */
export function parseXmlSafely(input: string | Uint8Array, limits: XmlLimits = {}): Document {
  const l = { ...DEFAULTS, ...limits };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > l.maxBytes) throw malformed(`quá lớn (${size} byte, tối đa ${l.maxBytes})`, `too large (${size} bytes, limit ${l.maxBytes})`);
  let text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Refuse any DTD before a parser sees it: @xmldom ignores entity definitions while other parsers expand
  // them, so the only safe and consistent answer is "no DOCTYPE at all" (signature-security.md §2).
  if (/<!DOCTYPE/i.test(text)) {
    throw new KysoError('XML_DOCTYPE', 'Tài liệu XML có khai báo DOCTYPE, không được chấp nhận', 'XML with a DOCTYPE declaration is not accepted');
  }
  if (/<!ENTITY/i.test(text)) throw new KysoError('XML_DOCTYPE', 'Tài liệu XML có khai báo ENTITY', 'XML with an ENTITY declaration is not accepted');
  let doc: Document;
  let first: string | undefined;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level === 'warning') return;
        // xmldom wraps whatever is thrown here; remember the parser's own words for the message.
        first ??= String(msg);
        throw new Error(first);
      },
    }).parseFromString(text, 'application/xml');
  } catch (e) {
    const why = first ?? (e as Error).message;
    throw malformed(why, why, e);
  }
  if (!doc.documentElement) throw malformed('không có phần tử gốc', 'no root element');
  checkShape(doc.documentElement, l);
  return doc;
}

function checkShape(root: Element, l: Required<XmlLimits>): void {
  let count = 0;
  // Iterative walk: a hostile depth must not overflow our own stack either.
  const stack: Array<{ node: Node; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (depth > l.maxDepth) throw malformed(`lồng quá sâu (hơn ${l.maxDepth} cấp) tại <${(node as Element).tagName}>`, `nested deeper than ${l.maxDepth} levels at <${(node as Element).tagName}>`);
    if (++count > l.maxElements) throw malformed(`quá nhiều phần tử (hơn ${l.maxElements})`, `more than ${l.maxElements} elements`);
    for (let c = node.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) stack.push({ node: c, depth: depth + 1 });
  }
}
