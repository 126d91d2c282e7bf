// The revisions of a PDF (ISO 32000-1 §7.5.6): one per incremental update, oldest first, each ending just after
// its %%EOF line. A signature covers a whole revision when its /ByteRange ends at one of these ends; what was
// appended later is examined by diff-analysis.ts. Anomalies that let a file show something else than what
// its revisions say (bytes after the last %%EOF, sections hidden inside earlier revisions, hybrid
// cross-reference sections) are reported, never repaired.
import { PdfDict } from '../../pdf/objects.ts';
import { PdfParser, indexOf, malformed } from '../../pdf/parser.ts';
import { PdfReader } from '../../pdf/reader.ts';
import { ObjectStore, RevisionView, mergeSections } from '../../pdf/revision-view.ts';
import { readXrefChain, type XrefChain, type XrefEntry, type XrefSection } from '../../pdf/xref.ts';

export interface Revision {
  /** 1-based, oldest first (the numbering of SignatureReport.revision and Change.revision). */
  number: number;
  /**
   * The cross-reference sections written by this revision, newest first: one, or two for a linearized
   * original (its first-page section and main section end at the same %%EOF).
   */
  sections: XrefSection[];
  /** The startxref value of this revision (the offset of its newest section). */
  startxref: number;
  /** Offset just after `%%EOF`. */
  eofEnd: number;
  /** Offset just after the end-of-line that follows `%%EOF` (= eofEnd when none follows). */
  end: number;
  /** 'hybrid' when a classic section carries /XRefStm (§7.5.8.4). */
  kind: 'table' | 'stream' | 'hybrid';
  /** The objects this revision writes or frees: its sections' entries merged. */
  entries: Map<number, XrefEntry>;
  /** The trailer of the newest section (the revision's trailer dictionary or xref stream dictionary). */
  trailer: PdfDict;
  /** Structural problems: no matching startxref/%%EOF, a section inside an earlier revision. */
  problems: string[];
}

export interface RevisionInfo {
  revisions: Revision[];
  chain: XrefChain;
  /** Bytes after the last revision's end (an unexplained change when > 0). */
  trailing: { offset: number; length: number; whitespaceOnly: boolean } | undefined;
  /** Some revision has a hybrid-reference section. */
  hybrid: boolean;
}

const STARTXREF = Buffer.from('startxref', 'latin1');
const EOF_MARK = Buffer.from('%%EOF', 'latin1');
const isWs = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;

/** Where the section's own syntax ends (after the trailer dictionary, or after the xref stream's endobj). */
function sectionEnd(bytes: Uint8Array, s: XrefSection): number | undefined {
  try {
    if (s.kind === 'table') {
      const at = indexOf(bytes, Buffer.from('trailer', 'latin1'), s.offset);
      if (at < 0) return undefined;
      const p = new PdfParser(bytes, at + 7);
      p.parseObject();
      return p.pos;
    }
    const p = new PdfParser(bytes, s.offset);
    p.parseIndirect();
    p.skipWhitespace();
    if (p.peekKeyword('endobj')) p.pos += 6;
    return p.pos;
  } catch {
    return undefined;
  }
}

/** The first `startxref N %%EOF` after `from`: N, the offset after %%EOF and after its end-of-line. */
function findEof(bytes: Uint8Array, from: number): { value: number; eofEnd: number; end: number } | undefined {
  for (let at = indexOf(bytes, STARTXREF, from); at >= 0; at = indexOf(bytes, STARTXREF, at + STARTXREF.length)) {
    let p = at + STARTXREF.length;
    while (isWs(bytes[p])) p++;
    const s = p;
    while (bytes[p] >= 0x30 && bytes[p] <= 0x39) p++;
    if (p === s) continue;
    const value = Number(Buffer.from(bytes.buffer, bytes.byteOffset + s, p - s).toString('latin1'));
    while (isWs(bytes[p])) p++;
    if (indexOf(bytes, EOF_MARK, p) !== p) continue;
    const eofEnd = p + EOF_MARK.length;
    let end = eofEnd;
    if (bytes[end] === 0x0d) end++;
    if (bytes[end] === 0x0a) end++;
    return { value, eofEnd, end };
  }
  return undefined;
}

