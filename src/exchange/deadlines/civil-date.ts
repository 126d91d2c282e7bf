// Civil dates in Vietnam ('YYYY-MM-DD' strings naming a day in Asia/Ho_Chi_Minh) and their arithmetic, through
// UTC midnights so that the host's time zone never matters: what the working calendar (working-calendar.ts) and
// the provisional holiday table (provisional-calendar.ts) count with.
import { KysoError } from '../../errors.ts';
import { formatSigningTime, VIETNAM_TIME_ZONE } from '../../util/vn-time.ts';

/** A civil date in Asia/Ho_Chi_Minh, 'YYYY-MM-DD'. */
export type LocalDate = string;

export const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DAY_MS = 86_400_000;

/** Parses and checks a 'YYYY-MM-DD' civil date; returns its UTC-midnight epoch milliseconds (a day index). */
export function parseLocalDate(date: LocalDate): number {
  const m = typeof date === 'string' ? DATE_RE.exec(date) : null;
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const back = new Date(ms);
    if (y >= 1 && back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d) return ms;
  }
  throw new KysoError('INVALID_ARGUMENT', `Ngày không hợp lệ: ${String(date)}`, `invalid date (want YYYY-MM-DD): ${String(date)}`);
}

export function formatDayIndex(ms: number): LocalDate {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days, no holiday rule (negative allowed). */
export function plusDays(date: LocalDate, days: number): LocalDate {
  if (!Number.isInteger(days)) throw new KysoError('INVALID_ARGUMENT', 'Số ngày phải là số nguyên', 'days must be an integer');
  return formatDayIndex(parseLocalDate(date) + days * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: LocalDate): number {
  return new Date(parseLocalDate(date)).getUTCDay();
}

export function isWeekend(date: LocalDate): boolean {
  const d = dayOfWeek(date);
  return d === 0 || d === 6;
}

/** The civil date in Asia/Ho_Chi_Minh on which `instant` falls. */
export function vnDateOf(instant: Date): LocalDate {
  return formatSigningTime(instant, 'yyyy-MM-dd', VIETNAM_TIME_ZONE);
}

/**
 * The last instant of a civil date in Vietnam, 23:59:59.999 +07:00 (Civil Code Art. 148: a period ends at 24:00
 * of its last day). Vietnam has kept +07:00 without DST since 1975 (deadlines are computed for current dates).
 */
export function endOfVnDay(date: LocalDate): Date {
  parseLocalDate(date);
  return new Date(`${date}T23:59:59.999+07:00`);
}

/** 00:00 +07:00 of a civil date. */
export function startOfVnDay(date: LocalDate): Date {
  parseLocalDate(date);
  return new Date(`${date}T00:00:00.000+07:00`);
}
