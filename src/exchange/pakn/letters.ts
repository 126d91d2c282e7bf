// The two công văn (official letters) of a PAKN case, composed as fresh A4 PDFs in the Decree 30/2020
// Appendix I layout, ready for the competent person's signature and the agency seal (see sign-letter.ts):
//
//   composeRoutingLetter(data: RoutingLetterData): ComposedLetter
//       VPCP → ministry/province: "V/v chuyển phản ánh, kiến nghị của …" with the case code, the submitter, the
//       content, the answer deadline (Vietnamese words and `dd.MM.yyyy HH:mm:ss +07:00`) and the request to
//       answer through the system.
//   composeReplyLetter(data: ReplyLetterData): ComposedLetter
//       ministry/province → VPCP: "V/v trả lời phản ánh, kiến nghị của …", citing the routing letter, then the
//       answer (any number of paragraphs; the letter runs onto further pages as needed).
//
//   ComposedLetter = { pdf, pageCount, signature: { page, rect } }: `signature.rect` ([x, y, w, h] in PDF points,
//   origin bottom-left of page `signature.page`, 0-based) is the box between the position title and the name
//   reserved for the signature image; pass it to signLetter, which fits the image into it and puts the seal over
//   the image's left third.
//
// All dates are Date instants shown in Vietnam time (Asia/Ho_Chi_Minh, src/util/vn-time.ts). Names are given in
// normal case and upper-cased where the decree wants capitals (header, position). Pure functions: same data,
// same bytes. Errors: KysoError INVALID_ARGUMENT for missing/ill-formed data, FONT_MISSING_GLYPH for characters
// Times New Roman (Tinos) cannot show.
//
// Layout (Decree 30/2020 Appendix I; A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm):
//   header, two columns (65 mm | 100 mm), each line centred in its column:
//     left:  governing body (regular 12, optional) / ISSUING BODY (bold 12) / rule of 40 % of its width
//     right: CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM (bold 12) / Độc lập - Tự do - Hạnh phúc (bold 13) / rule as long
//     then on one line: "Số: 125/VPCP-KSTT" (13, left) and "Hà Nội, ngày 22 tháng 11 năm 2026" (italic 13, right)
//     then "V/v …" (12, centred under the number)
//   "Kính gửi: <agency>" (14, centred); body 14 pt justified, first-line indent 12.7 mm, 6 pt between paragraphs,
//   ending with "./."; then "Nơi nhận:" (bold italic 12, entries 11) bottom-left and the signer block
//   bottom-right (bold 14: competence, position, 30 mm for signature and seal, name), kept together on one page
//   and never alone there (the body's last two lines go with it). Pages after the first carry their number
//   centred in the top margin (none on page 1).
//
// Also exported: vietnameseDate / vietnameseDateTime ("ngày 05 tháng 01 năm 2026", "23 giờ 59 phút ngày …"),
// DEFAULT_SYSTEM_NAME and DEFAULT_LEGAL_BASIS (the texts used when the data gives none).
import { KysoError } from '../../errors.ts';
import { mm } from '../../signing/pdf/appearance/geometry.ts';
import type { XYWH } from '../../signing/pdf/appearance/types.ts';
import { A4, DocumentComposer, type ComposedPage } from '../../signing/pdf/compose/document.ts';
import { TextFlow, frameOf, type Frame } from '../../signing/pdf/compose/flow.ts';
import { layoutParagraph, type ParagraphLayout, type TextStyle } from '../../signing/pdf/compose/text-layout.ts';
import { formatSigningTime } from '../../util/vn-time.ts';

// ---------------------------------------------------------------------------------------------------------------
// Data

/** An agency as a letter names it. */
export interface LetterAgency {
  /** Full name in normal case, e.g. "Văn phòng Chính phủ", "Bộ Tài chính". */
  name: string;
  /** Governing body (cơ quan chủ quản) printed above the name, e.g. "Bộ Tài chính" above "Cục Thuế". */
  parentName?: string;
}

