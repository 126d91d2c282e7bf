// A typed, read-only view of a CMS ContentInfo(SignedData) (RFC 5652) for verification: signer identifier,
// signed attributes exactly as encoded in the file, ESS signing-certificate references, signature algorithm,
// timestamp tokens and embedded validation data (Adobe revocation archival, CAdES revocation/certificate values).
//
// Pure: no I/O. It walks the BER/DER with a small strict reader instead of asn1js/pkijs: asn1js needs ~2.5 ms
// to decode a 5 KB signature while the rest of a cached validation is well under a millisecond, and walking
// offsets gives the original bytes of every piece for free (signed attributes, certificates) — nothing that
// a signature or a hash covers is ever re-encoded. pkijs stays the tool for certificates, OCSP and CRLs
// (src/pki/certificate.ts, ocsp-client.ts, crl-client.ts).

import { createHash, constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { CmsOid, DigestOid, SignatureOid } from '../oids.ts';

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Why a CMS (or a piece of one) could not be read. Always this type: never a raw TypeError/RangeError. */
export class CmsParseError extends KysoError {
  constructor(
    vi: string,
    en: string,
    /** Where in the structure, e.g. "SignedData.signerInfos". */
    readonly where?: string,
  ) {
    super('INVALID_ARGUMENT', `CMS không hợp lệ: ${vi}`, `Malformed CMS: ${en}${where ? ` (${where})` : ''}`);
    this.name = 'CmsParseError';
  }
}

const bad = (vi: string, en: string, where?: string): CmsParseError => new CmsParseError(vi, en, where);

// ---------------------------------------------------------------------------------------------------------------
// BER/DER reader

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;

/** One TLV: offsets into the buffer it was read from. For indefinite lengths, `end` includes the end-of-contents. */
export interface Tlv {
  cls: number;
  constructed: boolean;
  tagNumber: number;
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
  indefinite: boolean;
}

const MAX_DEPTH = 64;

/** Reads the TLV at `pos` (BER: definite and indefinite lengths, high tag numbers). Throws CmsParseError. */
export function readTlv(buf: Uint8Array, pos: number, limit: number = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw bad('cấu trúc lồng quá sâu', 'nesting too deep');
  let p = pos;
  if (p >= limit) throw bad('dữ liệu bị cắt cụt', 'truncated data');
  const first = buf[p++]!;
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    let b: number;
    let n = 0;
    do {
      if (p >= limit || ++n > 4) throw bad('thẻ ASN.1 không hợp lệ', 'invalid ASN.1 tag');
      b = buf[p++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
    } while (b & 0x80);
  }
  if (p >= limit) throw bad('dữ liệu bị cắt cụt', 'truncated data');
  const l0 = buf[p++]!;
  if (l0 === 0x80) {
    if (!constructed) throw bad('độ dài không xác định cho kiểu nguyên thủy', 'indefinite length on a primitive');
    const contentStart = p;
    let q = p;
    for (;;) {
      if (q + 1 >= limit) throw bad('thiếu dấu kết thúc nội dung', 'missing end-of-contents');
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = readTlv(buf, q, limit, depth + 1).end;
    }
    return { cls, constructed, tagNumber, start: pos, contentStart, contentEnd: q, end: q + 2, indefinite: true };
  }
  let len = l0;
  if (l0 & 0x80) {
    const n = l0 & 0x7f;
    if (n > 4) throw bad('độ dài quá lớn', 'length too large');
    len = 0;
    for (let i = 0; i < n; i++) {
      if (p >= limit) throw bad('dữ liệu bị cắt cụt', 'truncated data');
      len = len * 256 + buf[p++]!;
    }
  }
  const contentEnd = p + len;
  if (contentEnd > limit) throw bad('dữ liệu bị cắt cụt', 'truncated data');
  return { cls, constructed, tagNumber, start: pos, contentStart: p, contentEnd, end: contentEnd, indefinite: false };
}

/** The elements inside a constructed TLV. */
export function childrenOf(buf: Uint8Array, t: Tlv): Tlv[] {
  if (!t.constructed) throw bad('cần kiểu cấu trúc', 'expected a constructed value');
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.contentEnd; ) {
    const c = readTlv(buf, p, t.contentEnd);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Universal tag numbers used here. */
const U = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  ENUMERATED: 10,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  UniversalString: 28,
  BMPString: 30,
} as const;

const isUniversal = (t: Tlv, n: number): boolean => t.cls === 0 && t.tagNumber === n;
const isContext = (t: Tlv, n: number): boolean => t.cls === 2 && t.tagNumber === n;

function expectU(t: Tlv | undefined, n: number, what: string): Tlv {
  if (!t || !isUniversal(t, n)) throw bad(`${what} không đúng kiểu`, `${what} has the wrong type`, what);
  return t;
}

export const tlvBytes = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.start, t.end);
export const contentBytes = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.contentStart, t.contentEnd);

/** OCTET STRING / BIT STRING contents; constructed (BER) strings have their segments joined. */
export function stringContent(buf: Uint8Array, t: Tlv): Uint8Array {
  if (!t.constructed) return contentBytes(buf, t);
  const parts = childrenOf(buf, t).map((c) => stringContent(buf, c));
  return new Uint8Array(Buffer.concat(parts));
}

export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw bad('OID rỗng', 'empty OID');
  const arcs: string[] = [];
  let v = 0;
  let first = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw bad('OID quá lớn', 'OID arc too large');
    if (b & 0x80) continue;
    if (first) {
      const top = v < 40 ? 0 : v < 80 ? 1 : 2;
      arcs.push(String(top), String(v - top * 40));
      first = false;
    } else arcs.push(String(v));
    v = 0;
  }
  if (bytes[bytes.length - 1]! & 0x80) throw bad('OID bị cắt cụt', 'truncated OID');
  return arcs.join('.');
}

