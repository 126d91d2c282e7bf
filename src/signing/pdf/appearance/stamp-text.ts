// Text of the Decree 30/2020 §4 top-right stamp (separate attachments and electronic copies) and the signing-time
// format.
//
// Time: the decree only asks for date, h:m:s and the Vietnam time zone "per ISO 8601". Government Portal PDFs
// show `16.03.2015 11:02:35 +07:00`, so that is the default pattern [inf]; `ISO_TIME_PATTERN` gives
// `2026-03-12T10:15:30+07:00`. The wall-clock time and offset come from Intl with Asia/Ho_Chi_Minh rather than
// "UTC + 7 h": Vietnam has no DST today, but the tz database is the authority and also covers historical offsets.
//
// Case: the decree says the stamp is "lower case" (chữ in thường). Whether that also lower-cases the document
// symbol (which §2 wants in upper case) is unsettled, so it is configurable:
//   case 'lower' (default) — labels and values are lower-cased, exactly as the decree's example reads:
//                            "số: 125/vpcp-kstt", "sao y", "văn phòng chính phủ". (The generated time is left
//                            alone, so the ISO pattern keeps its "T".)
//   case 'as-is'           — nothing is lower-cased: labels in sentence case as on Government Portal PDFs
//                            ("Số:", "Thời gian ký:") and values exactly as passed ("125/VPCP-KSTT").
// Labels can also be overridden one by one (e.g. lower-case labels with an upper-case symbol).
import { KysoError } from '../../../errors.ts';

export { DEFAULT_TIME_PATTERN, ISO_TIME_PATTERN, VIETNAM_TIME_ZONE, formatSigningTime } from '../../../util/vn-time.ts';
import { formatSigningTime } from '../../../util/vn-time.ts';

export type StampCase = 'lower' | 'as-is';
export type CopyForm = 'SAO Y' | 'SAO LỤC' | 'TRÍCH SAO';

export interface StampTextOptions {
  /** Default 'lower' (see the module comment). */
  case?: StampCase;
  /** Default DEFAULT_TIME_PATTERN. */
  timePattern?: string;
  /** Label overrides, written exactly as given (the case rule is not applied to them). */
  labels?: { number?: string; time?: string };
}

const LABELS = { number: 'Số:', time: 'Thời gian ký:' } as const;

const lower = (s: string): string => s.normalize('NFC').toLocaleLowerCase('vi');

/**
 * `label value`: the label is the override verbatim, else the default label under the case rule; the value is
 * lower-cased under 'lower' unless it is generated (the time: lower-casing would turn ISO's "T" into "t").
 */
function line(
  label: string | undefined,
  defaultLabel: string,
  value: string,
  opts: StampTextOptions,
  generated = false,
): string {
  const asIs = opts.case === 'as-is';
  const v = value.normalize('NFC').trim();
  const l = label ?? (asIs ? defaultLabel : lower(defaultLabel));
  return `${l} ${asIs || generated ? v : lower(v)}`;
}

function required(value: string, vi: string, en: string): void {
  if (typeof value !== 'string' || !value.trim()) {
    throw new KysoError('INVALID_ARGUMENT', `Thiếu ${vi}`, `missing ${en}`);
  }
}

/** The signing-time line alone, e.g. "thời gian ký: 12.03.2026 10:15:30 +07:00". */
export function signingTimeLine(signedAt: Date, opts: StampTextOptions = {}): string {
  return line(opts.labels?.time, LABELS.time, formatSigningTime(signedAt, opts.timePattern), opts, true);
}

/**
 * Separate attachment (Decree 30 §4): number and symbol of the parent document, then the signing time.
 * `numberSymbol` is e.g. "125/VPCP-KSTT" → ["số: 125/vpcp-kstt", "thời gian ký: 12.03.2026 10:15:30 +07:00"].
 */
export function attachmentStampLines(numberSymbol: string, signedAt: Date, opts: StampTextOptions = {}): string[] {
  required(numberSymbol, 'số, ký hiệu văn bản', 'document number and symbol');
  return [line(opts.labels?.number, LABELS.number, numberSymbol, opts), signingTimeLine(signedAt, opts)];
}

/**
 * Electronic copy (Decree 30 §4, Art. 25–26): copy form, copying agency, signing time.
 * → ["sao y", "văn phòng chính phủ", "thời gian ký: 12.03.2026 16:40:02 +07:00"].
 */
export function copyStampLines(
  form: CopyForm,
  agencyName: string,
  signedAt: Date,
  opts: StampTextOptions = {},
): string[] {
  const f = form.normalize('NFC');
  if (f !== 'SAO Y' && f !== 'SAO LỤC' && f !== 'TRÍCH SAO') {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Hình thức sao không hợp lệ: ${form} (SAO Y, SAO LỤC hoặc TRÍCH SAO)`,
      `invalid copy form: ${form} (SAO Y, SAO LỤC or TRÍCH SAO)`,
    );
  }
  required(agencyName, 'tên cơ quan sao', 'copying agency name');
  const asIs = opts.case === 'as-is';
  const agency = agencyName.normalize('NFC').trim();
  return [asIs ? f : lower(f), asIs ? agency : lower(agency), signingTimeLine(signedAt, opts)];
}
