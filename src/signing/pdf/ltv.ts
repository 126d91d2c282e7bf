// PAdES long-term validation (ETSI EN 319 142-1 §5.4, §6.3 B-LT/B-LTA): finds the signatures and document
// timestamps of a PDF, gathers their validation data (src/signing/validation-data.ts, format independent) and
// stores it in the /DSS; adds the archive (document) timestamp of B-LTA followed by its own validation data,
// as pyHanko and EU DSS do.
import * as asn1js from 'asn1js';
import { listSignatureFields } from '../../pdf/acroform.ts';
import { PdfString } from '../../pdf/objects.ts';
import { PdfReader } from '../../pdf/reader.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm } from '../../pki/signer.ts';
import { bufferSource } from '../../util/bytes.ts';
import { derElementLength } from '../../util/der-length.ts';
import { ValidationDataCollector, type ValidationMaterial } from '../validation-data.ts';
import { appendDss, readDssCertificates, type VriEntry } from './dss-writer.ts';
import { timestampPdf } from './document-timestamp.ts';

export interface PdfSignatureInfo {
  fieldName: string;
  kind: 'signature' | 'document-timestamp';
  /** /Contents bytes as stored, with padding (the /VRI key is their SHA-1). */
  contents: Uint8Array;
  /** The CMS (or RFC 3161 token) without the padding; undefined when unreadable. */
  cms: Uint8Array | undefined;
  /** End of the signed bytes (ByteRange c + d): the revision this signature covers ends there. */
  signedEnd: number;
}

/** The CMS inside zero-padded /Contents: DER (definite length) or, from NSS signers, indefinite-length BER. */
function stripPadding(b: Uint8Array): Uint8Array | undefined {
  let end = b[0] === 0x30 ? derElementLength(b) : -1;
  if (end < 0 && b[0] === 0x30 && b[1] === 0x80) {
    const parsed = asn1js.fromBER(bufferSource(b));
    end = parsed.offset > 0 ? parsed.offset : -1;
  }
  return end > 0 ? b.subarray(0, end) : undefined;
}

/** Every signed signature field, in field order (older signatures usually first). */
export function pdfSignatures(reader: PdfReader): PdfSignatureInfo[] {
  const out: PdfSignatureInfo[] = [];
  for (const f of listSignatureFields(reader)) {
    if (!f.signed) continue;
    const d = reader.dict(f.value);
    const contents = reader.resolve(d?.get('Contents'));
    const br = reader.resolve(d?.get('ByteRange'));
    if (!d || !(contents instanceof PdfString) || !Array.isArray(br) || br.length !== 4) continue;
    const [, , c, len] = br.map((x) => reader.resolve(x));
    const docTs = d.name('SubFilter') === 'ETSI.RFC3161' || d.name('Type') === 'DocTimeStamp';
    out.push({
      fieldName: f.name,
      kind: docTs ? 'document-timestamp' : 'signature',
      contents: contents.bytes,
      cms: stripPadding(contents.bytes),
      signedEnd: typeof c === 'number' && typeof len === 'number' ? c + len : 0,
    });
  }
  return out;
}

export interface ValidationDataOptions {
  network?: PkiNetworkOptions;
  /** 'all' signatures and document timestamps (default), or only the 'last' one (the one covering the whole file). */
  scope?: 'all' | 'last';
  /** Clock for the freshness of the answers (tests of past signing times); default now. */
  now?: Date;
}

/** Gathers the validation data of the chosen signatures and appends it as a /DSS update. */
export async function addValidationData(pdf: Uint8Array, o: ValidationDataOptions = {}): Promise<Buffer> {
  const reader = PdfReader.open(pdf);
  let sigs = pdfSignatures(reader);
  if (o.scope === 'last') {
    const last = sigs.reduce<PdfSignatureInfo | undefined>((a, s) => (!a || s.signedEnd > a.signedEnd ? s : a), undefined);
    sigs = last ? [last] : [];
  }
  const collector = new ValidationDataCollector({ network: o.network, knownCertificates: readDssCertificates(reader), ...(o.now ? { now: o.now } : {}) });
  const vri: VriEntry[] = [];
  for (const s of sigs) {
    if (!s.cms) continue; // nothing to prove for an unreadable signature; the verifier reports it
    const material: ValidationMaterial = s.kind === 'document-timestamp' ? await collector.addTimestampToken(s.cms) : await collector.addCms(s.cms);
    vri.push({ contents: s.contents, material });
  }
  return appendDss(pdf, { material: collector.material, vri });
}

export interface ArchiveTimestampOptions {
  tsaUrl: string;
  network?: PkiNetworkOptions;
  digest?: DigestAlgorithm;
  now?: Date;
}

/**
 * B-LTA step: a document timestamp over the whole file (everything before it, the /DSS included), then the
 * TSA's own validation data in a further /DSS update so the new timestamp can be validated later too.
 */
export async function addArchiveTimestamp(pdf: Uint8Array, o: ArchiveTimestampOptions): Promise<Buffer> {
  const stamped = await timestampPdf(pdf, { tsaUrl: o.tsaUrl, network: o.network, digest: o.digest });
  return addValidationData(stamped, { network: o.network, scope: 'last', ...(o.now ? { now: o.now } : {}) });
}
