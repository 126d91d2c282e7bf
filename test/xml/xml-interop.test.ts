// Interop with xmlsec1 1.2.37 (libxml2 + OpenSSL), both directions:
//  (i)  what kyso signs verifies with `xmlsec1 --verify --trusted-pem root --untrusted-pem ca
//       --id-attr:Id http://uri.etsi.org/01903/v1.3.2#:SignedProperties` (the XAdES SignedProperties Reference
//       is a same-document #Id reference: xmlsec1 must be told which attribute is an ID there);
//  (ii) what `xmlsec1 --sign` makes from a plain XMLDSig template verifies in kyso. It has no XAdES
//       SigningCertificateV2, so the certificate comes from KeyInfo: it must still chain to the trust store and
//       pass revocation, SIGNING_CERTIFICATE_REFERENCE fails at the policy's level (WARN by default), and a
//       KeyInfo certificate that does not chain never passes.
// The PKI server runs in this process: xmlsec1 is always an async child process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signXml } from '../../src/signing/xml/xades-signer.ts';
import type { VerifyOptions } from '../../src/verify/pdf/pdf-validator.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { verifyXml } from '../../src/verify/xml/xml-validator.ts';
import { edxmlHeader, ENVELOPED, EXC_C14N, expectedPassedMessage, failures, sampleXml, selfSigned, signerOf, xmlsecSign, xmlsecTemplate } from './helpers.ts';
import { tempDir, writeTemp, xmlsec1 } from './xmlsec.ts';

let server: TestPkiServer;
let opts: VerifyOptions;
let dir: string;

beforeAll(async () => {
  server = await startTestPkiServer();
  opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
  dir = tempDir();
});
afterAll(async () => server?.close());

/** The xmlsec1 command line that verifies a kyso XAdES signature against the test PKI. */
const XMLSEC_VERIFY = ['--verify', '--trusted-pem', testPki.rootPem, '--untrusted-pem', testPki.caPem, '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties'];

async function xmlsecVerify(xml: string): Promise<{ ok: boolean; out: string }> {
  const file = writeTemp(dir, `v-${Math.random().toString(36).slice(2)}.xml`, xml);
  const r = await xmlsec1([...XMLSEC_VERIFY, file]);
  return { ok: r.code === 0 && /^OK$/m.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}

describe('(i) kyso signs, xmlsec1 verifies', () => {
  it.each([
    ['RSA rsa-sha256 under edXMLHeader', 'person-vpcp', {}],
    ['ECDSA P-256', 'ministry-seal', {}],
    ['RSA SHA-512', 'province-seal', { digest: 'SHA-512' as const }],
  ] as const)('%s', async (_name, id, extra) => {
    const xml = await signXml(sampleXml(), { signer: signerOf(id), parent: edxmlHeader, ...extra });
    const v = await xmlsecVerify(xml);
    expect(v.out).toMatch(/SignedInfo References \(ok\/all\): 2\/2/);
    expect(v.ok, v.out).toBe(true);
  });

  it('B-T (the unsigned SignatureTimeStamp does not disturb xmlsec1)', async () => {
    const xml = await signXml(sampleXml(), { signer: signerOf('vpcp-seal'), level: 'B-T', tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite } });
    const v = await xmlsecVerify(xml);
    expect(v.ok, v.out).toBe(true);
  });

  it('xmlsec1 rejects a kyso signature once the content changes (the oracle is not blind)', async () => {
    const xml = await signXml(sampleXml(), { signer: signerOf('person-vpcp'), parent: edxmlHeader });
    const v = await xmlsecVerify(xml.replace('Nguyễn Văn An</edXML:FullName>', 'Nguyễn Văn Ân</edXML:FullName>'));
    expect(v.ok).toBe(false);
  });
});

describe('(ii) xmlsec1 signs, kyso verifies', () => {
  const vpcp = testPki.identity('person-vpcp');
  const template = xmlsecTemplate('', [ENVELOPED, EXC_C14N]);

  it('enveloped URI="" + exc-c14n + rsa-sha256, certificate in KeyInfo: TOTAL_PASSED with a warning for the missing SigningCertificateV2', async () => {
    const signed = await xmlsecSign(sampleXml(), template, '</edXML:edXMLHeader>', vpcp.key, [vpcp.cert, testPki.caPem]);
    expect((await xmlsecVerify(signed)).ok).toBe(true);
    const r = await verifyXml(Buffer.from(signed), opts);
    expect(expectedPassedMessage(r)).toBe('');
    expect(r.indication).toBe('TOTAL_PASSED');
    const s = r.signatures[0]!;
    expect(s.format).toBe('XMLDSig');
    expect(s.coverage).toBe('ENTIRE_FILE');
    expect(s.signer?.commonName).toBe('Nguyễn Văn An');
    expect(s.checks.find((c) => c.id === 'SIGNING_CERTIFICATE_REFERENCE')?.status).toBe('WARNING');
    expect(s.checks.find((c) => c.id === 'REVOCATION')?.status).toBe('PASSED');
    expect(s.checks.find((c) => c.id === 'CERTIFICATE_CHAIN')?.status).toBe('PASSED');
  });

  it('a revoked signer signing with xmlsec1 is caught by kyso (revocation is checked for KeyInfo certificates)', async () => {
    const revoked = testPki.identity('revoked-signer');
    const signed = await xmlsecSign(sampleXml(), template, '</edXML:edXMLHeader>', revoked.key, [revoked.cert]);
    const r = await verifyXml(Buffer.from(signed), opts);
    expect(r.indication).not.toBe('TOTAL_PASSED');
    expect(failures(r)).toContainEqual(expect.stringMatching(/^REVOCATION:/));
  });

  it('KeyInfo certificate swapped for a self-signed one (not re-signed): SIG_CRYPTO_FAILURE', async () => {
    const signed = await xmlsecSign(sampleXml(), template, '</edXML:edXMLHeader>', vpcp.key, [vpcp.cert]);
    const attacker = await selfSigned();
    const b64 = Buffer.from(attacker.signer.certificate).toString('base64');
    const swapped = signed.replace(/<X509Certificate>[\s\S]*?<\/X509Certificate>/, `<X509Certificate>${b64}</X509Certificate>`);
    const r = await verifyXml(Buffer.from(swapped), opts);
    expect(r.indication).toBe('TOTAL_FAILED');
    expect(r.subIndication).toBe('SIG_CRYPTO_FAILURE');
  });

  it('re-signed by an attacker with a self-signed certificate: the signature value verifies, NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const attacker = await selfSigned();
    const signed = await xmlsecSign(sampleXml(), template, '</edXML:edXMLHeader>', attacker.keyPem, [attacker.certPem]);
    const r = await verifyXml(Buffer.from(signed), opts);
    expect(r.indication).toBe('INDETERMINATE');
    expect(r.subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    expect(r.signatures[0]!.checks.find((c) => c.id === 'SIGNATURE_VALUE')?.status).toBe('PASSED');
  });
});
