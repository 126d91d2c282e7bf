// XML canonicalization over the @xmldom DOM: Canonical XML 1.0 and 1.1 (inclusive) and Exclusive XML
// Canonicalization 1.0, each with or without comments, for the node-sets XML signatures actually use: a whole
// document or one element's subtree, optionally minus some subtrees (the enveloped-signature transform removes
// the ds:Signature; an XPath Filter 2.0 "subtract" transform removes the subtrees its expression selects — the
// caller evaluates the expression, this module only leaves the given subtrees out).
// Pure format mechanics: no crypto, no signature semantics.
//
// Why our own (and not xmldsigjs/xml-crypto): canonicalization is the hot path of XML signing and verification
// and it is small; this walks the DOM once, writes one string and is checked byte for byte against xmlsec1
// (libxml2's canonicalizer) in test/xml/c14n.test.ts.
//
// Specs: https://www.w3.org/TR/xml-c14n (1.0), https://www.w3.org/TR/xml-c14n11 (1.1),
// https://www.w3.org/TR/xml-exc-c14n (exclusive).
import type { Attr, Document, Element, Node } from '@xmldom/xmldom';
import { KysoError } from '../errors.ts';

export const C14N = {
  c14n10: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  c14n10WithComments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  c14n11: 'http://www.w3.org/2006/12/xml-c14n11',
  c14n11WithComments: 'http://www.w3.org/2006/12/xml-c14n11#WithComments',
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  exclusiveWithComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
} as const;

export type C14nMethod = (typeof C14N)[keyof typeof C14N];

const METHODS: ReadonlySet<string> = new Set(Object.values(C14N));

export const isC14nMethod = (uri: string): uri is C14nMethod => METHODS.has(uri);

export interface C14nOptions {
  method: C14nMethod;
  /**
   * Keep comments. Default: whether `method` is a #WithComments variant. XMLDSig same-document references
   * (URI="" and URI="#id") remove comments before the transform whatever its variant: pass false there.
   */
  comments?: boolean;
  /** Exclusive only: the InclusiveNamespaces PrefixList ("#default" for the default namespace). */
  inclusivePrefixes?: readonly string[];
  /**
   * Subtrees left out of the node-set: the enveloped-signature transform's ds:Signature element, plus the apexes
   * an XPath Filter 2.0 subtract transform selected (a subtree's element, attributes, namespaces and descendants
   * all go; the text around it stays).
   */
  exclude?: Node | readonly Node[] | null;
}

const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';
const NS_XML = 'http://www.w3.org/XML/1998/namespace';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;
const DOCUMENT = 9;

/** prefix ('' for the default namespace) → namespace URI ('' for none). */
type NsMap = Map<string, string>;

interface Ctx {
  exclusive: boolean;
  v11: boolean;
  comments: boolean;
  inclusive: ReadonlySet<string>;
  /** The one excluded subtree (the common case: a single identity comparison per node)… */
  exclude: Node | null;
  /** …or several, looked up in a set. */
  excludeSet: ReadonlySet<Node> | null;
}

const excluded = (ctx: Ctx, n: Node): boolean => n === ctx.exclude || (ctx.excludeSet !== null && ctx.excludeSet.has(n));

function unsupported(en: string, vi: string): KysoError {
  return new KysoError('XML_MALFORMED', `Không chuẩn hóa được XML: ${vi}`, `Cannot canonicalize the XML: ${en}`);
}

/** Where canonical text goes: an array of parts, or a buffered writer. */
interface Sink {
  push(...parts: string[]): unknown;
}

/** Canonical form of a document or of one element's subtree, as a string (encode it as UTF-8). */
export function canonicalize(node: Document | Element, opts: C14nOptions): string {
  const out: string[] = [];
  render(node, opts, out);
  return out.join('');
}

/**
 * The canonical form in chunks of about `chunkChars` characters (for hashing large documents without holding
 * their whole canonical form in memory).
 */
export function canonicalizeTo(node: Document | Element, opts: C14nOptions, write: (chunk: string) => void, chunkChars = 65536): void {
  let buffered = '';
  const sink: Sink = {
    push(...parts: string[]) {
      for (const p of parts) buffered += p;
      if (buffered.length >= chunkChars) {
        write(buffered);
        buffered = '';
      }
    },
  };
  render(node, opts, sink);
  if (buffered) write(buffered);
}

