// Appearance builders, proved end to end: the Form XObjects are put into a complete minimal PDF assembled here
// (catalog, pages, one page drawing them or carrying them as widget annotations, xref), and poppler reads it:
// pdftotext must return the Vietnamese stamp text exactly, pdffonts must list embedded subset fonts, and
// pdftoppm's rendering must have red, blue and black pixels where the seal, signature and stamp are.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { N, PdfDict, PdfRef, PdfStream, type PdfObject } from '../../src/pdf/objects.ts';
import { ByteWriter } from '../../src/pdf/serialize.ts';
import {
  buildAppearance,
  defaultSignerRect,
  sealSize,
  toDisplayedRect,
  type AppearanceSpec,
  type BuiltAppearance,
  type PageGeometry,
} from '../../src/signing/pdf/appearance/appearance.ts';
import { layoutLine } from '../../src/signing/pdf/appearance/fonts.ts';
import { displayedSize } from '../../src/signing/pdf/appearance/geometry.ts';
import { isWoff, woffToSfnt } from '../../src/signing/pdf/appearance/woff.ts';
import { decodePng, embedPng, readPngInfo } from '../../src/signing/pdf/appearance/png-image.ts';
import {
  ISO_TIME_PATTERN,
  attachmentStampLines,
  copyStampLines,
  formatSigningTime,
} from '../../src/signing/pdf/appearance/stamp-text.ts';
import type { ObjectSink } from '../../src/signing/pdf/appearance/types.ts';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const FIXTURES = join(import.meta.dirname, '../fixtures/images');
const A4: PageGeometry = { width: 595.276, height: 841.89 };
const SIGNATURE = readFileSync(join(FIXTURES, 'signature-blue.png'));
const SEAL = readFileSync(join(FIXTURES, 'seal-red.png'));
const SIGNED_AT = new Date('2026-03-12T03:15:30Z');

// ---------------------------------------------------------------------------------------------------------------
// A minimal PDF writer for the tests (the real incremental writer lives elsewhere).

class TestPdf implements ObjectSink {
  readonly objects: PdfObject[] = [];
  add(obj: PdfObject): PdfRef {
    this.objects.push(obj);
    return new PdfRef(this.objects.length, 0);
  }
  reserve(): PdfRef {
    return this.add(null);
  }
  set(ref: PdfRef, obj: PdfObject): void {
    this.objects[ref.num - 1] = obj;
  }
  get(ref: PdfRef): PdfObject {
    return this.objects[ref.num - 1];
  }

