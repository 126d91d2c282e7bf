// The two receipt shortcuts that bench/exchange.ts measured, as a user would notice them: packages verified in
// worker threads give the same verdict and the same signed model as in the serving thread (a tampered PDF or a
// broken package signature is still refused), and the receipt seal's revocation status is asked of OCSP once,
// not per receipt — while a revoked seal is refused every time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEdxml, parseEdxmlPackage } from '../../src/exchange/edxml/index.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { packageVerifierThreads } from '../../src/exchange/intake/package-verifier.ts';
import { ensureSealUsable } from '../../src/exchange/intake/seal-status.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import * as attack from '../helpers/attacks.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf, signThree } from '../helpers/signing.ts';

const pki = useTestPkiServer();
const FIXTURE = readFileSync(join(import.meta.dirname, '../fixtures/edxml/document-vpcp.xml'), 'utf8');

async function signedPackage(pdf: Uint8Array): Promise<Uint8Array> {
  const pkg = parseEdxmlPackage(FIXTURE);
  pkg.Attachments[0]!.ContentTransferEncoded = new Uint8Array(pdf);
  const signed = await signXmlDocument(Buffer.from(buildEdxml(pkg), 'utf8'), { signer: signerOf('vpcp-seal'), network: { rewrite: pki.server.rewrite } });
  return new Uint8Array(signed.bytes);
}

describe('package verification in worker threads', () => {
  const verify = () => ({ trust: TrustStore.demo(), policy: defaultPolicy(), network: { rewrite: pki.server.rewrite } });
  let threads: ReturnType<typeof packageVerifierThreads>;
  afterAll(async () => threads?.close());

  it('gives the in-thread verdict and signed model, and still refuses a tampered PDF or package', async () => {
    threads = packageVerifierThreads(verify(), 1)!;
    expect(threads).toBeDefined();
    const pdf = (await signThree(readFileSync(samples[0].file), pki.server))[1]!;
    const good = await signedPackage(pdf);
    const at = new Date();

    const inThread = await verifyXmlPackage(good, { ...verify(), at, name: 'package.xml' });
    const viaWorker = await threads.verifyPackage(good, { at, name: 'package.xml' });
    expect(viaWorker.report.indication).toBe('TOTAL_PASSED');
    expect(viaWorker.report.attachments?.[0]?.report?.indication).toBe('TOTAL_PASSED');
    expect(viaWorker.report.signatures[0]?.signer?.certificateSha256).toBe(inThread.report.signatures[0]?.signer?.certificateSha256);
    expect(viaWorker.package?.MessageHeader.DocumentId).toBe(inThread.package?.MessageHeader.DocumentId);
    expect(Buffer.from(viaWorker.package!.Attachments[0]!.ContentTransferEncoded).equals(Buffer.from(pdf))).toBe(true);

    // A PDF changed before the package was signed: the package signature holds, the attachment does not.
    const badPdf = await signedPackage(attack.flipByteInSignedRange(pdf).bytes);
    const r1 = await threads.verifyPackage(badPdf, { at, name: 'package.xml' });
    expect(r1.report.signatures[0]?.indication).toBe('TOTAL_PASSED');
    expect(r1.report.attachments?.[0]?.report?.indication).toBe('TOTAL_FAILED');
    expect(r1.report.indication).toBe('TOTAL_FAILED');

    // A byte of the signed header changed after signing: no model is read from it.
    const text = Buffer.from(good).toString('utf8');
    const tampered = Buffer.from(text.replace('<edXML:Subject>', '<edXML:Subject>X'), 'utf8');
    expect(tampered.equals(Buffer.from(good))).toBe(false);
    const r2 = await threads.verifyPackage(new Uint8Array(tampered), { at, name: 'package.xml' });
    expect(r2.report.indication).toBe('TOTAL_FAILED');
    expect(r2.package).toBeUndefined();
  }, 60_000);
});

describe('the receipt seal’s revocation status', () => {
  it('is asked of OCSP once for many receipts', async () => {
    const seal = signerOf('province-seal');
    const network = { rewrite: pki.server.rewrite };
    const before = pki.server.requests.ocsp;
    await ensureSealUsable(seal, { at: new Date(), network });
    const afterFirst = pki.server.requests.ocsp;
    expect(afterFirst).toBeGreaterThan(before);
    await Promise.all(Array.from({ length: 10 }, () => ensureSealUsable(seal, { at: new Date(), network })));
    expect(pki.server.requests.ocsp).toBe(afterFirst);
  });

  it('refuses a revoked seal on every receipt, never remembering it as usable', async () => {
    const revoked = signerOf('revoked-signer');
    const network = { rewrite: pki.server.rewrite };
    for (let i = 0; i < 2; i++) {
      const before = pki.server.requests.ocsp;
      await expect(ensureSealUsable(revoked, { at: new Date(), network })).rejects.toMatchObject({ code: 'CERT_REVOKED' });
      expect(pki.server.requests.ocsp).toBeGreaterThan(before);
    }
  });

  it('asks again when OCSP could not answer (nothing is remembered from an unknown status)', async () => {
    const seal = signerOf('ministry-seal');
    const network = { rewrite: pki.server.rewrite, timeoutMs: 1000 };
    pki.server.setOffline(true);
    try {
      await ensureSealUsable(seal, { at: new Date(), network }); // 'prefer': signing goes on, as before
    } finally {
      pki.server.setOffline(false);
    }
    const before = pki.server.requests.ocsp;
    await ensureSealUsable(seal, { at: new Date(), network });
    expect(pki.server.requests.ocsp).toBeGreaterThan(before);
  }, 30_000);
});
