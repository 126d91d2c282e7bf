// Typed model of the edXML packets exchanged between agencies (QCVN 102:2016 and its 2022 amendment; see
// ../shared/domain/edxml-exchange.md): the document package (edXMLEnvelope with MessageHeader, TraceHeaderList,
// manifest and base64 attachments) and the status packet (same envelope, header only).
//
// Keys are the element names of the standard, so a model path is an element path (To[2]/OrganId). Three
// exceptions, all at the top of a document package: `MessageHeader`/`TraceHeaderList` live in edXMLHeader,
// `Manifest` is edXMLBody/edXMLManifest and `Attachments` is AttachmentEncoded/Attachment*. Wrapper lists
// (ToPlaces/Place*, Appendixes/Appendix*, ReceiverList/Receiver*, ReplacementInfoList/ReplacementInfo*,
// OrganIdList/OrganId*) are plain arrays named after the wrapper. `version` is the edXMLManifest attribute.
//
// Values are typed, not wire strings: calendar dates are ISO `YYYY-MM-DD` (wire: dd/MM/yyyy or yyyy/MM/dd per
// field), timestamps are Date instants (wire: yyyy/MM/dd HH:mm:ss in Vietnam time, whole seconds), counts are
// numbers, BussinessDocType is 0|1|2|3 and attachment content is the decoded bytes. Free text is kept exactly
// (no trimming); identifier-like fields ("tokens") may not start or end with white space.
import { z } from 'zod';
import { agencyIdProblem, calendarDateProblem, documentIdProblem, type Problem } from './identifiers.ts';

/** QCVN 102:2016 namespace: always emitted, with the `edXML:` prefix. */
export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
/** Older namespace of some provincial platforms (LGSP), root `EdXMLEnvelope`: accepted on input only. */
export const EDOC_NS = 'http://www.go.vn/eDoc';

// ---------------------------------------------------------------------------------------------------------------
// Leaf schemas. Custom issues carry the English text in params.en (see issueText in wire.ts).

type Ctx = z.core.$RefinementCtx<unknown>;
const report = (ctx: Ctx, p: Problem): void => ctx.addIssue({ code: 'custom', message: p.vi, params: { en: p.en } });

/**
 * A character XML 1.0 cannot carry (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, unpaired surrogates), or
 * undefined. Such a value could not be serialized, so the model refuses it.
 */
export function xmlCharProblem(s: string): Problem | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let bad = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++;
      else bad = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) bad = true;
    if (bad) {
      const u = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      return { vi: `ký tự ${u} không được phép trong XML (vị trí ${i})`, en: `character ${u} is not allowed in XML (position ${i})` };
    }
  }
  return undefined;
}

/** Free text, kept exactly as written. */
const Text = z.string().superRefine((s, ctx) => {
  const p = xmlCharProblem(s);
  if (p) report(ctx, p);
});
/** Free text that must say something. */
const RequiredText = Text.superRefine((s, ctx) => {
  if (s.trim() === '') report(ctx, { vi: 'không được để trống', en: 'must not be empty' });
});
/** Identifier-like value: read trimmed from XML, so it may not start or end with XML white space. */
const Token = Text.superRefine((s, ctx) => {
  if (/^[ \t\r\n]|[ \t\r\n]$/.test(s)) report(ctx, { vi: `có khoảng trắng thừa ở đầu/cuối ${JSON.stringify(s)}`, en: `leading/trailing white space in ${JSON.stringify(s)}` });
});
const RequiredToken = Token.superRefine((s, ctx) => {
  if (s === '') report(ctx, { vi: 'không được để trống', en: 'must not be empty' });
});
/** Agency identifier: legacy `NNN.NN.NN.XNN` or the QĐ 20/2020 form. */
export const AgencyIdSchema = z.string().superRefine((s, ctx) => {
  const p = agencyIdProblem(s);
  if (p) report(ctx, p);
});
/** `OrganId,yyyy/MM/dd,Số/Ký hiệu`. */
export const DocumentIdSchema = z.string().superRefine((s, ctx) => {
  const p = documentIdProblem(s);
  if (p) report(ctx, p);
});
/** ISO calendar date `YYYY-MM-DD`. */
export const CalendarDateSchema = z.string().superRefine((s, ctx) => {
  const p = calendarDateProblem(s);
  if (p) report(ctx, p);
});
/** An instant that the wire format can carry (years 0000–9999 in Vietnam time). */
const Instant = z.date().superRefine((d, ctx) => {
  const t = d.getTime();
  if (Number.isNaN(t)) report(ctx, { vi: 'thời điểm không hợp lệ', en: 'invalid time' });
  else if (t < Date.UTC(0, 0, 1) - 7 * 3_600_000 || t >= Date.UTC(10000, 0, 1) - 7 * 3_600_000) {
    report(ctx, { vi: 'năm ngoài khoảng 0000–9999', en: 'year outside 0000–9999' });
  }
});
const Count = z.number().superRefine((n, ctx) => {
  if (!Number.isSafeInteger(n) || n < 0) report(ctx, { vi: `phải là số nguyên không âm (${n})`, en: `must be a non-negative integer (${n})` });
});
const Bytes = z.instanceof(Uint8Array);

