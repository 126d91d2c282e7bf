// Small, pure readers around a pkijs Certificate: parsing, names, validity, extensions, issuer check.
// Nothing here touches the network or decides policy; cert-status.ts does that.

import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  Certificate,
  ExtKeyUsage,
  InfoAccess,
  RelativeDistinguishedNames,
  type Extension,
} from 'pkijs';
import { KysoError } from '../errors.ts';
import { bufferSource } from '../util/bytes.ts';
import { AccessMethodOid, AttributeOid, ExtensionOid } from './oids.ts';

// ---------------------------------------------------------------------------------------------------------------
// PEM / DER

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks with the given label (default CERTIFICATE), in file order. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(PEM_RE)) {
    if (m[1] === label) out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** The first PEM block with the given label, as DER. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Uint8Array {
  const first = pemBlocks(pem, label)[0];
  if (!first) {
    throw new KysoError('INVALID_ARGUMENT', `Không tìm thấy khối PEM "${label}"`, `No PEM block labelled "${label}"`);
  }
  return first;
}

export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A certificate given as DER bytes, PEM text (string or bytes), or an already-parsed object. */
export type CertificateInput = Uint8Array | string | Certificate;

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}

export function parseCertificate(input: CertificateInput): Certificate {
  if (input instanceof Certificate) return input;
  const der =
    typeof input === 'string'
      ? pemToDer(input)
      : looksLikePem(input)
        ? pemToDer(Buffer.from(input).toString('latin1'))
        : input;
  try {
    return Certificate.fromBER(bufferSource(der));
  } catch (cause) {
    throw new KysoError('INVALID_ARGUMENT', 'Chứng thư số không đúng định dạng X.509', 'Malformed X.509 certificate', {
      cause,
    });
  }
}