/** Revisions, trailing bytes and hybrid sections of a file. Throws KysoError on an unreadable xref chain. */
export function inspectRevisions(bytes: Uint8Array): RevisionInfo {
  const chain = readXrefChain(bytes);
  const revisions: Revision[] = [];
  const oldestFirst = [...chain.sections].reverse();
  for (let i = 0; i < oldestFirst.length; i++) {
    const s = oldestFirst[i];
    const sEnd = sectionEnd(bytes, s) ?? s.offset;
    const eof = findEof(bytes, sEnd);
    const problems: string[] = [];
    const sections = [s];
    const next = oldestFirst[i + 1];
    if (eof && eof.value !== s.offset && next && eof.value === next.offset && next.offset < s.offset && i === 0) {
      // Linearized original (Annex F): the main section at the end has no startxref of its own; the file's
      // startxref points at the first-page section at the front, whose /Prev is the main section.
      sections.unshift(next);
      i++;
    } else if (!eof || eof.value !== s.offset) {
      problems.push(`the cross-reference section at byte ${s.offset} is not followed by its own startxref and %%EOF`);
    }
    const { eofEnd, end } = eof ?? { eofEnd: sEnd, end: sEnd };
    const prev = revisions[revisions.length - 1];
    if (prev && (s.offset < prev.end || end <= prev.end)) {
      problems.push(`the cross-reference section at byte ${s.offset} lies inside revision ${prev.number} (which ends at byte ${prev.end})`);
    }
    revisions.push({
      number: revisions.length + 1,
      sections,
      startxref: sections[0].offset,
      eofEnd,
      end,
      kind: sections.some((x) => x.xrefStm !== undefined) ? 'hybrid' : s.kind,
      entries: mergeSections(sections),
      trailer: sections[0].trailer,
      problems,
    });
  }
  const tail = revisions.reduce((m, r) => Math.max(m, r.end), 0);
  let trailing: RevisionInfo['trailing'];
  if (tail < bytes.length) {
    let ws = true;
    for (let i = tail; i < bytes.length && ws; i++) ws = isWs(bytes[i]);
    trailing = { offset: tail, length: bytes.length - tail, whitespaceOnly: ws };
  }
  return { revisions, chain, trailing, hybrid: revisions.some((r) => r.kind === 'hybrid') };
}

/** The revisions of a file, oldest first. */
export function listRevisions(bytes: Uint8Array): Revision[] {
  return inspectRevisions(bytes).revisions;
}

/**
 * The revision a signed range ending at `offset` covers: its end, or just its %%EOF when the signer left the
 * end-of-line out of the signed range.
 */
export function revisionEndingAt(revisions: readonly Revision[], offset: number): Revision | undefined {
  return revisions.find((r) => r.end === offset) ?? revisions.find((r) => r.eofEnd === offset);
}

/** A PdfReader over the file as it was at `revision` (its bytes up to the revision's end). */
export function readerAtRevision(bytes: Uint8Array, revision: Revision): PdfReader {
  const r = PdfReader.open(bytes.subarray(0, revision.end));
  if (r.xref.startxref !== revision.startxref) {
    throw malformed(`revision ${revision.number} does not end with its own startxref`, revision.end);
  }
  return r;
}

/** Views of every revision (index i = revision i+1) over one shared parse cache. */
export function revisionViews(bytes: Uint8Array, revisions: readonly Revision[], store = new ObjectStore(bytes)): RevisionView[] {
  const views: RevisionView[] = [];
  const sections: XrefSection[] = [];
  for (const r of revisions) {
    sections.unshift(...r.sections);
    views.push(new RevisionView(store, mergeSections(sections), r.trailer));
  }
  return views;
}
