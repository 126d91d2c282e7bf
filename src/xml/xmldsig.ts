// XMLDSig / XAdES vocabulary shared by the XML signer and verifier: namespaces, algorithm URIs and the
// conversion between the DER ECDSA signatures our Signer returns and the r||s form XMLDSig carries (RFC 4050
// / RFC 6931 §2.3.6). Format mechanics only: nothing here signs or verifies.
import type { Element, Node } from '@xmldom/xmldom';
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