function render(node: Document | Element, opts: C14nOptions, out: Sink): void {
  const m = opts.method;
  if (!isC14nMethod(m)) throw unsupported(`unknown canonicalization method ${String(m)}`, `phương pháp chuẩn hóa không hỗ trợ ${String(m)}`);
  const ctx: Ctx = {
    exclusive: m === C14N.exclusive || m === C14N.exclusiveWithComments,
    v11: m === C14N.c14n11 || m === C14N.c14n11WithComments,
    comments: opts.comments ?? m.endsWith('#WithComments'),
    inclusive: new Set((opts.inclusivePrefixes ?? []).map((p) => (p === '#default' ? '' : p))),
    exclude: null,
    excludeSet: null,
  };
  const ex = opts.exclude;
  if (Array.isArray(ex)) {
    if (ex.length === 1) ctx.exclude = ex[0]!;
    else if (ex.length > 1) ctx.excludeSet = new Set(ex);
  } else ctx.exclude = (ex as Node | null | undefined) ?? null;
  if (node.nodeType === DOCUMENT) {
    const doc = node as Document;
    let afterRoot = false;
    for (let c = doc.firstChild; c; c = c.nextSibling) {
      if (excluded(ctx, c)) continue;
      if (c.nodeType === ELEMENT) {
        renderElement(c as Element, new Map(), new Map(), undefined, ctx, out);
        afterRoot = true;
      } else if (c.nodeType === COMMENT || (c.nodeType === PI && (c as unknown as { target: string }).target !== 'xml')) {
        if (c.nodeType === COMMENT && !ctx.comments) continue;
        // Nodes outside the document element: a line feed separates them from it (C14N §2.1).
        if (afterRoot) out.push('\n');
        renderLeaf(c, out);
        if (!afterRoot) out.push('\n');
      }
      // Text outside the root (whitespace) and the XML declaration are not part of the data model.
    }
    return;
  }
  if (node.nodeType !== ELEMENT) throw unsupported('only a document or an element can be canonicalized', 'chỉ chuẩn hóa được tài liệu hoặc phần tử');
  const el = node as Element;
  if (excluded(ctx, el)) return;
  // A subtree: the apex element's ancestors are outside the node-set. Inclusive canonicalization renders every
  // namespace in scope and (1.0: all, 1.1: xml:lang and xml:space) inherited xml:* attributes on the apex.
  const inScope: NsMap = new Map();
  let inherited: Attr[] | undefined;
  const ancestors: Element[] = [];
  for (let p = el.parentNode; p && p.nodeType === ELEMENT; p = p.parentNode) ancestors.push(p as Element);
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    const attrs = a.attributes;
    for (let j = 0; j < attrs.length; j++) {
      const at = attrs.item(j)!;
      if (at.namespaceURI === NS_XMLNS) declare(inScope, at);
    }
  }
  if (!ctx.exclusive) {
    const byName = new Map<string, Attr>();
    for (const a of ancestors) {
      const attrs = a.attributes;
      for (let j = 0; j < attrs.length; j++) {
        const at = attrs.item(j)!;
        if (at.namespaceURI !== NS_XML) continue;
        if (ctx.v11) {
          if (at.localName === 'base') throw unsupported('xml:base inherited by a canonicalized subtree (C14N 1.1 fix-up)', 'xml:base kế thừa trong cây con (C14N 1.1)');
          if (at.localName !== 'lang' && at.localName !== 'space') continue;
        }
        if (!byName.has(at.localName!) && !el.hasAttributeNS(NS_XML, at.localName!)) byName.set(at.localName!, at);
      }
    }
    if (byName.size) inherited = [...byName.values()];
  }
  renderElement(el, inScope, new Map(), inherited, ctx, out);
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function declare(map: NsMap, at: Attr): void {
  const prefix = at.prefix === 'xmlns' ? at.localName! : '';
  if (prefix === 'xml') return;
  // C14N 1.0 §2.4 (and libxml2): relative namespace URIs make canonicalization fail.
  if (at.value !== '' && !ABSOLUTE_URI.test(at.value)) {
    throw unsupported(`relative namespace URI "${at.value}"`, `URI không gian tên tương đối "${at.value}"`);
  }
  map.set(prefix, at.value);
}

