// One parsed view per certificate, shared by the trust store, the chain builder, revocation and the CMS
// validator, and cached process-wide by the certificate's SHA-256: a verifier sees the same few CA and signer
// certificates over and over, and decoding one with pkijs costs about a millisecond.
//
// The fixed fields come from a cheap offset reader (cms-parser.ts); extensions from the pkijs helpers in
// src/pki/certificate.ts (the pkijs decoding happens once, when the view is created).

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Certificate } from 'pkijs';
import {
  authorityKeyIdentifier,
  basicConstraints,
  caIssuersUrls,
  crlUrls,
  extendedKeyUsage,
  findExtension,
  hasOcspNoCheck,
  keyUsage,
  nameFields,
  nameToString,
  ocspUrls,
  parseCertificate,
  subjectKeyIdentifier,
  type BasicConstraintsInfo,
  type KeyUsageFlags,
  type NameFields,
} from '../pki/certificate.ts';
import {
  certificateOutline,
  CmsParseError,
  digestParts,
  integerBytesHex,
  nameKey,
  signatureAlgorithmInfo,
  verifySignatureValue,
  type AlgorithmId,
  type CmsDigest,
  type SignatureAlgorithmInfo,
} from '../pki/cms/cms-parser.ts';
import { ExtensionOid } from '../pki/oids.ts';
import { isoVn } from '../util/vn-time.ts';

export interface CertInfo {
  readonly der: Uint8Array;
  /** SHA-256 of the DER, hex: identity of the certificate everywhere in the verifier. */
  readonly id: string;
  readonly sha256: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  /** Name comparison keys (cms-parser nameKey). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly selfIssued: boolean;
  /** Serial INTEGER contents and its hex form (no sign padding). */
  readonly serial: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmId;
  readonly signatureAlgorithmInfo: SignatureAlgorithmInfo;
  readonly signatureValue: Uint8Array;
  readonly publicKey: KeyObject;
  readonly keyType: 'RSA' | 'EC' | 'other';
  readonly keyBits: number;
  /** Decoded with pkijs on first access. */
  readonly cert: Certificate;
  readonly subject: string;
  readonly issuer: string;
  readonly subjectFields: NameFields;
  readonly keyUsage: KeyUsageFlags | undefined;
  readonly extendedKeyUsage: string[] | undefined;
  readonly extendedKeyUsageCritical: boolean;
  readonly basicConstraints: BasicConstraintsInfo | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  readonly ocspUrls: string[];
  readonly crlUrls: string[];
  readonly caIssuersUrls: string[];
  readonly ocspNoCheck: boolean;
  digest(d: CmsDigest): Uint8Array;
}

const EC_BITS: Record<string, number> = { prime256v1: 256, secp256k1: 256, secp384r1: 384, secp521r1: 521, brainpoolP256r1: 256, brainpoolP384r1: 384, brainpoolP512r1: 512 };

class CertInfoImpl implements CertInfo {
  readonly id: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly selfIssued: boolean;
  readonly serial: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmId;
  readonly signatureAlgorithmInfo: SignatureAlgorithmInfo;
  readonly signatureValue: Uint8Array;
  private memo = new Map<string, unknown>();

  constructor(
    readonly der: Uint8Array,
    readonly sha256: Uint8Array,
  ) {
    const o = certificateOutline(der);
    this.id = Buffer.from(sha256).toString('hex');
    this.subjectDer = o.subject;
    this.issuerDer = o.issuer;
    this.subjectKey = nameKey(o.subject);
    this.issuerKey = nameKey(o.issuer);
    this.selfIssued = this.subjectKey === this.issuerKey;
    this.serial = o.serial;
    this.serialHex = integerBytesHex(o.serial);
    this.notBefore = o.notBefore;
    this.notAfter = o.notAfter;
    this.spki = o.spki;
    this.tbs = o.tbs;
    this.signatureAlgorithm = o.signatureAlgorithm;
    this.signatureAlgorithmInfo = signatureAlgorithmInfo(o.signatureAlgorithm);
    this.signatureValue = o.signature;
    // Decoded now rather than on first use: a certificate the offset reader accepts but pkijs cannot read must
    // not become a candidate whose extension getters throw later (in the middle of path building).
    try {
      this.memo.set('cert', parseCertificate(der));
    } catch {
      throw new CmsParseError('chứng thư không đọc được', 'unreadable certificate');
    }
  }

  private lazy<T>(key: string, f: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = f();
    this.memo.set(key, v);
    return v;
  }

