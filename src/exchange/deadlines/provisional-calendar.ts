// A provisional public-sector holiday table for a year whose official schedule (Bộ Nội vụ, approved by VPCP) has
// not been entered yet. Refusing every citizen's submission because next year's schedule is not out (it usually
// appears in October–December, and deadlines of 20 working days reach into the next year from early December)
// is worse than a deadline clearly marked as provisional and recomputed when the official table arrives
// (deadline-recompute.ts).
//
// What it contains — the law, nothing decided yearly:
//   * Labour Code 2019 Art. 112(1) holidays: 1/1; Tết Âm lịch 5 days; Giỗ Tổ Hùng Vương 10/3 lunar; 30/4; 1/5;
//     2/9 plus one adjacent day.
//   * Tết: the convention of the recent official schedules (2025: 25/01–02/02 around Tết 29/01; 2026: 16/02–20/02
//     around Tết 17/02): the last day of the lunar year and mùng 1–4, i.e. the 5 consecutive days starting the day
//     before mùng 1 Tết.
//   * The day adjacent to 2/9: 1/9, as in the official schedules of 2023 (Fri 01/09), 2025 (Mon 01/09) and 2026
//     (Tue 01/09). In 2024 1/9 was a Sunday and the schedule gave Tue 03/09 off, which is what the compensation
//     rule below gives for a Sunday 1/9.
//   * Art. 111(3): a holiday on a Saturday or Sunday is compensated by the next working day(s) — the first weekday
//     after it that is neither a holiday nor already a compensatory day (so the two weekend days inside a Tết
//     block become the two weekdays after the block).
// What it cannot contain: swaps (hoán đổi) and bridge days, and any Tết arrangement other than the convention
// above — those are decisions of the Prime Minister / Bộ Nội vụ, which is why the table is marked provisional.
//
// Lunar dates come from the Vietnamese lunar calendar (lunar-calendar.ts, UTC+7).
import { KysoError } from '../../errors.ts';
import { gioToDate, LUNAR_MAX_YEAR, LUNAR_MIN_YEAR, tetDate } from './lunar-calendar.ts';
import { isWeekend, plusDays, type LocalDate } from './civil-date.ts';
import type { DayOffKind, YearCalendar } from './working-calendar.ts';

export const PROVISIONAL_SOURCE =
  'Provisional (tạm tính): derived from Labour Code 2019 Art. 111(3) and 112 and the Vietnamese lunar calendar (UTC+7, Hồ Ngọc Đức\'s algorithm), ' +
  'pending the official Bộ Nội vụ schedule approved by VPCP. Tết = the last day of the lunar year + mùng 1–4 (convention of the 2025 and 2026 schedules); ' +
  'National Day adjacent day = 1/9 (as in 2023, 2025, 2026); a holiday on Saturday/Sunday is compensated on the next working day(s); no swapped days.';


/** True when a provisional table can be made for `year` (the lunar algorithm's range). */
export function canMakeProvisional(year: number): boolean {
  return Number.isInteger(year) && year >= LUNAR_MIN_YEAR && year <= LUNAR_MAX_YEAR;
}

const cache = new Map<number, YearCalendar>();

/**
 * The provisional table of `year` (see the header); `provisional: true`. Throws CALENDAR_YEAR_MISSING for a year
 * outside the lunar algorithm's range.
 */
export function provisionalYearCalendar(year: number): YearCalendar {
  const hit = cache.get(year);
  if (hit) return hit;
  if (!canMakeProvisional(year)) {
    throw new KysoError(
      'CALENDAR_YEAR_MISSING',
      `Chưa có lịch nghỉ lễ, Tết của cơ quan nhà nước năm ${year} và không thể tạm tính (ngoài phạm vi âm lịch ${LUNAR_MIN_YEAR}–${LUNAR_MAX_YEAR}); không thể tính thời hạn`,
      `no public-sector holiday calendar for ${year}, and none can be derived (outside the lunar calendar's range ${LUNAR_MIN_YEAR}–${LUNAR_MAX_YEAR}); cannot compute deadlines`,
    );
  }
  const y = String(year).padStart(4, '0');
  const tet = tetDate(year);
  const holidays: { date: LocalDate; name: string }[] = [
    { date: `${y}-01-01`, name: 'Tết Dương lịch (New Year)' },
    { date: plusDays(tet, -1), name: 'Tết Âm lịch (ngày cuối năm âm lịch)' },
    { date: tet, name: 'Tết Âm lịch (mùng 1 Tết)' },
    { date: plusDays(tet, 1), name: 'Tết Âm lịch (mùng 2 Tết)' },
    { date: plusDays(tet, 2), name: 'Tết Âm lịch (mùng 3 Tết)' },
    { date: plusDays(tet, 3), name: 'Tết Âm lịch (mùng 4 Tết)' },
    { date: gioToDate(year), name: 'Giỗ Tổ Hùng Vương (10/3 âm lịch)' },
    { date: `${y}-04-30`, name: 'Ngày Chiến thắng (30/4)' },
    { date: `${y}-05-01`, name: 'Ngày Quốc tế Lao động (1/5)' },
    { date: `${y}-09-01`, name: 'Quốc khánh (ngày liền kề 1/9)' },
    { date: `${y}-09-02`, name: 'Quốc khánh (2/9)' },
  ];
  // Should two holidays ever share a date (Giỗ Tổ on 30/4), one entry with both names: it is one day off.
  const byDate = new Map<LocalDate, string>();
  for (const h of holidays.sort((a, b) => a.date.localeCompare(b.date))) {
    byDate.set(h.date, byDate.has(h.date) ? `${byDate.get(h.date)}; ${h.name}` : h.name);
  }
  const daysOff: { date: LocalDate; kind: DayOffKind; name: string }[] = [...byDate].map(([date, name]) => ({ date, kind: 'HOLIDAY', name }));
  const taken = new Set(byDate.keys());
  for (const [date, name] of byDate) {
    if (!isWeekend(date)) continue;
    let d = plusDays(date, 1);
    while (isWeekend(d) || taken.has(d)) d = plusDays(d, 1);
    taken.add(d);
    daysOff.push({ date: d, kind: 'COMPENSATORY', name: `Nghỉ bù ${name} (${date} là ngày nghỉ hằng tuần)` });
  }
  daysOff.sort((a, b) => a.date.localeCompare(b.date));
  const cal: YearCalendar = { year, source: PROVISIONAL_SOURCE, provisional: true, daysOff, workingWeekendDays: [] };
  cache.set(year, cal);
  return cal;
}
