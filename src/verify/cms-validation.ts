// Contract of the format-independent part of signature validation: everything about a CMS signature (or an
// RFC 3161 token used as a document timestamp) given the bytes it signs. Knows nothing of PDF; the PDF and
// (later) XML validators call it and add their own structure and coverage checks.
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import type { AlgorithmPolicy } from './policy.ts';
import type { Check, SignerReport, TimestampReport } from './report.ts';
import type { TrustStore } from './trust-store.ts';

/** Validation data found in the document (PDF /DSS, CMS revocation values) to use before the network. */
export interface EmbeddedValidationData {
  certificates: Uint8Array[];
  ocspResponses: Uint8Array[];
  crls: Uint8Array[];
}

export interface ValidationContext {
  trust: TrustStore;
  /** Validation time (`--at`); default now. */
  at?: Date;
  /** No network: only embedded data and caches. */
  offline?: boolean;
  network?: PkiNetworkOptions;
  /** Fetch missing issuers from AIA caIssuers (ignored offline). */
  fetchIssuers?: boolean;
  algorithms: AlgorithmPolicy;
}

export interface CmsValidationInput {
  kind: 'signature' | 'document-timestamp';
  /** DER of the CMS ContentInfo (padding already stripped). */
  cms: Uint8Array;
  /** The signed bytes in order (for PDF: the two /ByteRange ranges). */
  signedContent: readonly Uint8Array[];
  /** Claimed signing time from the container (PDF /M), if any. */
  claimedSigningTime?: Date;
  embedded?: EmbeddedValidationData;
  /**
   * Proof of existence of these signature bytes from a later valid timestamp that covers them (a PDF document
   * timestamp, a XAdES archive timestamp): the signature and its own timestamps existed at that time.
   */
  archivePoe?: Date;
}

export interface CmsValidationResult {
  /** Raw check outcomes (status PASSED/FAILED/WARNING/INFO); the caller applies the policy levels. */
  checks: Check[];
  signer?: SignerReport;
  /** DER of the signing certificate and the chain that was built (leaf first, anchor last). */
  signingCertificate?: Uint8Array;
  chain?: Uint8Array[];
  timestamp?: TimestampReport;
  /** The time the signature is proven to exist (timestamp genTime), else undefined. */
  proofOfExistence?: Date;
  /** The time used for certificate checks: POE if any, else the claimed time, else the validation time. */
  signingTimeUsed: Date;
  /** CAdES/PAdES level reached by the data present: B-B, B-T, B-LT (validation data embedded). */
  level: 'B-B' | 'B-T' | 'B-LT';
  /** The CMS carries the signing-time signed attribute (not allowed in PAdES baseline). */
  hasSigningTimeAttribute: boolean;
  /** SubFilter-independent algorithm description, e.g. "RSASSA-PSS/SHA-256 (2048)". */
  algorithm?: string;
}
