// Identifiers and dates of the edXML exchange (edxml-exchange.md §4): agency identifiers (the legacy 13-character
// QCVN 102:2016 form and the QĐ 20/2020/QĐ-TTg Art. 4 form), the de-facto DocumentId
// `OrganId,yyyy/MM/dd,Số/Ký hiệu`, and the date formats met in real packets. Wall-clock values on the wire carry no
// offset: they are Vietnam time (+07:00, no daylight saving). Pure functions, no DOM.
import { KysoError } from '../../errors.ts';

/** Why a value was refused, Vietnamese first then English. */
export interface Problem {
  vi: string;
  en: string;
}

export type AgencyIdForm = 'legacy' | 'qd20';

/** Legacy QCVN 102:2016 form `NNN.NN.NN.XNN`: level-1 unit at the right, e.g. 000.00.00.G22 (VPCP). */
const LEGACY_AGENCY_ID = /^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$/;
/** QĐ 20/2020 Art. 4: dot groups of `0-9A-Z` growing left to right, the first one `MX1X2` (letter A–Y, 2 digits). */
const QD20_AGENCY_ID = /^[A-Y]\d{2}(?:\.[0-9A-Z]+)*$/;
export const AGENCY_ID_MAX_LENGTH = 35;

/** Which of the two accepted forms `id` is in, or undefined if neither. */
export function agencyIdForm(id: string): AgencyIdForm | undefined {
  if (LEGACY_AGENCY_ID.test(id)) return 'legacy';
  if (id.length <= AGENCY_ID_MAX_LENGTH && QD20_AGENCY_ID.test(id)) return 'qd20';
  return undefined;
}

export const isAgencyId = (id: string): boolean => agencyIdForm(id) !== undefined;

/** Undefined when `id` is a valid agency identifier, else the reason. */
export function agencyIdProblem(id: string): Problem | undefined {
  if (isAgencyId(id)) return undefined;
  const shown = JSON.stringify(id);
  const why =
    id.length > AGENCY_ID_MAX_LENGTH
      ? { vi: `dài hơn ${AGENCY_ID_MAX_LENGTH} ký tự`, en: `longer than ${AGENCY_ID_MAX_LENGTH} characters` }
      : /[^.0-9A-Z]/.test(id)
        ? { vi: 'chỉ được dùng . 0-9 A-Z', en: 'only . 0-9 A-Z are allowed' }
        : { vi: 'phải có dạng NNN.NN.NN.XNN hoặc theo QĐ 20/2020 (nhóm đầu: chữ A–Y và 2 chữ số)', en: 'must be NNN.NN.NN.XNN or the QĐ 20/2020 form (first group: a letter A–Y and 2 digits)' };
  return { vi: `mã định danh không hợp lệ ${shown}: ${why.vi}`, en: `invalid agency identifier ${shown}: ${why.en}` };
}

function invalid(p: Problem): KysoError {
  return new KysoError('EDXML_INVALID', p.vi, p.en);
}

/** Returns `id` if it is a valid agency identifier, else throws EDXML_INVALID. */
export function assertAgencyId(id: string): string {
  const p = agencyIdProblem(id);
  if (p) throw invalid(p);
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar dates: the model holds ISO `YYYY-MM-DD` (a Vietnamese calendar day, no time zone involved).

/** ISO calendar date `YYYY-MM-DD`. */
export type CalendarDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validYmd(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000, m, 0)).getUTCDate(); // leap year 2000: February has 29
  if (d > days) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return true;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Undefined if `s` is a real ISO calendar date `YYYY-MM-DD`, else the reason. */
export function calendarDateProblem(s: string): Problem | undefined {
  const m = ISO_DATE.exec(s);
  if (m && validYmd(+m[1], +m[2], +m[3])) return undefined;
  return { vi: `ngày không hợp lệ ${JSON.stringify(s)} (cần YYYY-MM-DD)`, en: `invalid date ${JSON.stringify(s)} (expected YYYY-MM-DD)` };
}

/**
 * Parses a date as found in packets: `dd/MM/yyyy` (MessageHeader samples), `yyyy/MM/dd` (ResponseFor, LGSP
 * platforms) or ISO `yyyy-MM-dd`; day and month may have one digit in the slash forms. Returns `YYYY-MM-DD`.
 */
