// Times New Roman–metric text for Vietnamese stamps: layout with Tinos and embedding as subset Type0 fonts.
//
// Decree 30/2020 prescribes Times New Roman. We cannot ship TNR, so we use Tinos (Apache/OFL, metrically
// compatible with TNR) from @fontsource/tinos. Fontsource splits the face by Unicode range into separate WOFF
// files; Vietnamese needs three of them: basic Latin ("latin"), "đ"/"Đ" and friends ("latin-ext") and the
// precomposed Vietnamese letters such as "ệ", "ư", "ơ" ("vietnamese"). Each file is a separate font with its
// own glyph ids, so a line becomes a sequence of runs, each drawn with the PDF font made from one file.
//
// Glyphs are positioned by their advance widths only (no kerning, no shaping). That keeps the content stream
// consistent with the /W widths, lets a line switch fonts mid-way with plain Tj, and is what Word does for
// TNR body text anyway. After NFC every Vietnamese letter is a single precomposed code point, so no mark
// positioning is needed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type * as fontkit from 'fontkit';
import { KysoError } from '../../../errors.ts';
import { N, PdfDict, PdfRef, PdfStream, PdfString, type PdfObject } from '../../../pdf/objects.ts';
import { formatNumber } from '../../../pdf/serialize.ts';
import type { ObjectSink } from './types.ts';
import { isWoff, woffToSfnt } from './woff.ts';

// fontkit costs ~23 MiB of memory once imported; only text stamps need it, so it is loaded on first use.
let fontkitModule: typeof fontkit | undefined;
function loadFontkit(): typeof fontkit {
  return (fontkitModule ??= createRequire(import.meta.url)('fontkit') as typeof fontkit);
}

export type FontWeight = 400 | 700;

/** Fontsource unicode-range subsets, in lookup order: a character comes from the first file that has it. */
export const FACE_SUBSETS = ['latin', 'latin-ext', 'vietnamese'] as const;
export type FaceSubset = (typeof FACE_SUBSETS)[number];

/** One loaded font file (one unicode-range subset of Tinos at one weight). */
export interface FontFace {
  /** Stable identifier, e.g. "tinos-vietnamese-400". */
  readonly id: string;
  readonly subset: FaceSubset;
  readonly weight: FontWeight;
  readonly font: fontkit.Font;
  /** Scale from font units to PDF glyph space (1000 units per em). */
  readonly scale: number;
}

/** A glyph as laid out: its id in `face`, the text it stands for, and metrics in 1000-unit glyph space. */
export interface LaidOutGlyph {
  readonly gid: number;
  readonly text: string;
  /** Advance width, 1/1000 em; the same number goes into /W. */
  readonly advance: number;
  /** Top and bottom of the glyph's outline, 1/1000 em (for sizing boxes so accents are not clipped). */
  readonly yMax: number;
  readonly yMin: number;
}

/** Consecutive glyphs from one face. */
export interface TextRun {
  readonly face: FontFace;
  readonly glyphs: readonly LaidOutGlyph[];
  /** Width in points at the line's size. */
  readonly width: number;
}

export interface LineLayout {
  readonly text: string;
  readonly sizePt: number;
  readonly runs: readonly TextRun[];
  /** Total advance width in points. */
  readonly width: number;
  /** Ink extent above the baseline in points: the larger of the face ascent and the highest glyph (stacked
   *  Vietnamese accents on capitals rise above the ascent). */
  readonly ascent: number;
  /** Ink extent below the baseline in points, positive: the larger of the face descent and the lowest glyph. */
  readonly descent: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading (cached: parsing a WOFF costs milliseconds, layout and embedding should not).

const facesByWeight = new Map<FontWeight, readonly FontFace[]>();

function fontsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@fontsource/tinos/package.json')), 'files');
}

