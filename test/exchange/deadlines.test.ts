// Issue 5, deadlines: the 2026 public-sector calendar (Tết Bính Ngọ, compensatory 27/04, 30/4–1/5, National Day
// with the swapped Mon 31/08 worked on Sat 22/08), Civil Code Art. 147–148 period arithmetic, the PAKN deadline
// policy, and the worked examples of pakn-process.md §7 reproduced exactly.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isKysoError, KysoError } from '../../src/errors.ts';
import {
  addCalendarDays,
  addWorkingDays,
  answeredLate,
  caseDeadline,
  countWorkingDays,
  DEFAULT_DEADLINE_POLICY,
  deadlinePolicy,
  defaultWorkingCalendar,
  endOfVnDay,
  isOverdue,
  isWorkingDay,
  loadYearCalendarFromFiles,
  nextProgressUpdateDue,
  nextWorkingDay,
  periodEnd,
  progressUpdateLate,
  transferDeadline,
  validateYearCalendar,
  vnDateOf,
  WorkingCalendar,
  type YearCalendar,
} from '../../src/exchange/deadlines/index.ts';
import { isoVn } from '../../src/util/vn-time.ts';

/** An instant given as Vietnamese wall-clock time. */
const vn = (local: string): Date => new Date(`${local}+07:00`);

function expectKyso(fn: () => unknown, code: KysoError['code']): KysoError {
  try {
    fn();
  } catch (e) {
    expect(isKysoError(e, code), String(e)).toBe(true);
    return e as KysoError;
  }
  throw new Error(`expected KysoError ${code}`);
}

describe('2026 public-sector calendar', () => {
  it('has 250 working days (261 weekdays − 12 weekday days off + Sat 22/08)', () => {
    expect(countWorkingDays('2025-12-31', '2026-12-31')).toBe(250);
  });

  it('cites its source document', () => {
    expect(loadYearCalendarFromFiles(2026).source).toMatch(/9859\/VPCP-KGVX/);
    expect(loadYearCalendarFromFiles(2026).source).toMatch(/8764\/BNV-CVL/);
  });

  it.each([
    ['2026-01-01', false, 'New Year (Thu)'],
    ['2026-01-02', true, 'Fri after New Year'],
    ['2026-02-13', true, 'Fri before Tết'],
    ['2026-02-14', false, 'Sat'],
    ['2026-02-16', false, 'Tết Mon'],
    ['2026-02-17', false, 'Tết (mùng 1)'],
    ['2026-02-18', false, 'Tết'],
    ['2026-02-19', false, 'Tết'],
    ['2026-02-20', false, 'Tết Fri'],
    ['2026-02-22', false, 'Sun'],
    ['2026-02-23', true, 'first day back'],
    ['2026-04-24', true, 'Fri before Giỗ Tổ'],
    ['2026-04-26', false, 'Giỗ Tổ on Sunday'],
    ['2026-04-27', false, 'compensatory day for Giỗ Tổ'],
    ['2026-04-28', true, 'Tue'],
    ['2026-04-29', true, 'Wed'],
    ['2026-04-30', false, '30/4'],
    ['2026-05-01', false, '1/5'],
    ['2026-05-04', true, 'Mon after 1/5'],
    ['2026-08-21', true, 'Fri'],
    ['2026-08-22', true, 'Sat 22/08 worked (swap)'],
    ['2026-08-23', false, 'Sun 23/08'],
    ['2026-08-29', false, 'ordinary Sat'],
    ['2026-08-31', false, 'Mon 31/08 swapped off'],
    ['2026-09-01', false, 'National Day adjacent day'],
    ['2026-09-02', false, 'National Day'],
    ['2026-09-03', true, 'Thu after National Day'],
  ])('%s working=%s (%s)', (date, working) => {
    expect(isWorkingDay(date)).toBe(working);
  });

  it('names why a day is off', () => {
    expect(defaultWorkingCalendar.reasonOff('2026-04-27')).toMatch(/Giỗ Tổ/);
    expect(defaultWorkingCalendar.reasonOff('2026-02-14')).toBe('weekend');
    expect(defaultWorkingCalendar.reasonOff('2026-08-22')).toBeUndefined();
  });
});

