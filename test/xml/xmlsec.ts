// Runs xmlsec1 (1.2.37, libxml2 + OpenSSL), the interop oracle of the XML tests, always as an async child
// process (tests may have the PKI server in the same process: a blocking spawn would deadlock it).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface XmlsecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function xmlsec1(args: string[]): Promise<XmlsecResult> {
  return new Promise((resolve) => {
    execFile('xmlsec1', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A temp directory per test file. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kyso-xml-'));
}

export function writeTemp(dir: string, name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** DigestValue texts of a signed document, in document order. */
export function digestValues(xml: string): string[] {
  return [...xml.matchAll(/<(?:\w+:)?DigestValue>([^<]*)<\/(?:\w+:)?DigestValue>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

/** The pre-digest buffers xmlsec1 prints with --store-references --print-debug, in reference order. */
export function preDigests(debug: string): string[] {
  return [...debug.matchAll(/== PreDigest data - start buffer:\n([\s\S]*?)\n== PreDigest data - end buffer/g)].map((m) => m[1]!);
}
