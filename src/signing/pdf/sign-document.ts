// One PAdES signing request end to end, as the CLI (and later the HTTP API) needs it: check the certificate
// before signing (Thông tư 15/2025 Art. 5(1)(a)), build the Decree 30 appearance, sign, timestamp.
import { KysoError } from '../../errors.ts';
import { precheckSigner, type Notice } from '../certificate-precheck.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm, SignatureScheme, Signer } from '../../pki/signer.ts';
import { requestTimestamp } from '../../pki/tsp-client.ts';
import type { AppearanceSpec, XYWH } from './appearance/types.ts';
import { attachmentStampLines, copyStampLines, type CopyForm, type StampCase } from './appearance/stamp-text.ts';
import { PadesLevel, signPdf } from './pades.ts';
import { addArchiveTimestamp, addValidationData } from './ltv.ts';
import { appearanceBuilder } from './placement.ts';

export type AppearanceKind = 'none' | 'signer' | 'seal' | 'stamp';

export interface AppearanceRequest {
  kind: AppearanceKind;
  /** PNG for 'signer' (blue signature) and 'seal' (red seal). */
  image?: Buffer;
  rect?: XYWH;
  /** 'stamp' on a separate attachment: number and symbol of the parent document. */
  numberSymbol?: string;
  /** 'stamp' on an electronic copy: copy form and copying agency. */
  copyForm?: CopyForm;
  agencyName?: string;
  timePattern?: string;
  stampCase?: StampCase;
}

/** Where and how the new signature shows, and what its dictionary says: one-step and two-phase signing alike. */
export interface SignatureFieldOptions {
  appearance?: AppearanceRequest;
  /** 0-based page for the widget; the text stamp always goes on page 1 (Decree 30 §4). */
  page?: number;
  /** Name of the new signature field, or of an existing empty one to sign into. */
  fieldName?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signing time for /M and the stamp text (default now). */
  now?: Date;
}

export interface SignDocumentRequest extends SignatureFieldOptions {
  signer: Signer;
  level?: PadesLevel;
  tsaUrl?: string;
  network?: PkiNetworkOptions;
  /** 'prefer' (default): refuse revoked, warn when status cannot be determined; 'require': refuse then too. */
  revocationCheck?: 'require' | 'prefer' | 'off';
  digest?: DigestAlgorithm;
  scheme?: SignatureScheme;
}

export type { Notice } from '../certificate-precheck.ts';

export interface SignDocumentResult {
  bytes: Buffer;
  signingTime: Date;
  warnings: Notice[];
}

/** Which words the appearance errors use: the CLI's option names, or plain words (HTTP, two-phase sessions). */
export type AppearanceWording = 'cli' | 'plain';

const APPEARANCE_WORDS = {
  cli: {
    image: { vi: ' (--image)', en: ' (--image)' },
    stamp: {
      vi: 'Dấu văn bản cần số, ký hiệu văn bản (--number) hoặc hình thức sao và tên cơ quan (--copy-form, --agency)',
      en: 'The text stamp needs the document number and symbol (--number) or the copy form and agency (--copy-form, --agency)',
    },
  },
  plain: {
    image: { vi: '', en: '' },
    stamp: {
      vi: 'Dấu văn bản cần số, ký hiệu văn bản hoặc hình thức sao và tên cơ quan',
      en: 'The text stamp needs the document number and symbol, or the copy form and agency',
    },
  },
} as const;

/** The Decree 30 appearance of a request (the choices `kyso sign` offers). */
export function appearanceSpecOf(a: AppearanceRequest | undefined, at: Date, wording: AppearanceWording = 'plain'): AppearanceSpec {
  if (!a || a.kind === 'none') return { kind: 'none' };
  const w = APPEARANCE_WORDS[wording];
  if (a.kind === 'signer' || a.kind === 'seal') {
    if (!a.image) {
      throw new KysoError('INVALID_ARGUMENT', `Hình thức hiển thị "${a.kind}" cần ảnh PNG${w.image.vi}`, `Appearance "${a.kind}" needs a PNG image${w.image.en}`);
    }
    return { kind: a.kind, image: a.image, rect: a.rect };
  }
  const opts = { case: a.stampCase, timePattern: a.timePattern };
  if (a.copyForm) return { kind: 'stamp', lines: copyStampLines(a.copyForm, a.agencyName ?? '', at, opts) };
  if (a.numberSymbol) return { kind: 'stamp', lines: attachmentStampLines(a.numberSymbol, at, opts) };
  throw new KysoError('INVALID_ARGUMENT', w.stamp.vi, w.stamp.en);
}

export async function signDocument(pdf: Uint8Array, r: SignDocumentRequest): Promise<SignDocumentResult> {
  const now = r.now ?? new Date();
  const level = r.level ?? 'B-B';
  const warnings: Notice[] = [];
  warnings.push(...(await precheckSigner(r.signer, { at: now, network: r.network, revocation: r.revocationCheck })));

  if (level !== 'B-B' && !r.tsaUrl) {
    throw new KysoError('INVALID_ARGUMENT', `Mức ${level} cần địa chỉ máy chủ dấu thời gian (--tsa)`, `Level ${level} needs a timestamp authority URL (--tsa)`);
  }
  const spec = appearanceSpecOf(r.appearance, now, 'cli');
  let bytes = await signPdf(pdf, {
    signer: r.signer,
    level,
    digest: r.digest,
    scheme: r.scheme,
    page: spec.kind === 'stamp' ? 0 : r.page,
    fieldName: r.fieldName,
    appearance: spec.kind === 'none' ? undefined : appearanceBuilder(spec),
    reason: r.reason,
    location: r.location,
    contactInfo: r.contactInfo,
    signingTime: now,
    timestamper:
      level !== 'B-B' && r.tsaUrl
        ? async (value, digest) => (await requestTimestamp(value, digest, { ...r.network, url: r.tsaUrl! })).tokenDer
        : undefined,
  });
  // B-LT: the chain and OCSP/CRL answers of the new signature and its timestamp in a /DSS update;
  // B-LTA: then a document timestamp over everything and the TSA's own data (ltv.ts).
  if (level === 'B-LT' || level === 'B-LTA') bytes = await addValidationData(bytes, { network: r.network, scope: 'last', now });
  if (level === 'B-LTA') bytes = await addArchiveTimestamp(bytes, { tsaUrl: r.tsaUrl!, network: r.network, digest: r.digest, now });
  return { bytes, signingTime: now, warnings };
}
