// Issue 6 proof for PKCS#11: the agency seal keys live in a SoftHSM2 token; the sample PDF (seal appearance, B-T)
// and the sample edXML package (B-T) signed through the token verify TOTAL_PASSED in kyso, valid and trusted in
// pdfsig, OK in xmlsec1 — for RSA-PSS, RSA PKCS#1 v1.5 and ECDSA P-256. xmlsec1 1.2.37 has no RSA-PSS
// (sha256-rsa-MGF1), so XML is signed rsa-sha256 (kyso's XML default) in the RSA-PSS row and the XML RSA-PSS
// signature made through the token is checked by kyso alone.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { Pkcs11Signer } from '../../src/pki/keys/pkcs11-signer.ts';
import type { SignatureScheme } from '../../src/pki/signer.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.ts';
import { makeNssDb } from '../helpers/tools.ts';
import { kysoIndications, pdfsigVerdicts, SAMPLE_EDXML, signSamples, xmlsecVerify, type SignedSamples } from './pkcs11-proof.ts';

const pki = useTestPkiServer();
let hsm: SoftHsm;
let nss: string;
const signers: Pkcs11Signer[] = [];

beforeAll(async () => {
  hsm = await createSoftHsm([
    { label: 'VPCP seal HSM', caCertificate: true, keys: [{ identity: 'vpcp-seal', id: '01' }, { identity: 'ministry-seal', id: '02' }] },
  ]);
  nss = makeNssDb({ 'Test NEAC Root': testPki.rootPem });
});
afterAll(async () => {
  for (const s of signers) await s.close();
  hsm?.remove();
});

describe.each([
  ['vpcp-seal', 'RSASSA-PSS', 'RSASSA-PKCS1-v1_5'],
  ['vpcp-seal', 'RSASSA-PKCS1-v1_5', 'RSASSA-PKCS1-v1_5'],
  ['ministry-seal', 'ECDSA', 'ECDSA'],
] as const)('%s in the token, PDF %s, XML %s', (key, pdf: SignatureScheme, xml: SignatureScheme) => {
  let signed: SignedSamples;

  beforeAll(async () => {
    const signer = await Pkcs11Signer.fromReference(hsm.reference('VPCP seal HSM', { key }), hsm.env);
    signers.push(signer);
    signed = await signSamples(signer, pki.server, { pdf, xml });
  });

  it('kyso verifies the PDF and the edXML package TOTAL_PASSED', async () => {
    expect(await kysoIndications(signed.pdf, pki.server)).toEqual(['TOTAL_PASSED']);
    expect(await kysoIndications(signed.xml, pki.server)).toEqual(['TOTAL_PASSED']);
  });

  it('pdfsig says the signature is valid and the certificate trusted', () => {
    expect(pdfsigVerdicts(signed.pdf, nss)).toEqual(['Signature is Valid. / Certificate is Trusted.']);
  });

  it('xmlsec1 --verify accepts the edXML package, and rejects it once altered', async () => {
    const v = await xmlsecVerify(signed.xml);
    expect(v.ok, v.out).toBe(true);
    const tampered = Buffer.from(signed.xml.toString('utf8').replace('Văn phòng Chính phủ', 'Văn phòng Chính phủ.'));
    expect(tampered.equals(signed.xml)).toBe(false);
    expect((await xmlsecVerify(tampered)).ok).toBe(false);
  });
});

it('XML RSA-PSS (sha256-rsa-MGF1) through the token verifies TOTAL_PASSED in kyso', async () => {
  const signer = await Pkcs11Signer.fromReference(hsm.reference('VPCP seal HSM', { key: 'vpcp-seal' }), hsm.env);
  signers.push(signer);
  const r = await signXmlDocument(readFileSync(SAMPLE_EDXML), { signer, scheme: 'RSASSA-PSS', network: { rewrite: pki.server.rewrite } });
  expect(r.bytes.toString('utf8')).toContain('http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1');
  expect(await kysoIndications(r.bytes, pki.server)).toEqual(['TOTAL_PASSED']);
});
