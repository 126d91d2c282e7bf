// XML signature validation (XMLDSig, XAdES-BASELINE-B/T/LT): the XML counterpart of pdf-validator.ts, with the
// same report schema, check ids, policy and Thông tư 15 summary. Fails closed and resists the XML attacks of
// signature-security.md §2:
//
// * one parse (safe-parser: no DTD, bounded size and depth) and the same DOM is verified and handed to the
//   application (verifyXmlDocument returns the covered elements themselves);
// * strict structure: exactly one SignedInfo and SignatureValue, whitelisted algorithms and transforms only
//   (enveloped, C14N 1.0/1.1, exclusive C14N, with or without comments), no XPath/XSLT/RetrievalMethod, no
//   remote or XPointer URIs, capped reference/transform/certificate counts. One XPath Filter 2.0 transform is
//   known, and only as the exact expression kyso writes: "subtract the edXML routing trace" (TraceHeader
//   elements, src/xml/xmldsig.ts), after enveloped-signature on URI="", evaluated by a fixed DOM walk; any other
//   filter, expression, namespace binding or position is refused like an unknown transform. A ds:Signature
//   inside such a trace region fails;
// * a Reference is URI="" (the whole document minus this signature) or "#id" resolving to exactly one element;
//   an Id value carried twice anywhere in the document fails every signature (FORMAT_FAILURE);
// * the key comes from the signing certificate that XAdES SigningCertificateV2 (or V1) designates; KeyInfo is
//   only a bag of candidate certificates. Without XAdES (plain XMLDSig) the candidate that verifies is taken,
//   SIGNING_CERTIFICATE_REFERENCE fails (a warning under the default policy) and the certificate must still
//   chain to the trust store with revocation checked — a self-signed KeyInfo certificate never passes;
// * certificate path, validity, key usage, revocation and RFC 3161 timestamps run through the same building
//   blocks as PDF signatures (cms-checks.ts, timestamp-validator.ts): the XML signature is expressed as a
//   CMS-shaped view (signed "attributes" = canonical SignedInfo) so those blocks apply unchanged;
// * coverage: ENTIRE_FILE only when a Reference URI="" with the enveloped transform covers the document
//   element, otherwise PARTIAL and the COVERAGE check fails: a signature over the body alone never passes. With
//   the trace filter it is still ENTIRE_FILE (the message names the exception); the edXML reader refuses
//   anything but OrganId/Timestamp inside TraceHeader, so nothing else can hide in the unsigned part.
import { createHash } from 'node:crypto';
import { XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { childrenOf, contentBytes, readTlv, tlvBytes, type EssCertId, type ParsedCms, type SignatureAlgorithmInfo } from '../../pki/cms/cms-parser.ts';
import { digestLength } from '../../pki/signer.ts';
import { isoVn } from '../../util/vn-time.ts';
import { C14N, canonicalize, canonicalizeTo, isC14nMethod, type C14nMethod } from '../../xml/c14n.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { archiveTimestampInput } from '../../xml/xades-archive.ts';
import {
  digestFromUri,
  ecdsaRawToDer,
  edxmlTraceHeaderPathOf,
  edxmlTraceRegions,
  edxmlTraceSubtrees,
  EDXML_TRACE_NAMESPACES,
  EDXML_TRACE_PREFIX,
  indexIds,
  NS,
  SIGNED_PROPERTIES_TYPE,
  signatureMethodFromUri,
  TRANSFORM,
  type EdxmlTraceLayout,
  type IdIndex,
  type XmlDigest,
  type XmlSignatureMethod,
} from '../../xml/xmldsig.ts';
import { applyPolicy, overallIndication } from '../apply-policy.ts';
import { isoCached, type CertInfo } from '../cert-info.ts';
import { CertificatePool, type ChainResult } from '../chain-builder.ts';
import {
  algorithmsCheck,
  allEmbedded,
  buildSignerChain,
  chainCheck,
  failed,
  info,
  keyUsageCheck,
  passed,
  certificateStatusChecks,
  CheckSet,
  signatureValueCheck,
  signerReport,
  signingCertificateReferenceCheck,
  signingTimeCheck,
  timesFor,
  type CheckEnv,
} from '../cms-checks.ts';
import type { ValidationContext } from '../cms-validation.ts';
import { CMS_CHECK_IDS } from '../cms-validator.ts';
import { validationContext, type VerifyOptions } from '../verify-options.ts';
import { defaultPolicy } from '../policy.ts';
import type { Check, CheckId, Coverage, Message, SignatureLevel, SignatureReport, ValidationReport } from '../report.ts';
import type { CertRevocation } from '../revocation-validator.ts';
import { timestampCheck, validateTimestampToken, type TimestampValidation } from '../timestamp-validator.ts';
import { documentSummary, tt15Summary } from '../tt15-summary.ts';

export type { VerifyOptions } from '../verify-options.ts';

/** One ds:Signature of the document and what it covers. */
export interface XmlSignatureResult {
  /** The ds:Signature element, in the verified DOM. */
  element: Element;
  report: SignatureReport;
  /**
   * The elements the References resolved to, in Reference order, in the verified DOM (the document element for
   * URI=""; SignedProperties included). Empty when the structure could not be read.
   */
  covered: Element[];
  /** A Reference URI="" (or "#id" of the document element) with the enveloped transform covers the whole document. */
  coversDocument: boolean;
  /**
   * The subtrees the edXML trace filter left out of the whole-document Reference (TraceHeader elements, or a
   * TraceHeaderList holding only those): unsigned routing data. Empty without the filter.
   */
  unsignedTrace: Element[];
}

export interface XmlVerification {
  report: ValidationReport;
  /** The DOM that was verified: consume this one, never a re-parse of the bytes. */
  document: Document;
  signatures: XmlSignatureResult[];
  /**
   * The document element, when a TOTAL_PASSED signature covers the whole document: exactly the tree the
   * signature covers (minus the signature element itself and, for edXML signed with the trace filter, the
   * TraceHeader routing entries listed in `unsignedTrace`), to be read by absolute, position-anchored paths.
   */
  coveredRoot?: Element;
}

/** The checks an XML signature reports, in report order. */
export const XML_CHECK_IDS: readonly CheckId[] = ['CMS_STRUCTURE', 'COVERAGE', ...CMS_CHECK_IDS.filter((id) => id !== 'CMS_STRUCTURE')];

const LIMITS = { signatures: 16, references: 16, transforms: 4, certificates: 16, timestamps: 4, objects: 8 } as const;

/** Verifies every signature of an XML document (bytes, UTF-8). Throws KysoError XML_* for unreadable XML. */
export async function verifyXml(bytes: Uint8Array, opts: VerifyOptions = {}): Promise<ValidationReport> {
  const doc = parseXmlSafely(bytes);
  return (await verifyXmlDocument(doc, { ...opts, bytes })).report;
}

/**
 * Verifies a parsed document (parse untrusted input with parseXmlSafely) and returns, besides the report, the
 * covered elements of that very DOM. `bytes` (the input as received) gives the report's size and SHA-256;
 * without it they describe xmldom's serialization of `doc`.
 */
export async function verifyXmlDocument(doc: Document, opts: VerifyOptions & { bytes?: Uint8Array } = {}): Promise<XmlVerification> {
  const policy = opts.policy ?? defaultPolicy();
  const at = opts.at ?? new Date();
  const ctx = validationContext(opts, policy, at);
  const bytes = opts.bytes ?? new Uint8Array(Buffer.from(new XMLSerializer().serializeToString(doc), 'utf8'));
  const root = doc.documentElement;
  const elements = root ? doc.getElementsByTagNameNS(NS.dsig, 'Signature') : undefined;
  const sigElements: Element[] = [];
  for (let i = 0; elements && i < elements.length; i++) sigElements.push(elements.item(i)!);
  const ids = root ? indexIds(root) : { byId: new Map(), duplicates: [] };
  const traceRegions = sigElements.length ? edxmlTraceRegions(doc) : [];

  const results: XmlSignatureResult[] = [];
  for (const [i, el] of sigElements.entries()) {
    const raw =
      i >= LIMITS.signatures
        ? { checks: [failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Tài liệu có quá nhiều chữ ký (hơn ${LIMITS.signatures})`, `Too many signatures (more than ${LIMITS.signatures})`)], covered: [], coverage: 'UNCLEAR' as Coverage, coversDocument: false, paths: [], format: 'XMLDSig' }
        : await validateSignature(doc, el, ids, traceRegions, ctx);
    const outcome = applyPolicy(raw.checks, policy);
    const base = {
      id: el.getAttribute('Id') || `Signature${i + 1}`,
      kind: 'signature' as const,
      format: raw.format,
      ...(raw.level ? { level: raw.level } : {}),
      indication: outcome.indication,
      subIndication: outcome.subIndication,
      signer: raw.signer,
      signingTime: raw.claimed ? isoVn(raw.claimed) : undefined,
      timestamp: raw.timestamp,
      coverage: raw.coverage,
      covered: raw.paths,
      revision: 1,
      modifications: { level: 'NONE' as const, changes: [] },
      checks: outcome.checks,
    };
    results.push({ element: el, report: { ...base, summary: tt15Summary(base) }, covered: raw.covered, coversDocument: raw.coversDocument, unsignedTrace: raw.unsignedTrace ?? [] });
  }

  const reports = results.map((r) => r.report);
  const overall = overallIndication(reports);
  const report: ValidationReport = {
    document: { format: 'XML', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, revisions: 1, ...(opts.name ? { name: opts.name } : {}) },
    indication: overall.indication,
    subIndication: overall.subIndication,
    validationTime: isoVn(at),
    policy: policy.name,
    signatures: reports,
    summary: documentSummary({ vi: 'Không tìm thấy chữ ký số trong tài liệu XML', en: 'No digital signature found in the XML document' }, reports, overall.indication),
  };
  const covering = results.find((r) => r.coversDocument && r.report.indication === 'TOTAL_PASSED');
  return { report, document: doc, signatures: results, ...(covering && root ? { coveredRoot: root } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Structure

class StructureError extends Error {
  constructor(readonly msg: Message) {
    super(msg.en);
  }
}
const bad = (vi: string, en: string): never => {
  throw new StructureError({ vi, en });
};

interface Reference {
  el: Element;
  uri: string;
  type?: string;
  enveloped: boolean;
  /** The edXML trace filter (XPath Filter 2.0 subtract), when present: where the trace is. */
  traceFilter?: EdxmlTraceLayout;
  method: C14nMethod;
  prefixes?: string[];
  digestUri: string;
  digest?: XmlDigest;
  digestValue: Uint8Array;
}

interface CertRef {
  digestUri: string;
  digest?: XmlDigest;
  hash: Uint8Array;
  issuerSerial?: { issuers: Uint8Array[]; serial: Uint8Array };
}

interface Xades {
  signedProperties: Element;
  signingTime?: Date;
  signingTimeText?: string;
  certRefs: CertRef[];
  certRefVersion?: 1 | 2;
  dataObjectFormats: number;
  timestamps: { method: C14nMethod; token: Uint8Array }[];
  /** xades141:ArchiveTimeStamp elements (B-LTA), in document order. */
  archiveTimestamps: { method: C14nMethod; token: Uint8Array; el: Element }[];
  certificateValues: Uint8Array[];
  ocspValues: Uint8Array[];
  crlValues: Uint8Array[];
}

interface ParsedSignature {
  id?: string;
  signedInfo: Element;
  c14n: C14nMethod;
  c14nPrefixes?: string[];
  methodUri: string;
  method: XmlSignatureMethod;
  references: Reference[];
  signatureValueEl: Element;
  signatureValue: Uint8Array;
  keyInfoCerts: Uint8Array[];
  xades?: Xades;
}

/** Element children; non-whitespace text where only elements may appear is a structure error. */
function kids(el: Element, where: string): Element[] {
  const out: Element[] = [];
  for (let c: Node | null = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1) out.push(c as Element);
    else if ((c.nodeType === 3 || c.nodeType === 4) && /\S/.test((c as unknown as { data: string }).data)) bad(`văn bản không mong đợi trong ${where}`, `unexpected text in ${where}`);
  }
  return out;
}

const isDs = (el: Element | undefined, local: string): boolean => !!el && el.namespaceURI === NS.dsig && el.localName === local;
const isXades = (el: Element | undefined, local: string): boolean => !!el && el.namespaceURI === NS.xades && el.localName === local;

function text(el: Element): string {
  let s = '';
  for (let c: Node | null = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3 || c.nodeType === 4) s += (c as unknown as { data: string }).data;
    else if (c.nodeType === 1) bad(`phần tử không mong đợi trong ${el.tagName}`, `unexpected element inside ${el.tagName}`);
  }
  return s;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function base64(el: Element, what: string): Uint8Array {
  const t = text(el).replace(/[\s]+/g, '');
  if (!BASE64.test(t)) bad(`${what} không phải base64`, `${what} is not base64`);
  return new Uint8Array(Buffer.from(t, 'base64'));
}

function c14nOf(el: Element, where: string): { method: C14nMethod; prefixes?: string[] } {
  const alg = el.getAttribute('Algorithm') ?? '';
  if (!isC14nMethod(alg)) bad(`${where}: phương pháp chuẩn hóa không được phép (${alg})`, `${where}: canonicalization method not allowed (${alg})`);
  const method = alg as C14nMethod;
  const children = kids(el, where);
  if (children.length === 0) return { method };
  const inc = children[0]!;
  if (children.length > 1 || (method !== C14N.exclusive && method !== C14N.exclusiveWithComments) || inc.namespaceURI !== C14N.exclusive || inc.localName !== 'InclusiveNamespaces') {
    bad(`${where}: tham số chuẩn hóa không được phép`, `${where}: canonicalization parameters not allowed`);
  }
  return { method, prefixes: (inc.getAttribute('PrefixList') ?? '').split(/\s+/).filter(Boolean) };
}

function parseReference(el: Element, n: number): Reference {
  const where = `Reference ${n}`;
  if (!el.hasAttribute('URI')) bad(`${where} không có URI`, `${where} has no URI`);
  const uri = el.getAttribute('URI')!;
  if (uri !== '' && !/^#[A-Za-z_][A-Za-z0-9._-]*$/.test(uri)) {
    bad(`${where}: URI "${uri}" không được phép (chỉ "" hoặc "#id" trong tài liệu)`, `${where}: URI "${uri}" not allowed (only "" or a same-document "#id")`);
  }
  const children = kids(el, where);
  let i = 0;
  let enveloped = false;
  let traceFilter: EdxmlTraceLayout | undefined;
  let method: C14nMethod = C14N.c14n10; // XMLDSig: a node-set becomes octets by C14N 1.0 when nothing else says
  let prefixes: string[] | undefined;
  if (isDs(children[i], 'Transforms')) {
    const ts = kids(children[i++]!, `${where}/Transforms`);
    if (ts.length === 0 || ts.length > LIMITS.transforms) bad(`${where}: số phép biến đổi không hợp lệ`, `${where}: invalid number of transforms`);
    let seenC14n = false;
    for (const t of ts) {
      if (!isDs(t, 'Transform')) bad(`${where}: phần tử lạ trong Transforms`, `${where}: unexpected element in Transforms`);
      const alg = t.getAttribute('Algorithm') ?? '';
      if (alg === TRANSFORM.enveloped) {
        if (enveloped || seenC14n || kids(t, where).length) bad(`${where}: phép biến đổi enveloped-signature đặt sai`, `${where}: misplaced enveloped-signature transform`);
        enveloped = true;
      } else if (alg === TRANSFORM.xpathFilter2) {
        if (traceFilter || !enveloped || seenC14n || uri !== '') {
          bad(`${where}: phép lọc XPath Filter 2.0 chỉ được chấp nhận một lần, sau enveloped-signature, trên URI=""`, `${where}: an XPath Filter 2.0 transform is accepted only once, after enveloped-signature, on URI=""`);
        }
        traceFilter = edxmlTraceFilter(t, where);
      } else if (isC14nMethod(alg)) {
        if (seenC14n) bad(`${where}: nhiều phép chuẩn hóa`, `${where}: more than one canonicalization transform`);
        seenC14n = true;
        const c = c14nOf(t, where);
        method = c.method;
        prefixes = c.prefixes;
      } else {
        bad(`${where}: phép biến đổi không được phép (${alg || 'không rõ'}); chỉ chấp nhận enveloped-signature và chuẩn hóa C14N`, `${where}: transform not allowed (${alg || 'none'}); only enveloped-signature and C14N are accepted`);
      }
    }
  }
  if (!isDs(children[i], 'DigestMethod')) bad(`${where} thiếu DigestMethod`, `${where} lacks DigestMethod`);
  const digestUri = children[i++]!.getAttribute('Algorithm') ?? '';
  if (!isDs(children[i], 'DigestValue')) bad(`${where} thiếu DigestValue`, `${where} lacks DigestValue`);
  const digestValue = base64(children[i++]!, `${where}/DigestValue`);
  if (i !== children.length) bad(`${where} có phần tử thừa`, `${where} has unexpected elements`);
  const digest = digestFromUri(digestUri);
  const type = el.getAttribute('Type');
  return { el, uri, ...(type ? { type } : {}), enveloped, ...(traceFilter ? { traceFilter } : {}), method, ...(prefixes ? { prefixes } : {}), digestUri, ...(digest ? { digest } : {}), digestValue };
}

/** In-scope namespace URI of `prefix` at `el` (undefined when unbound). */
function namespaceOf(el: Element, prefix: string): string | undefined {
  for (let e: Node | null = el; e && e.nodeType === 1; e = e.parentNode) {
    const a = (e as Element).getAttributeNodeNS(NS.xmlns, prefix);
    if (a) return a.value;
  }
  return undefined;
}

/**
 * The one XPath Filter 2.0 transform accepted: subtract the edXML routing trace, spelled exactly as kyso writes it
 * (src/xml/xmldsig.ts). Anything else — intersect/union, another expression, several XPath elements, a prefix
 * bound to anything but the document element's own edXML namespace — is refused as an unsupported transform.
 */
function edxmlTraceFilter(t: Element, where: string): EdxmlTraceLayout {
  const refuse = (why: Message): never =>
    bad(`${where}: phép lọc XPath Filter 2.0 không được hỗ trợ (${why.vi}); chỉ chấp nhận phép loại trừ vết chuyển edXML (TraceHeader)`, `${where}: unsupported XPath Filter 2.0 transform (${why.en}); only the edXML routing-trace (TraceHeader) subtraction is accepted`);
  const xp = kids(t, where);
  if (xp.length !== 1 || xp[0]!.namespaceURI !== TRANSFORM.xpathFilter2 || xp[0]!.localName !== 'XPath') refuse({ vi: 'cần đúng một phần tử XPath', en: 'exactly one XPath element is required' });
  const x = xp[0]!;
  if (x.getAttribute('Filter') !== 'subtract') refuse({ vi: `Filter="${x.getAttribute('Filter') ?? ''}"`, en: `Filter="${x.getAttribute('Filter') ?? ''}"` });
  for (let i = 0; i < x.attributes.length; i++) {
    const a = x.attributes.item(i)!;
    if (a.namespaceURI !== NS.xmlns && a.name !== 'Filter') refuse({ vi: `thuộc tính ${a.name}`, en: `attribute ${a.name}` });
  }
  const expr = text(x);
  const headerPath = edxmlTraceHeaderPathOf(expr);
  if (!headerPath) refuse({ vi: `biểu thức ${JSON.stringify(expr.slice(0, 120))}`, en: `expression ${JSON.stringify(expr.slice(0, 120))}` });
  const namespace = namespaceOf(x, EDXML_TRACE_PREFIX);
  const rootNs = x.ownerDocument?.documentElement?.namespaceURI ?? '';
  if (!namespace || namespace !== rootNs || !EDXML_TRACE_NAMESPACES.includes(namespace)) {
    refuse({ vi: `tiền tố ${EDXML_TRACE_PREFIX} gắn với ${namespace ?? 'không gì'}, không phải không gian tên edXML của tài liệu`, en: `prefix ${EDXML_TRACE_PREFIX} bound to ${namespace ?? 'nothing'}, not the document's edXML namespace` });
  }
  return { namespace: namespace!, headerPath: headerPath! };
}

function parseSignature(sig: Element): ParsedSignature {
  const children = kids(sig, 'Signature');
  let i = 0;
  if (!isDs(children[i], 'SignedInfo')) bad('Signature phải bắt đầu bằng đúng một SignedInfo', 'Signature must start with exactly one SignedInfo');
  const signedInfo = children[i++]!;
  if (!isDs(children[i], 'SignatureValue')) bad('thiếu SignatureValue ngay sau SignedInfo', 'SignatureValue must follow SignedInfo');
  const signatureValueEl = children[i++]!;
  const signatureValue = base64(signatureValueEl, 'SignatureValue');
  let keyInfo: Element | undefined;
  if (isDs(children[i], 'KeyInfo')) keyInfo = children[i++]!;
  const objects: Element[] = [];
  for (; i < children.length; i++) {
    if (!isDs(children[i], 'Object')) bad(`phần tử không được phép trong Signature: ${children[i]!.tagName}`, `element not allowed in Signature: ${children[i]!.tagName}`);
    objects.push(children[i]!);
  }
  if (objects.length > LIMITS.objects) bad('quá nhiều ds:Object', 'too many ds:Object elements');

  const si = kids(signedInfo, 'SignedInfo');
  if (!isDs(si[0], 'CanonicalizationMethod')) bad('SignedInfo thiếu CanonicalizationMethod', 'SignedInfo lacks CanonicalizationMethod');
  const c14n = c14nOf(si[0]!, 'CanonicalizationMethod');
  if (!isDs(si[1], 'SignatureMethod')) bad('SignedInfo thiếu SignatureMethod', 'SignedInfo lacks SignatureMethod');
  const methodUri = si[1]!.getAttribute('Algorithm') ?? '';
  const method = signatureMethodFromUri(methodUri);
  if (!method) bad(`thuật toán chữ ký không được hỗ trợ: ${methodUri}`, `unsupported signature method: ${methodUri}`);
  if (kids(si[1]!, 'SignatureMethod').length) bad('SignatureMethod có tham số không được phép', 'SignatureMethod parameters are not allowed');
  const refEls = si.slice(2);
  if (refEls.length === 0) bad('SignedInfo không có Reference', 'SignedInfo has no Reference');
  if (refEls.length > LIMITS.references) bad(`quá nhiều Reference (hơn ${LIMITS.references})`, `too many References (more than ${LIMITS.references})`);
  const references = refEls.map((r, n) => {
    if (!isDs(r, 'Reference')) bad(`phần tử lạ trong SignedInfo: ${r.tagName}`, `unexpected element in SignedInfo: ${r.tagName}`);
    return parseReference(r, n + 1);
  });

  const keyInfoCerts: Uint8Array[] = [];
  if (keyInfo) {
    for (const k of kids(keyInfo, 'KeyInfo')) {
      if (isDs(k, 'RetrievalMethod')) bad('KeyInfo/RetrievalMethod không được phép', 'KeyInfo/RetrievalMethod is not allowed');
      if (!isDs(k, 'X509Data')) continue; // KeyValue, KeyName…: never a source of trust, ignored
      for (const x of kids(k, 'X509Data')) {
        if (!isDs(x, 'X509Certificate')) continue;
        if (keyInfoCerts.length >= LIMITS.certificates) bad('KeyInfo có quá nhiều chứng thư', 'too many certificates in KeyInfo');
        keyInfoCerts.push(base64(x, 'X509Certificate'));
      }
    }
  }
  const id = sig.getAttribute('Id') || undefined;
  const xades = parseXades(objects, id);
  return {
    ...(id ? { id } : {}),
    signedInfo,
    c14n: c14n.method,
    ...(c14n.prefixes ? { c14nPrefixes: c14n.prefixes } : {}),
    methodUri,
    method: method!,
    references,
    signatureValueEl,
    signatureValue,
    keyInfoCerts,
    ...(xades ? { xades } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// XAdES qualifying properties

function parseXades(objects: Element[], sigId: string | undefined): Xades | undefined {
  const qps: Element[] = [];
  for (const o of objects) {
    for (let c: Node | null = o.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1 && (c as Element).localName === 'QualifyingProperties') qps.push(c as Element);
    }
  }
  if (qps.length === 0) return undefined;
  if (qps.length > 1) bad('có nhiều hơn một QualifyingProperties', 'more than one QualifyingProperties');
  const qp = qps[0]!;
  if (qp.namespaceURI !== NS.xades) bad(`QualifyingProperties thuộc không gian tên không hỗ trợ (${qp.namespaceURI})`, `QualifyingProperties in an unsupported namespace (${qp.namespaceURI})`);
  if (!sigId || qp.getAttribute('Target') !== `#${sigId}`) bad('QualifyingProperties không trỏ đến chữ ký này (Target)', 'QualifyingProperties does not target this signature');
  const parts = kids(qp, 'QualifyingProperties');
  const sps = parts.filter((p) => isXades(p, 'SignedProperties'));
  if (sps.length !== 1) bad('phải có đúng một SignedProperties', 'exactly one SignedProperties is required');
  const unsignedList = parts.filter((p) => isXades(p, 'UnsignedProperties'));
  if (unsignedList.length > 1 || parts.length !== sps.length + unsignedList.length) bad('QualifyingProperties có phần tử không hợp lệ', 'QualifyingProperties has unexpected elements');
  const sp = sps[0]!;
  const out: Xades = { signedProperties: sp, certRefs: [], dataObjectFormats: 0, timestamps: [], archiveTimestamps: [], certificateValues: [], ocspValues: [], crlValues: [] };

  for (const part of kids(sp, 'SignedProperties')) {
    if (isXades(part, 'SignedSignatureProperties')) {
      for (const p of kids(part, 'SignedSignatureProperties')) {
        if (isXades(p, 'SigningTime')) {
          if (out.signingTimeText !== undefined) bad('có nhiều SigningTime', 'more than one SigningTime');
          out.signingTimeText = text(p).trim();
          const d = parseDateTime(out.signingTimeText);
          if (d) out.signingTime = d;
        } else if (isXades(p, 'SigningCertificateV2') || isXades(p, 'SigningCertificate')) {
          if (out.certRefVersion) bad('có nhiều SigningCertificate(V2)', 'more than one SigningCertificate(V2)');
          out.certRefVersion = p.localName === 'SigningCertificateV2' ? 2 : 1;
          out.certRefs = kids(p, p.localName!).map((c) => parseCertRef(c, out.certRefVersion!));
          if (out.certRefs.length === 0 || out.certRefs.length > LIMITS.certificates) bad('SigningCertificate không hợp lệ', 'invalid SigningCertificate');
        }
      }
    } else if (isXades(part, 'SignedDataObjectProperties')) {
      for (const p of kids(part, 'SignedDataObjectProperties')) if (isXades(p, 'DataObjectFormat')) out.dataObjectFormats++;
    } else bad(`phần tử lạ trong SignedProperties: ${part.tagName}`, `unexpected element in SignedProperties: ${part.tagName}`);
  }

  const unsigned = unsignedList[0];
  for (const part of unsigned ? kids(unsigned, 'UnsignedProperties') : []) {
    if (!isXades(part, 'UnsignedSignatureProperties')) continue;
    for (const p of kids(part, 'UnsignedSignatureProperties')) {
      if (isXades(p, 'SignatureTimeStamp')) {
        if (out.timestamps.length >= LIMITS.timestamps) bad('quá nhiều SignatureTimeStamp', 'too many SignatureTimeStamp elements');
        const ts = kids(p, 'SignatureTimeStamp');
        let j = 0;
        // XAdES: without a CanonicalizationMethod the standard C14N 1.0 applies.
        let method: C14nMethod = C14N.c14n10;
        if (isDs(ts[j], 'CanonicalizationMethod')) {
          const c = c14nOf(ts[j++]!, 'SignatureTimeStamp/CanonicalizationMethod');
          if (c.prefixes) bad('SignatureTimeStamp: PrefixList không được hỗ trợ', 'SignatureTimeStamp: PrefixList is not supported');
          method = c.method;
        }
        const enc = ts[j];
        if (!isXades(enc, 'EncapsulatedTimeStamp') || j + 1 !== ts.length) bad('SignatureTimeStamp phải chứa một EncapsulatedTimeStamp', 'SignatureTimeStamp must hold one EncapsulatedTimeStamp');
        if (enc!.getAttribute('Encoding') && enc!.getAttribute('Encoding') !== 'http://uri.etsi.org/01903/v1.2.2#DER') bad('EncapsulatedTimeStamp có Encoding không hỗ trợ', 'unsupported EncapsulatedTimeStamp Encoding');
        out.timestamps.push({ method, token: base64(enc!, 'EncapsulatedTimeStamp') });
      } else if (isXades(p, 'CertificateValues') || isXades(p, 'RevocationValues')) {
        validationValues(p, out);
      } else if (isXades141(p, 'TimeStampValidationData')) {
        // B-LTA: the data of an archive timestamp's TSA, after it (EN 319 132-1 §5.5.1).
        for (const v of kids(p, 'TimeStampValidationData')) if (isXades(v, 'CertificateValues') || isXades(v, 'RevocationValues')) validationValues(v, out);
      } else if (isXades141(p, 'ArchiveTimeStamp')) {
        if (out.archiveTimestamps.length >= LIMITS.timestamps) bad('quá nhiều ArchiveTimeStamp', 'too many ArchiveTimeStamp elements');
        const ts = kids(p, 'ArchiveTimeStamp');
        let j = 0;
        let method: C14nMethod = C14N.c14n10;
        if (isDs(ts[j], 'CanonicalizationMethod')) {
          const c = c14nOf(ts[j++]!, 'ArchiveTimeStamp/CanonicalizationMethod');
          if (c.prefixes) bad('ArchiveTimeStamp: PrefixList không được hỗ trợ', 'ArchiveTimeStamp: PrefixList is not supported');
          method = c.method;
        }
        const enc = ts[j];
        if (!isXades(enc, 'EncapsulatedTimeStamp') || j + 1 !== ts.length) bad('ArchiveTimeStamp phải chứa một EncapsulatedTimeStamp', 'ArchiveTimeStamp must hold one EncapsulatedTimeStamp');
        out.archiveTimestamps.push({ method, token: base64(enc!, 'EncapsulatedTimeStamp'), el: p });
      }
    }
  }
  return out;
}

const isXades141 = (el: Element | undefined, local: string): boolean => !!el && el.namespaceURI === NS.xades141 && el.localName === local;

/** xades:CertificateValues / xades:RevocationValues into the signature's validation data (bounded). */
function validationValues(p: Element, out: Xades): void {
  if (isXades(p, 'CertificateValues')) {
    for (const c of kids(p, 'CertificateValues')) if (isXades(c, 'EncapsulatedX509Certificate') && out.certificateValues.length < 64) out.certificateValues.push(base64(c, 'EncapsulatedX509Certificate'));
    return;
  }
  for (const group of kids(p, 'RevocationValues')) {
    for (const v of kids(group, group.localName!)) {
      if (isXades(v, 'EncapsulatedOCSPValue') && out.ocspValues.length < 64) out.ocspValues.push(base64(v, 'EncapsulatedOCSPValue'));
      else if (isXades(v, 'EncapsulatedCRLValue') && out.crlValues.length < 64) out.crlValues.push(base64(v, 'EncapsulatedCRLValue'));
    }
  }
}

function parseCertRef(cert: Element, version: 1 | 2): CertRef {
  if (!isXades(cert, 'Cert')) bad('SigningCertificate chứa phần tử lạ', 'unexpected element in SigningCertificate');
  const parts = kids(cert, 'Cert');
  const cd = parts[0];
  if (!isXades(cd, 'CertDigest')) bad('Cert thiếu CertDigest', 'Cert lacks CertDigest');
  const [dm, dv] = kids(cd!, 'CertDigest');
  if (!isDs(dm, 'DigestMethod') || !isDs(dv, 'DigestValue')) bad('CertDigest không hợp lệ', 'invalid CertDigest');
  const digestUri = dm!.getAttribute('Algorithm') ?? '';
  const digest = digestFromUri(digestUri);
  const ref: CertRef = { digestUri, ...(digest ? { digest } : {}), hash: base64(dv!, 'CertDigest/DigestValue') };
  const is = parts[1];
  if (version === 2 && isXades(is, 'IssuerSerialV2')) {
    ref.issuerSerial = issuerSerialV2(base64(is, 'IssuerSerialV2'));
  } else if (version === 1 && isXades(is, 'IssuerSerial')) {
    const [, sn] = kids(is, 'IssuerSerial');
    if (!isDs(sn, 'X509SerialNumber')) bad('IssuerSerial không hợp lệ', 'invalid IssuerSerial');
    const t = text(sn!).trim();
    if (!/^-?\d{1,100}$/.test(t)) bad('X509SerialNumber không hợp lệ', 'invalid X509SerialNumber');
    // Issuer names as strings are not compared: the certificate digest binds the certificate.
    ref.issuerSerial = { issuers: [], serial: integerContents(BigInt(t)) };
  }
  return ref;
}

/** IssuerSerial DER: SEQUENCE { GeneralNames (directoryName [4] only kept), INTEGER }. */
function issuerSerialV2(der: Uint8Array): { issuers: Uint8Array[]; serial: Uint8Array } {
  try {
    const top = readTlv(der, 0);
    if (top.tagNumber !== 16 || top.end !== der.length) throw new Error('not a SEQUENCE');
    const [names, serial] = childrenOf(der, top);
    if (!names || !serial || names.tagNumber !== 16 || serial.tagNumber !== 2) throw new Error('fields');
    const issuers = childrenOf(der, names)
      .filter((gn) => gn.cls === 2 && gn.tagNumber === 4 && gn.constructed)
      .map((gn) => tlvBytes(der, childrenOf(der, gn)[0]!));
    return { issuers, serial: contentBytes(der, serial) };
  } catch {
    return bad('IssuerSerialV2 không phải DER IssuerSerial', 'IssuerSerialV2 is not a DER IssuerSerial');
  }
}

/** Minimal two's-complement INTEGER contents of a (positive) serial. */
function integerContents(v: bigint): Uint8Array {
  let hex = (v < 0n ? -v : v).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const DATE_TIME = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** xsd:dateTime with a time zone (Z or ±hh:mm); without one the instant is ambiguous and not used. */
function parseDateTime(s: string): Date | undefined {
  if (!DATE_TIME.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of one signature

interface RawResult {
  checks: Check[];
  covered: Element[];
  paths: string[];
  coverage: Coverage;
  coversDocument: boolean;
  unsignedTrace?: Element[];
  format: string;
  level?: SignatureLevel;
  signer?: SignatureReport['signer'];
  claimed?: Date;
  timestamp?: SignatureReport['timestamp'];
}

/** Absolute, position-anchored path of an element, e.g. /edXML[1]/edXML:edXMLEnvelope[1]/edXML:edXMLHeader[1]. */
export function elementPath(el: Element): string {
  const parts: string[] = [];
  for (let e: Element | null = el; e && e.nodeType === 1; e = e.parentNode && e.parentNode.nodeType === 1 ? (e.parentNode as Element) : null) {
    let n = 1;
    for (let s = e.previousSibling; s; s = s.previousSibling) if (s.nodeType === 1 && (s as Element).tagName === e.tagName) n++;
    parts.unshift(`${e.tagName}[${n}]`);
  }
  return `/${parts.join('/')}`;
}

const contains = (outer: Node, inner: Node): boolean => {
  for (let n: Node | null = inner; n; n = n.parentNode) if (n === outer) return true;
  return false;
};

/** The signature in the CMS validator's vocabulary: signed "attributes" are the canonical SignedInfo. */
function cmsView(p: ParsedSignature, signedInfo: Uint8Array, certRefs: EssCertId[]): ParsedCms {
  const m = p.method;
  const algorithm: SignatureAlgorithmInfo = {
    oid: p.methodUri,
    scheme: m.scheme,
    digest: m.digest,
    ...(m.scheme === 'RSASSA-PSS' ? { pss: { saltLength: m.digest === 'SHA-1' ? 20 : digestLength(m.digest), mgfDigest: m.digest, trailerField: 1 } } : {}),
  };
  let signature = p.signatureValue;
  if (m.scheme === 'ECDSA') {
    try {
      signature = ecdsaRawToDer(p.signatureValue);
    } catch {
      signature = new Uint8Array(); // does not verify: SIGNATURE_VALUE fails
    }
  }
  return {
    der: new Uint8Array(),
    version: 1,
    digestAlgorithms: [],
    eContentType: '',
    certificates: [],
    embedded: { certificates: [], ocspResponses: [], crls: [] },
    signer: {
      version: 1,
      sid: { kind: 'issuerAndSerialNumber', issuer: new Uint8Array(), serial: new Uint8Array(), serialHex: '' },
      digestAlgorithm: { oid: p.methodUri },
      digest: m.digest,
      signedAttributesDer: signedInfo,
      signedAttributes: [],
      hasSigningTime: p.xades?.signingTimeText !== undefined,
      ...(p.xades?.certRefVersion ? { essVersion: p.xades.certRefVersion } : {}),
      essCertIds: certRefs,
      signatureAlgorithm: { oid: p.methodUri },
      signatureAlgorithmInfo: algorithm,
      signature,
      unsignedAttributes: [],
      signatureTimestamps: [],
    },
  };
}

const essOf = (r: CertRef): EssCertId => ({ digestOid: r.digestUri, ...(r.digest ? { digest: r.digest } : {}), hash: r.hash, ...(r.issuerSerial ? { issuerSerial: r.issuerSerial } : {}) });

async function validateSignature(doc: Document, sigEl: Element, ids: IdIndex, traceRegions: Element[], ctx: ValidationContext): Promise<RawResult> {
  const validationTime = ctx.at ?? new Date();
  const checks = new CheckSet(XML_CHECK_IDS);
  const early = (c: Check, format = 'XMLDSig'): RawResult => {
    checks.set(c);
    return { checks: checks.list({ vi: 'cấu trúc chữ ký không hợp lệ', en: 'invalid signature structure' }), covered: [], paths: [], coverage: 'UNCLEAR', coversDocument: false, format };
  };
  const structureFailure = (m: Message): Check => failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Cấu trúc chữ ký XML không hợp lệ: ${m.vi}`, `Invalid XML signature structure: ${m.en}`);

  if (traceRegions.some((r) => contains(r, sigEl))) {
    return early(structureFailure({ vi: 'chữ ký nằm trong vết chuyển (TraceHeader) của gói tin edXML, phần không được ký', en: 'the signature sits inside the edXML routing trace (TraceHeader), which is not signed' }));
  }
  if (ids.duplicates.length) {
    const list = ids.duplicates.slice(0, 5).join(', ');
    return early(structureFailure({ vi: `giá trị Id lặp lại trong tài liệu (${list}) — dấu hiệu tấn công bao gói chữ ký`, en: `Id values occur more than once in the document (${list}) — a signature-wrapping pattern` }));
  }
  let p: ParsedSignature;
  try {
    p = parseSignature(sigEl);
  } catch (e) {
    if (e instanceof StructureError) return early(structureFailure(e.msg));
    const m = e instanceof Error ? e.message : String(e);
    return early(structureFailure({ vi: m, en: m }));
  }
  const format = p.xades ? 'XAdES-BASELINE-B' : 'XMLDSig';

  // References: resolve, canonicalize, digest.
  const covered: Element[] = [];
  const paths: string[] = [];
  const digestProblems: string[] = [];
  const refDigests: { what: string; digest: XmlDigest | undefined; oid: string }[] = [];
  let coversDocument = false;
  let unsignedTrace: Element[] | undefined;
  let signedPropertiesRefs = 0;
  const computed = new Map<string, Buffer>();
  // B-LTA: the archive timestamps cover the processed References (xades-archive.ts), kept only when needed.
  const keepOctets = (p.xades?.archiveTimestamps.length ?? 0) > 0;
  const octets = new Map<string, string>();
  const referenceOctets: string[] = [];
  try {
    for (const [n, ref] of p.references.entries()) {
      let node: Document | Element;
      let target: Element;
      if (ref.uri === '') {
        node = doc;
        target = doc.documentElement!;
        paths.push('/');
      } else {
        const found = ids.byId.get(ref.uri.slice(1));
        if (!found || found.length !== 1) bad(`Reference ${n + 1}: không tìm thấy phần tử ${ref.uri}`, `Reference ${n + 1}: element ${ref.uri} not found`);
        node = target = found![0]!;
        paths.push(elementPath(target));
      }
      covered.push(target);
      if (ref.type === SIGNED_PROPERTIES_TYPE) {
        signedPropertiesRefs++;
        if (!p.xades || target !== p.xades.signedProperties) bad('Reference kiểu SignedProperties không trỏ đến SignedProperties của chữ ký này', 'the SignedProperties Reference does not point at this signature\'s SignedProperties');
      }
      if (ref.enveloped && (node === doc || node === doc.documentElement)) coversDocument = true;
      refDigests.push({ what: `Reference ${n + 1}`, digest: ref.digest, oid: ref.digestUri });
      if (!ref.digest) continue; // reported by ALGORITHMS
      // Same-document references drop comments whatever the canonicalization variant (XMLDSig §4.4.3.3).
      // Identical references are hashed once (a signature repeating URI="" sixteen times costs one pass).
      const key = `${ref.uri}|${ref.enveloped}|${ref.traceFilter?.headerPath.join('/') ?? '-'}|${ref.method}|${ref.prefixes?.join(' ') ?? '-'}|${ref.digest}`;
      let actual = computed.get(key);
      if (!actual) {
        const kept: string[] = [];
        const h = createHash(ref.digest.toLowerCase().replace('-', ''));
        const exclude: Node[] = ref.enveloped && contains(node, sigEl) ? [sigEl] : [];
        if (ref.traceFilter) {
          // URI="" only (parseReference): the filter's subtrees, evaluated on the document as XPath would.
          const trace = edxmlTraceSubtrees(doc, ref.traceFilter);
          exclude.push(...trace);
          if (node === doc) unsignedTrace = trace;
        }
        canonicalizeTo(node, { method: ref.method, comments: false, exclude, ...(ref.prefixes ? { inclusivePrefixes: ref.prefixes } : {}) }, (chunk) => {
          h.update(chunk, 'utf8');
          if (keepOctets) kept.push(chunk);
        });
        computed.set(key, (actual = h.digest()));
        if (keepOctets) octets.set(key, kept.join(''));
      }
      if (keepOctets) referenceOctets.push(octets.get(key) ?? '');
      if (!actual.equals(Buffer.from(ref.digestValue))) digestProblems.push(`${n + 1} (${ref.uri === '' ? 'URI=""' : ref.uri})`);
    }
    if (p.xades && signedPropertiesRefs !== 1) bad('phải có đúng một Reference đến SignedProperties (Type …#SignedProperties)', 'exactly one Reference to SignedProperties (Type …#SignedProperties) is required');
  } catch (e) {
    if (e instanceof StructureError) return early(structureFailure(e.msg), format);
    const m = e instanceof Error ? e.message : String(e);
    return early(structureFailure({ vi: `không chuẩn hóa được dữ liệu được ký: ${m}`, en: `the signed data cannot be canonicalized: ${m}` }), format);
  }
  checks.set(passed('CMS_STRUCTURE', `Cấu trúc chữ ký XML hợp lệ (${p.references.length} Reference, thuật toán và phép biến đổi được phép)`, `Well-formed XML signature (${p.references.length} references, allowed algorithms and transforms)`));

  const coverage: Coverage = coversDocument ? 'ENTIRE_FILE' : 'PARTIAL';
  const dataPaths = paths.filter((_, i) => p.references[i]!.type !== SIGNED_PROPERTIES_TYPE);
  checks.set(
    coversDocument
      ? unsignedTrace
        ? passed(
            'COVERAGE',
            `Chữ ký bao phủ toàn bộ tài liệu XML, trừ chính phần tử chữ ký và vết chuyển edXML (TraceHeader: cơ quan và thời điểm mỗi bước chuyển, ${unsignedTrace.length} phần tử không được ký)`,
            `The signature covers the entire XML document except the signature element itself and the edXML routing trace (TraceHeader: agency and time of each hop, ${unsignedTrace.length} unsigned element(s))`,
          )
        : passed('COVERAGE', 'Chữ ký bao phủ toàn bộ tài liệu XML (trừ chính phần tử chữ ký)', 'The signature covers the entire XML document (except the signature element itself)')
      : failed(
          'COVERAGE',
          'FORMAT_FAILURE',
          `Chữ ký chỉ bao phủ một phần tài liệu (${dataPaths.join(', ') || 'không có dữ liệu'}), không phải toàn bộ tài liệu`,
          `The signature covers only part of the document (${dataPaths.join(', ') || 'no data'}), not the whole document`,
        ),
  );
  checks.set(
    digestProblems.length
      ? failed(
          'MESSAGE_DIGEST',
          'HASH_FAILURE',
          `Dữ liệu đã bị thay đổi sau khi ký: giá trị băm không khớp ở Reference ${digestProblems.join(', ')}`,
          `The signed data was changed after signing: digest mismatch in Reference ${digestProblems.join(', ')}`,
        )
      : passed('MESSAGE_DIGEST', `Dữ liệu toàn vẹn: giá trị băm của ${p.references.length} Reference đều khớp`, `Data intact: the digests of all ${p.references.length} references match`),
  );

  // SignedInfo as signed; the signing certificate.
  const signedInfo = Buffer.from(
    canonicalize(p.signedInfo, { method: p.c14n, ...(p.c14nPrefixes ? { inclusivePrefixes: p.c14nPrefixes } : {}) }),
    'utf8',
  );
  const pool = new CertificatePool();
  const candidates: CertInfo[] = [];
  for (const der of p.keyInfoCerts) {
    const c = pool.add(der, 'signature');
    if (c) candidates.push(c);
  }
  pool.addAll(p.xades?.certificateValues ?? [], 'signature');
  const env: CheckEnv = { ctx, validationTime, pool, revocationData: { ocspResponses: p.xades?.ocspValues ?? [], crls: p.xades?.crlValues ?? [] } };
  const verifies = (c: CertInfo): boolean => signatureValueCheck(cmsView(p, signedInfo, []), c, []).status === 'PASSED';

  let cert: CertInfo | undefined;
  let certRefs: EssCertId[] = [];
  const refs = p.xades?.certRefs ?? [];
  if (refs.length) {
    // The certificate is the one SigningCertificate(V2) designates, never simply whatever KeyInfo holds.
    const matching = candidates
      .map((c) => ({ c, r: refs.find((r) => r.digest && Buffer.from(c.digest(r.digest)).equals(Buffer.from(r.hash))) }))
      .filter((x): x is { c: CertInfo; r: CertRef } => x.r !== undefined);
    const chosen = matching.find((x) => verifies(x.c)) ?? matching[0];
    if (chosen) {
      cert = chosen.c;
      certRefs = [essOf(chosen.r)];
    } else {
      const ref0 = refs[0]!;
      checks.set(
        failed(
          'SIGNING_CERTIFICATE_FOUND',
          'NO_SIGNING_CERTIFICATE_FOUND',
          `Không tìm thấy trong KeyInfo chứng thư mà SigningCertificate${p.xades!.certRefVersion === 2 ? 'V2' : ''} chỉ định (${ref0.digest ?? ref0.digestUri} ${Buffer.from(ref0.hash).toString('base64')})`,
          `The certificate designated by SigningCertificate${p.xades!.certRefVersion === 2 ? 'V2' : ''} is not in KeyInfo (${ref0.digest ?? ref0.digestUri} ${Buffer.from(ref0.hash).toString('base64')})`,
        ),
      );
    }
  } else {
    cert = candidates.find(verifies) ?? candidates.find((c) => !c.basicConstraints?.ca) ?? candidates[0];
    if (!cert) {
      checks.set(failed('SIGNING_CERTIFICATE_FOUND', 'NO_SIGNING_CERTIFICATE_FOUND', 'Chữ ký không kèm chứng thư ký (KeyInfo/X509Certificate)', 'The signature carries no signing certificate (KeyInfo/X509Certificate)'));
    }
  }
  const view = cmsView(p, signedInfo, certRefs);
  const name = (c: CertInfo) => c.subjectFields.commonName ?? c.subject;

  // Archive timestamps, newest first: each one's POE comes from the later ones (as PDF document timestamps).
  let archivePoe: Date | undefined;
  let archiveValid = false;
  for (const a of [...(p.xades?.archiveTimestamps ?? [])].reverse()) {
    let data: Uint8Array;
    try {
      data = Buffer.from(archiveTimestampInput(sigEl, referenceOctets, a.method, a.el).join(''), 'utf8');
    } catch {
      data = new Uint8Array();
    }
    const v = await validateTimestampToken(a.token, [data], env, { poe: archivePoe });
    if (v.valid && v.genTime) {
      archiveValid = true;
      if (!archivePoe || v.genTime.getTime() < archivePoe.getTime()) archivePoe = v.genTime;
    }
  }

  // Timestamps do not depend on the signing certificate; start them now.
  const tsPromise = Promise.all(
    (p.xades?.timestamps ?? []).map((t) => {
      let data: Uint8Array;
      try {
        data = Buffer.from(canonicalize(p.signatureValueEl, { method: t.method }), 'utf8');
      } catch {
        data = new Uint8Array();
      }
      return validateTimestampToken(t.token, [data], env, { poe: archivePoe });
    }),
  );
  tsPromise.catch(() => undefined);

  let chainResult: ChainResult | undefined;
  if (cert) {
    checks.set(
      passed(
        'SIGNING_CERTIFICATE_FOUND',
        refs.length ? `Tìm thấy chứng thư ký do SigningCertificate${p.xades!.certRefVersion === 2 ? 'V2' : ''} chỉ định: ${name(cert)}` : `Chứng thư ký lấy từ KeyInfo: ${name(cert)}`,
        refs.length ? `Found the signing certificate designated by SigningCertificate${p.xades!.certRefVersion === 2 ? 'V2' : ''}: ${cert.subject}` : `Signing certificate taken from KeyInfo: ${cert.subject}`,
      ),
    );
    if (refs.length) {
      const r = signingCertificateReferenceCheck(view, cert);
      const v = p.xades!.certRefVersion === 2 ? 'SigningCertificateV2' : 'SigningCertificate';
      checks.set({
        ...r,
        message:
          r.status === 'PASSED'
            ? { vi: `XAdES ${v} khớp chứng thư ký (giá trị băm và số hiệu/tổ chức cấp)`, en: `XAdES ${v} matches the signing certificate (digest and issuer/serial)` }
            : { vi: `XAdES ${v} không khớp chứng thư ký: ${r.message.vi}`, en: `XAdES ${v} does not match the signing certificate: ${r.message.en}` },
      });
    } else {
      checks.set(
        failed(
          'SIGNING_CERTIFICATE_REFERENCE',
          'SIG_CONSTRAINTS_FAILURE',
          'Chữ ký không có XAdES SigningCertificateV2 gắn chữ ký với chứng thư ký: chứng thư được lấy từ KeyInfo và chỉ được chấp nhận khi dựng được chuỗi tin cậy',
          'No XAdES SigningCertificateV2 binds the signature to its certificate: the certificate was taken from KeyInfo and is accepted only with a trusted path',
        ),
      );
    }
    checks.set(signatureValueCheck(view, cert, []));
    checks.set(keyUsageCheck(cert, 'signing'));
    chainResult = await buildSignerChain(cert, env);
    checks.set(chainCheck(chainResult));
  }
  const certDigests = refs.map((r, i) => ({ what: `SigningCertificate Cert ${i + 1}`, digest: r.digest, oid: r.digestUri }));
  checks.set(algorithmsCheck(view, cert, chainResult?.chain ?? [], chainResult?.found === true, ctx.algorithms, [...refDigests, ...certDigests]));
  checks.set(xadesAttributesCheck(p));

  const tsResults = await tsPromise;
  let tsBest: TimestampValidation | undefined;
  if (tsResults.length === 0) checks.set(info('TIMESTAMP', 'Chữ ký không có dấu thời gian', 'The signature has no timestamp'));
  else {
    const t = timestampCheck(tsResults);
    tsBest = t.best;
    checks.set(t.check);
  }
  const poe = tsBest?.genTime && archivePoe ? (tsBest.genTime.getTime() <= archivePoe.getTime() ? tsBest.genTime : archivePoe) : (tsBest?.genTime ?? archivePoe);
  const claimed = p.xades?.signingTime;
  const times = timesFor(poe, claimed, validationTime);
  checks.set(signingTimeCheck(poe, claimed, validationTime, p.xades?.signingTimeText));

  let revocations: CertRevocation[] = [];
  if (cert && chainResult) {
    const status = await certificateStatusChecks(chainResult, times, env);
    status.checks.forEach((c) => checks.set(c));
    revocations = status.revocations;
  }

  const lt = poe && chainResult?.found && allEmbedded(chainResult.chain, revocations) && (!tsBest || tsBest.embeddedOnly);
  const level = poe ? (lt ? (archiveValid ? 'LTA' : 'LT') : 'T') : 'B';
  const shown = tsBest ?? tsResults.find((r) => r.genTime);
  return {
    checks: checks.list({ vi: 'không tìm thấy chứng thư ký', en: 'signing certificate not found' }),
    covered,
    paths,
    coverage,
    coversDocument,
    ...(unsignedTrace ? { unsignedTrace } : {}),
    format: p.xades ? `XAdES-BASELINE-${level}` : level === 'B' ? 'XMLDSig' : `XMLDSig-${level}`,
    level: `B-${level}`,
    ...(cert ? { signer: signerReport(cert) } : {}),
    ...(claimed ? { claimed } : {}),
    ...(shown?.genTime ? { timestamp: { time: isoCached(shown.genTime), tsa: shown.tsa ? (shown.tsa.subjectFields.commonName ?? shown.tsa.subject) : 'không xác định', valid: shown.valid } } : {}),
  };
}

/** The XAdES-BASELINE-B signed properties (EN 319 132-1 §6.3), reported under PADES_ATTRIBUTES (INFORM by default). */
function xadesAttributesCheck(p: ParsedSignature): Check {
  const x = p.xades;
  if (!x) {
    return failed(
      'PADES_ATTRIBUTES',
      'FORMAT_FAILURE',
      'Chữ ký XMLDSig thông thường, không phải XAdES (không có SigningTime, SigningCertificateV2)',
      'A plain XMLDSig signature, not XAdES (no SigningTime, no SigningCertificateV2)',
    );
  }
  const problems: Message[] = [];
  if (x.signingTimeText === undefined) problems.push({ vi: 'thiếu SigningTime', en: 'no SigningTime' });
  else if (!x.signingTime) problems.push({ vi: `SigningTime "${x.signingTimeText}" không phải xsd:dateTime có múi giờ`, en: `SigningTime "${x.signingTimeText}" is not an xsd:dateTime with a time zone` });
  if (x.certRefVersion !== 2) problems.push({ vi: x.certRefVersion === 1 ? 'dùng SigningCertificate (V1) thay vì SigningCertificateV2' : 'thiếu SigningCertificateV2', en: x.certRefVersion === 1 ? 'SigningCertificate (V1) instead of SigningCertificateV2' : 'no SigningCertificateV2' });
  if (x.dataObjectFormats === 0) problems.push({ vi: 'thiếu DataObjectFormat', en: 'no DataObjectFormat' });
  if (problems.length) {
    return failed('PADES_ATTRIBUTES', 'FORMAT_FAILURE', `Thuộc tính ký chưa đúng XAdES baseline: ${problems.map((m) => m.vi).join('; ')}`, `Signed properties do not follow XAdES baseline: ${problems.map((m) => m.en).join('; ')}`);
  }
  return passed('PADES_ATTRIBUTES', 'Thuộc tính ký đúng XAdES baseline (SigningTime, SigningCertificateV2, DataObjectFormat)', 'Signed properties follow XAdES baseline (SigningTime, SigningCertificateV2, DataObjectFormat)');
}

