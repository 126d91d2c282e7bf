// XMLDSig / XAdES vocabulary shared by the XML signer and verifier: namespaces, algorithm URIs and the
// conversion between the DER ECDSA signatures our Signer returns and the r||s form XMLDSig carries (RFC 4050
// / RFC 6931 §2.3.6). Format mechanics only: nothing here signs or verifies.
import type { Document, Element, Node } from '@xmldom/xmldom';
import type { DigestAlgorithm, SignatureScheme } from '../pki/signer.ts';
import { C14N } from './c14n.ts';

export const NS = {
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xades141: 'http://uri.etsi.org/01903/v1.4.1#',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

export const TRANSFORM = {
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  /** XML-Signature XPath Filter 2.0 (https://www.w3.org/TR/xmldsig-filter2/); only the edXML trace filter below. */
  xpathFilter2: 'http://www.w3.org/2002/06/xmldsig-filter2',
  ...C14N,
} as const;

/** Reference Type of the reference to xades:SignedProperties. */
export const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';

/** Digest algorithms; SHA-1 only to recognise (and refuse by policy) old signatures. */
export type XmlDigest = DigestAlgorithm | 'SHA-1';

export const DIGEST_URI: Record<XmlDigest, string> = {
  'SHA-1': 'http://www.w3.org/2000/09/xmldsig#sha1',
  'SHA-256': 'http://www.w3.org/2001/04/xmlenc#sha256',
  'SHA-384': 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'SHA-512': 'http://www.w3.org/2001/04/xmlenc#sha512',
};

const DIGEST_BY_URI = new Map<string, XmlDigest>(Object.entries(DIGEST_URI).map(([d, u]) => [u, d as XmlDigest]));
export const digestFromUri = (uri: string): XmlDigest | undefined => DIGEST_BY_URI.get(uri);

export interface XmlSignatureMethod {
  scheme: SignatureScheme;
  digest: XmlDigest;
}

const SIG = 'http://www.w3.org/2000/09/xmldsig#';
const MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
const MORE07 = 'http://www.w3.org/2007/05/xmldsig-more#';

const SIGNATURE_METHODS: Record<string, XmlSignatureMethod> = {
  [`${SIG}rsa-sha1`]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-1' },
  [`${MORE}rsa-sha256`]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
  [`${MORE}rsa-sha384`]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-384' },
  [`${MORE}rsa-sha512`]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512' },
  // RFC 6931 §2.3.10: RSASSA-PSS, MGF1 with the same digest, salt length = digest length, trailer 0xBC.
  [`${MORE07}sha1-rsa-MGF1`]: { scheme: 'RSASSA-PSS', digest: 'SHA-1' },
  [`${MORE07}sha256-rsa-MGF1`]: { scheme: 'RSASSA-PSS', digest: 'SHA-256' },
  [`${MORE07}sha384-rsa-MGF1`]: { scheme: 'RSASSA-PSS', digest: 'SHA-384' },
  [`${MORE07}sha512-rsa-MGF1`]: { scheme: 'RSASSA-PSS', digest: 'SHA-512' },
  [`${MORE}ecdsa-sha1`]: { scheme: 'ECDSA', digest: 'SHA-1' },
  [`${MORE}ecdsa-sha256`]: { scheme: 'ECDSA', digest: 'SHA-256' },
  [`${MORE}ecdsa-sha384`]: { scheme: 'ECDSA', digest: 'SHA-384' },
  [`${MORE}ecdsa-sha512`]: { scheme: 'ECDSA', digest: 'SHA-512' },
};

export const signatureMethodFromUri = (uri: string): XmlSignatureMethod | undefined => SIGNATURE_METHODS[uri];

export function signatureMethodUri(scheme: SignatureScheme, digest: XmlDigest): string {
  for (const [uri, m] of Object.entries(SIGNATURE_METHODS)) if (m.scheme === scheme && m.digest === digest) return uri;
  throw new Error(`no XMLDSig signature method for ${scheme}/${digest}`);
}

// ---------------------------------------------------------------------------------------------------------------
// ECDSA signature encodings

function derInteger(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  const pad = body[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}

function derLength(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

/** XMLDSig r||s (two equal halves) → DER Ecdsa-Sig-Value. Throws on an odd length. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 264) throw new Error('ECDSA signature value is not r||s');
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  const len = r.length + s.length;
  return new Uint8Array([0x30, ...derLength(len), ...r, ...s]);
}

/** DER Ecdsa-Sig-Value → r||s, each left-padded to the curve's byte size. */
export function ecdsaDerToRaw(der: Uint8Array, keyBits: number): Uint8Array {
  const size = Math.ceil(keyBits / 8);
  let p = 0;
  const len = (): number => {
    const b = der[p++]!;
    if (b < 0x80) return b;
    let n = 0;
    for (let k = b & 0x7f; k > 0; k--) n = (n << 8) | der[p++]!;
    return n;
  };
  if (der[p++] !== 0x30) throw new Error('ECDSA signature is not a DER SEQUENCE');
  len();
  const ints: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) {
    if (der[p++] !== 0x02) throw new Error('ECDSA signature is not two INTEGERs');
    const n = len();
    let v = der.subarray(p, p + n);
    p += n;
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new Error('ECDSA integer longer than the curve size');
    ints.push(v);
  }
  const out = new Uint8Array(2 * size);
  out.set(ints[0]!, size - ints[0]!.length);
  out.set(ints[1]!, 2 * size - ints[1]!.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Id attributes

/** Attribute names that identify an element for same-document references (XMLDSig, XAdES, SAML habits). */
export const ID_ATTRIBUTES = ['Id', 'ID', 'id'] as const;

export interface IdIndex {
  /** Id value → every element carrying it (in document order). */
  byId: Map<string, Element[]>;
  /** Values carried by more than one element (or twice by one element under different attribute names). */
  duplicates: string[];
}

/** Every Id/ID/id (and xml:id) value of the subtree, in one pass. */
export function indexIds(root: Element): IdIndex {
  const byId = new Map<string, Element[]>();
  const duplicates = new Set<string>();
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      const isId = a.namespaceURI ? a.namespaceURI === 'http://www.w3.org/XML/1998/namespace' && a.localName === 'id' : a.name === 'Id' || a.name === 'ID' || a.name === 'id';
      if (!isId) continue;
      const list = byId.get(a.value);
      if (list) {
        list.push(el);
        duplicates.add(a.value);
      } else byId.set(a.value, [el]);
    }
    for (let c = el.lastChild; c; c = c.previousSibling) if (c.nodeType === 1) stack.push(c);
  }
  return { byId, duplicates: [...duplicates] };
}

// ---------------------------------------------------------------------------------------------------------------
// The edXML routing trace, left out of a package signature
//
// QCVN 102 has every hop (sender, national platform, receiver) append a TraceHeader {OrganId, Timestamp} to
// edXMLHeader/TraceHeaderList of a package that is already signed. A signature over the whole document breaks at
// the first hop, so kyso signs edXML packages and status packets with one more transform on the URI="" Reference,
// after enveloped-signature and before exclusive C14N: an XPath Filter 2.0 "subtract" whose expression selects
//   (a) every TraceHeader child of edXMLHeader/TraceHeaderList, and
//   (b) a TraceHeaderList that has no element child other than TraceHeader (so that a hop can create the list
//       in a packet signed without one, e.g. a status packet).
// Why not the whole TraceHeaderList: it also carries Bussiness (DocumentId, BussinessDocType new/recall/update/
// replace, reason, receivers) — what the package does to the document. That must stay signed: a list holding any
// other element is never removed, so removing, adding or editing its Bussiness changes the signed data.
//
// The expression is absolute (`/edXML:edXML/…`): xmlsec1 1.2.x evaluates XPath Filter 2.0 expressions with no
// context node (only the document), so a relative one selects nothing there; and it registers the namespace
// prefixes declared on the XPath element and its ancestors, so the element declares `edXML` itself.
// Exclusive C14N of SignedInfo leaves that declaration out of what is signed (the prefix is only used in text);
// the verifier therefore accepts no binding other than the document element's own namespace, which is signed.
// Verifiers accept exactly these expressions, one per edXML layout, and evaluate them by the DOM walk below
// (mirroring XPath step by step), never with a general XPath engine.

export const EDXML_TRACE_NAMESPACES: readonly string[] = ['http://www.mic.gov.vn/TBT/QCVN_102_2016', 'http://www.go.vn/eDoc'];

/** The prefix the trace filter's expression uses (declared on its XPath element). */
export const EDXML_TRACE_PREFIX = 'edXML';

/**
 * Element names from the document element down to the element holding MessageHeader and TraceHeaderList:
 * edXML → edXMLEnvelope → edXMLHeader (QCVN 102), the go.vn root envelope with edXMLHeader, and the flattened
 * go.vn form with the header's children directly in the envelope.
 */
const TRACE_HEADER_PATHS: readonly (readonly string[])[] = [
  ['edXML', 'edXMLEnvelope', 'edXMLHeader'],
  ['edXMLEnvelope', 'edXMLHeader'],
  ['EdXMLEnvelope', 'edXMLHeader'],
  ['edXMLEnvelope'],
  ['EdXMLEnvelope'],
];

/** Where the trace lives in one document: the namespace and the header path (one of TRACE_HEADER_PATHS). */
export interface EdxmlTraceLayout {
  namespace: string;
  headerPath: readonly string[];
}

/** The XPath Filter 2.0 expression of a layout (see the section comment). */
export function edxmlTraceXPath(headerPath: readonly string[]): string {
  const p = EDXML_TRACE_PREFIX;
  const header = headerPath.map((n) => `/${p}:${n}`).join('');
  return `${header}/${p}:TraceHeaderList[not(*[not(self::${p}:TraceHeader)])] | ${header}/${p}:TraceHeaderList/${p}:TraceHeader`;
}

const TRACE_XPATHS = new Map<string, readonly string[]>(TRACE_HEADER_PATHS.map((path) => [edxmlTraceXPath(path), path]));

/** The header path whose expression `expr` is exactly (surrounding white space aside), else undefined. */
export const edxmlTraceHeaderPathOf = (expr: string): readonly string[] | undefined => TRACE_XPATHS.get(expr.trim());

const elementChildren = (el: Element, ns?: string, local?: string): Element[] => {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1) continue;
    const e = c as Element;
    if (ns === undefined || (e.namespaceURI === ns && e.localName === local)) out.push(e);
  }
  return out;
};

