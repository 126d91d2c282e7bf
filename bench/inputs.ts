// Bench inputs, generated at bench time with pdf-lib (never committed): a 1-page letter and a 200-page ~9 MB
// file whose pages each carry text and a distinct image of random (incompressible) pixels. Both are saved
// with a classic xref table (useObjectStreams: false), as LibreOffice, Ghostscript and Chromium write them.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, PDFName, StandardFonts, drawObject, popGraphicsState, pushGraphicsState, concatTransformationMatrix } from 'pdf-lib';

export interface BenchInput {
  id: string;
  label: string;
  file: string;
  bytes: Buffer;
  pages: number;
}

const DATE = new Date('2026-01-15T03:00:00Z');

async function letter(pages: number, imageBytes: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setCreationDate(DATE);
  doc.setModificationDate(DATE);
  doc.setTitle('kyso bench input');
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  // 160 × 96 DeviceRGB = 46,080 bytes of random samples per page, stored unfiltered.
  const w = 160;
  const h = Math.max(1, Math.round(imageBytes / (w * 3)));
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([595.28, 841.89]);
    page.drawText(`Trang ${i + 1} / ${pages}`, { x: 56, y: 790, size: 14, font });
    for (let l = 0; l < 30; l++) {
      page.drawText(`Line ${l + 1}: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.`, { x: 56, y: 760 - l * 14, size: 10, font });
    }
    if (imageBytes > 0) {
      const img = doc.context.stream(randomBytes(w * h * 3), {
        Type: 'XObject',
        Subtype: 'Image',
        Width: w,
        Height: h,
        ColorSpace: 'DeviceRGB',
        BitsPerComponent: 8,
      });
      const ref = doc.context.register(img);
      page.node.setXObject(PDFName.of('Im1'), ref);
      page.pushOperators(pushGraphicsState(), concatTransformationMatrix(w * 2, 0, 0, h * 2, 56, 100), drawObject('Im1'), popGraphicsState());
    }
  }
  return doc.save({ useObjectStreams: false });
}

export async function makeInputs(dir: string): Promise<BenchInput[]> {
  const small = Buffer.from(await letter(1, 0));
  const large = Buffer.from(await letter(200, 46_080));
  const inputs: BenchInput[] = [
    { id: '1p', label: '1 page', file: join(dir, 'one-page.pdf'), bytes: small, pages: 1 },
    { id: '200p', label: `200 pages, ${(large.length / 1048576).toFixed(1)} MiB`, file: join(dir, 'two-hundred-pages.pdf'), bytes: large, pages: 200 },
  ];
  for (const i of inputs) writeFileSync(i.file, i.bytes);
  return inputs;
}
