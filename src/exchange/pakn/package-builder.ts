// Document packages the service builds for an agency (routing, recall, replace, reply): an edXML package with
// the signed letter attached, signed in edXMLHeader with the agency's seal (XAdES; B-T when a TSA is set).
// Numbers come from document_numbers, one sequence per agency and year (Decree 30 Art. 15).
import type { Queryable } from '../../store/database.ts';
import { signXmlDocument } from '../../signing/xml/sign-xml-document.ts';
import { organizationOf, type Agency } from '../agencies/agency-registry.ts';
import { buildEdxml } from '../edxml/build.ts';
import { formatDocumentId, vietnamDate } from '../edxml/identifiers.ts';
import type { BussinessDocType, EdxmlPackageInput, ResponseFor, SignerInfo } from '../edxml/model.ts';
import type { ExchangeContext } from '../exchange-context.ts';

export interface DocumentNumber {
  number: number;
  /** Ký hiệu, e.g. VPCP-KSTT. */
  symbol: string;
  /** 125/VPCP-KSTT */
  numberSymbol: string;
}

/** The agency's next document number this year (in the caller's transaction, under the row lock). */
export async function nextDocumentNumber(tx: Queryable, agency: Agency, at: Date, symbol: string): Promise<DocumentNumber> {
  const year = Number(vietnamDate(at).slice(0, 4));
  const r = await tx.query<{ last: number }>(
    `INSERT INTO document_numbers (agency_id, year, last) VALUES ($1, $2, 1)
     ON CONFLICT (agency_id, year) DO UPDATE SET last = document_numbers.last + 1 RETURNING last`,
    [agency.id, year],
  );
  const number = r.rows[0]!.last;
  return { number, symbol, numberSymbol: `${number}/${symbol}` };
}

export interface PackageParts {
  from: Agency;
  to: readonly Agency[];
  number: DocumentNumber;
  at: Date;
  place: string;
  subject: string;
  content?: string;
  signerInfo?: SignerInfo;
  dueDate?: Date;
  businessType: BussinessDocType;
  reason?: string;
  /** For types 1–3: the document recalled, updated or replaced. */
  targetDocumentId?: string;
  responseFor?: ResponseFor[];
  attachments: { name: string; contentType: string; description: string; bytes: Uint8Array }[];
  toPlaces?: string[];
}

/** Builds and validates the package model, then signs it with the sending agency's seal. */
export async function buildSignedPackage(ctx: ExchangeContext, p: PackageParts): Promise<{ bytes: Uint8Array; documentId: string }> {
  const documentId = formatDocumentId({ organId: p.from.id, date: p.at, code: p.number.numberSymbol });
  const date = vietnamDate(p.at);
  const input: EdxmlPackageInput = {
    MessageHeader: {
      From: organizationOf(p.from),
      To: p.to.map(organizationOf),
      DocumentId: documentId,
      Code: { CodeNumber: String(p.number.number), CodeNotation: p.number.symbol },
      PromulgationInfo: { Place: p.place, PromulgationDate: date },
      DocumentType: { Type: '1', TypeDetail: '0', TypeName: 'Công văn' },
      Subject: p.subject,
      ...(p.content ? { Content: p.content } : {}),
      ...(p.signerInfo && Object.keys(p.signerInfo).length ? { SignerInfo: p.signerInfo } : {}),
      ...(p.dueDate ? { DueDate: vietnamDate(p.dueDate) } : {}),
      ...(p.toPlaces ? { ToPlaces: p.toPlaces } : {}),
      ResponseFor: p.responseFor ?? [],
    },
    TraceHeaderList: {
      TraceHeader: [{ OrganId: p.from.id, Timestamp: p.at }],
      Bussiness: {
        DocumentId: p.businessType === 0 ? documentId : (p.targetDocumentId ?? documentId),
        BussinessDocType: p.businessType,
        ...(p.reason ? { BussinessDocReason: p.reason } : {}),
        Paper: 0,
        ...(p.businessType === 3 && p.targetDocumentId ? { ReplacementInfoList: [{ DocumentId: p.targetDocumentId, OrganIdList: p.to.map((a) => a.id) }] } : {}),
      },
    },
    Manifest: {
      version: '1.0',
      Reference: p.attachments.map((a, i) => ({ ContentId: `cid:att-${String(i + 1).padStart(3, '0')}`, ContentType: a.contentType, Description: a.description, AttachmentName: a.name })),
    },
    Attachments: p.attachments.map((a, i) => ({
      ContentId: `att-${String(i + 1).padStart(3, '0')}`,
      AttachmentName: a.name,
      ContentType: a.contentType,
      Description: a.description,
      ContentTransferEncoded: new Uint8Array(a.bytes),
    })),
  };
  const xml = buildEdxml(input);
  const seal = await ctx.signers.require(p.from.id, 'seal');
  const signed = await signXmlDocument(Buffer.from(xml, 'utf8'), {
    signer: seal.signer,
    level: ctx.tsaUrl ? 'B-T' : 'B-B',
    ...(ctx.tsaUrl ? { tsaUrl: ctx.tsaUrl } : {}),
    ...(ctx.network ? { network: ctx.network } : {}),
    now: p.at,
  });
  return { bytes: new Uint8Array(signed.bytes), documentId };
}
