// Provisional working calendars for a year without the official Bộ Nội vụ schedule: the Vietnamese lunar calendar
// (Hồ Ngọc Đức's algorithm, UTC+7), the Labour Code 2019 Art. 111(3)/112 table derived from it, checked against
// the official 2026 table, deadlines that say they rest on a provisional table, the file loader (official table
// picked up when it appears, KYSO_CALENDAR_PROVISIONAL=0 opt-out) — no database here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import {
  caseDeadlineDetailed,
  fileYearCalendarLoader,
  gioToDate,
  loadYearCalendarFromFiles,
  lunarToSolar,
  provisionalYearCalendar,
  solarToLunar,
  tetDate,
  transferDeadlineDetailed,
  WorkingCalendar,
  type YearCalendar,
} from '../../src/exchange/deadlines/index.ts';
import { isoVn } from '../../src/util/vn-time.ts';
import { writeOfficial2027 } from '../helpers/calendar.ts';

const vn = (local: string): Date => new Date(`${local}+07:00`);
const official2026 = JSON.parse(readFileSync(new URL('../../src/exchange/deadlines/calendar-data/2026.json', import.meta.url), 'utf8')) as YearCalendar;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Vietnamese lunar calendar', () => {
  it('Tết 2026/2027/2028 and Giỗ Tổ 2026 (the official 2026 schedule agrees)', () => {
    expect(tetDate(2026)).toBe('2026-02-17');
    expect(tetDate(2027)).toBe('2027-02-06');
    expect(tetDate(2028)).toBe('2028-01-26');
    expect(gioToDate(2026)).toBe('2026-04-26');
  });

  it('is the Vietnamese calendar (UTC+7), not the Chinese one: Tết 1985 and 2007', () => {
    // China: 20/02/1985 and 18/02/2007.
    expect(tetDate(1985)).toBe('1985-01-21');
    expect(tetDate(2007)).toBe('2007-02-17');
  });

  it('recent Tết and Giỗ Tổ dates, and the conversion both ways', () => {
    expect([2023, 2024, 2025].map(tetDate)).toEqual(['2023-01-22', '2024-02-10', '2025-01-29']);
    expect([2023, 2024, 2025].map(gioToDate)).toEqual(['2023-04-29', '2024-04-18', '2025-04-07']);
    expect(solarToLunar(16, 2, 2026)).toEqual({ day: 29, month: 12, year: 2025, leap: false });
    expect(solarToLunar(26, 4, 2026)).toEqual({ day: 10, month: 3, year: 2026, leap: false });
    // 2023 had a leap month 2 (tháng 2 nhuận): 22/03/2023 is 1/2 nhuận; a leap month the year lacks does not exist.
    expect(solarToLunar(22, 3, 2023)).toEqual({ day: 1, month: 2, year: 2023, leap: true });
    expect(lunarToSolar(1, 2, 2023, true)).toEqual([22, 3, 2023]);
    expect(lunarToSolar(1, 5, 2023, true)).toBeUndefined();
    expect(lunarToSolar(1, 2, 2026, true)).toBeUndefined();
  });
});

