// One entry point for "verify this file", whatever it is: PDF (PAdES) or XML (XAdES, edXML packages with
// their PDF attachments). The CLI and the HTTP API call this; the format is sniffed from the bytes.
import { KysoError } from '../errors.ts';
import { verifyPdf, type VerifyOptions } from '../verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../verify/report.ts';
import { verifyXmlPackage } from './edxml/verify-package.ts';

export type DocumentFormat = 'PDF' | 'XML';

/** PDF if %PDF- appears in the first KiB (as readers allow), XML if the first non-blank character is '<'. */
export function sniffFormat(bytes: Uint8Array): DocumentFormat | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return 'PDF';
  const start = head.replace(/^\xef\xbb\xbf/, '').trimStart();
  return start.startsWith('<') ? 'XML' : undefined;
}

export async function verifyDocument(bytes: Uint8Array, opts: VerifyOptions = {}): Promise<ValidationReport> {
  switch (sniffFormat(bytes)) {
    case 'PDF':
      return verifyPdf(bytes, opts);
    case 'XML':
      return (await verifyXmlPackage(bytes, opts)).report;
    default:
      throw new KysoError('UNSUPPORTED_FORMAT', 'Tệp không phải PDF hay XML', 'The file is neither a PDF nor XML');
  }
}
