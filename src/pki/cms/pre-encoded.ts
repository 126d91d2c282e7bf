// An asn1js element that writes bytes that are already DER (certificates, tokens) as they are.
// asn1js's own RawData ignores the writer its parent passes in, so inside a SEQUENCE/SET/[n] it would vanish.
import * as asn1js from 'asn1js';

export class PreEncoded extends asn1js.RawData {
  constructor(der: Uint8Array) {
    super({ data: der });
  }

  override toBER(sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    if (writer) {
      writer.write(this.dataView);
      return new ArrayBuffer(0);
    }
    return super.toBER(sizeOnly);
  }
}

/** Typed as an asn1js element so it can sit in constructed values. */
export const preEncoded = (der: Uint8Array): asn1js.AsnType => new PreEncoded(der) as unknown as asn1js.AsnType;
