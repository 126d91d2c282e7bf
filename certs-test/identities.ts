// The identities of the kyso test PKI: who they are, how they are keyed and what their certificates say.
// generate.ts turns this table into certs-test/pki/. Dates are fixed so that regeneration is reproducible.

import type { KeyUsageFlags } from '../src/pki/certificate.ts';
import { KeyPurposeOid } from '../src/pki/oids.ts';
import type { RevocationReason } from '../src/pki/revocation.ts';
import type { TestPkiRole } from '../src/pki/responders/test-pki-manifest.ts';
import type { NameSpec } from './cert-builder.ts';

/** Base URL baked into AIA/CDP. Tests rewrite it to the ephemeral port of their server (see README). */
export const BASE_URL = 'http://127.0.0.1:8400';
export const PASSWORD = 'kyso-test';

export type KeySpec = { type: 'RSA'; bits: 2048 | 3072 | 4096 } | { type: 'EC'; curve: 'P-256' };

export interface IdentityPlan {
  id: string;
  role: TestPkiRole;
  key: KeySpec;
  issuer: string | null;
  subject: NameSpec;
  notBefore: string;
  notAfter: string;
  keyUsage: readonly (keyof KeyUsageFlags)[];
  extKeyUsage?: { purposes: readonly string[]; critical: boolean };
  ca?: { pathLen?: number };
  ocspNoCheck?: boolean;
  agencyCode?: string;
  title?: string;
  caName?: string;
  ocspResponder?: string;
  revocation?: { time: string; reason: RevocationReason };
  note?: string;
}

const C: readonly ['C', string] = ['C', 'VN'];
const HANOI: readonly ['L', string] = ['L', 'Hà Nội'];
const BCY = 'Ban Cơ yếu Chính phủ (THỬ NGHIỆM)';

// Validity windows (Decree 23/2025: root ≤ 25 y, CA ≤ 10 y, TSA ≤ 5 y, subscriber ≤ 3 y).
const ROOT_FROM = '2024-01-01T00:00:00Z';
const ROOT_TO = '2048-12-31T23:59:59Z';
const CA_FROM = '2024-01-01T00:00:00Z';
const CA_TO = '2033-12-31T23:59:59Z';
const SIGNER_FROM = '2025-04-01T00:00:00Z';
const SIGNER_TO = '2028-03-31T23:59:59Z';
const TSA_FROM = '2025-01-01T00:00:00Z';
const TSA_TO = '2029-12-31T23:59:59Z';

const SIGNER_KU = ['digitalSignature', 'nonRepudiation'] as const;
const SIGNER_EKU = { purposes: [KeyPurposeOid.emailProtection, KeyPurposeOid.documentSigning], critical: false };
const CA_KU = ['digitalSignature', 'keyCertSign', 'cRLSign'] as const;

function seal(id: string, key: KeySpec, place: string, agency: string, agencyCode: string): IdentityPlan {
  return {
    id,
    role: 'seal',
    key,
    issuer: 'ca',
    // Agency code in serialNumber (2.5.4.5): it identifies the subject entity, which for a seal is the agency.
    subject: [C, ['L', place], ['O', agency], ['CN', agency], ['SERIALNUMBER', agencyCode]],
    notBefore: SIGNER_FROM,
    notAfter: SIGNER_TO,
    keyUsage: SIGNER_KU,
    extKeyUsage: SIGNER_EKU,
    agencyCode,
  };
}

function person(id: string, key: KeySpec, place: string, agency: string, title: string, name: string, unit?: string): IdentityPlan {
  return {
    id,
    role: 'person',
    key,
    issuer: 'ca',
    subject: [C, ['L', place], ['O', agency], ...(unit ? ([['OU', unit]] as const) : []), ['T', title], ['CN', name]],
    notBefore: SIGNER_FROM,
    notAfter: SIGNER_TO,
    keyUsage: SIGNER_KU,
    extKeyUsage: SIGNER_EKU,
    title,
  };
}

const RSA2048: KeySpec = { type: 'RSA', bits: 2048 };
const P256: KeySpec = { type: 'EC', curve: 'P-256' };

