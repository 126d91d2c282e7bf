// The Vietnamese lunar calendar (âm lịch), after Hồ Ngọc Đức's published algorithm ("Thuật toán tính âm lịch",
// the one behind most Vietnamese calendar software): new moons and the sun's longitude from the astronomical
// series in Jean Meeus' "Astronomical Algorithms", evaluated at local midnight in UTC+7.
//
// Why a Vietnamese calendar and not the Chinese one (UTC+8): a new moon that falls between 23:00 and 24:00 in
// Vietnam starts the month a day earlier than in China, and the month-11/leap-month rules can then shift whole
// months. Tết 1985 was 21/01/1985 in Vietnam and 20/02/1985 in China; Tết 2007 was 17/02 in Vietnam and 18/02
// in China. Public holidays (Tết, Giỗ Tổ Hùng Vương 10/3) follow the Vietnamese one.
//
// Range: the series are accurate for 1900–2199 (the author checks them over 1800–2199); outside that range the
// functions refuse (INVALID_ARGUMENT) rather than guess; the provisional holiday table turns that into
// CALENDAR_YEAR_MISSING for its year.
import { KysoError } from '../../errors.ts';

/** Vietnam's offset from UTC in hours (no DST since 1975). */
const VN_TIME_ZONE = 7;
export const LUNAR_MIN_YEAR = 1900;
export const LUNAR_MAX_YEAR = 2199;

const INT = Math.floor;
const PI = Math.PI;

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < LUNAR_MIN_YEAR || year > LUNAR_MAX_YEAR) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Năm ${year} nằm ngoài phạm vi tính âm lịch (${LUNAR_MIN_YEAR}–${LUNAR_MAX_YEAR})`,
      `year ${year} is outside the lunar calendar's range (${LUNAR_MIN_YEAR}–${LUNAR_MAX_YEAR})`,
    );
  }
}

/** Julian day number of a Gregorian date. */
export function jdFromDate(dd: number, mm: number, yy: number): number {
  const a = INT((14 - mm) / 12);
  const y = yy + 4800 - a;
  const m = mm + 12 * a - 3;
  return dd + INT((153 * m + 2) / 5) + 365 * y + INT(y / 4) - INT(y / 100) + INT(y / 400) - 32045;
}

/** Gregorian [day, month, year] of a Julian day number. */
export function jdToDate(jd: number): [number, number, number] {
  const a = jd + 32044;
  const b = INT((4 * a + 3) / 146097);
  const c = a - INT((b * 146097) / 4);
  const d = INT((4 * c + 3) / 1461);
  const e = c - INT((1461 * d) / 4);
  const m = INT((5 * e + 2) / 153);
  return [e - INT((153 * m + 2) / 5) + 1, m + 3 - 12 * INT(m / 10), b * 100 + d - 4800 + INT(m / 10)];
}

/** Julian date (UTC) of the k-th new moon after 1900-01-01 (Meeus, with the ΔT correction). */
function newMoon(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  const dr = PI / 180;
  let jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
  jd1 += 0.00033 * Math.sin((166.56 + 132.87 * T - 0.009173 * T2) * dr);
  const M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3;
  const Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3;
  const F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3;
  let c1 = (0.1734 - 0.000393 * T) * Math.sin(M * dr) + 0.0021 * Math.sin(2 * dr * M);
  c1 = c1 - 0.4068 * Math.sin(Mpr * dr) + 0.0161 * Math.sin(dr * 2 * Mpr);
  c1 = c1 - 0.0004 * Math.sin(dr * 3 * Mpr);
  c1 = c1 + 0.0104 * Math.sin(dr * 2 * F) - 0.0051 * Math.sin(dr * (M + Mpr));
  c1 = c1 - 0.0074 * Math.sin(dr * (M - Mpr)) + 0.0004 * Math.sin(dr * (2 * F + M));
  c1 = c1 - 0.0004 * Math.sin(dr * (2 * F - M)) - 0.0006 * Math.sin(dr * (2 * F + Mpr));
  c1 = c1 + 0.001 * Math.sin(dr * (2 * F - Mpr)) + 0.0005 * Math.sin(dr * (2 * Mpr + M));
  const deltat = T < -11
    ? 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3
    : -0.000278 + 0.000265 * T + 0.000262 * T2;
  return jd1 + c1 - deltat;
}

/** The sun's apparent longitude (radians, [0, 2π)) at Julian date `jdn`. */
function sunLongitude(jdn: number): number {
  const T = (jdn - 2451545.0) / 36525;
  const T2 = T * T;
  const dr = PI / 180;
  const M = 357.5291 + 35999.0503 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
  const L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
  let DL = (1.9146 - 0.004817 * T - 0.000014 * T2) * Math.sin(dr * M);
  DL = DL + (0.019993 - 0.000101 * T) * Math.sin(dr * 2 * M) + 0.00029 * Math.sin(dr * 3 * M);
  let L = (L0 + DL) * dr;
  L = L - PI * 2 * INT(L / (PI * 2));
  return L;
}

