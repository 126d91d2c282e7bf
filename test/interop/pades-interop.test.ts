// Interop proof for issue 2: files signed by kyso (signer image + agency seal + text stamp, i.e. three
// incremental signatures) are accepted by third-party verifiers on every sample producer:
// poppler pdfsig with an NSS db that trusts the test root, qpdf --check, openssl cms and openssl ts.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { signerOf, signThree } from '../helpers/signing.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { extractSignatures, signerInfo, timestampToken } from '../helpers/pdf-signatures.ts';
import { makeNssDb, openssl, pdfsig, qpdfCheck, tempFile } from '../helpers/tools.ts';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

let server: TestPkiServer;
let nss: string;
const person = () => signerOf('person-vpcp');

beforeAll(async () => {
  server = await startTestPkiServer();
  nss = makeNssDb({ 'Test NEAC Root': testPki.rootPem });
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => server?.close());

describe.each(samples.map((s) => [s.id, s] as const))('PAdES interop on %s', (id, sample) => {
  let original: Buffer;
  let revisions: Buffer[];
  let file: string;

  beforeAll(async () => {
    original = readFileSync(sample.file);
    revisions = await signThree(original, server);
    file = join(ARTIFACTS, `interop-${id}.pdf`);
    writeFileSync(file, revisions[2]);
  });

  it('appends each signature as an incremental update (earlier bytes unchanged)', () => {
    expect(revisions[0].subarray(0, original.length).equals(original)).toBe(true);
    expect(revisions[1].subarray(0, revisions[0].length).equals(revisions[0])).toBe(true);
    expect(revisions[2].subarray(0, revisions[1].length).equals(revisions[1])).toBe(true);
  });

  it('pdfsig reports all three signatures valid and their certificates trusted', () => {
    const { signatures, stdout } = pdfsig(file, nss);
    expect(signatures, stdout).toHaveLength(3);
    for (const s of signatures) {
      expect(s.validation, stdout).toBe('Signature is Valid.');
      expect(s.certificate, stdout).toBe('Certificate is Trusted.');
      expect(s.subFilter).toBe('ETSI.CAdES.detached');
    }
    expect(signatures.map((s) => s.commonName)).toEqual(['Nguyễn Văn An', 'Văn phòng Chính phủ', testPki.identity('ministry-seal').commonName]);
    expect(signatures[2].totalDocument).toBe(true);
  });

  it('renders in poppler with the blue signature, the red seal and the Vietnamese stamp text', () => {
    const prefix = join(ARTIFACTS, `interop-${id}`);
    execFileSync('pdftoppm', ['-r', '50', '-png', '-singlefile', '-f', '1', '-l', '1', file, prefix]);
    const png = PNG.sync.read(readFileSync(`${prefix}.png`));
    let red = 0;
    let blue = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (r - g > 60 && r - b > 60) red++;
      if (b - r > 50 && b - g > 40) blue++;
    }
    expect(red).toBeGreaterThan(200);
    expect(blue).toBeGreaterThan(100);
    // Whitespace normalised: pdftotext may break lines where the stamp sits near the page's own text.
    const text = execFileSync('pdftotext', ['-f', '1', '-l', '1', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toMatch(/số: 125\/vpcp-kstt/);
    // The exact time line is checked on a clean page in appearance.test.ts; here the Chromium sample's own
    // heading sits under the stamp and pdftotext interleaves the two, so only the pieces are checked.
    expect(text).toMatch(/thời gian ký:/);
    expect(text).toMatch(/\d\d\.\d\d\.\d{4}/);
    expect(text).toMatch(/\d\d:\d\d:\d\d \+07:00/);
  });

  it('qpdf --check finds no errors', () => {
    const r = qpdfCheck(file);
    expect(r.ok, r.output).toBe(true);
  });

  it('openssl cms: signing-certificate-v2 present, signing-time absent, signature verifies over the ByteRange', () => {
    const sigs = extractSignatures(revisions[2]);
    expect(sigs).toHaveLength(3);
    for (const s of sigs) {
      const cms = tempFile('sig.der', s.cms);
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms]);
      expect(printed.status, printed.stderr).toBe(0);
      // Only the signer's own signed attributes count: a timestamp token inside unsignedAttrs has its own.
      const signed = printed.stdout.split('unsignedAttrs:')[0].split('signedAttrs:')[1];
      expect(signed).toMatch(/id-smime-aa-signingCertificateV2/);
      expect(signed).toMatch(/messageDigest/);
      expect(signed).not.toMatch(/signingTime/);
      const verified = openssl([
        'cms', '-verify', '-binary', '-inform', 'DER', '-in', cms, '-content', tempFile('data.bin', s.signedData),
        '-CAfile', testPki.rootPem, '-purpose', 'any', '-out', '/dev/null',
      ]);
      expect(verified.status, verified.stderr).toBe(0);
      expect(verified.stderr).toMatch(/Verification successful/);
    }
  });

  it('B-T timestamps verify with openssl ts -verify against the signature value', () => {
    const sigs = extractSignatures(revisions[2]);
    expect(timestampToken(sigs[0].cms)).toBeUndefined();
    for (const s of sigs.slice(1)) {
      const token = timestampToken(s.cms);
      expect(token).toBeDefined();
      const imprint = createHash('sha256').update(Buffer.from(signerInfo(s.cms).signature.valueBlock.valueHexView)).digest('hex');
      const r = openssl([
        'ts', '-verify', '-digest', imprint, '-token_in', '-in', tempFile('tok.der', token!),
        '-CAfile', testPki.rootPem, '-untrusted', testPki.chainPem,
      ]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Verification: OK/);
    }
  });
});

// pdfsig (NSS) as an OCSP client of the test PKI: this needs the URL baked into the certificates, so the
// server must listen on the fixed demo port 8400 for this block.
describe('pdfsig with online OCSP against the test PKI responder', () => {
  let fixed: TestPkiServer;
  beforeAll(async () => {
    fixed = await startTestPkiServer({ port: 8400 });
  });
  afterAll(async () => fixed?.close());

  it('trusts a good signer and reports the revoked signer as revoked', async () => {
    const input = readFileSync(samples[0].file);
    const good = await signDocument(input, { signer: person(), network: { rewrite: fixed.rewrite }, revocationCheck: 'require' });
    // kyso itself refuses a revoked certificate before signing; to get such a file, the check is switched off.
    const revoked = KeyObjectSigner.fromPkcs12File(testPki.identity('revoked-signer').p12, testPki.password);
    const bad = await signDocument(input, { signer: revoked, revocationCheck: 'off' });
    const args = (f: string) => ['-nssdir', `sql:${nss}`, f];
    // Asynchronous: the responder runs in this process and must answer while pdfsig waits.
    const run = promisify(execFile);
    const okOut = (await run('pdfsig', args(tempFile('good.pdf', good.bytes)))).stdout;
    expect(okOut).toMatch(/Certificate is Trusted\./);
    const before = fixed.requests.ocsp;
    let badOut = '';
    try {
      badOut = (await run('pdfsig', args(tempFile('bad.pdf', bad.bytes)))).stdout;
    } catch (e) {
      badOut = String((e as { stdout?: string }).stdout);
    }
    expect(badOut).toMatch(/Certificate has been Revoked\./);
    expect(fixed.requests.ocsp).toBeGreaterThan(before);
  });
});