describe('provisional year table (Labour Code 2019 Art. 111–112)', () => {
  it('2026 computed as if 2026.json were missing: every official HOLIDAY is in it; the differences are the decided swap', () => {
    const p = provisionalYearCalendar(2026);
    expect(p.provisional).toBe(true);
    expect(p.source).toMatch(/Labour Code 2019 Art\. 111\(3\) and 112/);
    expect(p.source).toMatch(/pending the official Bộ Nội vụ schedule/);
    expect(p.source).toMatch(/last day of the lunar year \+ mùng 1–4/);
    expect(p.source).toMatch(/1\/9/);
    const provOff = new Map(p.daysOff.map((d) => [d.date, d.kind]));
    for (const d of official2026.daysOff.filter((x) => x.kind === 'HOLIDAY')) expect(provOff.get(d.date), d.date).toBe('HOLIDAY');
    // The official compensatory day (Giỗ Tổ on Sun 26/04 → Mon 27/04) is derived as well.
    expect(provOff.get('2026-04-27')).toBe('COMPENSATORY');
    // Documented differences: the official table swaps Mon 31/08 (off) with Sat 22/08 (worked) — a decision no
    // law derives — and does not list the Sunday 26/04 itself (a weekend day; listing it is harmless).
    const officialOff = new Set(official2026.daysOff.map((d) => d.date));
    expect(official2026.daysOff.filter((d) => !provOff.has(d.date)).map((d) => [d.date, d.kind])).toEqual([['2026-08-31', 'SWAPPED']]);
    expect(p.daysOff.filter((d) => !officialOff.has(d.date)).map((d) => d.date)).toEqual(['2026-04-26']);
    expect(official2026.workingWeekendDays.map((d) => d.date)).toEqual(['2026-08-22']);
    expect(p.workingWeekendDays).toEqual([]);
    // Both give 250 working days (the swap moves one, it does not add one).
    const prov = new WorkingCalendar(() => p);
    const off = new WorkingCalendar(() => official2026);
    expect(prov.countWorkingDays('2025-12-31', '2026-12-31')).toBe(250);
    expect(off.countWorkingDays('2025-12-31', '2026-12-31')).toBe(250);
  });

  it('2027: Tết Fri 05/02–Tue 09/02 with Sat 06 and Sun 07 compensated Wed 10 and Thu 11; 1/5 on a Saturday → Mon 03/05', () => {
    const p = provisionalYearCalendar(2027);
    expect(p.daysOff.map((d) => `${d.date} ${d.kind}`)).toEqual([
      '2027-01-01 HOLIDAY',
      '2027-02-05 HOLIDAY',
      '2027-02-06 HOLIDAY',
      '2027-02-07 HOLIDAY',
      '2027-02-08 HOLIDAY',
      '2027-02-09 HOLIDAY',
      '2027-02-10 COMPENSATORY',
      '2027-02-11 COMPENSATORY',
      '2027-04-16 HOLIDAY',
      '2027-04-30 HOLIDAY',
      '2027-05-01 HOLIDAY',
      '2027-05-03 COMPENSATORY',
      '2027-09-01 HOLIDAY',
      '2027-09-02 HOLIDAY',
    ]);
  });

  it('2024 (Sun 01/09) gives Tue 03/09 off, as the official 2024 schedule did; 2023 (Sat 02/09) gives Mon 04/09', () => {
    const off = (y: number) => provisionalYearCalendar(y).daysOff.filter((d) => d.date.slice(5, 7) === '09').map((d) => `${d.date} ${d.kind}`);
    expect(off(2024)).toEqual(['2024-09-01 HOLIDAY', '2024-09-02 HOLIDAY', '2024-09-03 COMPENSATORY']);
    expect(off(2023)).toEqual(['2023-09-01 HOLIDAY', '2023-09-02 HOLIDAY', '2023-09-04 COMPENSATORY']);
  });

  it('no table beyond the lunar algorithm’s range: CALENDAR_YEAR_MISSING', () => {
    let err: unknown;
    try {
      provisionalYearCalendar(2200);
    } catch (e) {
      err = e;
    }
    expect(isKysoError(err, 'CALENDAR_YEAR_MISSING')).toBe(true);
  });
});

describe('deadlines on a provisional table', () => {
  it('received Thu 10/12/2026: answer due Fri 08/01/2027 (1/1/2027 skipped), provisional on 2027; transfer due Thu 17/12/2026, final', () => {
    const answer = caseDeadlineDetailed(vn('2026-12-10T09:00:00'));
    expect(isoVn(answer.at)).toBe('2027-01-08T23:59:59+07:00');
    expect(answer).toMatchObject({ lastDay: '2027-01-08', provisional: true, provisionalYears: [2027] });
    const transfer = transferDeadlineDetailed(vn('2026-12-10T09:00:00'));
    expect(transfer).toMatchObject({ lastDay: '2026-12-17', provisional: false, provisionalYears: [] });
  });

  it('the default loader opts out with KYSO_CALENDAR_PROVISIONAL=0 (the old CALENDAR_YEAR_MISSING)', () => {
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '0');
    expect(() => loadYearCalendarFromFiles(2027)).toThrow(/2027/);
    try {
      loadYearCalendarFromFiles(2027);
    } catch (e) {
      expect(isKysoError(e, 'CALENDAR_YEAR_MISSING')).toBe(true);
    }
    expect(loadYearCalendarFromFiles(2026).provisional).toBeUndefined();
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '1');
    expect(loadYearCalendarFromFiles(2027).provisional).toBe(true);
  });

  it('a file loader picks up an official table dropped into its folder; the calendar then answers from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyso-cal-'));
    try {
      writeFileSync(join(dir, '2026.json'), JSON.stringify(official2026));
      const cal = new WorkingCalendar(fileYearCalendarLoader({ dir, recheckMs: 0 }));
      expect(cal.isProvisionalYear(2027)).toBe(true);
      expect(isoVn(caseDeadlineDetailed(vn('2026-12-10T09:00:00'), undefined, cal).at)).toBe('2027-01-08T23:59:59+07:00');
      writeOfficial2027(dir, '2027-01-09');
      expect(cal.isProvisionalYear(2027)).toBe(false);
      const r = caseDeadlineDetailed(vn('2026-12-10T09:00:00'), undefined, cal);
      expect(r).toMatchObject({ lastDay: '2027-01-09', provisional: false, provisionalYears: [] });
      // Without the provisional fallback the same loader refuses a year it has no file for.
      const strict = new WorkingCalendar(fileYearCalendarLoader({ dir, provisional: false }));
      expect(() => strict.isWorkingDay('2028-03-01')).toThrow(/2028/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
