// The octets an XAdES archive timestamp (xades141:ArchiveTimeStamp, ETSI EN 319 132-1 §5.5.2.2) covers, shared
// by the signer (kyso extend) and the verifier so both compute exactly the same thing. Format mechanics only:
// canonicalization and concatenation, no hashing. In order:
//   1. the processed octets of each ds:Reference of SignedInfo (given by the caller, who dereferenced them);
//   2. ds:SignedInfo, ds:SignatureValue, ds:KeyInfo (when present), canonicalized;
//   3. every child of UnsignedSignatureProperties before this archive timestamp, canonicalized, in order;
//   4. every ds:Object of the signature other than the one holding QualifyingProperties, canonicalized.
import type { Element, Node } from '@xmldom/xmldom';
import { canonicalize, type C14nMethod } from './c14n.ts';
import { NS } from './xmldsig.ts';

const isEl = (n: Node | null, ns: string, local: string): n is Element => !!n && n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local;

function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

/** UnsignedSignatureProperties of a ds:Signature (under Object/QualifyingProperties/UnsignedProperties), if any. */
export function unsignedSignatureProperties(sig: Element): Element | undefined {
  for (const o of childElements(sig)) {
    if (!isEl(o, NS.dsig, 'Object')) continue;
    for (const qp of childElements(o)) {
      if (!isEl(qp, NS.xades, 'QualifyingProperties')) continue;
      for (const up of childElements(qp)) {
        if (!isEl(up, NS.xades, 'UnsignedProperties')) continue;
        for (const usp of childElements(up)) if (isEl(usp, NS.xades, 'UnsignedSignatureProperties')) return usp;
      }
    }
  }
  return undefined;
}

/**
 * The archive timestamp input for `sig`: `referenceOctets` are the processed References in SignedInfo order;
 * `before` is the ArchiveTimeStamp being computed (its earlier siblings are covered), or undefined for a new
 * one appended at the end.
 */
export function archiveTimestampInput(sig: Element, referenceOctets: readonly string[], method: C14nMethod, before?: Element): string[] {
  const parts = [...referenceOctets];
  const c = (el: Element): string => canonicalize(el, { method, comments: false });
  const kids = childElements(sig);
  for (const name of ['SignedInfo', 'SignatureValue', 'KeyInfo']) {
    const el = kids.find((k) => isEl(k, NS.dsig, name));
    if (el) parts.push(c(el));
  }
  const usp = unsignedSignatureProperties(sig);
  if (usp) {
    for (const p of childElements(usp)) {
      if (p === before) break;
      parts.push(c(p));
    }
  }
  for (const o of kids) {
    if (!isEl(o, NS.dsig, 'Object')) continue;
    if (childElements(o).some((q) => isEl(q, NS.xades, 'QualifyingProperties'))) continue;
    parts.push(c(o));
  }
  return parts;
}
