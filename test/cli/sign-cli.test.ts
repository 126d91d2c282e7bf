// The `kyso sign` command as a user runs it: a real child process, real files, real PKI server.
import { runKyso, type CliRun } from '../helpers/cli.ts';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { samples, encryptedPdf as encryptedSample, notAPdf as notPdfSample, truncatedPdf as truncatedSample } from '../fixtures/pdf/index.ts';
import { makeNssDb, pdfsig } from '../helpers/tools.ts';

const ROOT = join(import.meta.dirname, '../..');
const IMAGES = join(ROOT, 'test/fixtures/images');
const input = samples.find((s) => s.id === 'pdflib-table')!.file;


let server: TestPkiServer;
let env: NodeJS.ProcessEnv;
let dir: string;

const kyso = (args: string[]): Promise<CliRun> => runKyso(args, { cwd: dir, env });

const p12 = (id: Parameters<typeof testPki.identity>[0]) => ['--p12', testPki.identity(id).p12, '--password', testPki.password];
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

beforeAll(async () => {
  server = await startTestPkiServer();
  dir = mkdtempSync(join(tmpdir(), 'kyso-cli-'));
  env = { ...process.env, KYSO_PKI_URL_REWRITE: `${testPki.baseUrl}=${server.url}` };
});
afterAll(async () => server?.close());

describe('kyso sign', () => {
  it('--help lists the command and exits 0', async () => {
    const r = await kyso(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sign/);
    const s = await kyso(['sign', '--help']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/--appearance/);
  });

  it('signs with the signer image at B-T, leaves the input untouched, and pdfsig trusts the result', async () => {
    const before = sha(input);
    const out = join(dir, 'signed.pdf');
    const r = await kyso([
      'sign', input, '-o', out, ...p12('person-vpcp'), '--level', 'B-T', '--tsa', `${server.url}/tsa`,
      '--appearance', 'signer', '--image', join(IMAGES, 'signature-blue.png'), '--page', '2', '--reason', 'Phê duyệt',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Đã ký B-T lúc \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d \+07:00/);
    expect(sha(input)).toBe(before);
    const v = pdfsig(out, makeNssDb({ root: testPki.rootPem }));
    expect(v.signatures).toHaveLength(1);
    expect(v.signatures[0].validation).toBe('Signature is Valid.');
    expect(v.signatures[0].certificate).toBe('Certificate is Trusted.');
  });

  it('adds the agency seal over the signer image as a second, incremental signature', async () => {
    const first = join(dir, 'first.pdf');
    const second = join(dir, 'second.pdf');
    expect((await kyso(['sign', input, '-o', first, ...p12('person-vpcp'), '--appearance', 'signer', '--image', join(IMAGES, 'signature-blue.png')])).code).toBe(0);
    const r = await kyso(['sign', first, '-o', second, ...p12('vpcp-seal'), '--appearance', 'seal', '--image', join(IMAGES, 'seal-red.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(second).subarray(0, readFileSync(first).length).equals(readFileSync(first))).toBe(true);
    expect(pdfsig(second).signatures.map((s) => s.validation)).toEqual(['Signature is Valid.', 'Signature is Valid.']);
  });

  it('refuses a seal when no signer signature is on the page and no --rect is given', async () => {
    const r = await kyso(['sign', input, '-o', join(dir, 'x.pdf'), ...p12('vpcp-seal'), '--appearance', 'seal', '--image', join(IMAGES, 'seal-red.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Không tìm thấy chữ ký của người có thẩm quyền/);
  });

  it.each([
    ['wrong password', () => ['sign', input, '-o', join(dir, 'o1.pdf'), '--p12', testPki.identity('person-vpcp').p12, '--password', 'sai'], 4, /Sai mật khẩu/],
    ['a file that is not a PDF', () => ['sign', notPdfSample, '-o', join(dir, 'o2.pdf'), ...p12('person-vpcp')], 3, /không phải là PDF/],
    ['an encrypted PDF', () => ['sign', encryptedSample, '-o', join(dir, 'o3.pdf'), ...p12('person-vpcp')], 3, /mã hóa/],
    ['a truncated PDF', () => ['sign', truncatedSample, '-o', join(dir, 'o4.pdf'), ...p12('person-vpcp')], 3, /PDF/],
    ['an expired certificate', () => ['sign', input, '-o', join(dir, 'o5.pdf'), ...p12('expired-signer')], 5, /hết hiệu lực/],
    ['a revoked certificate', () => ['sign', input, '-o', join(dir, 'o6.pdf'), ...p12('revoked-signer')], 5, /thu hồi/],
    ['output = input', () => ['sign', input, '-o', input, ...p12('person-vpcp')], 2, /không bao giờ bị sửa/],
    ['a page that does not exist', () => ['sign', input, '-o', join(dir, 'o7.pdf'), ...p12('person-vpcp'), '--page', '9'], 2, /Trang 9 không tồn tại/],
    ['B-T without a TSA', () => ['sign', input, '-o', join(dir, 'o8.pdf'), ...p12('person-vpcp'), '--level', 'B-T'], 2, /--tsa/],
    ['a stamp without its text', () => ['sign', input, '-o', join(dir, 'o9.pdf'), ...p12('vpcp-seal'), '--appearance', 'stamp'], 2, /--number/],
  ])('fails clearly on %s, writes nothing and keeps the input', async (_name, args, code, message) => {
    const before = sha(input);
    const r = await kyso(args());
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Error \[/);
    expect(sha(input)).toBe(before);
    const outArg = args()[args().indexOf('-o') + 1];
    if (outArg !== input) expect(existsSync(outArg)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
