// PAdES document timestamp (ETSI EN 319 142-1 §5.4.3): an RFC 3161 token over the whole file so far, added as
// an incremental update with /SubFilter /ETSI.RFC3161. It proves the existence of everything before it,
// including earlier signatures, and is the building block of B-LTA archive renewal.
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm } from '../../pki/signer.ts';
import { requestTimestamp } from '../../pki/tsp-client.ts';
import { embedSignature, openForSigning, prepareSignature } from './pades.ts';

export interface DocumentTimestampOptions {
  tsaUrl: string;
  network?: PkiNetworkOptions;
  digest?: DigestAlgorithm;
  fieldName?: string;
  /** Bytes reserved for the token (default 16 KiB: token + TSA chain). */
  reservedBytes?: number;
}

export async function timestampPdf(pdf: Uint8Array, o: DocumentTimestampOptions): Promise<Buffer> {
  const reader = openForSigning(pdf);
  const prepared = prepareSignature(
    pdf,
    { kind: 'document-timestamp', reservedBytes: o.reservedBytes ?? 16_384, digest: o.digest, fieldName: o.fieldName },
    reader,
  );
  const token = await requestTimestamp({ digest: prepared.documentDigest }, prepared.digest, { ...o.network, url: o.tsaUrl });
  return embedSignature(prepared, token.tokenDer);
}
