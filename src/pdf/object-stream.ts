// Object streams (ISO 32000-1 §7.5.7) and indirect objects at byte offsets: the two ways an xref entry locates
// an object. Shared by the whole-file reader and the per-revision views.
import { decodeStream } from './filters.ts';
import { PdfObject, PdfRef, PdfStream } from './objects.ts';
import { PdfParser, malformed } from './parser.ts';

export interface DecodedObjStm {
  nums: number[];
  offsets: number[];
  data: Uint8Array;
  first: number;
}

export function decodeObjectStream(s: PdfObject, streamNum: number): DecodedObjStm {
  if (!(s instanceof PdfStream) || s.dict.name('Type') !== 'ObjStm') throw malformed(`object stream ${streamNum} is not an /ObjStm`, 0);
  const data = decodeStream(s);
  const n = s.dict.get('N');
  const first = s.dict.get('First');
  if (typeof n !== 'number' || typeof first !== 'number') throw malformed('object stream without /N or /First', 0);
  const p = new PdfParser(data, 0);
  const nums: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) {
    nums.push(p.parseObject() as number);
    offsets.push(p.parseObject() as number);
  }
  return { nums, offsets, data, first };
}

/** Object `num`, expected at position `index` of the stream (the position is checked, then searched). */
export function objectInStream(os: DecodedObjStm, num: number, index: number, streamNum: number): PdfObject {
  let i = index;
  if (os.nums[i] !== num) i = os.nums.indexOf(num);
  if (i < 0) throw malformed(`object ${num} not found in object stream ${streamNum}`, 0);
  return new PdfParser(os.data, os.first + os.offsets[i]).parseObject();
}

/** Parses `num gen obj ... endobj` at `offset`; `resolve` supplies indirect /Length values. */
export function readIndirectAt(bytes: Uint8Array, num: number, offset: number, resolve: (ref: PdfRef) => PdfObject): PdfObject {
  if (offset >= bytes.length) throw malformed(`object ${num} offset beyond end of file`, offset);
  const p = new PdfParser(bytes, offset, (ref) => {
    const v = resolve(ref);
    return typeof v === 'number' ? v : undefined;
  });
  const r = p.parseIndirect();
  if (r.num !== num) throw malformed(`xref points object ${num} at object ${r.num}`, offset);
  return r.obj;
}
