// The clerks' signing page end to end in real headless Chromium against a real kyso server: the clerk picks a
// document and their PKCS#12 file, types its password and the agency's API key, and presses Ký số. The page
// opens the key in the browser (node-forge parses, WebCrypto signs), runs start → sign → complete, shows how
// kyso verified the result and offers the signed file. The downloaded files must verify TOTAL_PASSED in kyso
// and with third-party verifiers (pdfsig for the PDF, xmlsec1 for the XML). Also: the key file never leaves the
// browser (no request carries it), and a wrong password is explained on the page.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testPki } from '../../certs-test/index.ts';
import { verifyDocument } from '../../src/exchange/verify-document.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { makeNssDb, tempFile } from '../helpers/tools.ts';
import { startSigningServer, type SigningServer } from '../signing/two-phase-server.ts';
import { tempDir, xmlsec1 } from '../xml/xmlsec.ts';

const pki = useTestPkiServer();
let srv: SigningServer;
let browser: Browser;
const P12 = testPki.identity('person-vpcp').p12;

beforeAll(async () => {
  srv = await startSigningServer(pki.server);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

/** pdfsig as an async child process (the PKI server runs in this process). */
function pdfsigAsync(file: string, nssDir: string): Promise<string> {
  return new Promise((resolve) => execFile('pdfsig', ['-nssdir', `sql:${nssDir}`, '-no-ocsp', file], { encoding: 'utf8' }, (_e, out, err) => resolve(`${out}${err}`)));
}

interface Upload {
  page: Page;
  bodies: string[];
}

async function fillAndSign(document: string, opts: { password?: string; level?: string; appearance?: string; numberSymbol?: string } = {}): Promise<Upload> {
  const page = await browser.newPage({ acceptDownloads: true });
  const bodies: string[] = [];
  page.on('request', (r) => bodies.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`));
  await page.goto(`${srv.http.url}/sign`);
  await page.setInputFiles('#document', document);
  await page.setInputFiles('#p12', P12);
  await page.fill('#password', opts.password ?? testPki.password);
  await page.fill('#apikey', srv.key);
  if (opts.level) await page.selectOption('#level', opts.level);
  if (opts.appearance) await page.selectOption('#appearance', opts.appearance);
  if (opts.numberSymbol) await page.fill('#numberSymbol', opts.numberSymbol);
  await page.click('#sign');
  await page.waitForSelector('#result:not([hidden]), #error:not([hidden])', { timeout: 60_000 });
  return { page, bodies };
}

async function download(page: Page): Promise<Buffer> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  return readFileSync((await d.path())!);
}

describe('the /sign page in headless Chromium', () => {
  it('signs a PDF with the clerk\'s PKCS#12 (B-T, text stamp): Hợp lệ on the page, TOTAL_PASSED in kyso, valid and trusted in pdfsig', async () => {
    const pdfPath = samples[0]!.file;
    const { page, bodies } = await fillAndSign(pdfPath, { level: 'B-T', appearance: 'stamp', numberSymbol: '125/VPCP-KSTT' });
    expect(await page.isHidden('#error'), await page.textContent('#error') ?? '').toBe(true);
    expect(await page.getAttribute('#outcome', 'data-indication')).toBe('TOTAL_PASSED');
    expect(await page.textContent('#outcome')).toBe('Hợp lệ (Valid)');
    expect(await page.textContent('#details')).toContain('Nguyễn Văn An');
    const shot = join(tempDir(), 'sign-page.png');
    await page.screenshot({ path: shot, fullPage: true });

    const signed = await download(page);
    expect(signed.subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.compare(signed.subarray(0, readFileSync(pdfPath).length), readFileSync(pdfPath))).toBe(0);
    const report = await verifyDocument(signed, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.signatures[0]!.level).toBe('B-T');
    expect(report.signatures[0]!.signer?.commonName).toBe('Nguyễn Văn An');

    const out = await pdfsigAsync(tempFile('signed.pdf', signed), makeNssDb({ 'Test NEAC Root': testPki.rootPem }));
    expect(out).toContain('Signature is Valid');
    expect(out).toContain('Certificate is Trusted');

    // The key never left the browser: no request carried the PKCS#12 (its base64) or the password.
    const p12b64 = readFileSync(P12).toString('base64').slice(0, 64);
    expect(bodies.some((b) => b.includes(p12b64))).toBe(false);
    expect(bodies.some((b) => b.includes(testPki.password))).toBe(false);
    expect(bodies.filter((b) => b.startsWith('POST')).map((b) => b.split(' ')[1]!.replace(srv.http.url, '').replace(/[0-9a-f-]{36}/, ':id'))).toEqual([
      '/api/v1/signing-sessions',
      '/api/v1/signing-sessions/:id/complete',
    ]);
    await page.close();
  }, 90_000);

  it('signs an XML document: TOTAL_PASSED in kyso and OK in xmlsec1', async () => {
    const xmlPath = tempFile('cong-van.xml', '<?xml version="1.0" encoding="UTF-8"?>\n<CongVan so="125/VPCP-KSTT"><TrichYeu>Trả lời phản ánh, kiến nghị</TrichYeu></CongVan>\n');
    const { page } = await fillAndSign(xmlPath, { level: 'B-T' });
    expect(await page.isHidden('#error'), await page.textContent('#error') ?? '').toBe(true);
    expect(await page.getAttribute('#outcome', 'data-indication')).toBe('TOTAL_PASSED');
    const signed = await download(page);
    const report = await verifyDocument(signed, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expect(report.indication).toBe('TOTAL_PASSED');
    const file = join(tempDir(), 'cong-van-da-ky.xml');
    writeFileSync(file, signed);
    const r = await xmlsec1(['--verify', '--trusted-pem', testPki.rootPem, '--untrusted-pem', testPki.caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^OK/m);
    await page.close();
  }, 90_000);

  it('a wrong key file password is explained on the page, in Vietnamese then English, and nothing is sent', async () => {
    const { page, bodies } = await fillAndSign(samples[0]!.file, { password: 'sai-mat-khau' });
    expect(await page.textContent('#error')).toBe('Sai mật khẩu tệp khóa (Wrong key file password)');
    expect(await page.isHidden('#result')).toBe(true);
    expect(bodies.some((b) => b.startsWith('POST'))).toBe(false);
    await page.close();
  }, 60_000);

  it('a wrong API key shows the server\'s problem text', async () => {
    const page = await browser.newPage();
    await page.goto(`${srv.http.url}/sign`);
    await page.setInputFiles('#document', samples[0]!.file);
    await page.setInputFiles('#p12', P12);
    await page.fill('#password', testPki.password);
    await page.fill('#apikey', 'kyso_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.click('#sign');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/^Cần khóa API hợp lệ.*\(A valid API key is required/);
    await page.close();
  }, 60_000);
});
