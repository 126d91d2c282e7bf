// Stable exit codes for the `kyso` command, grouped by what the user has to fix.
import type { ErrorCode } from '../errors.ts';

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  /** Wrong or missing command-line arguments. */
  USAGE: 2,
  /** The input document cannot be processed (not a PDF, corrupt, encrypted, bad image). */
  INPUT: 3,
  /** Key store problems: wrong password, corrupt PKCS#12, key and certificate do not match. */
  KEY: 4,
  /** The signing certificate must not be used: expired, not yet valid, revoked, status unknown, key usage. */
  CERTIFICATE: 5,
  /** TSA / OCSP / CRL / network failures. */
  NETWORK: 6,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: EXIT.USAGE,
  PAGE_OUT_OF_RANGE: EXIT.USAGE,
  ALGORITHM_UNSUPPORTED: EXIT.USAGE,
  NOT_A_PDF: EXIT.INPUT,
  UNSUPPORTED_FORMAT: EXIT.INPUT,
  XML_MALFORMED: EXIT.INPUT,
  XML_DOCTYPE: EXIT.INPUT,
  EDXML_INVALID: EXIT.INPUT,
  PDF_MALFORMED: EXIT.INPUT,
  PDF_ENCRYPTED: EXIT.INPUT,
  PDF_UNSUPPORTED: EXIT.INPUT,
  IMAGE_INVALID: EXIT.INPUT,
  FONT_MISSING_GLYPH: EXIT.INPUT,
  IO: EXIT.INPUT,
  WRONG_PASSWORD: EXIT.KEY,
  KEYSTORE_INVALID: EXIT.KEY,
  KEY_CERT_MISMATCH: EXIT.KEY,
  // Tokens/HSMs and remote signing services are key stores too: a wrong PIN is a wrong password.
  PKCS11_MODULE: EXIT.KEY,
  TOKEN_NOT_PRESENT: EXIT.KEY,
  TOKEN_ERROR: EXIT.KEY,
  KEY_NOT_FOUND: EXIT.KEY,
  PIN_LOCKED: EXIT.KEY,
  REMOTE_AUTH_FAILED: EXIT.KEY,
  REMOTE_SIGNING_FAILED: EXIT.KEY,
  CERT_EXPIRED: EXIT.CERTIFICATE,
  CERT_NOT_YET_VALID: EXIT.CERTIFICATE,
  CERT_REVOKED: EXIT.CERTIFICATE,
  CERT_STATUS_UNKNOWN: EXIT.CERTIFICATE,
  CERT_KEY_USAGE: EXIT.CERTIFICATE,
  TSA_FAILED: EXIT.NETWORK,
  OCSP_FAILED: EXIT.NETWORK,
  CRL_FAILED: EXIT.NETWORK,
  NETWORK: EXIT.NETWORK,
};

export const exitCodeFor = (code: ErrorCode): number => BY_CODE[code] ?? EXIT.FAILURE;
