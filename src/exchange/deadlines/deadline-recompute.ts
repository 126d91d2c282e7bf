// Provisional deadlines become final: a case whose deadlines were computed on a provisional year table (no official
// schedule yet, provisional-calendar.ts) is recomputed from its receipt as soon as an official table exists for
// one of the years it depended on. Runs inside the overdue scan's transaction (overdue-scan.ts), before the scan
// looks for overdue cases, so a moved deadline is what the scan sees.
//
// Idempotent: a recomputed case keeps only the years that are still provisional; a case whose years are all
// still provisional is skipped without any arithmetic, so a second pass changes and audits nothing. The UPDATE
// is guarded by the years it read, so a case changed meanwhile is left for the next pass.
//
// What is recomputed: the transfer and answer deadlines from received_at with the current policy (the policy is
// configuration, kept across a year's change of tables), and what hangs on the answer deadline: overdue_since
// (cleared when the new deadline is still ahead, else moved to just after it) and next_progress_due_at (recomputed
// from the new deadline; dropped when the case is no longer overdue and had no progress report).
// Audit: `case.deadline_recomputed` with the old and new deadlines, once per recomputation.
import type { Queryable } from '../../store/database.ts';
import { isoVn } from '../../util/vn-time.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import {
  caseDeadlineDetailed,
  DEFAULT_DEADLINE_POLICY,
  nextProgressUpdateDue,
  transferDeadlineDetailed,
  type DeadlinePolicy,
} from './deadlines.ts';
import { defaultWorkingCalendar, type WorkingCalendar } from './working-calendar.ts';

export const DEADLINE_RECOMPUTE_ACTOR = 'system:deadline-recompute';

export interface RecomputeOptions {
  now: Date;
  policy?: DeadlinePolicy;
  calendar?: WorkingCalendar;
}

export interface RecomputeResult {
  /** Cases with provisional deadlines looked at. */
  examined: number;
  /** Cases recomputed (and audited). */
  recomputed: number;
  /** Of those, cases whose answer or transfer deadline moved. */
  moved: number;
  errors: { case: string; message: string }[];
}

interface Row {
  id: string;
  code: string;
  received_at: Date;
  transfer_due_at: Date;
  answer_due_at: Date;
  answer_due_provisional: boolean;
  transfer_due_provisional: boolean;
  provisional_calendar_years: number[];
  last_progress_at: Date | null;
  next_progress_due_at: Date | null;
  overdue_since: Date | null;
}

/** True when `year` now has an official table (a provisional one, or none at all, is not official). */
function isOfficial(cal: WorkingCalendar, year: number): boolean {
  try {
    return !cal.isProvisionalYear(year);
  } catch {
    return false;
  }
}

/** One recompute pass in the caller's transaction (see the header). */
export async function recomputeProvisionalDeadlines(tx: Queryable, opts: RecomputeOptions): Promise<RecomputeResult> {
  const policy = opts.policy ?? DEFAULT_DEADLINE_POLICY;
  const cal = opts.calendar ?? defaultWorkingCalendar;
  const result: RecomputeResult = { examined: 0, recomputed: 0, moved: 0, errors: [] };
  const rows = await tx.query<Row>(
    `SELECT id, code, received_at, transfer_due_at, answer_due_at, answer_due_provisional, transfer_due_provisional,
            provisional_calendar_years, last_progress_at, next_progress_due_at, overdue_since
       FROM pakn_cases
      WHERE cardinality(provisional_calendar_years) > 0
      ORDER BY received_at, id`,
  );
  for (const c of rows.rows) {
    result.examined++;
    const oldYears = (c.provisional_calendar_years ?? []).map(Number).sort((a, b) => a - b);
    const nowOfficial = oldYears.filter((y) => isOfficial(cal, y));
    if (nowOfficial.length === 0) continue;
    let transfer, answer, nextProgress: Date | null;
    try {
      transfer = transferDeadlineDetailed(c.received_at, policy, cal);
      answer = caseDeadlineDetailed(c.received_at, policy, cal);
      nextProgress = c.next_progress_due_at
        ? nextProgressUpdateDue({ dueAt: answer.at, lastProgressUpdateAt: c.last_progress_at }, policy, cal)
        : null;
    } catch (e) {
      result.errors.push({ case: c.code, message: (e as Error)?.message ?? String(e) });
      continue;
    }
    const years = [...new Set([...transfer.provisionalYears, ...answer.provisionalYears])].sort((a, b) => a - b);
    const answerMoved = answer.at.getTime() !== c.answer_due_at.getTime();
    const transferMoved = transfer.at.getTime() !== c.transfer_due_at.getTime();
    let overdueSince = c.overdue_since;
    if (answerMoved && overdueSince) {
      overdueSince = opts.now.getTime() > answer.at.getTime() ? new Date(answer.at.getTime() + 1) : null;
      // No longer overdue and never reported on: no update is due (what the scan set when flagging it goes).
      if (!overdueSince && !c.last_progress_at) nextProgress = null;
    }
    const r = await tx.query<{ id: string }>(
      `UPDATE pakn_cases
          SET transfer_due_at = $2, answer_due_at = $3, transfer_due_provisional = $4, answer_due_provisional = $5,
              provisional_calendar_years = $6::int[], overdue_since = $7, next_progress_due_at = $8,
              version = version + 1, updated_at = now()
        WHERE id = $1 AND provisional_calendar_years = $9::int[]
        RETURNING id`,
      [c.id, transfer.at, answer.at, transfer.provisional, answer.provisional, years, overdueSince, nextProgress, c.provisional_calendar_years],
    );
    if (!r.rows[0]) continue;
    result.recomputed++;
    if (answerMoved || transferMoved) result.moved++;
    await appendAuditInTx(tx, {
      actor: DEADLINE_RECOMPUTE_ACTOR,
      action: 'case.deadline_recomputed',
      subject: c.code,
      details: {
        receivedAt: isoVn(c.received_at),
        officialYears: nowOfficial,
        answerDueAt: { old: isoVn(c.answer_due_at), new: isoVn(answer.at), oldProvisional: c.answer_due_provisional, newProvisional: answer.provisional },
        transferDueAt: { old: isoVn(c.transfer_due_at), new: isoVn(transfer.at), oldProvisional: c.transfer_due_provisional, newProvisional: transfer.provisional },
        moved: answerMoved || transferMoved,
        ...(years.length ? { stillProvisionalYears: years } : {}),
        ...(answerMoved && c.overdue_since ? { overdueSince: { old: isoVn(c.overdue_since), new: overdueSince ? isoVn(overdueSince) : null } } : {}),
        recomputedAt: isoVn(opts.now),
      },
    });
  }
  return result;
}
