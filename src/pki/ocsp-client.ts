// RFC 6960 OCSP client: builds the request with pkijs, posts it, and accepts the answer only after checking
// the signature (Node crypto), the responder's authority, the CertID, the nonce and the freshness.

import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  BasicOCSPResponse,
  CertID,
  Extension,
  OCSPRequest,
  OCSPResponse,
  RelativeDistinguishedNames,
  Request,
  TBSRequest,
  type Certificate,
  type SingleResponse,
} from 'pkijs';
import { KysoError } from '../errors.ts';
import { bufferSource } from '../util/bytes.ts';
import {
  certificateDer,
  extendedKeyUsage,
  isIssuedBy,
  isWithinValidity,
  ocspUrls,
  parseCertificate,
  type CertificateInput,
} from './certificate.ts';
import { digestAlgorithmIdentifier, digestFromOid, hash, valueBytes, verifyNative, type AnyDigest } from './native-crypto.ts';
import { ExtensionOid, KeyPurposeOid, OcspOid } from './oids.ts';
import { fetchPki, type PkiNetworkOptions } from './pki-http.ts';
import { reasonFromCode, type CertStatusValue, type RevocationReason } from './revocation.ts';

export interface OcspOptions extends PkiNetworkOptions {
  /** Send a nonce (RFC 8954) and require it echoed when the responder answers with one. Default true. */
  nonce?: boolean;
  /** Responder URL; default: the certificate's AIA OCSP URLs, tried in order. */
  url?: string;
  /** Clock for freshness checks; default now. */
  now?: Date;
}

export interface OcspResult {
  status: CertStatusValue;
  revocationTime?: Date;
  revocationReason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate?: Date;
  producedAt: Date;
  /** The complete OCSPResponse DER, to embed as validation data (PAdES B-LT / DSS). */
  responseDer: Uint8Array;
  /** DER of the certificate that signed the response (the issuer itself or a delegated responder). */
  responderCert: Uint8Array;
  /** URL that answered (after rewriting). */
  url?: string;
}

/** Tolerated clock difference between us and the responder. */
const CLOCK_SKEW_MS = 5 * 60_000;

function fail(vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('OCSP_FAILED', `Kiểm tra OCSP thất bại: ${vi}`, `OCSP check failed: ${en}`, cause === undefined ? undefined : { cause });
}

/**
 * CertID for `cert`. SHA-1 is the RFC 6960/5019 norm for the issuer name and key hashes and what every
 * responder understands; it is an identifier, not a signature.
 */
export function buildCertId(cert: Certificate, issuer: Certificate, digest: AnyDigest = 'SHA-1'): CertID {
  return new CertID({
    hashAlgorithm: digestAlgorithmIdentifier(digest),
    issuerNameHash: new asn1js.OctetString({ valueHex: hash(digest, new Uint8Array(issuer.subject.toSchema().toBER())) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: hash(digest, valueBytes(issuer.subjectPublicKeyInfo.subjectPublicKey)) }),
    serialNumber: cert.serialNumber,
  });
}

export interface OcspRequestBuilt {
  der: Uint8Array;
  nonce?: Uint8Array;
}

export function buildOcspRequest(cert: CertificateInput, issuer: CertificateInput, opts: { nonce?: boolean } = {}): OcspRequestBuilt {
  const c = parseCertificate(cert);
  const i = parseCertificate(issuer);
  const nonce = opts.nonce === false ? undefined : new Uint8Array(randomBytes(16));
  const tbsRequest = new TBSRequest({
    requestList: [new Request({ reqCert: buildCertId(c, i) })],
    ...(nonce
      ? {
          requestExtensions: [
            // RFC 8954: extnValue holds the DER of Nonce ::= OCTET STRING.
            new Extension({ extnID: ExtensionOid.ocspNonce, critical: false, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER() }),
          ],
        }
      : {}),
  });
  const der = new Uint8Array(new OCSPRequest({ tbsRequest }).toSchema(true).toBER());
  return nonce ? { der, nonce } : { der };
}

