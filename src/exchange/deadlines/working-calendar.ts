// Public-sector working-day calendar for Vietnam and the Civil Code 2015 Art. 147–148 period arithmetic.
//
// Representation (civil-date.ts): a day is a `LocalDate`, the string 'YYYY-MM-DD' naming a civil date in Asia/Ho_Chi_Minh. Day
// arithmetic is done on those strings (through UTC midnights, so the host time zone never matters); instants
// (`Date`) are converted at the edges only: `vnDateOf(instant)` gives the Vietnamese civil date of an instant and
// `endOfVnDay(date)` gives 23:59:59.999 +07:00 of a civil date (the "24:00 of the last day" of Art. 148).
//
// Data: one hand-kept JSON table per year in ./calendar-data (see its README.md), not the `date-holidays`
// package: that package lacks compensatory days (27/04/2026), the second National Day day and swapped working
// Saturdays (22/08/2026), which are exactly the days that move deadlines, and what it does get right is a dozen
// lines of data per year.
//
// A year without an official table: by default the loader answers with a provisional table derived from the
// Labour Code and the lunar calendar (provisional-calendar.ts), marked `provisional: true`; the calendar records
// which provisional tables a computation consulted (`withProvenance`), so a deadline that depends on one is
// marked provisional and recomputed once the official table is there (deadline-recompute.ts). With
// KYSO_CALENDAR_PROVISIONAL=0, or for a year the lunar algorithm does not cover, it throws CALENDAR_YEAR_MISSING.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KysoError } from '../../errors.ts';
import { DATE_RE, DAY_MS, formatDayIndex, isWeekend, parseLocalDate, plusDays, type LocalDate } from './civil-date.ts';
import { provisionalYearCalendar } from './provisional-calendar.ts';

export { dayOfWeek, endOfVnDay, plusDays, startOfVnDay, vnDateOf, type LocalDate } from './civil-date.ts';


export type DayOffKind = 'HOLIDAY' | 'COMPENSATORY' | 'SWAPPED';

export interface YearCalendar {
  year: number;
  /** The official document(s) the table comes from (for a provisional table: how it was derived). */
  source: string;
  /** True for a table derived from the law and the lunar calendar, not copied from the official schedule. */
  provisional?: boolean;
  /** Days off on top of Saturdays and Sundays. */
  daysOff: { date: LocalDate; kind: DayOffKind; name: string }[];
  /** Saturdays/Sundays that are worked (swaps). */
  workingWeekendDays: { date: LocalDate; name: string }[];
}

/**
 * Supplies the table of one year; throws KysoError CALENDAR_YEAR_MISSING when there is none. May be called for
 * every day looked at: return the same object while the table is unchanged (the calendar re-indexes on a new one).
 */
export type YearCalendarLoader = (year: number) => YearCalendar;


const yearSchema = z.object({
  year: z.number().int(),
  source: z.string().min(1),
  provisional: z.boolean().optional(),
  daysOff: z.array(
    z.object({
      date: z.string().regex(DATE_RE),
      kind: z.enum(['HOLIDAY', 'COMPENSATORY', 'SWAPPED']),
      name: z.string(),
    }),
  ),
  workingWeekendDays: z.array(z.object({ date: z.string().regex(DATE_RE), name: z.string() })),
});

function invalidData(year: number, why: string, cause?: unknown): KysoError {
  return new KysoError(
    'CALENDAR_DATA_INVALID',
    `Dữ liệu lịch làm việc năm ${year} không hợp lệ: ${why}`,
    `working calendar data for ${year} is invalid: ${why}`,
    { cause },
  );
}

function missingYear(year: number): KysoError {
  return new KysoError(
    'CALENDAR_YEAR_MISSING',
    `Chưa có lịch nghỉ lễ, Tết của cơ quan nhà nước năm ${year}; không thể tính thời hạn`,
    `no public-sector holiday calendar for ${year}; cannot compute deadlines (add calendar-data/${year}.json)`,
  );
}

/** Checks a year table (shape, dates in the year, weekday/weekend consistency) and returns it typed. */
export function validateYearCalendar(raw: unknown, expectedYear?: number): YearCalendar {
  const parsed = yearSchema.safeParse(raw);
  const year = expectedYear ?? (parsed.success ? parsed.data.year : NaN);
  if (!parsed.success) throw invalidData(year, parsed.error.message, parsed.error);
  const cal = parsed.data;
  if (expectedYear !== undefined && cal.year !== expectedYear) throw invalidData(year, `file says year ${cal.year}`);
  const off = new Set<string>();
  for (const d of cal.daysOff) {
    parseLocalDate(d.date);
    if (!d.date.startsWith(`${cal.year}-`)) throw invalidData(year, `${d.date} is not in ${cal.year}`);
    off.add(d.date);
  }
  for (const d of cal.workingWeekendDays) {
    parseLocalDate(d.date);
    if (!d.date.startsWith(`${cal.year}-`)) throw invalidData(year, `${d.date} is not in ${cal.year}`);
    if (!isWeekend(d.date)) throw invalidData(year, `${d.date} is listed as a worked weekend day but is a weekday`);
    if (off.has(d.date)) throw invalidData(year, `${d.date} is listed both as a day off and as worked`);
  }
  return cal;
}