describe('year without data', () => {
  // By default a missing year gets a provisional table (test/exchange/provisional-calendar.test.ts); the opt-out
  // KYSO_CALENDAR_PROVISIONAL=0 keeps the strict behaviour these tests pin down.
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('throws CALENDAR_YEAR_MISSING for 2025 and 2027 dates', () => {
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '0');
    const e = expectKyso(() => isWorkingDay('2027-01-04'), 'CALENDAR_YEAR_MISSING');
    expect(e.en).toMatch(/2027/);
    expectKyso(() => isWorkingDay('2025-06-02'), 'CALENDAR_YEAR_MISSING');
    expectKyso(() => caseDeadline(vn('2025-12-30T10:00:00')), 'CALENDAR_YEAR_MISSING');
  });

  it('throws when a period runs into a year without data', () => {
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '0');
    // 20 working days from mid-December 2026 end in January 2027.
    expectKyso(() => caseDeadline(vn('2026-12-15T09:00:00')), 'CALENDAR_YEAR_MISSING');
    expectKyso(() => addCalendarDays('2026-12-25', 10), 'CALENDAR_YEAR_MISSING');
    // … but a period that ends inside 2026 does not need 2027.
    expect(addWorkingDays('2026-12-01', 5)).toBe('2026-12-08');
  });

  it('refuses malformed dates and counts', () => {
    expectKyso(() => isWorkingDay('2026-02-30'), 'INVALID_ARGUMENT');
    expectKyso(() => isWorkingDay('26-02-03'), 'INVALID_ARGUMENT');
    expectKyso(() => addWorkingDays('2026-03-02', -1), 'INVALID_ARGUMENT');
    expectKyso(() => addWorkingDays('2026-03-02', 1.5), 'INVALID_ARGUMENT');
    expectKyso(() => deadlinePolicy({ answerDeadline: { amount: 0, unit: 'WORKING_DAYS' } }), 'INVALID_ARGUMENT');
    expectKyso(() => caseDeadline(new Date(NaN)), 'INVALID_ARGUMENT');
  });

  it('validates year tables', () => {
    const base: YearCalendar = { year: 2030, source: 'test', daysOff: [], workingWeekendDays: [] };
    expect(validateYearCalendar(base, 2030).year).toBe(2030);
    expectKyso(() => validateYearCalendar(base, 2031), 'CALENDAR_DATA_INVALID');
    expectKyso(
      () => validateYearCalendar({ ...base, daysOff: [{ date: '2031-01-01', kind: 'HOLIDAY', name: 'x' }] }),
      'CALENDAR_DATA_INVALID',
    );
    expectKyso(
      () => validateYearCalendar({ ...base, workingWeekendDays: [{ date: '2030-01-02', name: 'a Wednesday' }] }),
      'CALENDAR_DATA_INVALID',
    );
    expectKyso(() => validateYearCalendar({ year: 2030 }), 'CALENDAR_DATA_INVALID');
  });

  it('accepts an injected calendar (custom loader)', () => {
    const cal = new WorkingCalendar((year) => {
      if (year !== 2030) throw new KysoError('CALENDAR_YEAR_MISSING', 'x', 'x');
      return validateYearCalendar(
        {
          year: 2030,
          source: 'test',
          daysOff: [{ date: '2030-01-01', kind: 'HOLIDAY', name: 'New Year' }],
          workingWeekendDays: [],
        },
        2030,
      );
    });
    expect(cal.isWorkingDay('2030-01-01')).toBe(false);
    expect(cal.nextWorkingDay('2030-01-01')).toBe('2030-01-02');
  });
});

