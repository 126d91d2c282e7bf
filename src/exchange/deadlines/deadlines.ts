// PAKN deadlines (pakn-process.md §5, §7): answer 20 working days from receipt, transfer outside competence within 5
// working days, progress update every 7 days once overdue. Pure functions over instants (`Date`); the day
// arithmetic is the public-sector working calendar (working-calendar.ts) with Civil Code Art. 147–148:
//   * the period starts the day after the event (the Vietnamese civil date of the event instant);
//   * WORKING_DAYS: the last day is the n-th working day after that date;
//   * CALENDAR_DAYS: the last day is date + n, moved to the next working day if it is a weekend or holiday;
//   * the deadline is the end of the last day, 23:59:59.999 +07:00 ("24:00 of the last day");
//   * overdue means now > deadline (a derived flag, not a state);
//   * a deadline computed on a provisional year table (no official schedule yet, provisional-calendar.ts) is
//     provisional: the *Detailed functions say so and name the years, the case stores it, and the maintenance
//     pass recomputes it from the receipt once the official table exists (deadline-recompute.ts).
import { KysoError } from '../../errors.ts';
import { defaultWorkingCalendar, endOfVnDay, type LocalDate, vnDateOf, type WorkingCalendar } from './working-calendar.ts';

export type DayUnit = 'WORKING_DAYS' | 'CALENDAR_DAYS';

export interface Period {
  amount: number;
  unit: DayUnit;
}

export interface DeadlinePolicy {
  /** Answer deadline counted from receipt. */
  answerDeadline: Period;
  /** Transfer of a PAKN outside the receiver's competence, counted from receipt. */
  transferDeadline: Period;
  /** Once a case is overdue, a progress update is due this long after the deadline / the previous update. */
  overdueUpdateEvery: Period;
}

/** pakn-process.md §5 defaults: 20 working days, 5 working days, every 7 calendar days. */
export const DEFAULT_DEADLINE_POLICY: Readonly<DeadlinePolicy> = Object.freeze({
  answerDeadline: Object.freeze({ amount: 20, unit: 'WORKING_DAYS' }),
  transferDeadline: Object.freeze({ amount: 5, unit: 'WORKING_DAYS' }),
  overdueUpdateEvery: Object.freeze({ amount: 7, unit: 'CALENDAR_DAYS' }),
}) as Readonly<DeadlinePolicy>;

/** A partial policy (e.g. from configuration) completed with the defaults and checked. */
export function deadlinePolicy(overrides: Partial<DeadlinePolicy> = {}): DeadlinePolicy {
  const p: DeadlinePolicy = {
    answerDeadline: overrides.answerDeadline ?? DEFAULT_DEADLINE_POLICY.answerDeadline,
    transferDeadline: overrides.transferDeadline ?? DEFAULT_DEADLINE_POLICY.transferDeadline,
    overdueUpdateEvery: overrides.overdueUpdateEvery ?? DEFAULT_DEADLINE_POLICY.overdueUpdateEvery,
  };
  for (const [name, period] of Object.entries(p) as [string, Period][]) checkPeriod(period, name);
  return p;
}

