// The overdue scan (issue 5, Deadlines): one pass over the open PAKN cases that flags the ones past their answer
// deadline and writes reminders to the notification outbox. The maintenance job (overdue-job.ts) runs it every
// few minutes; it can run any number of times, on any number of workers, and writes each thing once:
//   - `overdue_since` is set only while it is still NULL (one `case.overdue` audit entry per case);
//   - every notification has a dedupe key, and the outbox skips a key it already has.
//
// What it writes, per open case (not REJECTED_INVALID / PUBLISHED / CLOSED, not ANSWERED awaiting review):
//   case.overdue             now > answer_due_at: to the lead agency the case was routed to (or VPCP while
//                            the case is still with VPCP) and to VPCP; one per case and recipient;
//   case.progress_update_due the progress update (status 05) due `overdueUpdateEvery` after the deadline, or
//                            after the last update made after it, has not come: to whoever holds the case;
//                            one per case and due date — an agency that stays silent is reminded once per
//                            period (the due date moves on by a period each time one is missed);
//   case.transfer_overdue    still RECEIVED/CLASSIFIED at VPCP after transfer_due_at: to VPCP, once per case.
// It also deletes HTTP idempotency records older than 24 hours (they may hold a citizen's access key).
// Before any of that it recomputes the provisional deadlines whose official year table has arrived
// (deadline-recompute.ts), so the overdue decisions use the final deadlines.
import type { Database, Queryable } from '../../store/database.ts';
import { expireReplies } from '../../store/idempotency.ts';
import { formatSigningTime, isoVn } from '../../util/vn-time.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import type { JsonObject } from '../audit/canonical-json.ts';
import { addNotifications, type NewNotification, type NotificationKind } from '../notifications/outbox.ts';
import { CASE_STATE_LABELS, NO_DEADLINE_STATES, type CaseState } from '../pakn/case-states.ts';
import { recomputeProvisionalDeadlines } from './deadline-recompute.ts';
import { DEFAULT_DEADLINE_POLICY, isOverdue, nextProgressUpdateDue, periodEnd, type DeadlinePolicy, type Period } from './deadlines.ts';
import { defaultWorkingCalendar, vnDateOf, type WorkingCalendar } from './working-calendar.ts';

/** 'kydl' as an int4: the scan's advisory lock class (migrations use 'kyso'); the second key is the schema. */
const SCAN_LOCK_CLASS = 0x6b79646c;
export const OVERDUE_SCAN_ACTOR = 'system:overdue-scan';
/** Idempotency records older than this are deleted by the scan. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;

export interface OverdueScanOptions {
  now: Date;
  policy?: DeadlinePolicy;
  calendar?: WorkingCalendar;
}

export interface OverdueScanResult {
  /** True when another scan was running (on this or another process): this one did nothing. */
  skipped: boolean;
  /** Open cases past their answer or transfer deadline that the pass looked at. */
  examined: number;
  /** Cases flagged overdue for the first time (overdue_since set, `case.overdue` audited). */
  newlyOverdue: number;
  /** Notifications added, by kind (0 when they existed already). */
  overdueNotices: number;
  progressReminders: number;
  transferNotices: number;
  expiredReplies: number;
  /** Cases whose provisional deadlines were recomputed on a newly available official year table. */
  recomputedDeadlines: number;
  /** Cases the pass could not handle (e.g. a deadline in a year without a calendar table); the others are done. */
  errors: { case: string; message: string }[];
}

interface OpenCaseRow {
  id: string;
  code: string;
  title: string;
  state: CaseState;
  lead_agency: string | null;
  routing_message_id: string | null;
  transfer_due_at: Date;
  answer_due_at: Date;
  last_progress_at: Date | null;
  next_progress_due_at: Date | null;
  overdue_since: Date | null;
}

const AT_VPCP: readonly CaseState[] = ['RECEIVED', 'CLASSIFIED'];
const NOT_OPEN = NO_DEADLINE_STATES;

/** `23:59 21/09/2026 +07:00` — how a deadline is written in the reminder text. */
const shown = (d: Date): string => formatSigningTime(d, 'HH:mm dd/MM/yyyy XXX');

function periodText(p: Period): { vi: string; en: string } {
  return p.unit === 'WORKING_DAYS'
    ? { vi: `${p.amount} ngày làm việc`, en: `${p.amount} working days` }
    : { vi: `${p.amount} ngày`, en: `${p.amount} days` };
}