const list = <T extends z.ZodType>(item: T) => z.array(item).default(() => []);

// ---------------------------------------------------------------------------------------------------------------
// MessageHeader parts

/** From / To: the sending or receiving agency. */
export const OrganizationSchema = z.strictObject({
  OrganId: AgencyIdSchema,
  OrganizationInCharge: Text.optional(),
  OrganName: Text.optional(),
  OrganAdd: Text.optional(),
  Email: Token.optional(),
  Telephone: Token.optional(),
  Fax: Token.optional(),
  Website: Token.optional(),
});

/** Số (CodeNumber, e.g. 125) and Ký hiệu (CodeNotation, e.g. VPCP-KSTT). */
export const CodeSchema = z.strictObject({ CodeNumber: RequiredToken, CodeNotation: Token });

export const PromulgationInfoSchema = z.strictObject({ Place: Text.optional(), PromulgationDate: CalendarDateSchema });

/** Type, TypeDetail, TypeName, e.g. 1, 0, "Công văn". */
export const DocumentTypeSchema = z.strictObject({ Type: RequiredToken, TypeDetail: Token.optional(), TypeName: Text.optional() });

/** Competence (KT./TL. + superior title), Position, FullName. */
export const SignerInfoSchema = z.strictObject({ Competence: Text.optional(), Position: Text.optional(), FullName: Text.optional() });

/** Priority (urgency/secrecy; values not standardised), counts, drafter code, appendix titles. */
export const OtherInfoSchema = z.strictObject({
  Priority: Token.optional(),
  SphereOfPromulgation: Text.optional(),
  TyperNotation: Text.optional(),
  PromulgationAmount: Count.optional(),
  PageAmount: Count.optional(),
  Direction: Token.optional(),
  /** Appendixes/Appendix*. */
  Appendixes: z.array(Text).optional(),
});

/** The document answered: in a document package (replies) and in a status packet. */
export const ResponseForSchema = z.strictObject({
  OrganId: AgencyIdSchema,
  /** `Số/Ký hiệu` as one string, e.g. 125/VPCP-KSTT. */
  Code: RequiredToken,
  PromulgationDate: CalendarDateSchema,
  DocumentId: DocumentIdSchema,
});

export const MessageHeaderSchema = z.strictObject({
  From: OrganizationSchema,
  /** At least one recipient. */
  To: z.array(OrganizationSchema).min(1),
  DocumentId: DocumentIdSchema,
  Code: CodeSchema,
  PromulgationInfo: PromulgationInfoSchema,
  DocumentType: DocumentTypeSchema,
  /** Trích yếu. */
  Subject: RequiredText,
  Content: Text.optional(),
  SignerInfo: SignerInfoSchema.optional(),
  /** Reply deadline. */
  DueDate: CalendarDateSchema.optional(),
  OtherInfo: OtherInfoSchema.optional(),
  /** [inf] 0 none, 1 directive, 2 directive requiring a report; kept as written. */
  SteeringType: Token.optional(),
  /** ToPlaces/Place*: "Nơi nhận" as printed. */
  ToPlaces: z.array(Text).optional(),
  ResponseFor: list(ResponseForSchema),
});

// ---------------------------------------------------------------------------------------------------------------
// TraceHeaderList

export const StaffInfoSchema = z.strictObject({
  Department: Text.optional(),
  Staff: Text.optional(),
  Email: Token.optional(),
  Mobile: Token.optional(),
});

export const TraceHeaderSchema = z.strictObject({ OrganId: AgencyIdSchema, Timestamp: Instant });

export const BUSSINESS_DOC_TYPES = {
  0: { vi: 'Văn bản mới', en: 'New document', messageType: 'edoc' },
  1: { vi: 'Thu hồi văn bản', en: 'Revocation/recall', messageType: 'revocation' },
  2: { vi: 'Cập nhật văn bản', en: 'Update', messageType: 'update' },
  3: { vi: 'Thay thế văn bản', en: 'Replacement', messageType: 'replacement' },
} as const;
export type BussinessDocType = keyof typeof BUSSINESS_DOC_TYPES;
export const BussinessDocTypeSchema = z.literal([0, 1, 2, 3]);

