// Shared helpers for the PKI tests: run the real openssl CLI, write temp files, read test PKI certificates.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';

export interface RunResult {
  status: number;
  out: string;
}

/** Runs openssl; stdout and stderr together, since openssl prints verdicts on either. */
export function openssl(args: string[]): RunResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/**
 * Runs openssl without blocking the event loop: required whenever openssl talks to a test server running in
 * this same process (spawnSync would deadlock it).
 */
export function opensslAsync(args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('openssl', args, { timeout: timeoutMs });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('close', (code) => resolve({ status: code ?? -1, out }));
  });
}

export function tempDir(prefix = 'kyso-pki-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, data: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

export const pem = (id: TestIdentityId): string => readFileSync(testPki.identity(id).cert, 'utf8');
