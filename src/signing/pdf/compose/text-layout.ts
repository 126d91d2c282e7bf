// Paragraph layout for composed pages: word wrapping into a given width, alignment (left, centre, right,
// justified), first-line indent and a fixed line pitch. Pure measurement: nothing is drawn here.
//
// Glyph lookup and widths come from the Tinos layout in ../appearance/fonts.ts (Times New Roman metrics,
// Vietnamese through three Fontsource subsets). Why this file lives under src/signing although composing a page
// knows nothing of signatures: the font code sits in src/signing/pdf/appearance, and src/pdf (format mechanics,
// the lowest layer) must not import upwards from src/signing. Once fonts.ts moves down to src/pdf/fonts, this
// directory can move to src/pdf/compose unchanged.
//
// Italic: fonts.ts loads only the upright Tinos faces, so `italic` is drawn as an oblique (the upright glyphs
// sheared by 12°, see OBLIQUE_SHEAR) rather than with the true italic face. The text and its extraction are
// unaffected; only the letter shapes differ from a true italic.
import { KysoError } from '../../../errors.ts';
import { layoutLine, loadFaces, normalizeText, type FontWeight, type LineLayout } from '../appearance/fonts.ts';

export type { LineLayout } from '../appearance/fonts.ts';

export interface TextStyle {
  /** Font size in points. */
  size: number;
  bold?: boolean;
  /** Drawn as an oblique (see the module comment). */
  italic?: boolean;
}

export type Align = 'left' | 'center' | 'right' | 'justify';

export interface ParagraphOptions {
  /** Default 'left'. 'justify' stretches every line but the last to the full width. */
  align?: Align;
  /** Indent of the first line in points (positive), applied for every alignment. Default 0. */
  firstLineIndent?: number;
  /** Line pitch as a multiple of the font size. Default 1.15 (single spacing of Times New Roman). */
  lineHeight?: number;
}

/** One word of a justified line, placed at `x` from the left edge of the paragraph box. */
export interface PlacedWord {
  layout: LineLayout;
  x: number;
}

export interface PlacedLine {
  /** The whole line (for left/centre/right and the last line of a justified paragraph). */
  layout: LineLayout;
  /** Start of the line from the left edge of the paragraph box. */
  x: number;
  /** Set for stretched justified lines: the words, each drawn on its own. */
  words?: PlacedWord[];
}

export interface ParagraphLayout {
  style: TextStyle;
  lines: PlacedLine[];
  /** Distance between consecutive baselines, points. */
  pitch: number;
  /** Distance from the top of a line's box to its baseline, points. */
  ascent: number;
  /** lines × pitch: the height the paragraph occupies in a flow. */
  height: number;
  /** Widest line in points (indent included). */
  width: number;
}

export const DEFAULT_LINE_HEIGHT = 1.15;
/** tan 12°: the shear of the oblique used for italic. */
export const OBLIQUE_SHEAR = 0.2126;

export const weightOf = (style: TextStyle): FontWeight => (style.bold ? 700 : 400);

/** Ascent of the Tinos face as a fraction of the size (hhea ascent: 1825/2048 for both weights). */
export function fontAscent(style: TextStyle): number {
  const face = loadFaces(weightOf(style))[0];
  return (face.font.ascent * face.scale) / 1000;
}

/** Lays out one line (no wrapping) in `style`. */
export function measureLine(text: string, style: TextStyle): LineLayout {
  return layoutLine(text, style.size, weightOf(style));
}

/** Splits a word wider than `width` into pieces that fit (characters, as a last resort for URLs and codes). */
function splitLongWord(word: string, style: TextStyle, width: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of word) {
    const next = current + ch;
    if (current && measureLine(next, style).width > width) {
      pieces.push(current);
      current = ch;
    } else current = next;
  }
  if (current) pieces.push(current);
  return pieces;
}

/**
 * Wraps `text` (one paragraph: no line breaks) into lines no wider than `width` points, breaking at spaces;
 * a single word wider than a line is broken between characters. Throws FONT_MISSING_GLYPH for characters
 * Tinos lacks and INVALID_ARGUMENT for control characters (pass paragraphs separately).
 */
export function layoutParagraph(text: string, style: TextStyle, width: number, opts: ParagraphOptions = {}): ParagraphLayout {
  const align = opts.align ?? 'left';
  const indent = opts.firstLineIndent ?? 0;
  const lineHeight = opts.lineHeight ?? DEFAULT_LINE_HEIGHT;
  if (!(width > 0) || !Number.isFinite(width) || !(indent >= 0) || indent >= width || !(lineHeight > 0)) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Khung chữ không hợp lệ (rộng ${width}, thụt đầu dòng ${indent}, giãn dòng ${lineHeight})`,
      `invalid text box (width ${width}, first-line indent ${indent}, line height ${lineHeight})`,
    );
  }
  const words = normalizeText(text).split(' ').filter(Boolean);
  const space = measureLine(' ', style).width;

  // Greedy fill: each line is a list of word layouts.
  const lines: LineLayout[][] = [];
  let current: LineLayout[] = [];
  let currentWidth = 0;
  const available = (): number => (lines.length === 0 ? width - indent : width);
  const pushWord = (w: LineLayout): void => {
    const needed = current.length ? currentWidth + space + w.width : w.width;
    if (current.length && needed > available()) {
      lines.push(current);
      current = [w];
      currentWidth = w.width;
    } else {
      current.push(w);
      currentWidth = needed;
    }
  };
  for (const word of words) {
    const w = measureLine(word, style);
    if (w.width <= width - indent) pushWord(w);
    // Cut at the narrowest line width so every piece fits wherever it lands.
    else for (const piece of splitLongWord(word, style, width - indent)) pushWord(measureLine(piece, style));
  }
  if (current.length || lines.length === 0) lines.push(current);

  const pitch = style.size * lineHeight;
  const placed = lines.map((ws, i): PlacedLine => {
    const lineIndent = i === 0 ? indent : 0;
    const room = width - lineIndent;
    const layout = measureLine(ws.map((w) => w.text).join(' '), style);
    const isLast = i === lines.length - 1;
    if (align === 'justify' && !isLast && ws.length > 1) {
      const inked = ws.reduce((n, w) => n + w.width, 0);
      const gap = (room - inked) / (ws.length - 1);
      let x = lineIndent;
      const words = ws.map((w) => {
        const at = x;
        x += w.width + gap;
        return { layout: w, x: at };
      });
      return { layout, x: lineIndent, words };
    }
    const free = room - layout.width;
    const x = lineIndent + (align === 'center' ? free / 2 : align === 'right' ? free : 0);
    return { layout, x };
  });
  return {
    style,
    lines: placed,
    pitch,
    ascent: fontAscent(style) * style.size,
    height: placed.length * pitch,
    width: Math.max(...placed.map((l) => (l.words ? width : l.x + l.layout.width))),
  };
}
