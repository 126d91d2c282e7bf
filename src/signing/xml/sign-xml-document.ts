// One XAdES signing request end to end (the XML counterpart of sign-document.ts): certificate pre-check, then
// an enveloped signature placed where the format wants it — inside edXMLHeader for edXML packages and status
// packets (QCVN 102), as the last child of the root otherwise. edXML is signed minus its routing trace (the
// TraceHeader elements each hop appends, see appendTraceHeader in src/exchange/edxml/trace.ts) unless the caller
// turns that off; other XML is signed whole.
import type { Document, Element } from '@xmldom/xmldom';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm, SignatureScheme, Signer } from '../../pki/signer.ts';
import { precheckSigner, type Notice, type RevocationCheckMode } from '../certificate-precheck.ts';
import { extendXml, type XadesLtvLevel } from './xades-ltv.ts';
import { signXmlDetailed, type XadesLevel } from './xades-signer.ts';

const EDXML_NAMESPACES = new Set(['http://www.mic.gov.vn/TBT/QCVN_102_2016', 'http://www.go.vn/eDoc']);

/** edXMLEnvelope/edXMLHeader of an edXML document (by namespace and local name), else the root. */
export function signatureParent(doc: Document): Element | null {
  const root = doc.documentElement;
  if (!root || !EDXML_NAMESPACES.has(root.namespaceURI ?? '')) return root;
  const child = (el: Element, name: string): Element | undefined => {
    for (let c = el.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1 && (c as Element).localName?.toLowerCase() === name.toLowerCase() && EDXML_NAMESPACES.has((c as Element).namespaceURI ?? '')) return c as Element;
    }
    return undefined;
  };
  const envelope = root.localName?.toLowerCase() === 'edxmlenvelope' ? root : child(root, 'edXMLEnvelope');
  return (envelope && child(envelope, 'edXMLHeader')) ?? root;
}

export interface SignXmlRequest {
  signer: Signer;
  /** B-LT / B-LTA: a B-T signature raised at once by xades-ltv.ts (validation data, archive timestamp). */
  level?: XadesLevel | XadesLtvLevel;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  revocationCheck?: RevocationCheckMode;
  digest?: DigestAlgorithm;
  scheme?: SignatureScheme;
  now?: Date;
  /** edXML only: leave the routing trace (TraceHeader elements) out of the signature. Default true. */
  excludeEdxmlTrace?: boolean;
}

export async function signXmlDocument(xml: Uint8Array, r: SignXmlRequest): Promise<{ bytes: Buffer; signingTime: Date; warnings: Notice[] }> {
  const now = r.now ?? new Date();
  const warnings = await precheckSigner(r.signer, { at: now, network: r.network, revocation: r.revocationCheck });
  const signed = await signXmlDetailed(xml, {
    signer: r.signer,
    level: r.level === 'B-LT' || r.level === 'B-LTA' ? 'B-T' : r.level,
    tsaUrl: r.tsaUrl,
    network: r.network,
    digest: r.digest,
    scheme: r.scheme,
    signingTime: now,
    parent: signatureParent,
    excludeEdxmlTrace: r.excludeEdxmlTrace ?? true,
  });
  if (r.level === 'B-LT' || r.level === 'B-LTA') {
    const raised = await extendXml(signed.xml, { level: r.level, tsaUrl: r.tsaUrl, network: r.network, digest: r.digest, now });
    return { bytes: raised.bytes, signingTime: signed.signingTime, warnings };
  }
  return { bytes: Buffer.from(signed.xml, 'utf8'), signingTime: signed.signingTime, warnings };
}
