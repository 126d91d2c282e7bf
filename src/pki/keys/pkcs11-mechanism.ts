// Which PKCS#11 mechanism makes the signature a Signer promises, and what to feed it. By default the host
// hashes and the token only does the private-key operation (CKM_RSA_PKCS over a DigestInfo, CKM_RSA_PKCS_PSS
// or CKM_ECDSA over the digest): less data crosses to a network HSM, and every token that signs at all
// offers these. A token without them, or `hashOnToken`, gets the combined mechanisms (CKM_SHA256_RSA_PKCS…).
// Both produce exactly what KeyObjectSigner emits: PSS with MGF1 of the same digest and salt = digest length.
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, DigestInfo } from 'pkijs';
import { KysoError } from '../../errors.ts';
import { digestOid, hash } from '../native-crypto.ts';
import { digestLength, type DigestAlgorithm, type KeyType, type SignatureAlgorithm } from '../signer.ts';
import type { KeyShape } from './key-shape.ts';
import { pkcs11js } from './pkcs11-module.ts';

export interface SignPlan {
  mechanism: pkcs11js.Mechanism;
  /** What C_Sign gets. */
  input: Buffer;
  /** Bytes C_Sign returns at most. */
  outputLength: number;
  /** CKM_ECDSA* return r||s, which the Signer contract turns into a DER Ecdsa-Sig-Value. */
  rawEcdsa: boolean;
}

const P = pkcs11js;

const BY_DIGEST: Record<DigestAlgorithm, { hash: number; mgf: number; rsa: number; pss: number; ecdsa: number }> = {
  'SHA-256': { hash: P.CKM_SHA256, mgf: P.CKG_MGF1_SHA256, rsa: P.CKM_SHA256_RSA_PKCS, pss: P.CKM_SHA256_RSA_PKCS_PSS, ecdsa: P.CKM_ECDSA_SHA256 },
  'SHA-384': { hash: P.CKM_SHA384, mgf: P.CKG_MGF1_SHA384, rsa: P.CKM_SHA384_RSA_PKCS, pss: P.CKM_SHA384_RSA_PKCS_PSS, ecdsa: P.CKM_ECDSA_SHA384 },
  'SHA-512': { hash: P.CKM_SHA512, mgf: P.CKG_MGF1_SHA512, rsa: P.CKM_SHA512_RSA_PKCS, pss: P.CKM_SHA512_RSA_PKCS_PSS, ecdsa: P.CKM_ECDSA_SHA512 },
};

/** PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2) with the NULL parameters the standard's encodings carry. */
export function digestInfo(d: DigestAlgorithm, digest: Uint8Array): Buffer {
  const di = new DigestInfo({
    digestAlgorithm: new AlgorithmIdentifier({ algorithmId: digestOid(d), algorithmParams: new asn1js.Null() }),
    digest: new asn1js.OctetString({ valueHex: digest }),
  });
  return Buffer.from(di.toSchema().toBER());
}

function checkFits(key: KeyShape, a: SignatureAlgorithm): void {
  const want: KeyType = a.scheme === 'ECDSA' ? 'EC' : 'RSA';
  if (key.keyType !== want) {
    throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ${a.scheme} không dùng được với khóa ${key.keyType}`, `Scheme ${a.scheme} does not fit a ${key.keyType} key`);
  }
}

function outputLength(key: KeyShape): number {
  const n = Math.ceil(key.keyBits / 8);
  return key.keyType === 'EC' ? 2 * n : n;
}

/** Host-side hashing: the token signs a digest the caller already computed. */
export function planForDigest(digest: Uint8Array, a: SignatureAlgorithm, key: KeyShape): SignPlan {
  checkFits(key, a);
  if (digest.length !== digestLength(a.digest)) {
    throw new KysoError('INVALID_ARGUMENT', `Độ dài giá trị băm không khớp ${a.digest}`, `Digest length ${digest.length} does not match ${a.digest}`);
  }
  const out = outputLength(key);
  switch (a.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      return { mechanism: { mechanism: P.CKM_RSA_PKCS }, input: digestInfo(a.digest, digest), outputLength: out, rawEcdsa: false };
    case 'RSASSA-PSS':
      return { mechanism: { mechanism: P.CKM_RSA_PKCS_PSS, parameter: pssParams(a.digest) }, input: Buffer.from(digest), outputLength: out, rawEcdsa: false };
    case 'ECDSA':
      return { mechanism: { mechanism: P.CKM_ECDSA }, input: Buffer.from(digest), outputLength: out, rawEcdsa: true };
  }
}

/** Token-side hashing: the combined mechanism gets the data itself. */
export function planForData(data: Uint8Array, a: SignatureAlgorithm, key: KeyShape): SignPlan {
  checkFits(key, a);
  const m = BY_DIGEST[a.digest];
  const out = outputLength(key);
  const input = Buffer.from(data);
  switch (a.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      return { mechanism: { mechanism: m.rsa }, input, outputLength: out, rawEcdsa: false };
    case 'RSASSA-PSS':
      return { mechanism: { mechanism: m.pss, parameter: pssParams(a.digest) }, input, outputLength: out, rawEcdsa: false };
    case 'ECDSA':
      return { mechanism: { mechanism: m.ecdsa }, input, outputLength: out, rawEcdsa: true };
  }
}

function pssParams(d: DigestAlgorithm): pkcs11js.RsaPSS {
  const m = BY_DIGEST[d];
  return { type: P.CK_PARAMS_RSA_PSS, hashAlg: m.hash, mgf: m.mgf, saltLen: digestLength(d) };
}

/**
 * Picks host or token hashing from what the token offers (`mechanisms` = C_GetMechanismList), preferring
 * `hashOnToken`'s choice and falling back to the other.
 */
export function planSignature(data: Uint8Array, a: SignatureAlgorithm, key: KeyShape, mechanisms: ReadonlySet<number>, hashOnToken: boolean): SignPlan {
  const host = (): SignPlan => planForDigest(hash(a.digest, data), a, key);
  const token = (): SignPlan => planForData(data, a, key);
  const order = hashOnToken ? [token, host] : [host, token];
  for (const make of order) {
    const plan = make();
    if (mechanisms.has(plan.mechanism.mechanism)) return plan;
  }
  throw new KysoError(
    'ALGORITHM_UNSUPPORTED',
    `Thiết bị ký không hỗ trợ ${a.scheme} với ${a.digest}`,
    `The token offers no mechanism for ${a.scheme} with ${a.digest}`,
  );
}

/** r||s (PKCS#11 CKM_ECDSA output, two equal halves) → DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new KysoError('TOKEN_ERROR', 'Chữ ký ECDSA từ thiết bị không đúng dạng r||s', `The token's ECDSA signature is not r||s (${raw.length} bytes)`);
  }
  const half = raw.length / 2;
  const int = (b: Uint8Array): asn1js.Integer => asn1js.Integer.fromBigInt(BigInt(`0x${Buffer.from(b).toString('hex')}`));
  const seq = new asn1js.Sequence({ value: [int(raw.subarray(0, half)), int(raw.subarray(half))] });
  return new Uint8Array(seq.toBER());
}

/** True when `sig` is exactly one DER SEQUENCE of two INTEGERs (as opposed to raw r||s). */
export function isDerEcdsaSignature(sig: Uint8Array): boolean {
  const parsed = asn1js.fromBER(sig);
  if (parsed.offset !== sig.length || !(parsed.result instanceof asn1js.Sequence)) return false;
  const v = parsed.result.valueBlock.value;
  return v.length === 2 && v.every((x) => x instanceof asn1js.Integer);
}
