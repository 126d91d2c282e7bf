// `kyso extend`: raises every signature of a PDF — kyso's or another producer's — to PAdES B-LT or B-LTA,
// always by incremental updates so the signatures themselves are never touched:
//   1. a signature without any proof of existence (no signature timestamp, no later document timestamp) gets
//      one from a document timestamp over it (EN 319 142-1 §6.3 allows either for B-T) — first, so that the
//      OCSP/CRL answers gathered next are fresher than that proof, as EU DSS does;
//   2. validation data of every signature and document timestamp in a /DSS update;
//   3. B-LTA: a document timestamp over all of that, then the new TSA's own validation data.
// Extending a B-LTA file again is archive renewal: fresh data for the previous timestamps, then a new timestamp.
import { KysoError } from '../../errors.ts';
import { parseCms } from '../../pki/cms/cms-parser.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import { PdfReader } from '../../pdf/reader.ts';
import type { DigestAlgorithm } from '../../pki/signer.ts';
import { timestampPdf } from './document-timestamp.ts';
import { addArchiveTimestamp, addValidationData, pdfSignatures, type PdfSignatureInfo } from './ltv.ts';

export type ExtendLevel = 'B-LT' | 'B-LTA';

export interface ExtendOptions {
  level: ExtendLevel;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  digest?: DigestAlgorithm;
  /** Clock for the freshness of OCSP/CRL answers; default now. */
  now?: Date;
}

export interface ExtendResult {
  bytes: Buffer;
  /** Signatures (not counting document timestamps) the data was gathered for. */
  signatures: number;
  /** Document timestamps added by this run. */
  timestampsAdded: number;
}

function hasSignatureTimestamp(s: PdfSignatureInfo): boolean {
  if (!s.cms) return false;
  try {
    return parseCms(s.cms).signer.signatureTimestamps.length > 0;
  } catch {
    return false;
  }
}

export async function extendPdf(pdf: Uint8Array, o: ExtendOptions): Promise<ExtendResult> {
  const reader = PdfReader.open(pdf);
  if (reader.isEncrypted) {
    throw new KysoError('PDF_ENCRYPTED', 'Tệp PDF được mã hóa; không thể nâng mức chữ ký', 'The PDF is encrypted; its signatures cannot be extended');
  }
  const sigs = pdfSignatures(reader);
  const signatures = sigs.filter((s) => s.kind === 'signature');
  if (sigs.length === 0) {
    throw new KysoError('INVALID_ARGUMENT', 'Tệp không có chữ ký số nào để nâng mức', 'The file has no signature to extend');
  }
  if (o.level === 'B-LTA' && !o.tsaUrl) {
    throw new KysoError('INVALID_ARGUMENT', 'Mức B-LTA cần máy chủ dấu thời gian (--tsa)', 'Level B-LTA needs a timestamp authority (--tsa)');
  }
  const stamps = sigs.filter((s) => s.kind === 'document-timestamp');
  const withoutPoe = signatures.filter((s) => !hasSignatureTimestamp(s) && !stamps.some((t) => t.signedEnd > s.signedEnd));

  let bytes: Buffer = Buffer.from(pdf);
  let timestampsAdded = 0;
  if (withoutPoe.length > 0) {
    if (!o.tsaUrl) {
      throw new KysoError(
        'INVALID_ARGUMENT',
        `${withoutPoe.length} chữ ký chưa có dấu thời gian (${withoutPoe.map((s) => s.fieldName).join(', ')}); mức ${o.level} cần máy chủ dấu thời gian (--tsa)`,
        `${withoutPoe.length} signature(s) have no timestamp (${withoutPoe.map((s) => s.fieldName).join(', ')}); ${o.level} needs a timestamp authority (--tsa)`,
      );
    }
    bytes = await timestampPdf(bytes, { tsaUrl: o.tsaUrl, network: o.network, digest: o.digest });
    timestampsAdded++;
  }
  const now = o.now ? { now: o.now } : {};
  bytes = await addValidationData(bytes, { network: o.network, scope: 'all', ...now });
  if (o.level === 'B-LTA') {
    bytes = await addArchiveTimestamp(bytes, { tsaUrl: o.tsaUrl!, network: o.network, digest: o.digest, ...now });
    timestampsAdded++;
  }
  return { bytes, signatures: signatures.length, timestampsAdded };
}
