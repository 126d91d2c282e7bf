// Writes a fresh PDF (1–N pages) from text and rules drawn at absolute positions: classic xref table, one
// content stream per page (deflated), Tinos fonts embedded once per document as subset Type0/CIDFontType2 fonts
// with ToUnicode (so pdftotext and copy-paste give the Vietnamese text back). No external PDF library.
//
//   const doc = new DocumentComposer({ info: { title: 'Công văn 125/VPCP-KSTT' } });
//   const page = doc.addPage();
//   page.drawParagraph(layoutParagraph('Kính gửi: Bộ Tài chính', { size: 14 }, 400), 85, 700);
//   const bytes = doc.finish();
//
// Coordinates are PDF points, origin bottom-left of the page (no /Rotate). The output is deterministic for the
// same input and creation date (the file /ID is a hash of the body), so tests and caches can compare bytes.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { KysoError } from '../../../errors.ts';
import { formatPdfDate } from '../../../pdf/dates.ts';
import { N, PdfDict, PdfRef, PdfStream, PdfString, type PdfObject } from '../../../pdf/objects.ts';
import { ByteWriter, formatNumber } from '../../../pdf/serialize.ts';
import { FontEmbedder } from '../appearance/fonts.ts';
import type { ObjectSink } from '../appearance/types.ts';
import { OBLIQUE_SHEAR, type LineLayout, type ParagraphLayout, type TextStyle } from './text-layout.ts';

/** ISO 216 A4 portrait in points (210 × 297 mm). */
export const A4 = { width: 595.276, height: 841.89 } as const;

export interface PageSize {
  width: number;
  height: number;
}

export interface DocumentInfo {
  title?: string;
  author?: string;
  subject?: string;
  /** Written as /CreationDate and /ModDate (Vietnam time). Omitted when not given, keeping output reproducible. */
  createdAt?: Date;
  /** BCP 47 language of the text, written as the catalog /Lang. Default "vi-VN". */
  lang?: string;
}

const fmt = (...v: number[]): string => v.map(formatNumber).join(' ');

/** One page being drawn: a content stream under construction. */
export class ComposedPage {
  private content = '0 g 0 G\n';

  constructor(
    private readonly fonts: FontEmbedder,
    /** 0-based index in the document. */
    readonly index: number,
    readonly size: PageSize,
  ) {}

  /** Draws one laid-out line with its baseline starting at (x, y). */
  drawLine(line: LineLayout, x: number, y: number, style?: Pick<TextStyle, 'italic'>): void {
    if (line.runs.length === 0) return;
    if (style?.italic) {
      // Oblique: shear about the baseline, so the line still starts at x.
      this.content += `q 1 0 0 1 ${fmt(x, y)} cm 1 0 ${OBLIQUE_SHEAR} 1 0 0 cm\n${this.fonts.showLine(line, 0, 0)}Q\n`;
    } else {
      this.content += this.fonts.showLine(line, x, y);
    }
  }

  /**
   * Draws lines `from`..`to` (exclusive) of a paragraph laid out by layoutParagraph, its box's left edge at `x`
   * and the top of line `from` at `top`. Returns the y just below the last drawn line.
   */
  drawParagraph(p: ParagraphLayout, x: number, top: number, from = 0, to = p.lines.length): number {
    let y = top;
    for (let i = from; i < to; i++) {
      const line = p.lines[i];
      const baseline = y - p.ascent;
      if (line.words) for (const w of line.words) this.drawLine(w.layout, x + w.x, baseline, p.style);
      else this.drawLine(line.layout, x + line.x, baseline, p.style);
      y -= p.pitch;
    }
    return y;
  }

  /** A solid horizontal rule from x1 to x2 at height y (e.g. under the national motto). */
  rule(x1: number, x2: number, y: number, lineWidth = 0.5): void {
    this.content += `${formatNumber(lineWidth)} w ${fmt(x1, y)} m ${fmt(x2, y)} l S\n`;
  }

  /** @internal The page's content stream operators. */
  get operators(): string {
    return this.content;
  }
}

