// PAdES signing (ETSI EN 319 142-1): prepares the incremental update with a /Contents placeholder, hashes
// the /ByteRange, gets a CAdES detached SignedData for that digest and writes it into the placeholder.
// Split into prepare/embed so a signature value can come from outside the process (two-phase signing).
import { createHash } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { N, PdfDict, PdfFixedInt, PdfMarked, PdfName, PdfRef, PdfStream, PdfString } from '../../pdf/objects.ts';
import { formatPdfDate } from '../../pdf/dates.ts';
import { PdfReader, PageInfo } from '../../pdf/reader.ts';
import { signCadesDetached } from '../../pki/cms/cades-detached.ts';
import type { DigestAlgorithm, SignatureScheme, Signer } from '../../pki/signer.ts';
import { nodeDigestName } from '../../pki/signer.ts';
import { IncrementalUpdate, ObjectSink } from './incremental-writer.ts';
import { Rect, addSignatureField, assertSigningAllowed, fillSignatureField, listSignatureFields, nextFieldName } from './signature-field.ts';

/** B-LT and B-LTA are B-T signatures followed by /DSS and archive-timestamp updates (ltv.ts, sign-document.ts). */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

/**
 * Builds the widget appearance; returns the rectangle in page space and the /AP /N form XObject. `target` is
 * the widget rectangle of an existing empty field being signed into: the appearance must fill it.
 */
export type AppearanceBuilder = (sink: ObjectSink, page: PageInfo, reader: PdfReader, target?: Rect) => { rect: Rect; ap: PdfRef };

export interface PrepareOptions {
  /** A signature (CAdES) or a document timestamp (RFC 3161 token over the file, PAdES B-LTA). */
  kind?: 'signature' | 'document-timestamp';
  /** 0-based page index for the widget (default 0). */
  page?: number;
  /** Name of the new field, or of an existing empty signature field to sign into (its page and box are used). */
  fieldName?: string;
  appearance?: AppearanceBuilder;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signer's name for /Name (informational; the certificate is authoritative). */
  name?: string;
  /** Claimed signing time written to /M (PAdES forbids the CMS signing-time attribute). */
  signingTime?: Date;
  /** Bytes reserved for the CMS (DER, before hex encoding). */
  reservedBytes: number;
  digest?: DigestAlgorithm;
}

export interface PreparedPdf {
  /** Original file followed by the update with a zero-filled /Contents. */
  bytes: Buffer;
  originalLength: number;
  byteRange: [number, number, number, number];
  /** Offset of the first hex digit inside /Contents and the number of hex digits available. */
  contentsHexOffset: number;
  contentsHexLength: number;
  digest: DigestAlgorithm;
  /** Digest of the two ByteRange ranges: the message-digest the CMS must carry. */
  documentDigest: Uint8Array;
  fieldName: string;
}

export function openForSigning(pdf: Uint8Array): PdfReader {
  const reader = PdfReader.open(pdf);
  if (reader.isEncrypted) {
    throw new KysoError('PDF_ENCRYPTED', 'Tệp PDF được mã hóa; hãy gỡ mã hóa trước khi ký', 'The PDF is encrypted; remove the encryption before signing');
  }
  reader.catalog; // throws a clear error when the trailer has no catalog
  assertSigningAllowed(reader);
  return reader;
}

export const invisibleAppearance: AppearanceBuilder = (sink) => ({
  rect: [0, 0, 0, 0],
  ap: sink.add(new PdfStream(new PdfDict({ Type: N('XObject'), Subtype: N('Form'), BBox: [0, 0, 0, 0] }), new Uint8Array(0))),
});

