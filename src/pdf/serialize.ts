// Serialises PDF objects to bytes (ISO 32000-1 §7.3). Output is plain ASCII apart from string and stream bytes.
import { PdfDict, PdfFixedInt, PdfMarked, PdfName, PdfObject, PdfRef, PdfStream, PdfString } from './objects.ts';
export { PdfMarked };

/** Where a marked value landed inside the serialised output, as [start, end) byte offsets. */
export interface Mark {
  start: number;
  end: number;
}

export type SerializableObject = PdfObject;

const DELIMS = new Set('()<>[]{}/%#'.split('').map((c) => c.charCodeAt(0)));

export function encodeName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  let out = '/';
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e || DELIMS.has(b)) out += '#' + b.toString(16).padStart(2, '0').toUpperCase();
    else out += String.fromCharCode(b);
  }
  return out;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`cannot write ${n} as a PDF number`);
  if (Number.isInteger(n)) return String(n);
  // PDF has no exponent notation; 4 decimals is well below a device pixel at any sane scale.
  let s = n.toFixed(4);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function encodeString(s: PdfString): string {
  const b = s.bytes;
  if (s.hex) {
    let out = '<';
    for (let i = 0; i < b.length; i++) out += HEX[b[i]];
    return out + '>';
  }
  let out = '(';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x28 || c === 0x29 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c > 0x7e) out += '\\' + c.toString(8).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + ')';
}

/**
 * Accumulates output chunks and tracks the running offset so marks are absolute within this writer.
 * Strings are latin1 (every char one byte).
 */
export class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending = '';
  private length = 0;
  readonly marks = new Map<string, Mark>();

  constructor(readonly baseOffset = 0) {}

  get offset(): number {
    return this.baseOffset + this.length + this.pending.length;
  }

  text(s: string): void {
    this.pending += s;
    if (this.pending.length > 1 << 16) this.flushText();
  }

  bytes(b: Uint8Array): void {
    this.flushText();
    this.chunks.push(b);
    this.length += b.length;
  }

  private flushText(): void {
    if (!this.pending) return;
    const buf = Buffer.from(this.pending, 'latin1');
    this.chunks.push(buf);
    this.length += buf.length;
    this.pending = '';
  }

  object(o: SerializableObject): void {
    if (o instanceof PdfMarked) {
      const start = this.offset;
      this.object(o.value);
      this.marks.set(o.label, { start, end: this.offset });
      return;
    }
    if (o === null) this.text('null');
    else if (o === true) this.text('true');
    else if (o === false) this.text('false');
    else if (typeof o === 'number') this.text(formatNumber(o));
    else if (o instanceof PdfName) this.text(encodeName(o.name));
    else if (o instanceof PdfString) this.text(encodeString(o));
    else if (o instanceof PdfRef) this.text(`${o.num} ${o.gen} R`);
    else if (o instanceof PdfFixedInt) this.text(String(o.value).padStart(o.width, '0'));
    else if (Array.isArray(o)) {
      this.text('[');
      o.forEach((v, i) => {
        if (i) this.text(' ');
        this.object(v);
      });
      this.text(']');
    } else if (o instanceof PdfDict) this.dict(o);
    else if (o instanceof PdfStream) {
      const d = o.dict.clone().set('Length', o.data.length);
      this.dict(d);
      this.text('\nstream\n');
      this.bytes(o.data);
      this.text('\nendstream');
    } else throw new TypeError(`not a PDF object: ${String(o)}`);
  }

  private dict(d: PdfDict | Map<string, SerializableObject>): void {
    const map = d instanceof PdfDict ? d.map : d;
    this.text('<<');
    for (const [k, v] of map) {
      this.text(encodeName(k));
      this.text(' ');
      this.object(v as SerializableObject);
    }
    this.text('>>');
  }

  /** Writes `num gen obj ... endobj` and returns the offset of its first byte. */
  indirect(num: number, gen: number, o: SerializableObject): number {
    const at = this.offset;
    this.text(`${num} ${gen} obj\n`);
    this.object(o);
    this.text('\nendobj\n');
    return at;
  }

  toBuffer(): Buffer {
    this.flushText();
    return Buffer.concat(this.chunks, this.length);
  }
}

/** Serialises one object to a string (for tests and small content). */
export function serializeToBuffer(o: SerializableObject): Buffer {
  const w = new ByteWriter();
  w.object(o);
  return w.toBuffer();
}