/** Object numbering for the new file: every object is indirect, numbered in order of creation. */
class ObjectTable implements ObjectSink {
  readonly objects: PdfObject[] = [];
  add(obj: PdfObject): PdfRef {
    this.objects.push(obj);
    return new PdfRef(this.objects.length, 0);
  }
  set(ref: PdfRef, obj: PdfObject): void {
    this.objects[ref.num - 1] = obj;
  }
}

export class DocumentComposer {
  private readonly fonts = new FontEmbedder('F');
  private readonly pageList: ComposedPage[] = [];
  private done = false;

  constructor(private readonly opts: { size?: PageSize; info?: DocumentInfo } = {}) {
    const s = opts.size ?? A4;
    if (!(s.width >= 72 && s.height >= 72 && s.width <= 14400 && s.height <= 14400)) {
      throw new KysoError('INVALID_ARGUMENT', `Khổ trang không hợp lệ: ${s.width}×${s.height}`, `invalid page size: ${s.width}×${s.height}`);
    }
  }

  get pageSize(): PageSize {
    return this.opts.size ?? A4;
  }

  get pages(): readonly ComposedPage[] {
    return this.pageList;
  }

  addPage(): ComposedPage {
    if (this.done) throw new Error('DocumentComposer used after finish()');
    const page = new ComposedPage(this.fonts, this.pageList.length, this.pageSize);
    this.pageList.push(page);
    return page;
  }

  /** Serialises the document. At least one page is required. */
  finish(): Uint8Array {
    if (this.pageList.length === 0) {
      throw new KysoError('INVALID_ARGUMENT', 'Văn bản không có trang nào', 'the document has no pages');
    }
    this.done = true;
    const t = new ObjectTable();
    const pagesRef = t.add(null);
    const fontsRef = t.add(null);
    const kids = this.pageList.map((p) => {
      const contents = t.add(
        new PdfStream(new PdfDict({ Filter: N('FlateDecode') }), deflateSync(Buffer.from(p.operators, 'latin1'))),
      );
      return t.add(
        new PdfDict({
          Type: N('Page'),
          Parent: pagesRef,
          MediaBox: [0, 0, p.size.width, p.size.height],
          Resources: new PdfDict({ Font: fontsRef }),
          Contents: contents,
        }),
      );
    });
    t.set(fontsRef, this.fonts.isEmpty ? new PdfDict() : this.fonts.finish(t));
    t.set(pagesRef, new PdfDict({ Type: N('Pages'), Kids: kids, Count: kids.length }));
    const info = this.opts.info ?? {};
    const catalog = t.add(
      new PdfDict({ Type: N('Catalog'), Pages: pagesRef, Lang: PdfString.text(info.lang ?? 'vi-VN') }),
    );
    const infoDict = new PdfDict({ Producer: PdfString.latin1('kyso') });
    if (info.title) infoDict.set('Title', PdfString.text(info.title));
    if (info.author) infoDict.set('Author', PdfString.text(info.author));
    if (info.subject) infoDict.set('Subject', PdfString.text(info.subject));
    if (info.createdAt) {
      infoDict.set('CreationDate', PdfString.latin1(formatPdfDate(info.createdAt)));
      infoDict.set('ModDate', PdfString.latin1(formatPdfDate(info.createdAt)));
    }
    const infoRef = t.add(infoDict);

    const w = new ByteWriter();
    // The binary comment line marks the file as binary for transfer tools (§7.5.2).
    w.text('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
    const offsets = t.objects.map((o, i) => w.indirect(i + 1, 0, o));
    const body = w.toBuffer();
    // /ID: a hash of the body, so identical documents get identical files (§14.4 only asks for uniqueness).
    const id = createHash('sha256').update(body).digest().subarray(0, 16);
    const tail = new ByteWriter(body.length);
    const xref = tail.offset;
    tail.text(`xref\n0 ${t.objects.length + 1}\n0000000000 65535 f \n`);
    for (const off of offsets) tail.text(`${String(off).padStart(10, '0')} 00000 n \n`);
    tail.text('trailer\n');
    tail.object(
      new PdfDict({
        Size: t.objects.length + 1,
        Root: catalog,
        Info: infoRef,
        ID: [new PdfString(id, true), new PdfString(id, true)],
      }),
    );
    tail.text(`\nstartxref\n${xref}\n%%EOF\n`);
    return Buffer.concat([body, tail.toBuffer()]);
  }
}
