// RFC 3161 time-stamp client. A token is accepted only after checking what a relying party will check later:
// status, nonce, message imprint, the CMS signature (Node crypto), ESS signing-certificate binding and the TSA
// certificate's critical timeStamping EKU. TT 15/2025 Art. 5(1)(e) / Art. 6(g).

import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  Certificate,
  ContentInfo,
  IssuerAndSerialNumber,
  MessageImprint,
  SignedData,
  TSTInfo,
  TimeStampReq,
  TimeStampResp,
  type SignerInfo,
} from 'pkijs';
import { KysoError } from '../errors.ts';
import { bufferSource } from '../util/bytes.ts';
import { certificateDer, findExtension, extendedKeyUsage, integerHex, isWithinValidity, subjectKeyIdentifier } from './certificate.ts';
import { digestAlgorithmIdentifier, digestFromOid, hash, valueBytes, verifyNative, type AnyDigest } from './native-crypto.ts';
import { CmsOid, ExtensionOid, KeyPurposeOid } from './oids.ts';
import { fetchPki, type PkiNetworkOptions } from './pki-http.ts';
import { digestLength, type DigestAlgorithm } from './signer.ts';

export interface TimestampRequestOptions extends PkiNetworkOptions {
  /** TSA URL (http or https). */
  url: string;
  /** Ask for a specific TSA policy OID. */
  policy?: string;
  /** Send a nonce and require it echoed; default true. */
  nonce?: boolean;
}

export interface TimestampResult {
  /** The TimeStampToken (ContentInfo with SignedData) DER: what goes into a PAdES document timestamp or unsigned attribute. */
  tokenDer: Uint8Array;
  genTime: Date;
  /** DER of the TSA's signing certificate (from the token). */
  tsaCert: Uint8Array;
  /** TSTInfo serial number, lowercase hex. */
  serial: string;
  policy: string;
  /** Stated accuracy in milliseconds, when the TSA gives one. */
  accuracyMs?: number;
}

/** What the caller expects a token to certify. */
export interface TokenExpectation {
  digestAlgorithm: DigestAlgorithm;
  /** The hashed message (imprint) that must be in the token. */
  imprint: Uint8Array;
  nonce?: Uint8Array;
  policy?: string;
}

function fail(vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('TSA_FAILED', `Lấy dấu thời gian thất bại: ${vi}`, `Timestamp failed: ${en}`, cause === undefined ? undefined : { cause });
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

export function buildTimestampRequest(imprint: Uint8Array, digest: DigestAlgorithm, opts: { nonce?: boolean; policy?: string } = {}) {
  const nonce = opts.nonce === false ? undefined : new Uint8Array(randomBytes(8));
  // First byte in 0x01..0x7f: a positive, minimally encoded INTEGER that round-trips byte for byte.
  if (nonce) nonce[0] = (nonce[0]! & 0x7f) | 0x01;
  const req = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: digestAlgorithmIdentifier(digest),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    certReq: true, // we need the TSA certificate to verify, and PAdES B-LT wants it in the document
    ...(opts.policy ? { reqPolicy: opts.policy } : {}),
    ...(nonce ? { nonce: new asn1js.Integer({ valueHex: nonce }) } : {}),
  });
  return { der: new Uint8Array(req.toSchema().toBER()), ...(nonce ? { nonce } : {}) };
}

/** eContent may arrive as a constructed (BER) OCTET STRING from some TSAs: join its segments. */
function octets(block: asn1js.BaseBlock): Uint8Array {
  if (block instanceof asn1js.OctetString) {
    if (!block.idBlock.isConstructed) return valueBytes(block);
    return new Uint8Array(Buffer.concat(block.valueBlock.value.map((b) => Buffer.from(octets(b)))));
  }
  throw fail('nội dung TSTInfo không hợp lệ', 'malformed TSTInfo content');
}

function findSignerCert(signedData: SignedData, si: SignerInfo): Certificate {
  const certs = (signedData.certificates ?? []).filter((c): c is Certificate => c instanceof Certificate);
  const match = certs.find((c) => {
    if (si.sid instanceof IssuerAndSerialNumber) return c.issuer.isEqual(si.sid.issuer) && c.serialNumber.isEqual(si.sid.serialNumber);
    // subjectKeyIdentifier [0] IMPLICIT OCTET STRING
    const ski = subjectKeyIdentifier(c);
    const wanted = (si.sid as asn1js.Primitive).valueBlock?.valueHexView;
    return ski !== undefined && wanted !== undefined && bytesEqual(ski, wanted);
  });
  if (!match) throw fail('token không chứa chứng thư của TSA', 'token does not include the TSA certificate');
  return match;
}

