// `extendPdf` and `kyso extend`: raising signatures made by kyso and by poppler pdfsig (NSS) to B-LT / B-LTA,
// and archive renewal, against the real test PKI server.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { PdfReader } from '../../src/pdf/reader.ts';
import { extendPdf } from '../../src/signing/pdf/extend.ts';
import { pdfSignatures } from '../../src/signing/pdf/ltv.ts';
import { signPdf } from '../../src/signing/pdf/pades.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { runKyso } from '../helpers/cli.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const run = promisify(execFile);
const pki = useTestPkiServer();
const inputPath = join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf');
const input = readFileSync(inputPath);
const net = () => ({ rewrite: pki.server.rewrite });
const tsa = () => `${pki.server.url}/tsa`;

/** A PDF signed by poppler's pdfsig with NSS (adbe.pkcs7.detached, no timestamp, no signed attributes' ESS). */
async function pdfsigSigned(): Promise<Buffer> {
  const db = mkdtempSync(join(tmpdir(), 'kyso-nsskey-'));
  await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  await run('pk12util', ['-i', testPki.identity('person-province').p12, '-d', `sql:${db}`, '-W', testPki.password]);
  const out = join(db, 'pdfsig-signed.pdf');
  await run('pdfsig', ['-nssdir', `sql:${db}`, '-nick', 'person-province', '-add-signature', '-new-signature-field-name', 'PopplerSig', inputPath, out]);
  return readFileSync(out);
}

async function offlineReport(bytes: Uint8Array, at?: Date): Promise<ValidationReport> {
  pki.server.setOffline(true);
  try {
    return await verifyPdf(bytes, { offline: true, ...(at ? { at } : {}) });
  } finally {
    pki.server.setOffline(false);
  }
}

describe('extendPdf', () => {
  it('raises a pdfsig (NSS) signature to B-LTA: a timestamp, the data, the archive timestamp; TOTAL_PASSED offline, no warning', async () => {
    const signed = await pdfsigSigned();
    const { bytes, signatures, timestampsAdded } = await extendPdf(signed, { level: 'B-LTA', tsaUrl: tsa(), network: net() });
    expect({ signatures, timestampsAdded }).toEqual({ signatures: 1, timestampsAdded: 2 });
    expect(bytes.subarray(0, signed.length).equals(signed)).toBe(true);
    const r = await offlineReport(bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ id: 'PopplerSig', level: 'B-LTA', format: 'PKCS7-LTA' });
    expect(r.signatures.slice(1).map((s) => [s.kind, s.indication])).toEqual([
      ['document-timestamp', 'TOTAL_PASSED'],
      ['document-timestamp', 'TOTAL_PASSED'],
    ]);
    // The OCSP/CRL answers were gathered after the first timestamp (the signature's proof of existence): fresh.
    expect(r.signatures[0].checks.find((c) => c.id === 'REVOCATION_FRESHNESS')!.status).toBe('PASSED');
  });

  it('B-LT of a signature without a timestamp first adds a document timestamp (its proof of existence), then the data', async () => {
    const bb = await signPdf(input, { signer: signerOf('vpcp-seal') });
    const { bytes, timestampsAdded } = await extendPdf(bb, { level: 'B-LT', tsaUrl: tsa(), network: net() });
    expect(timestampsAdded).toBe(1);
    const r = await offlineReport(bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures.map((s) => [s.kind, s.level])).toEqual([
      ['signature', 'B-LT'],
      ['document-timestamp', 'B-LT'],
    ]);
  });

  it('B-LT without --tsa is refused when a signature has no timestamp, and B-LT of a B-T signature needs none', async () => {
    const bb = await signPdf(input, { signer: signerOf('vpcp-seal') });
    await expect(extendPdf(bb, { level: 'B-LT', network: net() })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const bt = await signPdf(input, {
      signer: signerOf('vpcp-seal'),
      level: 'B-T',
      timestamper: async (v, d) => (await import('../../src/pki/tsp-client.ts')).requestTimestamp(v, d, { ...net(), url: tsa() }).then((t) => t.tokenDer),
    });
    const { bytes, timestampsAdded } = await extendPdf(bt, { level: 'B-LT', network: net() });
    expect(timestampsAdded).toBe(0);
    expect((await offlineReport(bytes)).signatures[0].level).toBe('B-LT');
  });

  it('extending B-LTA again renews the archive: a new document timestamp over the old one, with the old one\'s data', async () => {
    const signed = await pdfsigSigned();
    const once = (await extendPdf(signed, { level: 'B-LTA', tsaUrl: tsa(), network: net() })).bytes;
    const twice = (await extendPdf(once, { level: 'B-LTA', tsaUrl: tsa(), network: net() })).bytes;
    const sigs = pdfSignatures(PdfReader.open(twice));
    expect(sigs.map((s) => s.kind)).toEqual(['signature', 'document-timestamp', 'document-timestamp', 'document-timestamp']);
    // The /VRI now has entries for the signature and both timestamps.
    const reader = PdfReader.open(twice);
    const vri = reader.dict(reader.dict(reader.catalog.get('DSS'))!.get('VRI'))!;
    for (const s of sigs) expect(vri.has(createHash('sha1').update(s.contents).digest('hex').toUpperCase())).toBe(true);
    const r = await offlineReport(twice);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures.map((s) => s.level)).toEqual(['B-LTA', 'B-LTA', 'B-LTA', 'B-LT']);
  });

  it('refuses a file without signatures', async () => {
    await expect(extendPdf(input, { level: 'B-LTA', tsaUrl: tsa(), network: net() })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('kyso extend', () => {
  it('writes a B-LTA file that `kyso verify --offline --json` reports at level B-LTA, and says so in text too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-extend-'));
    const env = { ...process.env, KYSO_PKI_URL_REWRITE: `${testPki.baseUrl}=${pki.server.url}` };
    writeFileSync(join(dir, 'in.pdf'), await signPdf(input, { signer: signerOf('person-vpcp') }));
    const x = await runKyso(['extend', 'in.pdf', '-o', 'out.pdf', '--level', 'B-LTA', '--tsa', tsa()], { cwd: dir, env });
    expect(x.stderr).toBe('');
    expect(x.code).toBe(0);
    expect(x.stdout).toMatch(/Đã nâng 1 chữ ký lên B-LTA/);
    const v = await runKyso(['verify', '--offline', '--json', 'out.pdf'], { cwd: dir, env });
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout) as ValidationReport;
    expect(report.signatures.map((s) => s.level)).toEqual(['B-LTA', 'B-LTA', 'B-LT']);
    const text = await runKyso(['verify', '--offline', 'out.pdf'], { cwd: dir, env });
    expect(text.stdout).toMatch(/Mức chữ ký: B-LTA/);
    expect(text.stdout).toMatch(/Level: B-LTA/);
    const again = await runKyso(['extend', 'in.pdf', '-o', 'in.pdf', '--level', 'B-LTA', '--tsa', tsa()], { cwd: dir, env });
    expect(again.code).toBe(2);
  });

  it('B-LTA without --tsa is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-extend-'));
    writeFileSync(join(dir, 'in.pdf'), input);
    const r = await runKyso(['extend', 'in.pdf', '-o', 'out.pdf', '--level', 'B-LTA'], { cwd: dir, env: process.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tsa/);
  });
});
