// Signature widget appearances (the Form XObject that becomes the widget's /AP /N) for the three Decree 30/2020
// cases: the competent person's blue signature image, the agency's red seal over it, and the top-right text
// stamp of separate attachments and electronic copies. Plus 'none' for invisible signatures.
//
// All placement is done in the DISPLAYED page (see geometry.ts); the returned /Rect is in default user space and
// the Form XObject carries a /Matrix on rotated pages, so appearances are upright for /Rotate 0/90/180/270.
//
// Default positions (A4 portrait numbers; all derived from the displayed page size):
//   signer — Decree 30 puts the signature block in the right half of the text area, the image centred between
//            the position title and the name. The text area is 30 mm from the left edge to 20 mm from the right
//            edge (Appendix I margins); we take a 50 × 25 mm box centred in the right half of it, its bottom
//            70 mm above the bottom edge (room for the name and the bottom margin below). On A4 that is
//            x 354.4–496.1 pt, y 198.4–269.3 pt. The image is fitted into the box (aspect kept, centred) and the
//            /Rect is shrunk to the drawn image, so a later seal placed on "the left third of the signer's
//            widget" really covers the left third of the signature. Real documents should pass `rect`.
//   seal   — real physical size: `diameterMm` if given, else the PNG's pHYs, else 35 mm wide [inf: common
//            round agency seals are 35–42 mm; 35 mm matches our fixture]. Placed so its right edge is at one
//            third of the signer rect's width, i.e. it covers the signature's left third, and vertically centred
//            on it (Decree 30 Art. 33: the seal covers about one third of the signature, on the left). Without
//            `signerRect` the default signer box is used. Kept inside the page.
//   stamp  — Tinos (Times New Roman metrics) 10 pt, black, upright, lines right-aligned; the block's top-right
//            corner sits `marginMm` (default 10 mm) from the top and right edges: inside the decree's 20–25 mm
//            top margin, so it sits above the body text. Line pitch 1.15 × size (single spacing).
import { deflateSync } from 'node:zlib';
import { KysoError } from '../../../errors.ts';
import { N, PdfDict, PdfStream, type PdfObject } from '../../../pdf/objects.ts';
import { formatNumber } from '../../../pdf/serialize.ts';
import { FontEmbedder, layoutLine, type LineLayout } from './fonts.ts';
import {
  checkPage,
  checkRect,
  displayedSize,
  mm,
  pageRotation,
  toUserRect,
  uprightMatrix,
  type Rotation,
} from './geometry.ts';
import { embedPreparedPng, preparePng, type PreparedPng } from './png-image.ts';
import type { AppearanceSpec, BuiltAppearance, ObjectSink, PageGeometry, XYWH } from './types.ts';

export type { AppearanceSpec, BuiltAppearance, ObjectSink, PageGeometry, PdfRect, XYWH } from './types.ts';
export { toDisplayedRect } from './geometry.ts';

export const DEFAULT_SEAL_DIAMETER_MM = 35;
export const DEFAULT_STAMP_FONT_SIZE = 10;
export const DEFAULT_STAMP_MARGIN_MM = 10;
/** Line pitch of the stamp as a multiple of the font size. */
export const STAMP_LINE_PITCH = 1.15;

const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const fmt = (...v: number[]): string => v.map(formatNumber).join(' ');

/** The default signer box (x, y, w, h, displayed coordinates); see the module comment. */
export function defaultSignerRect(page: PageGeometry): XYWH {
  checkPage(page);
  const { width } = displayedSize(page);
  const left = mm(30);
  const right = width - mm(20);
  const columnCentre = (left + right) / 2 + (right - left) / 4;
  const w = mm(50);
  const h = mm(25);
  return [r3(columnCentre - w / 2), r3(mm(70)), r3(w), r3(h)];
}

/** Largest w × h box with the image's aspect ratio inside `box`, centred. */
function fitInto(box: XYWH, img: { widthPx: number; heightPx: number }): XYWH {
  const [x, y, bw, bh] = box;
  const s = Math.min(bw / img.widthPx, bh / img.heightPx);
  const w = img.widthPx * s;
  const h = img.heightPx * s;
  return [r3(x + (bw - w) / 2), r3(y + (bh - h) / 2), r3(w), r3(h)];
}

