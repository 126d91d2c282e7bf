// Today is late 2026 and the official 2027 public-sector schedule is not entered: a citizen's case submitted on
// Thu 10/12/2026 is accepted with a provisional answer deadline (Fri 08/01/2027, 1/1/2027 skipped). The API
// (submission answer, the citizen's public view, VPCP's and the lead agency's views) and the citizen pages in
// headless Chromium say it is provisional. Then an official 2027 table is supplied (a test folder with an injected
// loader — never src/): the maintenance scan recomputes the deadline from the receipt, clears the flag, moves the
// deadline where the official table differs, audits it once, and a second pass changes nothing.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { scanOverdue } from '../../src/exchange/deadlines/overdue-scan.ts';
import { fileYearCalendarLoader, WorkingCalendar } from '../../src/exchange/deadlines/working-calendar.ts';
import { routeCase } from '../../src/exchange/pakn/case-service.ts';
import { getCase } from '../../src/exchange/pakn/cases.ts';
import type { HttpServerHandle } from '../../src/http/app.ts';
import { MINISTRY, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { writeOfficial2027 } from '../helpers/calendar.ts';
import { startExchangeHttp } from '../helpers/exchange-http.ts';

const pki = useTestPkiServer();
const vn = (local: string): Date => new Date(`${local}+07:00`);
const MARK = '(tạm tính — provisional)';

describe('provisional deadlines: API, citizen pages, recomputed when the official table arrives', () => {
  let ex: TestExchange;
  let server: HttpServerHandle;
  let browser: Browser;
  let context: BrowserContext;
  let calDir: string;
  const errors: string[] = [];
  let code = '';
  let key = '';

  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { now: () => vn('2026-12-10T09:00:00') });
    server = (await startExchangeHttp(ex.rt, pki.server, { citizenPages: true })).server;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ locale: 'vi-VN', timezoneId: 'Europe/Berlin' });
    calDir = mkdtempSync(join(tmpdir(), 'kyso-calendar-'));
    copyFileSync(fileURLToPath(new URL('../../src/exchange/deadlines/calendar-data/2026.json', import.meta.url)), join(calDir, '2026.json'));
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close(2000);
    await ex?.close();
    if (calDir) rmSync(calDir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(`${m.text()} @ ${m.location().url}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(server.url + path);
    return page;
  }

  const api = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(server.url + path, { headers });
    expect(r.status, path).toBe(200);
    return (await r.json()) as Record<string, any>;
  };

  async function lookUp(): Promise<string> {
    const page = await open(`/tra-cuu?ma=${code}`);
    await page.fill('#key', key);
    await page.click('#lookup');
    await page.waitForSelector('#case:not([hidden])');
    const due = (await page.textContent('#case-due'))!;
    await page.close();
    return due;
  }

  it('the form: submitted on 10/12/2026 → the receipt shows the deadline 08/01/2027 with "(tạm tính — provisional)"', async () => {
    const page = await open('/pakn');
    await page.fill('#name', 'Lê Văn Nam');
    await page.fill('#address', 'Số 5 phố Tràng Tiền, Hà Nội');
    await page.fill('#phone', '0912 000 111');
    await page.fill('#title', 'Thời hạn cấp giấy phép xây dựng');
    await page.fill('#content', 'Đề nghị cho biết thời hạn cấp giấy phép xây dựng nhà ở riêng lẻ.');
    await page.click('#submit');
    await page.waitForSelector('#receipt:not([hidden])', { timeout: 20_000 });
    code = (await page.textContent('#receipt-code'))!.trim();
    key = (await page.textContent('#receipt-key'))!.trim();
    const due = (await page.textContent('#receipt-due'))!;
    expect(due).toContain('08/01/2027 23:59:59 +07:00');
    expect(due).toContain(MARK);
    expect(due).toContain('Hạn tạm tính');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('the API marks it: the citizen’s view, VPCP’s and the lead agency’s; the submission audit names 2027', async () => {
    const pub = await api(`/api/v1/public/cases/${code}`, { 'x-access-key': key });
    expect(pub).toMatchObject({ answerDueAt: '2027-01-08T23:59:59+07:00', answerDueProvisional: true });
    expect(pub.answerDueNote.vi).toContain('2027');

    const vpcp = await api(`/api/v1/cases/${code}`, { authorization: `Bearer ${ex.key(VPCP)}` });
    expect(vpcp).toMatchObject({
      answerDueAt: '2027-01-08T23:59:59+07:00',
      answerDueProvisional: true,
      transferDueAt: '2026-12-17T23:59:59+07:00',
      transferDueProvisional: false,
      provisionalCalendarYears: [2027],
    });
    expect(vpcp.deadlineNote.en).toMatch(/Provisional deadline.*2027/);

    await routeCase(ex.rt.ctx, ex.principal(VPCP), code, { agencyId: MINISTRY, note: 'Đề nghị Bộ Xây dựng trả lời.' });
    const agency = await api(`/api/v1/cases/${code}`, { authorization: `Bearer ${ex.key(MINISTRY)}` });
    expect(agency).toMatchObject({ answerDueProvisional: true, provisionalCalendarYears: [2027] });

    const audit = await ex.rt.db.query<{ details: { provisionalCalendarYears?: number[] } }>(`SELECT details FROM audit_log WHERE action = 'case.submitted' AND subject = $1`, [code]);
    expect(audit.rows[0]!.details.provisionalCalendarYears).toEqual([2027]);
  });

  it('the lookup page shows the mark next to the deadline', async () => {
    const due = await lookUp();
    expect(due).toContain('08/01/2027 23:59:59 +07:00');
    expect(due).toContain(MARK);
    expect(errors).toEqual([]);
  });

  it('no official 2027 table yet: the scan keeps the provisional deadline; then the official table arrives → recomputed once, audited once', async () => {
    const calendar = new WorkingCalendar(fileYearCalendarLoader({ dir: calDir, recheckMs: 0 }));
    const now = vn('2026-12-20T08:00:00');
    const first = await scanOverdue(ex.rt.db, { now, calendar });
    expect(first.recomputedDeadlines).toBe(0);
    expect((await getCase(ex.rt.db, code))!.answerDueProvisional).toBe(true);

    // A hypothetical official 2027 schedule that differs where it matters: Mon 04/01 off (swapped with Sat 16/01).
    writeOfficial2027(calDir);
    const second = await scanOverdue(ex.rt.db, { now, calendar });
    expect(second.errors).toEqual([]);
    expect(second.recomputedDeadlines).toBe(1);
    const c = (await getCase(ex.rt.db, code))!;
    expect(c.answerDueAt).toEqual(vn('2027-01-11T23:59:59.999'));
    expect(c.answerDueProvisional).toBe(false);
    expect(c.transferDueProvisional).toBe(false);
    expect(c.provisionalCalendarYears).toEqual([]);
    expect(c.transferDueAt).toEqual(vn('2026-12-17T23:59:59.999'));

    const third = await scanOverdue(ex.rt.db, { now, calendar });
    expect(third.recomputedDeadlines).toBe(0);
    const audits = await ex.rt.db.query<{ actor: string; details: Record<string, any> }>(`SELECT actor, details FROM audit_log WHERE action = 'case.deadline_recomputed' AND subject = $1`, [code]);
    expect(audits.rows).toHaveLength(1);
    expect(audits.rows[0]!.actor).toBe('system:deadline-recompute');
    expect(audits.rows[0]!.details).toMatchObject({
      officialYears: [2027],
      moved: true,
      answerDueAt: { old: '2027-01-08T23:59:59+07:00', new: '2027-01-11T23:59:59+07:00', oldProvisional: true, newProvisional: false },
      transferDueAt: { old: '2026-12-17T23:59:59+07:00', new: '2026-12-17T23:59:59+07:00' },
    });
    expect((await getCase(ex.rt.db, code))!.version).toBe(c.version);

    // The API and the page now show the final deadline without the mark.
    const vpcp = await api(`/api/v1/cases/${code}`, { authorization: `Bearer ${ex.key(VPCP)}` });
    expect(vpcp).toMatchObject({ answerDueAt: '2027-01-11T23:59:59+07:00', answerDueProvisional: false, deadlineNote: null });
    const due = await lookUp();
    expect(due).toContain('11/01/2027 23:59:59 +07:00');
    expect(due).not.toContain('tạm tính');
    expect(errors).toEqual([]);
  });
});
