// Shape of certs-test/pki/index.json, shared by the generator (writes it), the test loader and the test PKI server
// (reads it). Kept in src so the server, which the CLI exposes as `kyso pki serve`, needs nothing from certs-test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RevocationReason } from '../revocation.ts';

export type TestPkiRole = 'root-ca' | 'ca' | 'seal' | 'person' | 'tsa' | 'ocsp';

export interface TestPkiIdentity {
  id: string;
  role: TestPkiRole;
  keyType: 'RSA' | 'EC';
  keyBits: number;
  /** One-line subject, most specific first (certificate.ts nameToString). */
  subject: string;
  commonName: string;
  organization?: string;
  /** Issuer identity id; null for the self-signed root. */
  issuer: string | null;
  serialHex: string;
  notBefore: string;
  notAfter: string;
  /** File names relative to the manifest's directory. */
  cert: string;
  key: string;
  p12: string;
  password: string;
  /** Agency code (mã định danh, QCVN 102:2016), carried in the subject serialNumber attribute (2.5.4.5). */
  agencyCode?: string;
  /** Official's title (chức danh), carried in the X.520 title attribute (2.5.4.12). */
  title?: string;
  /** CAs only: name used in the server URLs /crl/<caName>.crl and /certs/<caName>.cer. */
  caName?: string;
  /** CAs only: identity id of the delegated OCSP responder; absent = the CA signs its own OCSP responses. */
  ocspResponder?: string;
  /** Set when the certificate is revoked: published on the CRL and by OCSP. */
  revocation?: { time: string; reason: RevocationReason };
  note?: string;
}

export interface TestPkiManifest {
  version: 1;
  /** Base URL baked into AIA/CDP extensions; clients rewrite it to wherever the server really listens. */
  baseUrl: string;
  password: string;
  identities: TestPkiIdentity[];
  /** Extra files: chain.pem, CRLs, the legacy PKCS#12. */
  files: { chain: string; crls: Record<string, string>; legacyP12: string };
}

export const MANIFEST_FILE = 'index.json';

export function readTestPkiManifest(dir: string): TestPkiManifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as TestPkiManifest;
}
