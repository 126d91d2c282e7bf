// What the token (PKCS#11) and remote-signing (CSC) signer tests both check a signer against: the KysoError an
// operation fails with, and whether a signature verifies under the certificate's public key with Node's crypto.
import { constants, verify, X509Certificate } from 'node:crypto';
import { isKysoError, type KysoError } from '../../src/errors.ts';
import { nodeDigestName, type SignatureAlgorithm } from '../../src/pki/signer.ts';

/** The KysoError `p` rejects with; anything else (a resolved promise, another error) fails the test. */
export async function failure(p: Promise<unknown>): Promise<KysoError> {
  try {
    await p;
  } catch (e) {
    if (isKysoError(e)) return e;
    throw e;
  }
  throw new Error('expected a KysoError');
}

/** True when `sig` is a valid `a` signature over `data` by the key certified in `certificate` (PSS salt = digest length, ECDSA DER). */
export function verifies(certificate: Uint8Array, data: Buffer, a: SignatureAlgorithm, sig: Uint8Array): boolean {
  const key = new X509Certificate(certificate).publicKey;
  const md = nodeDigestName(a.digest);
  if (a.scheme === 'RSASSA-PSS') return verify(md, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig);
  if (a.scheme === 'ECDSA') return verify(md, data, { key, dsaEncoding: 'der' }, sig);
  return verify(md, data, key, sig);
}