const oidOf = (buf: Uint8Array, t: Tlv | undefined, what: string): string => decodeOid(contentBytes(buf, expectU(t, U.OID, what)));

/** A small non-negative INTEGER (versions, salt lengths). */
function smallInt(buf: Uint8Array, t: Tlv | undefined, what: string): number {
  const b = contentBytes(buf, expectU(t, U.INTEGER, what));
  if (b.length === 0 || b.length > 6 || b[0]! & 0x80) throw bad(`${what} không hợp lệ`, `invalid ${what}`, what);
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

/** INTEGER content as lowercase hex without sign padding (same form as certificate.ts serialHex). */
export const integerBytesHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/^(00)+(?=.)/, '');

/** UTCTime or GeneralizedTime (with optional fraction and offset). */
export function decodeTime(buf: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(contentBytes(buf, t)).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string;
  if (isUniversal(t, U.UTCTime)) {
    m = /^(\d{2})(\d{10}(?:\d{2})?)(.*)$/.exec(s);
    if (!m) throw bad('thời gian UTCTime không hợp lệ', `invalid UTCTime "${s}"`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
    rest = m[2]! + m[3]!;
  } else if (isUniversal(t, U.GeneralizedTime)) {
    m = /^(\d{4})(.*)$/.exec(s);
    if (!m) throw bad('thời gian GeneralizedTime không hợp lệ', `invalid GeneralizedTime "${s}"`);
    year = Number(m[1]);
    rest = m[2]!;
  } else throw bad('cần kiểu thời gian', 'expected a time value');
  const r = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})?$/.exec(rest);
  if (!r) throw bad('thời gian không hợp lệ', `invalid time "${s}"`);
  const ms = r[6] ? Math.round(Number(`0.${r[6]}`) * 1000) : 0;
  let time = Date.UTC(year, Number(r[1]) - 1, Number(r[2]), Number(r[3]), Number(r[4]), Number(r[5] ?? 0), ms);
  const zone = r[7];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    time -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
  }
  if (Number.isNaN(time)) throw bad('thời gian không hợp lệ', `invalid time "${s}"`);
  return new Date(time);
}

// ---------------------------------------------------------------------------------------------------------------
// DER writer (only what wrapping needs)

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return [0x80 | out.length, ...out];
}

/** A DER TLV with a single-byte tag around already-encoded parts. */
export function derTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...derLength(body.length)]), body]));
}

const OID_BASIC_OCSP_DER = new Uint8Array([0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01]);

/** Wraps a BasicOCSPResponse (as CAdES RevocationValues store them) into a complete successful OCSPResponse. */
export function wrapBasicOcspResponse(basicDer: Uint8Array): Uint8Array {
  return derTlv(0x30, new Uint8Array([0x0a, 0x01, 0x00]), derTlv(0xa0, derTlv(0x30, OID_BASIC_OCSP_DER, derTlv(0x04, basicDer))));
}

// ---------------------------------------------------------------------------------------------------------------
// Algorithms

export type CmsDigest =
  | 'MD5'
  | 'SHA-1'
  | 'SHA-224'
  | 'SHA-256'
  | 'SHA-384'
  | 'SHA-512'
  | 'SHA-512/224'
  | 'SHA-512/256'
  | 'SHA3-224'
  | 'SHA3-256'
  | 'SHA3-384'
  | 'SHA3-512';

const DIGESTS: Record<string, { name: CmsDigest; node: string }> = {
  '1.2.840.113549.2.5': { name: 'MD5', node: 'md5' },
  [DigestOid.sha1]: { name: 'SHA-1', node: 'sha1' },
  '2.16.840.1.101.3.4.2.4': { name: 'SHA-224', node: 'sha224' },
  [DigestOid.sha256]: { name: 'SHA-256', node: 'sha256' },
  [DigestOid.sha384]: { name: 'SHA-384', node: 'sha384' },
  [DigestOid.sha512]: { name: 'SHA-512', node: 'sha512' },
  '2.16.840.1.101.3.4.2.5': { name: 'SHA-512/224', node: 'sha512-224' },
  '2.16.840.1.101.3.4.2.6': { name: 'SHA-512/256', node: 'sha512-256' },
  '2.16.840.1.101.3.4.2.7': { name: 'SHA3-224', node: 'sha3-224' },
  '2.16.840.1.101.3.4.2.8': { name: 'SHA3-256', node: 'sha3-256' },
  '2.16.840.1.101.3.4.2.9': { name: 'SHA3-384', node: 'sha3-384' },
  '2.16.840.1.101.3.4.2.10': { name: 'SHA3-512', node: 'sha3-512' },
};
const NODE_DIGEST = Object.fromEntries(Object.values(DIGESTS).map((d) => [d.name, d.node])) as Record<CmsDigest, string>;

export const cmsDigestFromOid = (oid: string): CmsDigest | undefined => DIGESTS[oid]?.name;