/** Seal size in points: explicit diameter, else pHYs, else the 35 mm default; height follows the aspect ratio. */
export function sealSize(
  img: { widthPx: number; heightPx: number; physicalSizePt?: { width: number; height: number } },
  diameterMm?: number,
): { width: number; height: number } {
  if (diameterMm !== undefined) {
    if (!(diameterMm >= 5 && diameterMm <= 100)) {
      throw new KysoError(
        'INVALID_ARGUMENT',
        `Đường kính con dấu không hợp lệ: ${diameterMm} mm (5–100 mm)`,
        `invalid seal diameter: ${diameterMm} mm (5–100 mm)`,
      );
    }
    const w = mm(diameterMm);
    return { width: w, height: (w * img.heightPx) / img.widthPx };
  }
  if (img.physicalSizePt) return img.physicalSizePt;
  const w = mm(DEFAULT_SEAL_DIAMETER_MM);
  return { width: w, height: (w * img.heightPx) / img.widthPx };
}

/** Where the seal goes: right edge at one third of the signer rect, vertically centred on it, kept on the page. */
export function sealRect(signer: XYWH, size: { width: number; height: number }, page: PageGeometry): XYWH {
  const { width: pw, height: ph } = displayedSize(page);
  const [sx, sy, sw, sh] = signer;
  let x = sx + sw / 3 - size.width;
  let y = sy + sh / 2 - size.height / 2;
  x = Math.max(0, Math.min(x, pw - size.width));
  y = Math.max(0, Math.min(y, ph - size.height));
  return [r3(x), r3(y), r3(size.width), r3(size.height)];
}

/** Writes the Form XObject: content deflated, /Matrix for rotated pages. */
function addForm(
  sink: ObjectSink,
  rotation: Rotation,
  w: number,
  h: number,
  content: string,
  resources: PdfDict,
): ReturnType<ObjectSink['add']> {
  const dict = new PdfDict({
    Type: N('XObject'),
    Subtype: N('Form'),
    FormType: 1,
    BBox: [0, 0, w, h],
    Resources: resources,
  });
  const m = uprightMatrix(rotation, w, h);
  if (m) dict.set('Matrix', m);
  if (!content) return sink.add(new PdfStream(dict, new Uint8Array(0)));
  dict.set('Filter', N('FlateDecode'));
  return sink.add(new PdfStream(dict, deflateSync(Buffer.from(content, 'latin1'))));
}

/** An image appearance: `img` drawn to fill the w × h of `rect` exactly (the caller already fitted it). */
function imageAppearance(
  sink: ObjectSink,
  img: PreparedPng,
  rect: XYWH,
  drawn: XYWH,
  page: PageGeometry,
  rotation: Rotation,
): BuiltAppearance {
  const embedded = embedPreparedPng(sink, img);
  const [, , w, h] = rect;
  // The image, relative to the form's origin.
  const dx = r3(drawn[0] - rect[0]);
  const dy = r3(drawn[1] - rect[1]);
  const content = `q ${fmt(drawn[2], 0, 0, drawn[3], dx, dy)} cm /Im1 Do Q\n`;
  const resources = new PdfDict({ XObject: new PdfDict({ Im1: embedded.ref }) });
  return { rect: userRect(rect, page), ap: addForm(sink, rotation, w, h, content, resources) };
}

function userRect(rect: XYWH, page: PageGeometry): BuiltAppearance['rect'] {
  return toUserRect(rect, page).map(r3) as BuiltAppearance['rect'];
}

export interface StampLayout {
  lines: LineLayout[];
  width: number;
  height: number;
  /** Baseline of the first line, from the bottom of the box. */
  firstBaseline: number;
  pitch: number;
}