/** Loads (once) the latin, latin-ext and vietnamese Tinos faces for a weight, in lookup order. */
export function loadFaces(weight: FontWeight = 400): readonly FontFace[] {
  const cached = facesByWeight.get(weight);
  if (cached) return cached;
  const dir = fontsDir();
  const faces = FACE_SUBSETS.map((subset): FontFace => {
    const file = join(dir, `tinos-${subset}-${weight}-normal.woff`);
    const bytes = readFileSync(file);
    // Unpacked once to plain TrueType: fontkit re-inflates WOFF tables on every access (see woff.ts).
    const parsed = loadFontkit().create(isWoff(bytes) ? woffToSfnt(bytes) : bytes);
    if (!('glyphForCodePoint' in parsed)) throw new Error(`${file} is a font collection, expected one face`);
    return { id: `tinos-${subset}-${weight}`, subset, weight, font: parsed, scale: 1000 / parsed.unitsPerEm };
  });
  facesByWeight.set(weight, faces);
  return faces;
}

// ---------------------------------------------------------------------------------------------------------------
// Layout

type GlyphHit = { face: FontFace; glyph: LaidOutGlyph };
/** Code point → face and glyph, per weight; null when no face has it. */
const glyphCache = new Map<FontWeight, Map<number, GlyphHit | null>>();

function lookupGlyph(cp: number, weight: FontWeight): GlyphHit | null {
  let cache = glyphCache.get(weight);
  if (!cache) glyphCache.set(weight, (cache = new Map()));
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  let found: GlyphHit | null = null;
  for (const face of loadFaces(weight)) {
    if (!face.font.hasGlyphForCodePoint(cp)) continue;
    const g = face.font.glyphForCodePoint(cp);
    if (g.id === 0) continue;
    const bbox = g.bbox;
    // An empty outline (space) reports ±Infinity.
    const yMax = Number.isFinite(bbox.maxY) ? bbox.maxY * face.scale : 0;
    const yMin = Number.isFinite(bbox.minY) ? bbox.minY * face.scale : 0;
    found = {
      face,
      glyph: { gid: g.id, text: String.fromCodePoint(cp), advance: g.advanceWidth * face.scale, yMax, yMin },
    };
    break;
  }
  cache.set(cp, found);
  return found;
}

