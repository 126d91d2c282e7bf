// Issue 5, Deadlines: the notification outbox. Delivery by webhook to a real HTTP receiver (a refusal is retried
// on the next pass — at-least-once — and only push agencies are tried), by the log adapter, and the agencies'
// own view over the HTTP API: each sees and acknowledges only its notifications. PGlite and PostgreSQL.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNotifications,
  deliverNotifications,
  listUndelivered,
  logAdapter,
  webhookAdapter,
  type NewNotification,
  type NotificationKind,
} from '../../src/exchange/notifications/outbox.ts';
import { createApp } from '../../src/http/app.ts';
import { authorize } from '../../src/http/auth.ts';
import { NOTIFICATION_ROUTES } from '../../src/http/notification-routes.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { MINISTRY, PROVINCE, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { BACKENDS } from '../store/test-databases.ts';

const pki = useTestPkiServer();

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: { id: number; dedupeKey: string; kind: string; agencyId: string; createdAt: string; payload: { message: { vi: string; en: string } } };
}

/** The ministry's webhook: answers with the statuses queued in `answers` (then 200), records every request. */
async function startReceiver(): Promise<{ url: string; received: Received[]; answers: number[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.endsWith('/notifications')) received.push({ path: req.url, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, answers, close: () => new Promise((r) => server.close(() => r())) };
}

let serial = 0;
function note(kind: NotificationKind, agencyId: string, vi: string, en: string): NewNotification {
  serial++;
  return { dedupeKey: `test:${serial}:${agencyId}`, kind, agencyId, caseId: null, payload: { kind, message: { vi, en } } };
}

describe.each(BACKENDS)('notification outbox on %s', (backend) => {
  let ex: TestExchange;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    ex = await startTestExchange(pki.server, { backend, webhooks: { [MINISTRY]: `${receiver.url}/kyso/` } });
  }, 60_000);
  afterAll(async () => {
    await ex?.close();
    await receiver?.close();
  });

  const deliveredAudits = async (): Promise<{ subject: string; details: { via: string; agency: string } }[]> =>
    (await ex.rt.db.query<{ subject: string; details: { via: string; agency: string } }>(`SELECT subject, details FROM audit_log WHERE action = 'notification.delivered' ORDER BY seq`)).rows;

  it('adds a notification once per dedupe key', async () => {
    const n = note('case.overdue', PROVINCE, 'Hồ sơ quá hạn', 'Case overdue');
    const first = await addNotifications(ex.rt.db, [n], new Date());
    const again = await addNotifications(ex.rt.db, [n, { ...n }], new Date());
    expect(first).toHaveLength(1);
    expect(again).toEqual([]);
    expect((await listUndelivered(ex.rt.db, { agencyId: PROVINCE })).filter((x) => x.dedupeKey === n.dedupeKey)).toHaveLength(1);
  });

  it('webhook: POSTs JSON to <webhook>/notifications of push agencies only; a refusal is sent again on the next pass', async () => {
    const toMinistry = note('case.progress_update_due', MINISTRY, 'Đề nghị báo cáo tiến độ', 'Please report progress');
    await addNotifications(ex.rt.db, [toMinistry, note('case.overdue', PROVINCE, 'Tỉnh: quá hạn', 'Province: overdue'), note('case.overdue', VPCP, 'VPCP: quá hạn', 'VPCP: overdue')], new Date());
    const adapter = webhookAdapter({ timeoutMs: 5000 });
    receiver.answers.push(503);

    const pass1 = await deliverNotifications(ex.rt.db, adapter);
    expect(pass1.attempted).toBe(1); // the pull agencies are left for them to fetch
    expect(pass1.delivered).toBe(0);
    expect(pass1.failed[0]!.reason).toContain('HTTP 503');
    expect((await listUndelivered(ex.rt.db, { agencyId: MINISTRY })).map((n) => n.dedupeKey)).toEqual([toMinistry.dedupeKey]);

    const pass2 = await deliverNotifications(ex.rt.db, adapter);
    expect(pass2).toMatchObject({ attempted: 1, delivered: 1, failed: [] });
    expect(await listUndelivered(ex.rt.db, { agencyId: MINISTRY })).toEqual([]);
    const pass3 = await deliverNotifications(ex.rt.db, adapter);
    expect(pass3.attempted).toBe(0);

    // The same notification twice (at-least-once), the same id and key both times.
    expect(receiver.received).toHaveLength(2);
    for (const r of receiver.received) {
      expect(r.path).toBe('/kyso/notifications');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body.dedupeKey).toBe(toMinistry.dedupeKey);
      expect(r.headers['x-kyso-notification-id']).toBe(String(r.body.id));
      expect(r.body.payload.message.vi).toBe('Đề nghị báo cáo tiến độ');
      expect(r.body.createdAt).toMatch(/\+07:00$/);
    }
    const audits = await deliveredAudits();
    expect(audits.map((a) => [a.details.agency, a.details.via])).toEqual([[MINISTRY, 'webhook']]);
    expect((await listUndelivered(ex.rt.db)).map((n) => n.agencyId).sort()).toEqual([PROVINCE, PROVINCE, VPCP].sort());
  });

  it('log: writes Vietnamese then English and marks everything delivered', async () => {
    const lines: string[] = [];
    const r = await deliverNotifications(ex.rt.db, logAdapter((l) => lines.push(l)));
    expect(r.delivered).toBe(3);
    expect(lines.some((l) => l.includes(`→ ${VPCP}: VPCP: quá hạn | VPCP: overdue`))).toBe(true);
    expect(await listUndelivered(ex.rt.db)).toEqual([]);
    expect((await deliveredAudits()).filter((a) => a.details.via === 'log')).toHaveLength(3);
  });

  it('HTTP: an agency lists and acknowledges its own notifications, never another agency\'s', async () => {
    const [mine] = [note('case.overdue', PROVINCE, 'Hồ sơ của tỉnh quá hạn', 'The province\'s case is overdue')];
    const theirs = note('case.overdue', MINISTRY, 'Hồ sơ của bộ quá hạn', 'The ministry\'s case is overdue');
    await addNotifications(ex.rt.db, [mine!, theirs], new Date());
    const rt = ex.rt;
    const app = createApp({
      trust: TrustStore.demo(),
      policy: defaultPolicy(),
      mount: (a) => {
        for (const spec of NOTIFICATION_ROUTES) {
          a[spec.method](spec.path, authorize(rt.db, spec.roles), async (req, res) => {
            const reply = await spec.handler(req, res, rt);
            res.status(reply.status ?? 200).json(reply.json);
          });
        }
      },
    });
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (method: string, path: string, key?: string) => {
      const res = await fetch(`${base}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
      return { status: res.status, type: res.headers.get('content-type') ?? '', json: (await res.json()) as Record<string, unknown> };
    };
    try {
      const province = ex.key(PROVINCE);
      type Listed = { id: number; dedupeKey: string; agencyId: string; createdAt: string; deliveredAt: string | null; payload: { message: { vi: string } } };
      const list = await call('GET', '/api/v1/notifications', province);
      expect(list.status).toBe(200);
      const items = list.json.notifications as Listed[];
      expect(items.map((n) => n.dedupeKey)).toEqual([mine!.dedupeKey]);
      expect(items[0]!.payload.message.vi).toBe('Hồ sơ của tỉnh quá hạn');
      expect(items[0]!.createdAt).toMatch(/\+07:00$/);

      const theirId = (await listUndelivered(rt.db, { agencyId: MINISTRY })).find((n) => n.dedupeKey === theirs.dedupeKey)!.id;
      const foreign = await call('POST', `/api/v1/notifications/${theirId}/ack`, province);
      expect(foreign.status).toBe(404);
      expect(foreign.type).toContain('application/problem+json');
      expect((await call('POST', '/api/v1/notifications/abc/ack', province)).status).toBe(404);
      expect((await call('GET', '/api/v1/notifications')).status).toBe(401);
      expect((await call('GET', '/api/v1/notifications', ex.key('admin'))).status).toBe(403);

      const acked = await call('POST', `/api/v1/notifications/${items[0]!.id}/ack`, province);
      expect(acked.status).toBe(200);
      expect(acked.json.deliveredAt).toMatch(/\+07:00$/);
      const again = await call('POST', `/api/v1/notifications/${items[0]!.id}/ack`, province);
      expect(again.json.deliveredAt).toBe(acked.json.deliveredAt);
      expect((await deliveredAudits()).filter((a) => a.details.via === 'ack').map((a) => a.details.agency)).toEqual([PROVINCE]);

      expect(((await call('GET', '/api/v1/notifications', province)).json.notifications as Listed[])).toEqual([]);
      const all = (await call('GET', '/api/v1/notifications?all=true', province)).json.notifications as Listed[];
      expect(all.find((n) => n.id === items[0]!.id)?.deliveredAt).toBe(acked.json.deliveredAt);
      // The ministry's is still waiting for the ministry.
      expect(((await call('GET', '/api/v1/notifications', ex.key(MINISTRY))).json.notifications as Listed[]).map((n) => n.dedupeKey)).toEqual([theirs.dedupeKey]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
