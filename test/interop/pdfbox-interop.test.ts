// Interop proof for issue 7, second third-party verifier: Apache PDFBox 2.0.27 reads kyso's B-LT / B-LTA files
// and BouncyCastle 1.72 checks every CMS signature and RFC 3161 document timestamp in them (both from Debian 12:
// libpdfbox2-java, libbcprov-java, libbcpkix-java; javac/java from default-jdk-headless). The verifier is
// test/interop/pdfbox/VerifyPdfSignatures.java, compiled here at test start; it shares no code with kyso.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { extendPdf } from '../../src/signing/pdf/extend.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { extractSignatures } from '../helpers/pdf-signatures.ts';
import { signWithPdfsig } from '../helpers/pdfsig-signing.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const run = promisify(execFile);
const pki = useTestPkiServer();
const inputPath = join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf');
const javaSource = join(import.meta.dirname, 'pdfbox/VerifyPdfSignatures.java');
const DEBIAN_PACKAGES = 'default-jdk-headless libpdfbox2-java libbcprov-java libbcpkix-java';
/** Debian's jar locations: PDFBox needs fontbox and commons-logging; bcpkix needs bcutil. */
const JARS = ['pdfbox2', 'fontbox2', 'commons-logging', 'bcprov', 'bcpkix', 'bcutil'].map((j) => `/usr/share/java/${j}.jar`);

interface PdfboxSignature {
  field: string;
  subFilter: string;
  type: string | null;
  valid: boolean;
  error?: string;
  coversToEndOfRevision: boolean;
  coversWholeFile: boolean;
  signer?: string;
  signingTime?: string;
  chainTrusted?: boolean;
  signerStatusInDss?: string;
  signatureTimestamp?: { valid: boolean; genTime?: string; tsa?: string; chainTrusted?: boolean; tsaStatusInDss?: string; error?: string };
}
interface PdfboxReport {
  file: string;
  signatures: PdfboxSignature[];
  dss: { present: boolean; certs: number; ocsps: number; crls: number; vri: number; ocspsValid: number; certSubjects: string[] };
}

