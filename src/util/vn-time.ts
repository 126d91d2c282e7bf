// Times as Vietnamese users see them: wall-clock time in Asia/Ho_Chi_Minh with the offset written out
// (+07:00), computed through Intl from the tz database rather than by adding 7 hours.
import { KysoError } from '../errors.ts';

/** `dd.MM.yyyy HH:mm:ss +07:00` — the de-facto Vietnamese government format. */
export const DEFAULT_TIME_PATTERN = 'dd.MM.yyyy HH:mm:ss XXX';
/** `2026-03-12T10:15:30+07:00` — ISO 8601 extended format with offset. */
export const ISO_TIME_PATTERN = 'yyyy-MM-ddTHH:mm:ssXXX';
export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';


interface WallClock {
  yyyy: string;
  MM: string;
  dd: string;
  HH: string;
  mm: string;
  ss: string;
  XXX: string;
}

let formatter: Intl.DateTimeFormat | undefined;
// Intl's formatToParts costs ~0.1 ms; the exchange formats the same second many times over (receipts, trace
// headers, reports), so the Vietnam wall clock of the last second asked about is kept.
let lastVn: { second: number; clock: WallClock } | undefined;

function wallClock(date: Date, timeZone: string): WallClock {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new KysoError('INVALID_ARGUMENT', 'Thời gian ký không hợp lệ', 'invalid signing time');
  }
  const second = Math.floor(date.getTime() / 1000);
  if (timeZone === VIETNAM_TIME_ZONE && lastVn?.second === second) return lastVn.clock;
  const clock = wallClockUncached(date, timeZone);
  if (timeZone === VIETNAM_TIME_ZONE) lastVn = { second, clock };
  return clock;
}

function wallClockUncached(date: Date, timeZone: string): WallClock {
  const fmt =
    timeZone === VIETNAM_TIME_ZONE && formatter
      ? formatter
      : new Intl.DateTimeFormat('en-US', {
          timeZone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          hourCycle: 'h23', // never "24:00:00" at midnight
          timeZoneName: 'longOffset', // "GMT+07:00" (or "GMT" for a zero offset)
        });
  if (timeZone === VIETNAM_TIME_ZONE) formatter = fmt;
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(date)) p[part.type] = part.value;
  const off = /^GMT([+-]\d{2}):?(\d{2})?$/.exec(p.timeZoneName ?? '');
  const XXX = p.timeZoneName === 'GMT' ? '+00:00' : off ? `${off[1]}:${off[2] ?? '00'}` : '';
  if (!XXX) throw new Error(`unexpected time zone name ${p.timeZoneName}`);
  return {
    yyyy: p.year.padStart(4, '0'),
    MM: p.month,
    dd: p.day,
    HH: p.hour,
    mm: p.minute,
    ss: p.second,
    XXX,
  };
}

/**
 * Formats `date` as wall-clock time in `timeZone` (default Asia/Ho_Chi_Minh). Pattern tokens: yyyy MM dd HH mm ss
 * and XXX (offset as +07:00); every other character is copied literally.
 */
export function formatSigningTime(date: Date, pattern = DEFAULT_TIME_PATTERN, timeZone = VIETNAM_TIME_ZONE): string {
  const c = wallClock(date, timeZone);
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss|XXX/g, (t) => c[t as keyof WallClock]);
}


/** ISO 8601 with the Vietnam offset, e.g. 2026-03-12T10:15:30+07:00 (reports, logs). */
export const isoVn = (date: Date): string => formatSigningTime(date, ISO_TIME_PATTERN);
