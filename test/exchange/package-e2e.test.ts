// Issue 4 end to end, as a clerk and the national system use it: a signed PDF reply is packed into an edXML
// package, the package is signed with `kyso sign` (XAdES B-T inside edXMLHeader), and `kyso verify` and
// POST /api/v1/verify check the package signature and the PDF inside it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { buildEdxml, parseEdxmlPackage } from '../../src/exchange/edxml/index.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { createApp } from '../../src/http/app.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import * as attack from '../helpers/attacks.ts';
import { signThree } from '../helpers/signing.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const FIXTURE = readFileSync(join(ROOT, 'test/fixtures/edxml/document-vpcp.xml'), 'utf8');

let server: TestPkiServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let signedPdf: Buffer;

function packageWith(pdf: Buffer): string {
  const pkg = parseEdxmlPackage(FIXTURE);
  pkg.Attachments[0]!.ContentTransferEncoded = new Uint8Array(pdf);
  return buildEdxml(pkg);
}

async function kyso(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(ROOT, 'bin/kyso.js'), ...args], { env, cwd: dir, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const seal = ['--p12', testPki.identity('vpcp-seal').p12, '--password', testPki.password];

beforeAll(async () => {
  server = await startTestPkiServer();
  dir = mkdtempSync(join(tmpdir(), 'kyso-pkg-'));
  env = { ...process.env, KYSO_PKI_URL_REWRITE: `${testPki.baseUrl}=${server.url}` };
  signedPdf = (await signThree(readFileSync(samples[0].file), server))[1];
});
afterAll(async () => server?.close());

describe('signed edXML package with a signed PDF reply', () => {
  it('kyso sign puts a XAdES B-T signature in edXMLHeader; kyso verify passes the package and its PDF', async () => {
    writeFileSync(join(dir, 'pkg.xml'), packageWith(signedPdf));
    const s = await kyso(['sign', 'pkg.xml', '-o', 'signed.xml', ...seal, '--level', 'B-T', '--tsa', `${server.url}/tsa`]);
    expect(s.code, s.stderr).toBe(0);
    const signed = readFileSync(join(dir, 'signed.xml'), 'utf8');
    expect(signed).toMatch(/<edXML:edXMLHeader>[\s\S]*<ds:Signature[\s\S]*<\/edXML:edXMLHeader>/);
    expect(signed).toMatch(/SigningCertificateV2/);
    expect(signed).toMatch(/SignatureTimeStamp/);

    const v = await kyso(['verify', 'signed.xml', '--json']);
    expect(v.code, v.stderr + v.stdout.slice(0, 2000)).toBe(0);
    const report = JSON.parse(v.stdout) as ValidationReport;
    expect(report.document.format).toBe('XML');
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.signatures[0].signer?.serialNumber).toBe('000.00.00.G22');
    expect(report.attachments).toHaveLength(1);
    expect(report.attachments![0].report?.indication).toBe('TOTAL_PASSED');
    expect(report.attachments![0].report?.signatures).toHaveLength(2);

    const human = await kyso(['verify', 'signed.xml']);
    expect(human.stdout).toMatch(/Tệp đính kèm \/ Attachment «125-VPCP-KSTT.pdf»/);
    expect(human.stdout).toMatch(/Hợp lệ/);
  });

  it('a tampered PDF inside a correctly signed package keeps the package from passing', async () => {
    writeFileSync(join(dir, 'bad-pdf.xml'), packageWith(attack.flipByteInSignedRange(signedPdf).bytes));
    expect((await kyso(['sign', 'bad-pdf.xml', '-o', 'bad-pdf-signed.xml', ...seal])).code).toBe(0);
    const r = await verifyXmlPackage(readFileSync(join(dir, 'bad-pdf-signed.xml')), { trust: TrustStore.demo(), network: { rewrite: server.rewrite } });
    expect(r.report.signatures[0].indication).toBe('TOTAL_PASSED');
    expect(r.report.attachments![0].report?.indication).toBe('TOTAL_FAILED');
    expect(r.report.indication).toBe('TOTAL_FAILED');
  });

  it('an attachment changed after the package was signed breaks the package signature', async () => {
    const signed = readFileSync(join(dir, 'signed.xml'), 'utf8');
    const b64 = /<edXML:ContentTransferEncoded>([^<]+)</.exec(signed)![1];
    const other = Buffer.from(packageWith(readFileSync(samples[1].file)).match(/<edXML:ContentTransferEncoded>([^<]+)</)![1]!, 'utf8').toString();
    const r = await verifyXmlPackage(Buffer.from(signed.replace(b64, other)), { trust: TrustStore.demo(), network: { rewrite: server.rewrite } });
    expect(r.report.indication).toBe('TOTAL_FAILED');
    expect(r.report.signatures[0].subIndication).toBe('HASH_FAILURE');
    expect(r.package).toBeUndefined();
  });

  it('POST /api/v1/verify accepts application/xml and answers the package report', async () => {
    const app = createApp({ trust: TrustStore.demo(), policy: defaultPolicy(), network: { rewrite: server.rewrite } });
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    try {
      const port = (http.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: readFileSync(join(dir, 'signed.xml')),
      });
      expect(res.status).toBe(200);
      const report = (await res.json()) as ValidationReport;
      expect(report.indication).toBe('TOTAL_PASSED');
      expect(report.attachments?.[0].report?.indication).toBe('TOTAL_PASSED');
      const bomb = await fetch(`http://127.0.0.1:${port}/api/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: '<!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;">]><a>&y;</a>',
      });
      expect(bomb.status).toBe(422);
      expect(bomb.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await bomb.json()) as { code: string }).code).toBe('XML_DOCTYPE');
    } finally {
      await new Promise((r) => http.close(r));
    }
  });
});
