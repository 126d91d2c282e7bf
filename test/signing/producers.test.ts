// Smoke check over PDFs from common producers (test/fixtures/pdf): every well-formed sample must take three
// invisible PAdES-B-B signatures in a row as incremental updates that qpdf accepts and poppler's pdfsig
// verifies; broken and encrypted inputs must be refused with a KysoError carrying the right code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchKey } from '../../bench/key-material.ts';
import { KysoError, type ErrorCode } from '../../src/errors.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import { signPdf } from '../../src/signing/pdf/pades.ts';
import { encryptedPdf, notAPdf, samples, truncatedPdf } from '../fixtures/pdf/index.ts';

let dir: string;
let signer: KeyObjectSigner;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kyso-producers-'));
  // certs-test/pki/person-vpcp.p12 when the test PKI exists, else a throw-away openssl key.
  const key = benchKey(dir);
  signer = KeyObjectSigner.fromPkcs12File(key.p12Path, key.password);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PdfsigSignature {
  index: number;
  valid: boolean;
  totalDocument: boolean;
  text: string;
}

function pdfsig(file: string): { status: number | null; output: string; signatures: PdfsigSignature[] } {
  const r = spawnSync('pdfsig', ['-nocert', file], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const signatures = r.stdout
    .split(/^Signature #/m)
    .slice(1)
    .map((block) => ({
      index: Number(/^(\d+):/.exec(block)?.[1]),
      valid: /Signature Validation: Signature is Valid\./.test(block),
      totalDocument: /^\s*- Total document signed\s*$/m.test(block),
      text: `Signature #${block}`,
    }));
  return { status: r.status, output, signatures };
}

describe('signing PDFs from common producers (3 × invisible PAdES-B-B)', () => {
  for (const sample of samples) {
    it(`${sample.id}: ${sample.producer}`, async () => {
      const original = readFileSync(sample.file);
      let current: Buffer = original;
      for (let i = 1; i <= 3; i++) {
        const next = await signPdf(current, { signer, level: 'B-B' });
        // Incremental: the previous revision's bytes are untouched and still the prefix.
        expect(next.length).toBeGreaterThan(current.length);
        expect(Buffer.compare(next.subarray(0, current.length), current), `signature ${i} rewrote earlier bytes`).toBe(0);
        current = next;
      }
      expect(Buffer.compare(current.subarray(0, original.length), original)).toBe(0);

      const out = join(dir, `${sample.id}.signed.pdf`);
      writeFileSync(out, current);

      const q = spawnSync('qpdf', ['--check', out], { encoding: 'utf8' });
      expect(q.status, `qpdf --check:\n${q.stdout}${q.stderr}`).toBe(0);

      const sig = pdfsig(out);
      expect(sig.signatures.length, sig.output).toBe(3);
      for (const s of sig.signatures) expect(s.valid, s.text).toBe(true);
      expect(sig.signatures[2].totalDocument, sig.output).toBe(true);
      expect(sig.signatures[0].totalDocument || sig.signatures[1].totalDocument, sig.output).toBe(false);
    });
  }
});

async function refusal(file: string): Promise<unknown> {
  try {
    await signPdf(readFileSync(file), { signer, level: 'B-B' });
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectKysoError(e: unknown, codes: ErrorCode[]): void {
  expect(e, 'signPdf should have thrown').toBeDefined();
  if (!(e instanceof KysoError)) throw new Error(`expected a KysoError (${codes.join(' or ')}), got ${String((e as Error)?.stack ?? e)}`);
  expect(codes).toContain(e.code);
}

describe('inputs kyso must refuse', () => {
  it('encrypted.pdf (qpdf AES-256) → PDF_ENCRYPTED with a clear message', async () => {
    const e = await refusal(encryptedPdf);
    expectKysoError(e, ['PDF_ENCRYPTED']);
    expect((e as KysoError).en).toMatch(/encrypt/i);
    expect((e as KysoError).vi).toMatch(/mã hóa/);
  });

  it('not-a-pdf.pdf (plain text) → NOT_A_PDF', async () => {
    expectKysoError(await refusal(notAPdf), ['NOT_A_PDF']);
  });

  it('truncated.pdf (first half of a file) → PDF_MALFORMED or NOT_A_PDF, never a raw TypeError', async () => {
    expectKysoError(await refusal(truncatedPdf), ['PDF_MALFORMED', 'NOT_A_PDF']);
  });
});