/** Position, name and competence of the person who signs (Decree 30 Art. 8(2)(g)). */
export interface LetterSignatory {
  /** Signing on behalf / by order, e.g. "KT. BỘ TRƯỞNG, CHỦ NHIỆM" or "TL. BỘ TRƯỞNG"; omit when the head signs. */
  competence?: string;
  /** Position title, e.g. "Phó Chủ nhiệm" (printed upper case). */
  position: string;
  /** Full name, e.g. "Nguyễn Văn An". */
  fullName: string;
}

/** What both letters share: the administrative elements of a công văn. */
export interface LetterCommon {
  /** The agency issuing (and sealing) the letter. */
  issuer: LetterAgency;
  /** The addressee (Kính gửi). */
  to: LetterAgency;
  /** Number and symbol, e.g. "125/VPCP-KSTT"; printed "Số: 125/VPCP-KSTT". */
  numberSymbol: string;
  /** Place of the date line, e.g. "Hà Nội". */
  place: string;
  /** Date of the letter, shown in Vietnam time: "Hà Nội, ngày 22 tháng 11 năm 2026". */
  date: Date;
  signatory: LetterSignatory;
  /** Further recipients for "Nơi nhận:", after "Như trên" (the addressee), e.g. "Thủ tướng Chính phủ (để b/c)". */
  copyTo?: readonly string[];
  /** Archive entry, e.g. "VT, KSTT" → "- Lưu: VT, KSTT." Default "VT" (văn thư). */
  archive?: string;
  /** PDF /Author and /CreationDate; default: the issuer's name and `date`. */
  documentInfo?: { author?: string; createdAt?: Date };
}

/** The citizen or business who sent the feedback. */
export interface PaknSubmitter {
  /** Full name or business name, e.g. "Nguyễn Văn Bình", "Công ty TNHH Minh An". */
  name: string;
  /** How to refer to them before the name, e.g. "ông", "bà"; omitted for a business name. */
  salutation?: string;
  /** Postal address as submitted. */
  address?: string;
}

/** The PAKN case a letter is about. */
export interface PaknCaseRef {
  /** Case code in the PAKN system, e.g. "PAKN-2026-000123". */
  code: string;
  submitter: PaknSubmitter;
  /** What it is about, as a phrase following "về", e.g. "thủ tục cấp lại giấy phép lái xe". */
  subject: string;
}

export interface RoutingLetterData extends LetterCommon {
  case: PaknCaseRef & {
    /** When VPCP received it (logged in the intake register). */
    receivedAt: Date;
    /** The feedback content, summarised; paragraphs separated by line breaks. */
    summary: string;
  };
  /** Answer deadline (e.g. caseDeadline(): 23:59:59 +07:00 of the last working day). */
  answerDeadline: Date;
  /** Where to answer. Default "Hệ thống tiếp nhận, trả lời phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia". */
  systemName?: string;
  /** Legal basis clause starting the transfer sentence. Default: Decree 20/2008 as amended by Decree 48/2013. */
  legalBasis?: string;
}

export interface ReplyLetterData extends LetterCommon {
  case: PaknCaseRef;
  /** The routing letter being answered. */
  inReplyTo: { numberSymbol: string; date: Date };
  /** The answer, one string per paragraph (line breaks inside a string also start a paragraph). */
  answer: readonly string[];
  /** Closing sentence before "./.". Default: asks the addressee to publish the answer on the national portal. */
  closing?: string;
}

/** Where signLetter should put the competent person's signature image. */
export interface SignaturePlacement {
  /** 0-based page index (the letter's last page). */
  page: number;
  /** x, y, w, h in PDF points from the bottom-left of the page. */
  rect: XYWH;
}

export interface ComposedLetter {
  pdf: Uint8Array;
  pageCount: number;
  signature: SignaturePlacement;
}

// ---------------------------------------------------------------------------------------------------------------
// Vietnamese text helpers

/** Decree 30 date words: leading zero for days below 10 and for months 1 and 2, e.g. "ngày 05 tháng 01 năm 2026". */
export function vietnameseDate(d: Date): string {
  const [dd, MM, yyyy] = formatSigningTime(d, 'dd|MM|yyyy').split('|');
  const month = Number(MM) <= 2 ? MM : String(Number(MM));
  return `ngày ${dd} tháng ${month} năm ${yyyy}`;
}

