// Shared types of the appearance builders. The builders only create PDF objects; whoever owns the output file
// (the incremental writer) allocates object numbers and serialises them through an ObjectSink.
import type { PdfObject, PdfRef } from '../../../pdf/objects.ts';

/** Allocates a new indirect object holding `obj` and returns its reference. */
export interface ObjectSink {
  add(obj: PdfObject): PdfRef;
}

/** A rectangle as x, y, width, height in points, origin bottom-left. */
export type XYWH = [number, number, number, number];

/** An annotation rectangle as /Rect writes it: [x1, y1, x2, y2] in default user space. */
export type PdfRect = [number, number, number, number];

/**
 * The page the widget goes on. `width`/`height` are the MediaBox (CropBox) size as stored, i.e. before /Rotate;
 * the box origin is assumed to be (0, 0) — for a box like [10 10 605 852] the caller adds the origin to the
 * returned rect. `rotate` is the page's /Rotate (a multiple of 90; default 0).
 */
export interface PageGeometry {
  width: number;
  height: number;
  rotate?: number;
}

/**
 * What to draw. Every rect here is x, y, w, h in points in the page's DISPLAYED coordinate system (origin at the
 * bottom-left of the page as a viewer shows it after /Rotate). For the usual /Rotate 0 that is plain default user
 * space. Use `toDisplayedRect` to turn a widget /Rect found in the file into this system.
 */
export type AppearanceSpec =
  | { kind: 'none' }
  | {
      kind: 'signer';
      /** The competent person's handwritten signature, blue, transparent PNG. */
      image: Buffer;
      /** The box to fit the image into (aspect ratio kept, centred). Default: see `defaultSignerRect`. */
      rect?: XYWH;
    }
  | {
      kind: 'seal';
      /** The agency seal, red, transparent PNG. */
      image: Buffer;
      /** Displayed rect of the competent person's signature widget; the seal covers its left third. */
      signerRect?: XYWH;
      /** Explicit placement; used as is (the image is fitted into it, aspect ratio kept). */
      rect?: XYWH;
      /** Physical seal width in mm; wins over the PNG's pHYs. Neither given: 35 mm. */
      diameterMm?: number;
    }
  | {
      kind: 'stamp';
      /** The Decree 30 §4 text lines, top to bottom (see stamp-text.ts). */
      lines: string[];
      /** Font size in points; default 10 (Decree 30: Times New Roman 10 pt). */
      fontSize?: number;
      /** Distance of the text block from the top and right page edges in mm; default 10. */
      marginMm?: number;
    };

/** The widget's /Rect (default user space, unrotated) and the Form XObject to use as its /AP /N. */
export interface BuiltAppearance {
  rect: PdfRect;
  ap: PdfRef;
}