/**
 * The progress update being asked for at `now`, as its due date, or null when none is late: the first is due
 * `overdueUpdateEvery` after the deadline (or after the last update made after it); when that date passes with
 * no update, the next one is due a period later, and so on. Only the latest missed date counts, so a scan after
 * a long pause sends one reminder, not one per missed week.
 */
export function missedProgressDue(c: { answerDueAt: Date; lastProgressAt: Date | null }, now: Date, policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY, cal: WorkingCalendar = defaultWorkingCalendar): Date | null {
  if (!isOverdue({ dueAt: c.answerDueAt }, now)) return null;
  let due = nextProgressUpdateDue({ dueAt: c.answerDueAt, lastProgressUpdateAt: c.lastProgressAt }, policy, cal);
  if (!due || now.getTime() <= due.getTime()) return null;
  for (let i = 0; i < 10_000; i++) {
    const next = periodEnd(due, policy.overdueUpdateEvery, cal);
    if (now.getTime() <= next.getTime()) break;
    due = next;
  }
  return due;
}

/**
 * One pass (see the header). Runs in one transaction that first takes a transaction-scoped advisory lock named
 * after the schema: a second pass started meanwhile — another worker, a manual run — returns `skipped` at once
 * instead of waiting to redo the same work.
 */
export async function scanOverdue(db: Database, opts: OverdueScanOptions): Promise<OverdueScanResult> {
  const now = opts.now;
  const policy = opts.policy ?? DEFAULT_DEADLINE_POLICY;
  const cal = opts.calendar ?? defaultWorkingCalendar;
  return db.transaction(async (tx) => {
    const result: OverdueScanResult = { skipped: false, examined: 0, newlyOverdue: 0, overdueNotices: 0, progressReminders: 0, transferNotices: 0, expiredReplies: 0, recomputedDeadlines: 0, errors: [] };
    const lock = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::int4, hashtext(current_schema())) AS locked', [SCAN_LOCK_CLASS]);
    if (!lock.rows[0]?.locked) return { ...result, skipped: true };

    const recomputed = await recomputeProvisionalDeadlines(tx, { now, policy, calendar: cal });
    result.recomputedDeadlines = recomputed.recomputed;
    result.errors.push(...recomputed.errors);

    const vpcp = (await tx.query<{ id: string }>(`SELECT id FROM agencies WHERE kind = 'vpcp'`)).rows[0]?.id ?? null;
    const cases = await tx.query<OpenCaseRow>(
      `SELECT id, code, title, state, lead_agency, routing_message_id, transfer_due_at, answer_due_at, last_progress_at,
              next_progress_due_at, overdue_since
         FROM pakn_cases
        WHERE state <> ALL($1::text[])
          AND (answer_due_at < $2 OR (state = ANY($3::text[]) AND transfer_due_at < $2))
        ORDER BY answer_due_at, id`,
      [NOT_OPEN, now, AT_VPCP],
    );
    const notes: NewNotification[] = [];
    for (const c of cases.rows) {
      result.examined++;
      try {
        await scanCase(tx, c, { now, policy, cal, vpcp }, result, notes);
      } catch (e) {
        // A case whose deadlines cannot be computed (no calendar for its year) must not stop the others; what was
        // found for it before the failure is kept. Only deadline arithmetic throws here: an SQL error aborts the
        // transaction, and the pass fails as a whole.
        result.errors.push({ case: c.code, message: (e as Error)?.message ?? String(e) });
      }
    }
    for (const added of await addNotifications(tx, notes, now)) {
      const kind = added.kind as NotificationKind;
      if (kind === 'case.overdue') result.overdueNotices++;
      else if (kind === 'case.progress_update_due') result.progressReminders++;
      else result.transferNotices++;
    }
    result.expiredReplies = await expireReplies(tx, new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS));
    return result;
  });
}