  /** One page; `draw` are appearances painted by the page content, `widgets` become annotations. */
  finish(page: PageGeometry, draw: BuiltAppearance[], widgets: BuiltAppearance[] = []): Buffer {
    const pagesRef = this.reserve();
    const xobjects = new PdfDict();
    let content = '';
    draw.forEach((a, i) => {
      xobjects.set(`Ap${i + 1}`, a.ap);
      content += `q 1 0 0 1 ${a.rect[0]} ${a.rect[1]} cm /Ap${i + 1} Do Q\n`;
    });
    const contents = this.add(new PdfStream(new PdfDict(), Buffer.from(content, 'latin1')));
    const pageDict = new PdfDict({
      Type: N('Page'),
      Parent: pagesRef,
      MediaBox: [0, 0, page.width, page.height],
      Resources: new PdfDict({ XObject: xobjects }),
      Contents: contents,
    });
    if (page.rotate) pageDict.set('Rotate', page.rotate);
    const pageRef = this.add(pageDict);
    if (widgets.length) {
      pageDict.set(
        'Annots',
        widgets.map((a, i) =>
          this.add(
            new PdfDict({
              Type: N('Annot'),
              Subtype: N('Stamp'), // renders /AP /N through the same BBox/Matrix → Rect algorithm as a widget
              Rect: a.rect,
              F: 4,
              AP: new PdfDict({ N: a.ap }),
            }),
          ),
        ),
      );
    }
    this.set(pagesRef, new PdfDict({ Type: N('Pages'), Kids: [pageRef], Count: 1 }));
    const catalog = this.add(new PdfDict({ Type: N('Catalog'), Pages: pagesRef }));

    const w = new ByteWriter();
    w.text('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
    const offsets = this.objects.map((o, i) => w.indirect(i + 1, 0, o));
    const xref = w.offset;
    w.text(`xref\n0 ${this.objects.length + 1}\n0000000000 65535 f \n`);
    for (const off of offsets) w.text(`${String(off).padStart(10, '0')} 00000 n \n`);
    w.text(`trailer\n<</Size ${this.objects.length + 1} /Root ${catalog.num} 0 R>>\nstartxref\n${xref}\n%%EOF\n`);
    return w.toBuffer();
  }
}

function save(name: string, data: Uint8Array): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  writeFileSync(file, data);
  return file;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Raster {
  width: number;
  height: number;
  data: Buffer;
}

function render(pdfFile: string, dpi = 72): Raster {
  const prefix = pdfFile.replace(/\.pdf$/, '');
  execFileSync('pdftoppm', ['-r', String(dpi), '-png', '-singlefile', pdfFile, prefix]);
  const png = PNG.sync.read(readFileSync(prefix + '.png'));
  return { width: png.width, height: png.height, data: png.data };
}

type Ink = 'red' | 'blue' | 'black';
const isInk: Record<Ink, (r: number, g: number, b: number) => boolean> = {
  // hue-based, so anti-aliased (lighter) stroke pixels at 72 dpi count too
  red: (r, g, b) => r - g > 60 && r - b > 60,
  blue: (r, g, b) => b - r > 50 && b - g > 40,
  black: (r, g, b) => Math.max(r, g, b) < 110 && Math.max(r, g, b) - Math.min(r, g, b) < 30,
};

/** Counts pixels of an ink inside a region given in PDF points (origin bottom-left) on a 72 dpi raster. */
function countInk(img: Raster, ink: Ink, [x, y, w, h]: [number, number, number, number]): number {
  let n = 0;
  const x0 = Math.max(0, Math.floor(x));
  const x1 = Math.min(img.width, Math.ceil(x + w));
  const y0 = Math.max(0, Math.floor(img.height - (y + h)));
  const y1 = Math.min(img.height, Math.ceil(img.height - y));
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) {
      const i = (py * img.width + px) * 4;
      if (isInk[ink](img.data[i], img.data[i + 1], img.data[i + 2])) n++;
    }
  }
  return n;
}

const pdffontsRows = (file: string): string[][] =>
  run('pdffonts', [file])
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/));

/** Deflated stream → text. */
const streamText = (s: PdfObject): string => {
  expect(s).toBeInstanceOf(PdfStream);
  const st = s as PdfStream;
  return (st.dict.name('Filter') === 'FlateDecode' ? inflateSync(st.data) : Buffer.from(st.data)).toString('latin1');
};

// ---------------------------------------------------------------------------------------------------------------

