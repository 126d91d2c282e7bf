// Lazy random-access reader over a PDF file: trailer, catalog, page tree and single objects on demand.
// It never parses the whole file, so signing a 200-page document touches only a handful of objects.
import { KysoError } from '../errors.ts';
import { ObjectAccess } from './object-access.ts';
import { decodeObjectStream, objectInStream, readIndirectAt, type DecodedObjStm } from './object-stream.ts';
import { PdfDict, PdfObject, PdfRef } from './objects.ts';
import { latin1, malformed } from './parser.ts';
import { XrefChain, XrefEntry, notPdf, readXrefChain } from './xref.ts';

export interface PageInfo {
  ref: PdfRef;
  dict: PdfDict;
  index: number;
  /** Inherited attributes resolved up the page tree (§7.7.3.4). */
  mediaBox: [number, number, number, number];
  cropBox: [number, number, number, number];
  rotate: number;
}

const MAX_PAGE_TREE_DEPTH = 64;

export class PdfReader extends ObjectAccess {
  readonly xref: XrefChain;
  /** Header version, e.g. "1.7". */
  readonly version: string;
  private readonly cache = new Map<number, PdfObject>();
  private readonly objStmCache = new Map<number, DecodedObjStm>();
  private readonly resolving = new Set<number>();

  private constructor(readonly bytes: Uint8Array) {
    super();
    const head = latin1(bytes, 0, Math.min(1024, bytes.length));
    const m = /%PDF-(\d\.\d)/.exec(head);
    if (!m) throw notPdf();
    this.version = m[1];
    this.xref = readXrefChain(bytes);
  }

  static open(bytes: Uint8Array): PdfReader {
    if (bytes.length < 16) throw notPdf();
    return new PdfReader(bytes);
  }

  get trailer(): PdfDict {
    return this.xref.trailer;
  }

  /** The next free object number for an incremental update. */
  get size(): number {
    const s = this.trailer.get('Size');
    let max = typeof s === 'number' ? s : 0;
    for (const n of this.xref.merged.keys()) if (n + 1 > max) max = n + 1;
    return max;
  }

  get isEncrypted(): boolean {
    return this.trailer.has('Encrypt');
  }

  entry(num: number): XrefEntry | undefined {
    return this.xref.merged.get(num);
  }

  getObject(num: number): PdfObject {
    const hit = this.cache.get(num);
    if (hit !== undefined) return hit;
    const e = this.xref.merged.get(num);
    if (!e || e.type === 'free') return null;
    if (this.resolving.has(num)) throw malformed(`object ${num} refers to itself while being read`, 0);
    this.resolving.add(num);
    try {
      const obj = e.type === 'offset' ? this.readAt(num, e.offset) : this.readCompressed(num, e.stream, e.index);
      this.cache.set(num, obj);
      return obj;
    } finally {
      this.resolving.delete(num);
    }
  }

  /** Reads the object stored at a byte offset (used by the verifier for per-revision views, too). */
  readAt(num: number, offset: number): PdfObject {
    return readIndirectAt(this.bytes, num, offset, (ref) => this.resolve(ref));
  }

  private readCompressed(num: number, streamNum: number, index: number): PdfObject {
    let os = this.objStmCache.get(streamNum);
    if (!os) {
      os = decodeObjectStream(this.getObject(streamNum), streamNum);
      this.objStmCache.set(streamNum, os);
    }
    return objectInStream(os, num, index, streamNum);
  }

  get catalog(): PdfDict {
    const root = this.trailer.get('Root');
    const cat = this.dict(root);
    if (!cat) throw malformed('trailer has no /Root catalog', 0);
    return cat;
  }

  get catalogRef(): PdfRef {
    const root = this.trailer.get('Root');
    if (!(root instanceof PdfRef)) throw malformed('trailer /Root is not an indirect reference', 0);
    return root;
  }

  pageCount(): number {
    const pages = this.dict(this.catalog.get('Pages'));
    const c = pages?.get('Count');
    return typeof c === 'number' ? c : 0;
  }

  /** Finds page `index` (0-based) using /Count to skip subtrees, resolving inherited attributes. */
  getPage(index: number): PageInfo {
    const count = this.pageCount();
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new KysoError('PAGE_OUT_OF_RANGE', `Trang ${index + 1} không tồn tại (tài liệu có ${count} trang)`, `Page ${index + 1} does not exist (the document has ${count} pages)`);
    }
    let nodeRef = this.catalog.get('Pages');
    let remaining = index;
    const inherited: { MediaBox?: PdfObject; CropBox?: PdfObject; Rotate?: PdfObject } = {};
    const visited = new Set<number>();
    for (let depth = 0; depth < MAX_PAGE_TREE_DEPTH; depth++) {
      if (!(nodeRef instanceof PdfRef)) throw malformed('page tree node is not an indirect reference', 0);
      if (visited.has(nodeRef.num)) throw malformed('page tree has a cycle', 0);
      visited.add(nodeRef.num);
      const node = this.dict(nodeRef);
      if (!node) throw malformed('page tree node is missing', 0);
      for (const k of ['MediaBox', 'CropBox', 'Rotate'] as const) if (node.has(k)) inherited[k] = node.get(k);
      const type = node.name('Type');
      if (type === 'Page' || (!node.has('Kids') && type !== 'Pages')) {
        if (remaining !== 0) throw malformed('page tree /Count does not match its leaves', 0);
        const mediaBox = this.rect(inherited.MediaBox) ?? [0, 0, 595.28, 841.89];
        return {
          ref: nodeRef,
          dict: node,
          index,
          mediaBox,
          cropBox: this.rect(inherited.CropBox) ?? mediaBox,
          rotate: (((this.resolve(inherited.Rotate) as number) || 0) % 360 + 360) % 360,
        };
      }
      const kids = this.resolve(node.get('Kids'));
      if (!Array.isArray(kids)) throw malformed('page tree node without /Kids', 0);
      let next: PdfObject | undefined;
      for (const kid of kids) {
        const kd = this.dict(kid);
        if (!kd) continue;
        const isLeaf = kd.name('Type') === 'Page' || !kd.has('Kids');
        const c = isLeaf ? 1 : ((this.resolve(kd.get('Count')) as number) ?? 0);
        if (remaining < c) {
          next = kid;
          break;
        }
        remaining -= c;
      }
      if (next === undefined) throw malformed('page tree /Count does not match its leaves', 0);
      nodeRef = next;
    }
    throw malformed('page tree too deep', 0);
  }

  /** The 0-based index of the page object `ref`, or undefined (a linear walk: only for occasional lookups). */
  pageIndexOf(ref: PdfRef): number | undefined {
    const n = this.pageCount();
    for (let i = 0; i < n; i++) if (this.getPage(i).ref.num === ref.num) return i;
    return undefined;
  }

  rect(o: PdfObject | undefined): [number, number, number, number] | undefined {
    const a = this.resolve(o);
    if (!Array.isArray(a) || a.length !== 4) return undefined;
    const v = a.map((x) => this.resolve(x));
    if (!v.every((x) => typeof x === 'number')) return undefined;
    const [x1, y1, x2, y2] = v as number[];
    return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
  }
}