async function scanCase(
  tx: Queryable,
  c: OpenCaseRow,
  k: { now: Date; policy: DeadlinePolicy; cal: WorkingCalendar; vpcp: string | null },
  result: OverdueScanResult,
  out: NewNotification[],
): Promise<void> {
  const label = CASE_STATE_LABELS[c.state];
  const caseInfo: JsonObject = { id: c.id, code: c.code, title: c.title, state: c.state, stateLabel: label, leadAgency: c.lead_agency };
  // The agency holding the case: the one it was routed to; VPCP while it has not been routed (or was sent back).
  const holder = c.routing_message_id && c.lead_agency ? c.lead_agency : k.vpcp;
  const note = (kind: NotificationKind, to: string | null, keyTail: string, payload: JsonObject): NewNotification => ({
    dedupeKey: `${kind}:${c.id}:${keyTail}${keyTail ? ':' : ''}${to ?? 'none'}`,
    kind,
    agencyId: to,
    caseId: c.id,
    payload: { kind, case: caseInfo, ...payload },
  });

  if (AT_VPCP.includes(c.state) && k.now.getTime() > c.transfer_due_at.getTime()) {
    out.push(
      note('case.transfer_overdue', k.vpcp, '', {
        transferDueAt: isoVn(c.transfer_due_at),
        message: {
          vi: `Hồ sơ ${c.code} "${c.title}" đã quá thời hạn chuyển cơ quan có thẩm quyền (hạn: ${shown(c.transfer_due_at)}) mà vẫn ở trạng thái "${label.vi}".`,
          en: `Case ${c.code} "${c.title}" is past its transfer deadline (${shown(c.transfer_due_at)}) and is still ${c.state} (${label.en}).`,
        },
      }),
    );
  }

  if (!isOverdue({ dueAt: c.answer_due_at }, k.now)) return;

  // The first instant past the deadline: what "overdue since" means, whenever the scan happens to notice.
  let overdueSince = c.overdue_since;
  const every = periodText(k.policy.overdueUpdateEvery);
  if (!overdueSince) {
    const since = new Date(c.answer_due_at.getTime() + 1);
    let next: Date | null = null;
    try {
      next = nextProgressUpdateDue({ dueAt: c.answer_due_at, lastProgressUpdateAt: c.last_progress_at }, k.policy, k.cal);
    } catch (e) {
      // No calendar for the year of the next update: the case is overdue all the same.
      result.errors.push({ case: c.code, message: (e as Error)?.message ?? String(e) });
    }
    const r = await tx.query<{ id: string }>(
      `UPDATE pakn_cases SET overdue_since = $2, next_progress_due_at = $3, version = version + 1, updated_at = now()
        WHERE id = $1 AND overdue_since IS NULL RETURNING id`,
      [c.id, since, next],
    );
    if (r.rows[0]) {
      result.newlyOverdue++;
      await appendAuditInTx(tx, {
        actor: OVERDUE_SCAN_ACTOR,
        action: 'case.overdue',
        subject: c.code,
        details: { answerDueAt: isoVn(c.answer_due_at), overdueSince: isoVn(since), detectedAt: isoVn(k.now), state: c.state, holder, ...(next ? { nextProgressDueAt: isoVn(next) } : {}) },
      });
    }
    overdueSince = since;
  }

  const overduePayload: JsonObject = {
    answerDueAt: isoVn(c.answer_due_at),
    overdueSince: isoVn(overdueSince),
    message: {
      vi: `Hồ sơ ${c.code} "${c.title}" đã quá hạn trả lời (hạn: ${shown(c.answer_due_at)}). Cơ quan chủ trì phải báo cáo tiến độ xử lý (trạng thái 05) ${every.vi} một lần cho đến khi trả lời.`,
      en: `Case ${c.code} "${c.title}" is overdue: the answer was due ${shown(c.answer_due_at)}. The lead agency must report progress (status 05) every ${every.en} until it answers.`,
    },
  };
  for (const to of new Set([holder, k.vpcp])) out.push(note('case.overdue', to, '', overduePayload));

  const missed = missedProgressDue({ answerDueAt: c.answer_due_at, lastProgressAt: c.last_progress_at }, k.now, k.policy, k.cal);
  if (missed) {
    out.push(
      note('case.progress_update_due', holder, vnDateOf(missed), {
        answerDueAt: isoVn(c.answer_due_at),
        progressDueAt: isoVn(missed),
        lastProgressAt: c.last_progress_at ? isoVn(c.last_progress_at) : null,
        message: {
          vi: `Hồ sơ ${c.code} "${c.title}" quá hạn trả lời và đã quá hạn báo cáo tiến độ (hạn báo cáo: ${shown(missed)}). Đề nghị gửi trạng thái 05 (đang xử lý) kèm tiến độ.`,
          en: `Case ${c.code} "${c.title}" is overdue and its progress update was due ${shown(missed)}. Please send status 05 (in progress) with the progress made.`,
        },
      }),
    );
  }
}