// Spaces pasted from word processors (tab, no-break and typographic spaces) are drawn as a plain space; zero-width
// characters (ZWSP, ZWNJ, ZWJ, BOM) are dropped. Anything else below U+0020 or in C1 is a caller error.
const SPACE_LIKE = /[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]/g;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** NFC-normalises `text` and cleans its whitespace as described above. */
export function normalizeText(text: string): string {
  const t = text.normalize('NFC').replace(SPACE_LIKE, ' ').replace(ZERO_WIDTH, '');
  const bad = CONTROL.exec(t);
  if (bad) {
    const u = 'U+' + bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Dòng chữ chứa ký tự điều khiển ${u}; mỗi dòng phải được truyền riêng`,
      `text line contains control character ${u}; pass each line separately`,
    );
  }
  return t;
}

/**
 * Lays out one line of text at `sizePt`: NFC, then each character from the first Tinos subset that has it.
 * Throws FONT_MISSING_GLYPH naming the first character no subset covers.
 */
export function layoutLine(text: string, sizePt: number, weight: FontWeight = 400): LineLayout {
  if (!(sizePt > 0) || !Number.isFinite(sizePt)) {
    throw new KysoError('INVALID_ARGUMENT', `Cỡ chữ không hợp lệ: ${sizePt}`, `invalid font size: ${sizePt}`);
  }
  const norm = normalizeText(text);
  const faces = loadFaces(weight);
  const runs: { face: FontFace; glyphs: LaidOutGlyph[]; width: number }[] = [];
  let total = 0;
  let yMax = faces[0].font.ascent * faces[0].scale;
  let yMin = faces[0].font.descent * faces[0].scale;
  for (const ch of norm) {
    const cp = ch.codePointAt(0)!;
    const hit = lookupGlyph(cp, weight);
    if (!hit) {
      const u = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
      throw new KysoError(
        'FONT_MISSING_GLYPH',
        `Phông chữ Tinos (tương thích Times New Roman) không có ký tự "${ch}" (${u})`,
        `the Tinos (Times New Roman–metric) font has no glyph for "${ch}" (${u})`,
      );
    }
    let run = runs[runs.length - 1];
    if (!run || run.face !== hit.face) runs.push((run = { face: hit.face, glyphs: [], width: 0 }));
    run.glyphs.push(hit.glyph);
    const w = (hit.glyph.advance * sizePt) / 1000;
    run.width += w;
    total += w;
    if (hit.glyph.yMax > yMax) yMax = hit.glyph.yMax;
    if (hit.glyph.yMin < yMin) yMin = hit.glyph.yMin;
  }
  return {
    text: norm,
    sizePt,
    runs,
    width: total,
    ascent: (yMax * sizePt) / 1000,
    descent: (-yMin * sizePt) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding

/** Per-face state of one embedding: the fontkit subset and what each new glyph id (= CID) stands for. */
interface FaceUse {
  readonly face: FontFace;
  readonly resourceName: string;
  readonly subset: fontkit.Subset;
  /** CID (the glyph id inside the subset font) → advance and text, in inclusion order; CID 0 is .notdef. */
  readonly cids: { advance: number; text: string }[];
  readonly byGid: Map<number, number>;
}

/**
 * Collects the glyphs one appearance draws and, at the end, writes one Type0 font per face used.
 * Glyphs are renumbered by the fontkit subsetter (new id = order of inclusion), so the content stream uses the
 * subset's glyph ids as CIDs and the CIDFont maps them with /CIDToGIDMap /Identity.
 *
 * Usage: `const e = new FontEmbedder(); ops += e.showLine(layout, x, y); resources.set('Font', e.finish(sink));`
 */
export class FontEmbedder {
  private readonly uses = new Map<string, FaceUse>();
  private finished = false;

  /** Resource-name prefix, so fonts from several embedders can share one /Font dictionary if needed. */
  constructor(private readonly namePrefix = 'F') {}

  private use(face: FontFace): FaceUse {
    let u = this.uses.get(face.id);
    if (!u) {
      if (this.finished) throw new Error('FontEmbedder used after finish()');
      u = {
        face,
        resourceName: `${this.namePrefix}${this.uses.size + 1}`,
        subset: face.font.createSubset(),
        cids: [{ advance: face.font.getGlyph(0).advanceWidth * face.scale, text: '' }],
        byGid: new Map([[0, 0]]),
      };
      this.uses.set(face.id, u);
    }
    return u;
  }

  private cidFor(u: FaceUse, g: LaidOutGlyph): number {
    let cid = u.byGid.get(g.gid);
    if (cid === undefined) {
      // @types/fontkit says includeGlyph returns boolean; fontkit 2 returns the glyph's id in the subset.
      cid = u.subset.includeGlyph(u.face.font.getGlyph(g.gid)) as unknown as number;
      // The subsetter numbers glyphs in inclusion order; components of composite glyphs are only added at
      // encode() time, after all of ours, so our CIDs stay dense and equal to the array index.
      if (cid !== u.cids.length) throw new Error(`unexpected subset glyph id ${cid} (expected ${u.cids.length})`);
      u.cids.push({ advance: g.advance, text: g.text });
      u.byGid.set(g.gid, cid);
    }
    return cid;
  }

  /**
   * Content-stream operators drawing `line` with its baseline starting at (x, y) in the current user space:
   * `BT /F1 10 Tf x y Td <0001000200..> Tj /F2 10 Tf <..> Tj ET`. Fill colour is left to the caller.
   */
  showLine(line: LineLayout, x: number, y: number): string {
    const size = formatNumber(line.sizePt);
    let ops = `BT ${formatNumber(x)} ${formatNumber(y)} Td`;
    for (const run of line.runs) {
      const u = this.use(run.face);
      let hex = '';
      for (const g of run.glyphs) hex += this.cidFor(u, g).toString(16).padStart(4, '0');
      ops += ` /${u.resourceName} ${size} Tf <${hex}> Tj`;
    }
    return ops + ' ET\n';
  }

  /** True if showLine drew anything, i.e. finish() will return fonts. */
  get isEmpty(): boolean {
    return this.uses.size === 0;
  }

  /** Writes the fonts to `sink` and returns the /Font resource dictionary (resource name → Type0 font). */
  finish(sink: ObjectSink): PdfDict {
    this.finished = true;
    const fonts = new PdfDict();
    for (const u of this.uses.values()) fonts.set(u.resourceName, embedFace(sink, u));
    return fonts;
  }
}

/** Six upper-case letters derived from the face and the glyph set (ISO 32000-1 §9.6.4), deterministic. */
function subsetTag(u: FaceUse): string {
  const h = createHash('sha256').update(u.face.id).update(Buffer.from(Uint32Array.from(u.byGid.keys()).buffer)).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (h[i] % 26));
  return tag;
}

function embedFace(sink: ObjectSink, u: FaceUse): PdfRef {
  const { face } = u;
  const f = face.font;
  const s = face.scale;
  const baseFont = N(`${subsetTag(u)}+${f.postscriptName.replace(/[^\x21-\x7e]/g, '')}`);

  const program = u.subset.encode();
  const fontFile = sink.add(
    new PdfStream(new PdfDict({ Filter: N('FlateDecode'), Length1: program.length }), deflateSync(program)),
  );

  const os2 = f['OS/2'];
  const bold = face.weight >= 700;
  const descriptor = sink.add(
    new PdfDict({
      Type: N('FontDescriptor'),
      FontName: baseFont,
      FontFamily: PdfString.latin1(f.familyName),
      FontWeight: os2?.usWeightClass ?? face.weight,
      // Serif (2) | Symbolic (4): the glyph set goes beyond the standard Latin character set (§9.8.2).
      Flags: 2 | 4,
      FontBBox: [f.bbox.minX, f.bbox.minY, f.bbox.maxX, f.bbox.maxY].map((v) => Math.round(v * s)),
      ItalicAngle: f.italicAngle,
      Ascent: Math.round(f.ascent * s),
      Descent: Math.round(f.descent * s),
      CapHeight: Math.round(f.capHeight * s),
      XHeight: Math.round(f.xHeight * s),
      // TrueType has no stem width; these are the customary estimates for a regular / bold serif [inf].
      StemV: bold ? 140 : 80,
      FontFile2: fontFile,
    }),
  );

  const widths: PdfObject[] = u.cids.map((c) => round4(c.advance));
  const cidFont = sink.add(
    new PdfDict({
      Type: N('Font'),
      Subtype: N('CIDFontType2'),
      BaseFont: baseFont,
      CIDSystemInfo: new PdfDict({
        Registry: PdfString.latin1('Adobe'),
        Ordering: PdfString.latin1('Identity'),
        Supplement: 0,
      }),
      FontDescriptor: descriptor,
      DW: 1000,
      W: [0, widths],
      CIDToGIDMap: N('Identity'),
    }),
  );

  const toUnicode = sink.add(deflatedStream(new PdfDict(), Buffer.from(toUnicodeCMap(u.cids), 'latin1')));

  return sink.add(
    new PdfDict({
      Type: N('Font'),
      Subtype: N('Type0'),
      BaseFont: baseFont,
      Encoding: N('Identity-H'),
      DescendantFonts: [cidFont],
      ToUnicode: toUnicode,
    }),
  );
}

const round4 = (v: number): number => Math.round(v * 10000) / 10000;

function deflatedStream(dict: PdfDict, data: Uint8Array): PdfStream {
  dict.set('Filter', N('FlateDecode'));
  return new PdfStream(dict, deflateSync(data));
}

function utf16Hex(text: string): string {
  let hex = '';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, '0');
  return hex.toUpperCase();
}

/** A ToUnicode CMap (Adobe TN #5411) mapping each CID to the UTF-16BE text it stands for. */
function toUnicodeCMap(cids: readonly { text: string }[]): string {
  const entries: string[] = [];
  cids.forEach((c, cid) => {
    if (cid > 0 && c.text) entries.push(`<${cid.toString(16).padStart(4, '0').toUpperCase()}> <${utf16Hex(c.text)}>`);
  });
  let body = '';
  // At most 100 entries per bfchar block.
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    body += `${block.length} beginbfchar\n${block.join('\n')}\nendbfchar\n`;
  }
  return (
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
    '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
    '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n' +
    body +
    'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n'
  );
}