/** Digest of the concatenation of `parts` (e.g. the two PDF /ByteRange ranges) without copying them. */
export function digestParts(d: CmsDigest, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(NODE_DIGEST[d]);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export type CmsSignatureScheme = 'RSASSA-PKCS1-v1_5' | 'RSASSA-PSS' | 'ECDSA';

/** Signature scheme and digests by signature-algorithm OID (digest undefined: take the SignerInfo's digestAlgorithm). */
const SIGNATURES: Record<string, { scheme: CmsSignatureScheme; digest?: CmsDigest }> = {
  [SignatureOid.rsaEncryption]: { scheme: 'RSASSA-PKCS1-v1_5' },
  '1.2.840.113549.1.1.4': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'MD5' },
  '1.2.840.113549.1.1.5': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-1' },
  '1.2.840.113549.1.1.14': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-224' },
  [SignatureOid.sha256WithRSA]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
  [SignatureOid.sha384WithRSA]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-384' },
  [SignatureOid.sha512WithRSA]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512' },
  '1.2.840.113549.1.1.15': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512/224' },
  '1.2.840.113549.1.1.16': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512/256' },
  '2.16.840.1.101.3.4.3.13': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA3-224' },
  '2.16.840.1.101.3.4.3.14': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA3-256' },
  '2.16.840.1.101.3.4.3.15': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA3-384' },
  '2.16.840.1.101.3.4.3.16': { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA3-512' },
  [SignatureOid.ecPublicKey]: { scheme: 'ECDSA' },
  '1.2.840.10045.4.1': { scheme: 'ECDSA', digest: 'SHA-1' },
  '1.2.840.10045.4.3.1': { scheme: 'ECDSA', digest: 'SHA-224' },
  [SignatureOid.ecdsaWithSHA256]: { scheme: 'ECDSA', digest: 'SHA-256' },
  [SignatureOid.ecdsaWithSHA384]: { scheme: 'ECDSA', digest: 'SHA-384' },
  [SignatureOid.ecdsaWithSHA512]: { scheme: 'ECDSA', digest: 'SHA-512' },
  '2.16.840.1.101.3.4.3.9': { scheme: 'ECDSA', digest: 'SHA3-224' },
  '2.16.840.1.101.3.4.3.10': { scheme: 'ECDSA', digest: 'SHA3-256' },
  '2.16.840.1.101.3.4.3.11': { scheme: 'ECDSA', digest: 'SHA3-384' },
  '2.16.840.1.101.3.4.3.12': { scheme: 'ECDSA', digest: 'SHA3-512' },
};

export interface AlgorithmId {
  oid: string;
  /** DER of the parameters, when present (NULL included). */
  params?: Uint8Array;
}

/** How to verify a signature, resolved from its AlgorithmIdentifier. */
export interface SignatureAlgorithmInfo {
  oid: string;
  /** Undefined when the algorithm is not supported (see `unsupported`). */
  scheme?: CmsSignatureScheme;
  digest?: CmsDigest;
  /** RSASSA-PSS parameters (RFC 4055); the MGF1 digest always equals `digest` when supported. */
  pss?: { saltLength: number; mgfDigest: CmsDigest; trailerField: number };
  /** Why it cannot be verified, when it cannot. */
  unsupported?: string;
}

export function readAlgorithmId(buf: Uint8Array, t: Tlv | undefined, what: string): AlgorithmId {
  const seq = expectU(t, U.SEQUENCE, what);
  const [o, p] = childrenOf(buf, seq);
  const oid = oidOf(buf, o, `${what}.algorithm`);
  return p ? { oid, params: tlvBytes(buf, p) } : { oid };
}

function pssParams(params: Uint8Array | undefined): { digest: CmsDigest; saltLength: number; mgfDigest: CmsDigest; trailerField: number } | string {
  if (!params) return 'RSASSA-PSS without parameters';
  let digest: CmsDigest = 'SHA-1';
  let mgfDigest: CmsDigest = 'SHA-1';
  let saltLength = 20;
  let trailerField = 1;
  const seq = readTlv(params, 0);
  for (const f of childrenOf(params, expectU(seq, U.SEQUENCE, 'RSASSA-PSS-params'))) {
    if (f.cls !== 2) return 'malformed RSASSA-PSS parameters';
    const inner = childrenOf(params, f)[0];
    if (f.tagNumber === 0) {
      const a = readAlgorithmId(params, inner, 'hashAlgorithm');
      const d = cmsDigestFromOid(a.oid);
      if (!d) return `unknown PSS hash ${a.oid}`;
      digest = d;
    } else if (f.tagNumber === 1) {
      const mgf = readAlgorithmId(params, inner, 'maskGenAlgorithm');
      if (mgf.oid !== SignatureOid.mgf1 || !mgf.params) return `unsupported mask generation ${mgf.oid}`;
      const h = readAlgorithmId(mgf.params, readTlv(mgf.params, 0), 'mgf1.hashAlgorithm');
      const d = cmsDigestFromOid(h.oid);
      if (!d) return `unknown MGF1 hash ${h.oid}`;
      mgfDigest = d;
    } else if (f.tagNumber === 2) saltLength = smallInt(params, inner, 'saltLength');
    else if (f.tagNumber === 3) trailerField = smallInt(params, inner, 'trailerField');
  }
  return { digest, saltLength, mgfDigest, trailerField };
}

/**
 * Resolves a signature AlgorithmIdentifier. `digestHint` (the SignerInfo's digestAlgorithm) completes the bare
 * rsaEncryption / ecPublicKey identifiers that some signers put there. Never throws for unknown algorithms.
 */
export function signatureAlgorithmInfo(alg: AlgorithmId, digestHint?: CmsDigest): SignatureAlgorithmInfo {
  if (alg.oid === SignatureOid.rsassaPss) {
    let p: ReturnType<typeof pssParams>;
    try {
      p = pssParams(alg.params);
    } catch (e) {
      p = e instanceof CmsParseError ? 'malformed RSASSA-PSS parameters' : String(e);
    }
    if (typeof p === 'string') return { oid: alg.oid, unsupported: p };
    const info: SignatureAlgorithmInfo = { oid: alg.oid, scheme: 'RSASSA-PSS', digest: p.digest, pss: { saltLength: p.saltLength, mgfDigest: p.mgfDigest, trailerField: p.trailerField } };
    if (p.mgfDigest !== p.digest) info.unsupported = `MGF1 digest ${p.mgfDigest} differs from ${p.digest}`;
    else if (p.trailerField !== 1) info.unsupported = `PSS trailer field ${p.trailerField}`;
    return info;
  }
  const known = SIGNATURES[alg.oid];
  if (!known) return { oid: alg.oid, unsupported: `unknown signature algorithm ${alg.oid}` };
  const digest = known.digest ?? digestHint;
  if (!digest) return { oid: alg.oid, scheme: known.scheme, unsupported: 'no digest algorithm' };
  return { oid: alg.oid, scheme: known.scheme, digest };
}

/** "RSASSA-PSS/SHA-256", "ECDSA/SHA-384"… */
export const signatureAlgorithmName = (a: SignatureAlgorithmInfo): string =>
  a.scheme && a.digest ? `${a.scheme}/${a.digest}` : a.oid;

/**
 * Verifies a signature with Node's native crypto. False for a wrong signature, a malformed value or a key that
 * does not fit the scheme; never throws.
 */
export function verifySignatureValue(alg: SignatureAlgorithmInfo, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (alg.unsupported || !alg.scheme || !alg.digest) return false;
  const keyType = key.asymmetricKeyType;
  if (alg.scheme === 'ECDSA' ? keyType !== 'ec' : keyType !== 'rsa' && keyType !== 'rsa-pss') return false;
  const md = NODE_DIGEST[alg.digest];
  try {
    if (alg.scheme === 'RSASSA-PSS') {
      return nodeVerify(md, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.pss!.saltLength }, signature);
    }
    if (alg.scheme === 'ECDSA') return nodeVerify(md, data, { key, dsaEncoding: 'der' }, signature);
    return nodeVerify(md, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CMS view

/** Attribute OIDs read here beyond the ones in ../oids.ts. */
export const CmsAttributeOid = {
  ...CmsOid,
  /** Adobe RevocationInfoArchival (ISO 32000-1 §12.8.3.3.2), a signed attribute in Acrobat signatures. */
  adobeRevocationInfoArchival: '1.2.840.113583.1.1.8',
  /** CAdES id-aa-ets-certValues / id-aa-ets-revocationValues (EN 319 122-1 §5.5). */
  certValues: '1.2.840.113549.1.9.16.2.23',
  revocationValues: '1.2.840.113549.1.9.16.2.24',
  /** RFC 5940 id-ri-ocsp-response in SignedData.crls. */
  riOcspResponse: '1.3.6.1.5.5.7.16.2',
} as const;

export interface CmsAttribute {
  oid: string;
  /** DER of each value, in file order. */
  values: Uint8Array[];
}

export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Uint8Array; serial: Uint8Array; serialHex: string }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Uint8Array };

/** One ESSCertID(v2) of an ESS signing-certificate(-v2) attribute. */
export interface EssCertId {
  digestOid: string;
  /** Undefined when the digest algorithm is unknown. */
  digest?: CmsDigest;
  hash: Uint8Array;
  /** IssuerSerial, when present: the directoryName issuers (Name DER) and the serial INTEGER contents. */
  issuerSerial?: { issuers: Uint8Array[]; serial: Uint8Array };
}

/** Validation data carried by the CMS itself (same shape as the contract's EmbeddedValidationData). */
export interface CmsEmbeddedData {
  certificates: Uint8Array[];
  ocspResponses: Uint8Array[];
  crls: Uint8Array[];
}

export interface ParsedSignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmId;
  /** Undefined when the digest algorithm is unknown. */
  digest?: CmsDigest;
  /** The signed attributes as signed: the original bytes with the [0] tag replaced by SET (0x31). */
  signedAttributesDer?: Uint8Array;
  signedAttributes: CmsAttribute[];
  messageDigest?: Uint8Array;
  contentType?: string;
  hasSigningTime: boolean;
  /** The signing-time attribute value, when present and readable. */
  signingTime?: Date;
  /** ESS signing-certificate-v2 (2) or signing-certificate (1) references; v2 wins when both are present. */
  essVersion?: 1 | 2;
  essCertIds: EssCertId[];
  signatureAlgorithm: AlgorithmId;
  signatureAlgorithmInfo: SignatureAlgorithmInfo;
  signature: Uint8Array;
  unsignedAttributes: CmsAttribute[];
  /** TimeStampToken DERs of id-aa-signatureTimeStampToken unsigned attributes. */
  signatureTimestamps: Uint8Array[];
}