/** "23 giờ 59 phút ngày 18 tháng 12 năm 2026" in Vietnam time. */
export function vietnameseDateTime(d: Date): string {
  const [HH, mi] = formatSigningTime(d, 'HH|mm').split('|');
  return `${HH} giờ ${mi} phút ${vietnameseDate(d)}`;
}

const upper = (s: string): string => s.normalize('NFC').toLocaleUpperCase('vi');

function submitterPhrase(s: PaknSubmitter): string {
  return [s.salutation?.trim(), s.name.trim()].filter(Boolean).join(' ');
}

/** Splits text into paragraphs at line breaks, dropping blank ones. */
function paragraphs(text: string): string[] {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Ends the last paragraph with the decree's "./." (replacing a final full stop). */
function endMark(text: string): string {
  return text.replace(/[.\s]*$/, '') + './.';
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

function need(value: unknown, vi: string, en: string): string {
  if (typeof value !== 'string' || !value.trim()) {
    throw new KysoError('INVALID_ARGUMENT', `Công văn thiếu ${vi}`, `the letter is missing ${en}`);
  }
  return value.trim();
}

function needDate(value: unknown, vi: string, en: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new KysoError('INVALID_ARGUMENT', `Công văn thiếu hoặc sai ${vi}`, `the letter has a missing or invalid ${en}`);
  }
  return value;
}

/** Decree 30: number, "/", symbol; no spaces; symbol in capitals with "-" inside, e.g. "05/BNV-VP". */
const NUMBER_SYMBOL = /^\d+\/[\p{Lu}\d][\p{Lu}\d.&-]*$/u;

function checkNumberSymbol(value: unknown, what: { vi: string; en: string }): string {
  const v = need(value, what.vi, what.en).normalize('NFC');
  if (!NUMBER_SYMBOL.test(v)) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `${what.vi} không hợp lệ: "${v}" (dạng 125/VPCP-KSTT: số, "/", ký hiệu viết hoa, không có dấu cách)`,
      `invalid ${what.en}: "${v}" (expected e.g. 125/VPCP-KSTT: number, "/", upper-case symbol, no spaces)`,
    );
  }
  return v;
}

function checkCommon(d: LetterCommon): void {
  need(d?.issuer?.name, 'tên cơ quan ban hành', 'issuing agency name');
  need(d.to?.name, 'tên cơ quan nhận (Kính gửi)', 'addressee agency name');
  checkNumberSymbol(d.numberSymbol, { vi: 'số, ký hiệu', en: 'number and symbol' });
  need(d.place, 'địa danh', 'place name');
  needDate(d.date, 'ngày ban hành', 'issue date');
  need(d.signatory?.position, 'chức vụ người ký', 'signatory position');
  need(d.signatory.fullName, 'họ tên người ký', 'signatory full name');
  if (d.copyTo !== undefined && (!Array.isArray(d.copyTo) || d.copyTo.some((c) => typeof c !== 'string'))) {
    throw new KysoError('INVALID_ARGUMENT', 'Danh sách nơi nhận không hợp lệ', 'copyTo must be a list of strings');
  }
}

function checkCase(c: PaknCaseRef): void {
  need(c?.code, 'mã phản ánh, kiến nghị', 'case code');
  need(c.submitter?.name, 'tên người phản ánh, kiến nghị', 'submitter name');
  need(c.subject, 'nội dung tóm tắt (về việc)', 'case subject');
}

// ---------------------------------------------------------------------------------------------------------------
// Layout

const MARGINS = { top: mm(20), bottom: mm(20), left: mm(30), right: mm(15) };
const LEFT_COLUMN = mm(65);
const BODY: TextStyle = { size: 14 };
const BODY_OPTS = { align: 'justify', firstLineIndent: mm(12.7), lineHeight: 1.2 } as const;
const PARAGRAPH_GAP = 6;
/** Height between the position title and the name: room for the signature image and the seal. */
const SIGNATURE_GAP = mm(30);
const SIGNATURE_BOX = { width: mm(50), height: mm(25) };

const centred = (text: string, style: TextStyle, width: number): ParagraphLayout =>
  layoutParagraph(text, style, width, { align: 'center' });

