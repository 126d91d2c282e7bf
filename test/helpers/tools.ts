// Runs the real third-party verifiers the interop tests rely on (poppler pdfsig, qpdf, openssl) and parses
// their output. Nothing here is mocked.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PdfsigSignature {
  field: string;
  commonName: string;
  validation: string;
  certificate: string;
  totalDocument: boolean;
  subFilter: string;
  hash: string;
}

/** Creates an NSS database that trusts the given root certificates (as a CA for signatures). */
export function makeNssDb(rootPems: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-nss-'));
  execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  for (const [nick, file] of Object.entries(rootPems)) {
    execFileSync('certutil', ['-A', '-d', `sql:${dir}`, '-n', nick, '-t', 'CT,C,C', '-i', file]);
  }
  return dir;
}

/** pdfsig with online OCSP off (the test PKI's URLs point at a fixed port that is not running in tests). */
export function pdfsig(file: string, nssDir?: string): { stdout: string; signatures: PdfsigSignature[] } {
  const args = nssDir ? ['-nssdir', `sql:${nssDir}`, '-no-ocsp', file] : ['-nocert', file];
  const r = spawnSync('pdfsig', args, { encoding: 'utf8' });
  const stdout = r.stdout + r.stderr;
  const signatures: PdfsigSignature[] = [];
  for (const block of stdout.split(/^Signature #\d+:$/m).slice(1)) {
    const get = (label: string) => new RegExp(`- ${label}: (.*)$`, 'm').exec(block)?.[1]?.trim() ?? '';
    signatures.push({
      field: get('Signature Field Name'),
      commonName: get('Signer Certificate Common Name'),
      validation: get('Signature Validation'),
      certificate: get('Certificate Validation'),
      totalDocument: /Total document signed/.test(block),
      subFilter: get('Signature Type'),
      hash: get('Signing Hash Algorithm'),
    });
  }
  return { stdout, signatures };
}

export function qpdfCheck(file: string): { ok: boolean; output: string } {
  const r = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
  // qpdf exits 0 when clean, 3 for warnings only, 2 for errors.
  return { ok: r.status === 0, output: r.stdout + r.stderr };
}

export function openssl(args: string[], input?: Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempFile(name: string, data: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-t-'));
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}
