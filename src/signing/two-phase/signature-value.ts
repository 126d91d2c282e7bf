// The signature value a client sends back in two-phase signing, checked against the certificate the session
// announced before anything is embedded: a value made with another key, another algorithm or over other bytes
// is refused here, so a signed document with a broken signature is never produced.
//
// ECDSA: WebCrypto, PKCS#11 CKM_ECDSA and most token plugins give the raw r||s (IEEE P1363); CMS and the
// Signer interface carry the DER Ecdsa-Sig-Value. Both are accepted and the DER form is returned.
import { constants, verify, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { KysoError } from '../../errors.ts';
import { digestLength, nodeDigestName, type KeyType, type SignatureAlgorithm } from '../../pki/signer.ts';

export interface CertificateKey {
  publicKey: KeyObject;
  keyType: KeyType;
  /** RSA modulus bits or EC field bits. */
  keyBits: number;
}

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** The public key of a certificate, with the key type and size the signing code needs. */
export function certificateKey(certificate: Uint8Array): CertificateKey {
  let x: X509Certificate;
  try {
    x = new X509Certificate(certificate);
  } catch (e) {
    throw new KysoError('INVALID_ARGUMENT', 'Chứng thư số không đọc được (cần X.509 dạng PEM hoặc DER)', 'The certificate cannot be read (X.509 PEM or DER expected)', { cause: e });
  }
  const publicKey = x.publicKey;
  if (publicKey.asymmetricKeyType === 'rsa') {
    return { publicKey, keyType: 'RSA', keyBits: publicKey.asymmetricKeyDetails?.modulusLength ?? 0 };
  }
  if (publicKey.asymmetricKeyType === 'ec') {
    const bits = CURVE_BITS[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
    if (bits) return { publicKey, keyType: 'EC', keyBits: bits };
  }
  throw new KysoError(
    'ALGORITHM_UNSUPPORTED',
    `Khóa công khai loại ${publicKey.asymmetricKeyType ?? '?'} ${publicKey.asymmetricKeyDetails?.namedCurve ?? ''} không được hỗ trợ`,
    `Unsupported public key ${publicKey.asymmetricKeyType ?? '?'} ${publicKey.asymmetricKeyDetails?.namedCurve ?? ''}`,
  );
}

/** True when `sig` is exactly one DER SEQUENCE of two INTEGERs. */
function isDerEcdsa(sig: Uint8Array): boolean {
  const parsed = asn1js.fromBER(sig);
  if (parsed.offset !== sig.length || !(parsed.result instanceof asn1js.Sequence)) return false;
  const v = parsed.result.valueBlock.value;
  return v.length === 2 && v.every((x) => x instanceof asn1js.Integer);
}

/** r||s (two halves of the curve's byte size) → DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => asn1js.Integer.fromBigInt(BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`));
  return new Uint8Array(new asn1js.Sequence({ value: [int(raw.subarray(0, half)), int(raw.subarray(half))] }).toBER());
}

/**
 * An ECDSA value as DER: raw r||s (exactly twice the curve's byte size) is converted, DER is kept. A DER value
 * is never that exact length for the curves we accept (P-256: 64 raw vs 70–72 DER), so the two cannot be confused.
 */
export function normalizeEcdsaSignature(sig: Uint8Array, keyBits: number): Uint8Array {
  const size = Math.ceil(keyBits / 8);
  if (sig.length === 2 * size && !isDerEcdsa(sig)) return ecdsaRawToDer(sig);
  return sig;
}

export const invalidSignature = (vi: string, en: string) => new KysoError('SIGNATURE_VALUE_INVALID', vi, en);

/**
 * Verifies `value` over `data` (the implementation hashes `data` with the algorithm's digest) with the
 * certificate's public key. RSASSA-PSS: MGF1 with the same digest and salt length = digest length, exactly what
 * the CMS and XAdES algorithm identifiers declare. Returns the value as it must be embedded (ECDSA in DER);
 * throws SIGNATURE_VALUE_INVALID otherwise.
 */
export function checkSignatureValue(key: CertificateKey, algorithm: SignatureAlgorithm, data: Uint8Array, value: Uint8Array): Uint8Array {
  if (value.length === 0) throw invalidSignature('Giá trị chữ ký trống', 'The signature value is empty');
  if ((algorithm.scheme === 'ECDSA') !== (key.keyType === 'EC')) {
    throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ${algorithm.scheme} không dùng được với khóa ${key.keyType}`, `Scheme ${algorithm.scheme} does not fit a ${key.keyType} key`);
  }
  const md = nodeDigestName(algorithm.digest);
  let ok = false;
  let embedded = value;
  try {
    if (algorithm.scheme === 'ECDSA') {
      embedded = normalizeEcdsaSignature(value, key.keyBits);
      ok = verify(md, data, { key: key.publicKey, dsaEncoding: 'der' }, embedded);
    } else if (algorithm.scheme === 'RSASSA-PSS') {
      ok = verify(md, data, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength(algorithm.digest) }, value);
    } else {
      ok = verify(md, data, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, value);
    }
  } catch {
    ok = false; // malformed bytes are a failed verification, not a server fault
  }
  if (!ok) {
    throw invalidSignature(
      `Chữ ký không khớp với chứng thư số đã khai báo (${algorithm.scheme}, ${algorithm.digest}): hãy ký lại đúng dữ liệu bằng khóa của chứng thư này`,
      `The signature does not verify against the announced certificate (${algorithm.scheme}, ${algorithm.digest}): sign the data again with this certificate's key`,
    );
  }
  return embedded;
}
