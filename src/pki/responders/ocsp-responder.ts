// A pure RFC 6960 OCSP responder: request DER in, signed response DER out. Serves the test PKI; small enough
// to read in one sitting, so a test failure can be traced to a line here rather than to a black box.

import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  BasicOCSPResponse,
  CertID,
  OCSPRequest,
  OCSPResponse,
  ResponseBytes,
  ResponseData,
  SingleResponse,
  type Certificate,
} from 'pkijs';
import { bufferSource } from '../../util/bytes.ts';
import { integerHex } from '../certificate.ts';
import { digestFromOid, hash, signNative, signatureAlgorithmFor, valueBytes, type AnyDigest } from '../native-crypto.ts';
import { ExtensionOid, OcspOid } from '../oids.ts';
import { REVOCATION_REASONS, type RevokedEntry } from '../revocation.ts';
import type { DigestAlgorithm } from '../signer.ts';
import { wholeSeconds } from './crl-issuer.ts';

/** One CA the responder answers for. */
export interface OcspIssuer {
  issuerCert: Certificate;
  /** Signs responses for this CA: the CA itself, or a delegated responder certificate it issued. */
  signerCert: Certificate;
  signerKey: KeyObject;
  /** Revocation lookup by serial (lowercase hex, no sign padding); undefined = not revoked. */
  revocationOf(serialHex: string): RevokedEntry | undefined;
}

export interface OcspResponderConfig {
  issuers: readonly OcspIssuer[];
  /** Clock; default Date.now. Tests move it to check freshness handling. */
  now?: () => Date;
  /** nextUpdate - thisUpdate; default one hour. */
  validityMs?: number;
  digest?: DigestAlgorithm;
}

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
const ResponseStatus = { successful: 0, malformedRequest: 1 } as const;

function errorResponse(status: number): Uint8Array {
  return new Uint8Array(new OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER());
}

function issuerMatches(certID: CertID, issuer: Certificate): boolean {
  const d: AnyDigest | undefined = digestFromOid(certID.hashAlgorithm.algorithmId);
  if (!d) return false;
  const nameHash = hash(d, new Uint8Array(issuer.subject.toSchema().toBER()));
  const keyHash = hash(d, valueBytes(issuer.subjectPublicKeyInfo.subjectPublicKey));
  return (
    Buffer.from(nameHash).equals(valueBytes(certID.issuerNameHash)) && Buffer.from(keyHash).equals(valueBytes(certID.issuerKeyHash))
  );
}

/** CertStatus CHOICE: good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL — all IMPLICIT. */
function certStatus(entry: RevokedEntry | undefined | 'unknown'): asn1js.BaseBlock {
  if (entry === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  if (!entry) return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  const revokedInfo: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(entry.revocationTime) })];
  if (entry.reason) {
    revokedInfo.push(
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: REVOCATION_REASONS[entry.reason] })],
      }),
    );
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: revokedInfo });
}

/**
 * Answers an OCSP request. Certificates whose issuer is not configured get "unknown" (signed by the first
 * configured responder). Malformed requests get the unsigned malformedRequest status, as RFC 6960 prescribes.
 */
export function respondOcsp(requestDer: Uint8Array, cfg: OcspResponderConfig): Uint8Array {
  let request: OCSPRequest;
  try {
    request = OCSPRequest.fromBER(bufferSource(requestDer));
  } catch {
    return errorResponse(ResponseStatus.malformedRequest);
  }
  const requests = request.tbsRequest.requestList;
  const fallback = cfg.issuers[0];
  if (requests.length === 0 || !fallback) return errorResponse(ResponseStatus.malformedRequest);

  const now = wholeSeconds(cfg.now?.() ?? new Date());
  const nextUpdate = new Date(now.getTime() + (cfg.validityMs ?? 3_600_000));
  let signer: OcspIssuer | undefined;
  const responses = requests.map((r) => {
    const issuer = cfg.issuers.find((i) => issuerMatches(r.reqCert, i.issuerCert));
    signer ??= issuer;
    const status = issuer ? issuer.revocationOf(integerHex(r.reqCert.serialNumber)) : 'unknown';
    return new SingleResponse({ certID: r.reqCert, certStatus: certStatus(status), thisUpdate: now, nextUpdate });
  });
  signer ??= fallback;

  // RFC 8954: the nonce extension is echoed unchanged.
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === ExtensionOid.ocspNonce);
  const tbs = new ResponseData({
    // byKey: SHA-1 of the signer's public key — an identifier hash, as RFC 6960 §4.2.1 defines it.
    responderID: new asn1js.OctetString({ valueHex: hash('SHA-1', valueBytes(signer.signerCert.subjectPublicKeyInfo.subjectPublicKey)) }),
    producedAt: now,
    responses,
    ...(nonce ? { responseExtensions: [nonce] } : {}),
  });

  const digest = cfg.digest ?? 'SHA-256';
  const basic = new BasicOCSPResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: signatureAlgorithmFor(signer.signerKey, digest),
    certs: [signer.signerCert],
  });
  tbs.tbsView = new Uint8Array(tbs.toSchema(true).toBER());
  basic.signature = new asn1js.BitString({ valueHex: signNative(signer.signerKey, digest, tbs.tbsView) });

  const response = new OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: ResponseStatus.successful }),
    responseBytes: new ResponseBytes({
      responseType: OcspOid.basicResponse,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER());
}
