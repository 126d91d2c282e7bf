// Validation data embedded in the document's /DSS (PAdES, ETSI EN 319 142-1 §5.4): certificates, OCSP
// responses and CRLs that let a signature be validated without the network.
import { decodeStream } from '../../pdf/filters.ts';
import { PdfStream } from '../../pdf/objects.ts';
import type { PdfReader } from '../../pdf/reader.ts';
import type { EmbeddedValidationData } from '../cms-validation.ts';

function streams(reader: PdfReader, key: string): Uint8Array[] {
  const dss = reader.dict(reader.catalog.get('DSS'));
  const arr = reader.resolve(dss?.get(key));
  if (!Array.isArray(arr)) return [];
  const out: Uint8Array[] = [];
  for (const item of arr) {
    const s = reader.resolve(item);
    if (!(s instanceof PdfStream)) continue;
    try {
      out.push(decodeStream(s, 16 * 1024 * 1024));
    } catch {
      // An undecodable entry is simply not usable validation data.
    }
  }
  return out;
}

export function readDss(reader: PdfReader): EmbeddedValidationData {
  return { certificates: streams(reader, 'Certs'), ocspResponses: streams(reader, 'OCSPs'), crls: streams(reader, 'CRLs') };
}
