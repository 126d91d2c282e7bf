// Typed access to the committed test PKI for tests: absolute paths plus the identities from index.json.
//
//   import { testPki } from '../../certs-test/index.ts';
//   const p12 = readFileSync(testPki.identity('person-vpcp').p12);

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTestPkiManifest, type TestPkiIdentity, type TestPkiManifest } from '../src/pki/responders/test-pki-manifest.ts';

export type { TestPkiIdentity, TestPkiManifest } from '../src/pki/responders/test-pki-manifest.ts';

export type TestIdentityId =
  | 'root-ca'
  | 'ca'
  | 'vpcp-seal'
  | 'ministry-seal'
  | 'province-seal'
  | 'person-vpcp'
  | 'person-ministry'
  | 'person-province'
  | 'tsa'
  | 'ocsp'
  | 'revoked-signer'
  | 'expired-signer';

/** An identity with its file names resolved to absolute paths. */
export interface LoadedIdentity extends TestPkiIdentity {
  /** Absolute path of the certificate PEM. */
  cert: string;
  /** Absolute path of the unencrypted PKCS#8 private key PEM (test only). */
  key: string;
  /** Absolute path of the PKCS#12 (password `kyso-test`). */
  p12: string;
  certPem(): string;
  keyPem(): string;
  p12Bytes(): Uint8Array;
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'pki');
const manifest: TestPkiManifest = readTestPkiManifest(DIR);

function load(i: TestPkiIdentity): LoadedIdentity {
  const cert = join(DIR, i.cert);
  const key = join(DIR, i.key);
  const p12 = join(DIR, i.p12);
  return {
    ...i,
    cert,
    key,
    p12,
    certPem: () => readFileSync(cert, 'utf8'),
    keyPem: () => readFileSync(key, 'utf8'),
    p12Bytes: () => new Uint8Array(readFileSync(p12)),
  };
}

const identities: readonly LoadedIdentity[] = manifest.identities.map(load);

export const testPki = {
  /** Absolute path of certs-test/pki. */
  dir: DIR,
  manifest,
  /** Base URL baked into the certificates' AIA/CDP (rewrite it to the running server's url). */
  baseUrl: manifest.baseUrl,
  password: manifest.password,
  identities,
  identity(id: TestIdentityId): LoadedIdentity {
    const found = identities.find((i) => i.id === id);
    if (!found) throw new Error(`test PKI has no identity "${id}" (regenerate with npm run certs:generate)`);
    return found;
  },
  rootPem: join(DIR, 'root-ca.pem'),
  caPem: join(DIR, 'ca.pem'),
  /** ca + root, nearest first. */
  chainPem: join(DIR, manifest.files.chain),
  crl: (caName: 'ca' | 'root'): string => join(DIR, manifest.files.crls[caName]!),
  legacyP12: join(DIR, manifest.files.legacyP12),
} as const;