/** DER of a certificate. Parsed certificates keep their original TBS bytes, so this round-trips exactly. */
export function certificateDer(cert: CertificateInput): Uint8Array {
  if (cert instanceof Certificate) return new Uint8Array(cert.toSchema().toBER());
  return typeof cert === 'string' || looksLikePem(cert) ? certificateDer(parseCertificate(cert)) : cert;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

export interface NameFields {
  commonName?: string;
  organization?: string;
  /** All OU values in order: Vietnamese CAs often carry both a department and a parent agency. */
  organizationalUnits: string[];
  /** X.520 title (2.5.4.12): the official's position (chức danh), required on officials' certificates (D23). */
  title?: string;
  /** X.520 serialNumber (2.5.4.5): on kyso test seal certificates, the agency code (mã định danh). */
  serialNumber?: string;
  country?: string;
  locality?: string;
  stateOrProvince?: string;
  /** UID (0.9.2342.19200300.100.1.1): Vietnamese public CAs put "MST:…", "CCCD:…" identifiers here. */
  uid?: string;
  email?: string;
}

/**
 * The text of a DirectoryString/PrintableString/IA5String value. asn1js decodes UTF8String, BMPString
 * (UTF-16BE) and UniversalString itself; anything else without a decoded value is shown as hex.
 */
export function attributeText(value: unknown): string {
  const block = (value as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  if (block?.valueHexView) return `#${Buffer.from(block.valueHexView).toString('hex')}`;
  return '';
}

export function nameFields(name: RelativeDistinguishedNames): NameFields {
  const f: NameFields = { organizationalUnits: [] };
  for (const atv of name.typesAndValues) {
    const text = attributeText(atv.value);
    switch (atv.type) {
      case AttributeOid.commonName:
        f.commonName ??= text;
        break;
      case AttributeOid.organization:
        f.organization ??= text;
        break;
      case AttributeOid.organizationalUnit:
        f.organizationalUnits.push(text);
        break;
      case AttributeOid.title:
        f.title ??= text;
        break;
      case AttributeOid.serialNumber:
        f.serialNumber ??= text;
        break;
      case AttributeOid.country:
        f.country ??= text;
        break;
      case AttributeOid.locality:
        f.locality ??= text;
        break;
      case AttributeOid.stateOrProvince:
        f.stateOrProvince ??= text;
        break;
      case AttributeOid.uid:
        f.uid ??= text;
        break;
      case AttributeOid.emailAddress:
        f.email ??= text;
        break;
    }
  }
  return f;
}

const SHORT_NAMES: Record<string, string> = {
  [AttributeOid.commonName]: 'CN',
  [AttributeOid.serialNumber]: 'SERIALNUMBER',
  [AttributeOid.country]: 'C',
  [AttributeOid.locality]: 'L',
  [AttributeOid.stateOrProvince]: 'ST',
  [AttributeOid.organization]: 'O',
  [AttributeOid.organizationalUnit]: 'OU',
  [AttributeOid.title]: 'T',
  [AttributeOid.uid]: 'UID',
  [AttributeOid.emailAddress]: 'E',
};

/** A readable one-line name, most specific first ("CN=…, T=…, O=…, C=VN") as Vietnamese CA tools print it. */
export function nameToString(name: RelativeDistinguishedNames): string {
  return [...name.typesAndValues]
    .reverse()
    .map((atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${attributeText(atv.value)}`)
    .join(', ');
}

export const subjectFields = (cert: Certificate): NameFields => nameFields(cert.subject);
export const issuerFields = (cert: Certificate): NameFields => nameFields(cert.issuer);

// ---------------------------------------------------------------------------------------------------------------
// Validity and serial

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function validity(cert: Certificate): Validity {
  return { notBefore: cert.notBefore.value, notAfter: cert.notAfter.value };
}

export function isWithinValidity(cert: Certificate, at: Date): boolean {
  const v = validity(cert);
  return at.getTime() >= v.notBefore.getTime() && at.getTime() <= v.notAfter.getTime();
}

/** Serial number as lowercase hex without the DER sign-padding byte. */
export function integerHex(i: asn1js.Integer): string {
  const hex = Buffer.from(i.valueBlock.valueHexView).toString('hex');
  return hex.replace(/^(00)+(?=.)/, '');
}

export const serialHex = (cert: Certificate): string => integerHex(cert.serialNumber);

// ---------------------------------------------------------------------------------------------------------------
// Extensions

export function findExtension(cert: Certificate, oid: string): Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

export interface KeyUsageFlags {
  digitalSignature: boolean;
  /** Called contentCommitment in X.509 (2008+). */
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
  encipherOnly: boolean;
  decipherOnly: boolean;
}

export const KEY_USAGE_BITS: readonly (keyof KeyUsageFlags)[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** keyUsage flags, or undefined when the extension is absent (RFC 5280: then the key is not restricted). */
export function keyUsage(cert: Certificate): KeyUsageFlags | undefined {
  const ext = findExtension(cert, ExtensionOid.keyUsage);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  const bits = parsed instanceof asn1js.BitString ? parsed.valueBlock.valueHexView : new Uint8Array();
  const isSet = (n: number): boolean => ((bits[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
  return Object.fromEntries(KEY_USAGE_BITS.map((name, i) => [name, isSet(i)])) as unknown as KeyUsageFlags;
}

/** Extended key usage purpose OIDs, or undefined when the extension is absent. */
export function extendedKeyUsage(cert: Certificate): string[] | undefined {
  const ext = findExtension(cert, ExtensionOid.extKeyUsage);
  if (!ext) return undefined;
  return ext.parsedValue instanceof ExtKeyUsage ? [...ext.parsedValue.keyPurposes] : [];
}

export interface BasicConstraintsInfo {
  ca: boolean;
  pathLen?: number;
}

export function basicConstraints(cert: Certificate): BasicConstraintsInfo | undefined {
  const ext = findExtension(cert, ExtensionOid.basicConstraints);
  if (!ext || !(ext.parsedValue instanceof BasicConstraints)) return undefined;
  const p = ext.parsedValue.pathLenConstraint;
  const pathLen = p === undefined ? undefined : typeof p === 'number' ? p : p.valueBlock.valueDec;
  return pathLen === undefined ? { ca: ext.parsedValue.cA } : { ca: ext.parsedValue.cA, pathLen };
}

/** URI-type GeneralName values (tag 6). */
function uriOf(gn: { type: number; value: unknown }): string | undefined {
  return gn.type === 6 && typeof gn.value === 'string' ? gn.value : undefined;
}

function accessUrls(cert: Certificate, method: string): string[] {
  const ext = findExtension(cert, ExtensionOid.authorityInfoAccess);
  if (!ext || !(ext.parsedValue instanceof InfoAccess)) return [];
  return ext.parsedValue.accessDescriptions
    .filter((d) => d.accessMethod === method)
    .map((d) => uriOf(d.accessLocation))
    .filter((u): u is string => u !== undefined);
}

export const ocspUrls = (cert: Certificate): string[] => accessUrls(cert, AccessMethodOid.ocsp);
export const caIssuersUrls = (cert: Certificate): string[] => accessUrls(cert, AccessMethodOid.caIssuers);

export function crlUrls(cert: Certificate): string[] {
  const ext = findExtension(cert, ExtensionOid.crlDistributionPoints);
  if (!ext || !(ext.parsedValue instanceof CRLDistributionPoints)) return [];
  const urls: string[] = [];
  for (const dp of ext.parsedValue.distributionPoints) {
    // A DistributionPointName may be a relative name instead of GeneralNames; only full URIs are fetchable.
    if (!Array.isArray(dp.distributionPoint)) continue;
    for (const gn of dp.distributionPoint) {
      const u = uriOf(gn);
      if (u) urls.push(u);
    }
  }
  return urls;
}

export function subjectKeyIdentifier(cert: Certificate): Uint8Array | undefined {
  const ext = findExtension(cert, ExtensionOid.subjectKeyIdentifier);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.OctetString ? new Uint8Array(parsed.valueBlock.valueHexView) : undefined;
}

export function authorityKeyIdentifier(cert: Certificate): Uint8Array | undefined {
  const ext = findExtension(cert, ExtensionOid.authorityKeyIdentifier);
  if (!ext || !(ext.parsedValue instanceof AuthorityKeyIdentifier)) return undefined;
  const kid = ext.parsedValue.keyIdentifier;
  return kid ? new Uint8Array(kid.valueBlock.valueHexView) : undefined;
}

/** id-pkix-ocsp-nocheck: a delegated OCSP responder certificate that is not itself status-checked. */
export const hasOcspNoCheck = (cert: Certificate): boolean => findExtension(cert, ExtensionOid.ocspNoCheck) !== undefined;

// ---------------------------------------------------------------------------------------------------------------
// Keys and issuance

export interface KeyInfo {
  keyType: 'RSA' | 'EC';
  keyBits: number;
}

export function certificateKeyInfo(cert: CertificateInput): KeyInfo {
  const key = new X509Certificate(certificateDer(cert)).publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { keyType: 'RSA', keyBits: details.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const bits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
    return { keyType: 'EC', keyBits: bits[details.namedCurve ?? ''] ?? 0 };
  }
  throw new KysoError(
    'ALGORITHM_UNSUPPORTED',
    `Loại khoá công khai không được hỗ trợ: ${key.asymmetricKeyType ?? '?'}`,
    `Unsupported public key type: ${key.asymmetricKeyType ?? '?'}`,
  );
}

/**
 * True when `issuer` issued `cert`: names/key identifiers line up (X509Certificate.checkIssued) and the
 * signature verifies with the issuer's key — both checked by Node's native X.509 code, not by JavaScript.
 */
export function isIssuedBy(cert: CertificateInput, issuer: CertificateInput): boolean {
  try {
    const c = new X509Certificate(certificateDer(cert));
    const i = new X509Certificate(certificateDer(issuer));
    return c.checkIssued(i) && c.verify(i.publicKey);
  } catch {
    return false;
  }
}

/** Self-issued and self-signed: a trust anchor candidate. */
export const isSelfSigned = (cert: CertificateInput): boolean => isIssuedBy(cert, cert);
