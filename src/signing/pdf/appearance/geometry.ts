// Page geometry for appearances: millimetres, page /Rotate, and the mapping between the DISPLAYED page (what a
// viewer shows after /Rotate, where "top right" and "upright text" are meant) and default user space (where a
// widget's /Rect lives).
//
// /Rotate r turns the page r degrees clockwise for display (ISO 32000-1 §7.7.3.3), annotations included. So that
// an appearance still looks upright, its Form XObject gets a /Matrix rotating it r degrees counter-clockwise,
// with the translation chosen so that the transformed BBox starts at (0, 0). Then (§12.5.5) the viewer maps it
// onto /Rect by translation only, and `q 1 0 0 1 x1 y1 cm /Ap Do Q` in page content draws it identically.
import { KysoError } from '../../../errors.ts';
import type { PageGeometry, PdfRect, XYWH } from './types.ts';

export const PT_PER_MM = 72 / 25.4;
export const mm = (v: number): number => v * PT_PER_MM;

export type Rotation = 0 | 90 | 180 | 270;

/** The page's /Rotate normalised to 0/90/180/270; INVALID_ARGUMENT if it is not a multiple of 90. */
export function pageRotation(page: PageGeometry): Rotation {
  const r = page.rotate ?? 0;
  if (!Number.isInteger(r) || r % 90 !== 0) {
    throw new KysoError('INVALID_ARGUMENT', `Góc xoay trang không hợp lệ: ${r}`, `invalid page /Rotate: ${r}`);
  }
  return (((r % 360) + 360) % 360) as Rotation;
}

/** Validates the page size. */
export function checkPage(page: PageGeometry): void {
  if (!(page.width > 0 && page.height > 0 && Number.isFinite(page.width) && Number.isFinite(page.height))) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Kích thước trang không hợp lệ: ${page.width}×${page.height}`,
      `invalid page size: ${page.width}×${page.height}`,
    );
  }
}

/** Width and height of the page as displayed. */
export function displayedSize(page: PageGeometry): { width: number; height: number } {
  return pageRotation(page) % 180 === 0
    ? { width: page.width, height: page.height }
    : { width: page.height, height: page.width };
}

/** A displayed x, y, w, h rect → the /Rect [x1 y1 x2 y2] in default user space. */
export function toUserRect(r: XYWH, page: PageGeometry): PdfRect {
  const [u, v, w, h] = r;
  const W = page.width;
  const H = page.height;
  switch (pageRotation(page)) {
    case 0:
      return [u, v, u + w, v + h];
    case 90: // displayed (u, v) = (y, W − x)
      return [W - (v + h), u, W - v, u + w];
    case 180: // displayed (u, v) = (W − x, H − y)
      return [W - (u + w), H - (v + h), W - u, H - v];
    case 270: // displayed (u, v) = (H − y, x)
      return [v, H - (u + w), v + h, H - u];
  }
}

/** A /Rect found in the file (any corner order) → x, y, w, h in displayed coordinates; inverse of toUserRect. */
export function toDisplayedRect(rect: PdfRect, page: PageGeometry): XYWH {
  const x1 = Math.min(rect[0], rect[2]);
  const x2 = Math.max(rect[0], rect[2]);
  const y1 = Math.min(rect[1], rect[3]);
  const y2 = Math.max(rect[1], rect[3]);
  const W = page.width;
  const H = page.height;
  switch (pageRotation(page)) {
    case 0:
      return [x1, y1, x2 - x1, y2 - y1];
    case 90:
      return [y1, W - x2, y2 - y1, x2 - x1];
    case 180:
      return [W - x2, H - y2, x2 - x1, y2 - y1];
    case 270:
      return [H - y2, x1, y2 - y1, x2 - x1];
  }
}

/**
 * The Form XObject /Matrix that keeps a w × h appearance upright on the rotated page, or undefined for
 * /Rotate 0. It maps BBox [0 0 w h] onto [0 0 w h] (0°, 180°) or [0 0 h w] (90°, 270°).
 */
export function uprightMatrix(rotation: Rotation, w: number, h: number): number[] | undefined {
  switch (rotation) {
    case 0:
      return undefined;
    case 90:
      return [0, 1, -1, 0, h, 0];
    case 180:
      return [-1, 0, 0, -1, w, h];
    case 270:
      return [0, -1, 1, 0, 0, w];
  }
}

/** Checks a caller-supplied x, y, w, h rect: finite, positive size. */
export function checkRect(r: XYWH | undefined, what: string): void {
  if (r === undefined) return;
  if (!Array.isArray(r) || r.length !== 4 || !r.every(Number.isFinite) || !(r[2] > 0 && r[3] > 0)) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Vùng ${what} không hợp lệ: ${JSON.stringify(r)} (cần [x, y, rộng, cao])`,
      `invalid ${what} rect: ${JSON.stringify(r)} (expected [x, y, w, h] with w, h > 0)`,
    );
  }
}
