// ESS signing-certificate-v2 (RFC 5035): binds the signature to the signer's certificate so it cannot be
// substituted. Required by PAdES/CAdES baseline B. Built from asn1js/pkijs structures.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { DigestAlgorithm } from '../signer.ts';
import { nodeDigestName } from '../signer.ts';
import { digestOid } from '../native-crypto.ts';
import { CmsOid } from '../oids.ts';
import { bufferSource } from '../../util/bytes.ts';

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING,
 *                            issuerSerial IssuerSerial OPTIONAL }
 */
const cache = new WeakMap<Uint8Array, Map<DigestAlgorithm, Uint8Array>>();

/** DER of the attribute for a certificate, computed once per certificate and digest (signers reuse theirs). */
export function signingCertificateV2Der(certDer: Uint8Array, digest: DigestAlgorithm = 'SHA-256'): Uint8Array {
  let byDigest = cache.get(certDer);
  if (!byDigest) cache.set(certDer, (byDigest = new Map()));
  let attr = byDigest.get(digest);
  if (!attr) byDigest.set(digest, (attr = new Uint8Array(signingCertificateV2Attribute(certDer, digest).toSchema().toBER())));
  return attr;
}

/** The attribute as a pkijs object (for builders that compose pkijs SignerInfos, e.g. the test TSA). */
export function signingCertificateV2Attribute(certDer: Uint8Array, digest: DigestAlgorithm = 'SHA-256'): pkijs.Attribute {
  const cert = pkijs.Certificate.fromBER(bufferSource(certDer));
  const hash = createHash(nodeDigestName(digest)).update(certDer).digest();
  const issuerSerial = new asn1js.Sequence({
    value: [
      new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: cert.issuer })] }).toSchema(),
      cert.serialNumber,
    ],
  });
  const essCertId: asn1js.AsnType[] = [];
  // DER forbids encoding a DEFAULT value, so SHA-256 is omitted.
  if (digest !== 'SHA-256') essCertId.push(new pkijs.AlgorithmIdentifier({ algorithmId: digestOid(digest) }).toSchema());
  essCertId.push(new asn1js.OctetString({ valueHex: hash }), issuerSerial);
  const value = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: essCertId })] })] });
  return new pkijs.Attribute({ type: CmsOid.signingCertificateV2, values: [value] });
}