/** A rule under a centred block: `fraction` of its widest line, centred, just below the last baseline. */
function ruleUnder(page: ComposedPage, p: ParagraphLayout, x: number, width: number, bottom: number, fraction: number): number {
  const widest = Math.max(...p.lines.map((l) => l.layout.width));
  const len = Math.max(mm(12), widest * fraction);
  const y = bottom + p.pitch - p.ascent - p.style.size * 0.3 - 1;
  page.rule(x + (width - len) / 2, x + (width + len) / 2, y, 0.6);
  return y - 2;
}

interface HeaderText {
  issuer: LetterAgency;
  numberSymbol: string;
  dateLine: string;
  summaryLine: string;
  to: string;
}

function drawHeader(page: ComposedPage, frame: Frame, h: HeaderText): number {
  const leftX = frame.left;
  const leftW = LEFT_COLUMN;
  const rightX = frame.left + LEFT_COLUMN;
  const rightW = frame.right - rightX;

  // Left: governing body (regular), issuing body (bold), short rule.
  let yl = frame.top;
  if (h.issuer.parentName?.trim()) yl = page.drawParagraph(centred(upper(h.issuer.parentName), { size: 12 }, leftW), leftX, yl);
  const issuer = centred(upper(h.issuer.name), { size: 12, bold: true }, leftW);
  yl = page.drawParagraph(issuer, leftX, yl);
  yl = ruleUnder(page, issuer, leftX, leftW, yl, 0.4);

  // Right: national title and motto, the motto's rule as long as the motto.
  let yr = page.drawParagraph(centred('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 12, bold: true }, rightW), rightX, frame.top);
  const motto = centred('Độc lập - Tự do - Hạnh phúc', { size: 13, bold: true }, rightW);
  yr = page.drawParagraph(motto, rightX, yr);
  yr = ruleUnder(page, motto, rightX, rightW, yr, 1);

  // Number and date on one line, below both columns.
  let y = Math.min(yl, yr) - 6;
  const numberLine = centred(`Số: ${h.numberSymbol}`, { size: 13 }, leftW);
  const dateLine = centred(h.dateLine, { size: 13, italic: true }, rightW);
  const yn = page.drawParagraph(numberLine, leftX, y);
  const yd = page.drawParagraph(dateLine, rightX, y);
  // Trích yếu under the number, 6 pt below it.
  y = page.drawParagraph(centred(h.summaryLine, { size: 12 }, leftW), leftX, yn - 6);
  y = Math.min(y, yd) - 18;

  // Kính gửi, centred on the text area (wrapped if the agency name is long).
  const to = layoutParagraph(`Kính gửi: ${h.to}`, { size: 14 }, frame.right - frame.left - mm(20), { align: 'center' });
  y = page.drawParagraph(to, frame.left + mm(10), y);
  return y - 12;
}

interface ClosingText {
  signatory: LetterSignatory;
  copyTo: readonly string[];
  archive: string;
}

/** Nơi nhận (left) and the signer block (right): laid out first, so the body can keep its end with it. */
interface ClosingBlock {
  /** Height including the gap above it. */
  height: number;
  /** Draws the block at the flow's cursor (on a new page if it does not fit); returns the signature placement. */
  draw(flow: TextFlow): SignaturePlacement;
}

function layoutClosing(f: Frame, c: ClosingText): ClosingBlock {
  const half = (f.right - f.left) / 2;
  const rightX = f.left + half;

  const recipients = layoutParagraph('Nơi nhận:', { size: 12, bold: true, italic: true }, half - mm(5));
  const entries = [...c.copyTo.map((e) => `- ${e.trim().replace(/[;.]$/, '')};`), `- Lưu: ${c.archive.replace(/[;.]$/, '')}.`].map((e) =>
    layoutParagraph(e, { size: 11 }, half - mm(5), { lineHeight: 1.15 }),
  );
  const leftHeight = recipients.height + entries.reduce((n, e) => n + e.height, 0);

  const bold14: TextStyle = { size: 14, bold: true };
  const above = [c.signatory.competence, c.signatory.position]
    .filter((s): s is string => Boolean(s?.trim()))
    .map((s) => centred(upper(s.trim()), bold14, half));
  const name = centred(c.signatory.fullName.trim(), bold14, half);
  const aboveHeight = above.reduce((n, p) => n + p.height, 0);
  const height = Math.max(leftHeight, aboveHeight + SIGNATURE_GAP + name.height);

  return {
    height: height + PARAGRAPH_GAP,
    draw(flow) {
      flow.space(PARAGRAPH_GAP);
      flow.keep(height);
      const page = flow.page;
      const top = flow.y;

      let yl = page.drawParagraph(recipients, f.left, top);
      for (const e of entries) yl = page.drawParagraph(e, f.left, yl);

      let yr = top;
      for (const p of above) yr = page.drawParagraph(p, rightX, yr);
      const boxTop = yr - (SIGNATURE_GAP - SIGNATURE_BOX.height) / 2;
      const rect: XYWH = [
        r3(rightX + (half - SIGNATURE_BOX.width) / 2),
        r3(boxTop - SIGNATURE_BOX.height),
        r3(SIGNATURE_BOX.width),
        r3(SIGNATURE_BOX.height),
      ];
      yr = page.drawParagraph(name, rightX, yr - SIGNATURE_GAP);
      flow.y = Math.min(yl, yr);
      return { page: page.index, rect };
    },
  };
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

interface LetterText extends HeaderText, ClosingText {
  title: string;
  author: string;
  createdAt: Date;
  body: { text: string; style?: TextStyle }[];
}

function composeLetter(t: LetterText): ComposedLetter {
  const doc = new DocumentComposer({ size: A4, info: { title: t.title, author: t.author, createdAt: t.createdAt } });
  const frame = frameOf(A4, MARGINS);
  const flow = new TextFlow(doc, frame, {
    // Decree 30: page numbers centred in the top margin, none on page 1.
    onNewPage: (page) => {
      const n = layoutParagraph(String(page.index + 1), { size: 13 }, frame.right - frame.left, { align: 'center' });
      page.drawParagraph(n, frame.left, A4.height - mm(10));
    },
  });
  flow.y = drawHeader(flow.page, frame, t);
  const closing = layoutClosing(frame, t);
  t.body.forEach((p, i) => {
    if (i > 0) flow.space(PARAGRAPH_GAP);
    flow.paragraph(p.text, p.style ?? BODY, BODY_OPTS, i === t.body.length - 1 ? closing.height : 0);
  });
  const signature = closing.draw(flow);
  const pdf = doc.finish();
  return { pdf, pageCount: doc.pages.length, signature };
}

function closingOf(d: LetterCommon): ClosingText {
  return {
    signatory: d.signatory,
    copyTo: ['Như trên', ...(d.copyTo ?? []).map((c) => c.trim()).filter(Boolean)],
    archive: d.archive?.trim() || 'VT',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The two letters

export const DEFAULT_SYSTEM_NAME = 'Hệ thống tiếp nhận, trả lời phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia';
export const DEFAULT_LEGAL_BASIS =
  'Thực hiện Nghị định số 20/2008/NĐ-CP ngày 14 tháng 02 năm 2008 của Chính phủ về tiếp nhận, xử lý phản ánh, ' +
  'kiến nghị của cá nhân, tổ chức về quy định hành chính (được sửa đổi, bổ sung bởi Nghị định số 48/2013/NĐ-CP)';

/** VPCP's letter transferring a PAKN case to the competent agency. See the module comment. */
export function composeRoutingLetter(d: RoutingLetterData): ComposedLetter {
  checkCommon(d);
  checkCase(d.case);
  const receivedAt = needDate(d.case.receivedAt, 'ngày tiếp nhận phản ánh, kiến nghị', 'case reception date');
  const deadline = needDate(d.answerDeadline, 'hạn trả lời', 'answer deadline');
  const summary = paragraphs(need(d.case.summary, 'nội dung phản ánh, kiến nghị', 'case summary'));
  const numberSymbol = d.numberSymbol.normalize('NFC');
  const issuer = d.issuer.name.trim();
  const to = d.to.name.trim();
  const who = submitterPhrase(d.case.submitter);
  const address = d.case.submitter.address?.trim();
  const system = d.systemName?.trim() || DEFAULT_SYSTEM_NAME;
  const basis = (d.legalBasis?.trim() || DEFAULT_LEGAL_BASIS).replace(/[,.\s]+$/, '');
  const code = d.case.code.trim();

  const body: LetterText['body'] = [
    {
      text:
        `${issuer} nhận được phản ánh, kiến nghị của ${who}${address ? ` (địa chỉ: ${address})` : ''} ` +
        `về ${d.case.subject.trim()}, mã số ${code}, tiếp nhận ${vietnameseDate(receivedAt)}. ` +
        'Nội dung phản ánh, kiến nghị như sau:',
    },
    ...summary.map((s, i) => ({
      text: `${i === 0 ? '“' : ''}${s}${i === summary.length - 1 ? '”' : ''}`,
      style: { size: 14, italic: true },
    })),
    {
      text: `${basis}, ${issuer} chuyển phản ánh, kiến nghị nêu trên đến ${to} để xem xét, xử lý theo thẩm quyền.`,
    },
    {
      text: endMark(
        `Đề nghị ${to} trả lời phản ánh, kiến nghị (ghi rõ mã số ${code}) chậm nhất vào ${vietnameseDateTime(deadline)} ` +
          `(hạn trả lời: ${formatSigningTime(deadline)}) bằng văn bản có chữ ký số của người có thẩm quyền và của cơ quan, ` +
          `gửi qua ${system}; trường hợp phản ánh, kiến nghị không thuộc thẩm quyền, đề nghị thông báo lại qua Hệ thống ` +
          `để ${issuer} chuyển cơ quan có thẩm quyền xử lý`,
      ),
    },
  ];
  return composeLetter({
    title: `Công văn số ${numberSymbol}: chuyển phản ánh, kiến nghị ${code}`,
    author: d.documentInfo?.author ?? issuer,
    createdAt: d.documentInfo?.createdAt ?? d.date,
    issuer: d.issuer,
    numberSymbol,
    dateLine: `${d.place.trim()}, ${vietnameseDate(d.date)}`,
    summaryLine: `V/v chuyển phản ánh, kiến nghị của ${who}`,
    to,
    body,
    ...closingOf(d),
  });
}

/** The competent agency's answer to VPCP. See the module comment. */
export function composeReplyLetter(d: ReplyLetterData): ComposedLetter {
  checkCommon(d);
  checkCase(d.case);
  const ref = checkNumberSymbol(d.inReplyTo?.numberSymbol, { vi: 'số, ký hiệu văn bản được trả lời', en: 'number and symbol of the letter answered' });
  const refDate = needDate(d.inReplyTo.date, 'ngày của văn bản được trả lời', 'date of the letter answered');
  if (!Array.isArray(d.answer)) {
    throw new KysoError('INVALID_ARGUMENT', 'Nội dung trả lời phải là danh sách đoạn văn', 'answer must be a list of paragraphs');
  }
  const answer = d.answer.flatMap((a) => paragraphs(String(a)));
  if (answer.length === 0) need('', 'nội dung trả lời', 'answer text');
  const numberSymbol = d.numberSymbol.normalize('NFC');
  const issuer = d.issuer.name.trim();
  const to = d.to.name.trim();
  const who = submitterPhrase(d.case.submitter);
  const code = d.case.code.trim();
  const closing =
    d.closing?.trim() ||
    `${issuer} trân trọng đề nghị ${to} đăng tải nội dung trả lời trên Cổng Dịch vụ công quốc gia theo quy định`;

  const body: LetterText['body'] = [
    {
      text:
        `${issuer} nhận được Công văn số ${ref} ${vietnameseDate(refDate)} của ${to} chuyển phản ánh, kiến nghị ` +
        `của ${who} (mã số ${code}) về ${d.case.subject.trim()}. Sau khi nghiên cứu, ${issuer} trả lời như sau:`,
    },
    ...answer.map((text) => ({ text })),
    { text: endMark(closing) },
  ];
  return composeLetter({
    title: `Công văn số ${numberSymbol}: trả lời phản ánh, kiến nghị ${code}`,
    author: d.documentInfo?.author ?? issuer,
    createdAt: d.documentInfo?.createdAt ?? d.date,
    issuer: d.issuer,
    numberSymbol,
    dateLine: `${d.place.trim()}, ${vietnameseDate(d.date)}`,
    summaryLine: `V/v trả lời phản ánh, kiến nghị của ${who}`,
    to,
    body,
    ...closingOf(d),
  });
}
