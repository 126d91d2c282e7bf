// Appends an incremental update (ISO 32000-1 §7.5.6) to an existing PDF: new and replaced objects, then a
// cross-reference section of the same kind as the file's newest one (table or stream) whose /Prev points at
// the previous section. The original bytes are never touched, so earlier signatures stay valid.
import { createHash, randomBytes } from 'node:crypto';
import { PdfDict, PdfName, PdfObject, PdfRef, PdfStream, PdfString } from '../../pdf/objects.ts';
import type { PdfReader } from '../../pdf/reader.ts';
import { ByteWriter, Mark } from '../../pdf/serialize.ts';

export interface ObjectSink {
  add(obj: PdfObject): PdfRef;
}

export interface SerializedUpdate {
  /** The bytes to append after the original file. */
  bytes: Buffer;
  /** Marked values, as absolute offsets in original + update. */
  marks: Map<string, Mark>;
}

export class IncrementalUpdate implements ObjectSink {
  private nextNum: number;
  private readonly objects = new Map<number, { gen: number; obj: PdfObject }>();

  constructor(readonly reader: PdfReader) {
    this.nextNum = reader.size;
  }

  /** Adds a new indirect object and returns its reference. */
  add(obj: PdfObject): PdfRef {
    const ref = new PdfRef(this.nextNum++, 0);
    this.objects.set(ref.num, { gen: 0, obj });
    return ref;
  }

  /** Reserves a number now and fills the object in later (for objects that refer to each other). */
  reserve(): PdfRef {
    const ref = new PdfRef(this.nextNum++, 0);
    this.objects.set(ref.num, { gen: 0, obj: null });
    return ref;
  }

  /** Writes a new version of an existing object (same number and generation). */
  set(ref: PdfRef, obj: PdfObject): void {
    this.objects.set(ref.num, { gen: ref.gen, obj });
  }

  /** The object as it will be after this update (the updated version if already changed). */
  current(ref: PdfRef): PdfObject {
    const mine = this.objects.get(ref.num);
    return mine ? mine.obj : this.reader.getObject(ref.num);
  }

  get isEmpty(): boolean {
    return this.objects.size === 0;
  }

  serialize(): SerializedUpdate {
    const original = this.reader.bytes;
    const w = new ByteWriter(original.length);
    const last = original[original.length - 1];
    if (last !== 0x0a && last !== 0x0d) w.text('\n');

    const offsets = new Map<number, { offset: number; gen: number }>();
    for (const [num, { gen, obj }] of this.objects) offsets.set(num, { offset: w.indirect(num, gen, obj), gen });

    const prevTrailer = this.reader.trailer;
    const trailer = new PdfDict();
    for (const k of ['Root', 'Info', 'ID'] as const) {
      const v = prevTrailer.get(k);
      if (v !== undefined) trailer.set(k, v);
    }
    if (!trailer.has('ID')) {
      // PDF 2.0 requires /ID; derive the permanent part from the original bytes' hash.
      const id = createHash('md5').update(original.subarray(0, Math.min(original.length, 65536))).digest();
      trailer.set('ID', [new PdfString(id, true), new PdfString(randomBytes(16), true)]);
    }
    trailer.set('Prev', this.reader.xref.startxref);

    let xrefOffset: number;
    if (this.reader.xref.sections[0].kind === 'stream') {
      const xrefNum = this.nextNum++;
      xrefOffset = w.offset;
      offsets.set(xrefNum, { offset: xrefOffset, gen: 0 });
      const size = Math.max(this.reader.size, xrefNum + 1);
      const nums = [...offsets.keys()].sort((a, b) => a - b);
      const maxOff = Math.max(...[...offsets.values()].map((o) => o.offset));
      const w1 = Math.max(1, Math.ceil(Math.log2(maxOff + 1) / 8));
      const rowLen = 1 + w1 + 2;
      const data = Buffer.alloc(nums.length * rowLen);
      nums.forEach((n, i) => {
        const { offset, gen } = offsets.get(n)!;
        data[i * rowLen] = 1;
        data.writeUIntBE(offset, i * rowLen + 1, w1);
        data.writeUInt16BE(gen, i * rowLen + 1 + w1);
      });
      const dict = trailer.clone();
      dict.set('Type', PdfName.of('XRef'));
      dict.set('Size', size);
      dict.set('Index', runs(nums).flatMap(([a, c]) => [a, c]));
      dict.set('W', [1, w1, 2]);
      w.indirect(xrefNum, 0, new PdfStream(dict, data));
    } else {
      xrefOffset = w.offset;
      const nums = [...offsets.keys()].sort((a, b) => a - b);
      w.text('xref\n');
      for (const [first, count] of runs(nums)) {
        w.text(`${first} ${count}\n`);
        for (let n = first; n < first + count; n++) {
          const { offset, gen } = offsets.get(n)!;
          w.text(`${String(offset).padStart(10, '0')} ${String(gen).padStart(5, '0')} n\r\n`);
        }
      }
      trailer.set('Size', Math.max(this.reader.size, this.nextNum));
      w.text('trailer\n');
      w.object(reorderTrailer(trailer));
      w.text('\n');
    }
    w.text(`startxref\n${xrefOffset}\n%%EOF\n`);
    return { bytes: w.toBuffer(), marks: w.marks };
  }
}

/** Contiguous runs [first, count] of sorted object numbers. */
function runs(nums: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const n of nums) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === n) last[1]++;
    else out.push([n, 1]);
  }
  return out;
}

function reorderTrailer(t: PdfDict): PdfDict {
  const out = new PdfDict();
  for (const k of ['Size', 'Root', 'Info', 'ID', 'Prev']) if (t.has(k)) out.set(k, t.get(k)!);
  return out;
}
