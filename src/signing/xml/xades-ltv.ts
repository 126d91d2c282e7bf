// XAdES long-term validation (ETSI EN 319 132-1 §5.5, §6.3): raises the XAdES signatures of an XML document to
// B-LT (xades:CertificateValues and xades:RevocationValues in UnsignedSignatureProperties) and B-LTA
// (xades141:ArchiveTimeStamp over the signature and everything before it, followed by
// xades141:TimeStampValidationData with the new TSA's own data, covered by the next renewal).
// A signature without a SignatureTimeStamp first gets one (B-T). Only unsigned properties are added, spliced
// into the original text: the signed bytes never change.
import { createHash } from 'node:crypto';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { KysoError } from '../../errors.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm } from '../../pki/signer.ts';
import { requestTimestamp } from '../../pki/tsp-client.ts';
import { C14N, canonicalize, isC14nMethod, type C14nMethod } from '../../xml/c14n.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { archiveTimestampInput, unsignedSignatureProperties } from '../../xml/xades-archive.ts';
import { digestFromUri, edxmlTraceLayout, edxmlTraceSubtrees, indexIds, NS, TRANSFORM } from '../../xml/xmldsig.ts';
import { merge, ValidationDataCollector, type ValidationMaterial } from '../validation-data.ts';
import { elementIndex, splice } from './xades-signer.ts';

export type XadesLtvLevel = 'B-LT' | 'B-LTA';

export interface XadesLtvOptions {
  level: XadesLtvLevel;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  digest?: DigestAlgorithm;
  now?: Date;
}

export interface XadesLtvResult {
  bytes: Buffer;
  signatures: number;
  timestampsAdded: number;
}

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const EXC = C14N.exclusive;
const XMLNS = `xmlns:xades="${NS.xades}" xmlns:ds="${NS.dsig}"`;

const invalid = (vi: string, en: string) => new KysoError('INVALID_ARGUMENT', vi, en);

