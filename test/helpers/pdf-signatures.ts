// Test-side extraction of signatures from a signed PDF by plain byte search: independent of kyso's own
// reader so the interop tests do not verify kyso with kyso.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export interface RawSignature {
  byteRange: number[];
  cms: Buffer;
  signedData: Buffer;
}

export function extractSignatures(pdf: Buffer): RawSignature[] {
  const text = pdf.toString('latin1');
  const out: RawSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  for (let m; (m = re.exec(text)); ) {
    const br = m.slice(1, 5).map(Number);
    const hex = text.slice(br[1] + 1, br[2] - 1);
    const der = Buffer.from(hex, 'hex');
    // Strip zero padding after the DER structure.
    const parsed = asn1js.fromBER(new Uint8Array(der).buffer);
    const cms = der.subarray(0, parsed.offset);
    const signedData = Buffer.concat([pdf.subarray(br[0], br[0] + br[1]), pdf.subarray(br[2], br[2] + br[3])]);
    out.push({ byteRange: br, cms, signedData });
  }
  return out;
}

export function signerInfo(cms: Buffer): pkijs.SignerInfo {
  const ci = pkijs.ContentInfo.fromBER(new Uint8Array(cms));
  const sd = new pkijs.SignedData({ schema: ci.content });
  return sd.signerInfos[0];
}

/** The DER of the signature-time-stamp token (unsigned attribute), if present. */
export function timestampToken(cms: Buffer): Buffer | undefined {
  const si = signerInfo(cms);
  const attr = si.unsignedAttrs?.attributes.find((a) => a.type === '1.2.840.113549.1.9.16.2.14');
  return attr ? Buffer.from(attr.values[0].toBER()) : undefined;
}
