// The proof every key store owes (issue 6): it signs the same sample PDF and edXML package, and the results verify
// TOTAL_PASSED in kyso, "valid and trusted" in poppler's pdfsig and OK in xmlsec1. Shared by the PKCS#11 and
// CSC tests so both key stores face the same checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPki } from '../../certs-test/index.ts';
import { verifyDocument } from '../../src/exchange/verify-document.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import type { SignatureScheme, Signer } from '../../src/pki/signer.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { pdfsig, tempFile } from '../helpers/tools.ts';
import { tempDir, writeTemp, xmlsec1 } from '../xml/xmlsec.ts';

export const SAMPLE_PDF = join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf');
export const SAMPLE_EDXML = join(import.meta.dirname, '../fixtures/xml/edxml-sample.xml');
export const SEAL_PNG = join(import.meta.dirname, '../fixtures/images/seal-red.png');

export interface SignedSamples {
  pdf: Buffer;
  xml: Buffer;
}

/**
 * Signs the sample PDF (seal appearance, B-T) and the sample edXML package (B-T) with `signer`; schemes default
 * to what kyso emits (RSA-PSS in PDF, rsa-sha256 in XML, ECDSA for EC keys).
 */
export async function signSamples(signer: Signer, server: TestPkiServer, schemes: { pdf?: SignatureScheme; xml?: SignatureScheme } = {}): Promise<SignedSamples> {
  const network = { rewrite: server.rewrite };
  const tsaUrl = `${server.url}/tsa`;
  const pdf = await signDocument(readFileSync(SAMPLE_PDF), {
    signer,
    network,
    level: 'B-T',
    tsaUrl,
    scheme: schemes.pdf,
    revocationCheck: 'require',
    appearance: { kind: 'seal', image: readFileSync(SEAL_PNG), rect: [360, 80, 120, 120] },
  });
  const xml = await signXmlDocument(readFileSync(SAMPLE_EDXML), { signer, network, level: 'B-T', tsaUrl, scheme: schemes.xml, revocationCheck: 'require' });
  return { pdf: pdf.bytes, xml: xml.bytes };
}

/** kyso's indication for every signature in the file, with the failed checks when it is not TOTAL_PASSED. */
export async function kysoIndications(bytes: Uint8Array, server: TestPkiServer): Promise<string[]> {
  const report = await verifyDocument(bytes, { trust: TrustStore.demo(), network: { rewrite: server.rewrite } });
  return report.signatures.map((s) => {
    if (s.indication === 'TOTAL_PASSED') return s.indication;
    const failed = s.checks.filter((c) => c.status !== 'PASSED').map((c) => `${c.id}=${c.status}`);
    return `${s.indication} ${failed.join(' ')}`;
  });
}

/** pdfsig's verdict per signature: "Signature is Valid. / Certificate is Trusted." when all is well. */
export function pdfsigVerdicts(pdf: Uint8Array, nssDir: string): string[] {
  const { signatures, stdout } = pdfsig(tempFile('signed.pdf', pdf), nssDir);
  if (signatures.length === 0) return [stdout];
  return signatures.map((s) => `${s.validation} / ${s.certificate}`);
}

let xmlDir: string | undefined;
/** xmlsec1 --verify against the test root, as in test/xml/xml-interop.test.ts; returns its output and verdict. */
export async function xmlsecVerify(xml: Uint8Array): Promise<{ ok: boolean; out: string }> {
  xmlDir ??= tempDir();
  const file = writeTemp(xmlDir, `v-${Math.random().toString(36).slice(2)}.xml`, xml);
  const r = await xmlsec1([
    '--verify',
    '--trusted-pem',
    testPki.rootPem,
    '--untrusted-pem',
    testPki.caPem,
    '--id-attr:Id',
    'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
    file,
  ]);
  return { ok: r.code === 0 && /^OK$/m.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}
