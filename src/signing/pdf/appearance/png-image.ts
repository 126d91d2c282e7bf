// PNG → PDF image XObject (ISO 32000-1 §8.9.5), with the alpha channel as a separate soft mask (§11.6.5.3).
// Signature and seal images are transparent PNGs; the mask is what lets the seal sit over the signature and the
// page text show through both.
//
// pngjs decodes every PNG flavour (palette, grey, 16-bit, interlaced, tRNS) to 8-bit RGBA, which we split into
// colour and alpha planes. We do not pass PNG data through with predictors: the images are small and mostly
// empty, so plain Flate of the planes is compact enough and the code stays obvious. Colour management chunks
// (gAMA, iCCP, sRGB) are ignored: the images are drawn as DeviceRGB / DeviceGray.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { KysoError } from '../../../errors.ts';
import { N, PdfDict, PdfRef, PdfStream } from '../../../pdf/objects.ts';
import type { ObjectSink } from './types.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Signature and seal images never need more; the cap stops a decompression bomb from exhausting memory. */
export const MAX_PNG_PIXELS = 16_000_000;
export const MAX_PNG_SIDE = 10_000;

/** Points per metre (72 pt per inch). */
const PT_PER_M = 72 / 0.0254;

export interface PngInfo {
  widthPx: number;
  heightPx: number;
  /** Physical size from a pHYs chunk with unit "metre", in points; undefined without one (or with unit 0). */
  physicalSizePt?: { width: number; height: number };
}

export interface DecodedPng extends PngInfo {
  /** True for grey PNGs (colour types 0 and 4): drawn as DeviceGray. */
  gray: boolean;
  /** True if some pixel is not fully opaque: an /SMask is written. */
  hasAlpha: boolean;
  /** Colour plane, 1 (grey) or 3 (RGB) bytes per pixel, rows top to bottom. */
  color: Buffer;
  /** Alpha plane, 1 byte per pixel; undefined when fully opaque. */
  alpha?: Buffer;
}

export interface EmbeddedPng extends PngInfo {
  /** The image XObject. */
  ref: PdfRef;
  hasAlpha: boolean;
}

function invalid(vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('IMAGE_INVALID', `Ảnh PNG không hợp lệ: ${vi}`, `invalid PNG image: ${en}`, { cause });
}

/**
 * Walks the chunk list (without decoding pixels): checks the signature and IHDR, enforces the size caps and reads
 * pHYs. Cheap enough to call just to size a layout.
 */
export function readPngInfo(png: Uint8Array): PngInfo {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 33 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) throw invalid('sai chữ ký tệp', 'bad signature');
  if (b.toString('latin1', 12, 16) !== 'IHDR') throw invalid('thiếu IHDR', 'IHDR is not the first chunk');
  const widthPx = b.readUInt32BE(16);
  const heightPx = b.readUInt32BE(20);
  if (widthPx === 0 || heightPx === 0) throw invalid('kích thước bằng 0', 'zero width or height');
  if (widthPx > MAX_PNG_SIDE || heightPx > MAX_PNG_SIDE || widthPx * heightPx > MAX_PNG_PIXELS) {
    throw invalid(
      `ảnh quá lớn (${widthPx}×${heightPx} điểm ảnh)`,
      `image too large (${widthPx}×${heightPx} px; at most ${MAX_PNG_SIDE} per side and ${MAX_PNG_PIXELS} in all)`,
    );
  }
  let physicalSizePt: PngInfo['physicalSizePt'];
  for (let at = 8; at + 12 <= b.length; ) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > b.length) throw invalid('tệp bị cắt cụt', 'truncated chunk ' + JSON.stringify(type));
    if (type === 'pHYs' && len === 9) {
      const ppmX = b.readUInt32BE(at + 8);
      const ppmY = b.readUInt32BE(at + 12);
      const unit = b[at + 16];
      if (unit === 1 && ppmX > 0 && ppmY > 0) {
        physicalSizePt = { width: (widthPx / ppmX) * PT_PER_M, height: (heightPx / ppmY) * PT_PER_M };
      }
    }
    if (type === 'IDAT' || type === 'IEND') break; // pHYs must precede IDAT
    at += 12 + len;
  }
  return { widthPx, heightPx, physicalSizePt };
}

