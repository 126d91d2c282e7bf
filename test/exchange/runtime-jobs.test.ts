// The worker role runs the periodic jobs on its own: the overdue scan (a repeatable BullMQ job) flags a case
// past its deadline and writes the reminders, and the archive pass extends new documents to B-LTA — without a
// test calling them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeCase, submitCase } from '../../src/exchange/pakn/case-service.ts';
import { getCase } from '../../src/exchange/pakn/cases.ts';
import { eventually, MINISTRY, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

describe('worker jobs', () => {
  let ex: TestExchange;
  // The business clock: the case arrives on Thu 20/08/2026, then time moves past its deadline (Mon 21/09).
  let clock = new Date('2026-08-20T09:00:00+07:00');

  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { now: () => clock, maintenance: { everyMs: 300 }, archive: { everyMs: 300 } });
  }, 60_000);
  afterAll(async () => {
    await ex?.close();
  });

  it('flags the overdue case and notifies the agency and VPCP; archives the routing package', async () => {
    const { ctx } = ex.rt;
    const sub = await submitCase(ctx, { submitter: { name: 'Vũ Minh Tuấn', address: 'Hà Nội', phone: '0933444555' }, title: 'đăng ký kết hôn', content: 'Đề nghị cho đăng ký trực tuyến.' });
    const routed = await routeCase(ctx, ex.principal(VPCP), sub.case.code, { agencyId: MINISTRY });
    expect(sub.case.answerDueAt.toISOString()).toBe(new Date('2026-09-21T23:59:59.999+07:00').toISOString());

    clock = new Date('2026-09-22T08:00:00+07:00');
    const flagged = await eventually(async () => (await getCase(ctx.db, sub.case.id))?.overdueSince, 20_000, 'overdue flag');
    expect(flagged).toBeInstanceOf(Date);
    const notes = await eventually(
      async () => {
        const r = await ctx.db.query<{ kind: string; agency_id: string }>(`SELECT kind, agency_id FROM notifications WHERE case_id = $1 ORDER BY agency_id`, [sub.case.id]);
        return r.rows.length >= 2 ? r.rows : undefined;
      },
      20_000,
      'overdue notifications',
    );
    expect(notes).toEqual([
      { kind: 'case.overdue', agency_id: VPCP },
      { kind: 'case.overdue', agency_id: MINISTRY },
    ]);

    const archived = await eventually(
      async () => (await ctx.db.query<{ archived_sha256: string | null }>(`SELECT archived_sha256 FROM archive_documents WHERE subject = $1`, [routed.message.id])).rows[0]?.archived_sha256,
      30_000,
      'routing package archived',
    );
    expect(archived).toMatch(/^[0-9a-f]{64}$/);
  }, 90_000);
});