export interface ParsedCms {
  /** The ContentInfo as given. */
  der: Uint8Array;
  version: number;
  digestAlgorithms: AlgorithmId[];
  eContentType: string;
  /** Encapsulated content (segments joined); undefined for detached signatures. */
  eContent?: Uint8Array;
  /** Certificates (CertificateChoices of type Certificate), original DER, in file order. */
  certificates: Uint8Array[];
  signer: ParsedSignerInfo;
  /**
   * Validation data inside the CMS: SignedData.crls (CRLs and RFC 5940 OCSP responses), Adobe revocation
   * archival (signed or unsigned), CAdES certificate-values / revocation-values (BasicOCSPResponses wrapped
   * into OCSPResponses). Certificates here are only those of certificate-values; `certificates` has the rest.
   */
  embedded: CmsEmbeddedData;
}

function readAttributes(buf: Uint8Array, t: Tlv, where: string): CmsAttribute[] {
  return childrenOf(buf, t).map((a, i) => {
    const [type, values] = childrenOf(buf, expectU(a, U.SEQUENCE, `${where}[${i}]`));
    const oid = oidOf(buf, type, `${where}[${i}].attrType`);
    const set = expectU(values, U.SET, `${where}[${i}].attrValues`);
    return { oid, values: childrenOf(buf, set).map((v) => tlvBytes(buf, v)) };
  });
}

