// The PDF object model (ISO 32000-1 §7.3) shared by the reader, the incremental writer and the verifier.
// Pure data: no I/O, no crypto.

export class PdfName {
  private static readonly interned = new Map<string, PdfName>();
  private constructor(readonly name: string) {}
  /** Names are interned so they can be compared with ===. `name` is the decoded name without the slash. */
  static of(name: string): PdfName {
    let n = PdfName.interned.get(name);
    if (!n) {
      n = new PdfName(name);
      PdfName.interned.set(name, n);
    }
    return n;
  }
  toString(): string {
    return '/' + this.name;
  }
}

/** Shorthand for PdfName.of. */
export const N = (name: string): PdfName => PdfName.of(name);

export class PdfString {
  /** `hex` records how the string was (or should be) written, e.g. /Contents must stay a hex string. */
  constructor(
    readonly bytes: Uint8Array,
    readonly hex = false,
  ) {}
  static latin1(text: string, hex = false): PdfString {
    return new PdfString(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff), hex);
  }
  /** A text string (§7.9.2.2): PDFDocEncoding-compatible ASCII stays as is, anything else is UTF-16BE with BOM. */
  static text(text: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(text)) return PdfString.latin1(text);
    const out = new Uint8Array(2 + text.length * 2);
    out[0] = 0xfe;
    out[1] = 0xff;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      out[2 + i * 2] = c >> 8;
      out[3 + i * 2] = c & 0xff;
    }
    return new PdfString(out, true);
  }
  /** Decodes a text string: UTF-16BE (with BOM), UTF-8 (with BOM, PDF 2.0) or PDFDocEncoding treated as Latin-1. */
  toText(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let s = '';
      for (let i = 2; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i] << 8) | b[i + 1]);
      return s;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      return Buffer.from(b.subarray(3)).toString('utf8');
    }
    return Buffer.from(b).toString('latin1');
  }
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
}

export class PdfDict {
  readonly map: Map<string, PdfObject>;
  constructor(entries?: Iterable<[string, PdfObject]> | Record<string, PdfObject>) {
    if (!entries) this.map = new Map();
    else if (Symbol.iterator in Object(entries)) this.map = new Map(entries as Iterable<[string, PdfObject]>);
    else this.map = new Map(Object.entries(entries as Record<string, PdfObject>));
  }
  get(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfObject): this {
    this.map.set(key, value);
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  /** The value as a name string, if it is a name. */
  name(key: string): string | undefined {
    const v = this.map.get(key);
    return v instanceof PdfName ? v.name : undefined;
  }
  clone(): PdfDict {
    return new PdfDict(this.map);
  }
}

export class PdfStream {
  /** `data` holds the stream bytes exactly as stored in the file (still encoded with /Filter). */
  constructor(
    readonly dict: PdfDict,
    public data: Uint8Array,
  ) {}
}

/** An unsigned integer written zero-padded to a fixed width, so a placeholder can be patched in place. */
export class PdfFixedInt {
  constructor(
    public value: number,
    readonly width: number,
  ) {}
}

/** Wraps a value so the serialiser records its byte range (used for /Contents and /ByteRange placeholders). */
export class PdfMarked {
  constructor(
    readonly label: string,
    readonly value: PdfObject,
  ) {}
}

export type PdfObject =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfDict
  | PdfStream
  | PdfFixedInt
  | PdfMarked
  | PdfObject[];

export const isDict = (o: unknown): o is PdfDict => o instanceof PdfDict;
export const isRef = (o: unknown): o is PdfRef => o instanceof PdfRef;
export const isName = (o: unknown, name?: string): o is PdfName =>
  o instanceof PdfName && (name === undefined || o.name === name);