export const ReceiverSchema = z.strictObject({ OrganId: AgencyIdSchema, ReceiverType: Token.optional() });

/** Who receives an update (platform sample: DocumentInfo, DocumentReceiver, ReceiverList/Receiver*). */
export const BussinessDocumentInfoSchema = z.strictObject({
  DocumentInfo: Token.optional(),
  DocumentReceiver: Token.optional(),
  ReceiverList: z.array(ReceiverSchema).optional(),
});

/** [inf] A replaced document: its DocumentId and the agencies concerned (OrganIdList/OrganId*). */
export const ReplacementInfoSchema = z.strictObject({
  DocumentId: DocumentIdSchema,
  OrganIdList: z.array(AgencyIdSchema).optional(),
});

/** "Bussiness" (sic, as in the standard): what this packet does to the document. */
export const BussinessSchema = z.strictObject({
  DocumentId: DocumentIdSchema,
  /** 0 new, 1 revoke/recall, 2 update, 3 replace. */
  BussinessDocType: BussinessDocTypeSchema,
  BussinessDocReason: Text.optional(),
  /** Whether a paper copy follows (0/1 in samples). */
  Paper: Count.optional(),
  ReplacementInfoList: z.array(ReplacementInfoSchema).optional(),
  BussinessDocumentInfo: BussinessDocumentInfoSchema.optional(),
  StaffInfo: StaffInfoSchema.optional(),
});

export const TraceHeaderListSchema = z.strictObject({
  /** One per hop, at least the sender's. */
  TraceHeader: z.array(TraceHeaderSchema).min(1),
  Bussiness: BussinessSchema,
});

// ---------------------------------------------------------------------------------------------------------------
// Body and attachments

export const ManifestReferenceSchema = z.strictObject({
  /** `cid:…`; matched with Attachment/ContentId with or without the `cid:` prefix. */
  ContentId: RequiredToken,
  ContentType: RequiredToken,
  Description: Text.optional(),
  AttachmentName: RequiredText,
});

export const ManifestSchema = z.strictObject({
  /** edXMLManifest/@version, "1.0" in samples. */
  version: RequiredToken.optional(),
  Reference: list(ManifestReferenceSchema),
});

export const AttachmentSchema = z.strictObject({
  ContentId: RequiredToken,
  AttachmentName: RequiredText,
  ContentType: RequiredToken,
  Description: Text.optional(),
  /** The decoded content (base64 ContentTransferEncoded on the wire; often a zip, or the signed PDF). */
  ContentTransferEncoded: Bytes,
});

/** `cid:att-001` and `att-001` name the same part. */
export const contentIdKey = (id: string): string => id.replace(/^cid:/i, '');

export const EdxmlPackageSchema = z
  .strictObject({
    MessageHeader: MessageHeaderSchema,
    TraceHeaderList: TraceHeaderListSchema,
    Manifest: ManifestSchema.default(() => ({ Reference: [] })),
    Attachments: list(AttachmentSchema),
  })
  .superRefine((p, ctx) => {
    // Every attachment is listed in the manifest and every listed part is attached, once: a file nobody listed,
    // or two files under one name, would leave the receiver guessing which bytes a reference means.
    const refs = new Map<string, number>();
    p.Manifest.Reference.forEach((r, i) => {
      const k = contentIdKey(r.ContentId);
      if (refs.has(k)) {
        ctx.addIssue({ code: 'custom', path: ['Manifest', 'Reference', i, 'ContentId'], message: `ContentId ${JSON.stringify(r.ContentId)} bị trùng`, params: { en: `duplicate ContentId ${JSON.stringify(r.ContentId)}` } });
      } else refs.set(k, i);
    });
    const seen = new Set<string>();
    p.Attachments.forEach((a, i) => {
      const k = contentIdKey(a.ContentId);
      const path = ['Attachments', i, 'ContentId'];
      if (seen.has(k)) {
        ctx.addIssue({ code: 'custom', path, message: `ContentId ${JSON.stringify(a.ContentId)} bị trùng`, params: { en: `duplicate ContentId ${JSON.stringify(a.ContentId)}` } });
      } else if (!refs.has(k)) {
        ctx.addIssue({ code: 'custom', path, message: `tệp đính kèm ${JSON.stringify(a.ContentId)} không có trong edXMLManifest`, params: { en: `attachment ${JSON.stringify(a.ContentId)} is not listed in edXMLManifest` } });
      }
      seen.add(k);
    });
    p.Manifest.Reference.forEach((r, i) => {
      if (!seen.has(contentIdKey(r.ContentId)) && refs.get(contentIdKey(r.ContentId)) === i) {
        ctx.addIssue({ code: 'custom', path: ['Manifest', 'Reference', i, 'ContentId'], message: `không có tệp đính kèm ${JSON.stringify(r.ContentId)} trong AttachmentEncoded`, params: { en: `no attachment ${JSON.stringify(r.ContentId)} in AttachmentEncoded` } });
      }
    });
  });