  get publicKey(): KeyObject {
    return this.lazy('publicKey', () => {
      try {
        return createPublicKey({ key: Buffer.from(this.spki), format: 'der', type: 'spki' });
      } catch {
        throw new CmsParseError('khóa công khai của chứng thư không đọc được', 'unreadable certificate public key');
      }
    });
  }
  get keyType(): 'RSA' | 'EC' | 'other' {
    const t = this.publicKey.asymmetricKeyType;
    return t === 'rsa' || t === 'rsa-pss' ? 'RSA' : t === 'ec' ? 'EC' : 'other';
  }
  get keyBits(): number {
    const d = this.publicKey.asymmetricKeyDetails ?? {};
    if (this.keyType === 'RSA') return d.modulusLength ?? 0;
    if (this.keyType === 'EC') return EC_BITS[d.namedCurve ?? ''] ?? 0;
    return 0;
  }
  get cert(): Certificate {
    return this.lazy('cert', () => parseCertificate(this.der));
  }
  get subject(): string {
    return this.lazy('subject', () => nameToString(this.cert.subject));
  }
  get issuer(): string {
    return this.lazy('issuer', () => nameToString(this.cert.issuer));
  }
  get subjectFields(): NameFields {
    return this.lazy('fields', () => nameFields(this.cert.subject));
  }
  get keyUsage(): KeyUsageFlags | undefined {
    return this.lazy('ku', () => keyUsage(this.cert));
  }
  get extendedKeyUsage(): string[] | undefined {
    return this.lazy('eku', () => extendedKeyUsage(this.cert));
  }
  get extendedKeyUsageCritical(): boolean {
    return this.lazy('ekuCritical', () => findExtension(this.cert, ExtensionOid.extKeyUsage)?.critical === true);
  }
  get basicConstraints(): BasicConstraintsInfo | undefined {
    return this.lazy('bc', () => basicConstraints(this.cert));
  }
  get subjectKeyIdentifier(): Uint8Array | undefined {
    return this.lazy('ski', () => subjectKeyIdentifier(this.cert));
  }
  get authorityKeyIdentifier(): Uint8Array | undefined {
    return this.lazy('aki', () => authorityKeyIdentifier(this.cert));
  }
  get ocspUrls(): string[] {
    return this.lazy('ocsp', () => ocspUrls(this.cert));
  }
  get crlUrls(): string[] {
    return this.lazy('crl', () => crlUrls(this.cert));
  }
  get caIssuersUrls(): string[] {
    return this.lazy('aia', () => caIssuersUrls(this.cert));
  }
  get ocspNoCheck(): boolean {
    return this.lazy('nocheck', () => hasOcspNoCheck(this.cert));
  }
  /** Digest of the DER (ESS certificate references), remembered per algorithm. */
  digest(d: CmsDigest): Uint8Array {
    return this.lazy(`digest:${d}`, () => digestParts(d, [this.der]));
  }
}

const MAX_CACHED = 4096;
const cache = new Map<string, CertInfo>();

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/**
 * Cache key without hashing the whole certificate: its length and the tail of its signature value. A hit is
 * only used after comparing every byte, so a look-alike certificate can never borrow a cached view.
 */
function lookupKey(der: Uint8Array): string {
  const tail = Buffer.from(der.buffer, der.byteOffset + Math.max(0, der.byteLength - 24), Math.min(24, der.byteLength));
  return `${der.byteLength}:${tail.toString('latin1')}`;
}

/**
 * The cached view of a certificate DER (exact bytes; PEM is the trust store's business). Throws CmsParseError
 * for bytes that are not a certificate.
 */
export function certInfo(der: Uint8Array): CertInfo {
  const key = lookupKey(der);
  const hit = cache.get(key);
  if (hit && Buffer.from(hit.der.buffer, hit.der.byteOffset, hit.der.byteLength).equals(Buffer.from(der.buffer, der.byteOffset, der.byteLength))) {
    cache.delete(key); // LRU: most recently used last
    cache.set(key, hit);
    return hit;
  }
  const info = new CertInfoImpl(Uint8Array.from(der), sha256(der));
  cache.set(key, info);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return info;
}

/** certInfo, or undefined for bytes that are not a readable certificate. */
export function tryCertInfo(der: Uint8Array): CertInfo | undefined {
  try {
    return certInfo(der);
  } catch {
    return undefined;
  }
}

// Which issuer key verified which certificate: deterministic, so remembered (positive and negative results).
const linkCache = new Map<string, boolean>();

/** True when `issuer`'s key verifies `cert`'s signature (native crypto). Names are not compared here. */
export function signatureVerifiesWith(cert: CertInfo, issuer: CertInfo): boolean {
  const key = `${cert.id}:${issuer.id}`;
  const hit = linkCache.get(key);
  if (hit !== undefined) return hit;
  let ok: boolean;
  try {
    ok = verifySignatureValue(cert.signatureAlgorithmInfo, issuer.publicKey, cert.tbs, cert.signatureValue);
  } catch {
    ok = false;
  }
  linkCache.set(key, ok);
  if (linkCache.size > MAX_CACHED * 4) linkCache.delete(linkCache.keys().next().value!);
  return ok;
}

/** Same key: same SubjectPublicKeyInfo bytes. */
export const sameKey = (a: CertInfo, b: CertInfo): boolean => Buffer.from(a.spki).equals(Buffer.from(b.spki));

/** Drops cached certificates and link verifications (tests). */
export function clearCertInfoCache(): void {
  cache.clear();
  linkCache.clear();
}

// Report times (ISO 8601, +07:00) go through Intl, ~7 µs each; a validation formats the same few instants
// (validity bounds, signing time) every time, so they are remembered.
const isoMemo = new Map<number, string>();

/** isoVn with a cache. */
export function isoCached(d: Date): string {
  const k = d.getTime();
  let s = isoMemo.get(k);
  if (s === undefined) {
    s = isoVn(d);
    if (isoMemo.size >= 4096) isoMemo.clear();
    isoMemo.set(k, s);
  }
  return s;
}
