// Object identifiers the PKI modules share. One place so that a typo in an OID cannot make a writer and its
// reader disagree silently.

/** X.520 attribute types used in subject/issuer names. */
export const AttributeOid = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  stateOrProvince: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  title: '2.5.4.12',
  uid: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** Certificate and CRL extensions (RFC 5280, RFC 6960). */
export const ExtensionOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
} as const;

/** Access methods inside authorityInfoAccess. */
export const AccessMethodOid = {
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
} as const;

/** Extended key usage purposes. */
export const KeyPurposeOid = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  /** RFC 9336 id-kp-documentSigning. */
  documentSigning: '1.3.6.1.5.5.7.3.36',
} as const;

/** Digest algorithms (NIST + SHA-1, which only ever appears as an identifier hash, e.g. OCSP CertID). */
export const DigestOid = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** Signature algorithms. */
export const SignatureOid = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  mgf1: '1.2.840.113549.1.1.8',
} as const;

/** CMS / RFC 3161 / ESS identifiers. */
export const CmsOid = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
} as const;

/** OCSP response type (RFC 6960). */
export const OcspOid = {
  basicResponse: '1.3.6.1.5.5.7.48.1.1',
} as const;

/**
 * Test-only policy OIDs for the kyso test PKI: RFC 7229 id-TEST-certPolicyOne/Two (1.3.6.1.5.5.7.13.x), which
 * exist precisely so test certificates never claim a real CA's policy. (A UUID arc under 2.25 would not do:
 * asn1js cannot decode sub-identifiers above 2^53.) Never appears in production certificates.
 */
export const TestPolicyOid = {
  certificatePolicy: '1.3.6.1.5.5.7.13.1',
  tsaPolicy: '1.3.6.1.5.5.7.13.2',
} as const;