describe('signing time (Asia/Ho_Chi_Minh)', () => {
  it('formats 03:15:30Z as 10:15:30 +07:00 in the default pattern', () => {
    expect(formatSigningTime(SIGNED_AT)).toBe('12.03.2026 10:15:30 +07:00');
  });
  it('has the ISO 8601 alternative', () => {
    expect(formatSigningTime(SIGNED_AT, ISO_TIME_PATTERN)).toBe('2026-03-12T10:15:30+07:00');
  });
  it('rolls over midnight, month and year boundaries in Vietnam time, never writing 24:00', () => {
    expect(formatSigningTime(new Date('2026-03-12T16:59:59Z'))).toBe('12.03.2026 23:59:59 +07:00');
    expect(formatSigningTime(new Date('2026-03-12T17:00:00Z'))).toBe('13.03.2026 00:00:00 +07:00');
    expect(formatSigningTime(new Date('2025-12-31T17:00:00Z'))).toBe('01.01.2026 00:00:00 +07:00');
    expect(formatSigningTime(new Date('2026-02-28T17:00:01Z'))).toBe('01.03.2026 00:00:01 +07:00');
  });
  it('supports custom patterns and rejects invalid dates', () => {
    expect(formatSigningTime(SIGNED_AT, 'HH:mm dd/MM/yyyy')).toBe('10:15 12/03/2026');
    expect(() => formatSigningTime(new Date('nope'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('Decree 30 §4 stamp lines', () => {
  it('separate attachment: number/symbol and time, lower case by default', () => {
    expect(attachmentStampLines('125/VPCP-KSTT', SIGNED_AT)).toEqual([
      'số: 125/vpcp-kstt',
      'thời gian ký: 12.03.2026 10:15:30 +07:00',
    ]);
  });
  it("case 'as-is' keeps the symbol and uses sentence-case labels", () => {
    expect(attachmentStampLines('125/VPCP-KSTT', SIGNED_AT, { case: 'as-is' })).toEqual([
      'Số: 125/VPCP-KSTT',
      'Thời gian ký: 12.03.2026 10:15:30 +07:00',
    ]);
  });
  it('label overrides are written verbatim', () => {
    expect(attachmentStampLines('125/VPCP-KSTT', SIGNED_AT, { case: 'as-is', labels: { number: 'số:', time: 'thời gian ký:' } })[0]).toBe(
      'số: 125/VPCP-KSTT',
    );
  });
  it('electronic copy: form, agency, time', () => {
    expect(copyStampLines('SAO Y', 'Văn phòng Chính phủ', new Date('2026-03-12T09:40:02Z'))).toEqual([
      'sao y',
      'văn phòng chính phủ',
      'thời gian ký: 12.03.2026 16:40:02 +07:00',
    ]);
    expect(copyStampLines('SAO LỤC', 'UBND TỈNH NINH BÌNH', SIGNED_AT, { timePattern: ISO_TIME_PATTERN })).toEqual([
      'sao lục',
      'ubnd tỉnh ninh bình',
      'thời gian ký: 2026-03-12T10:15:30+07:00',
    ]);
    expect(() => copyStampLines('BẢN SAO' as never, 'X', SIGNED_AT)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => attachmentStampLines(' ', SIGNED_AT)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('fonts', () => {
  it('takes each Vietnamese letter from the first Tinos subset that has it', () => {
    const line = layoutLine('Đường đệ ơn', 10);
    expect(line.runs.map((r) => [r.face.subset, r.glyphs.map((g) => g.text).join('')])).toEqual([
      ['latin-ext', 'Đư'], // U+0110, U+01B0
      ['vietnamese', 'ờ'], // U+1EDD
      ['latin', 'ng '],
      ['latin-ext', 'đ'],
      ['vietnamese', 'ệ'],
      ['latin', ' '],
      ['latin-ext', 'ơ'], // U+01A1
      ['latin', 'n'],
    ]);
    expect(line.width).toBeCloseTo(
      line.runs.reduce((s, r) => s + r.width, 0),
      6,
    );
  });
  it('NFC-normalises decomposed input', () => {
    const decomposed = 'Nguye\u0302\u0303n'; // e + circumflex + tilde
    expect(layoutLine(decomposed, 10).text).toBe('Nguyễn');
  });
  it('has Times New Roman metrics (Tinos): "Times" at 1000 units', () => {
    // TNR advance widths: T 611, i 278, m 778, e 444, s 389 → 2500 / 1000 em.
    expect(layoutLine('Times', 1000).width).toBeCloseTo(2500, -1);
  });
  it('reports a character no subset covers', () => {
    try {
      layoutLine('Hà Nội 中', 10);
      expect.unreachable();
    } catch (e) {
      expect(isKysoError(e, 'FONT_MISSING_GLYPH')).toBe(true);
      expect((e as Error).message).toContain('中');
      expect((e as Error).message).toContain('U+4E2D');
    }
  });
  it('unpacks WOFF to an equivalent TrueType font', () => {
    const dir = join(import.meta.dirname, '../../node_modules/@fontsource/tinos/files');
    const woff = readFileSync(join(dir, 'tinos-vietnamese-400-normal.woff'));
    expect(isWoff(woff)).toBe(true);
    const a = fontkit.create(woff) as fontkit.Font;
    const b = fontkit.create(woffToSfnt(woff)) as fontkit.Font;
    expect(b.type).toBe('TTF');
    expect([b.numGlyphs, b.unitsPerEm, b.postscriptName]).toEqual([a.numGlyphs, a.unitsPerEm, a.postscriptName]);
    const g = (f: fontkit.Font) => f.glyphForCodePoint(0x1ec7); // ệ
    expect([g(b).id, g(b).advanceWidth, g(b).path.toSVG()]).toEqual([g(a).id, g(a).advanceWidth, g(a).path.toSVG()]);
  });
  it('rejects control characters inside a line', () => {
    expect(() => layoutLine('a\nb', 10)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('PNG images', () => {
  it('reads pixel and physical size from pHYs', () => {
    const seal = readPngInfo(SEAL);
    expect([seal.widthPx, seal.heightPx]).toEqual([413, 413]);
    expect((seal.physicalSizePt!.width / 72) * 25.4).toBeCloseTo(34.97, 1);
    const sig = readPngInfo(SIGNATURE);
    expect([sig.widthPx, sig.heightPx]).toEqual([600, 250]);
    expect((sig.physicalSizePt!.width / 72) * 300).toBeCloseTo(600, 0);
  });
  it('fixtures stay small', () => {
    expect(SEAL.length).toBeLessThan(100_000);
    expect(SIGNATURE.length).toBeLessThan(100_000);
  });
  it('writes DeviceRGB with an /SMask for transparent PNGs', () => {
    const pdf = new TestPdf();
    const img = embedPng(pdf, SEAL);
    const dict = (pdf.get(img.ref) as PdfStream).dict;
    expect(dict.name('ColorSpace')).toBe('DeviceRGB');
    expect(dict.get('BitsPerComponent')).toBe(8);
    expect(dict.name('Filter')).toBe('FlateDecode');
    const smask = pdf.get(dict.get('SMask') as PdfRef) as PdfStream;
    expect(smask.dict.name('ColorSpace')).toBe('DeviceGray');
    expect(inflateSync(smask.data).length).toBe(413 * 413);
    expect(inflateSync((pdf.get(img.ref) as PdfStream).data).length).toBe(413 * 413 * 3);
  });
  it('writes DeviceGray without a mask for an opaque grey PNG', () => {
    const g = new PNG({ width: 3, height: 2 });
    g.data.fill(255);
    const bytes = PNG.sync.write(g, { colorType: 0 });
    const d = decodePng(bytes);
    expect([d.gray, d.hasAlpha, d.alpha, d.physicalSizePt]).toEqual([true, false, undefined, undefined]);
    const pdf = new TestPdf();
    const img = embedPng(pdf, bytes);
    const dict = (pdf.get(img.ref) as PdfStream).dict;
    expect(dict.name('ColorSpace')).toBe('DeviceGray');
    expect(dict.has('SMask')).toBe(false);
  });
  it('rejects garbage, truncation and huge images with IMAGE_INVALID', () => {
    const code = expect.objectContaining({ code: 'IMAGE_INVALID' });
    expect(() => decodePng(Buffer.from('GIF89a not a png at all, really not'))).toThrow(code);
    expect(() => decodePng(SEAL.subarray(0, SEAL.length / 2))).toThrow(code);
    const corrupt = Buffer.from(SEAL);
    corrupt[corrupt.length - 40] ^= 0xff; // inside the last IDAT → CRC / inflate failure
    expect(() => decodePng(corrupt)).toThrow(code);
    const huge = Buffer.from(SEAL);
    huge.writeUInt32BE(50_000, 16);
    expect(() => readPngInfo(huge)).toThrow(code);
    expect(() => buildAppearance(new TestPdf(), { kind: 'signer', image: Buffer.alloc(10) }, A4)).toThrow(code);
  });
});

describe('appearances in a rendered PDF', () => {
  const stampLines = [
    'sao y',
    'văn phòng chính phủ',
    'thời gian ký: 12.03.2026 10:15:30 +07:00',
    'Nguyễn Thị Ánh Tuyết, Đặng Quốc Hưng: ă â đ ê ô ơ ư à á ả ã ạ',
  ];
  let pdfFile: string;
  let signer: BuiltAppearance;
  let seal: BuiltAppearance;
  let stamp: BuiltAppearance;
  let raster: Raster;

  beforeAll(() => {
    const pdf = new TestPdf();
    signer = buildAppearance(pdf, { kind: 'signer', image: SIGNATURE }, A4);
    seal = buildAppearance(pdf, { kind: 'seal', image: SEAL, signerRect: toDisplayedRect(signer.rect, A4) }, A4);
    stamp = buildAppearance(pdf, { kind: 'stamp', lines: stampLines }, A4);
    pdfFile = save('appearance-a4.pdf', pdf.finish(A4, [signer, seal, stamp]));
    raster = render(pdfFile);
  });

  it('is a structurally valid PDF (qpdf --check)', () => {
    const r = spawnSync('qpdf', ['--check', pdfFile], { encoding: 'utf8' });
    if (r.error) return; // qpdf not installed: poppler below still reads the file
    expect(r.stdout + r.stderr).toContain('No syntax or stream encoding errors');
  });

  it('pdftotext returns the Vietnamese stamp text exactly', () => {
    const text = run('pdftotext', ['-enc', 'UTF-8', pdfFile, '-']);
    const lines = text.split('\n').map((l) => l.trim());
    for (const l of stampLines) expect(lines).toContain(l);
  });

  it('pdffonts lists three embedded Tinos subsets (latin, latin-ext, vietnamese) with ToUnicode', () => {
    const rows = pdffontsRows(pdfFile);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      // name, type "CID TrueType", encoding "Identity-H", emb, sub, uni, object, id
      expect(r[0]).toMatch(/^[A-Z]{6}\+Tinos-Regular$/);
      expect(r.slice(1, 6)).toEqual(['CID', 'TrueType', 'Identity-H', 'yes', 'yes']);
      expect(r[6]).toBe('yes');
    }
    expect(new Set(rows.map((r) => r[0])).size).toBe(3);
  });

  it('places the signature in the default lower-right block and the seal over its left third', () => {
    const [sx1, sy1, sx2, sy2] = signer.rect;
    // default box: right half of the text area, 70 mm above the bottom edge; image fitted (600×250 → 2.4:1)
    const box = defaultSignerRect(A4);
    expect(sx1).toBeGreaterThanOrEqual(box[0] - 0.01);
    expect(sx2).toBeLessThanOrEqual(box[0] + box[2] + 0.01);
    expect((sx2 - sx1) / (sy2 - sy1)).toBeCloseTo(2.4, 2);
    expect(sx1).toBeGreaterThan(A4.width / 2);
    // seal: real size from pHYs (≈ 35 mm = 99.1 pt), right edge at one third of the signature
    const [kx1, ky1, kx2, ky2] = seal.rect;
    expect(kx2 - kx1).toBeCloseTo(sealSize(readPngInfo(SEAL)).width, 2);
    expect(((kx2 - kx1) / 72) * 25.4).toBeCloseTo(35, 0);
    expect(kx2).toBeCloseTo(sx1 + (sx2 - sx1) / 3, 2);
    expect((ky1 + ky2) / 2).toBeCloseTo((sy1 + sy2) / 2, 2);
  });

  it('renders red where the seal is, blue where the signature is, black text top-right', () => {
    const xywh = (r: number[]): [number, number, number, number] => [r[0], r[1], r[2] - r[0], r[3] - r[1]];
    const sealArea = xywh(seal.rect);
    expect(countInk(raster, 'red', sealArea)).toBeGreaterThan(1000);
    // the part of the signature the seal does not cover
    const [sx1, sy1, sx2, sy2] = signer.rect;
    const uncovered: [number, number, number, number] = [seal.rect[2] + 1, sy1, sx2 - seal.rect[2] - 1, sy2 - sy1];
    expect(countInk(raster, 'blue', uncovered)).toBeGreaterThan(300);
    expect(countInk(raster, 'red', uncovered)).toBe(0);
    // stamp: black text in the top-right corner region, inside the 10 mm margins
    const mm10 = (10 / 25.4) * 72;
    const topRight: [number, number, number, number] = [A4.width / 2, A4.height - 90, A4.width / 2 - mm10 + 1, 90 - mm10 + 1];
    expect(countInk(raster, 'black', topRight)).toBeGreaterThan(300);
    expect(stamp.rect[2]).toBeCloseTo(A4.width - mm10, 2);
    expect(stamp.rect[3]).toBeCloseTo(A4.height - mm10, 2);
    // nothing outside the three appearances
    const total = (ink: Ink): number => countInk(raster, ink, [0, 0, A4.width, A4.height]);
    const inside = (ink: Ink): number =>
      [signer, seal, stamp].reduce((n, a) => n + countInk(raster, ink, xywh(a.rect.map((v, i) => v + (i < 2 ? -1 : 1)))), 0);
    for (const ink of ['red', 'blue', 'black'] as const) expect(inside(ink)).toBeGreaterThanOrEqual(total(ink));
    // a close-up of the stamp for looking at the diacritics
    execFileSync('pdftoppm', ['-r', '300', '-png', '-singlefile', '-x', '1100', '-y', '60', '-W', '1300', '-H', '300', pdfFile, join(ARTIFACTS, 'appearance-a4-stamp-300dpi')]);
  });

  it('stamp Form XObject: BBox sized to the text, fonts in /Resources, black Tj operators with 2-byte glyph ids', () => {
    const pdf = new TestPdf();
    const a = buildAppearance(pdf, { kind: 'stamp', lines: ['số: 125/vpcp-kstt'] }, A4);
    const form = pdf.get(a.ap) as PdfStream;
    expect(form.dict.name('Subtype')).toBe('Form');
    const bbox = form.dict.get('BBox') as number[];
    expect(bbox[2]).toBeCloseTo(a.rect[2] - a.rect[0], 3);
    expect(bbox[3]).toBeCloseTo(a.rect[3] - a.rect[1], 3);
    expect(form.dict.has('Matrix')).toBe(false);
    const ops = streamText(form);
    expect(ops).toMatch(/^0 g\nBT [\d.]+ [\d.]+ Td \/F1 10 Tf <(?:[0-9a-f]{4})+> Tj/);
    const fonts = (form.dict.get('Resources') as PdfDict).get('Font') as PdfDict;
    expect([...fonts.map.keys()].sort()).toEqual(['F1', 'F2']); // latin ("s", digits) and vietnamese ("ố")
  });

  it("'none' is a zero rect with an empty form", () => {
    const pdf = new TestPdf();
    const a = buildAppearance(pdf, { kind: 'none' }, A4);
    expect(a.rect).toEqual([0, 0, 0, 0]);
    const form = pdf.get(a.ap) as PdfStream;
    expect(form.dict.get('BBox')).toEqual([0, 0, 0, 0]);
    expect(form.data.length).toBe(0);
  });

  it('rejects bad arguments', () => {
    const bad = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    const pdf = new TestPdf();
    expect(() => buildAppearance(pdf, { kind: 'stamp', lines: [] }, A4)).toThrow(bad);
    expect(() => buildAppearance(pdf, { kind: 'stamp', lines: ['x'.repeat(400)] }, A4)).toThrow(bad);
    expect(() => buildAppearance(pdf, { kind: 'signer', image: SIGNATURE, rect: [0, 0, -5, 10] }, A4)).toThrow(bad);
    expect(() => buildAppearance(pdf, { kind: 'seal', image: SEAL, diameterMm: 0 }, A4)).toThrow(bad);
    expect(() => buildAppearance(pdf, { kind: 'none' }, { ...A4, rotate: 45 })).toThrow(bad);
    expect(() => buildAppearance(pdf, { kind: 'bogus' } as unknown as AppearanceSpec, A4)).toThrow(bad);
  });

});

describe('rotated pages (appearances as annotations, poppler applies /Rotate)', () => {
  for (const rotate of [90, 180, 270]) {
    it(`/Rotate ${rotate}: stamp upright at the displayed top right, signature at the displayed lower right`, () => {
      const page: PageGeometry = { ...A4, rotate };
      const pdf = new TestPdf();
      const signer = buildAppearance(pdf, { kind: 'signer', image: SIGNATURE }, page);
      const seal = buildAppearance(pdf, { kind: 'seal', image: SEAL, signerRect: toDisplayedRect(signer.rect, page) }, page);
      const stamp = buildAppearance(pdf, { kind: 'stamp', lines: ['sao y', 'thời gian ký: 12.03.2026 10:15:30 +07:00'] }, page);
      const file = save(`appearance-rotate-${rotate}.pdf`, pdf.finish(page, [], [signer, seal, stamp]));
      const img = render(file);
      // The raster is the displayed page: 842 × 595 for 90/270.
      const { width: W, height: H } = displayedSize(page);
      expect([img.width, img.height]).toEqual([Math.ceil(W), Math.ceil(H)]);
      // displayed regions in points (origin bottom-left of the displayed page)
      expect(countInk(img, 'black', [W - 260, H - 70, 260, 70])).toBeGreaterThan(100);
      expect(countInk(img, 'black', [0, 0, W / 2, H])).toBe(0);
      const sigBox = defaultSignerRect(page);
      expect(countInk(img, 'blue', sigBox)).toBeGreaterThan(300);
      expect(countInk(img, 'red', sigBox)).toBeGreaterThan(300);
      // upright text: the stamp's text is wider than tall on the displayed page
      const d = toDisplayedRect(stamp.rect, page);
      expect(d[2]).toBeGreaterThan(d[3] * 3);
      expect(d[0] + d[2]).toBeCloseTo(W - (10 / 25.4) * 72, 1);
      expect(pdftext(file)).toContain('thời gian ký: 12.03.2026 10:15:30 +07:00');
    });
  }
});

function pdftext(file: string): string {
  return run('pdftotext', ['-enc', 'UTF-8', file, '-']);
}