function readEssCertIds(value: Uint8Array, v2: boolean): EssCertId[] {
  const top = readTlv(value, 0);
  const [certs] = childrenOf(value, expectU(top, U.SEQUENCE, 'SigningCertificate'));
  return childrenOf(value, expectU(certs, U.SEQUENCE, 'SigningCertificate.certs')).map((id) => {
    const fields = childrenOf(value, expectU(id, U.SEQUENCE, 'ESSCertID'));
    let i = 0;
    let digestOid: string = DigestOid.sha1;
    if (v2) {
      digestOid = DigestOid.sha256; // ESSCertIDv2 hashAlgorithm DEFAULT id-sha256
      if (fields[0] && isUniversal(fields[0], U.SEQUENCE)) digestOid = readAlgorithmId(value, fields[i++], 'ESSCertIDv2.hashAlgorithm').oid;
    }
    const hash = contentBytes(value, expectU(fields[i++], U.OCTET_STRING, 'ESSCertID.certHash'));
    const out: EssCertId = { digestOid, hash };
    const d = cmsDigestFromOid(digestOid);
    if (d) out.digest = d;
    const is = fields[i];
    if (is && isUniversal(is, U.SEQUENCE)) {
      const [names, serial] = childrenOf(value, is);
      const issuers = childrenOf(value, expectU(names, U.SEQUENCE, 'IssuerSerial.issuer'))
        .filter((gn) => isContext(gn, 4) && gn.constructed)
        .map((gn) => tlvBytes(value, childrenOf(value, gn)[0]!));
      out.issuerSerial = { issuers, serial: contentBytes(value, expectU(serial, U.INTEGER, 'IssuerSerial.serial')) };
    }
    return out;
  });
}

/** Elements of `[n] EXPLICIT SEQUENCE OF X` fields inside a SEQUENCE (RevocationInfoArchival, RevocationValues). */
function taggedLists(value: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const top = readTlv(value, 0);
  for (const f of childrenOf(value, expectU(top, U.SEQUENCE, 'revocation values'))) {
    if (f.cls !== 2 || !f.constructed) continue;
    const inner = childrenOf(value, f)[0];
    if (!inner || !isUniversal(inner, U.SEQUENCE)) continue;
    out.set(f.tagNumber, childrenOf(value, inner).map((x) => tlvBytes(value, x)));
  }
  return out;
}

function collectEmbedded(attrs: CmsAttribute[], into: CmsEmbeddedData): void {
  for (const a of attrs) {
    for (const v of a.values) {
      if (a.oid === CmsAttributeOid.adobeRevocationInfoArchival) {
        const lists = taggedLists(v);
        into.crls.push(...(lists.get(0) ?? []));
        into.ocspResponses.push(...(lists.get(1) ?? []));
      } else if (a.oid === CmsAttributeOid.revocationValues) {
        const lists = taggedLists(v);
        into.crls.push(...(lists.get(0) ?? []));
        into.ocspResponses.push(...(lists.get(1) ?? []).map(wrapBasicOcspResponse));
      } else if (a.oid === CmsAttributeOid.certValues) {
        const seq = readTlv(v, 0);
        into.certificates.push(...childrenOf(v, expectU(seq, U.SEQUENCE, 'certValues')).map((c) => tlvBytes(v, c)));
      }
    }
  }
}

function readSignerIdentifier(buf: Uint8Array, t: Tlv | undefined): SignerIdentifier {
  if (t && isUniversal(t, U.SEQUENCE)) {
    const [issuer, serial] = childrenOf(buf, t);
    const s = contentBytes(buf, expectU(serial, U.INTEGER, 'IssuerAndSerialNumber.serialNumber'));
    return { kind: 'issuerAndSerialNumber', issuer: tlvBytes(buf, expectU(issuer, U.SEQUENCE, 'IssuerAndSerialNumber.issuer')), serial: s, serialHex: integerBytesHex(s) };
  }
  if (t && isContext(t, 0)) return { kind: 'subjectKeyIdentifier', keyIdentifier: stringContent(buf, t) };
  throw bad('định danh người ký (sid) không hợp lệ', 'invalid SignerIdentifier', 'SignerInfo.sid');
}