export const IDENTITIES: readonly IdentityPlan[] = [
  {
    id: 'root-ca',
    role: 'root-ca',
    key: { type: 'RSA', bits: 4096 },
    issuer: null,
    subject: [C, ['O', 'Trung tâm Chứng thực điện tử quốc gia (THỬ NGHIỆM)'], ['CN', 'Test NEAC Root']],
    notBefore: ROOT_FROM,
    notAfter: ROOT_TO,
    keyUsage: CA_KU,
    ca: {},
    caName: 'root',
    note: 'Trust anchor. Signs its own OCSP responses (for the ca certificate) and root.crl.',
  },
  {
    id: 'ca',
    role: 'ca',
    key: { type: 'RSA', bits: 3072 },
    issuer: 'root-ca',
    subject: [C, ['O', BCY], ['OU', 'Cục Chứng thực số và Bảo mật thông tin'], ['CN', 'Test Ban Cơ yếu CA']],
    notBefore: CA_FROM,
    notAfter: CA_TO,
    keyUsage: CA_KU,
    ca: { pathLen: 0 },
    caName: 'ca',
    ocspResponder: 'ocsp',
  },
  seal('vpcp-seal', RSA2048, 'Hà Nội', 'Văn phòng Chính phủ', '000.00.00.G22'),
  { ...seal('ministry-seal', P256, 'Hà Nội', 'Bộ Tư pháp', '000.00.12.H99'), note: 'Agency code is invented (test only).' },
  {
    ...seal('province-seal', RSA2048, 'Ninh Bình', 'Ủy ban nhân dân tỉnh Ninh Bình', '000.00.37.H98'),
    note: 'Agency code is invented (test only).',
  },
  person('person-vpcp', RSA2048, 'Hà Nội', 'Văn phòng Chính phủ', 'Chánh Văn phòng', 'Nguyễn Văn An'),
  person('person-ministry', P256, 'Hà Nội', 'Bộ Tư pháp', 'Phó Chánh Văn phòng', 'Trần Thị Bích Ngọc', 'Văn phòng Bộ'),
  person('person-province', RSA2048, 'Ninh Bình', 'Ủy ban nhân dân tỉnh Ninh Bình', 'Phó Chủ tịch', 'Lê Hoàng Minh'),
  {
    id: 'tsa',
    role: 'tsa',
    key: RSA2048,
    issuer: 'ca',
    subject: [C, HANOI, ['O', BCY], ['CN', 'Test Ban Cơ yếu TSA']],
    notBefore: TSA_FROM,
    notAfter: TSA_TO,
    keyUsage: SIGNER_KU,
    // RFC 3161 §2.3: the TSA certificate has exactly one EKU, timeStamping, and it is critical.
    extKeyUsage: { purposes: [KeyPurposeOid.timeStamping], critical: true },
  },
  {
    id: 'ocsp',
    role: 'ocsp',
    key: P256,
    issuer: 'ca',
    subject: [C, HANOI, ['O', BCY], ['CN', 'Test Ban Cơ yếu OCSP']],
    notBefore: SIGNER_FROM,
    notAfter: SIGNER_TO,
    keyUsage: ['digitalSignature'],
    extKeyUsage: { purposes: [KeyPurposeOid.ocspSigning], critical: false },
    ocspNoCheck: true,
    note: 'Delegated OCSP responder for ca (RFC 6960 §4.2.2.2).',
  },
  {
    ...person('revoked-signer', RSA2048, 'Hà Nội', 'Văn phòng Chính phủ', 'Chuyên viên', 'Phạm Quốc Bảo', 'Vụ Tổng hợp'),
    revocation: { time: '2025-09-15T03:00:00Z', reason: 'keyCompromise' },
    note: 'Within its validity period but revoked (CRL and OCSP).',
  },
  {
    ...person('expired-signer', RSA2048, 'Hà Nội', 'Bộ Tư pháp', 'Chuyên viên', 'Đỗ Thị Hương'),
    notBefore: '2024-01-15T00:00:00Z',
    notAfter: '2025-01-14T23:59:59Z',
    note: 'notAfter is in the past.',
  },
];

/** The committed CRLs: fixed dates so they stay usable offline for years. */
export const COMMITTED_CRL = {
  thisUpdate: '2025-10-01T00:00:00Z',
  nextUpdate: '2033-12-01T00:00:00Z',
  crlNumber: 1n,
} as const;
