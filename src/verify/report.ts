// The validation report: one schema for PDF now and XML later. Vocabulary of ETSI EN 319 102-1 (indications and
// sub-indications), the seven fields Thông tư 15/2025 Art. 6(4)(b) requires, messages Vietnamese first.

export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';

export type SubIndication =
  // TOTAL_FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  // INDETERMINATE
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'POLICY_PROCESSING_ERROR'
  | 'TIMESTAMP_ORDER_FAILURE'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'REVOCATION_OUT_OF_BOUNDS_NO_POE'
  | 'TRY_LATER'
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_POE'
  | 'CUSTOM';

/** Which main indication a failing sub-indication implies (EN 319 102-1 §5.1.3). */
export const SUB_INDICATION_CLASS: Record<SubIndication, Exclude<Indication, 'TOTAL_PASSED'>> = {
  FORMAT_FAILURE: 'TOTAL_FAILED',
  HASH_FAILURE: 'TOTAL_FAILED',
  SIG_CRYPTO_FAILURE: 'TOTAL_FAILED',
  REVOKED: 'TOTAL_FAILED',
  EXPIRED: 'TOTAL_FAILED',
  NOT_YET_VALID: 'TOTAL_FAILED',
  SIG_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  CHAIN_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  CERTIFICATE_CHAIN_GENERAL_FAILURE: 'INDETERMINATE',
  CRYPTO_CONSTRAINTS_FAILURE: 'INDETERMINATE',
  POLICY_PROCESSING_ERROR: 'INDETERMINATE',
  TIMESTAMP_ORDER_FAILURE: 'INDETERMINATE',
  NO_SIGNING_CERTIFICATE_FOUND: 'INDETERMINATE',
  NO_CERTIFICATE_CHAIN_FOUND: 'INDETERMINATE',
  REVOKED_NO_POE: 'INDETERMINATE',
  REVOKED_CA_NO_POE: 'INDETERMINATE',
  OUT_OF_BOUNDS_NOT_REVOKED: 'INDETERMINATE',
  OUT_OF_BOUNDS_NO_POE: 'INDETERMINATE',
  REVOCATION_OUT_OF_BOUNDS_NO_POE: 'INDETERMINATE',
  TRY_LATER: 'INDETERMINATE',
  SIGNED_DATA_NOT_FOUND: 'INDETERMINATE',
  NO_POE: 'INDETERMINATE',
  CUSTOM: 'INDETERMINATE',
};

export interface Message {
  vi: string;
  en: string;
}

/**
 * Every check the validator can run. Policy files set a level per id. Grouped by building block:
 * format (FC), identification of the signing certificate (ISC), cryptographic verification (CV),
 * X.509 certificate validation (XCV), revocation (RFC), timestamps, and PDF modification analysis.
 */
export type CheckId =
  // structure / format checking
  | 'BYTE_RANGE' // four integers, starts at 0, two ranges, inside the file
  | 'CONTENTS_GAP' // the gap is exactly this dictionary's /Contents hex string, zero padding only
  | 'BYTE_RANGE_COLLISION' // does not overlap another signature's /Contents
  | 'SUB_FILTER' // known SubFilter (ETSI.CAdES.detached, adbe.pkcs7.detached, ETSI.RFC3161)
  | 'CMS_STRUCTURE' // CMS parses, SignedData, detached, exactly one SignerInfo
  // signing certificate identification
  | 'SIGNING_CERTIFICATE_FOUND' // the SignerInfo's sid matches a certificate
  | 'SIGNING_CERTIFICATE_REFERENCE' // ESS signing-certificate(-v2) present and matches
  // cryptographic verification
  | 'MESSAGE_DIGEST' // messageDigest attribute = digest of the byte ranges
  | 'SIGNATURE_VALUE' // signature over signed attributes verifies with the certificate's key
  | 'ALGORITHMS' // digest/signature algorithms and key sizes allowed by policy
  | 'PADES_ATTRIBUTES' // PAdES baseline: no signing-time attribute, content-type present
  // certificate validation
  | 'CERTIFICATE_CHAIN' // path to a trust anchor
  | 'CERTIFICATE_VALIDITY' // signing certificate (and chain) valid at the signing/POE time
  | 'KEY_USAGE' // nonRepudiation or digitalSignature
  | 'REVOCATION' // status determined (OCSP, then CRL; online or embedded), not revoked
  | 'REVOCATION_FRESHNESS' // revocation data produced after the signing time
  // time
  | 'SIGNING_TIME' // time source: a trusted timestamp, or only the claimed /M (warning)
  | 'TIMESTAMP' // signature timestamp: imprint, token signature, TSA EKU, TSA chain to trust
  // PDF coverage and modifications
  | 'COVERAGE' // ENTIRE_FILE / ENTIRE_REVISION; PARTIAL or UNCLEAR fails
  | 'MODIFICATIONS' // every later change explained by a whitelist rule
  | 'DOC_MDP'; // changes allowed by the certification signature's permissions