describe('Civil Code Art. 147–148 arithmetic', () => {
  it('starts the day after the event; the event day never counts', () => {
    expect(addWorkingDays('2026-03-02', 1)).toBe('2026-03-03'); // Mon → Tue
    expect(addWorkingDays('2026-03-06', 1)).toBe('2026-03-09'); // Fri → Mon
    expect(addWorkingDays('2026-03-07', 1)).toBe('2026-03-09'); // event on Sat → Mon
    expect(addWorkingDays('2026-03-02', 0)).toBe('2026-03-02');
    expect(addCalendarDays('2026-03-02', 1)).toBe('2026-03-03');
  });

  it('nextWorkingDay skips weekends and holidays', () => {
    expect(nextWorkingDay('2026-02-13')).toBe('2026-02-23');
    expect(nextWorkingDay('2026-04-24')).toBe('2026-04-28');
    expect(nextWorkingDay('2026-04-29')).toBe('2026-05-04');
    expect(nextWorkingDay('2026-08-21')).toBe('2026-08-22');
    expect(nextWorkingDay('2026-08-28')).toBe('2026-09-03');
  });

  it('a calendar-day period ending on a weekend ends on the next working day', () => {
    expect(addCalendarDays('2026-03-02', 5)).toBe('2026-03-09'); // Sat 07/03 → Mon 09/03
    expect(addCalendarDays('2026-03-03', 5)).toBe('2026-03-09'); // Sun 08/03 → Mon 09/03
    expect(addCalendarDays('2026-03-04', 5)).toBe('2026-03-09'); // Mon 09/03 itself
    expect(addCalendarDays('2026-03-02', 4)).toBe('2026-03-06'); // Fri, no move
  });

  it('a calendar-day period ending on a holiday ends on the next working day', () => {
    expect(addCalendarDays('2026-02-10', 7)).toBe('2026-02-23'); // Tue 17/02 (Tết) → Mon 23/02
    expect(addCalendarDays('2026-04-20', 7)).toBe('2026-04-28'); // Mon 27/04 (compensatory) → Tue 28/04
    expect(addCalendarDays('2026-04-23', 7)).toBe('2026-05-04'); // Thu 30/04 → Mon 04/05
    expect(addCalendarDays('2026-08-26', 7)).toBe('2026-09-03'); // Wed 02/09 → Thu 03/09
    expect(addCalendarDays('2026-08-15', 7)).toBe('2026-08-22'); // Sat 22/08 is a working day: no move
  });

  it('the deadline is 23:59:59.999 +07:00 of the last day, whatever the host time zone', () => {
    expect(endOfVnDay('2026-02-27').toISOString()).toBe('2026-02-27T16:59:59.999Z');
    expect(isoVn(endOfVnDay('2026-02-27'))).toBe('2026-02-27T23:59:59+07:00');
    // 23:30 UTC on 12/02 is already 13/02 in Vietnam.
    expect(vnDateOf(new Date('2026-02-12T23:30:00Z'))).toBe('2026-02-13');
    expect(vnDateOf(new Date('2026-02-13T16:59:59Z'))).toBe('2026-02-13');
    expect(vnDateOf(new Date('2026-02-13T17:00:00Z'))).toBe('2026-02-14');
  });
});

describe('worked examples (pakn-process.md §7)', () => {
  it('received Fri 13/02, 5 working days → Fri 27/02 (Tết 16–20/02 skipped)', () => {
    expect(addWorkingDays('2026-02-13', 5)).toBe('2026-02-27');
    expect(isoVn(transferDeadline(vn('2026-02-13T16:45:00')))).toBe('2026-02-27T23:59:59+07:00');
  });

  it('received Thu 20/08, 20 working days → Mon 21/09 (Sat 22/08 counts, 31/08–02/09 do not)', () => {
    expect(addWorkingDays('2026-08-20', 20)).toBe('2026-09-21');
    expect(isoVn(caseDeadline(vn('2026-08-20T10:00:00')))).toBe('2026-09-21T23:59:59+07:00');
  });

  it('received Thu 20/08, 20 calendar days → Wed 09/09', () => {
    expect(addCalendarDays('2026-08-20', 20)).toBe('2026-09-09');
    const policy = deadlinePolicy({ answerDeadline: { amount: 20, unit: 'CALENDAR_DAYS' } });
    expect(isoVn(caseDeadline(vn('2026-08-20T10:00:00'), policy))).toBe('2026-09-09T23:59:59+07:00');
  });
});