export function parseEdxmlDate(text: string): CalendarDate {
  const s = text.trim();
  let y: number, mo: number, d: number;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s))) [d, mo, y] = [+m[1], +m[2], +m[3]];
  else if ((m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(s))) [y, mo, d] = [+m[1], +m[2], +m[3]];
  else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s))) [y, mo, d] = [+m[1], +m[2], +m[3]];
  else {
    throw invalid({
      vi: `ngày không hợp lệ ${JSON.stringify(text)} (cần dd/MM/yyyy hoặc yyyy/MM/dd)`,
      en: `invalid date ${JSON.stringify(text)} (expected dd/MM/yyyy or yyyy/MM/dd)`,
    });
  }
  if (!validYmd(y, mo, d)) {
    throw invalid({ vi: `ngày không tồn tại ${JSON.stringify(text)}`, en: `no such date ${JSON.stringify(text)}` });
  }
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
}

function splitCalendarDate(date: CalendarDate): [string, string, string] {
  const p = calendarDateProblem(date);
  if (p) throw invalid(p);
  return [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10)];
}

/** `YYYY-MM-DD` → `dd/MM/yyyy` (PromulgationInfo/PromulgationDate, DueDate). */
export function formatDateDMY(date: CalendarDate): string {
  const [y, m, d] = splitCalendarDate(date);
  return `${d}/${m}/${y}`;
}