function readSignerInfo(buf: Uint8Array, t: Tlv): ParsedSignerInfo {
  const f = childrenOf(buf, expectU(t, U.SEQUENCE, 'SignerInfo'));
  let i = 0;
  const version = smallInt(buf, f[i++], 'SignerInfo.version');
  const sid = readSignerIdentifier(buf, f[i++]);
  const digestAlgorithm = readAlgorithmId(buf, f[i++], 'SignerInfo.digestAlgorithm');
  const digest = cmsDigestFromOid(digestAlgorithm.oid);

  let signedAttributesDer: Uint8Array | undefined;
  let signedAttributes: CmsAttribute[] = [];
  if (f[i] && isContext(f[i]!, 0)) {
    const sa = f[i++]!;
    if (!sa.constructed || sa.indefinite) throw bad('thuộc tính ký phải mã hóa DER', 'signed attributes must be DER', 'SignerInfo.signedAttrs');
    signedAttributesDer = Uint8Array.from(tlvBytes(buf, sa));
    signedAttributesDer[0] = 0x31; // RFC 5652 §5.4: the signature covers the EXPLICIT SET OF encoding
    signedAttributes = readAttributes(buf, sa, 'signedAttrs');
  }
  const signatureAlgorithm = readAlgorithmId(buf, f[i++], 'SignerInfo.signatureAlgorithm');
  const signature = stringContent(buf, expectU(f[i++], U.OCTET_STRING, 'SignerInfo.signature'));
  let unsignedAttributes: CmsAttribute[] = [];
  if (f[i] && isContext(f[i]!, 1)) unsignedAttributes = readAttributes(buf, f[i++]!, 'unsignedAttrs');
  if (i !== f.length) throw bad('SignerInfo có trường thừa', 'unexpected fields in SignerInfo', 'SignerInfo');

  const one = (oid: string): Uint8Array | undefined => {
    const found = signedAttributes.filter((a) => a.oid === oid);
    if (found.length > 1 || (found[0] && found[0].values.length !== 1)) {
      throw bad(`thuộc tính ${oid} phải có đúng một giá trị`, `attribute ${oid} must occur once with one value`, 'signedAttrs');
    }
    return found[0]?.values[0];
  };
  const md = one(CmsOid.messageDigest);
  const ct = one(CmsOid.contentType);
  const st = one(CmsOid.signingTime);
  const essV2 = one(CmsOid.signingCertificateV2);
  const essV1 = one(CmsOid.signingCertificate);

  const out: ParsedSignerInfo = {
    version,
    sid,
    digestAlgorithm,
    signedAttributes,
    hasSigningTime: st !== undefined,
    essCertIds: [],
    signatureAlgorithm,
    signatureAlgorithmInfo: signatureAlgorithmInfo(signatureAlgorithm, digest),
    signature,
    unsignedAttributes,
    signatureTimestamps: unsignedAttributes.filter((a) => a.oid === CmsOid.signatureTimeStampToken).flatMap((a) => a.values),
  };
  if (digest) out.digest = digest;
  if (signedAttributesDer) out.signedAttributesDer = signedAttributesDer;
  if (md) out.messageDigest = contentBytes(md, expectU(readTlv(md, 0), U.OCTET_STRING, 'messageDigest'));
  if (ct) out.contentType = oidOf(ct, readTlv(ct, 0), 'contentType');
  if (st) {
    try {
      out.signingTime = decodeTime(st, readTlv(st, 0));
    } catch {
      // An unreadable signing-time is only a claim we cannot show; hasSigningTime still reports it.
    }
  }
  if (essV2) {
    out.essVersion = 2;
    out.essCertIds = readEssCertIds(essV2, true);
  } else if (essV1) {
    out.essVersion = 1;
    out.essCertIds = readEssCertIds(essV1, false);
  }
  return out;
}

/**
 * Parses a ContentInfo(SignedData) with exactly one SignerInfo. Throws CmsParseError for anything else.
 */