let classes: string;
beforeAll(async () => {
  for (const tool of ['javac', 'java']) {
    try {
      await run(tool, ['-version']);
    } catch (e) {
      throw new Error(`${tool} is not runnable (${(e as Error).message}); install the Debian packages: apt-get install ${DEBIAN_PACKAGES}`);
    }
  }
  const missing = JARS.filter((j) => !existsSync(j));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}; install the Debian packages: apt-get install ${DEBIAN_PACKAGES}`);
  classes = mkdtempSync(join(tmpdir(), 'kyso-pdfbox-'));
  await run('javac', ['-d', classes, '-cp', JARS.join(':'), javaSource]);
});

/** PDFBox + BouncyCastle's report on each file, trusting the test root for the certificate paths. */
async function pdfbox(...files: string[]): Promise<PdfboxReport[]> {
  const { stdout } = await run('java', ['-cp', [classes, ...JARS].join(':'), 'VerifyPdfSignatures', '--trust', testPki.rootPem, ...files], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as PdfboxReport);
}

const net = () => ({ rewrite: pki.server.rewrite });

function writeTemp(name: string, bytes: Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kyso-pdfbox-t-')), name);
  writeFileSync(file, bytes);
  return file;
}

/** A copy with one digit of the original document's /CreationDate changed: inside every signature's first range. */
function tampered(pdf: Buffer): Buffer {
  const copy = Buffer.from(pdf);
  const at = copy.indexOf('/CreationDate (D:2026', 0, 'latin1') + '/CreationDate (D:202'.length;
  expect(at).toBeGreaterThan(20);
  expect(at).toBeLessThan(Math.min(...extractSignatures(pdf).map((s) => s.byteRange[1])));
  copy[at] = copy[at] === 0x36 ? 0x37 : 0x36;
  return copy;
}

const cn = (id: Parameters<typeof testPki.identity>[0]) => `CN=${testPki.identity(id).commonName}`;

function expectValidCades(s: PdfboxSignature | undefined, signer: 'person-vpcp'): void {
  expect(s, JSON.stringify(s)).toMatchObject({ subFilter: 'ETSI.CAdES.detached', valid: true, coversToEndOfRevision: true, chainTrusted: true });
  expect(s!.signer).toContain(cn(signer));
}

/** A valid document timestamp over its whole revision, whose TSA certificate has a GOOD OCSP answer in the DSS. */
function expectValidDocTimestamp(s: PdfboxSignature): void {
  expect(s, JSON.stringify(s)).toMatchObject({
    subFilter: 'ETSI.RFC3161',
    type: 'DocTimeStamp',
    valid: true,
    coversToEndOfRevision: true,
    chainTrusted: true,
    signerStatusInDss: 'good-ocsp',
  });
  expect(s.signer).toContain(cn('tsa'));
}

/** The DSS holds the signer's chain and the TSA certificate, and every OCSP answer in it is validly signed. */
function expectDssWith(report: PdfboxReport, signer: Parameters<typeof testPki.identity>[0], minOcsps: number): void {
  const { dss } = report;
  const json = JSON.stringify(dss);
  expect(dss.present).toBe(true);
  for (const id of [signer, 'ca', 'root-ca', 'tsa'] as const) {
    expect(dss.certSubjects.some((s) => s.split(',').includes(cn(id))), `${id} in ${json}`).toBe(true);
  }
  expect(dss.ocsps, json).toBeGreaterThanOrEqual(minOcsps);
  expect(dss.ocspsValid).toBe(dss.ocsps);
  expect(dss.vri, json).toBeGreaterThanOrEqual(1);
}

describe('kyso B-LT and B-LTA PDFs in PDFBox 2.0.27 + BouncyCastle', () => {
  for (const level of ['B-LT', 'B-LTA'] as const) {
    it(`${level}: the signature, its timestamp${level === 'B-LTA' ? ' and the document timestamp' : ''} verify; the DSS carries the chain and OCSP answers`, async () => {
      const { bytes } = await signDocument(readFileSync(inputPath), {
        signer: signerOf('person-vpcp'),
        level,
        tsaUrl: `${pki.server.url}/tsa`,
        network: net(),
        revocationCheck: 'require',
      });
      const [report] = await pdfbox(writeTemp(`${level}.pdf`, bytes));
      const json = JSON.stringify(report);
      expect(report!.signatures, json).toHaveLength(level === 'B-LTA' ? 2 : 1);
      const [sig, docTs] = report!.signatures;
      expectValidCades(sig, 'person-vpcp');
      // The DSS is a later incremental update, so the signature covers its revision but not the whole file.
      expect(sig!.coversWholeFile).toBe(false);
      expect(sig!.signerStatusInDss).toBe('good-ocsp');
      expect(sig!.signatureTimestamp, json).toMatchObject({ valid: true, chainTrusted: true, tsaStatusInDss: 'good-ocsp' });
      if (docTs) expectValidDocTimestamp(docTs);
      // The signer's and the TSA's OCSP answers at least.
      expectDssWith(report!, 'person-vpcp', 2);
    });
  }

  it('B-LTA with one byte changed in the signed ranges: PDFBox reports the signature and the document timestamp invalid', async () => {
    const { bytes } = await signDocument(readFileSync(inputPath), {
      signer: signerOf('person-vpcp'),
      level: 'B-LTA',
      tsaUrl: `${pki.server.url}/tsa`,
      network: net(),
      revocationCheck: 'require',
    });
    const [intact, broken] = await pdfbox(writeTemp('lta.pdf', bytes), writeTemp('lta-tampered.pdf', tampered(bytes)));
    expect(intact!.signatures.map((s) => s.valid)).toEqual([true, true]);
    expect(broken!.signatures.map((s) => s.valid), JSON.stringify(broken)).toEqual([false, false]);
    expect(broken!.signatures[0]!.error).toMatch(/message-digest|digest/i);
    expect(broken!.signatures[1]!.error).toMatch(/imprint/);
  });
});

describe('a file signed by pdfsig (NSS), extended by kyso to B-LTA twice, in PDFBox + BouncyCastle', () => {
  it('the original NSS signature and all three document timestamps verify; a one-byte change breaks all four', async () => {
    const { bytes: signed } = await signWithPdfsig(inputPath);
    const once = (await extendPdf(signed, { level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: net() })).bytes;
    const renewed = (await extendPdf(once, { level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: net() })).bytes;

    const [report, broken] = await pdfbox(writeTemp('extended.pdf', renewed), writeTemp('extended-tampered.pdf', tampered(renewed)));
    const json = JSON.stringify(report);
    expect(report!.signatures.map((s) => [s.field, s.subFilter]), json).toEqual([
      ['PopplerSig', 'adbe.pkcs7.detached'],
      ['DocTimeStamp1', 'ETSI.RFC3161'],
      ['DocTimeStamp2', 'ETSI.RFC3161'],
      ['DocTimeStamp3', 'ETSI.RFC3161'],
    ]);
    const [original, ...stamps] = report!.signatures;
    expect(original, json).toMatchObject({ valid: true, coversToEndOfRevision: true, coversWholeFile: false, chainTrusted: true, signerStatusInDss: 'good-ocsp' });
    expect(original!.signer).toContain(cn('person-province'));
    for (const s of stamps) expectValidDocTimestamp(s);
    expectDssWith(report!, 'person-province', 2);

    expect(broken!.signatures.map((s) => s.valid), JSON.stringify(broken)).toEqual([false, false, false, false]);
  });
});
