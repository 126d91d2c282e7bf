// Two-phase XAdES signing (the XML counterpart of pdf-session.ts): start → canonical ds:SignedInfo and its
// digest for the key holder; complete → the value is checked against the announced certificate, then spliced
// into the document (with a SignatureTimeStamp for B-T). The state is JSON (`meta`) plus the original XML.
import { KysoError } from '../../errors.ts';
import { hash } from '../../pki/native-crypto.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { RevocationMode } from '../../pki/cert-status.ts';
import type { DigestAlgorithm, SignatureScheme } from '../../pki/signer.ts';
import { completeXadesSignature, defaultXadesParams, prepareXadesSignature, type XadesTwoPhaseParams } from '../xml/xades-two-phase.ts';
import type { XadesLevel } from '../xml/xades-signer.ts';
import { precheckCertificate, type CompleteOptions, type DataToSign } from './pdf-session.ts';
import { certificateKey, checkSignatureValue } from './signature-value.ts';

export interface StartXmlOptions {
  certificate: Uint8Array;
  chain?: readonly Uint8Array[];
  level?: XadesLevel;
  digest?: DigestAlgorithm;
  /** Default rsa-sha256 (PKCS#1 v1.5) for RSA — what xmlsec1 and most receivers verify — ECDSA for EC. */
  scheme?: SignatureScheme;
  now?: Date;
  revocationCheck?: RevocationMode;
  network?: PkiNetworkOptions;
  /** edXML: leave the routing trace out (default true). */
  excludeEdxmlTrace?: boolean;
}

export interface XmlSessionMeta {
  format: 'xml';
  params: XadesTwoPhaseParams;
  certificate: string;
  chain: string[];
  /** Canonical ds:SignedInfo, base64. */
  signedInfo: string;
}

export interface XmlSessionState {
  meta: XmlSessionMeta;
  /** The document as uploaded. */
  document: Uint8Array;
}

export interface StartedXmlSession extends DataToSign {
  state: XmlSessionState;
}

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export async function startXmlSession(xml: Uint8Array, o: StartXmlOptions): Promise<StartedXmlSession> {
  const now = o.now ?? new Date();
  const key = certificateKey(o.certificate);
  const chain = o.chain ?? [];
  const params = defaultXadesParams(key, { level: o.level, digest: o.digest, scheme: o.scheme, now, excludeEdxmlTrace: o.excludeEdxmlTrace });
  // Preparing first gives a malformed document its own error before the certificate check goes to the network.
  const { signedInfo, algorithm } = await prepareXadesSignature(xml, { certificate: o.certificate, chain, keyType: key.keyType, keyBits: key.keyBits }, params);
  const warnings = await precheckCertificate(o.certificate, chain, { at: now, network: o.network, revocation: o.revocationCheck });
  return {
    dataToSign: hash(algorithm.digest, signedInfo),
    toBeSigned: signedInfo,
    algorithm,
    certificate: o.certificate,
    warnings,
    state: { meta: { format: 'xml', params, certificate: b64(o.certificate), chain: chain.map(b64), signedInfo: b64(signedInfo) }, document: new Uint8Array(xml) },
  };
}

export interface CompletedXml {
  bytes: Buffer;
  level: XadesLevel;
  signatureId: string;
  signingTime: Date;
}

export async function completeXmlSession(state: XmlSessionState, signatureValue: Uint8Array, o: CompleteOptions = {}): Promise<CompletedXml> {
  const m = state.meta;
  if (m.format !== 'xml') throw new KysoError('INVALID_ARGUMENT', 'Phiên ký không phải của tài liệu XML', 'The session is not an XML session');
  const certificate = unb64(m.certificate);
  const signedInfo = unb64(m.signedInfo);
  const key = certificateKey(certificate);
  const value = checkSignatureValue(key, { digest: m.params.digest, scheme: m.params.scheme }, signedInfo, signatureValue);
  const chain = o.chain ?? m.chain.map(unb64);
  const signed = await completeXadesSignature(state.document, { certificate, chain, keyType: key.keyType, keyBits: key.keyBits }, m.params, signedInfo, value, o);
  return { bytes: Buffer.from(signed.xml, 'utf8'), level: signed.level, signatureId: signed.signatureId, signingTime: signed.signingTime };
}
