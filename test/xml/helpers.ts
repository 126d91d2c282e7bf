// Shared pieces of the XML signature tests: test PKI signers, the edXML sample, an attacker's self-signed
// identity made with openssl, and signatures made by xmlsec1 from an XMLDSig template.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document, Element } from '@xmldom/xmldom';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { pemToDer } from '../../src/pki/certificate.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { opensslAsync } from '../pki/helpers.ts';
import { tempDir, writeTemp, xmlsec1 } from './xmlsec.ts';

export const QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const XADES = 'http://uri.etsi.org/01903/v1.3.2#';

export const SAMPLE = join(import.meta.dirname, '../fixtures/xml/edxml-sample.xml');
export const sampleXml = (): string => readFileSync(SAMPLE, 'utf8');

/** edXMLHeader: where the edXML layer puts the signature. */
export const edxmlHeader = (doc: Document): Element | null => doc.getElementsByTagNameNS(QCVN, 'edXMLHeader').item(0);

const signers = new Map<string, KeyObjectSigner>();
export function signerOf(id: TestIdentityId): KeyObjectSigner {
  let s = signers.get(id);
  if (!s) signers.set(id, (s = KeyObjectSigner.fromPkcs12File(testPki.identity(id).p12, testPki.password)));
  return s;
}

export interface SelfSigned {
  signer: KeyObjectSigner;
  key: KeyObject;
  keyPem: string;
  certPem: string;
}

/** An attacker's self-signed RSA certificate with the real signer's name on it. */
export async function selfSigned(cn = 'Nguyễn Văn An'): Promise<SelfSigned> {
  const dir = tempDir();
  const keyPem = join(dir, 'attacker.key');
  const certPem = join(dir, 'attacker.pem');
  const r = await opensslAsync(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPem, '-out', certPem, '-days', '30', '-utf8', '-subj', `/CN=${cn}/O=Văn phòng Chính phủ/C=VN`,
    '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation']);
  if (r.status !== 0) throw new Error(`openssl: ${r.out}`);
  const cert = pemToDer(readFileSync(certPem, 'utf8'));
  const key = createPrivateKey(readFileSync(keyPem));
  return { signer: new KeyObjectSigner(key, cert), key, keyPem, certPem };
}

/**
 * An XMLDSig template (default namespace ds): one Reference with the given URI and transforms, rsa-sha256,
 * exclusive canonicalization of SignedInfo, KeyInfo/X509Data for xmlsec1 to fill with the certificates.
 */
export function xmlsecTemplate(uri: string, transforms: string[]): string {
  return (
    `<Signature xmlns="${DSIG}"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="${uri}"><Transforms>` +
    transforms.map((t) => `<Transform Algorithm="${t}"/>`).join('') +
    `</Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo>` +
    `<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`
  );
}

export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/**
 * Signs with `xmlsec1 --sign`: the template is inserted before `before` (a literal of the input), the key and
 * certificates are PEM files (certificates after the first go into X509Data too).
 */
export async function xmlsecSign(xml: string, template: string, before: string, keyPem: string, certPems: string[], idAttr?: string): Promise<string> {
  const i = xml.indexOf(before);
  if (i < 0) throw new Error(`"${before}" not in the document`);
  const dir = tempDir();
  const input = writeTemp(dir, 'template.xml', xml.slice(0, i) + template + xml.slice(i));
  const out = join(dir, 'signed.xml');
  const r = await xmlsec1(['--sign', '--privkey-pem', [keyPem, ...certPems].join(','), ...(idAttr ? ['--id-attr:Id', idAttr] : []), '--output', out, input]);
  if (r.code !== 0) throw new Error(`xmlsec1 --sign: ${r.stderr}`);
  return readFileSync(out, 'utf8');
}

/** Failed checks as "ID:SUB_INDICATION" of the first signature. */
export const failures = (r: ValidationReport, i = 0): string[] =>
  (r.signatures[i]?.checks ?? []).filter((c) => c.status === 'FAILED').map((c) => `${c.id}:${c.subIndication}`);

export function expectedPassedMessage(r: ValidationReport): string {
  return r.signatures.flatMap((s) => s.checks.filter((c) => c.status === 'FAILED').map((c) => `${s.id}/${c.id}: ${c.message.en}`)).join('\n');
}
