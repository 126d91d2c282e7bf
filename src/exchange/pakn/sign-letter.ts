// Signing a composed PAKN letter the way Decree 30/2020 wants an electronic công văn signed (Art. 5, 32–33):
//
//   signLetter(pdf, { person, seal, level?, tsa?, signatureRect, network?, revocationCheck?, now? })
//       → Promise<SignedLetter>
//     1. the competent person's signature (person.signer), with the blue signature image fitted into
//        `signatureRect` (the box composeRoutingLetter/composeReplyLetter returned);
//     2. the agency signature (seal.signer) as an incremental update, with the red seal at real physical size
//        (PNG pHYs, else `diameterMm`, else 35 mm) covering the left third of the drawn signature image.
//     Without `person.image` the person's signature is invisible and the seal goes over the left third of
//     `signatureRect`; without `seal.image` the agency signature is invisible.
//   stampAttachment(pdf, seal, numberSymbol, options?) → Promise<SignDocumentResult>
//     a separate attachment of the letter: the agency signature with the Decree 30 §4 top-right text stamp
//     ("số: 125/vpcp-kstt" / "thời gian ký: … +07:00"), no image.
//
// Both check each certificate before signing (expired/revoked refused; see signDocument) and use level B-B or,
// with a TSA URL, B-T. Errors are the KysoErrors of signDocument (CERT_*, TSA_FAILED, IMAGE_INVALID, …) plus
// INVALID_ARGUMENT for a bad placement.
import { KysoError } from '../../errors.ts';
import { PdfReader } from '../../pdf/reader.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { Signer } from '../../pki/signer.ts';
import type { RevocationCheckMode } from '../../signing/certificate-precheck.ts';
import { sealRect, sealSize } from '../../signing/pdf/appearance/appearance.ts';
import { readPngInfo } from '../../signing/pdf/appearance/png-image.ts';
import type { XYWH } from '../../signing/pdf/appearance/types.ts';
import type { PadesLevel } from '../../signing/pdf/pades.ts';
import { lastSignerRect } from '../../signing/pdf/placement.ts';
import { signDocument, type Notice, type SignDocumentResult } from '../../signing/pdf/sign-document.ts';
import type { SignaturePlacement } from './letters.ts';

export interface LetterSigningParty {
  signer: Signer;
  /** PNG with transparency: the person's blue handwritten signature, or the agency's red seal. */
  image?: Buffer;
  /** /Reason of the signature, e.g. "Ký ban hành văn bản". */
  reason?: string;
}

/** How letter signatures reach the TSA and revocation services, and how strict the certificate check is. */
export interface LetterSigningContext {
  /** 'B-T' needs `tsa`. Default: 'B-T' when `tsa` is given, else 'B-B'. */
  level?: PadesLevel;
  /** RFC 3161 timestamp authority URL. */
  tsa?: string;
  network?: PkiNetworkOptions;
  /** Default 'prefer': refuse revoked certificates, warn when the status cannot be determined. */
  revocationCheck?: RevocationCheckMode;
  /** Signing time (default now). */
  now?: Date;
}

export interface SignLetterOptions extends LetterSigningContext {
  /** The competent person (KT./TL. signer): signs first. */
  person: LetterSigningParty;
  /** The agency (the clerk's agency key): signs second, only after the person. */
  seal: LetterSigningParty & { diameterMm?: number };
  /** The box for the signature image, as composed (ComposedLetter.signature). */
  signatureRect: SignaturePlacement;
  /** /Location of both signatures, e.g. "Hà Nội". */
  location?: string;
}

export interface SignedLetter {
  /** The letter with both signatures. */
  pdf: Buffer;
  /** The first revision: the letter signed by the person only. */
  personSigned: Buffer;
  /** Where the signature image and the seal were drawn (x, y, w, h in points), when visible. */
  personRect?: XYWH;
  sealRect?: XYWH;
  warnings: Notice[];
}

function checkPlacement(p: SignaturePlacement): void {
  const ok =
    p &&
    Number.isInteger(p.page) &&
    p.page >= 0 &&
    Array.isArray(p.rect) &&
    p.rect.length === 4 &&
    p.rect.every(Number.isFinite) &&
    p.rect[2] > 0 &&
    p.rect[3] > 0;
  if (!ok) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Vị trí chữ ký không hợp lệ: ${JSON.stringify(p)}`,
      `invalid signature placement: ${JSON.stringify(p)} (expected { page, rect: [x, y, w, h] })`,
    );
  }
}

const levelOf = (c: LetterSigningContext): PadesLevel => c.level ?? (c.tsa ? 'B-T' : 'B-B');

/** The person's signature, then the agency seal over its left third. See the module comment. */
export async function signLetter(pdf: Uint8Array, o: SignLetterOptions): Promise<SignedLetter> {
  checkPlacement(o.signatureRect);
  const { page, rect } = o.signatureRect;
  const common = {
    level: levelOf(o),
    tsaUrl: o.tsa,
    network: o.network,
    revocationCheck: o.revocationCheck,
    page,
    location: o.location,
  };

  const one = await signDocument(pdf, {
    ...common,
    signer: o.person.signer,
    now: o.now,
    reason: o.person.reason,
    appearance: o.person.image ? { kind: 'signer', image: o.person.image, rect } : { kind: 'none' },
  });

  // The seal is placed explicitly (not left to signDocument) so that `diameterMm` and an invisible person
  // signature work too: against the drawn image when there is one, else against the reserved box.
  let placedSeal: XYWH | undefined;
  let personRect: XYWH | undefined;
  if (o.person.image || o.seal.image) {
    const reader = PdfReader.open(one.bytes);
    const p = reader.getPage(page);
    const [x1, y1, x2, y2] = p.cropBox;
    if (o.person.image) personRect = lastSignerRect(reader, p);
    if (o.seal.image) {
      const size = sealSize(readPngInfo(o.seal.image), o.seal.diameterMm);
      placedSeal = sealRect(personRect ?? rect, size, { width: x2 - x1, height: y2 - y1, rotate: p.rotate });
    }
  }
  const two = await signDocument(one.bytes, {
    ...common,
    signer: o.seal.signer,
    now: o.now,
    reason: o.seal.reason,
    appearance: o.seal.image && placedSeal ? { kind: 'seal', image: o.seal.image, rect: placedSeal } : { kind: 'none' },
  });
  return {
    pdf: two.bytes,
    personSigned: one.bytes,
    personRect,
    sealRect: placedSeal,
    warnings: [...one.warnings, ...two.warnings],
  };
}

/**
 * The agency signature on a separate attachment, with the top-right text stamp naming the parent document's
 * number and symbol (e.g. "125/VPCP-KSTT") and the signing time in Vietnam time.
 */
export async function stampAttachment(
  pdf: Uint8Array,
  seal: { signer: Signer; reason?: string },
  numberSymbol: string,
  o: LetterSigningContext = {},
): Promise<SignDocumentResult> {
  return signDocument(pdf, {
    signer: seal.signer,
    level: levelOf(o),
    tsaUrl: o.tsa,
    network: o.network,
    revocationCheck: o.revocationCheck,
    now: o.now,
    reason: seal.reason,
    appearance: { kind: 'stamp', numberSymbol },
  });
}