function kids(el: Element): Element[] {
  const out: Element[] = [];
  for (let c: Node | null = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}
const is = (el: Element | undefined, ns: string, local: string): el is Element => !!el && el.namespaceURI === ns && el.localName === local;
const textOf = (el: Element): string => (el.textContent ?? '').replace(/\s+/g, '');

function xadesSignatures(doc: Document): Element[] {
  const list = doc.getElementsByTagNameNS(NS.dsig, 'Signature');
  const out: Element[] = [];
  for (let i = 0; i < list.length; i++) {
    const s = list.item(i)!;
    if (qualifyingProperties(s)) out.push(s);
  }
  return out;
}

function qualifyingProperties(sig: Element): Element | undefined {
  for (const o of kids(sig)) if (is(o, NS.dsig, 'Object')) for (const q of kids(o)) if (is(q, NS.xades, 'QualifyingProperties')) return q;
  return undefined;
}

/** Splices `inner` (unsigned signature properties) into the signature, creating the containers it lacks. */
function appendUnsigned(text: string, sigNo: number, inner: string): string {
  const doc = parseXmlSafely(text);
  const sig = xadesSignatures(doc)[sigNo]!;
  const usp = unsignedSignatureProperties(sig);
  if (usp) return splice(text, elementIndex(doc, usp), inner);
  const qp = qualifyingProperties(sig)!;
  const up = kids(qp).find((k) => is(k, NS.xades, 'UnsignedProperties'));
  const wrapped = `<xades:UnsignedSignatureProperties ${XMLNS}>${inner}</xades:UnsignedSignatureProperties>`;
  if (up) return splice(text, elementIndex(doc, up), wrapped);
  return splice(text, elementIndex(doc, qp), `<xades:UnsignedProperties xmlns:xades="${NS.xades}">${wrapped}</xades:UnsignedProperties>`);
}

/** The signing certificate: the KeyInfo certificate SigningCertificate(V2) designates, else the first one. */
function signingCertificate(sig: Element, keyInfoCerts: Uint8Array[]): Uint8Array {
  const qp = qualifyingProperties(sig)!;
  const digests = qp.getElementsByTagNameNS(NS.xades, 'CertDigest');
  for (let i = 0; i < digests.length; i++) {
    const cd = digests.item(i)!;
    const method = kids(cd).find((k) => is(k, NS.dsig, 'DigestMethod'))?.getAttribute('Algorithm') ?? '';
    const value = kids(cd).find((k) => is(k, NS.dsig, 'DigestValue'));
    const d = digestFromUri(method);
    if (!d || !value) continue;
    const hit = keyInfoCerts.find((c) => createHash(d.toLowerCase().replace('-', '')).update(c).digest('base64') === textOf(value));
    if (hit) return hit;
  }
  if (!keyInfoCerts[0]) throw invalid('Chữ ký XML không kèm chứng thư ký (KeyInfo)', 'The XML signature carries no signing certificate (KeyInfo)');
  return keyInfoCerts[0];
}

function base64Values(root: Element, ns: string, local: string): Uint8Array[] {
  const list = root.getElementsByTagNameNS(ns, local);
  const out: Uint8Array[] = [];
  for (let i = 0; i < list.length; i++) out.push(new Uint8Array(Buffer.from(textOf(list.item(i)!), 'base64')));
  return out;
}

/**
 * The processed octets of each Reference (dereference, then the transforms): the shapes kyso's verifier
 * accepts — URI="" or "#id", enveloped-signature, the edXML trace filter, one canonicalization.
 */
function referenceOctets(doc: Document, sig: Element): string[] {
  const signedInfo = kids(sig).find((k) => is(k, NS.dsig, 'SignedInfo'))!;
  const ids = indexIds(doc.documentElement!);
  return kids(signedInfo)
    .filter((r) => is(r, NS.dsig, 'Reference'))
    .map((ref) => {
      const uri = ref.getAttribute('URI') ?? '';
      const node: Document | Element | undefined = uri === '' ? doc : ids.byId.get(uri.slice(1))?.[0];
      if (!node) throw invalid(`Không tìm thấy phần tử ${uri}`, `Element ${uri} not found`);
      let method: C14nMethod = C14N.c14n10;
      const exclude: Node[] = [];
      const transforms = kids(ref).find((k) => is(k, NS.dsig, 'Transforms'));
      for (const t of transforms ? kids(transforms) : []) {
        const alg = t.getAttribute('Algorithm') ?? '';
        if (alg === TRANSFORM.enveloped) exclude.push(sig);
        else if (alg === TRANSFORM.xpathFilter2) {
          const layout = edxmlTraceLayout(doc);
          if (layout) exclude.push(...edxmlTraceSubtrees(doc, layout));
        } else if (isC14nMethod(alg)) method = alg;
        else throw invalid(`Không hỗ trợ phép biến đổi ${alg} khi đóng dấu thời gian lưu trữ`, `Transform ${alg} is not supported for archive timestamps`);
      }
      return canonicalize(node, { method, comments: false, exclude });
    });
}

/** Canonical ds:SignatureValue, the input of a SignatureTimeStamp. */
function signatureValueOctets(sig: Element): Buffer {
  const sv = kids(sig).find((k) => is(k, NS.dsig, 'SignatureValue'))!;
  return Buffer.from(canonicalize(sv, { method: EXC, comments: false }), 'utf8');
}

function valuesXml(m: ValidationMaterial, skipCerts: readonly Uint8Array[]): string {
  const skip = new Set(skipCerts.map(b64));
  const certs = m.certificates.filter((c) => !skip.has(b64(c)));
  let out = '';
  if (certs.length) {
    out += `<xades:CertificateValues ${XMLNS}>${certs.map((c) => `<xades:EncapsulatedX509Certificate>${b64(c)}</xades:EncapsulatedX509Certificate>`).join('')}</xades:CertificateValues>`;
  }
  if (m.crls.length || m.ocspResponses.length) {
    out +=
      `<xades:RevocationValues ${XMLNS}>` +
      (m.crls.length ? `<xades:CRLValues>${m.crls.map((c) => `<xades:EncapsulatedCRLValue>${b64(c)}</xades:EncapsulatedCRLValue>`).join('')}</xades:CRLValues>` : '') +
      (m.ocspResponses.length ? `<xades:OCSPValues>${m.ocspResponses.map((c) => `<xades:EncapsulatedOCSPValue>${b64(c)}</xades:EncapsulatedOCSPValue>`).join('')}</xades:OCSPValues>` : '') +
      `</xades:RevocationValues>`;
  }
  return out;
}

/** Raises every XAdES signature of the document; returns the new text. */
export async function extendXml(xml: Uint8Array | string, o: XadesLtvOptions): Promise<XadesLtvResult> {
  let text = typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8');
  const digest = o.digest ?? 'SHA-256';
  const count = xadesSignatures(parseXmlSafely(text)).length;
  if (count === 0) throw invalid('Tài liệu không có chữ ký XAdES nào để nâng mức', 'The document has no XAdES signature to extend');
  if (count > 1) {
    // Enveloped signatures over the whole document cover each other: adding properties to one breaks the others.
    throw invalid('Tài liệu có nhiều chữ ký XAdES bao phủ lẫn nhau; chỉ nâng mức được tài liệu có một chữ ký', 'The document has several XAdES signatures covering each other; only single-signature documents can be extended');
  }
  if (o.level === 'B-LTA' && !o.tsaUrl) throw invalid('Mức B-LTA cần máy chủ dấu thời gian (--tsa)', 'Level B-LTA needs a timestamp authority (--tsa)');
  const stamp = async (data: Uint8Array): Promise<Uint8Array> => (await requestTimestamp(data, digest, { ...o.network, url: o.tsaUrl! })).tokenDer;
  const now = o.now ? { now: o.now } : {};
  let timestampsAdded = 0;

  const sigNo = 0;
  let doc = parseXmlSafely(text);
  let sig = xadesSignatures(doc)[sigNo]!;
  const sigId = sig.getAttribute('Id') || 'sig';
  const keyInfoCerts = base64Values(sig, NS.dsig, 'X509Certificate');
  const hadArchive = (unsignedSignatureProperties(sig)?.getElementsByTagNameNS(NS.xades141, 'ArchiveTimeStamp').length ?? 0) > 0;

  // B-T first when the signature has no timestamp: XAdES B-LT builds on B-T.
  let tokens = (() => {
    const usp = unsignedSignatureProperties(sig);
    const out: Uint8Array[] = [];
    for (const t of usp ? kids(usp).filter((k) => is(k, NS.xades, 'SignatureTimeStamp')) : []) out.push(...base64Values(t, NS.xades, 'EncapsulatedTimeStamp'));
    return out;
  })();
  if (tokens.length === 0) {
    if (!o.tsaUrl) throw invalid('Chữ ký chưa có dấu thời gian; mức B-LT cần máy chủ dấu thời gian (--tsa)', 'The signature has no timestamp; B-LT needs a timestamp authority (--tsa)');
    const token = await stamp(signatureValueOctets(sig));
    text = appendUnsigned(
      text,
      sigNo,
      `<xades:SignatureTimeStamp ${XMLNS} Id="ts-${sigId}-${Date.now()}"><ds:CanonicalizationMethod Algorithm="${EXC}"/><xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>`,
    );
    tokens = [token];
    timestampsAdded++;
  }

  // B-LT: chains and revocation data of the signer and of every timestamp already there (earlier archive
  // timestamps included, for a renewal).
  doc = parseXmlSafely(text);
  sig = xadesSignatures(doc)[sigNo]!;
  const known = [...keyInfoCerts, ...base64Values(sig, NS.xades, 'EncapsulatedX509Certificate')];
  const collector = new ValidationDataCollector({ network: o.network, knownCertificates: known, ...now });
  const parts = [await collector.addCertificate(signingCertificate(sig, keyInfoCerts))];
  for (const t of tokens) parts.push(await collector.addTimestampToken(t));
  const usp0 = unsignedSignatureProperties(sig);
  const archives = usp0 ? [...kids(usp0).filter((k) => is(k, NS.xades141, 'ArchiveTimeStamp'))] : [];
  for (const a of archives) for (const t of base64Values(a, NS.xades, 'EncapsulatedTimeStamp')) parts.push(await collector.addTimestampToken(t));
  const lt = valuesXml(merge(parts), known);
  if (lt) {
    // After an archive timestamp, new data goes into TimeStampValidationData (EN 319 132-1 §5.5.1).
    text = appendUnsigned(text, sigNo, hadArchive ? `<xades141:TimeStampValidationData xmlns:xades141="${NS.xades141}">${lt}</xades141:TimeStampValidationData>` : lt);
  }

  if (o.level === 'B-LTA') {
    doc = parseXmlSafely(text);
    sig = xadesSignatures(doc)[sigNo]!;
    const input = archiveTimestampInput(sig, referenceOctets(doc, sig), EXC);
    const token = await stamp(Buffer.from(input.join(''), 'utf8'));
    timestampsAdded++;
    text = appendUnsigned(
      text,
      sigNo,
      `<xades141:ArchiveTimeStamp xmlns:xades141="${NS.xades141}" ${XMLNS} Id="ats-${sigId}-${Date.now()}"><ds:CanonicalizationMethod Algorithm="${EXC}"/><xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp></xades141:ArchiveTimeStamp>`,
    );
    // The new TSA's own data, after it (the next renewal's archive timestamp covers it).
    const tsaData = valuesXml(await collector.addTimestampToken(token), []);
    if (tsaData) text = appendUnsigned(text, sigNo, `<xades141:TimeStampValidationData xmlns:xades141="${NS.xades141}">${tsaData}</xades141:TimeStampValidationData>`);
  }
  return { bytes: Buffer.from(text, 'utf8'), signatures: count, timestampsAdded };
}
