// `kyso verify` as a user runs it: the real binary in a child process (async spawn: the test PKI server lives
// in this process), files signed in the test with the real signer.
import { runKyso, type CliRun } from '../helpers/cli.ts';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { notAPdf, samples } from '../fixtures/pdf/index.ts';
import { IMAGES, signerOf } from '../helpers/signing.ts';

const ROOT = join(import.meta.dirname, '../..');
const input = samples.find((s) => s.id === 'pdflib-table')!.file;


let server: TestPkiServer;
let env: NodeJS.ProcessEnv;
let dir: string;
let valid: string;
let tampered: string;
let unsigned: string;
let batch: string;

const kyso = (args: string[]): Promise<CliRun> => runKyso(args, { cwd: dir, env });

const SEVEN_FIELDS = [
  'Tổ chức cung cấp dịch vụ chứng thực chữ ký số',
  'Thông tin người ký',
  'Đơn vị quản lý chứng thư chữ ký số',
  'Thời gian ký',
  'Tính toàn vẹn của thông điệp dữ liệu',
  'Hiệu lực của chữ ký số tại thời điểm ký',
  'Thời hạn hiệu lực của chứng thư',
];

beforeAll(async () => {
  server = await startTestPkiServer();
  dir = mkdtempSync(join(tmpdir(), 'kyso-verify-cli-'));
  env = { ...process.env, KYSO_PKI_URL_REWRITE: `${Object.keys(server.rewrite)[0]!}=${server.url}` };
  const network = { rewrite: server.rewrite };
  // The README's reply: the competent person's signature image, then the agency seal over it, both B-T.
  const one = await signDocument(readFileSync(input), {
    signer: signerOf('person-vpcp'),
    level: 'B-T',
    tsaUrl: `${server.url}/tsa`,
    network,
    revocationCheck: 'require',
    appearance: { kind: 'signer', image: readFileSync(join(IMAGES, 'signature-blue.png')) },
  });
  const two = await signDocument(one.bytes, {
    signer: signerOf('vpcp-seal'),
    level: 'B-T',
    tsaUrl: `${server.url}/tsa`,
    network,
    revocationCheck: 'require',
    appearance: { kind: 'seal', image: readFileSync(join(IMAGES, 'seal-red.png')) },
  });
  valid = join(dir, 'reply-2.pdf');
  writeFileSync(valid, two.bytes);

  // A byte flipped inside the first signature's signed range (the producer string, so the file still parses).
  const t = Buffer.from(two.bytes);
  // The producer string <FEFF0070…> ("p…") becomes <FEFF0071…> ("q…"): still a well-formed PDF.
  const at = t.indexOf('/Producer <FEFF0070') + '/Producer <FEFF007'.length;
  expect(at).toBeGreaterThan(100);
  expect(at).toBeLessThan(t.indexOf('/ByteRange'));
  t[at] = '1'.charCodeAt(0);
  tampered = join(dir, 'tampered.pdf');
  writeFileSync(tampered, t);

  unsigned = join(dir, 'unsigned.pdf');
  copyFileSync(input, unsigned);

  batch = join(dir, 'batch');
  mkdirSync(batch);
  copyFileSync(valid, join(batch, 'a-valid.pdf'));
  copyFileSync(tampered, join(batch, 'b-tampered.pdf'));
  copyFileSync(unsigned, join(batch, 'c-unsigned.pdf'));
  writeFileSync(join(batch, 'notes.txt'), 'not a pdf, not looked at');
});
afterAll(async () => server?.close());