// ---------------------------------------------------------------------------------------------------------------
// Status packet (gói tin trạng thái, edxml-exchange.md §3)

export const STATUS_CODES = {
  '01': { vi: 'Đã đến', en: 'Arrived, not yet handled by the clerk', sentBy: 'recipient' },
  '02': { vi: 'Từ chối tiếp nhận', en: 'Rejected/returned', sentBy: 'recipient' },
  '03': { vi: 'Đã tiếp nhận', en: 'Accepted/registered', sentBy: 'recipient' },
  '04': { vi: 'Phân công xử lý', en: 'Assigned by leadership', sentBy: 'recipient' },
  '05': { vi: 'Đang xử lý', en: 'In progress', sentBy: 'recipient' },
  '06': { vi: 'Hoàn thành xử lý', en: 'Completed', sentBy: 'recipient' },
  '13': { vi: 'Đề nghị lấy lại/cập nhật', en: 'Recall/update requested', sentBy: 'sender' },
  '14': { vi: 'Đồng ý lấy lại/cập nhật', en: 'Recall/update accepted', sentBy: 'recipient' },
  '16': { vi: 'Từ chối lấy lại/cập nhật', en: 'Recall/update refused', sentBy: 'recipient' },
} as const;
export type StatusCode = keyof typeof STATUS_CODES;
/** The codes in their natural order (object keys such as '13' would enumerate before '01'). */
export const STATUS_CODE_LIST = ['01', '02', '03', '04', '05', '06', '13', '14', '16'] as const satisfies readonly StatusCode[];
export const StatusCodeSchema = z.enum(STATUS_CODE_LIST);

/** The fields of a status packet's MessageHeader. */
export const StatusPacketSchema = z
  .strictObject({
    From: OrganizationSchema,
    ResponseFor: ResponseForSchema,
    StaffInfo: StaffInfoSchema.optional(),
    StatusCode: StatusCodeSchema,
    /** The reason, required for 02 (rejection). */
    Description: Text.optional(),
    Timestamp: Instant,
  })
  .superRefine((s, ctx) => {
    if (s.StatusCode === '02' && !s.Description?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['Description'], message: 'trạng thái 02 (từ chối) phải nêu lý do trong Description', params: { en: 'status 02 (rejected) requires the reason in Description' } });
    }
  });

// ---------------------------------------------------------------------------------------------------------------
// Types

export type Organization = z.infer<typeof OrganizationSchema>;
export type Code = z.infer<typeof CodeSchema>;
export type PromulgationInfo = z.infer<typeof PromulgationInfoSchema>;
export type DocumentType = z.infer<typeof DocumentTypeSchema>;
export type SignerInfo = z.infer<typeof SignerInfoSchema>;
export type OtherInfo = z.infer<typeof OtherInfoSchema>;
export type ResponseFor = z.infer<typeof ResponseForSchema>;
export type MessageHeader = z.infer<typeof MessageHeaderSchema>;
export type StaffInfo = z.infer<typeof StaffInfoSchema>;
export type TraceHeader = z.infer<typeof TraceHeaderSchema>;
export type Receiver = z.infer<typeof ReceiverSchema>;
export type BussinessDocumentInfo = z.infer<typeof BussinessDocumentInfoSchema>;
export type ReplacementInfo = z.infer<typeof ReplacementInfoSchema>;
export type Bussiness = z.infer<typeof BussinessSchema>;
export type TraceHeaderList = z.infer<typeof TraceHeaderListSchema>;
export type ManifestReference = z.infer<typeof ManifestReferenceSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;
export type Attachment = z.infer<typeof AttachmentSchema>;
/** A validated document package (what parsing returns; lists always present). */
export type EdxmlPackage = z.infer<typeof EdxmlPackageSchema>;
/** What building accepts: the same with empty lists and an empty manifest optional. */
export type EdxmlPackageInput = z.input<typeof EdxmlPackageSchema>;
export type StatusPacket = z.infer<typeof StatusPacketSchema>;

/** Variant of the namespace a packet was read in. */
export type EdxmlVariant = 'qcvn102' | 'edoc';
export type EdxmlKind = 'document' | 'status';
