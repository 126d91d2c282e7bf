// Enveloped XAdES-BASELINE-B / -T signatures (ETSI EN 319 132-1) for any XML document: edXML packages, status
// packets, anything else. The ds:Signature goes in as the last child of the document element (or of `parent`,
// e.g. edXMLHeader) and signs the whole document: Reference URI="" with the enveloped-signature and exclusive
// canonicalization transforms, plus the XAdES Reference to SignedProperties (SigningTime, SigningCertificateV2,
// DataObjectFormat). B-T adds a SignatureTimeStamp over the canonicalized ds:SignatureValue.
// With `excludeEdxmlTrace` an edXML package or status packet is signed minus its routing trace (the TraceHeader
// elements every hop appends): an XPath Filter 2.0 subtract transform between the two (src/xml/xmldsig.ts says
// exactly what it selects and why Bussiness stays signed).
//
// Route: our own canonicalizer (src/xml/c14n.ts, proven against xmlsec1) and string assembly rather than
// xmldsigjs/xadesjs. Those cost ~21 ms per 20 KB signature (reference-systems.md §6) against a 5 ms target,
// sign with WebCrypto keys instead of our Signer, default to inclusive C14N, and their verification side has
// the traps listed in signature-security.md §2 (KeyInfo trust, SigningCertificateV2 never checked). Here the
// document text is never re-serialized: the signature is spliced into the original text just before the
// parent's end tag, so every byte the caller wrote stays as written and the signed canonical form is exactly
// what a verifier computes from the output.
//
// Keys: only through the Signer interface (src/pki/signer.ts) — PKCS#12, PKCS#11 or remote, no second key path.
import { randomBytes, createHash } from 'node:crypto';
import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { KysoError } from '../../errors.ts';
import { certificateOutline, derTlv } from '../../pki/cms/cms-parser.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import { nodeDigestName, type DigestAlgorithm, type KeyType, type SignatureScheme, type Signer } from '../../pki/signer.ts';
import { requestTimestamp } from '../../pki/tsp-client.ts';
import { isoVn } from '../../util/vn-time.ts';
import { C14N, canonicalize, canonicalizeTo } from '../../xml/c14n.ts';
import { elementOrdinal, elementSpan, expandEmptyElement } from '../../xml/element-span.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { DIGEST_URI, ecdsaDerToRaw, edxmlTraceLayout, edxmlTraceSubtrees, edxmlTraceXPath, EDXML_TRACE_PREFIX, indexIds, NS, SIGNED_PROPERTIES_TYPE, signatureMethodUri, TRANSFORM } from '../../xml/xmldsig.ts';

export type XadesLevel = 'B-B' | 'B-T';

export interface SignXmlOptions {
  signer: Signer;
  /** B-B (default) or B-T (adds a SignatureTimeStamp from `tsaUrl`). */
  level?: XadesLevel;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  /** Digest of the references, the certificate digest and the signature (default SHA-256). */
  digest?: DigestAlgorithm;
  /** Default: RSASSA-PKCS1-v1_5 (rsa-sha256) for RSA keys, ECDSA for EC keys — see defaultXmlScheme. */
  scheme?: SignatureScheme;
  /** Claimed signing time (default now). */
  signingTime?: Date;
  /** How SigningTime is written: Vietnam time with +07:00 (default) or UTC with Z. Both are xsd:dateTime. */
  signingTimeZone?: 'vietnam' | 'utc';
  /**
   * Where ds:Signature goes (as the last child): default the document element. An Element of the Document
   * passed in, or a function choosing one in the parsed document (for string input).
   */
  parent?: Element | ((doc: Document) => Element | null | undefined);
  /** Id of the ds:Signature element (an NCName); default a random one. Other Ids derive from it. */
  signatureId?: string;
  /** MIME type declared in DataObjectFormat for the signed document (default text/xml). */
  mimeType?: string;
  /** Replaces the RFC 3161 request to `tsaUrl`: returns a TimeStampToken DER over `data`. */
  timestamper?: (data: Uint8Array, digest: DigestAlgorithm) => Promise<Uint8Array>;
  /**
   * edXML packages and status packets: leave the routing trace (edXMLHeader/TraceHeaderList/TraceHeader, which
   * every hop appends after signing) out of the signature with an XPath Filter 2.0 subtract transform, so that
   * appendTraceHeader keeps the signature valid. No effect on other XML. Default false (signXmlDocument turns it on).
   */
  excludeEdxmlTrace?: boolean;
}