/** ESS signing-certificate(-v2): the first ESSCertID's hash must be the TSA certificate's (RFC 3161 §2.4.2, RFC 5816). */
function checkEssBinding(si: SignerInfo, tsaCertDer: Uint8Array): void {
  const attrs = si.signedAttrs?.attributes ?? [];
  const v2 = attrs.find((a) => a.type === CmsOid.signingCertificateV2);
  const v1 = attrs.find((a) => a.type === CmsOid.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) throw fail('thiếu thuộc tính signing-certificate', 'missing ESS signing-certificate attribute');
  const certIds = (attr.values[0] as asn1js.Sequence | undefined)?.valueBlock.value[0] as asn1js.Sequence | undefined;
  const first = certIds?.valueBlock.value[0] as asn1js.Sequence | undefined;
  const fields = first?.valueBlock.value ?? [];
  let digest: AnyDigest = v2 ? 'SHA-256' : 'SHA-1'; // ESSCertIDv2 hashAlgorithm DEFAULT sha256; ESSCertID is SHA-1
  let certHash: asn1js.BaseBlock | undefined = fields[0];
  if (v2 && fields[0] instanceof asn1js.Sequence) {
    const oid = (fields[0].valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString() ?? '';
    const d = digestFromOid(oid);
    if (!d) throw fail('thuật toán băm ESSCertIDv2 không hỗ trợ', 'unsupported ESSCertIDv2 hash algorithm');
    digest = d;
    certHash = fields[1];
  }
  if (!(certHash instanceof asn1js.OctetString) || !bytesEqual(valueBytes(certHash), hash(digest, tsaCertDer))) {
    throw fail('signing-certificate không khớp chứng thư TSA', 'ESS signing-certificate does not match the TSA certificate');
  }
}

function verifySignerInfo(si: SignerInfo, tsaCert: Certificate, eContent: Uint8Array): void {
  const d = digestFromOid(si.digestAlgorithm.algorithmId);
  if (!d || d === 'SHA-1') throw fail('thuật toán băm của token không được hỗ trợ', 'unsupported token digest algorithm');
  const attrs = si.signedAttrs;
  if (!attrs) throw fail('token thiếu signedAttrs', 'token has no signed attributes');
  const contentType = attrs.attributes.find((a) => a.type === CmsOid.contentType)?.values[0];
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== CmsOid.tstInfo) {
    throw fail('content-type của token không phải TSTInfo', 'token content-type is not TSTInfo');
  }
  const md = attrs.attributes.find((a) => a.type === CmsOid.messageDigest)?.values[0];
  if (!(md instanceof asn1js.OctetString) || !bytesEqual(valueBytes(md), hash(d, eContent))) {
    throw fail('message-digest của token không khớp', 'token message-digest mismatch');
  }
  // pkijs keeps the attributes' original encoding with the tag already switched to SET (0x31): exactly what was signed.
  const signed = new Uint8Array(attrs.encodedValue);
  if (!verifyNative(tsaCert.subjectPublicKeyInfo, si.signatureAlgorithm, signed, valueBytes(si.signature), d)) {
    throw fail('chữ ký của token không hợp lệ', 'token signature is invalid');
  }
}

function accuracyMs(tst: TSTInfo): number | undefined {
  const a = tst.accuracy;
  if (!a) return undefined;
  return (a.seconds ?? 0) * 1000 + (a.millis ?? 0) + (a.micros ?? 0) / 1000;
}

/**
 * Verifies a TimeStampToken (ContentInfo DER) against what it should certify. Pure: usable for tokens found in
 * documents too. Does not build the TSA's chain to a trust anchor — the caller's validation policy does that.
 */