describe('case and transfer deadlines around the 2026 holidays', () => {
  it('a case received just before Tết: 20 working days from Thu 12/02 → Thu 19/03', () => {
    // Fri 13/02 (1), Tết 14–22/02 off, 23–27/02 (2–6), 02–06/03 (7–11), 09–13/03 (12–16), 16–19/03 (17–20).
    // Without the Tết days it would have been Thu 12/03.
    expect(addWorkingDays('2026-02-12', 1)).toBe('2026-02-13');
    expect(addWorkingDays('2026-02-12', 2)).toBe('2026-02-23');
    expect(isoVn(caseDeadline(vn('2026-02-12T15:00:00')))).toBe('2026-03-19T23:59:59+07:00');
    expect(countWorkingDays('2026-02-12', '2026-03-19')).toBe(20);
    expect(isoVn(transferDeadline(vn('2026-02-12T15:00:00')))).toBe('2026-02-26T23:59:59+07:00');
  });

  it('a case received late evening before Tết counts from the Vietnamese date, not UTC', () => {
    // 23:30 +07:00 on Fri 13/02 is 16:30 UTC on 13/02; 00:30 +07:00 on Sat 14/02 is still 13/02 in UTC.
    expect(isoVn(transferDeadline(vn('2026-02-13T23:30:00')))).toBe('2026-02-27T23:59:59+07:00');
    expect(isoVn(transferDeadline(vn('2026-02-14T00:30:00')))).toBe('2026-02-27T23:59:59+07:00');
    expect(isoVn(transferDeadline(vn('2026-02-12T23:59:59')))).toBe('2026-02-26T23:59:59+07:00');
  });

  it('27/04 compensatory day and 30/4–1/5 are skipped', () => {
    // Received Fri 24/04: 28/04 (1), 29/04 (2), 04/05 (3), 05/05 (4), 06/05 (5).
    expect(isoVn(transferDeadline(vn('2026-04-24T09:00:00')))).toBe('2026-05-06T23:59:59+07:00');
    expect(addWorkingDays('2026-04-24', 1)).toBe('2026-04-28');
    expect(addWorkingDays('2026-04-29', 1)).toBe('2026-05-04');
    expect(countWorkingDays('2026-04-24', '2026-05-04')).toBe(3);
  });

  it('National Day 2/9 and its adjacent day, and the 31/08 ↔ 22/08 swap', () => {
    expect(addWorkingDays('2026-08-21', 1)).toBe('2026-08-22'); // Fri → Sat 22/08 (worked)
    expect(addWorkingDays('2026-08-28', 1)).toBe('2026-09-03'); // Fri 28/08 → Thu 03/09
    // Received Fri 21/08: Sat 22/08 (1), 24–27/08 (2–5): 5 working days end Thu 27/08.
    expect(isoVn(transferDeadline(vn('2026-08-21T11:00:00')))).toBe('2026-08-27T23:59:59+07:00');
    // Received Tue 25/08: 26, 27, 28/08 (1–3), 03/09 (4), 04/09 (5).
    expect(isoVn(transferDeadline(vn('2026-08-25T11:00:00')))).toBe('2026-09-04T23:59:59+07:00');
    // Sat 22/08 counts: 5 working days from Thu 20/08 end Wed 26/08 (Thu 27/08 without the swap).
    expect(addWorkingDays('2026-08-20', 5)).toBe('2026-08-26');
  });

  it('uses the default policy of pakn-process.md §5', () => {
    expect(DEFAULT_DEADLINE_POLICY).toEqual({
      answerDeadline: { amount: 20, unit: 'WORKING_DAYS' },
      transferDeadline: { amount: 5, unit: 'WORKING_DAYS' },
      overdueUpdateEvery: { amount: 7, unit: 'CALENDAR_DAYS' },
    });
    expect(deadlinePolicy()).toEqual(DEFAULT_DEADLINE_POLICY);
    const moit = deadlinePolicy({ transferDeadline: { amount: 3, unit: 'WORKING_DAYS' } });
    expect(isoVn(transferDeadline(vn('2026-02-13T09:00:00'), moit))).toBe('2026-02-25T23:59:59+07:00');
    expect(isoVn(periodEnd(vn('2026-02-13T09:00:00'), { amount: 3, unit: 'WORKING_DAYS' }))).toBe(
      '2026-02-25T23:59:59+07:00',
    );
  });
});

