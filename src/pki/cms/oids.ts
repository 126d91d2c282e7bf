// Algorithm-identifier choices of the CAdES builder. The OIDs themselves live in ../oids.ts.
import { SignatureOid } from '../oids.ts';
import type { SignatureAlgorithm } from '../signer.ts';

/** The signatureAlgorithm OID for a SignerInfo (PSS carries its parameters separately). */
export function signatureOid(a: SignatureAlgorithm): string {
  if (a.scheme === 'RSASSA-PSS') return SignatureOid.rsassaPss;
  if (a.scheme === 'ECDSA') {
    return a.digest === 'SHA-256' ? SignatureOid.ecdsaWithSHA256 : a.digest === 'SHA-384' ? SignatureOid.ecdsaWithSHA384 : SignatureOid.ecdsaWithSHA512;
  }
  return a.digest === 'SHA-256' ? SignatureOid.sha256WithRSA : a.digest === 'SHA-384' ? SignatureOid.sha384WithRSA : SignatureOid.sha512WithRSA;
}
