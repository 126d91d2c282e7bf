// Two-phase PAdES signing: the service prepares everything, the key holder signs elsewhere.
//
//   startPdfSession(pdf, { certificate, ... })  → the incremental update with its /Contents placeholder, the
//       CAdES signed attributes (DER) over its /ByteRange digest, their digest (dataToSign) and a state;
//   the client signs — a browser with WebCrypto signs the signed attributes' DER, a token plugin or a CSC-like
//       service signs their digest; both give the same value;
//   completePdfSession(state, signatureValue, { chain })  → the value is checked against the announced
//       certificate first (a wrong one never reaches the file), then the CMS is assembled, timestamped for B-T
//       and later, embedded, and B-LT/B-LTA validation data and archive timestamps are added.
//
// The state is plain JSON (`meta`) plus the prepared file (`prepared`), so it can live in a database row and a
// blob between two HTTP requests, on any instance.
import { KysoError } from '../../errors.ts';
import { assembleSignedData, prepareSignedAttributes, signatureTimestampAttribute } from '../../pki/cms/cades-detached.ts';
import { hash } from '../../pki/native-crypto.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import { defaultScheme, type DigestAlgorithm, type SignatureAlgorithm, type SignatureScheme } from '../../pki/signer.ts';
import { requestTimestamp } from '../../pki/tsp-client.ts';
import { checkSigningCertificate, type RevocationMode } from '../../pki/cert-status.ts';
import type { Notice } from '../certificate-precheck.ts';
import { addArchiveTimestamp, addValidationData } from '../pdf/ltv.ts';
import { embedSignature, openForSigning, prepareSignature, type PadesLevel, type PreparedPdf } from '../pdf/pades.ts';
import { appearanceBuilder } from '../pdf/placement.ts';
import { appearanceSpecOf, type SignatureFieldOptions } from '../pdf/sign-document.ts';
import { certificateKey, checkSignatureValue } from './signature-value.ts';

export interface StartPdfOptions extends SignatureFieldOptions {
  /** DER of the signer's certificate: the one the signature value will be checked against. */
  certificate: Uint8Array;
  /** Issuing chain if known now (nearest first); the client may send it again on completion. */
  chain?: readonly Uint8Array[];
  level?: PadesLevel;
  digest?: DigestAlgorithm;
  /** Default: RSASSA-PSS for RSA (Thông tư 15/2025 Annex I), ECDSA for EC. */
  scheme?: SignatureScheme;
  /** Certificate check before preparing (Thông tư 15/2025 Art. 5(1)(a)); default 'prefer'. */
  revocationCheck?: RevocationMode;
  network?: PkiNetworkOptions;
  /** Room reserved for issuer certificates sent only on completion (default 8 KiB). */
  chainAllowance?: number;
}

/** Everything completePdfSession needs besides the prepared file; JSON-safe (bytes in base64). */
export interface PdfSessionMeta {
  format: 'pdf';
  level: PadesLevel;
  algorithm: SignatureAlgorithm;
  certificate: string;
  chain: string[];
  /** DER of the CAdES signed attributes (SET): exactly the bytes the signature covers. */
  signedAttributes: string;
  byteRange: [number, number, number, number];
  contentsHexOffset: number;
  contentsHexLength: number;
  originalLength: number;
  documentDigest: string;
  fieldName: string;
  signingTime: string;
}

export interface PdfSessionState {
  meta: PdfSessionMeta;
  /** The original file followed by the prepared incremental update (zero-filled /Contents). */
  prepared: Uint8Array;
}

/** What the key holder needs to sign (for PDF and XML alike). */
export interface DataToSign {
  /** Digest of `toBeSigned` with `algorithm.digest`: what a hash-signing token or service signs. */
  dataToSign: Uint8Array;
  /** The bytes the signature covers (CAdES signed attributes DER / canonical ds:SignedInfo): what WebCrypto signs. */
  toBeSigned: Uint8Array;
  algorithm: SignatureAlgorithm;
  /** DER of the certificate the signature will be checked against. */
  certificate: Uint8Array;
  warnings: Notice[];
}

export interface StartedPdfSession extends DataToSign {
  state: PdfSessionState;
}

export interface CompleteOptions {
  /** Issuing chain to embed (nearest first); default the one given at start. */
  chain?: readonly Uint8Array[];
  /** RFC 3161 TSA for B-T and later. */
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  /** Replaces the request to `tsaUrl` (tests, benches). */
  timestamper?: (data: Uint8Array, digest: DigestAlgorithm) => Promise<Uint8Array>;
}

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

// The same certificate comes back session after session: one Uint8Array per certificate lets the CMS layer's
// per-certificate caches (signer identifier) hit instead of parsing it again on every completion.
const certificates = new Map<string, Uint8Array>();
export function certificateBytes(b64der: string): Uint8Array {
  let c = certificates.get(b64der);
  if (!c) {
    if (certificates.size >= 256) certificates.delete(certificates.keys().next().value!);
    certificates.set(b64der, (c = unb64(b64der)));
  }
  return c;
}

/** Refuses an expired, not-yet-valid or revoked certificate before any work; returns the warnings. */
export async function precheckCertificate(
  certificate: Uint8Array,
  chain: readonly Uint8Array[],
  o: { at: Date; network?: PkiNetworkOptions; revocation?: RevocationMode },
): Promise<Notice[]> {
  const status = await checkSigningCertificate({ certificate, chain }, { at: o.at, network: o.network, revocation: o.revocation ?? 'prefer' });
  if (!status.ok) {
    const p = status.problems[0]!;
    throw new KysoError(p.code, p.vi, p.en);
  }
  return status.warnings;
}

