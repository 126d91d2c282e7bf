// A submission whose deadline falls in a year without a working-day calendar (2027 is not entered yet) is
// refused with a clear 503 naming the missing year — not a generic 500 — and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../../src/http/app.ts';
import { mountExchangeApi } from '../../src/http/exchange-api.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { startTestExchange, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

describe('a deadline in a year without a calendar', () => {
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

  it('answers 503 CALENDAR_YEAR_MISSING in Vietnamese and English, storing nothing', async () => {
    const res = await fetch(`${http.url}/api/v1/public/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ submitter: { name: 'Đinh Văn Hải', address: 'Hà Nội', phone: '0977000111' }, title: 'thủ tục khai sinh', content: 'Đề nghị rút gọn.' }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as { code: string; detail: string; detail_en: string };
    expect(p.code).toBe('CALENDAR_YEAR_MISSING');
    expect(p.detail_en).toContain('2027');
    expect((await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM pakn_cases')).rows[0]!.n).toBe(0);
  });
});