export interface SignedXml {
  /** The signed document, the original text with the signature spliced in. */
  xml: string;
  signatureId: string;
  signingTime: Date;
  level: XadesLevel;
  /** TimeStampToken DER (B-T). */
  timestampToken?: Uint8Array;
}

/**
 * XMLDSig interop decides the RSA default: xmlsec1 1.2.x, .NET SignedXml and the edXML examples verify
 * rsa-sha256 (PKCS#1 v1.5) but not the RFC 6931 RSASSA-PSS URIs, so an RSASSA-PSS package would be rejected by
 * most receivers. RSASSA-PSS (Thông tư 15/2025 Annex I) stays one option away: `scheme: 'RSASSA-PSS'`.
 */
export function defaultXmlScheme(keyType: KeyType): SignatureScheme {
  return keyType === 'EC' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5';
}

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

function invalid(vi: string, en: string): KysoError {
  return new KysoError('INVALID_ARGUMENT', vi, en);
}

/** Signs and returns the signed document text. */
export async function signXml(doc: Document | string | Uint8Array, opts: SignXmlOptions): Promise<string> {
  return (await signXmlDetailed(doc, opts)).xml;
}

export async function signXmlDetailed(input: Document | string | Uint8Array, opts: SignXmlOptions): Promise<SignedXml> {
  const signer = opts.signer;
  const level = opts.level ?? 'B-B';
  const digest = opts.digest ?? 'SHA-256';
  const scheme = opts.scheme ?? defaultXmlScheme(signer.keyType);
  if (level === 'B-T' && !opts.tsaUrl && !opts.timestamper) {
    throw invalid('Mức B-T cần địa chỉ máy chủ dấu thời gian (--tsa)', 'Level B-T needs a timestamp authority URL (--tsa)');
  }
  if ((scheme === 'ECDSA') !== (signer.keyType === 'EC')) {
    throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ${scheme} không dùng được với khóa ${signer.keyType}`, `Scheme ${scheme} does not fit a ${signer.keyType} key`);
  }
  const sigId = opts.signatureId ?? `id-${randomBytes(12).toString('hex')}`;
  if (!/^[A-Za-z_][A-Za-z0-9._-]*$/.test(sigId)) throw invalid(`Id chữ ký không hợp lệ: ${sigId}`, `Invalid signature Id: ${sigId}`);

  // 1. The text we splice into, and the DOM that text parses to (what any verifier will see).
  let text: string;
  let parentIndex = 0;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    if (opts.parent && typeof opts.parent !== 'function') {
      throw invalid('Với đầu vào dạng văn bản, phần tử cha phải được chọn bằng hàm', 'With text input, choose the parent element with a function (an Element belongs to another document)');
    }
    text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  } else {
    if (opts.parent && typeof opts.parent !== 'function') {
      if (opts.parent.ownerDocument !== input) throw invalid('Phần tử cha không thuộc tài liệu cần ký', 'The parent element does not belong to the document being signed');
      parentIndex = elementIndex(input, opts.parent);
    }
    // xmldom's serializer writes the namespace declarations a programmatically built DOM lacks; the signature
    // covers the text as it will be read back.
    text = new XMLSerializer().serializeToString(input);
    if (!text.startsWith('<?xml')) text = `<?xml version="1.0" encoding="UTF-8"?>\n${text}`;
  }
  const doc = parseXmlSafely(text);
  if (typeof input === 'string' || input instanceof Uint8Array || typeof opts.parent === 'function') {
    const chosen = typeof opts.parent === 'function' ? opts.parent(doc) : undefined;
    if (typeof opts.parent === 'function' && !chosen) throw invalid('Không tìm thấy phần tử cha để đặt chữ ký', 'The parent element for the signature was not found');
    parentIndex = chosen ? elementIndex(doc, chosen) : 0;
  }
  const ids = { sig: sigId, ref: `r-${sigId}-1`, sp: `xades-${sigId}`, value: `value-${sigId}`, ts: `ts-${sigId}` };
  const existing = indexIds(doc.documentElement!);
  if (existing.duplicates.length) {
    throw invalid(
      `Tài liệu có Id trùng lặp (${existing.duplicates.slice(0, 3).join(', ')}): chữ ký trên tài liệu này sẽ bị từ chối`,
      `The document has duplicate Ids (${existing.duplicates.slice(0, 3).join(', ')}): a signature over it would be rejected`,
    );
  }
  for (const id of Object.values(ids)) if (existing.byId.has(id)) throw invalid(`Id ${id} đã có trong tài liệu`, `Id ${id} already exists in the document`);

  // 2. The document reference: the enveloped transform removes exactly the ds:Signature we add, so its canonical
  // form is the canonical form of the document as it is now (minus the routing trace with the trace filter).
  const md = nodeDigestName(digest);
  const digestUri = DIGEST_URI[digest];
  const docHash = createHash(md);
  const trace = opts.excludeEdxmlTrace ? edxmlTraceLayout(doc) : undefined;
  const exclude = trace ? edxmlTraceSubtrees(doc, trace) : null;
  canonicalizeTo(doc, { method: C14N.exclusive, comments: false, exclude }, (chunk) => docHash.update(chunk, 'utf8'));
  const traceTransform = trace
    ? `<ds:Transform Algorithm="${TRANSFORM.xpathFilter2}"><dsig-xpath:XPath xmlns:dsig-xpath="${TRANSFORM.xpathFilter2}" ` +
      `xmlns:${EDXML_TRACE_PREFIX}="${escapeXml(trace.namespace)}" Filter="subtract">${escapeXml(edxmlTraceXPath(trace.headerPath))}</dsig-xpath:XPath></ds:Transform>`
    : '';
  const docDigest = docHash.digest('base64');

  // 3. SignedProperties.
  const signingTime = opts.signingTime ?? new Date();
  const time = opts.signingTimeZone === 'utc' ? signingTime.toISOString().replace(/\.\d{3}Z$/, 'Z') : isoVn(signingTime);
  const cert = certificateOutline(signer.certificate);
  const certDigest = createHash(md).update(signer.certificate).digest('base64');
  // IssuerSerialV2: base64 DER of IssuerSerial { issuer GeneralNames { [4] directoryName }, serialNumber }.
  const issuerSerial = derTlv(0x30, derTlv(0x30, derTlv(0xa4, cert.issuer)), derTlv(0x02, cert.serial));
  const signedProperties =
    `<xades:SignedProperties Id="${ids.sp}"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${time}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${certDigest}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerialV2>${b64(issuerSerial)}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>` +
    `</xades:SignedSignatureProperties><xades:SignedDataObjectProperties><xades:DataObjectFormat ObjectReference="#${ids.ref}">` +
    `<xades:MimeType>${escapeXml(opts.mimeType ?? 'text/xml')}</xades:MimeType></xades:DataObjectFormat></xades:SignedDataObjectProperties></xades:SignedProperties>`;
  const spDigest = createHash(md).update(canonicalFragment(signedProperties), 'utf8').digest('base64');

  // 4. SignedInfo and the signature value.
  const exc = TRANSFORM.exclusive;
  const signedInfo =
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${exc}"/><ds:SignatureMethod Algorithm="${signatureMethodUri(scheme, digest)}"/>` +
    `<ds:Reference Id="${ids.ref}" URI=""><ds:Transforms><ds:Transform Algorithm="${TRANSFORM.enveloped}"/>${traceTransform}<ds:Transform Algorithm="${exc}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${docDigest}</ds:DigestValue></ds:Reference>` +
    `<ds:Reference Type="${SIGNED_PROPERTIES_TYPE}" URI="#${ids.sp}"><ds:Transforms><ds:Transform Algorithm="${exc}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${digestUri}"/><ds:DigestValue>${spDigest}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  let signature = await signer.sign(Buffer.from(canonicalFragment(signedInfo), 'utf8'), { digest, scheme });
  if (scheme === 'ECDSA') signature = ecdsaDerToRaw(signature, signer.keyBits);
  const signatureValue = `<ds:SignatureValue Id="${ids.value}">${b64(signature)}</ds:SignatureValue>`;

  // 5. B-T: a timestamp over the canonicalized ds:SignatureValue element.
  let unsigned = '';
  let token: Uint8Array | undefined;
  if (level === 'B-T') {
    const data = Buffer.from(canonicalFragment(signatureValue), 'utf8');
    token = opts.timestamper
      ? await opts.timestamper(data, digest)
      : (await requestTimestamp(data, digest, { ...opts.network, url: opts.tsaUrl! })).tokenDer;
    unsigned =
      `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="${ids.ts}"><ds:CanonicalizationMethod Algorithm="${exc}"/>` +
      `<xades:EncapsulatedTimeStamp>${b64(token)}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`;
  }

  const certs = [signer.certificate, ...signer.chain].map((c) => `<ds:X509Certificate>${b64(c)}</ds:X509Certificate>`).join('');
  const xml =
    `<ds:Signature xmlns:ds="${NS.dsig}" Id="${ids.sig}">${signedInfo}${signatureValue}<ds:KeyInfo><ds:X509Data>${certs}</ds:X509Data></ds:KeyInfo>` +
    `<ds:Object><xades:QualifyingProperties xmlns:xades="${NS.xades}" Target="#${ids.sig}">${signedProperties}${unsigned}</xades:QualifyingProperties></ds:Object></ds:Signature>`;

  return { xml: splice(text, parentIndex, xml), signatureId: sigId, signingTime, level, ...(token ? { timestampToken: token } : {}) };
}

/** Exclusive canonical form of a fragment written with ds:/xades: prefixes (context-free by construction). */
function canonicalFragment(fragment: string): string {
  const wrapper = parseXmlSafely(`<w xmlns:ds="${NS.dsig}" xmlns:xades="${NS.xades}">${fragment}</w>`);
  return canonicalize(wrapper.documentElement!.firstChild as Element, { method: C14N.exclusive, comments: false });
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Position of `el` among the document's elements in document order (0 = the document element). */
export function elementIndex(doc: Document, el: Element): number {
  const i = elementOrdinal(doc, el);
  if (i < 0) throw invalid('Phần tử cha không thuộc tài liệu cần ký', 'The parent element does not belong to the document being signed');
  return i;
}

/**
 * Inserts `fragment` as the last child of the `index`-th element (document order) of `text`, which is already
 * known to be well-formed (it was parsed): just before that element's end tag, or its empty-element tag turned
 * into a start/end pair.
 */
export function splice(text: string, index: number, fragment: string): string {
  const span = elementSpan(text, index);
  if (!span) throw new KysoError('XML_MALFORMED', 'Không xác định được vị trí đặt chữ ký trong tài liệu', 'Cannot locate where to insert the signature');
  if (span.empty) return text.slice(0, span.start) + expandEmptyElement(text, span, fragment) + text.slice(span.end);
  return text.slice(0, span.closeStart) + fragment + text.slice(span.closeStart);
}