export function verifyTimestampToken(tokenDer: Uint8Array, expect: TokenExpectation): TimestampResult {
  let signedData: SignedData;
  let tst: TSTInfo;
  let eContent: Uint8Array;
  try {
    const ci = ContentInfo.fromBER(bufferSource(tokenDer));
    if (ci.contentType !== CmsOid.signedData) throw new Error(`content type ${ci.contentType}`);
    signedData = new SignedData({ schema: ci.content });
    if (signedData.encapContentInfo.eContentType !== CmsOid.tstInfo || !signedData.encapContentInfo.eContent) throw new Error('not a TSTInfo');
    eContent = octets(signedData.encapContentInfo.eContent);
    tst = TSTInfo.fromBER(bufferSource(eContent));
  } catch (cause) {
    if (cause instanceof KysoError) throw cause;
    throw fail('token không đúng định dạng', 'malformed timestamp token', cause);
  }

  const imprintDigest = digestFromOid(tst.messageImprint.hashAlgorithm.algorithmId);
  if (imprintDigest !== expect.digestAlgorithm || !bytesEqual(valueBytes(tst.messageImprint.hashedMessage), expect.imprint)) {
    throw fail('dấu thời gian không cấp cho dữ liệu này (messageImprint)', 'token was issued for other data (messageImprint mismatch)');
  }
  if (expect.nonce && (!tst.nonce || !bytesEqual(new Uint8Array(tst.nonce.valueBlock.valueHexView), expect.nonce))) {
    throw fail('nonce không khớp', 'nonce mismatch');
  }
  if (expect.policy && tst.policy !== expect.policy) throw fail('chính sách TSA không đúng yêu cầu', 'TSA policy differs from the requested one');

  if (signedData.signerInfos.length !== 1) throw fail('token phải có đúng một người ký', 'token must have exactly one signer');
  const si = signedData.signerInfos[0]!;
  const tsaCert = findSignerCert(signedData, si);
  const tsaCertDer = certificateDer(tsaCert);
  verifySignerInfo(si, tsaCert, eContent);
  checkEssBinding(si, tsaCertDer);

  // RFC 3161 §2.3: the TSA certificate's only EKU is timeStamping, and the extension is critical.
  const eku = extendedKeyUsage(tsaCert);
  if (!eku || eku.length !== 1 || eku[0] !== KeyPurposeOid.timeStamping || !findExtension(tsaCert, ExtensionOid.extKeyUsage)?.critical) {
    throw fail('chứng thư TSA không có mục đích timeStamping (critical)', 'TSA certificate lacks the critical timeStamping EKU');
  }
  if (!isWithinValidity(tsaCert, tst.genTime)) throw fail('chứng thư TSA không có hiệu lực tại thời điểm cấp dấu', 'TSA certificate not valid at genTime');

  const acc = accuracyMs(tst);
  return {
    tokenDer,
    genTime: tst.genTime,
    tsaCert: tsaCertDer,
    serial: integerHex(tst.serialNumber),
    policy: tst.policy,
    ...(acc !== undefined ? { accuracyMs: acc } : {}),
  };
}

const PKI_STATUS = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'];

/**
 * Requests a timestamp for `input`: raw data (hashed here with `digestAlgorithm`) or `{ digest }`, an
 * already-computed hash. Transport failures throw NETWORK; refusals and invalid tokens TSA_FAILED.
 */
export async function requestTimestamp(
  input: Uint8Array | { digest: Uint8Array },
  digestAlgorithm: DigestAlgorithm,
  opts: TimestampRequestOptions,
): Promise<TimestampResult> {
  const imprint = input instanceof Uint8Array ? hash(digestAlgorithm, input) : input.digest;
  if (imprint.byteLength !== digestLength(digestAlgorithm)) {
    throw new KysoError('INVALID_ARGUMENT', 'Độ dài giá trị băm không khớp thuật toán', 'Digest length does not match the algorithm');
  }
  const req = buildTimestampRequest(imprint, digestAlgorithm, { ...(opts.nonce === false ? { nonce: false } : {}), ...(opts.policy ? { policy: opts.policy } : {}) });
  const res = await fetchPki(opts.url, { method: 'POST', body: req.der, contentType: 'application/timestamp-query', accept: 'application/timestamp-reply' }, opts);

  let resp: TimeStampResp;
  try {
    resp = TimeStampResp.fromBER(bufferSource(res.body));
  } catch (cause) {
    throw fail('phản hồi TSA không đúng định dạng', 'malformed TimeStampResp', cause);
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) {
    const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? '';
    const name = PKI_STATUS[status] ?? String(status);
    throw fail(`TSA từ chối (${name}${text ? `: ${text}` : ''})`, `TSA refused (${name}${text ? `: ${text}` : ''})`);
  }
  if (!resp.timeStampToken) throw fail('phản hồi không có token', 'response carries no token');
  // Keep the token's original bytes (second element of TimeStampResp) rather than a re-encoding of them.
  const outer = asn1js.fromBER(bufferSource(res.body)).result as asn1js.Sequence;
  const tokenDer = new Uint8Array(outer.valueBlock.value[1]!.valueBeforeDecodeView);
  return verifyTimestampToken(tokenDer, {
    digestAlgorithm,
    imprint,
    ...(req.nonce ? { nonce: req.nonce } : {}),
    ...(opts.policy ? { policy: opts.policy } : {}),
  });
}