/**
 * Whether a year without an official table gets a provisional one: on unless KYSO_CALENDAR_PROVISIONAL is
 * 0/false/off/no. Read at each use, so the switch needs no restart.
 */
export function provisionalCalendarsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.KYSO_CALENDAR_PROVISIONAL?.trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'off' || v === 'no');
}

export interface FileCalendarOptions {
  /** Folder holding <year>.json (default ./calendar-data next to this module). */
  dir?: string | URL;
  /** Provisional tables for missing years (default provisionalCalendarsEnabled()). */
  provisional?: boolean | (() => boolean);
  /** How long a missing file is taken as missing before the folder is looked at again (default 60 s). */
  recheckMs?: number;
}

/**
 * A loader reading `<dir>/<year>.json`. An official table is read once. A missing one is looked for again after
 * `recheckMs`, so an official table dropped into the folder is picked up by a running process (and the
 * provisional deadlines depending on it are recomputed by the next maintenance pass).
 */
export function fileYearCalendarLoader(opts: FileCalendarOptions = {}): YearCalendarLoader {
  const base = opts.dir === undefined ? new URL('./calendar-data/', import.meta.url) : opts.dir;
  const fileOf = (year: number): string | URL =>
    base instanceof URL ? new URL(`${year}.json`, base.href.endsWith('/') ? base : new URL(`${base.href}/`)) : `${base.replace(/\/+$/, '')}/${year}.json`;
  const recheckMs = opts.recheckMs ?? 60_000;
  const provisional = (): boolean =>
    typeof opts.provisional === 'function' ? opts.provisional() : (opts.provisional ?? provisionalCalendarsEnabled());
  const official = new Map<number, YearCalendar>();
  const missingSince = new Map<number, number>();
  return (year) => {
    const cached = official.get(year);
    if (cached) return cached;
    const seen = missingSince.get(year);
    if (seen === undefined || Date.now() - seen >= recheckMs) {
      let text: string | undefined;
      try {
        text = readFileSync(fileOf(year), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new KysoError('IO', `Không đọc được lịch làm việc năm ${year}`, `cannot read calendar ${year}`, { cause: e });
        }
        missingSince.set(year, Date.now());
      }
      if (text !== undefined) {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw invalidData(year, 'not JSON', e);
        }
        const cal = validateYearCalendar(json, year);
        official.set(year, cal);
        missingSince.delete(year);
        return cal;
      }
    }
    if (!provisional()) throw missingYear(year);
    return provisionalYearCalendar(year);
  };
}

/** Default loader: ./calendar-data/<year>.json next to this module; a provisional table for a missing year. */
export const loadYearCalendarFromFiles: YearCalendarLoader = fileYearCalendarLoader();

// ---------------------------------------------------------------------------------------------------------------
// The calendar

/** Optional cap on how far a search may run (a guard against a broken table with no working days). */
const MAX_SCAN_DAYS = 366 * 3;

export class WorkingCalendar {
  private readonly years = new Map<number, { cal: YearCalendar; off: Map<string, string>; worked: Map<string, string> }>();
  /** Open withProvenance() calls: each collects the provisional years consulted while it runs. */
  private readonly recorders: Set<number>[] = [];

  constructor(private readonly loader: YearCalendarLoader = loadYearCalendarFromFiles) {}

  private year(y: number) {
    // The loader is asked every time: a provisional table gives way to the official one as soon as it exists.
    const cal = this.loader(y);
    let idx = this.years.get(y);
    if (!idx || idx.cal !== cal) {
      idx = {
        cal,
        off: new Map(cal.daysOff.map((d) => [d.date, d.name])),
        worked: new Map(cal.workingWeekendDays.map((d) => [d.date, d.name])),
      };
      this.years.set(y, idx);
    }
    if (cal.provisional) for (const r of this.recorders) r.add(y);
    return idx;
  }

  /** The year table for `year` (throws CALENDAR_YEAR_MISSING without one). */
  yearCalendar(year: number): YearCalendar {
    return this.loader(year);
  }