export function prepareSignature(pdf: Uint8Array, o: PrepareOptions, reader = openForSigning(pdf)): PreparedPdf {
  const update = new IncrementalUpdate(reader);
  const existing = o.fieldName !== undefined ? listSignatureFields(reader).find((f) => f.name === o.fieldName) : undefined;
  if (existing?.signed) {
    throw new KysoError('INVALID_ARGUMENT', `Trường chữ ký "${existing.name}" đã được ký`, `Signature field "${existing.name}" is already signed`);
  }
  const pageIndex = existing?.pageRef ? reader.pageIndexOf(existing.pageRef) : undefined;
  const page = reader.getPage(pageIndex ?? o.page ?? 0);
  const fieldName = o.fieldName ?? nextFieldName(reader, o.kind === 'document-timestamp' ? 'DocTimeStamp' : 'Signature');

  const sig = new PdfDict();
  // /ByteRange and /Contents first, so their marks are the first of their kind in the object.
  const docTs = o.kind === 'document-timestamp';
  sig.set('Type', N(docTs ? 'DocTimeStamp' : 'Sig'));
  sig.set('Filter', N('Adobe.PPKLite'));
  sig.set('SubFilter', N(docTs ? 'ETSI.RFC3161' : 'ETSI.CAdES.detached'));
  sig.set('ByteRange', new PdfMarked('ByteRange', [0, new PdfFixedInt(0, 10), new PdfFixedInt(0, 10), new PdfFixedInt(0, 10)]));
  sig.set('Contents', new PdfMarked('Contents', new PdfString(new Uint8Array(o.reservedBytes), true)));
  // A document timestamp's time is the token's genTime; /M would only be a claim.
  if (!docTs) sig.set('M', PdfString.latin1(formatPdfDate(o.signingTime ?? new Date())));
  if (o.name) sig.set('Name', PdfString.text(o.name));
  if (o.reason) sig.set('Reason', PdfString.text(o.reason));
  if (o.location) sig.set('Location', PdfString.text(o.location));
  if (o.contactInfo) sig.set('ContactInfo', PdfString.text(o.contactInfo));
  sig.set('Prop_Build', new PdfDict({ App: new PdfDict({ Name: PdfName.of('kyso') }) }));
  const sigRef = update.add(sig);

  if (existing) {
    // Signing into a pre-placed field: its widget keeps its box; a visible appearance is drawn to fill it.
    const target = existing.rect && existing.rect[2] - existing.rect[0] > 1 && existing.rect[3] - existing.rect[1] > 1 ? existing.rect : undefined;
    const built = o.appearance && target ? o.appearance(update, page, reader, target) : undefined;
    fillSignatureField(update, existing, sigRef, built?.ap);
  } else {
    const { rect, ap } = (o.appearance ?? invisibleAppearance)(update, page, reader);
    addSignatureField(update, { page, name: fieldName, signature: sigRef, rect, appearance: ap });
  }

  const { bytes: tail, marks } = update.serialize();
  const original = reader.bytes;
  const contents = marks.get('Contents')!;
  const br = marks.get('ByteRange')!;
  const total = original.length + tail.length;
  const byteRange: [number, number, number, number] = [0, contents.start, contents.end, total - contents.end];

  // Patch /ByteRange in place; the placeholder is wide enough for any file under 10 GB.
  const inner = byteRange.join(' ');
  const width = br.end - br.start - 2;
  if (inner.length > width) throw new KysoError('PDF_UNSUPPORTED', 'Tệp quá lớn', 'File too large for the /ByteRange placeholder');
  tail.write(`[${inner.padEnd(width, ' ')}]`, br.start - original.length, 'latin1');

  const digest = o.digest ?? 'SHA-256';
  const h = createHash(nodeDigestName(digest));
  h.update(original);
  h.update(tail.subarray(0, contents.start - original.length));
  h.update(tail.subarray(contents.end - original.length));
  return {
    bytes: Buffer.concat([original, tail], total),
    originalLength: original.length,
    byteRange,
    contentsHexOffset: contents.start + 1,
    contentsHexLength: contents.end - contents.start - 2,
    digest,
    documentDigest: h.digest(),
    fieldName,
  };
}

/** Writes the CMS into the placeholder of a prepared file (in place) and returns the signed file. */
export function embedSignature(prepared: PreparedPdf, cms: Uint8Array): Buffer {
  const hex = Buffer.from(cms).toString('hex');
  if (hex.length > prepared.contentsHexLength) {
    throw new KysoError(
      'PLACEHOLDER_TOO_SMALL',
      `Chữ ký (${cms.length} byte) lớn hơn chỗ dành sẵn (${prepared.contentsHexLength / 2} byte)`,
      `Signature (${cms.length} bytes) exceeds the reserved space (${prepared.contentsHexLength / 2} bytes)`,
    );
  }
  prepared.bytes.write(hex, prepared.contentsHexOffset, 'latin1');
  return prepared.bytes;
}

export interface SignPdfOptions extends Omit<PrepareOptions, 'reservedBytes'> {
  signer: Signer;
  level?: PadesLevel;
  scheme?: SignatureScheme;
  /** Returns an RFC 3161 token over the given signature value (required for B-T). */
  timestamper?: (signatureValue: Uint8Array, digest: DigestAlgorithm) => Promise<Uint8Array>;
  /** Override the reserved CMS size (bytes). */
  reservedBytes?: number;
}

/** Room for the CMS: certificates + signature + attributes, plus a timestamp token with its TSA chain. */
export function estimateReservedBytes(signer: Signer, level: PadesLevel): number {
  const certs = signer.certificate.length + signer.chain.reduce((n, c) => n + c.length, 0);
  const sig = Math.ceil(signer.keyBits / 8) + 16;
  return certs + 2 * sig + 2048 + (level !== 'B-B' ? 12_288 : 0);
}

export async function signPdf(pdf: Uint8Array, o: SignPdfOptions): Promise<Buffer> {
  const level = o.level ?? 'B-B';
  if (level !== 'B-B' && !o.timestamper) {
    throw new KysoError('INVALID_ARGUMENT', `Mức ${level} cần địa chỉ máy chủ dấu thời gian (TSA)`, `Level ${level} needs a timestamp authority (TSA)`);
  }
  const reader = openForSigning(pdf);
  let reserved = o.reservedBytes ?? estimateReservedBytes(o.signer, level);
  for (let attempt = 0; ; attempt++) {
    const prepared = prepareSignature(pdf, { ...o, reservedBytes: reserved }, reader);
    const cms = await signCadesDetached({
      signer: o.signer,
      digest: prepared.digest,
      scheme: o.scheme,
      contentDigest: prepared.documentDigest,
      timestamp: level !== 'B-B' ? o.timestamper : undefined,
    });
    if (cms.length <= reserved || attempt > 0 || o.reservedBytes !== undefined) return embedSignature(prepared, cms);
    // A TSA with a long chain can outgrow the estimate: redo once with the exact size.
    reserved = cms.length + 1024;
  }
}
