// A submission whose deadline falls in a year without an official working-day calendar (2027 is not entered yet)
// is accepted with a provisional (tạm tính) answer deadline computed on the Labour Code/lunar-calendar table —
// refusing citizens is worse than a clearly marked provisional deadline. With the opt-out
// KYSO_CALENDAR_PROVISIONAL=0 it is refused as before: a clear 503 naming the missing year, nothing stored.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../../src/http/app.ts';
import { mountExchangeApi } from '../../src/http/exchange-api.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { startTestExchange, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

const body = JSON.stringify({ submitter: { name: 'Đinh Văn Hải', address: 'Hà Nội', phone: '0977000111' }, title: 'thủ tục khai sinh', content: 'Đề nghị rút gọn.' });

describe('a deadline in a year without an official calendar', () => {
  let ex: TestExchange;
  let http: HttpServerHandle;
  beforeAll(async () => {
    // 10/12/2026 + 20 working days reaches into January 2027.
    ex = await startTestExchange(pki.server, { now: () => new Date('2026-12-10T09:00:00+07:00') });
    http = await startHttpServer({ trust: TrustStore.demo(), policy: defaultPolicy(), mount: (app) => mountExchangeApi(app, ex.rt) });
  }, 60_000);
  afterAll(async () => {
    await http?.close();
    await ex?.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const cases = async (): Promise<number> => (await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM pakn_cases')).rows[0]!.n;
  const submit = () => fetch(`${http.url}/api/v1/public/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('with KYSO_CALENDAR_PROVISIONAL=0: 503 CALENDAR_YEAR_MISSING in Vietnamese and English, storing nothing', async () => {
    vi.stubEnv('KYSO_CALENDAR_PROVISIONAL', '0');
    const res = await submit();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as { code: string; detail: string; detail_en: string };
    expect(p.code).toBe('CALENDAR_YEAR_MISSING');
    expect(p.detail).toContain('2027');
    expect(p.detail_en).toContain('2027');
    expect(await cases()).toBe(0);
  });

  it('by default: 201 with a provisional answer deadline (Fri 08/01/2027, 1/1/2027 skipped), marked and explained', async () => {
    const res = await submit();
    expect(res.status).toBe(201);
    const r = (await res.json()) as { answerDueAt: string; answerDueProvisional: boolean; answerDueNote: { vi: string; en: string } };
    expect(r.answerDueAt).toBe('2027-01-08T23:59:59+07:00');
    expect(r.answerDueProvisional).toBe(true);
    expect(r.answerDueNote.vi).toMatch(/^Hạn tạm tính/);
    expect(r.answerDueNote.vi).toContain('2027');
    expect(r.answerDueNote.en).toContain('Provisional');
    expect(await cases()).toBe(1);
  });
});
