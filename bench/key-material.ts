// Picks the signing key for the bench: the test PKI's person certificate when certs-test has been generated,
// otherwise a throw-away RSA-2048 key + self-signed certificate packed into a PKCS#12 by openssl.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface BenchKey {
  p12Path: string;
  password: string;
  /** Human-readable origin, printed with the results. */
  source: string;
}

export const TEST_PKI_P12 = resolve(import.meta.dirname, '../certs-test/pki/person-vpcp.p12');
export const TEST_PKI_PASSWORD = 'kyso-test';

/** Set KYSO_BENCH_TEMP_KEY=1 to use the openssl key even when the test PKI exists. */
export function benchKey(dir?: string): BenchKey {
  if (existsSync(TEST_PKI_P12) && !process.env.KYSO_BENCH_TEMP_KEY) {
    return { p12Path: TEST_PKI_P12, password: TEST_PKI_PASSWORD, source: `certs-test/pki/person-vpcp.p12 (test PKI)` };
  }
  const d = dir ?? mkdtempSync(join(tmpdir(), 'kyso-bench-key-'));
  const key = join(d, 'key.pem');
  const cert = join(d, 'cert.pem');
  const p12 = join(d, 'temp.p12');
  if (!existsSync(p12)) {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-sha256',
      '-subj', '/C=VN/O=kyso bench/CN=kyso bench temporary signer',
      '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation',
    ], { stdio: 'ignore' });
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', p12, '-passout', `pass:${TEST_PKI_PASSWORD}`], { stdio: 'ignore' });
  }
  readFileSync(p12); // fail early if openssl did not write it
  return { p12Path: p12, password: TEST_PKI_PASSWORD, source: `temporary RSA-2048 self-signed key made by openssl (${p12}); ${existsSync(TEST_PKI_P12) ? 'KYSO_BENCH_TEMP_KEY is set' : 'certs-test/pki/person-vpcp.p12 was absent'}` };
}