const RESPONSE_STATUS_NAMES = ['successful', 'malformedRequest', 'internalError', 'tryLater', '4', 'sigRequired', 'unauthorized'];

function responderMatches(candidate: Certificate, responderID: unknown): boolean {
  if (responderID instanceof RelativeDistinguishedNames) return candidate.subject.isEqual(responderID);
  if (responderID instanceof asn1js.OctetString) {
    const keyHash = hash('SHA-1', valueBytes(candidate.subjectPublicKeyInfo.subjectPublicKey));
    return Buffer.from(keyHash).equals(valueBytes(responderID));
  }
  return false;
}

/** The CA itself signed the response: same name and same key (a re-issued CA certificate still counts). */
function isTheIssuer(signer: Certificate, issuer: Certificate): boolean {
  return (
    signer.subject.isEqual(issuer.subject) &&
    Buffer.from(valueBytes(signer.subjectPublicKeyInfo.subjectPublicKey)).equals(valueBytes(issuer.subjectPublicKeyInfo.subjectPublicKey))
  );
}

function certIdMatches(single: SingleResponse, cert: Certificate, issuer: Certificate): boolean {
  const d = digestFromOid(single.certID.hashAlgorithm.algorithmId);
  if (!d) return false;
  const expected = buildCertId(cert, issuer, d);
  return (
    Buffer.from(valueBytes(expected.issuerNameHash)).equals(valueBytes(single.certID.issuerNameHash)) &&
    Buffer.from(valueBytes(expected.issuerKeyHash)).equals(valueBytes(single.certID.issuerKeyHash)) &&
    single.certID.serialNumber.isEqual(cert.serialNumber)
  );
}

function statusOf(single: SingleResponse): Pick<OcspResult, 'status' | 'revocationTime' | 'revocationReason'> {
  const block = single.certStatus as asn1js.BaseBlock;
  const tag = block.idBlock.tagNumber;
  if (tag === 0) return { status: 'good' };
  if (tag === 2) return { status: 'unknown' };
  // revoked [1] RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  const parts = (block as asn1js.Constructed).valueBlock.value;
  const time = parts[0];
  if (!(time instanceof asn1js.GeneralizedTime)) throw fail('thông tin thu hồi không hợp lệ', 'malformed RevokedInfo');
  const reasonBlock = (parts[1] as asn1js.Constructed | undefined)?.valueBlock.value[0];
  const reason = reasonBlock instanceof asn1js.Enumerated ? reasonFromCode(reasonBlock.valueBlock.valueDec) : undefined;
  return { status: 'revoked', revocationTime: time.toDate(), ...(reason ? { revocationReason: reason } : {}) };
}

/**
 * Verifies an OCSP response for `cert` (pure: no network). Usable both right after a request and for responses
 * found embedded in signed documents (then pass `now` = the time of interest and no nonce).
 */
