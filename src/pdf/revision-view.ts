// Object access through an arbitrary cross-reference table: one view per revision of a file, all sharing one
// parse cache keyed by where an object is stored (its byte offset, or its place in an object stream), so an
// object that several revisions share is parsed once. Used by the verifier to compare revisions.
import { ObjectAccess } from './object-access.ts';
import { decodeObjectStream, objectInStream, readIndirectAt, type DecodedObjStm } from './object-stream.ts';
import { PdfDict, PdfObject } from './objects.ts';
import { malformed } from './parser.ts';
import type { XrefEntry, XrefSection } from './xref.ts';

/** Parsed objects of one file, by storage location; shared by every view of that file. */
export class ObjectStore {
  readonly objects = new Map<string, PdfObject>();
  readonly objStms = new Map<string, DecodedObjStm>();
  constructor(readonly bytes: Uint8Array) {}
}

/** The effective table of a revision: entries of `sections` (newest first), the first mention winning. */
export function mergeSections(sections: readonly XrefSection[]): Map<number, XrefEntry> {
  const merged = new Map<number, XrefEntry>();
  for (const s of sections) for (const [n, e] of s.entries) if (!merged.has(n)) merged.set(n, e);
  return merged;
}

/** A read-only view of a file through one cross-reference table (e.g. the file as it was at revision k). */
export class RevisionView extends ObjectAccess {
  private readonly resolving = new Set<number>();
  /** Objects already read through this view, by number. */
  private readonly byNum = new Map<number, PdfObject>();

  constructor(
    readonly store: ObjectStore,
    readonly entries: Map<number, XrefEntry>,
    readonly trailer: PdfDict,
  ) {
    super();
  }

  entry(num: number): XrefEntry | undefined {
    return this.entries.get(num);
  }

  /** True when the table has an in-use entry for the number. */
  has(num: number): boolean {
    const e = this.entries.get(num);
    return e !== undefined && e.type !== 'free';
  }

  /**
   * Where the object is stored: `o<offset>` or `c<stream location>/<num>`; undefined for free or missing
   * objects. Two views return the same key exactly when they read the same bytes.
   */
  location(num: number, depth = 0): string | undefined {
    const e = this.entries.get(num);
    if (!e || e.type === 'free') return undefined;
    if (e.type === 'offset') return `o${e.offset}`;
    if (depth > 0) return undefined; // an object stream inside an object stream is not allowed (§7.5.7)
    const s = this.location(e.stream, depth + 1);
    return s === undefined ? undefined : `c${s}/${num}`;
  }

  /** The object, or null when free or missing (§7.3.10). Throws on malformed storage. */
  getObject(num: number): PdfObject {
    const mine = this.byNum.get(num);
    if (mine !== undefined) return mine;
    const e = this.entries.get(num);
    if (!e || e.type === 'free') return null;
    const key = this.location(num);
    if (key === undefined) return null;
    const hit = this.store.objects.get(key);
    if (hit !== undefined) {
      this.byNum.set(num, hit);
      return hit;
    }
    if (this.resolving.has(num)) throw malformed(`object ${num} refers to itself while being read`, 0);
    this.resolving.add(num);
    try {
      const obj = e.type === 'offset' ? this.readAt(num, e.offset) : this.readCompressed(num, e.stream, e.index);
      this.store.objects.set(key, obj);
      this.byNum.set(num, obj);
      return obj;
    } finally {
      this.resolving.delete(num);
    }
  }

  private readAt(num: number, offset: number): PdfObject {
    return readIndirectAt(this.store.bytes, num, offset, (ref) => this.resolve(ref));
  }

  private readCompressed(num: number, streamNum: number, index: number): PdfObject {
    const key = this.location(streamNum, 1);
    if (key === undefined) throw malformed(`object stream ${streamNum} of object ${num} is missing`, 0);
    let os = this.store.objStms.get(key);
    if (!os) {
      os = decodeObjectStream(this.getObject(streamNum), streamNum);
      this.store.objStms.set(key, os);
    }
    return objectInStream(os, num, index, streamNum);
  }
}