export async function startPdfSession(pdf: Uint8Array, o: StartPdfOptions): Promise<StartedPdfSession> {
  const now = o.now ?? new Date();
  const level = o.level ?? 'B-B';
  const key = certificateKey(o.certificate);
  const chain = o.chain ?? [];
  const warnings = await precheckCertificate(o.certificate, chain, { at: now, network: o.network, revocation: o.revocationCheck });
  const spec = appearanceSpecOf(o.appearance, now);
  const reader = openForSigning(pdf);
  // Room for the CMS: certificates (the chain may only arrive on completion), the signature, the attributes,
  // and a timestamp token with its TSA chain for B-T and later.
  const certs = o.certificate.length + Math.max(chain.reduce((n, c) => n + c.length, 0), o.chainAllowance ?? 8192);
  const reserved = certs + 2 * (Math.ceil(key.keyBits / 8) + 16) + 2048 + (level !== 'B-B' ? 12_288 : 0);
  const prepared = prepareSignature(
    pdf,
    {
      reservedBytes: reserved,
      digest: o.digest,
      page: spec.kind === 'stamp' ? 0 : o.page,
      fieldName: o.fieldName,
      appearance: spec.kind === 'none' ? undefined : appearanceBuilder(spec),
      reason: o.reason,
      location: o.location,
      contactInfo: o.contactInfo,
      signingTime: now,
    },
    reader,
  );
  const attrs = prepareSignedAttributes({
    certificate: o.certificate,
    chain,
    keyType: key.keyType,
    digest: prepared.digest,
    scheme: o.scheme ?? defaultScheme(key.keyType),
    contentDigest: prepared.documentDigest,
  });
  const meta: PdfSessionMeta = {
    format: 'pdf',
    level,
    algorithm: attrs.algorithm,
    certificate: b64(o.certificate),
    chain: chain.map(b64),
    signedAttributes: b64(attrs.toBeSigned),
    byteRange: prepared.byteRange,
    contentsHexOffset: prepared.contentsHexOffset,
    contentsHexLength: prepared.contentsHexLength,
    originalLength: prepared.originalLength,
    documentDigest: b64(prepared.documentDigest),
    fieldName: prepared.fieldName,
    signingTime: now.toISOString(),
  };
  return {
    dataToSign: hash(attrs.algorithm.digest, attrs.toBeSigned),
    toBeSigned: attrs.toBeSigned,
    algorithm: attrs.algorithm,
    certificate: o.certificate,
    warnings,
    state: { meta, prepared: prepared.bytes },
  };
}

export interface CompletedPdf {
  bytes: Buffer;
  level: PadesLevel;
  fieldName: string;
  signingTime: Date;
}

export async function completePdfSession(state: PdfSessionState, signatureValue: Uint8Array, o: CompleteOptions = {}): Promise<CompletedPdf> {
  const m = state.meta;
  if (m.format !== 'pdf') throw new KysoError('INVALID_ARGUMENT', 'Phiên ký không phải của tệp PDF', 'The session is not a PDF session');
  const certificate = certificateBytes(m.certificate);
  const signedAttributes = unb64(m.signedAttributes);
  // 1. The value must verify against the announced certificate over exactly the prepared bytes.
  const value = checkSignatureValue(certificateKey(certificate), m.algorithm, signedAttributes, signatureValue);
  const level = m.level;
  if (level !== 'B-B' && !o.tsaUrl && !o.timestamper) {
    throw new KysoError('INVALID_ARGUMENT', `Mức ${level} cần địa chỉ máy chủ dấu thời gian (TSA)`, `Level ${level} needs a timestamp authority (TSA)`);
  }
  // 2. CMS: the signed attributes as prepared, the value, the chain, and the signature timestamp for B-T+.
  const chain = o.chain ?? m.chain.map(unb64);
  let unsigned: ReturnType<typeof signatureTimestampAttribute>[] = [];
  if (level !== 'B-B') {
    const token = o.timestamper
      ? await o.timestamper(value, m.algorithm.digest)
      : (await requestTimestamp(value, m.algorithm.digest, { ...o.network, url: o.tsaUrl! })).tokenDer;
    unsigned = [signatureTimestampAttribute(token)];
  }
  const cms = assembleSignedData({ algorithm: m.algorithm, toBeSigned: signedAttributes, certificate, chain }, value, unsigned);
  // 3. Into a copy of the placeholder: a failed attempt (e.g. the TSA was down) leaves the state usable.
  const prepared: PreparedPdf = {
    bytes: Buffer.from(state.prepared),
    originalLength: m.originalLength,
    byteRange: m.byteRange,
    contentsHexOffset: m.contentsHexOffset,
    contentsHexLength: m.contentsHexLength,
    digest: m.algorithm.digest,
    documentDigest: unb64(m.documentDigest),
    fieldName: m.fieldName,
  };
  let bytes = embedSignature(prepared, cms);
  // Validation data is gathered now (on completion), when the signature and its timestamp exist.
  if (level === 'B-LT' || level === 'B-LTA') bytes = await addValidationData(bytes, { network: o.network, scope: 'last' });
  if (level === 'B-LTA') bytes = await addArchiveTimestamp(bytes, { tsaUrl: o.tsaUrl!, network: o.network, digest: m.algorithm.digest });
  return { bytes, level, fieldName: m.fieldName, signingTime: new Date(m.signingTime) };
}
