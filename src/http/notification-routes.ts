// The notification outbox over HTTP (issue 5, Deadlines): an agency (or VPCP) lists the reminders addressed to
// it — overdue cases, progress updates due, transfers late — and acknowledges each one it has taken in. An
// acknowledged notification counts as delivered (audited `notification.delivered`, via `ack`) and leaves the
// default list. Rows of the route table in exchange-api.ts (appended to ROUTES).
import type { Request } from 'express';
import { KysoError } from '../errors.ts';
import { getNotification, listNotifications, markDelivered, notificationBody, type Notification } from '../exchange/notifications/outbox.ts';
import { nowOf } from '../exchange/exchange-context.ts';
import { actorOf } from '../exchange/pakn/case-service.ts';
import { isoVn } from '../util/vn-time.ts';
import { principalOf, type Audience } from './auth.ts';
import type { RouteSpec } from './exchange-api.ts';
import { limitOf } from './route-table.ts';

const RECIPIENTS: readonly Audience[] = ['agency', 'vpcp'];

const present = (n: Notification) => notificationBody(n, isoVn);

function idOf(req: Request): number {
  const raw = String((req.params as Record<string, string>).id ?? '');
  const n = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
  // A malformed id is as unknown as a missing one.
  if (!Number.isSafeInteger(n)) throw new KysoError('NOT_FOUND', `Không tìm thấy thông báo ${raw.slice(0, 40)}`, `Notification ${raw.slice(0, 40)} not found`);
  return n;
}

export const NOTIFICATION_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/notifications',
    roles: RECIPIENTS,
    summary: 'Thông báo gửi cơ quan (hồ sơ quá hạn, đến hạn báo cáo tiến độ); ?all=true gồm cả đã nhận',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const list = await listNotifications(rt.db, { agencyId: p.agencyId!, includeDelivered: req.query.all === 'true', ...(limitOf(req) ? { limit: limitOf(req)! } : {}) });
      return { json: { notifications: list.map(present) } };
    },
  },
  {
    method: 'post',
    path: '/api/v1/notifications/:id/ack',
    roles: RECIPIENTS,
    summary: 'Xác nhận đã nhận thông báo',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const id = idOf(req);
      const n = await getNotification(rt.db, id);
      // Another agency's notification looks exactly like a missing one.
      if (!n || !p.agencyId || n.agencyId !== p.agencyId) throw new KysoError('NOT_FOUND', `Không tìm thấy thông báo ${id}`, `Notification ${id} not found`);
      await rt.db.transaction((tx) => markDelivered(tx, id, { actor: actorOf(p), via: 'ack', at: nowOf(rt.ctx) }));
      return { json: present((await getNotification(rt.db, id))!) };
    },
  },
];