/** Decodes a PNG into colour and alpha planes. Throws IMAGE_INVALID for anything pngjs or readPngInfo rejects. */
export function decodePng(png: Uint8Array): DecodedPng {
  const info = readPngInfo(png);
  let decoded: ReturnType<typeof PNG.sync.read>;
  try {
    decoded = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  } catch (e) {
    throw invalid('không giải mã được', `cannot decode (${(e as Error).message})`, e);
  }
  const { width, height, data } = decoded;
  const n = width * height;
  const gray = decoded.colorType === 0 || decoded.colorType === 4;
  const comps = gray ? 1 : 3;
  const color = Buffer.allocUnsafe(n * comps);
  const alpha = Buffer.allocUnsafe(n);
  let translucent = false;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    if (gray) color[i] = data[p];
    else {
      color[i * 3] = data[p];
      color[i * 3 + 1] = data[p + 1];
      color[i * 3 + 2] = data[p + 2];
    }
    alpha[i] = data[p + 3];
    if (data[p + 3] !== 255) translucent = true;
  }
  return { ...info, gray, hasAlpha: translucent, color, alpha: translucent ? alpha : undefined };
}

/** An image ready to embed: its facts plus the deflated planes, the part that is costly to compute. */
export interface PreparedPng extends PngInfo {
  gray: boolean;
  hasAlpha: boolean;
  color: Uint8Array;
  alpha?: Uint8Array;
}

function prepare(img: DecodedPng): PreparedPng {
  return {
    widthPx: img.widthPx,
    heightPx: img.heightPx,
    physicalSizePt: img.physicalSizePt,
    gray: img.gray,
    hasAlpha: img.hasAlpha,
    color: deflateSync(img.color),
    alpha: img.alpha ? deflateSync(img.alpha) : undefined,
  };
}

// A clerk signs many documents with the same signature or seal image: decoding and re-deflating it each
// time costs ~8 ms. Keep the prepared form of the last few images, keyed by the PNG's SHA-256.
const CACHE_SIZE = 16;
const cache = new Map<string, PreparedPng>();

/** Decodes and deflates a PNG once; later calls with the same bytes are served from a small LRU cache. */
export function preparePng(png: Uint8Array): PreparedPng {
  const key = createHash('sha256').update(png).digest('hex');
  let p = cache.get(key);
  if (p) cache.delete(key);
  else p = prepare(decodePng(png));
  cache.set(key, p);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return p;
}

/** Writes the image XObject (and its /SMask when the PNG has transparency) and returns its reference. */
export function embedPreparedPng(sink: ObjectSink, img: PreparedPng): EmbeddedPng {
  const imageDict = (colorSpace: string) =>
    new PdfDict({
      Type: N('XObject'),
      Subtype: N('Image'),
      Width: img.widthPx,
      Height: img.heightPx,
      ColorSpace: N(colorSpace),
      BitsPerComponent: 8,
      Filter: N('FlateDecode'),
    });
  const dict = imageDict(img.gray ? 'DeviceGray' : 'DeviceRGB');
  if (img.alpha) dict.set('SMask', sink.add(new PdfStream(imageDict('DeviceGray'), img.alpha)));
  const ref = sink.add(new PdfStream(dict, img.color));
  return {
    ref,
    widthPx: img.widthPx,
    heightPx: img.heightPx,
    physicalSizePt: img.physicalSizePt,
    hasAlpha: img.hasAlpha,
  };
}

/** PNG bytes → image XObject in `sink`, with pixel size and (if the PNG says) physical size in points. */
export function embedPng(sink: ObjectSink, png: Uint8Array): EmbeddedPng {
  return embedPreparedPng(sink, preparePng(png));
}