export function verifyOcspResponse(
  responseDer: Uint8Array,
  cert: CertificateInput,
  issuer: CertificateInput,
  opts: { nonce?: Uint8Array; now?: Date } = {},
): OcspResult {
  const c = parseCertificate(cert);
  const i = parseCertificate(issuer);
  let response: OCSPResponse;
  try {
    response = OCSPResponse.fromBER(bufferSource(responseDer));
  } catch (cause) {
    throw fail('phản hồi không đúng định dạng', 'malformed response', cause);
  }
  const statusCode = response.responseStatus.valueBlock.valueDec;
  if (statusCode !== 0) {
    const name = RESPONSE_STATUS_NAMES[statusCode] ?? String(statusCode);
    throw fail(`máy chủ OCSP từ chối (${name})`, `responder refused (${name})`);
  }
  if (!response.responseBytes || response.responseBytes.responseType !== OcspOid.basicResponse) {
    throw fail('loại phản hồi không được hỗ trợ', 'unsupported response type');
  }
  let basic: BasicOCSPResponse;
  try {
    basic = BasicOCSPResponse.fromBER(bufferSource(valueBytes(response.responseBytes.response)));
  } catch (cause) {
    throw fail('BasicOCSPResponse không đúng định dạng', 'malformed BasicOCSPResponse', cause);
  }
  const data = basic.tbsResponseData;

  // 1. Who signed it, and is the signature good?
  const candidates = [...(basic.certs ?? []), i].filter((k) => responderMatches(k, data.responderID));
  const signer = candidates.find((k) => verifyNative(k.subjectPublicKeyInfo, basic.signatureAlgorithm, data.tbsView, valueBytes(basic.signature)));
  if (!signer) {
    throw fail(
      candidates.length ? 'chữ ký của phản hồi không hợp lệ' : 'không tìm thấy chứng thư của máy chủ OCSP',
      candidates.length ? 'response signature is invalid' : 'responder certificate not found',
    );
  }

  // 2. Is the signer entitled to speak for this issuer (RFC 6960 §4.2.2.2)?
  const now = opts.now ?? new Date();
  if (!isTheIssuer(signer, i)) {
    if (!isIssuedBy(signer, i)) throw fail('máy chủ OCSP không do CA cấp chứng thư cấp', 'responder certificate not issued by the CA');
    if (!(extendedKeyUsage(signer) ?? []).includes(KeyPurposeOid.ocspSigning)) {
      throw fail('chứng thư máy chủ OCSP thiếu mục đích OCSPSigning', 'responder certificate lacks the OCSPSigning EKU');
    }
    if (!isWithinValidity(signer, data.producedAt)) throw fail('chứng thư máy chủ OCSP hết hiệu lực', 'responder certificate not valid');
  }

  // 3. Does it answer our question?
  const single = data.responses.find((r) => certIdMatches(r, c, i));
  if (!single) throw fail('phản hồi không chứa chứng thư cần kiểm tra', 'response does not cover the certificate');

  // 4. Is it ours and fresh? A responder that omits the nonce (pre-produced responses, RFC 5019) is accepted;
  //    one that returns a different nonce is a replay.
  if (opts.nonce) {
    const echoed = data.responseExtensions?.find((e) => e.extnID === ExtensionOid.ocspNonce);
    if (echoed) {
      const sent = new asn1js.OctetString({ valueHex: opts.nonce }).toBER();
      if (!Buffer.from(valueBytes(echoed.extnValue)).equals(Buffer.from(sent))) {
        throw fail('nonce không khớp (có thể là phản hồi phát lại)', 'nonce mismatch (possible replay)');
      }
    }
  }
  if (single.thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw fail('thời điểm thisUpdate nằm trong tương lai', 'thisUpdate is in the future');
  }
  if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) {
    throw fail('phản hồi đã quá hạn (nextUpdate)', 'response is stale (past nextUpdate)');
  }

  return {
    ...statusOf(single),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    producedAt: data.producedAt,
    responseDer,
    responderCert: certificateDer(signer),
  };
}

/** Asks the certificate's OCSP responder. Transport failures throw NETWORK; everything else OCSP_FAILED. */
export async function checkOcsp(cert: CertificateInput, issuer: CertificateInput, opts: OcspOptions = {}): Promise<OcspResult> {
  const c = parseCertificate(cert);
  const urls = opts.url ? [opts.url] : ocspUrls(c);
  if (urls.length === 0) throw fail('chứng thư không có địa chỉ OCSP (AIA)', 'certificate has no OCSP URL (AIA)');
  const request = buildOcspRequest(c, issuer, { nonce: opts.nonce !== false });

  let lastError: unknown;
  for (const url of urls) {
    try {
      const res = await fetchPki(
        url,
        { method: 'POST', body: request.der, contentType: 'application/ocsp-request', accept: 'application/ocsp-response' },
        opts,
      );
      const result = verifyOcspResponse(res.body, c, issuer, { ...(request.nonce ? { nonce: request.nonce } : {}), ...(opts.now ? { now: opts.now } : {}) });
      return { ...result, url: res.url };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}