describe('overdue and progress updates', () => {
  const dueAt = caseDeadline(vn('2026-08-20T10:00:00')); // Mon 21/09 23:59:59.999 +07:00

  it('is overdue only after 24:00 of the last day and only while unanswered', () => {
    expect(isOverdue({ dueAt }, vn('2026-09-21T23:59:59'))).toBe(false);
    expect(isOverdue({ dueAt }, vn('2026-09-22T00:00:00'))).toBe(true);
    expect(isOverdue({ dueAt, answeredAt: vn('2026-09-21T17:00:00') }, vn('2026-10-01T00:00:00'))).toBe(false);
    expect(isOverdue({ dueAt, answeredAt: vn('2026-09-25T17:00:00') }, vn('2026-09-24T00:00:00'))).toBe(true);
    expect(answeredLate({ dueAt, answeredAt: vn('2026-09-25T17:00:00') })).toBe(true);
    expect(answeredLate({ dueAt, answeredAt: vn('2026-09-21T17:00:00') })).toBe(false);
  });

  it('needs a progress update 7 days after the deadline, then 7 days after each update', () => {
    // 21/09 + 7 = Mon 28/09.
    expect(isoVn(nextProgressUpdateDue({ dueAt })!)).toBe('2026-09-28T23:59:59+07:00');
    // An update before the deadline does not count.
    expect(isoVn(nextProgressUpdateDue({ dueAt, lastProgressUpdateAt: vn('2026-09-15T09:00:00') })!)).toBe(
      '2026-09-28T23:59:59+07:00',
    );
    // Update on Fri 25/09 → next due Fri 02/10.
    expect(isoVn(nextProgressUpdateDue({ dueAt, lastProgressUpdateAt: vn('2026-09-25T09:00:00') })!)).toBe(
      '2026-10-02T23:59:59+07:00',
    );
    // Update on Mon 28/09 → 05/10 (Mon).
    expect(isoVn(nextProgressUpdateDue({ dueAt, lastProgressUpdateAt: vn('2026-09-28T09:00:00') })!)).toBe(
      '2026-10-05T23:59:59+07:00',
    );
    expect(nextProgressUpdateDue({ dueAt, answeredAt: vn('2026-09-30T09:00:00') })).toBeNull();
  });

  it('a progress update period ending on a weekend moves to the next working day', () => {
    // Update on Sat 26/09 (calendar) → Sat 03/10 → Mon 05/10.
    expect(isoVn(nextProgressUpdateDue({ dueAt, lastProgressUpdateAt: vn('2026-09-26T09:00:00') })!)).toBe(
      '2026-10-05T23:59:59+07:00',
    );
  });

  it('flags a late progress update', () => {
    expect(progressUpdateLate({ dueAt }, vn('2026-09-28T23:00:00'))).toBe(false);
    expect(progressUpdateLate({ dueAt }, vn('2026-09-29T00:00:01'))).toBe(true);
    expect(progressUpdateLate({ dueAt, lastProgressUpdateAt: vn('2026-09-28T09:00:00') }, vn('2026-09-29T08:00:00'))).toBe(
      false,
    );
    expect(progressUpdateLate({ dueAt }, vn('2026-09-20T00:00:00'))).toBe(false);
  });
});