function checkPeriod(p: Period, name = 'period'): void {
  if (!p || !Number.isInteger(p.amount) || p.amount < 1 || (p.unit !== 'WORKING_DAYS' && p.unit !== 'CALENDAR_DAYS')) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Thời hạn không hợp lệ (${name}): ${JSON.stringify(p)}`,
      `invalid ${name}: want { amount: positive integer, unit: WORKING_DAYS | CALENDAR_DAYS }, got ${JSON.stringify(p)}`,
    );
  }
}

function checkInstant(d: Date, name: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new KysoError('INVALID_ARGUMENT', `Thời điểm không hợp lệ: ${name}`, `invalid instant: ${name}`);
  }
}

/** The last day (Vietnamese civil date) of `period` counted from the event day `eventDay`. */
export function periodLastDay(eventDay: LocalDate, period: Period, cal: WorkingCalendar = defaultWorkingCalendar): LocalDate {
  checkPeriod(period);
  return period.unit === 'WORKING_DAYS'
    ? cal.addWorkingDays(eventDay, period.amount)
    : cal.addCalendarDays(eventDay, period.amount);
}

/** End (23:59:59.999 +07:00 of the last day) of `period` counted from the event at instant `eventAt`. */
export function periodEnd(eventAt: Date, period: Period, cal: WorkingCalendar = defaultWorkingCalendar): Date {
  return periodEndDetailed(eventAt, period, cal).at;
}

/** A deadline and what it rests on. */
export interface DeadlineResult {
  /** 23:59:59.999 +07:00 of the last day. */
  at: Date;
  lastDay: LocalDate;
  /** True when a provisional year table was consulted: the deadline may move when the official one arrives. */
  provisional: boolean;
  /** The provisional years consulted (empty when final). */
  provisionalYears: number[];
}

/** periodEnd with its provenance (whether a provisional year table was used). */
export function periodEndDetailed(eventAt: Date, period: Period, cal: WorkingCalendar = defaultWorkingCalendar): DeadlineResult {
  checkInstant(eventAt, 'eventAt');
  const r = cal.withProvenance(() => periodLastDay(vnDateOf(eventAt), period, cal));
  return { at: endOfVnDay(r.value), lastDay: r.value, provisional: r.provisionalYears.length > 0, provisionalYears: r.provisionalYears };
}

/** caseDeadline with its provenance. */
export function caseDeadlineDetailed(
  receivedAt: Date,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): DeadlineResult {
  return periodEndDetailed(receivedAt, policy.answerDeadline, cal);
}

/** transferDeadline with its provenance. */
export function transferDeadlineDetailed(
  receivedAt: Date,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): DeadlineResult {
  return periodEndDetailed(receivedAt, policy.transferDeadline, cal);
}

/** Answer deadline of a case received at `receivedAt` (default 20 working days). */
export function caseDeadline(
  receivedAt: Date,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): Date {
  return periodEnd(receivedAt, policy.answerDeadline, cal);
}

/** Deadline to transfer a case outside the receiver's competence (default 5 working days from receipt). */
export function transferDeadline(
  receivedAt: Date,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): Date {
  return periodEnd(receivedAt, policy.transferDeadline, cal);
}

/** What the deadline functions need to know about a case. */
export interface CaseTiming {
  /** The answer deadline (from caseDeadline, stored with the case). */
  dueAt: Date;
  /** When the answer was sent (ANSWERED); null/undefined while open. */
  answeredAt?: Date | null;
  /** The latest progress update, if any. */
  lastProgressUpdateAt?: Date | null;
}

/** True when the case is still unanswered at `now` and `now` is past its deadline. */
export function isOverdue(c: CaseTiming, now: Date): boolean {
  checkInstant(c.dueAt, 'dueAt');
  checkInstant(now, 'now');
  if (c.answeredAt && c.answeredAt.getTime() <= now.getTime()) return false;
  return now.getTime() > c.dueAt.getTime();
}

/** True when the case was answered after its deadline (for the quarterly "answered late" figure). */
export function answeredLate(c: CaseTiming): boolean {
  return !!c.answeredAt && c.answeredAt.getTime() > c.dueAt.getTime();
}

/**
 * When the next progress update of an overdue case is due: `overdueUpdateEvery` after the later of the deadline
 * and the last progress update made after the deadline (updates before the deadline do not count). The first one
 * is thus due 7 days after the deadline passed. Returns null when the case is answered. The result does not
 * depend on `now`; compare it with `now` (or use progressUpdateLate) to raise a reminder.
 */
export function nextProgressUpdateDue(
  c: CaseTiming,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): Date | null {
  checkInstant(c.dueAt, 'dueAt');
  if (c.answeredAt) return null;
  const last = c.lastProgressUpdateAt;
  const anchor = last && last.getTime() > c.dueAt.getTime() ? last : c.dueAt;
  return periodEnd(anchor, policy.overdueUpdateEvery, cal);
}

/** True when the case is overdue at `now` and its next progress update is past due. */
export function progressUpdateLate(
  c: CaseTiming,
  now: Date,
  policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY,
  cal: WorkingCalendar = defaultWorkingCalendar,
): boolean {
  if (!isOverdue(c, now)) return false;
  const due = nextProgressUpdateDue(c, policy, cal);
  return due !== null && now.getTime() > due.getTime();
}
