// Object identifiers used by the CMS/CAdES builder and parser.
import type { DigestAlgorithm, SignatureAlgorithm } from '../signer.ts';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
} as const;

export function digestOid(d: DigestAlgorithm): string {
  return d === 'SHA-256' ? OID.sha256 : d === 'SHA-384' ? OID.sha384 : OID.sha512;
}

export function digestFromOid(oid: string): DigestAlgorithm | undefined {
  return oid === OID.sha256 ? 'SHA-256' : oid === OID.sha384 ? 'SHA-384' : oid === OID.sha512 ? 'SHA-512' : undefined;
}

/** The signatureAlgorithm OID for a SignerInfo (PSS carries its parameters separately). */
export function signatureOid(a: SignatureAlgorithm): string {
  if (a.scheme === 'RSASSA-PSS') return OID.rsassaPss;
  if (a.scheme === 'ECDSA') {
    return a.digest === 'SHA-256' ? OID.ecdsaWithSha256 : a.digest === 'SHA-384' ? OID.ecdsaWithSha384 : OID.ecdsaWithSha512;
  }
  return a.digest === 'SHA-256' ? OID.sha256WithRSA : a.digest === 'SHA-384' ? OID.sha384WithRSA : OID.sha512WithRSA;
}
