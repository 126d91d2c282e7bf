// The one signing abstraction every key store implements (PKCS#12 in memory, PKCS#11, remote, external).
// Crypto only: nothing here knows about PDF or XML.

export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';
export type SignatureScheme = 'RSASSA-PKCS1-v1_5' | 'RSASSA-PSS' | 'ECDSA';
export type KeyType = 'RSA' | 'EC';

export interface SignatureAlgorithm {
  digest: DigestAlgorithm;
  scheme: SignatureScheme;
}

export interface Signer {
  /** DER of the signing certificate. */
  readonly certificate: Uint8Array;
  /** DER of the issuing chain, nearest issuer first (may end with the root). Excludes `certificate`. */
  readonly chain: readonly Uint8Array[];
  readonly keyType: KeyType;
  /** Key size in bits (RSA modulus or EC field size): used to size placeholders and check policy. */
  readonly keyBits: number;
  /**
   * Signs `data` (the implementation hashes it with `algorithm.digest`).
   * RSASSA-PSS uses MGF1 with the same digest and salt length = digest length (RFC 4055 defaults we emit).
   * ECDSA returns the DER-encoded Ecdsa-Sig-Value, as CMS and XAdES (after conversion) expect.
   */
  sign(data: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array>;
}

export function digestLength(d: DigestAlgorithm): number {
  return d === 'SHA-256' ? 32 : d === 'SHA-384' ? 48 : 64;
}

/** Node crypto's name for a digest algorithm. */
export function nodeDigestName(d: DigestAlgorithm): 'sha256' | 'sha384' | 'sha512' {
  return d === 'SHA-256' ? 'sha256' : d === 'SHA-384' ? 'sha384' : 'sha512';
}

/**
 * Thông tư 15/2025 Annex I names PKCS#1 v2.1 RSASSA-PSS for RSA, so PSS is what we emit by default;
 * PKCS#1 v1.5 stays selectable for relying parties that cannot verify PSS.
 */
export function defaultScheme(keyType: KeyType): SignatureScheme {
  return keyType === 'EC' ? 'ECDSA' : 'RSASSA-PSS';
}
