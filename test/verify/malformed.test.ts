// Malformed inputs never crash the validator and never run away with time or memory: each gets a report or a
// typed KysoError (which the HTTP API turns into problem+json).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples, truncatedPdf } from '../fixtures/pdf/index.ts';
import { rawPdf } from '../helpers/raw-pdf.ts';

const opts = { trust: TrustStore.demo(), offline: true };

/** Runs the validator and returns what a caller gets: a report or a typed error. Anything else fails the test. */
async function outcome(bytes: Uint8Array): Promise<{ report?: Awaited<ReturnType<typeof verifyPdf>>; code?: string; ms: number; heapMb: number }> {
  const t = performance.now();
  const heap = process.memoryUsage().rss;
  try {
    const report = await verifyPdf(bytes, opts);
    return { report, ms: performance.now() - t, heapMb: (process.memoryUsage().rss - heap) / 2 ** 20 };
  } catch (e) {
    if (!isKysoError(e)) throw e;
    return { code: e.code, ms: performance.now() - t, heapMb: (process.memoryUsage().rss - heap) / 2 ** 20 };
  }
}

const PAGE_TREE = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>'];

describe('malformed input', () => {
  it('random bytes → NOT_A_PDF', async () => {
    for (let i = 0; i < 20; i++) expect((await outcome(randomBytes(1 + i * 97))).code).toBe('NOT_A_PDF');
  });

  it('a PDF header followed by garbage → PDF_MALFORMED', async () => {
    const r = await outcome(Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5000)]));
    expect(r.code).toBe('PDF_MALFORMED');
  });

  it('truncated PDFs (every tenth of a real file) → a typed error or a report, never a crash', async () => {
    const whole = readFileSync(samples[0].file);
    for (let k = 1; k < 10; k++) await outcome(whole.subarray(0, Math.floor((whole.length * k) / 10)));
    expect((await outcome(readFileSync(truncatedPdf))).code).toBeDefined();
  });

  it('deeply nested arrays → PDF_MALFORMED quickly', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const pdf = rawPdf([`<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields ${deep} >> >>`, PAGE_TREE[1], PAGE_TREE[2]]);
    const r = await outcome(pdf);
    expect(r.code).toBe('PDF_MALFORMED');
    expect(r.ms).toBeLessThan(2000);
  });

  it('a deflate bomb in the /DSS → a report, without inflating it all', async () => {
    const bomb = deflateSync(Buffer.alloc(200 * 2 ** 20));
    const pdf = rawPdf([
      `<< /Type /Catalog /Pages 2 0 R /DSS << /Certs [4 0 R] >> >>`,
      PAGE_TREE[1],
      PAGE_TREE[2],
      Buffer.concat([Buffer.from(`<< /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n`), bomb, Buffer.from('\nendstream')]),
    ]);
    const r = await outcome(pdf);
    expect(r.report?.signatures).toEqual([]);
    expect(r.heapMb).toBeLessThan(100);
  });

  it('a huge /Length is not trusted', async () => {
    const pdf = rawPdf([PAGE_TREE[0], PAGE_TREE[1], '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>', '<< /Length 999999999999 >>\nstream\nq Q\nendstream']);
    const r = await outcome(pdf);
    expect(r.report?.signatures).toEqual([]);
  });

  it('a /Fields cycle and a page-tree cycle terminate', async () => {
    const pdf = rawPdf([
      '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>',
      '<< /Type /Pages /Kids [2 0 R] /Count 1 >>',
      PAGE_TREE[2],
      '<< /FT /Sig /T (a) /Kids [4 0 R] >>',
    ]);
    const r = await outcome(pdf);
    expect(r.report ?? r.code).toBeDefined();
    expect(r.ms).toBeLessThan(2000);
  });
});