/** Which of the 12 30° sectors (major solar terms) the sun is in at local midnight starting day `dayNumber`. */
function sunSector(dayNumber: number, tz: number): number {
  return INT((sunLongitude(dayNumber - 0.5 - tz / 24) / PI) * 6);
}

/** The day (Julian day number) on which the k-th new moon falls, in local time. */
function newMoonDay(k: number, tz: number): number {
  return INT(newMoon(k) + 0.5 + tz / 24);
}

/** The first day of lunar month 11 (the month containing the winter solstice) of Gregorian year `yy`. */
function lunarMonth11(yy: number, tz: number): number {
  const off = jdFromDate(31, 12, yy) - 2415021;
  const k = INT(off / 29.530588853);
  const nm = newMoonDay(k, tz);
  return sunSector(nm, tz) >= 9 ? newMoonDay(k - 1, tz) : nm;
}

/** In a 13-month year, the offset (from month 11) of the first month without a major solar term: the leap one. */
function leapMonthOffset(a11: number, tz: number): number {
  const k = INT((a11 - 2415021.076998695) / 29.530588853 + 0.5);
  let i = 1;
  let arc = sunSector(newMoonDay(k + i, tz), tz);
  let last: number;
  do {
    last = arc;
    i++;
    arc = sunSector(newMoonDay(k + i, tz), tz);
  } while (arc !== last && i < 14);
  return i - 1;
}

export interface LunarDate {
  day: number;
  month: number;
  /** The lunar year, named by the Gregorian year in which its month 1 begins. */
  year: number;
  leap: boolean;
}

/** The Vietnamese lunar date of a Gregorian date. */
export function solarToLunar(dd: number, mm: number, yy: number, tz = VN_TIME_ZONE): LunarDate {
  checkYear(yy);
  const dayNumber = jdFromDate(dd, mm, yy);
  const k = INT((dayNumber - 2415021.076998695) / 29.530588853);
  let monthStart = newMoonDay(k + 1, tz);
  if (monthStart > dayNumber) monthStart = newMoonDay(k, tz);
  let a11 = lunarMonth11(yy, tz);
  let b11 = a11;
  let lunarYear: number;
  if (a11 >= monthStart) {
    lunarYear = yy;
    a11 = lunarMonth11(yy - 1, tz);
  } else {
    lunarYear = yy + 1;
    b11 = lunarMonth11(yy + 1, tz);
  }
  const day = dayNumber - monthStart + 1;
  const diff = INT((monthStart - a11) / 29);
  let leap = false;
  let month = diff + 11;
  if (b11 - a11 > 365) {
    const leapDiff = leapMonthOffset(a11, tz);
    if (diff >= leapDiff) {
      month = diff + 10;
      if (diff === leapDiff) leap = true;
    }
  }
  if (month > 12) month -= 12;
  if (month >= 11 && diff < 4) lunarYear -= 1;
  return { day, month, year: lunarYear, leap };
}

/**
 * The Gregorian [day, month, year] of a Vietnamese lunar date, or undefined when it does not exist (a leap month
 * the year does not have).
 */
export function lunarToSolar(day: number, month: number, lunarYear: number, leap = false, tz = VN_TIME_ZONE): [number, number, number] | undefined {
  checkYear(lunarYear);
  let a11: number;
  let b11: number;
  if (month < 11) {
    a11 = lunarMonth11(lunarYear - 1, tz);
    b11 = lunarMonth11(lunarYear, tz);
  } else {
    a11 = lunarMonth11(lunarYear, tz);
    b11 = lunarMonth11(lunarYear + 1, tz);
  }
  const k = INT(0.5 + (a11 - 2415021.076998695) / 29.530588853);
  let off = month - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {
    const leapOff = leapMonthOffset(a11, tz);
    let leapMonth = leapOff - 2;
    if (leapMonth < 0) leapMonth += 12;
    if (leap && month !== leapMonth) return undefined;
    if (leap || off >= leapOff) off += 1;
  } else if (leap) {
    return undefined;
  }
  return jdToDate(newMoonDay(k + off, tz) + day - 1);
}

const iso = ([d, m, y]: [number, number, number]): string => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** Mùng 1 Tết (1/1 of the lunar year that begins in Gregorian `year`), 'YYYY-MM-DD'. */
export function tetDate(year: number): string {
  return iso(lunarToSolar(1, 1, year)!);
}

/** Giỗ Tổ Hùng Vương (10/3 of the lunar year that begins in `year`; the regular month 3, never a leap one). */
export function gioToDate(year: number): string {
  return iso(lunarToSolar(10, 3, year)!);
}
