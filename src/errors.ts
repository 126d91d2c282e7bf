// Typed errors with stable codes. The CLI maps them to exit codes and messages; the HTTP layer (later) to
// application/problem+json. Messages are Vietnamese first, then English.

export type ErrorCode =
  | 'NOT_A_PDF'
  | 'PDF_MALFORMED'
  | 'PDF_ENCRYPTED'
  | 'PDF_UNSUPPORTED'
  | 'PAGE_OUT_OF_RANGE'
  | 'WRONG_PASSWORD'
  | 'PKCS11_MODULE' | 'TOKEN_NOT_PRESENT' | 'TOKEN_ERROR' | 'KEY_NOT_FOUND' | 'PIN_LOCKED' | 'REMOTE_AUTH_FAILED' | 'REMOTE_SIGNING_FAILED'
  | 'KEYSTORE_INVALID'
  | 'KEY_CERT_MISMATCH'
  | 'SIGNATURE_VALUE_INVALID' | 'SESSION_EXPIRED' | 'SESSION_CLOSED'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_REVOKED'
  | 'CERT_STATUS_UNKNOWN'
  | 'CERT_KEY_USAGE'
  | 'ALGORITHM_UNSUPPORTED'
  | 'PLACEHOLDER_TOO_SMALL'
  | 'TSA_FAILED'
  | 'OCSP_FAILED'
  | 'CRL_FAILED'
  | 'NETWORK'
  | 'IMAGE_INVALID'
  | 'FONT_MISSING_GLYPH'
  | 'UNSUPPORTED_FORMAT'
  | 'XML_MALFORMED'
  | 'XML_DOCTYPE'
  | 'EDXML_INVALID'
  | 'INVALID_ARGUMENT'
  | 'IO'
  | 'DB_ERROR'
  | 'DB_UNAVAILABLE'
  | 'DB_CONFLICT'
  | 'BLOB_NOT_FOUND'
  | 'BLOB_CORRUPT'
  | 'AUDIT_CHAIN_BROKEN'
  | 'REDIS_UNAVAILABLE'
  | 'CALENDAR_YEAR_MISSING'
  | 'NO_SERVICE_KEY'
  | 'UNKNOWN_AGENCY'
  | 'CASE_STATE'
  | 'PACKAGE_REJECTED'
  | 'IDEMPOTENCY_MISMATCH'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CALENDAR_DATA_INVALID';

export class KysoError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** Vietnamese message shown first to users. */
    readonly vi: string,
    /** English message. */
    readonly en: string,
    options?: { cause?: unknown },
  ) {
    super(`${vi} (${en})`, options);
    this.name = 'KysoError';
  }
}

export const isKysoError = (e: unknown, code?: ErrorCode): e is KysoError =>
  e instanceof KysoError && (code === undefined || e.code === code);
