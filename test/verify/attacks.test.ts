// Issue 3 proof, attack side: every known PDF signature attack, generated here from a valid file, must not
// verify TOTAL_PASSED — and the report must say why in ETSI terms.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { verifyPdf, type VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import type { SubIndication, ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import * as attack from '../helpers/attacks.ts';
import { signerOf } from '../helpers/signing.ts';

let server: TestPkiServer;
let opts: VerifyOptions;
let signed: Buffer;

beforeAll(async () => {
  server = await startTestPkiServer();
  opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
  const r = await signDocument(readFileSync(samples.find((s) => s.id === 'pdflib-table')!.file), {
    signer: signerOf('person-vpcp'),
    network: { rewrite: server.rewrite },
    revocationCheck: 'require',
  });
  signed = r.bytes;
  expect((await verifyPdf(signed, opts)).indication).toBe('TOTAL_PASSED');
});
afterAll(async () => server?.close());

/** Verifies an attacked file; a typed "unreadable" error also counts as not passing. */
async function verdict(bytes: Buffer): Promise<ValidationReport | { error: string }> {
  try {
    return await verifyPdf(bytes, opts);
  } catch (e) {
    if (isKysoError(e)) return { error: e.code };
    throw e;
  }
}

function firstSignature(r: ValidationReport | { error: string }) {
  expect('signatures' in r, JSON.stringify(r)).toBe(true);
  return (r as ValidationReport).signatures[0];
}

const cases: Array<[string, (b: Buffer) => attack.Attack, 'TOTAL_FAILED' | 'INDETERMINATE' | 'any', SubIndication[] | undefined]> = [
  ['byte flip in a signed range', attack.flipByteInSignedRange, 'TOTAL_FAILED', ['HASH_FAILURE']],
  ['/Contents zeroed', attack.zeroContents, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['CMS without a SignerInfo', attack.cmsWithoutSigner, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['/ByteRange missing', attack.byteRangeMissing, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['/ByteRange [0 0 0 0]', attack.byteRangeZero, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['signature wrapping (ByteRange moved, attacker object in the gap)', (b) => attack.signatureWrapping(b), 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['incremental update replacing page content', attack.replacePageContent, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['added page', attack.addPage, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['redefined font', (b) => attack.redefineFont(b), 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['replaced XObject', attack.replaceXObject, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['annotation added over the signed page', (b) => attack.addAnnotationOverPage(b), 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['catalog replaced (/Root re-pointed)', attack.replaceRoot, 'TOTAL_FAILED', ['FORMAT_FAILURE']],
  ['trailing garbage after %%EOF', attack.trailingGarbage, 'any', undefined],
];

describe('attacks on a signed PDF never pass', () => {
  it.each(cases)('%s', async (_name, make, indication, subs) => {
    const a = make(signed);
    const r = await verdict(a.bytes);
    if ('error' in r) {
      // Unreadable after the attack: the API answers 422; never "valid".
      expect(indication === 'any' || subs?.includes('FORMAT_FAILURE'), a.description).toBe(true);
      return;
    }
    expect(r.indication, a.description).not.toBe('TOTAL_PASSED');
    const s = firstSignature(r);
    if (indication !== 'any') expect(s.indication, JSON.stringify(s.checks.filter((c) => c.status === 'FAILED'))).toBe(indication);
    if (subs) expect(subs).toContain(s.subIndication);
    expect(s.summary.result).not.toBe('Hợp lệ');
  });

  it('truncated tail: unreadable or not passed', async () => {
    const r = await verdict(attack.truncateTail(signed).bytes);
    if (!('error' in r)) expect(r.indication).not.toBe('TOTAL_PASSED');
  });

  it('OCG visibility flip (shadow hide) after signing is a disallowed modification', async () => {
    const withLayer = attack.addOptionalContentLayer(readFileSync(samples.find((s) => s.id === 'pdflib-table')!.file));
    const layered = (await signDocument(withLayer, { signer: signerOf('person-vpcp'), network: { rewrite: server.rewrite }, revocationCheck: 'require' })).bytes;
    expect((await verifyPdf(layered, opts)).indication).toBe('TOTAL_PASSED');
    const r = await verifyPdf(attack.ocgVisibilityFlip(layered).bytes, opts);
    const s = firstSignature(r);
    expect(s.indication).toBe('TOTAL_FAILED');
    expect(s.modifications.level).toBe('DISALLOWED');
    expect(s.modifications.changes.some((c) => c.verdict === 'DISALLOWED')).toBe(true);
  });

  it('the report names the disallowed change', async () => {
    const r = (await verdict(attack.replacePageContent(signed).bytes)) as ValidationReport;
    const s = firstSignature(r);
    const mod = s.checks.find((c) => c.id === 'MODIFICATIONS');
    expect(mod?.status).toBe('FAILED');
    expect(mod?.message.vi).toMatch(/thay đổi sau khi ký/);
    expect(s.summary.integrity).toMatch(/^Không toàn vẹn/);
  });
});