/** `YYYY-MM-DD` → `yyyy/MM/dd` (ResponseFor/PromulgationDate, the date inside a DocumentId). */
export function formatDateYMD(date: CalendarDate): string {
  const [y, m, d] = splitCalendarDate(date);
  return `${y}/${m}/${d}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Timestamps: instants in the model (Date), `yyyy/MM/dd HH:mm:ss` Vietnam time on the wire, whole seconds.

export const VIETNAM_OFFSET_MINUTES = 7 * 60;
const OFFSET_MS = VIETNAM_OFFSET_MINUTES * 60_000;

/** Wall-clock fields of `at` in Vietnam time. */
function vietnamFields(at: Date): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const t = new Date(at.getTime() + OFFSET_MS);
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

/** The Vietnamese calendar day of an instant, `YYYY-MM-DD`. */
export function vietnamDate(at: Date): CalendarDate {
  const f = vietnamFields(at);
  return `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)}`;
}

/** `yyyy/MM/dd HH:mm:ss` in Vietnam time; sub-second precision is dropped (the format has none). */
export function formatEdxmlTimestamp(at: Date): string {
  if (Number.isNaN(at.getTime())) throw invalid({ vi: 'thời điểm không hợp lệ', en: 'invalid time' });
  const f = vietnamFields(at);
  if (f.y < 0 || f.y > 9999) throw invalid({ vi: 'năm ngoài khoảng 0000–9999', en: 'year outside 0000–9999' });
  return `${pad(f.y, 4)}/${pad(f.mo)}/${pad(f.d)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`;
}

/**
 * Parses a Timestamp: `yyyy/MM/dd HH:mm:ss` (documented), also `yyyy-MM-dd HH:mm:ss`, `dd/MM/yyyy HH:mm:ss` and
 * ISO 8601 with `T`. Without an explicit offset the wall clock is Vietnam time. Fractions of a second are kept.
 */
export function parseEdxmlTimestamp(text: string): Date {
  const s = text.trim();
  const bad = (): KysoError =>
    invalid({
      vi: `thời điểm không hợp lệ ${JSON.stringify(text)} (cần yyyy/MM/dd HH:mm:ss)`,
      en: `invalid timestamp ${JSON.stringify(text)} (expected yyyy/MM/dd HH:mm:ss)`,
    });
  let y: number, mo: number, d: number;
  let rest: string;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](.*)$/.exec(s))) [y, mo, d, rest] = [+m[1], +m[2], +m[3], m[4]];
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (.*)$/.exec(s))) [d, mo, y, rest] = [+m[1], +m[2], +m[3], m[4]];
  else throw bad();
  const t = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(rest);
  if (!t || !validYmd(y, mo, d)) throw bad();
  const [h, mi, sec] = [+t[1], +t[2], t[3] ? +t[3] : 0];
  if (h > 23 || mi > 59 || sec > 59) throw bad();
  const ms = t[4] ? Math.floor(+`0.${t[4]}` * 1000) : 0;
  let offsetMin = VIETNAM_OFFSET_MINUTES;
  if (t[5] === 'Z') offsetMin = 0;
  else if (t[5]) {
    const o = t[5].replace(':', '');
    const mag = +o.slice(1, 3) * 60 + +o.slice(3, 5);
    if (+o.slice(1, 3) > 23 || +o.slice(3, 5) > 59) throw bad();
    offsetMin = o[0] === '-' ? -mag : mag;
  }
  const wall = new Date(0);
  wall.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it maps years 0–99 to 1900–1999
  wall.setUTCHours(h, mi, sec, ms);
  return new Date(wall.getTime() - offsetMin * 60_000);
}

// ---------------------------------------------------------------------------------------------------------------
// DocumentId `OrganId,yyyy/MM/dd,Số/Ký hiệu` (de-facto, edxml-exchange.md §4).

export interface DocumentIdParts {
  /** Agency that promulgated the document. */
  organId: string;
  /**
   * Promulgation day as `YYYY-MM-DD`. Month 01–12 and day 01–31 are checked, not the day against its month: a
   * production platform sample carries `2014/02/30`, and the DocumentId is an identifier, not a date field.
   */
  date: string;
  /** `Số/Ký hiệu`, e.g. `125/VPCP-KSTT` or `30/2020/NĐ-CP`. */
  code: string;
  /** The part before the first `/`, e.g. `125`. */
  number: string;
  /** The part after the first `/`, e.g. `VPCP-KSTT`. */
  symbol: string;
}

const DOC_DATE = /^(\d{4})\/(\d{2})\/(\d{2})$/;
/** Số: no `/`, `,` or white space; Ký hiệu: anything but `,` and control characters, no surrounding space. */
const DOC_CODE = /^([^/,\s]+)\/([^,\s](?:[^,\u0000-\u001f]*[^,\s])?)$/u;

function documentIdProblemAndParts(id: string): { problem?: Problem; parts?: DocumentIdParts } {
  const shown = JSON.stringify(id);
  const fail = (vi: string, en: string) => ({
    problem: { vi: `mã văn bản (DocumentId) không hợp lệ ${shown}: ${vi}`, en: `invalid DocumentId ${shown}: ${en}` },
  });
  const first = id.indexOf(',');
  const second = first < 0 ? -1 : id.indexOf(',', first + 1);
  if (first < 0 || second < 0) return fail('cần dạng MãĐịnhDanh,yyyy/MM/dd,Số/Ký hiệu', 'expected OrganId,yyyy/MM/dd,Number/Symbol');
  const organId = id.slice(0, first);
  const dateText = id.slice(first + 1, second);
  const code = id.slice(second + 1);
  const organ = agencyIdProblem(organId);
  if (organ) return fail(organ.vi, organ.en);
  const dm = DOC_DATE.exec(dateText);
  if (!dm || +dm[2] < 1 || +dm[2] > 12 || +dm[3] < 1 || +dm[3] > 31) {
    return fail(`ngày ${JSON.stringify(dateText)} phải có dạng yyyy/MM/dd`, `date ${JSON.stringify(dateText)} must be yyyy/MM/dd`);
  }
  const cm = DOC_CODE.exec(code);
  if (!cm) return fail(`số/ký hiệu ${JSON.stringify(code)} phải có dạng Số/Ký hiệu`, `number/symbol ${JSON.stringify(code)} must be Number/Symbol`);
  return { parts: { organId, date: `${dm[1]}-${dm[2]}-${dm[3]}`, code, number: cm[1], symbol: cm[2] } };
}

/** Undefined when `id` is a well-formed DocumentId, else the reason. */
export function documentIdProblem(id: string): Problem | undefined {
  return documentIdProblemAndParts(id).problem;
}

/** Splits a DocumentId; throws EDXML_INVALID with the reason when malformed. */
export function parseDocumentId(id: string): DocumentIdParts {
  const r = documentIdProblemAndParts(id);
  if (r.problem) throw invalid(r.problem);
  return r.parts!;
}

/**
 * Builds a DocumentId. `date` is a `YYYY-MM-DD` calendar date or an instant (its Vietnamese calendar day); `code`
 * is `Số/Ký hiệu`, or give `number` and `symbol`.
 */
export function formatDocumentId(p: { organId: string; date: CalendarDate | Date } & ({ code: string } | { number: string; symbol: string })): string {
  const date = p.date instanceof Date ? vietnamDate(p.date) : p.date;
  const code = 'code' in p ? p.code : `${p.number}/${p.symbol}`;
  const id = `${p.organId},${formatDateYMD(date)},${code}`;
  parseDocumentId(id);
  return id;
}
