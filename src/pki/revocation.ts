// Revocation vocabulary shared by the OCSP/CRL clients and the test responders (RFC 5280 §5.3.1 CRLReason).

export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function reasonFromCode(code: number): RevocationReason | undefined {
  for (const [name, value] of Object.entries(REVOCATION_REASONS)) {
    if (value === code) return name as RevocationReason;
  }
  return undefined;
}

/** Vietnamese labels for the reasons users actually meet. */
export const REVOCATION_REASON_VI: Record<RevocationReason, string> = {
  unspecified: 'không nêu lý do',
  keyCompromise: 'khoá bí mật bị lộ',
  cACompromise: 'CA bị xâm phạm',
  affiliationChanged: 'thay đổi cơ quan, tổ chức',
  superseded: 'đã được thay thế',
  cessationOfOperation: 'ngừng hoạt động',
  certificateHold: 'tạm dừng',
  removeFromCRL: 'gỡ khỏi CRL',
  privilegeWithdrawn: 'bị rút quyền',
  aACompromise: 'AA bị xâm phạm',
};

export type CertStatusValue = 'good' | 'revoked' | 'unknown';

/** One revoked certificate as a CA records it: what the CRL issuer and OCSP responder publish. */
export interface RevokedEntry {
  /** Serial number, lowercase hex without sign padding (certificate.ts serialHex). */
  serialHex: string;
  revocationTime: Date;
  reason?: RevocationReason;
}
