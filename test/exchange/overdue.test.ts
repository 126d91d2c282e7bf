// Issue 5, Deadlines: the overdue scan and its schedule. Cases are submitted (and routed, and progress reported)
// with the exchange's clock injected — receipt, routing and the 05 update carry the case's own dates; the test
// PKI answers in real time, as online revocation checks require — and scanned at chosen instants around Tết
// 2026, the compensatory day off of 27/04/2026 and the National Day swap (Sat 22/08 worked, Mon 31/08 off). Then
// the BullMQ job scheduler on the real Redis: two maintenance instances, one schedule, one pass at a time.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Queue } from 'bullmq';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { MAINTENANCE_QUEUE, OVERDUE_SCHEDULER_ID, startMaintenance, type Maintenance, type MaintenanceRun } from '../../src/exchange/deadlines/overdue-job.ts';
import { scanOverdue, type OverdueScanResult } from '../../src/exchange/deadlines/overdue-scan.ts';
import { fileYearCalendarLoader, WorkingCalendar } from '../../src/exchange/deadlines/working-calendar.ts';
import { reportStatus, routeCase, submitCase } from '../../src/exchange/pakn/case-service.ts';
import { getCase } from '../../src/exchange/pakn/cases.ts';
import { createRedis, deletePrefixedKeys } from '../../src/exchange/queue/redis-connection.ts';
import { eventually, MINISTRY, REDIS_TEST_URL, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { BACKENDS } from '../store/test-databases.ts';
import { writeOfficial2027 } from '../helpers/calendar.ts';

/** An instant given as Vietnamese wall-clock time. */
const vn = (local: string): Date => new Date(`${local}+07:00`);

let clock = vn('2026-02-13T09:00:00');
const setClock = (d: Date): void => {
  clock = d;
};

const submission = (title: string) => ({
  submitter: { name: 'Trần Thị Hoa', address: 'Phường Bến Nghé, TP. Hồ Chí Minh', phone: '0903 123 456' },
  title,
  content: `Đề nghị xem xét: ${title}.`,
});

interface NoteRow {
  kind: string;
  agency_id: string | null;
  dedupe_key: string;
  payload: { message: { vi: string; en: string }; answerDueAt?: string; transferDueAt?: string; overdueSince?: string; progressDueAt?: string; case: { code: string } };
}

const pki = useTestPkiServer();

describe.each(BACKENDS)('overdue scan on %s', (backend) => {
  let ex: TestExchange;
  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { backend, now: () => clock });
  }, 60_000);
  afterAll(async () => {
    await ex?.close();
  });

  /** A scan at a Vietnamese wall-clock time; waits its turn if another pass holds the lock. */
  async function scanAt(local: string): Promise<OverdueScanResult> {
    for (let i = 0; ; i++) {
      const r = await scanOverdue(ex.rt.db, { now: vn(local) });
      if (!r.skipped || i > 100) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const notesOf = async (caseId: string): Promise<NoteRow[]> =>
    (await ex.rt.db.query<NoteRow>('SELECT kind, agency_id, dedupe_key, payload FROM notifications WHERE case_id = $1 ORDER BY id', [caseId])).rows;
  const overdueAudits = async (code: string): Promise<number> =>
    (await ex.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'case.overdue' AND subject = $1`, [code])).rows[0]!.n;

  it('Tết: a case received Fri 13/02/2026 is due for transfer Fri 27/02; VPCP is told on 28/02, once', async () => {
    setClock(vn('2026-02-13T09:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hồ sơ nộp trước Tết'));
    expect(sub.case.transferDueAt).toEqual(vn('2026-02-27T23:59:59.999'));
    expect(sub.case.answerDueAt).toEqual(vn('2026-03-20T23:59:59.999'));

    await scanAt('2026-02-27T23:59:00');
    expect(await notesOf(sub.case.id)).toEqual([]);

    const r = await scanAt('2026-02-28T00:00:01');
    expect(r.transferNotices).toBe(1);
    const notes = await notesOf(sub.case.id);
    expect(notes.map((n) => [n.kind, n.agency_id])).toEqual([['case.transfer_overdue', VPCP]]);
    expect(notes[0]!.payload.transferDueAt).toBe('2026-02-27T23:59:59+07:00');
    expect(notes[0]!.payload.message.vi).toContain('23:59 27/02/2026 +07:00');
    expect(notes[0]!.payload.message.en).toContain('past its transfer deadline');
    // Not yet past the answer deadline: not overdue.
    expect((await getCase(ex.rt.db, sub.case.id))!.overdueSince).toBeNull();

    const again = await scanAt('2026-03-02T10:00:00');
    expect(again.transferNotices).toBe(0);
    expect(await notesOf(sub.case.id)).toHaveLength(1);
  });

  it('27/04/2026: the first progress update of a case due Mon 20/04 is due Tue 28/04 (27/04 is a day off), then 05/05', async () => {
    setClock(vn('2026-03-23T10:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hồ sơ chưa chuyển, quá hạn tháng 4'));
    expect(sub.case.answerDueAt).toEqual(vn('2026-04-20T23:59:59.999'));

    await scanAt('2026-04-20T23:59:00');
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.overdue')).toEqual([]);

    await scanAt('2026-04-21T08:00:00');
    const c = (await getCase(ex.rt.db, sub.case.id))!;
    expect(c.overdueSince).toEqual(vn('2026-04-21T00:00:00.000'));
    expect(c.nextProgressDueAt).toEqual(vn('2026-04-28T23:59:59.999'));
    // Still with VPCP (never routed): VPCP is both the holder and the overseer — one notice, not two.
    const overdue = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.overdue');
    expect(overdue.map((n) => n.agency_id)).toEqual([VPCP]);
    expect(overdue[0]!.payload.overdueSince).toBe('2026-04-21T00:00:00+07:00');

    // Seven calendar days after the deadline is the compensatory day off: the update is due the day after.
    await scanAt('2026-04-27T12:00:00');
    await scanAt('2026-04-28T23:00:00');
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due')).toEqual([]);
    await scanAt('2026-04-29T07:00:00');
    let reminders = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due');
    expect(reminders.map((n) => [n.agency_id, n.payload.progressDueAt])).toEqual([[VPCP, '2026-04-28T23:59:59+07:00']]);
    expect(reminders[0]!.payload.message.vi).toContain('23:59 28/04/2026 +07:00');

    // Nobody reported: a week later the next reminder (30/04 and 01/05 do not move a Tuesday).
    await scanAt('2026-05-05T23:00:00');
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due')).toHaveLength(1);
    await scanAt('2026-05-06T08:00:00');
    reminders = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due');
    expect(reminders.map((n) => n.payload.progressDueAt)).toEqual(['2026-04-28T23:59:59+07:00', '2026-05-05T23:59:59+07:00']);
    expect(await overdueAudits(sub.case.code)).toBe(1);
  });

  it('22/08/2026: a case received Thu 20/08 is due Mon 21/09; overdue from 22/09; reminders every 7 days, moved by a 05 update', async () => {
    const { ctx } = ex.rt;
    setClock(vn('2026-08-20T09:30:00'));
    const sub = await submitCase(ctx, submission('cấp giấy phép kinh doanh'));
    // 20 working days with Sat 22/08 worked and 31/08–02/09 off.
    expect(sub.case.answerDueAt).toEqual(vn('2026-09-21T23:59:59.999'));
    const routed = await routeCase(ctx, ex.principal(VPCP), sub.case.code, { agencyId: MINISTRY });
    expect(routed.case.state).toBe('TRANSFERRED');

    await scanAt('2026-09-21T23:59:00');
    expect(await notesOf(sub.case.id)).toEqual([]);
    expect((await getCase(ex.rt.db, sub.case.id))!.overdueSince).toBeNull();

    const first = await scanAt('2026-09-22T08:00:00');
    expect(first.newlyOverdue).toBeGreaterThanOrEqual(1);
    let c = (await getCase(ex.rt.db, sub.case.id))!;
    expect(c.overdueSince).toEqual(vn('2026-09-22T00:00:00.000'));
    expect(c.nextProgressDueAt).toEqual(vn('2026-09-28T23:59:59.999'));
    const overdue = await notesOf(sub.case.id);
    // The lead agency it was routed to, and VPCP.
    expect(overdue.map((n) => [n.kind, n.agency_id]).sort()).toEqual([['case.overdue', MINISTRY], ['case.overdue', VPCP]].sort());
    expect(overdue[0]!.payload.answerDueAt).toBe('2026-09-21T23:59:59+07:00');
    expect(overdue[0]!.payload.message.vi).toMatch(/quá hạn trả lời \(hạn: 23:59 21\/09\/2026 \+07:00\)/);
    expect(overdue[0]!.payload.message.en).toContain('every 7 days');
    expect(await overdueAudits(sub.case.code)).toBe(1);

    // Running again creates nothing — at the same instant or later the same day.
    const second = await scanAt('2026-09-22T08:00:00');
    expect(second).toMatchObject({ newlyOverdue: 0, overdueNotices: 0, progressReminders: 0, transferNotices: 0 });
    await scanAt('2026-09-22T17:00:00');
    expect(await notesOf(sub.case.id)).toHaveLength(2);
    expect(await overdueAudits(sub.case.code)).toBe(1);

    // The first progress update is due 7 days after the deadline: Mon 28/09.
    await scanAt('2026-09-28T23:00:00');
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due')).toEqual([]);
    await scanAt('2026-09-29T08:00:00');
    let reminders = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due');
    expect(reminders.map((n) => [n.agency_id, n.payload.progressDueAt])).toEqual([[MINISTRY, '2026-09-28T23:59:59+07:00']]);
    expect(reminders[0]!.dedupe_key).toContain('2026-09-28');

    // The ministry reports progress (05) on Wed 30/09: the next update is due Wed 07/10, not Mon 05/10.
    setClock(vn('2026-09-30T10:00:00'));
    const st = await reportStatus(ctx, ex.principal(MINISTRY), routed.message.id, { code: '05', description: 'Đang lấy ý kiến các bộ, ngành liên quan' });
    expect(st.accepted).toBe(true);
    c = (await getCase(ex.rt.db, sub.case.id))!;
    expect(c.state).toBe('IN_PROGRESS');
    expect(c.lastProgressAt).toEqual(vn('2026-09-30T10:00:00'));
    expect(c.nextProgressDueAt).toEqual(vn('2026-10-07T23:59:59.999'));

    await scanAt('2026-10-06T09:00:00');
    await scanAt('2026-10-07T23:00:00');
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due')).toHaveLength(1);
    await scanAt('2026-10-08T08:00:00');
    reminders = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due');
    expect(reminders.map((n) => n.payload.progressDueAt)).toEqual(['2026-09-28T23:59:59+07:00', '2026-10-07T23:59:59+07:00']);

    // Silent again: one more reminder a week later, and only one however many scans run.
    await scanAt('2026-10-15T08:00:00');
    await scanAt('2026-10-15T08:15:00');
    reminders = (await notesOf(sub.case.id)).filter((n) => n.kind === 'case.progress_update_due');
    expect(reminders.map((n) => n.payload.progressDueAt)).toEqual(['2026-09-28T23:59:59+07:00', '2026-10-07T23:59:59+07:00', '2026-10-14T23:59:59+07:00']);
    expect(reminders.every((n) => n.agency_id === MINISTRY)).toBe(true);
    expect(await overdueAudits(sub.case.code)).toBe(1);
    expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
  }, 120_000);

  it('two scans at once flag a newly overdue case once', async () => {
    setClock(vn('2026-10-01T10:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hai lần quét cùng lúc'));
    expect(sub.case.answerDueAt).toEqual(vn('2026-10-29T23:59:59.999'));
    const at = new Date(sub.case.answerDueAt.getTime() + 86_400_000);
    const both = await Promise.all([scanOverdue(ex.rt.db, { now: at }), scanOverdue(ex.rt.db, { now: at })]);
    expect(both[0].newlyOverdue + both[1].newlyOverdue).toBe(1);
    expect(await overdueAudits(sub.case.code)).toBe(1);
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.overdue').map((n) => n.agency_id)).toEqual([VPCP]);
  });

  it('deletes idempotency records older than 24 hours', async () => {
    const now = vn('2026-10-20T08:00:00');
    await ex.rt.db.query(`INSERT INTO idempotency_records (principal, key, request_hash, status, body, created_at) VALUES ('public', 'old', 'h', 201, '{}', $1), ('public', 'recent', 'h', 201, '{}', $2)`, [
      new Date(now.getTime() - 25 * 3600_000),
      new Date(now.getTime() - 3600_000),
    ]);
    const r = await scanAt('2026-10-20T08:00:00');
    expect(r.expiredReplies).toBe(1);
    const left = await ex.rt.db.query<{ key: string }>(`SELECT key FROM idempotency_records WHERE principal = 'public' ORDER BY key`);
    expect(left.rows.map((x) => x.key)).toEqual(['recent']);
  });

  it('KYSO_CALENDAR_PROVISIONAL=0: a case whose next progress update falls in a year without a calendar is still flagged, and named in the errors', async () => {
    setClock(vn('2026-12-01T09:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hạn trả lời cuối năm'));
    expect(sub.case.answerDueAt).toEqual(vn('2026-12-29T23:59:59.999'));
    expect(sub.case.answerDueProvisional).toBe(false);
    // The progress update would be due in January 2027, and (with the opt-out) there is no 2027 table.
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '0');
    try {
      const r = await scanAt('2026-12-30T08:00:00');
      expect(r.errors.map((e) => e.case)).toContain(sub.case.code);
      expect(r.errors.find((e) => e.case === sub.case.code)!.message).toContain('2027');
    } finally {
      vi.unstubAllEnvs();
    }
    expect((await getCase(ex.rt.db, sub.case.id))!.overdueSince).toEqual(vn('2026-12-30T00:00:00.000'));
    expect((await notesOf(sub.case.id)).filter((n) => n.kind === 'case.overdue').map((n) => n.agency_id)).toEqual([VPCP]);
    expect(await overdueAudits(sub.case.code)).toBe(1);
  });

  it('by default the progress update in 2027 is computed on the provisional table: no error', async () => {
    setClock(vn('2026-12-01T10:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hạn trả lời cuối năm, lịch tạm tính'));
    const r = await scanAt('2026-12-30T08:00:00');
    expect(r.errors.map((e) => e.case)).not.toContain(sub.case.code);
    const c = (await getCase(ex.rt.db, sub.case.id))!;
    expect(c.overdueSince).toEqual(vn('2026-12-30T00:00:00.000'));
    // 29/12 + 7 days = Tue 05/01/2027, a working day on the provisional 2027 table.
    expect(c.nextProgressDueAt).toEqual(vn('2027-01-05T23:59:59.999'));
  });

  it('a provisional deadline flagged overdue is recomputed when the official table arrives: moved later, no longer overdue, audited once', async () => {
    setClock(vn('2026-12-10T09:00:00'));
    const sub = await submitCase(ex.rt.ctx, submission('hạn trả lời tạm tính'));
    expect(sub.case).toMatchObject({ answerDueAt: vn('2027-01-08T23:59:59.999'), answerDueProvisional: true, transferDueProvisional: false, provisionalCalendarYears: [2027] });
    await scanAt('2027-01-09T08:00:00');
    expect((await getCase(ex.rt.db, sub.case.id))!.overdueSince).toEqual(vn('2027-01-09T00:00:00.000'));

    const dir = mkdtempSync(join(tmpdir(), 'kyso-calendar-'));
    try {
      copyFileSync(fileURLToPath(new URL('../../src/exchange/deadlines/calendar-data/2026.json', import.meta.url)), join(dir, '2026.json'));
      writeOfficial2027(dir);
      const calendar = new WorkingCalendar(fileYearCalendarLoader({ dir }));
      const scan = async () => {
        for (let i = 0; ; i++) {
          const r = await scanOverdue(ex.rt.db, { now: vn('2027-01-09T09:00:00'), calendar });
          if (!r.skipped || i > 100) return r;
          await new Promise((res) => setTimeout(res, 50));
        }
      };
      const r1 = await scan();
      expect(r1.recomputedDeadlines).toBeGreaterThanOrEqual(1);
      const c = (await getCase(ex.rt.db, sub.case.id))!;
      expect(c).toMatchObject({ answerDueAt: vn('2027-01-11T23:59:59.999'), answerDueProvisional: false, provisionalCalendarYears: [], overdueSince: null, nextProgressDueAt: null });
      const r2 = await scan();
      expect(r2.recomputedDeadlines).toBe(0);
      const audits = await ex.rt.db.query<{ details: Record<string, any> }>(`SELECT details FROM audit_log WHERE action = 'case.deadline_recomputed' AND subject = $1`, [sub.case.code]);
      expect(audits.rows).toHaveLength(1);
      expect(audits.rows[0]!.details).toMatchObject({
        answerDueAt: { old: '2027-01-08T23:59:59+07:00', new: '2027-01-11T23:59:59+07:00' },
        overdueSince: { old: '2027-01-09T00:00:00+07:00', new: null },
      });
      expect(await verifyAuditChain(ex.rt.db)).toMatchObject({ ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the job scheduler runs the scan on Redis; a second worker shares the schedule and never runs a pass alongside', async () => {
    const prefix = `${ex.prefix}mt`;
    const redisA = createRedis(REDIS_TEST_URL);
    const redisB = createRedis(REDIS_TEST_URL);
    const runs: MaintenanceRun[] = [];
    const everyMs = 250;
    const common = { prefix, db: ex.rt.db, everyMs, now: () => vn('2026-10-21T08:00:00'), onRun: (r: MaintenanceRun) => runs.push(r) };
    let a: Maintenance | undefined;
    let b: Maintenance | undefined;
    const queue = new Queue(MAINTENANCE_QUEUE, { connection: redisA, prefix });
    try {
      const started = Date.now();
      a = await startMaintenance({ ...common, connection: redisA });
      b = await startMaintenance({ ...common, connection: redisB });
      await eventually(async () => runs.length >= 6, 30_000, 'six scheduled passes');
      const elapsed = Date.now() - started;
      await Promise.all([a.close(), b.close()]);
      a = b = undefined;

      expect(await queue.getJobSchedulersCount()).toBe(1);
      expect((await queue.getJobScheduler(OVERDUE_SCHEDULER_ID))?.every).toBe(everyMs);
      // One pass per tick: every pass is a distinct job, and there are no more passes than ticks.
      const ids = runs.map((r) => r.jobId);
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(new Set(ids).size).toBe(runs.length);
      expect(runs.length).toBeLessThanOrEqual(Math.floor(elapsed / everyMs) + 2);
      // Never two at once, across both workers.
      const byStart = [...runs].sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime());
      for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(byStart[i - 1]!.finishedAt.getTime());
      expect(runs.every((r) => !r.scan.skipped)).toBe(true);
      // The same instant scanned again and again: after the first pass, nothing new.
      for (const r of byStart.slice(1)) expect(r.scan).toMatchObject({ newlyOverdue: 0, overdueNotices: 0, progressReminders: 0, transferNotices: 0 });
    } finally {
      await a?.close();
      await b?.close();
      await queue.close();
      await deletePrefixedKeys(redisA, prefix);
      redisA.disconnect();
      redisB.disconnect();
    }
  }, 60_000);
});