export function parseCms(der: Uint8Array): ParsedCms {
  try {
    return parseCmsUnchecked(der);
  } catch (e) {
    if (e instanceof CmsParseError) throw e;
    throw bad('không đọc được cấu trúc', `unreadable structure (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parseCmsUnchecked(der: Uint8Array): ParsedCms {
  const ci = readTlv(der, 0);
  expectU(ci, U.SEQUENCE, 'ContentInfo');
  const [ct, content] = childrenOf(der, ci);
  const contentType = oidOf(der, ct, 'ContentInfo.contentType');
  if (contentType !== CmsOid.signedData) throw bad('không phải SignedData', `content type ${contentType} is not SignedData`, 'ContentInfo');
  if (!content || !isContext(content, 0)) throw bad('thiếu nội dung SignedData', 'missing SignedData content', 'ContentInfo.content');
  const sd = childrenOf(der, content)[0];
  const f = childrenOf(der, expectU(sd, U.SEQUENCE, 'SignedData'));
  let i = 0;
  const version = smallInt(der, f[i++], 'SignedData.version');
  const digestAlgorithms = childrenOf(der, expectU(f[i++], U.SET, 'SignedData.digestAlgorithms')).map((a, k) =>
    readAlgorithmId(der, a, `SignedData.digestAlgorithms[${k}]`),
  );
  const [eType, eContentWrapper] = childrenOf(der, expectU(f[i++], U.SEQUENCE, 'SignedData.encapContentInfo'));
  const eContentType = oidOf(der, eType, 'encapContentInfo.eContentType');
  let eContent: Uint8Array | undefined;
  if (eContentWrapper) {
    if (!isContext(eContentWrapper, 0)) throw bad('eContent không hợp lệ', 'invalid eContent', 'encapContentInfo');
    const os = childrenOf(der, eContentWrapper)[0];
    eContent = stringContent(der, expectU(os, U.OCTET_STRING, 'encapContentInfo.eContent'));
  }
  const embedded: CmsEmbeddedData = { certificates: [], ocspResponses: [], crls: [] };
  const certificates: Uint8Array[] = [];
  if (f[i] && isContext(f[i]!, 0)) {
    for (const c of childrenOf(der, f[i++]!)) {
      // Other CertificateChoices (attribute certificates, [3] other) are not X.509 certificates: skipped.
      if (isUniversal(c, U.SEQUENCE)) certificates.push(tlvBytes(der, c));
    }
  }
  if (f[i] && isContext(f[i]!, 1)) {
    for (const r of childrenOf(der, f[i++]!)) {
      if (isUniversal(r, U.SEQUENCE)) embedded.crls.push(tlvBytes(der, r));
      else if (isContext(r, 1) && r.constructed) {
        const [fmt, info] = childrenOf(der, r);
        if (info && oidOf(der, fmt, 'OtherRevocationInfoFormat') === CmsAttributeOid.riOcspResponse) embedded.ocspResponses.push(tlvBytes(der, info));
      }
    }
  }
  const infos = childrenOf(der, expectU(f[i++], U.SET, 'SignedData.signerInfos'));
  if (i !== f.length) throw bad('SignedData có trường thừa', 'unexpected fields in SignedData', 'SignedData');
  if (infos.length !== 1) {
    throw bad(`phải có đúng một SignerInfo (có ${infos.length})`, `exactly one SignerInfo expected, found ${infos.length}`, 'SignedData.signerInfos');
  }
  const signer = readSignerInfo(der, infos[0]!);
  collectEmbedded(signer.signedAttributes, embedded);
  collectEmbedded(signer.unsignedAttributes, embedded);
  const out: ParsedCms = { der, version, digestAlgorithms, eContentType, certificates, signer, embedded };
  if (eContent) out.eContent = eContent;
  return out;
}

/** Certificates of a certs-only SignedData (.p7c, as some caIssuers URLs serve); no SignerInfo required. */
export function certificatesOfSignedData(der: Uint8Array): Uint8Array[] {
  try {
    const ci = readTlv(der, 0);
    const [ct, content] = childrenOf(der, expectU(ci, U.SEQUENCE, 'ContentInfo'));
    if (oidOf(der, ct, 'ContentInfo.contentType') !== CmsOid.signedData || !content) return [];
    const f = childrenOf(der, childrenOf(der, content)[0]!);
    const certs = f.find((x) => isContext(x, 0) && x.constructed && x !== f[0]);
    return certs ? childrenOf(der, certs).filter((c) => isUniversal(c, U.SEQUENCE)).map((c) => tlvBytes(der, c)) : [];
  } catch (e) {
    if (e instanceof CmsParseError) throw e;
    throw bad('không đọc được cấu trúc', 'unreadable structure');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 3161 TSTInfo

export interface ParsedTstInfo {
  policy: string;
  imprintAlgorithm: AlgorithmId;
  /** Undefined when the imprint's digest algorithm is unknown. */
  imprintDigest?: CmsDigest;
  hashedMessage: Uint8Array;
  serialHex: string;
  genTime: Date;
  accuracyMs?: number;
  nonce?: Uint8Array;
}

export interface ParsedTimestampToken extends ParsedCms {
  tstInfo: ParsedTstInfo;
}

function readAccuracy(buf: Uint8Array, t: Tlv): number {
  let ms = 0;
  for (const f of childrenOf(buf, t)) {
    if (isUniversal(f, U.INTEGER)) ms += smallInt(buf, f, 'accuracy.seconds') * 1000;
    else if (isContext(f, 0)) ms += readImplicitInt(buf, f);
    else if (isContext(f, 1)) ms += readImplicitInt(buf, f) / 1000;
  }
  return ms;
}

function readImplicitInt(buf: Uint8Array, t: Tlv): number {
  let v = 0;
  for (const b of contentBytes(buf, t)) v = v * 256 + b;
  return v;
}

export function parseTstInfo(der: Uint8Array): ParsedTstInfo {
  try {
    const f = childrenOf(der, expectU(readTlv(der, 0), U.SEQUENCE, 'TSTInfo'));
    let i = 0;
    smallInt(der, f[i++], 'TSTInfo.version');
    const policy = oidOf(der, f[i++], 'TSTInfo.policy');
    const [alg, hashed] = childrenOf(der, expectU(f[i++], U.SEQUENCE, 'TSTInfo.messageImprint'));
    const imprintAlgorithm = readAlgorithmId(der, alg, 'messageImprint.hashAlgorithm');
    const hashedMessage = contentBytes(der, expectU(hashed, U.OCTET_STRING, 'messageImprint.hashedMessage'));
    const serialHex = integerBytesHex(contentBytes(der, expectU(f[i++], U.INTEGER, 'TSTInfo.serialNumber')));
    const genTime = decodeTime(der, expectU(f[i++], U.GeneralizedTime, 'TSTInfo.genTime'));
    const out: ParsedTstInfo = { policy, imprintAlgorithm, hashedMessage, serialHex, genTime };
    const d = cmsDigestFromOid(imprintAlgorithm.oid);
    if (d) out.imprintDigest = d;
    for (; i < f.length; i++) {
      const x = f[i]!;
      if (isUniversal(x, U.SEQUENCE)) out.accuracyMs = readAccuracy(der, x);
      else if (isUniversal(x, U.INTEGER)) out.nonce = contentBytes(der, x);
    }
    return out;
  } catch (e) {
    if (e instanceof CmsParseError) throw e;
    throw bad('TSTInfo không đọc được', 'unreadable TSTInfo');
  }
}

/** Parses a TimeStampToken: a SignedData over TSTInfo (RFC 3161 §2.4.2). */
export function parseTimestampToken(der: Uint8Array): ParsedTimestampToken {
  const cms = parseCms(der);
  if (cms.eContentType !== CmsOid.tstInfo) throw bad('không phải dấu thời gian (TSTInfo)', `eContentType ${cms.eContentType} is not TSTInfo`, 'TimeStampToken');
  if (!cms.eContent) throw bad('dấu thời gian thiếu TSTInfo', 'timestamp token without TSTInfo', 'TimeStampToken');
  return { ...cms, tstInfo: parseTstInfo(cms.eContent) };
}

// ---------------------------------------------------------------------------------------------------------------
// Small readers for certificates, OCSP responses and CRLs (offsets only; pkijs does the full parse)

export interface CertificateOutline {
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmId;
  signature: Uint8Array;
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
}

/** The fixed fields of an X.509 certificate, read without decoding extensions. Throws CmsParseError. */
export function certificateOutline(der: Uint8Array): CertificateOutline {
  try {
    const top = expectU(readTlv(der, 0), U.SEQUENCE, 'Certificate');
    if (top.end !== der.length) throw bad('dữ liệu thừa sau chứng thư', 'trailing data after the certificate');
    const [tbsT, algT, sigT] = childrenOf(der, top);
    const t = childrenOf(der, expectU(tbsT, U.SEQUENCE, 'tbsCertificate'));
    let i = t[0] && isContext(t[0], 0) ? 1 : 0;
    const serial = contentBytes(der, expectU(t[i++], U.INTEGER, 'serialNumber'));
    i++; // signature AlgorithmIdentifier (must equal the outer one; the native verify uses the outer one)
    const issuer = tlvBytes(der, expectU(t[i++], U.SEQUENCE, 'issuer'));
    const [nb, na] = childrenOf(der, expectU(t[i++], U.SEQUENCE, 'validity'));
    const subject = tlvBytes(der, expectU(t[i++], U.SEQUENCE, 'subject'));
    const spki = tlvBytes(der, expectU(t[i++], U.SEQUENCE, 'subjectPublicKeyInfo'));
    const sig = contentBytes(der, expectU(sigT, U.BIT_STRING, 'signatureValue'));
    return {
      tbs: tlvBytes(der, tbsT!),
      signatureAlgorithm: readAlgorithmId(der, algT, 'signatureAlgorithm'),
      signature: sig.subarray(1),
      serial,
      issuer,
      subject,
      notBefore: decodeTime(der, nb!),
      notAfter: decodeTime(der, na!),
      spki,
    };
  } catch (e) {
    if (e instanceof CmsParseError) throw e;
    throw bad('chứng thư không đọc được', 'unreadable certificate');
  }
}

/** producedAt of a successful OCSPResponse (for checking embedded responses as of their own time). */
export function ocspProducedAt(der: Uint8Array): Date | undefined {
  try {
    const [status, bytes] = childrenOf(der, readTlv(der, 0));
    if (!status || contentBytes(der, status)[0] !== 0 || !bytes) return undefined;
    const [, os] = childrenOf(der, childrenOf(der, bytes)[0]!);
    const basic = stringContent(der, os!);
    const [tbs] = childrenOf(basic, readTlv(basic, 0));
    const fields = childrenOf(basic, tbs!);
    const at = fields.find((x) => isUniversal(x, U.GeneralizedTime));
    return at ? decodeTime(basic, at) : undefined;
  } catch {
    return undefined;
  }
}

/** Issuer Name DER and thisUpdate of a CRL, read without parsing its entries. */
export function crlOutline(der: Uint8Array): { issuer: Uint8Array; thisUpdate: Date; nextUpdate?: Date } | undefined {
  try {
    const [tbs] = childrenOf(der, readTlv(der, 0));
    const f = childrenOf(der, tbs!);
    let i = f[0] && isUniversal(f[0], U.INTEGER) ? 1 : 0;
    i++; // signature
    const issuer = tlvBytes(der, expectU(f[i++], U.SEQUENCE, 'CRL issuer'));
    const thisUpdate = decodeTime(der, f[i++]!);
    const nu = f[i];
    const nextUpdate = nu && (isUniversal(nu, U.UTCTime) || isUniversal(nu, U.GeneralizedTime)) ? decodeTime(der, nu) : undefined;
    return nextUpdate ? { issuer, thisUpdate, nextUpdate } : { issuer, thisUpdate };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Names

function decodeString(buf: Uint8Array, t: Tlv): string {
  const b = contentBytes(buf, t);
  if (t.cls !== 0) return Buffer.from(b).toString('hex');
  switch (t.tagNumber) {
    case U.BMPString:
      return Buffer.from(b).swap16().toString('utf16le');
    case U.UniversalString: {
      let s = '';
      for (let k = 0; k + 3 < b.length; k += 4) s += String.fromCodePoint(((b[k]! << 24) | (b[k + 1]! << 16) | (b[k + 2]! << 8) | b[k + 3]!) >>> 0);
      return s;
    }
    case U.T61String:
      return Buffer.from(b).toString('latin1');
    default:
      return Buffer.from(b).toString('utf8');
  }
}

/**
 * A comparison key for a Name (RFC 5280 §7.1, simplified RFC 4518): attribute types and values with case
 * folded, whitespace collapsed and the string type ignored, so that a CA that re-encodes a PrintableString as
 * UTF8String still matches. Falls back to the hex of the DER for anything unreadable.
 */
export function nameKey(nameDer: Uint8Array): string {
  try {
    const rdns = childrenOf(nameDer, readTlv(nameDer, 0));
    return rdns
      .map((rdn) =>
        childrenOf(nameDer, rdn)
          .map((atv) => {
            const [type, value] = childrenOf(nameDer, atv);
            const v = decodeString(nameDer, value!).normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
            return `${decodeOid(contentBytes(nameDer, type!))}=${v}`;
          })
          .sort()
          .join('+'),
      )
      .join(',');
  } catch {
    return `#${Buffer.from(nameDer).toString('hex')}`;
  }
}
