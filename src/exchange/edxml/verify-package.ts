// Verifies an edXML package the way Decree 30/2020 Art. 21 asks a receiving clerk to: the packet's own XML
// signature, then every signed PDF it carries. The model is read from the very DOM element the signature
// covers (never from a re-parse), so a wrapped or duplicated header cannot be smuggled past the verifier.
import { createHash } from 'node:crypto';
import type { Document } from '@xmldom/xmldom';
import { isKysoError } from '../../errors.ts';
import { overallIndication } from '../../verify/apply-policy.ts';
import { verifyPdf, type VerifyOptions } from '../../verify/pdf/pdf-validator.ts';
import type { AttachmentReport, ValidationReport } from '../../verify/report.ts';
import { OUTCOME_VI } from '../../verify/tt15-summary.ts';
import { verifyXmlDocument } from '../../verify/xml/xml-validator.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { EDOC_NS, EDXML_NS, type EdxmlPackage, type StatusPacket } from './model.ts';
import { parseEdxmlDocument } from './parse.ts';
import { traceSplice, type TraceSplice } from './trace.ts';

export interface PackageVerification {
  report: ValidationReport;
  /** The package model, read from the signed DOM; present only when a signature covering it passed. */
  package?: EdxmlPackage;
  /** The status packet model, likewise read from the signed DOM (status packets only). */
  status?: StatusPacket;
  /**
   * Where the next hop's TraceHeader goes in these bytes (document packages whose trace reads back): the receipt
   * appends its TraceHeader without parsing the package a second time.
   */
  traceSplice?: TraceSplice;
}

const isEdxml = (doc: Document): boolean => {
  const ns = doc.documentElement?.namespaceURI;
  return ns === EDXML_NS || ns === EDOC_NS;
};

async function verifyAttachment(a: EdxmlPackage['Attachments'][number], opts: VerifyOptions): Promise<AttachmentReport> {
  const bytes = a.ContentTransferEncoded;
  const base = { contentId: a.ContentId, name: a.AttachmentName, contentType: a.ContentType, sha256: createHash('sha256').update(bytes).digest('hex') };
  const looksPdf = a.ContentType.toLowerCase().includes('pdf') || Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
  if (!looksPdf) {
    return { ...base, problem: { vi: `Không kiểm tra chữ ký cho loại tệp ${a.ContentType}`, en: `Signatures of ${a.ContentType} files are not verified` } };
  }
  try {
    return { ...base, report: await verifyPdf(bytes, { ...opts, name: a.AttachmentName }) };
  } catch (e) {
    if (!isKysoError(e)) throw e;
    return { ...base, problem: { vi: e.vi, en: e.en } };
  }
}

/** Verifies XML bytes; for edXML document packages also every PDF attachment. */
export async function verifyXmlPackage(bytes: Uint8Array, opts: VerifyOptions = {}): Promise<PackageVerification> {
  const doc = parseXmlSafely(bytes);
  // Taken before verification looks at the DOM, from the DOM exactly as parsed from `bytes`.
  let splice: TraceSplice | undefined;
  if (isEdxml(doc)) {
    try {
      splice = traceSplice(bytes, doc);
    } catch {
      // An unreadable trace: appending to it fails later with its own error (trace.ts), if it comes to that.
    }
  }
  const v = await verifyXmlDocument(doc, { ...opts, bytes });
  if (!isEdxml(doc) || !v.coveredRoot) return { report: v.report };
  const parsed = parseEdxmlDocument(v.document, { signedRoot: v.coveredRoot });
  if (parsed.kind === 'status') return { report: v.report, status: parsed.status };
  if (parsed.kind !== 'document') return { report: v.report };
  const attachments: AttachmentReport[] = [];
  for (const a of parsed.package.Attachments) attachments.push(await verifyAttachment(a, opts));
  // The package is only as good as its weakest part: an attachment that is not a valid signed PDF keeps the
  // package from TOTAL_PASSED.
  const parts = [
    ...v.report.signatures,
    ...attachments.map((a) => (a.report ? { indication: a.report.indication, subIndication: a.report.subIndication } : { indication: 'INDETERMINATE' as const })),
  ];
  const overall = overallIndication(parts);
  const okFiles = attachments.filter((a) => a.report?.indication === 'TOTAL_PASSED').length;
  return {
    package: parsed.package,
    ...(splice ? { traceSplice: splice } : {}),
    report: {
      ...v.report,
      indication: overall.indication,
      subIndication: overall.subIndication,
      attachments,
      summary: {
        vi: `${OUTCOME_VI[overall.indication]} (gói tin: ${OUTCOME_VI[v.report.indication].toLowerCase()}; tệp đính kèm hợp lệ: ${okFiles}/${attachments.length})`,
        en: `${overall.indication} (package signature: ${v.report.indication}; valid attachments: ${okFiles}/${attachments.length})`,
      },
    },
  };
}