/** Lays out the stamp lines and sizes the box so stacked accents and descenders are inside the BBox. */
export function layoutStamp(lines: readonly string[], fontSize = DEFAULT_STAMP_FONT_SIZE): StampLayout {
  if (!Array.isArray(lines) || lines.length === 0 || lines.some((l) => typeof l !== 'string')) {
    throw new KysoError('INVALID_ARGUMENT', 'Dấu văn bản cần ít nhất một dòng chữ', 'a text stamp needs at least one line');
  }
  if (!(fontSize >= 4 && fontSize <= 72)) {
    throw new KysoError('INVALID_ARGUMENT', `Cỡ chữ không hợp lệ: ${fontSize} (4–72)`, `invalid font size: ${fontSize} (4–72)`);
  }
  const laid = lines.map((l) => layoutLine(l, fontSize));
  const pitch = fontSize * STAMP_LINE_PITCH;
  const top = laid[0].ascent;
  const bottom = laid[laid.length - 1].descent;
  const width = r3(Math.max(...laid.map((l) => l.width)));
  const height = r3(top + (laid.length - 1) * pitch + bottom);
  return { lines: laid, width, height, firstBaseline: height - top, pitch };
}

/**
 * Builds the appearance for `spec` on `page`: writes the Form XObject (and its images and fonts) to `sink` and
 * returns it with the widget /Rect. Throws KysoError IMAGE_INVALID, FONT_MISSING_GLYPH or INVALID_ARGUMENT.
 */
export function buildAppearance(sink: ObjectSink, spec: AppearanceSpec, page: PageGeometry): BuiltAppearance {
  checkPage(page);
  const rotation = pageRotation(page);
  switch (spec.kind) {
    case 'none':
      // Invisible signature: zero-size widget, empty appearance (PDF 2.0 §12.7.5.5 still wants an /AP).
      return { rect: [0, 0, 0, 0], ap: addForm(sink, 0, 0, 0, '', new PdfDict()) };

    case 'signer': {
      checkRect(spec.rect, 'chữ ký / signer');
      const img = preparePng(spec.image);
      const drawn = fitInto(spec.rect ?? defaultSignerRect(page), img);
      return imageAppearance(sink, img, drawn, drawn, page, rotation);
    }

    case 'seal': {
      checkRect(spec.rect, 'con dấu / seal');
      checkRect(spec.signerRect, 'chữ ký / signer');
      const img = preparePng(spec.image);
      if (spec.rect) {
        // Explicit placement: the widget is exactly `rect`, the seal fitted and centred in it.
        return imageAppearance(sink, img, spec.rect, fitInto(spec.rect, img), page, rotation);
      }
      const rect = sealRect(spec.signerRect ?? defaultSignerRect(page), sealSize(img, spec.diameterMm), page);
      return imageAppearance(sink, img, rect, rect, page, rotation);
    }

    case 'stamp': {
      const marginMm = spec.marginMm ?? DEFAULT_STAMP_MARGIN_MM;
      if (!(marginMm >= 0 && marginMm <= 100)) {
        throw new KysoError('INVALID_ARGUMENT', `Lề không hợp lệ: ${marginMm} mm`, `invalid margin: ${marginMm} mm`);
      }
      const layout = layoutStamp(spec.lines, spec.fontSize ?? DEFAULT_STAMP_FONT_SIZE);
      const { width: pw, height: ph } = displayedSize(page);
      const margin = mm(marginMm);
      if (layout.width > pw - 2 * margin || layout.height > ph - 2 * margin) {
        throw new KysoError(
          'INVALID_ARGUMENT',
          'Dòng chữ của dấu quá dài so với trang',
          `stamp text (${layout.width.toFixed(1)} × ${layout.height.toFixed(1)} pt) does not fit the page`,
        );
      }
      const fonts = new FontEmbedder();
      let content = '0 g\n'; // black: only the signer's image is coloured (Decree 30 §4)
      layout.lines.forEach((line, i) => {
        if (line.runs.length === 0) return;
        content += fonts.showLine(line, r3(layout.width - line.width), r3(layout.firstBaseline - i * layout.pitch));
      });
      const rect: XYWH = [r3(pw - margin - layout.width), r3(ph - margin - layout.height), layout.width, layout.height];
      const resources = new PdfDict();
      if (!fonts.isEmpty) resources.set('Font', fonts.finish(sink) as PdfObject);
      return {
        rect: userRect(rect, page),
        ap: addForm(sink, rotation, layout.width, layout.height, content, resources),
      };
    }

    default: {
      const kind = (spec as { kind?: unknown }).kind;
      throw new KysoError(
        'INVALID_ARGUMENT',
        `Loại hiển thị chữ ký không hợp lệ: ${String(kind)}`,
        `unknown appearance kind: ${String(kind)}`,
      );
    }
  }
}
