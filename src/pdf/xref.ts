// Cross-reference reading (ISO 32000-1 §7.5.4–7.5.8): classic tables, xref streams and hybrid files, following
// /Prev back to the first revision. Each section is kept separately: the verifier needs per-revision views.
import { KysoError } from '../errors.ts';
import { decodeStream } from './filters.ts';
import { PdfDict, PdfStream } from './objects.ts';
import { PdfParser, lastIndexOf, latin1, malformed } from './parser.ts';

export type XrefEntry =
  | { type: 'free'; gen: number }
  | { type: 'offset'; offset: number; gen: number }
  | { type: 'compressed'; stream: number; index: number };

export interface XrefSection {
  /** Byte offset of the `xref` keyword or of the xref stream object. */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
  entries: Map<number, XrefEntry>;
  /** For a classic section of a hybrid file, the offset of the /XRefStm stream merged into `entries`. */
  xrefStm?: number;
}

export interface XrefChain {
  startxref: number;
  /** Newest first. */
  sections: XrefSection[];
  /** The effective table: for each object number the entry of the newest section that mentions it. */
  merged: Map<number, XrefEntry>;
  trailer: PdfDict;
}

const STARTXREF = Buffer.from('startxref', 'latin1');

export function findStartxref(buf: Uint8Array): number {
  const at = lastIndexOf(buf, STARTXREF);
  if (at < 0) throw malformed('no startxref', buf.length);
  const p = new PdfParser(buf, at + STARTXREF.length);
  const v = p.parseObject();
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= buf.length) throw malformed('bad startxref value', at);
  return v;
}

export function readXrefChain(buf: Uint8Array, startxref = findStartxref(buf)): XrefChain {
  const sections: XrefSection[] = [];
  const seen = new Set<number>();
  let offset: number | undefined = startxref;
  while (offset !== undefined) {
    if (seen.has(offset)) throw malformed('cross-reference /Prev loop', offset);
    if (sections.length > 10_000) throw malformed('too many cross-reference sections', offset);
    seen.add(offset);
    const section = readSection(buf, offset);
    sections.push(section);
    const prev = section.trailer.get('Prev');
    offset = typeof prev === 'number' ? prev : undefined;
  }
  const merged = new Map<number, XrefEntry>();
  for (const s of sections) for (const [n, e] of s.entries) if (!merged.has(n)) merged.set(n, e);
  return { startxref, sections, merged, trailer: sections[0].trailer };
}

function readSection(buf: Uint8Array, offset: number): XrefSection {
  const p = new PdfParser(buf, offset);
  p.skipWhitespace();
  const start = p.pos;
  if (p.peekKeyword('xref')) return readTable(buf, p, start);
  const { obj } = p.parseIndirect();
  if (!(obj instanceof PdfStream) || obj.dict.name('Type') !== 'XRef') throw malformed('startxref does not point to a cross-reference section', offset);
  return { offset: start, kind: 'stream', trailer: obj.dict, entries: readXrefStream(obj) };
}

function readTable(buf: Uint8Array, p: PdfParser, start: number): XrefSection {
  p.pos += 4;
  const entries = new Map<number, XrefEntry>();
  for (;;) {
    p.skipWhitespace();
    if (p.peekKeyword('trailer')) {
      p.pos += 7;
      break;
    }
    const first = readUint(buf, p);
    const count = readUint(buf, p);
    if (first === undefined || count === undefined) throw malformed('bad cross-reference subsection header', p.pos);
    for (let i = 0; i < count; i++) {
      const off = readUint(buf, p);
      const gen = readUint(buf, p);
      p.skipWhitespace();
      const kind = buf[p.pos++];
      if (off === undefined || gen === undefined || (kind !== 0x6e && kind !== 0x66)) throw malformed('bad cross-reference entry', p.pos);
      const num = first + i;
      // Within one table the first mention of a number wins (some producers repeat subsections).
      if (!entries.has(num)) entries.set(num, kind === 0x6e ? { type: 'offset', offset: off, gen } : { type: 'free', gen });
    }
  }
  const trailer = p.parseObject();
  if (!(trailer instanceof PdfDict)) throw malformed('trailer is not a dictionary', p.pos);
  const section: XrefSection = { offset: start, kind: 'table', trailer, entries };
  const stm = trailer.get('XRefStm');
  if (typeof stm === 'number') {
    // Hybrid file: the stream holds the compressed objects; the table's in-use entries take precedence.
    const s = readSection(buf, stm);
    for (const [n, e] of s.entries) {
      const own = entries.get(n);
      if (!own || own.type === 'free') entries.set(n, e);
    }
    section.xrefStm = stm;
  }
  return section;
}

function readUint(buf: Uint8Array, p: PdfParser): number | undefined {
  p.skipWhitespace();
  const s = p.pos;
  while (p.pos < buf.length && buf[p.pos] >= 0x30 && buf[p.pos] <= 0x39) p.pos++;
  return p.pos === s ? undefined : Number(latin1(buf, s, p.pos));
}

export function readXrefStream(stream: PdfStream): Map<number, XrefEntry> {
  const d = stream.dict;
  const w = d.get('W');
  if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => typeof x === 'number' && x >= 0 && x <= 8)) {
    throw malformed('xref stream /W is invalid', 0);
  }
  const [w0, w1, w2] = w as number[];
  const size = d.get('Size');
  if (typeof size !== 'number') throw malformed('xref stream without /Size', 0);
  const index = (d.get('Index') as number[] | undefined) ?? [0, size];
  const data = decodeStream(stream);
  const rowLen = w0 + w1 + w2;
  const entries = new Map<number, XrefEntry>();
  let row = 0;
  for (let k = 0; k + 1 < index.length; k += 2) {
    const first = index[k];
    const count = index[k + 1];
    for (let i = 0; i < count; i++, row++) {
      const at = row * rowLen;
      if (at + rowLen > data.length) throw malformed('xref stream shorter than its /Index', 0);
      const type = w0 === 0 ? 1 : readBE(data, at, w0);
      const f2 = readBE(data, at + w0, w1);
      const f3 = readBE(data, at + w0 + w1, w2);
      const num = first + i;
      if (entries.has(num)) continue;
      if (type === 0) entries.set(num, { type: 'free', gen: f3 });
      else if (type === 1) entries.set(num, { type: 'offset', offset: f2, gen: f3 });
      else if (type === 2) entries.set(num, { type: 'compressed', stream: f2, index: f3 });
      // Other types are reserved and must be ignored (treated as null objects).
    }
  }
  return entries;
}

function readBE(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + b[at + i];
  return v;
}

export function notPdf(): KysoError {
  return new KysoError('NOT_A_PDF', 'Tệp không phải là PDF (thiếu tiêu đề %PDF-)', 'The file is not a PDF (no %PDF- header)');
}
