// Two-phase (external) signing of PDF and XML: the service prepares, the key holder signs elsewhere, the service
// checks the value against the announced certificate and completes. See pdf-session.ts and xml-session.ts.
export { certificateKey, checkSignatureValue, ecdsaRawToDer, normalizeEcdsaSignature } from './signature-value.ts';
export { completePdfSession, startPdfSession, type CompleteOptions, type DataToSign, type PdfSessionMeta, type PdfSessionState, type StartPdfOptions } from './pdf-session.ts';
export { completeXmlSession, startXmlSession, type StartXmlOptions, type XmlSessionMeta, type XmlSessionState } from './xml-session.ts';

/** PDF if %PDF- appears in the first KiB, XML if the first non-blank character is '<'. */
export function documentFormat(bytes: Uint8Array): 'pdf' | 'xml' | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  if (head.includes('%PDF-')) return 'pdf';
  return head.replace(/^\xef\xbb\xbf/, '').trimStart().startsWith('<') ? 'xml' : undefined;
}