  /** True when `year` is answered by a provisional table now (false for an official one; throws without any). */
  isProvisionalYear(year: number): boolean {
    return this.loader(year).provisional === true;
  }

  /**
   * Runs `fn` (synchronous day arithmetic on this calendar) and reports which provisional year tables it
   * consulted, sorted: a result depending on none of them is final.
   */
  withProvenance<T>(fn: () => T): { value: T; provisionalYears: number[] } {
    const used = new Set<number>();
    this.recorders.push(used);
    try {
      const value = fn();
      return { value, provisionalYears: [...used].sort((a, b) => a - b) };
    } finally {
      this.recorders.splice(this.recorders.lastIndexOf(used), 1);
    }
  }

  /**
   * True when public-sector offices work on `date`: Monday–Friday except holidays, compensatory and swapped days
   * off, plus worked weekend days. Throws CALENDAR_YEAR_MISSING for a year without data.
   */
  isWorkingDay(date: LocalDate): boolean {
    parseLocalDate(date);
    const y = this.year(Number(date.slice(0, 4)));
    if (y.worked.has(date)) return true;
    if (isWeekend(date)) return false;
    return !y.off.has(date);
  }

  /** Why `date` is not a working day ('weekend', or the holiday's name), or undefined for a working day. */
  reasonOff(date: LocalDate): string | undefined {
    if (this.isWorkingDay(date)) return undefined;
    return this.year(Number(date.slice(0, 4))).off.get(date) ?? 'weekend';
  }

  /** The first working day strictly after `date`. */
  nextWorkingDay(date: LocalDate): LocalDate {
    let d = date;
    for (let i = 0; i < MAX_SCAN_DAYS; i++) {
      d = plusDays(d, 1);
      if (this.isWorkingDay(d)) return d;
    }
    throw invalidData(Number(date.slice(0, 4)), `no working day within ${MAX_SCAN_DAYS} days after ${date}`);
  }

  /** `date` itself when it is a working day, else the next one (Civil Code Art. 148 end-of-period rule). */
  onOrNextWorkingDay(date: LocalDate): LocalDate {
    return this.isWorkingDay(date) ? date : this.nextWorkingDay(date);
  }

  /**
   * The last day of a period of `n` working days starting on the day after the event day `start` (Art. 147):
   * the n-th working day after `start`. `start` itself never counts, whether or not it is a working day. n = 0
   * returns `start` unchanged (a "same day" rule).
   */
  addWorkingDays(start: LocalDate, n: number): LocalDate {
    checkCount(n);
    let d = start;
    parseLocalDate(d);
    for (let left = n; left > 0; left--) d = this.nextWorkingDay(d);
    return d;
  }

  /**
   * The last day of a period of `n` calendar days after the event day `start` (Art. 147: counting starts the
   * next day, so the nominal last day is start + n); when that day is not a working day the period ends at the
   * end of the next working day (Art. 148). n = 0 returns `start` unchanged.
   */
  addCalendarDays(start: LocalDate, n: number): LocalDate {
    checkCount(n);
    parseLocalDate(start);
    return n === 0 ? start : this.onOrNextWorkingDay(plusDays(start, n));
  }

  /** Working days in (from, to]: the days `addWorkingDays(from, k)` can reach up to `to`. */
  countWorkingDays(from: LocalDate, to: LocalDate): number {
    const a = parseLocalDate(from);
    const b = parseLocalDate(to);
    let count = 0;
    for (let ms = a + DAY_MS; ms <= b; ms += DAY_MS) if (this.isWorkingDay(formatDayIndex(ms))) count++;
    return count;
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new KysoError('INVALID_ARGUMENT', `Số ngày không hợp lệ: ${n}`, `day count must be a non-negative integer: ${n}`);
  }
}

/** The calendar built from ./calendar-data (vn-public-sector). */
export const defaultWorkingCalendar = new WorkingCalendar();

export const isWorkingDay = (date: LocalDate, cal: WorkingCalendar = defaultWorkingCalendar): boolean =>
  cal.isWorkingDay(date);
export const nextWorkingDay = (date: LocalDate, cal: WorkingCalendar = defaultWorkingCalendar): LocalDate =>
  cal.nextWorkingDay(date);
export const addWorkingDays = (start: LocalDate, n: number, cal: WorkingCalendar = defaultWorkingCalendar): LocalDate =>
  cal.addWorkingDays(start, n);
export const addCalendarDays = (start: LocalDate, n: number, cal: WorkingCalendar = defaultWorkingCalendar): LocalDate =>
  cal.addCalendarDays(start, n);
export const countWorkingDays = (from: LocalDate, to: LocalDate, cal: WorkingCalendar = defaultWorkingCalendar): number =>
  cal.countWorkingDays(from, to);