export type CheckStatus = 'PASSED' | 'FAILED' | 'WARNING' | 'INFO' | 'NOT_RUN';

export interface Check {
  id: CheckId;
  status: CheckStatus;
  message: Message;
  /** For a FAILED check: the sub-indication it implies. */
  subIndication?: SubIndication;
}

export interface SignerReport {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  title?: string;
  /** The subject serialNumber attribute (e.g. an agency code) — not the certificate serial. */
  serialNumber?: string;
  certificateSerial: string;
  /** SHA-256 (hex) of the signing certificate's DER: how the exchange binds a signer to an agency. */
  certificateSha256: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

export interface TimestampReport {
  /** Proof-of-existence time, ISO 8601 with +07:00. */
  time: string;
  tsa: string;
  valid: boolean;
}

export type Coverage = 'ENTIRE_FILE' | 'ENTIRE_REVISION' | 'PARTIAL' | 'UNCLEAR';
export type ModificationLevel = 'NONE' | 'ALLOWED' | 'DISALLOWED';

export interface Change {
  /** Object number/generation, or a description like "trailer". */
  object: string;
  revision: number;
  /** What the object is, e.g. "page 1 content", "signature field", "/DSS". */
  what: string;
  /** ALLOWED: explained by this whitelist rule; DISALLOWED: why not. */
  verdict: 'ALLOWED' | 'DISALLOWED';
  rule: string;
}

/** The seven fields of Thông tư 15/2025 Art. 6(4)(b), in Vietnamese, plus the outcome label. */
export interface Tt15Summary {
  /** 1. Tổ chức cung cấp dịch vụ chứng thực chữ ký số */
  issuer: string;
  /** 2. Thông tin người ký (with title and agency) */
  signer: string;
  /** 3. Đơn vị quản lý chứng thư chữ ký số */
  certificateManager: string;
  /** 4. Thời gian ký / Dấu thời gian */
  signingTime: string;
  timestamp?: string;
  /** 5. Tính toàn vẹn của thông điệp dữ liệu */
  integrity: string;
  /** 6. Hiệu lực của chữ ký số tại thời điểm ký */
  validAtSigningTime: string;
  /** 7. Thời hạn hiệu lực của chứng thư */
  certificateValidity: string;
  /** Hợp lệ / Không hợp lệ / Chưa xác định được hiệu lực (+ reason) */
  result: string;
}

/** Baseline level the embedded data reaches (EN 319 142-1 / 319 132-1 §6): proof of existence, validation data, archive timestamp. */
export type SignatureLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface SignatureReport {
  /** The signature field's full name. */
  id: string;
  kind: 'signature' | 'document-timestamp';
  /** e.g. PAdES-BASELINE-B, PAdES-BASELINE-T, PAdES-BASELINE-LT, PAdES-BASELINE-LTA, PKCS7-B, PKCS7-T */
  format: string;
  /** Level reached by the data in the document (B-T: a valid timestamp proves existence; B-LT: validation data embedded; B-LTA: archived). */
  level?: SignatureLevel;
  indication: Indication;
  subIndication?: SubIndication;
  signer?: SignerReport;
  /** Claimed signing time (/M or CMS signing-time), ISO 8601 with +07:00. */
  signingTime?: string;
  timestamp?: TimestampReport;
  coverage: Coverage;
  /**
   * XML signatures: what each Reference covers, as absolute position-anchored element paths
   * (e.g. /edXML[1]/edXML:edXMLEnvelope[1]/edXML:edXMLHeader[1]); "/" is the whole document minus the signature.
   */
  covered?: string[];
  byteRange?: number[];
  /** 1-based revision this signature covers. */
  revision: number;
  modifications: { level: ModificationLevel; changes: Change[] };
  /** Certification signature permissions (DocMDP P), if this is a certification signature. */
  certification?: { permissions: 1 | 2 | 3 };
  checks: Check[];
  summary: Tt15Summary;
}

export interface ValidationReport {
  document: { format: 'PDF' | 'XML'; sha256: string; size: number; revisions: number; name?: string };
  /** Overall: TOTAL_PASSED only if every signature is; TOTAL_FAILED if any is; else INDETERMINATE. */
  indication: Indication;
  subIndication?: SubIndication;
  validationTime: string;
  policy: string;
  signatures: SignatureReport[];
  /** edXML packages: the files they carry, each verified in its own right (Decree 30 Art. 21). */
  attachments?: AttachmentReport[];
  /** Short overall verdict. */
  summary: Message;
}

export interface AttachmentReport {
  contentId: string;
  name: string;
  contentType: string;
  sha256: string;
  /** The attachment's own validation report (PDF attachments). */
  report?: ValidationReport;
  /** Why it could not be verified (unreadable, or a type kyso does not verify). */
  problem?: Message;
}
