// Issue 6 proof for remote signing: the sample PDF (seal appearance, B-T) and the sample edXML package (B-T)
// signed through the CSC API v2 test service verify TOTAL_PASSED in kyso, valid and trusted in pdfsig, OK in
// xmlsec1 (RSA-PSS PDF with rsa-sha256 XML — xmlsec1 1.2.37 has no RSA-PSS — and ECDSA for both).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSC_TEST_CLIENT, CSC_TEST_PIN, startCscServer, type CscTestServer } from '../../certs-test/csc-server.ts';
import { testPki } from '../../certs-test/index.ts';
import { CscSigner } from '../../src/pki/keys/csc-signer.ts';
import type { SignatureScheme } from '../../src/pki/signer.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { makeNssDb } from '../helpers/tools.ts';
import { kysoIndications, pdfsigVerdicts, signSamples, xmlsecVerify, type SignedSamples } from './pkcs11-proof.ts';

const pki = useTestPkiServer();
let csc: CscTestServer;
let nss: string;

beforeAll(async () => {
  csc = await startCscServer();
  nss = makeNssDb({ 'Test NEAC Root': testPki.rootPem });
});
afterAll(async () => csc?.close());

describe.each([
  ['vpcp-seal', 'RSASSA-PSS', 'RSASSA-PKCS1-v1_5'],
  ['ministry-seal', 'ECDSA', 'ECDSA'],
] as const)('credential %s, PDF %s, XML %s', (credential, pdf: SignatureScheme, xml: SignatureScheme) => {
  let signed: SignedSamples;

  beforeAll(async () => {
    const signer = await CscSigner.fromReference(
      `url=${csc.url};client-id=${CSC_TEST_CLIENT.id};client-secret-env=SECRET;credential=${credential};pin-env=PIN`,
      { SECRET: CSC_TEST_CLIENT.secret, PIN: CSC_TEST_PIN },
    );
    signed = await signSamples(signer, pki.server, { pdf, xml });
  });

  it('kyso verifies the PDF and the edXML package TOTAL_PASSED', async () => {
    expect(await kysoIndications(signed.pdf, pki.server)).toEqual(['TOTAL_PASSED']);
    expect(await kysoIndications(signed.xml, pki.server)).toEqual(['TOTAL_PASSED']);
  });

  it('pdfsig says the signature is valid and the certificate trusted', () => {
    expect(pdfsigVerdicts(signed.pdf, nss)).toEqual(['Signature is Valid. / Certificate is Trusted.']);
  });

  it('xmlsec1 --verify accepts the edXML package', async () => {
    const v = await xmlsecVerify(signed.xml);
    expect(v.ok, v.out).toBe(true);
  });
});
