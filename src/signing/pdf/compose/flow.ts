// Top-to-bottom flow of paragraphs through a text frame, continuing on new pages: the body of a letter that may
// run to several pages. A cursor (`y`, the top of the free space) moves down; a line that would cross the bottom
// margin starts a new page, and blocks that must stay whole (a signature block) are moved as a unit.
import { KysoError } from '../../../errors.ts';
import type { ComposedPage, DocumentComposer } from './document.ts';
import { layoutParagraph, type ParagraphLayout, type ParagraphOptions, type TextStyle } from './text-layout.ts';

/** The text area of every page, in points from the bottom-left corner. */
export interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Page margins in points. */
export interface Margins {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function frameOf(size: { width: number; height: number }, m: Margins): Frame {
  const f = { left: m.left, right: size.width - m.right, top: size.height - m.top, bottom: m.bottom };
  if (!(f.right - f.left >= 36 && f.top - f.bottom >= 36)) {
    throw new KysoError('INVALID_ARGUMENT', 'Lề trang quá lớn so với khổ giấy', 'page margins leave no text area');
  }
  return f;
}

export interface FlowOptions {
  /** Called for each page the flow opens after the first (e.g. to draw a page number in the top margin). */
  onNewPage?: (page: ComposedPage) => void;
}

export class TextFlow {
  private current: ComposedPage;
  /** Top of the free space on the current page. */
  y: number;

  constructor(
    private readonly doc: DocumentComposer,
    readonly frame: Frame,
    private readonly opts: FlowOptions = {},
    page?: ComposedPage,
  ) {
    this.current = page ?? doc.addPage();
    this.y = frame.top;
  }

  get page(): ComposedPage {
    return this.current;
  }

  get width(): number {
    return this.frame.right - this.frame.left;
  }

  /** Space left above the bottom margin on the current page. */
  get remaining(): number {
    return this.y - this.frame.bottom;
  }

  newPage(): ComposedPage {
    this.current = this.doc.addPage();
    this.y = this.frame.top;
    this.opts.onNewPage?.(this.current);
    return this.current;
  }

  /** Vertical space; swallowed at the top of a page. */
  space(pt: number): void {
    if (this.y === this.frame.top) return;
    this.y = Math.max(this.frame.bottom, this.y - pt);
  }

  /** Starts a new page unless `height` points still fit on this one. */
  keep(height: number): void {
    if (height > this.remaining && this.y < this.frame.top) this.newPage();
  }

  /**
   * Lays out and draws a paragraph across the full frame width, breaking between lines onto new pages.
   * A paragraph never leaves a single first line at the bottom of a page (orphan). `keepWithNext` is the height
   * of a block that must follow on the same page as the paragraph's last two lines (a signature block should
   * not stand alone on a page). Returns the layout.
   */
  paragraph(text: string, style: TextStyle, opts: ParagraphOptions = {}, keepWithNext = 0): ParagraphLayout {
    const p = layoutParagraph(text, style, this.width, opts);
    this.place(p, this.frame.left, keepWithNext);
    return p;
  }

  /** Draws an already laid-out paragraph with its box's left edge at `x`, breaking between lines as needed. */
  place(p: ParagraphLayout, x: number, keepWithNext = 0): void {
    const n = p.lines.length;
    if (n > 1 && this.remaining < 2 * p.pitch) this.keep(2 * p.pitch);
    let i = 0;
    while (i < n) {
      const fit = Math.max(0, Math.floor((this.remaining + 1e-6) / p.pitch));
      if (fit === 0) {
        if (this.y === this.frame.top) {
          throw new KysoError('INVALID_ARGUMENT', 'Dòng chữ cao hơn vùng văn bản của trang', 'a text line is taller than the page text area');
        }
        this.newPage();
        continue;
      }
      let to = Math.min(n, i + fit);
      if (keepWithNext > 0 && to === n && (n - i) * p.pitch + keepWithNext > this.remaining && this.y < this.frame.top) {
        // The following block will not fit after the rest of the paragraph: its last two lines go over with it
        // (the whole paragraph when only its first line would stay behind).
        let cut = Math.max(i, n - 2);
        if (i === 0 && cut === 1) cut = 0;
        if (cut > i) this.y = this.current.drawParagraph(p, x, this.y, i, cut);
        i = cut;
        this.newPage();
        continue;
      }
      this.y = this.current.drawParagraph(p, x, this.y, i, to);
      i = to;
    }
  }
}