describe('kyso verify', () => {
  it('a valid two-signature file: exit 0, "Hợp lệ", the seven TT 15 fields, times in +07:00', async () => {
    const r = await kyso(['verify', valid]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Chữ ký 1\/2 .*: Hợp lệ/);
    expect(r.stdout).toMatch(/Chữ ký 2\/2 .*: Hợp lệ/);
    expect(r.stdout).toMatch(/Kết quả chung: Hợp lệ/);
    expect(r.stdout).toMatch(/Overall result: Valid — TOTAL_PASSED/);
    for (const f of SEVEN_FIELDS) expect(r.stdout).toContain(`${f}:`);
    expect(r.stdout).toMatch(/\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \+07:00/);
    expect(r.stdout).not.toMatch(/Z\b.*\d\d:\d\d:\d\dZ/);
    expect(r.stdout).toMatch(/PAdES-BASELINE-T/);
    // Vietnamese first, then English.
    expect(r.stdout.indexOf('Thông tin người ký')).toBeLessThan(r.stdout.indexOf('Signer:'));
    expect(r.stderr).toMatch(/THỬ NGHIỆM/);
  });

  it('a byte flipped in the signed range: exit 1, "Không hợp lệ", HASH_FAILURE', async () => {
    const r = await kyso(['verify', tampered]);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stdout).toMatch(/Không hợp lệ/);
    expect(r.stdout).toMatch(/HASH_FAILURE/);
    expect(r.stdout).toMatch(/✗ Không đạt \[MESSAGE_DIGEST/);
  });

  it('an unsigned PDF: exit 3', async () => {
    const r = await kyso(['verify', unsigned]);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stdout).toMatch(/Không có chữ ký số/);
  });

  it('not a PDF, and a missing file: exit 3 with a Vietnamese then English message', async () => {
    const r = await kyso(['verify', notAPdf]);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stderr).toMatch(/Lỗi \[(UNSUPPORTED_FORMAT|NOT_A_PDF|PDF_MALFORMED)\]/);
    expect(r.stderr).toMatch(/Error \[(UNSUPPORTED_FORMAT|NOT_A_PDF|PDF_MALFORMED)\]/);
    const missing = await kyso(['verify', join(dir, 'nope.pdf')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/Không tìm thấy/);
  });

  it('--json prints the report (schema basics)', async () => {
    const r = await kyso(['verify', '--json', valid]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.document).toMatchObject({ format: 'PDF', size: readFileSync(valid).length, name: 'reply-2.pdf' });
    expect(report.document.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.validationTime).toMatch(/\+07:00$/);
    expect(report.policy).toBe('government-strict');
    expect(report.signatures).toHaveLength(2);
    for (const s of report.signatures) {
      expect(s).toMatchObject({ kind: 'signature', indication: 'TOTAL_PASSED', coverage: expect.stringMatching(/ENTIRE_(FILE|REVISION)/) });
      expect(Object.keys(s.summary)).toEqual(expect.arrayContaining(['issuer', 'signer', 'certificateManager', 'signingTime', 'integrity', 'validAtSigningTime', 'certificateValidity', 'result']));
      expect(s.checks.every((c) => typeof c.message.vi === 'string' && typeof c.message.en === 'string')).toBe(true);
    }
    const bad = await kyso(['verify', '--json', notAPdf]);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).error.code).toMatch(/UNSUPPORTED_FORMAT|NOT_A_PDF|PDF_MALFORMED/);
  });

  it('--at that is not a time: exit 2 with a message', async () => {
    const bad = await kyso(['verify', '--at', 'hôm qua', valid]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Lỗi \[INVALID_ARGUMENT\]: --at/);
  });

  it('--at before the certificate was issued: not passed', async () => {
    const r = await kyso(['verify', '--json', '--at', '2024-06-01T00:00:00+07:00', valid]);
    expect(JSON.parse(r.stdout).validationTime).toBe('2024-06-01T00:00:00+07:00');
    expect([1, 2], r.stderr + r.stdout).toContain(r.code);
  });

  it('--trust with another root: the chain is not trusted, never passed', async () => {
    const other = join(dir, 'other-root.pem');
    // The TSA certificate is not a CA of the signers: trusting only it leaves the signer without a chain.
    copyFileSync(join(ROOT, 'certs-test/pki/tsa.pem'), other);
    const r = await kyso(['verify', '--trust', other, valid]);
    expect([1, 2], r.stderr + r.stdout).toContain(r.code);
    expect(r.stderr).not.toMatch(/THỬ NGHIỆM/);
  });

  it('a directory: a line per file on a non-TTY stderr, a summary table, the worst exit code', async () => {
    const r = await kyso(['verify', batch]);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toMatch(/3 \*\.pdf\/\*\.xml file\(s\)/);
    expect(r.stderr).toMatch(/subdirectories are not searched/);
    expect(r.stderr).toMatch(/\[1\/3\] a-valid\.pdf: Hợp lệ/);
    expect(r.stderr).toMatch(/\[3\/3\] c-unsigned\.pdf: Không có chữ ký/);
    expect(r.stdout).toMatch(/a-valid\.pdf\s+Hợp lệ \/ TOTAL_PASSED/);
    expect(r.stdout).toMatch(/b-tampered\.pdf\s+Không hợp lệ \/ TOTAL_FAILED/);
    expect(r.stdout).toMatch(/Tổng hợp \/ Summary — 3 tệp/);
    expect(r.stdout).toMatch(/Hợp lệ \/ TOTAL_PASSED\s+1/);
    expect(r.stdout).toMatch(/Không hợp lệ \/ TOTAL_FAILED\s+1/);
    expect(r.stdout).toMatch(/Không có chữ ký \/ no signature\s+1/);
    expect(r.stdout).not.toMatch(/notes\.txt/);

    const json = await kyso(['verify', '--json', batch]);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as { files: { file: string; exitCode: number }[]; counts: Record<string, number>; exitCode: number };
    expect(out.files.map((f) => f.exitCode)).toEqual([0, 1, 3]);
    expect(out.counts).toEqual({ TOTAL_PASSED: 1, TOTAL_FAILED: 1, INDETERMINATE: 0, NO_SIGNATURE: 1, UNREADABLE: 0 });
  });

  it('a directory whose worst file is unreadable or unsigned exits 3; only valid files exit 0', async () => {
    const d = join(dir, 'batch-3');
    mkdirSync(d);
    copyFileSync(valid, join(d, 'ok.pdf'));
    copyFileSync(notAPdf, join(d, 'broken.pdf'));
    const r = await kyso(['verify', d]);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stdout).toMatch(/Không đọc được \/ unreadable\s+1/);
    const ok = join(dir, 'batch-ok');
    mkdirSync(ok);
    copyFileSync(valid, join(ok, 'ok.pdf'));
    expect((await kyso(['verify', ok])).code).toBe(0);
  });
});