function renderLeaf(c: Node, out: Sink): void {
  if (c.nodeType === COMMENT) {
    out.push('<!--', (c as unknown as { data: string }).data, '-->');
  } else {
    const pi = c as unknown as { target: string; data: string };
    out.push('<?', pi.target, pi.data ? ' ' + pi.data : '', '?>');
  }
}

/** Code point order (attribute sorting); differs from UTF-16 order only around surrogates. */
function compare(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function renderElement(el: Element, parentScope: NsMap, rendered: NsMap, inherited: Attr[] | undefined, ctx: Ctx, out: Sink): void {
  const attrs = el.attributes;
  let scope = parentScope;
  const plain: Attr[] = [];
  for (let i = 0; i < attrs.length; i++) {
    const at = attrs.item(i)!;
    if (at.namespaceURI === NS_XMLNS) {
      if (scope === parentScope) scope = new Map(parentScope);
      declare(scope, at);
    } else plain.push(at);
  }
  if (inherited) plain.push(...inherited);

  // Namespace nodes to render: [prefix, uri].
  const ns: [string, string][] = [];
  if (ctx.exclusive) {
    // Visibly utilized: the element's own prefix (or the default namespace) and its attributes' prefixes;
    // plus the InclusiveNamespaces PrefixList, treated as in inclusive canonicalization.
    const used = new Map<string, string>();
    for (const p of ctx.inclusive) {
      const uri = scope.get(p);
      if (uri !== undefined) used.set(p, uri);
    }
    used.set(el.prefix ?? '', el.namespaceURI ?? '');
    for (const at of plain) if (at.prefix && at.prefix !== 'xml') used.set(at.prefix, at.namespaceURI ?? '');
    for (const [p, uri] of used) if ((rendered.get(p) ?? '') !== uri) ns.push([p, uri]);
  } else {
    for (const [p, uri] of scope) {
      if (p !== '' && uri === '') continue; // an undeclared prefix has no namespace node
      if ((rendered.get(p) ?? '') !== uri) ns.push([p, uri]);
    }
    if ((rendered.get('') ?? '') !== '' && !scope.get('')) {
      if (!ns.some(([p]) => p === '')) ns.push(['', '']);
    }
  }
  let childRendered = rendered;
  if (ns.length) {
    childRendered = new Map(rendered);
    for (const [p, uri] of ns) childRendered.set(p, uri);
    if (ns.length > 1) ns.sort((a, b) => compare(a[0], b[0]));
  }
  if (plain.length > 1) {
    plain.sort((a, b) => compare(a.namespaceURI ?? '', b.namespaceURI ?? '') || compare(a.localName ?? a.name, b.localName ?? b.name));
  }

  const name = el.tagName;
  let tag = '<' + name;
  for (const [p, uri] of ns) tag += (p ? ' xmlns:' + p : ' xmlns') + '="' + escapeAttr(uri) + '"';
  for (const at of plain) tag += ' ' + at.name + '="' + escapeAttr(at.value) + '"';
  out.push(tag + '>');

  for (let c = el.firstChild; c; c = c.nextSibling) {
    switch (c.nodeType) {
      case ELEMENT:
        if (!excluded(ctx, c)) renderElement(c as Element, scope, childRendered, undefined, ctx, out);
        break;
      case TEXT:
      case CDATA:
        out.push(escapeText((c as unknown as { data: string }).data));
        break;
      case COMMENT:
        if (ctx.comments && !excluded(ctx, c)) renderLeaf(c, out);
        break;
      case PI:
        if (!excluded(ctx, c)) renderLeaf(c, out);
        break;
      default:
        // Entity references cannot occur: DTDs are refused before parsing (safe-parser.ts).
        throw unsupported(`unexpected node type ${c.nodeType}`, `loại nút không mong đợi ${c.nodeType}`);
    }
  }
  out.push('</' + name + '>');
}

const TEXT_RE = /[&<>\r]/;
const ATTR_RE = /[&<"\t\n\r]/;

export function escapeText(s: string): string {
  if (!TEXT_RE.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

export function escapeAttr(s: string): string {
  if (!ATTR_RE.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}