/** Every element the header path selects (XPath: all matches at each step, not the first). */
function headersOf(doc: Document, layout: EdxmlTraceLayout): Element[] {
  const root = doc.documentElement;
  const [first, ...rest] = layout.headerPath;
  if (!root || root.namespaceURI !== layout.namespace || root.localName !== first) return [];
  let level: Element[] = [root];
  for (const name of rest) level = level.flatMap((e) => elementChildren(e, layout.namespace, name));
  return level;
}

/**
 * The layout of an edXML package or status packet for signing with the trace filter (the first header path the
 * document has), or undefined for any other XML.
 */
export function edxmlTraceLayout(doc: Document): EdxmlTraceLayout | undefined {
  const ns = doc.documentElement?.namespaceURI ?? '';
  if (!EDXML_TRACE_NAMESPACES.includes(ns)) return undefined;
  for (const headerPath of TRACE_HEADER_PATHS) {
    const layout = { namespace: ns, headerPath };
    if (headersOf(doc, layout).length) return layout;
  }
  return undefined;
}

/**
 * The subtrees the trace filter subtracts from `doc`: a TraceHeaderList whose element children are all
 * TraceHeader (the list as a whole), else each TraceHeader child of the list. Evaluated exactly as the XPath
 * expression of edxmlTraceXPath(layout.headerPath) with `edXML` bound to layout.namespace.
 */
export function edxmlTraceSubtrees(doc: Document, layout: EdxmlTraceLayout): Element[] {
  const ns = layout.namespace;
  const out: Element[] = [];
  for (const header of headersOf(doc, layout)) {
    for (const list of elementChildren(header, ns, 'TraceHeaderList')) {
      const children = elementChildren(list);
      const isTrace = (e: Element): boolean => e.namespaceURI === ns && e.localName === 'TraceHeader';
      if (children.every(isTrace)) out.push(list);
      else out.push(...children.filter(isTrace));
    }
  }
  return out;
}

/**
 * Every subtree a trace filter could subtract from `doc`, over all accepted layouts: where no signature may sit
 * (a ds:Signature inside unsigned routing data would ride along with a package it does not belong to).
 */
export function edxmlTraceRegions(doc: Document): Element[] {
  const ns = doc.documentElement?.namespaceURI ?? '';
  if (!EDXML_TRACE_NAMESPACES.includes(ns)) return [];
  return TRACE_HEADER_PATHS.flatMap((headerPath) => edxmlTraceSubtrees(doc, { namespace: ns, headerPath }));
}
