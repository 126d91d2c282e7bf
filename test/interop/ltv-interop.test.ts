// Interop proof for issue 7: B-LT / B-LTA files from kyso stay acceptable to third-party tools — poppler
// pdfsig (NSS, trusting the test root) for the signatures, qpdf --check for the structure, openssl ts for the
// document timestamps (poppler 22 does not validate ETSI.RFC3161 timestamps: it lists them as "not yet
// verified"), xmlsec1 for XAdES — and a file signed by other software (pdfsig itself) keeps its signature valid
// in pdfsig after kyso extends it to B-LTA, and verifies TOTAL_PASSED offline in kyso.
// PDFBox 2.0.27 + BouncyCastle (Debian) check the same kinds of files in pdfbox-interop.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { extendPdf } from '../../src/signing/pdf/extend.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { extractSignatures } from '../helpers/pdf-signatures.ts';
import { signWithPdfsig } from '../helpers/pdfsig-signing.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';
import { makeNssDb, openssl, pdfsig, qpdfCheck, tempFile } from '../helpers/tools.ts';
import { xmlsec1 } from '../xml/xmlsec.ts';

const pki = useTestPkiServer();
const inputPath = join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf');
let nss: string;
beforeAll(() => {
  nss = makeNssDb({ 'Test NEAC Root': testPki.rootPem });
});

const net = () => ({ rewrite: pki.server.rewrite });

/** openssl ts -verify of every document timestamp of the file over its signed ranges. */
function opensslVerifiesDocumentTimestamps(pdf: Buffer): string[] {
  const out: string[] = [];
  for (const s of extractSignatures(pdf)) {
    if (!pdf.subarray(s.byteRange[1] - 400, s.byteRange[1]).toString('latin1').includes('ETSI.RFC3161')) continue;
    const data = tempFile('ranges.bin', s.signedData);
    const token = tempFile('token.der', s.cms);
    const r = openssl(['ts', '-verify', '-data', data, '-in', token, '-token_in', '-CAfile', testPki.rootPem, '-untrusted', testPki.caPem]);
    out.push((r.stdout + r.stderr).trim());
  }
  return out;
}

describe('kyso B-LT and B-LTA PDFs in third-party tools', () => {
  for (const level of ['B-LT', 'B-LTA'] as const) {
    it(`${level}: pdfsig says the signature is valid and trusted, qpdf --check is clean, openssl verifies the timestamps`, async () => {
      const { bytes } = await signDocument(readFileSync(inputPath), {
        signer: signerOf('person-vpcp'),
        level,
        tsaUrl: `${pki.server.url}/tsa`,
        network: net(),
        revocationCheck: 'require',
      });
      const file = tempFile(`${level}.pdf`, bytes);
      const { signatures, stdout } = pdfsig(file, nss);
      const cades = signatures.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      expect(cades, stdout).toHaveLength(1);
      expect(cades[0]).toMatchObject({ validation: 'Signature is Valid.', certificate: 'Certificate is Trusted.' });
      expect(signatures, stdout).toHaveLength(level === 'B-LTA' ? 2 : 1);
      const q = qpdfCheck(file);
      expect(q.ok, q.output).toBe(true);
      const ts = opensslVerifiesDocumentTimestamps(bytes);
      expect(ts).toHaveLength(level === 'B-LTA' ? 1 : 0);
      for (const t of ts) expect(t).toMatch(/Verification: OK/);
    });
  }
});

describe('a file signed by pdfsig (NSS), extended by kyso to B-LTA', () => {
  it('keeps its signature valid in pdfsig, passes qpdf --check, and verifies TOTAL_PASSED offline in kyso', async () => {
    const { dir: db, bytes: signed } = await signWithPdfsig(inputPath);

    const once = (await extendPdf(signed, { level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: net() })).bytes;
    const renewed = (await extendPdf(once, { level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: net() })).bytes;
    const file = join(db, 'extended.pdf');
    writeFileSync(file, renewed);

    const { signatures, stdout } = pdfsig(file, nss);
    const original = signatures.find((s) => s.field === 'PopplerSig');
    expect(original, stdout).toMatchObject({ validation: 'Signature is Valid.', certificate: 'Certificate is Trusted.', totalDocument: false });
    expect(signatures, stdout).toHaveLength(4);
    expect(qpdfCheck(file).ok).toBe(true);
    const ts = opensslVerifiesDocumentTimestamps(renewed);
    expect(ts).toHaveLength(3);
    for (const t of ts) expect(t).toMatch(/Verification: OK/);

    pki.server.setOffline(true);
    const r = await verifyPdf(renewed, { offline: true });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures.map((s) => [s.id, s.level])).toEqual([
      ['PopplerSig', 'B-LTA'],
      ['DocTimeStamp1', 'B-LTA'],
      ['DocTimeStamp2', 'B-LTA'],
      ['DocTimeStamp3', 'B-LT'],
    ]);
  });
});

describe('XAdES B-LTA in xmlsec1', () => {
  it('the signature still verifies in xmlsec1 after the unsigned B-LT/B-LTA properties were added', async () => {
    const xml = readFileSync(join(import.meta.dirname, '../fixtures/xml/edxml-sample.xml'));
    const { bytes } = await signXmlDocument(xml, { signer: signerOf('vpcp-seal'), level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: net(), revocationCheck: 'require' });
    expect(bytes.toString('utf8')).toMatch(/xades141:ArchiveTimeStamp/);
    const dir = mkdtempSync(join(tmpdir(), 'kyso-ltv-xml-'));
    const file = join(dir, 'lta.xml');
    writeFileSync(file, bytes);
    const r = await xmlsec1(['--verify', '--trusted-pem', testPki.rootPem, '--untrusted-pem', testPki.caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^OK$/m);
  });
});
