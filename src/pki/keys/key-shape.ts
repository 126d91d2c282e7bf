// The key type and size a token or remote-signing service holds, read from its certificate: the key itself never
// leaves the device, and the certificate is what relying parties check the signature against.
import { X509Certificate } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import type { KeyType } from '../signer.ts';

export interface KeyShape {
  keyType: KeyType;
  keyBits: number;
}

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/** RSA modulus length or EC curve size of the certificate's public key; other key types are refused. */
export function keyShapeOf(certificate: Uint8Array): KeyShape {
  const pub = new X509Certificate(certificate).publicKey;
  const details = pub.asymmetricKeyDetails;
  if (pub.asymmetricKeyType === 'rsa') return { keyType: 'RSA', keyBits: details?.modulusLength ?? 0 };
  if (pub.asymmetricKeyType === 'ec') return { keyType: 'EC', keyBits: CURVE_BITS[details?.namedCurve ?? ''] ?? 0 };
  throw new KysoError('ALGORITHM_UNSUPPORTED', `Loại khóa ${pub.asymmetricKeyType} không được hỗ trợ`, `Unsupported key type ${pub.asymmetricKeyType}`);
}
