// `kyso queue dead` and `kyso queue replay` against a running service: a push agency whose webhook refuses
// everything gets a message dead-lettered with the reason; the operator lists it, fixes the webhook, replays
// it, and it is delivered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeCase, submitCase } from '../../src/exchange/pakn/case-service.ts';
import { getMessage } from '../../src/exchange/messages/messages.ts';
import { startHttpServer, type HttpServerHandle } from '../../src/http/app.ts';
import { mountExchangeApi } from '../../src/http/exchange-api.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { runKyso } from '../helpers/cli.ts';
import { eventually, PROVINCE, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

describe('kyso queue dead | replay', () => {
  let ex: TestExchange;
  let http: HttpServerHandle;
  let hook: Server;
  let hookStatus = 503;
  const received: string[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (hookStatus === 200) received.push(String(req.headers['x-kyso-message-id']));
        res.statusCode = hookStatus;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/edxml`;
    ex = await startTestExchange(pki.server, { webhooks: { [PROVINCE]: url }, delivery: { attempts: 2, backoffMs: 50 } });
    http = await startHttpServer({ trust: TrustStore.demo(), policy: defaultPolicy(), mount: (app) => mountExchangeApi(app, ex.rt) });
  }, 60_000);
  afterAll(async () => {
    await http?.close();
    await ex?.close();
    hook?.close();
  });

  it('lists a dead letter with its reason, then replays it once the webhook works', async () => {
    const { ctx } = ex.rt;
    const sub = await submitCase(ctx, { submitter: { name: 'Lê Thị Hoa', address: 'Ninh Bình', phone: '0987654321' }, title: 'đăng ký hộ kinh doanh', content: 'Đề nghị giảm giấy tờ.' });
    const routed = await routeCase(ctx, ex.principal(VPCP), sub.case.code, { agencyId: PROVINCE });
    await eventually(async () => (await getMessage(ctx.db, routed.message.id))?.status === 'dead', 20_000, 'dead letter');

    const env = { ...process.env, KYSO_URL: http.url, KYSO_API_KEY: ex.key('admin') };
    const dead = await runKyso(['queue', 'dead'], { cwd: tmpdir(), env });
    expect(dead.code).toBe(0);
    expect(dead.stdout).toContain(routed.message.id);
    expect(dead.stdout).toContain('HTTP 503');

    // Without an admin key: refused, with a clear message and a usage exit code.
    const noKey = await runKyso(['queue', 'dead'], { cwd: tmpdir(), env: { ...process.env, KYSO_URL: http.url, KYSO_API_KEY: '' } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('KYSO_API_KEY');
    const agencyKey = await runKyso(['queue', 'dead', '--key', ex.key(VPCP)], { cwd: tmpdir(), env });
    expect(agencyKey.code).not.toBe(0);

    hookStatus = 200;
    const replay = await runKyso(['queue', 'replay', routed.message.id], { cwd: tmpdir(), env });
    expect(replay.code).toBe(0);
    await eventually(async () => (await getMessage(ctx.db, routed.message.id))?.status === 'delivered', 20_000, 'delivered after replay');
    expect(received.filter((id) => id === routed.message.id)).toHaveLength(1);
    const after = await runKyso(['queue', 'dead', '--json'], { cwd: tmpdir(), env });
    expect(JSON.parse(after.stdout)).toEqual([]);
  }, 90_000);
});
