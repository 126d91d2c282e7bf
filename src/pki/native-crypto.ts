// Bridge between pkijs AlgorithmIdentifiers and Node's native crypto. All signing and signature verification in
// src/pki goes through here so that no code path falls back to a JavaScript crypto implementation.

import { createHash, createPublicKey, sign, verify, constants, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, PublicKeyInfo, RSASSAPSSParams } from 'pkijs';
import { KysoError } from '../errors.ts';
import { DigestOid, SignatureOid } from './oids.ts';
import { nodeDigestName, type DigestAlgorithm } from './signer.ts';

/** Digest names accepted for identifier hashes (OCSP CertID) as well as signatures. */
export type AnyDigest = DigestAlgorithm | 'SHA-1';

const DIGEST_BY_OID: Record<string, AnyDigest> = {
  [DigestOid.sha1]: 'SHA-1',
  [DigestOid.sha256]: 'SHA-256',
  [DigestOid.sha384]: 'SHA-384',
  [DigestOid.sha512]: 'SHA-512',
};

export function digestOid(d: AnyDigest): string {
  switch (d) {
    case 'SHA-1':
      return DigestOid.sha1;
    case 'SHA-256':
      return DigestOid.sha256;
    case 'SHA-384':
      return DigestOid.sha384;
    case 'SHA-512':
      return DigestOid.sha512;
  }
}

export function digestFromOid(oid: string): AnyDigest | undefined {
  return DIGEST_BY_OID[oid];
}

function nodeName(d: AnyDigest): string {
  return d === 'SHA-1' ? 'sha1' : nodeDigestName(d);
}

export function hash(d: AnyDigest, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeName(d)).update(data).digest());
}

/**
 * AlgorithmIdentifier for a digest. RFC 5754 §2: SHA-2 identifiers are generated with absent parameters;
 * SHA-1 (only ever an identifier hash here, e.g. OCSP CertID) keeps the NULL that RFC 6960 examples and
 * OpenSSL use.
 */
export function digestAlgorithmIdentifier(d: AnyDigest): AlgorithmIdentifier {
  return d === 'SHA-1'
    ? new AlgorithmIdentifier({ algorithmId: digestOid(d), algorithmParams: new asn1js.Null() })
    : new AlgorithmIdentifier({ algorithmId: digestOid(d) });
}

/**
 * Signature AlgorithmIdentifier for a private key. RSA keys get PKCS#1 v1.5 (what CA, OCSP and TSA
 * infrastructure emits and every verifier accepts); EC keys get ECDSA with absent parameters (RFC 5758).
 */
export function signatureAlgorithmFor(key: KeyObject, d: DigestAlgorithm): AlgorithmIdentifier {
  if (key.asymmetricKeyType === 'rsa') {
    const oid = d === 'SHA-256' ? SignatureOid.sha256WithRSA : d === 'SHA-384' ? SignatureOid.sha384WithRSA : SignatureOid.sha512WithRSA;
    return new AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
  }
  if (key.asymmetricKeyType === 'ec') {
    const oid = d === 'SHA-256' ? SignatureOid.ecdsaWithSHA256 : d === 'SHA-384' ? SignatureOid.ecdsaWithSHA384 : SignatureOid.ecdsaWithSHA512;
    return new AlgorithmIdentifier({ algorithmId: oid });
  }
  throw new KysoError(
    'ALGORITHM_UNSUPPORTED',
    `Loại khoá không được hỗ trợ: ${key.asymmetricKeyType ?? '?'}`,
    `Unsupported key type: ${key.asymmetricKeyType ?? '?'}`,
  );
}

/** Signs with Node crypto. ECDSA output is the DER Ecdsa-Sig-Value that X.509, CMS and OCSP carry. */
export function signNative(key: KeyObject, d: DigestAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(nodeDigestName(d), data, { key, dsaEncoding: 'der' }));
}

/** A public key as Node sees it, from a pkijs PublicKeyInfo (SubjectPublicKeyInfo). */
export function publicKeyFromSpki(spki: PublicKeyInfo): KeyObject {
  const der = Buffer.from(spki.toSchema().toBER());
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

interface VerifyPlan {
  digest: AnyDigest;
  pss?: { saltLength: number };
}

/**
 * Works out how to verify from a signature AlgorithmIdentifier. `digestHint` is for CMS SignerInfos that say
 * only "rsaEncryption" and put the digest in a separate field.
 */
function planFor(alg: AlgorithmIdentifier, digestHint?: AnyDigest): VerifyPlan {
  switch (alg.algorithmId) {
    case SignatureOid.sha256WithRSA:
    case SignatureOid.ecdsaWithSHA256:
      return { digest: 'SHA-256' };
    case SignatureOid.sha384WithRSA:
    case SignatureOid.ecdsaWithSHA384:
      return { digest: 'SHA-384' };
    case SignatureOid.sha512WithRSA:
    case SignatureOid.ecdsaWithSHA512:
      return { digest: 'SHA-512' };
    case SignatureOid.rsaEncryption:
    case SignatureOid.ecPublicKey:
      if (digestHint && digestHint !== 'SHA-1') return { digest: digestHint };
      break;
    case SignatureOid.rsassaPss: {
      // RFC 4055 defaults are SHA-1; only explicit SHA-2 parameters are acceptable (Annex I: no SHA-1).
      const params = new RSASSAPSSParams({ schema: alg.algorithmParams });
      const d = digestFromOid(params.hashAlgorithm.algorithmId);
      if (d && d !== 'SHA-1') return { digest: d, pss: { saltLength: params.saltLength } };
      break;
    }
  }
  throw new KysoError(
    'ALGORITHM_UNSUPPORTED',
    `Thuật toán chữ ký không được hỗ trợ: ${alg.algorithmId}`,
    `Unsupported signature algorithm: ${alg.algorithmId}`,
  );
}

/**
 * Verifies `signature` over `data` with Node crypto. Returns false on a bad signature; throws
 * ALGORITHM_UNSUPPORTED for algorithms we refuse (SHA-1 signatures, unknown OIDs).
 */
export function verifyNative(
  spki: PublicKeyInfo,
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  digestHint?: AnyDigest,
): boolean {
  const plan = planFor(alg, digestHint);
  const key = publicKeyFromSpki(spki);
  const options = plan.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: plan.pss.saltLength }
    : { key, dsaEncoding: 'der' as const };
  try {
    return verify(nodeName(plan.digest), data, options, signature);
  } catch {
    // Malformed signature bytes (e.g. a truncated ECDSA DER) are just a failed verification.
    return false;
  }
}

/** Bytes of a BIT STRING / OCTET STRING value as a fresh Uint8Array. */
export function valueBytes(v: asn1js.BitString | asn1js.OctetString): Uint8Array {
  return new Uint8Array(v.valueBlock.valueHexView);
}
