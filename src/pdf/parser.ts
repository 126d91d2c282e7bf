// A byte-level parser for PDF objects (ISO 32000-1 §7.2–7.3). It parses single objects at a given offset,
// lazily: the reader asks for just the objects it needs, so a 9 MB file costs only what is touched.
import { KysoError } from '../errors.ts';
import { PdfDict, PdfName, PdfObject, PdfRef, PdfStream, PdfString } from './objects.ts';

const WS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export const isWhite = (c: number): boolean => WS[c] === 1;
export const isDelim = (c: number): boolean => DELIM[c] === 1;
const isRegular = (c: number): boolean => !WS[c] && !DELIM[c];

/** Parsing limits: nesting depth guards against stack exhaustion by crafted files. */
const MAX_DEPTH = 256;

export function malformed(what: string, offset: number): KysoError {
  return new KysoError('PDF_MALFORMED', `Tệp PDF bị lỗi cấu trúc: ${what} tại byte ${offset}`, `Malformed PDF: ${what} at byte ${offset}`);
}

/** Resolves the /Length of a stream when it is an indirect reference. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

export class PdfParser {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    private readonly resolveLength?: LengthResolver,
  ) {
    this.pos = pos;
  }

  skipWhitespace(): void {
    const b = this.buf;
    for (;;) {
      while (this.pos < b.length && WS[b[this.pos]]) this.pos++;
      if (b[this.pos] === 0x25 /* % */) {
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
        continue;
      }
      return;
    }
  }

  /** Reads a bare keyword/number token (regular characters). */
  private token(): string {
    const b = this.buf;
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos])) this.pos++;
    return latin1(b, start, this.pos);
  }

  peekKeyword(word: string): boolean {
    this.skipWhitespace();
    const b = this.buf;
    for (let i = 0; i < word.length; i++) if (b[this.pos + i] !== word.charCodeAt(i)) return false;
    const after = b[this.pos + word.length];
    return after === undefined || !isRegular(after);
  }

  expectKeyword(word: string): void {
    if (!this.peekKeyword(word)) throw malformed(`expected '${word}'`, this.pos);
    this.pos += word.length;
  }

  /** Parses `num gen obj <object> endobj` at the current position. */
  parseIndirect(): { num: number; gen: number; obj: PdfObject } {
    this.skipWhitespace();
    const at = this.pos;
    const num = this.readInt();
    const gen = this.readInt();
    if (num === undefined || gen === undefined) throw malformed('expected an indirect object header', at);
    this.expectKeyword('obj');
    const obj = this.parseObject(0, true);
    return { num, gen, obj };
  }

  private readInt(): number | undefined {
    this.skipWhitespace();
    const start = this.pos;
    const t = this.token();
    if (!/^\d+$/.test(t)) {
      this.pos = start;
      return undefined;
    }
    return Number(t);
  }

  parseObject(depth = 0, allowStream = false): PdfObject {
    if (depth > MAX_DEPTH) throw malformed('objects nested too deeply', this.pos);
    this.skipWhitespace();
    const b = this.buf;
    const c = b[this.pos];
    if (c === undefined) throw malformed('unexpected end of file', this.pos);
    if (c === 0x2f /* / */) return this.parseName();
    if (c === 0x28 /* ( */) return this.parseLiteralString();
    if (c === 0x3c /* < */) {
      if (b[this.pos + 1] === 0x3c) {
        const dict = this.parseDict(depth);
        if (allowStream && this.peekKeyword('stream')) return this.parseStreamBody(dict);
        return dict;
      }
      return this.parseHexString();
    }
    if (c === 0x5b /* [ */) {
      this.pos++;
      const arr: PdfObject[] = [];
      for (;;) {
        this.skipWhitespace();
        if (b[this.pos] === 0x5d) {
          this.pos++;
          return arr;
        }
        if (this.pos >= b.length) throw malformed('unterminated array', this.pos);
        arr.push(this.parseObject(depth + 1));
      }
    }
    const start = this.pos;
    const t = this.token();
    if (t === '') throw malformed(`unexpected character '${String.fromCharCode(c)}'`, start);
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (t === 'null') return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) {
      // An integer may be the start of `num gen R`.
      if (/^\d+$/.test(t)) {
        const save = this.pos;
        const gen = this.readInt();
        if (gen !== undefined && this.peekKeyword('R')) {
          this.pos++;
          return new PdfRef(Number(t), gen);
        }
        this.pos = save;
      }
      return Number(t);
    }
    throw malformed(`unexpected token '${t.slice(0, 20)}'`, start);
  }

  private parseName(): PdfName {
    const b = this.buf;
    this.pos++; // '/'
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos])) this.pos++;
    let raw = latin1(b, start, this.pos);
    if (raw.includes('#')) {
      const bytes: number[] = [];
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] === '#' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
          bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(raw.charCodeAt(i));
      }
      raw = Buffer.from(bytes).toString('utf8');
    }
    return PdfName.of(raw);
  }

  private parseDict(depth: number): PdfDict {
    const b = this.buf;
    this.pos += 2;
    const dict = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return dict;
      }
      if (this.pos >= b.length) throw malformed('unterminated dictionary', this.pos);
      if (b[this.pos] !== 0x2f) throw malformed('dictionary key is not a name', this.pos);
      const key = this.parseName().name;
      const value = this.parseObject(depth + 1);
      dict.set(key, value);
    }
  }

  private parseStreamBody(dict: PdfDict): PdfStream {
    const b = this.buf;
    this.pos += 6; // 'stream'
    // The keyword is followed by CRLF or LF (a lone CR is tolerated).
    if (b[this.pos] === 0x0d) this.pos++;
    if (b[this.pos] === 0x0a) this.pos++;
    const start = this.pos;
    let len: number | undefined;
    const l = dict.get('Length');
    if (typeof l === 'number') len = l;
    else if (l instanceof PdfRef && this.resolveLength) len = this.resolveLength(l);
    let end: number;
    if (len !== undefined && len >= 0 && start + len <= b.length && this.endstreamFollows(start + len)) {
      end = start + len;
    } else {
      // Wrong or unresolvable /Length: find the keyword, as most readers do.
      const idx = indexOf(b, ENDSTREAM, start);
      if (idx < 0) throw malformed('stream without endstream', start);
      end = idx;
      if (b[end - 1] === 0x0a) end--;
      if (b[end - 1] === 0x0d) end--;
    }
    this.pos = end;
    this.skipWhitespace();
    if (this.peekKeyword('endstream')) this.pos += 9;
    return new PdfStream(dict, b.subarray(start, end));
  }

  private endstreamFollows(at: number): boolean {
    const save = this.pos;
    this.pos = at;
    this.skipWhitespace();
    const ok = this.peekKeyword('endstream');
    this.pos = save;
    return ok;
  }

  private parseLiteralString(): PdfString {
    const b = this.buf;
    this.pos++;
    const out: number[] = [];
    let depth = 1;
    while (this.pos < b.length) {
      const c = b[this.pos++];
      if (c === 0x5c /* \ */) {
        const n = b[this.pos++];
        switch (n) {
          case 0x6e: out.push(0x0a); break;
          case 0x72: out.push(0x0d); break;
          case 0x74: out.push(0x09); break;
          case 0x62: out.push(0x08); break;
          case 0x66: out.push(0x0c); break;
          case 0x0d:
            if (b[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a: break;
          default:
            if (n >= 0x30 && n <= 0x37) {
              let v = n - 0x30;
              for (let k = 0; k < 2 && b[this.pos] >= 0x30 && b[this.pos] <= 0x37; k++) v = v * 8 + (b[this.pos++] - 0x30);
              out.push(v & 0xff);
            } else out.push(n);
        }
      } else if (c === 0x28) {
        depth++;
        out.push(c);
      } else if (c === 0x29) {
        if (--depth === 0) return new PdfString(Uint8Array.from(out));
        out.push(c);
      } else out.push(c);
    }
    throw malformed('unterminated string', this.pos);
  }

  private parseHexString(): PdfString {
    const b = this.buf;
    const start = this.pos;
    this.pos++;
    const end = b.indexOf(0x3e, this.pos);
    if (end < 0) throw malformed('unterminated hex string', start);
    if (end - this.pos > 64 && ((end - this.pos) & 1) === 0) {
      // Fast path for long strings (signature /Contents): Node's decoder stops at the first non-hex character,
      // so a full-length result means the string was plain hex digits.
      const fast = Buffer.from(latin1(b, this.pos, end), 'hex');
      if (fast.length * 2 === end - this.pos) {
        this.pos = end + 1;
        return new PdfString(new Uint8Array(fast.buffer, fast.byteOffset, fast.length), true);
      }
    }
    const bytes = new Uint8Array((end - this.pos + 1) >> 1);
    let n = 0;
    let hi = -1;
    for (let i = this.pos; i < end; i++) {
      const v = hexVal(b[i]);
      if (v < 0) {
        if (WS[b[i]]) continue;
        throw malformed('bad character in hex string', i);
      }
      if (hi < 0) hi = v;
      else {
        bytes[n++] = (hi << 4) | v;
        hi = -1;
      }
    }
    if (hi >= 0) bytes[n++] = hi << 4;
    this.pos = end + 1;
    return new PdfString(bytes.subarray(0, n), true);
  }
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const ENDSTREAM = Buffer.from('endstream', 'latin1');

export function latin1(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    // Short tokens (names, numbers, keywords): cheaper than creating a Buffer view per token.
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

export function indexOf(b: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(needle, from);
}

export function lastIndexOf(b: Uint8Array, needle: Uint8Array, from?: number): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).lastIndexOf(needle, from);
}
