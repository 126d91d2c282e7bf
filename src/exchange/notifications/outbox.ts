// The notification outbox (issue 5, Deadlines): reminders the overdue scan writes to the `notifications` table
// and that leave through an adapter (webhook, log) or are fetched and acknowledged by the agency over the API.
//
// Writing is idempotent by `dedupe_key` (UNIQUE): adding a notification whose key exists adds nothing, so the
// scan can run as often as it likes. Delivery is at-least-once: a notification is marked delivered only after
// the adapter returned, so a crash in between sends it again on the next pass — receivers discard the repeat by
// its id or dedupe key (both are in the body and in headers).
import { KysoError } from '../../errors.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { isoVn } from '../../util/vn-time.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import type { JsonObject } from '../audit/canonical-json.ts';

/** What the outbox knows about: the overdue scan's reminders. */
export type NotificationKind = 'case.overdue' | 'case.progress_update_due' | 'case.transfer_overdue';

export interface Notification {
  id: number;
  dedupeKey: string;
  kind: string;
  /** The recipient agency (null: no agency, e.g. the registry had no VPCP yet). */
  agencyId: string | null;
  caseId: string | null;
  payload: JsonObject;
  createdAt: Date;
  deliveredAt: Date | null;
  /** The recipient's webhook base (from the registry), when it receives by push. */
  webhookUrl: string | null;
}

export interface NewNotification {
  dedupeKey: string;
  kind: NotificationKind;
  agencyId: string | null;
  caseId: string | null;
  payload: JsonObject;
}

interface NotificationRow {
  id: number;
  dedupe_key: string;
  kind: string;
  agency_id: string | null;
  case_id: string | null;
  payload: JsonObject;
  created_at: Date;
  delivered_at: Date | null;
  webhook_url: string | null;
}

const COLUMNS = `n.id, n.dedupe_key, n.kind, n.agency_id, n.case_id, n.payload, n.created_at, n.delivered_at,
  CASE WHEN a.delivery_mode = 'push' THEN a.webhook_url END AS webhook_url`;

const toNotification = (r: NotificationRow): Notification => ({
  id: Number(r.id),
  dedupeKey: r.dedupe_key,
  kind: r.kind,
  agencyId: r.agency_id,
  caseId: r.case_id,
  payload: r.payload,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  webhookUrl: r.webhook_url,
});

/**
 * Adds notifications in one statement; those whose dedupe key already exists are skipped. Returns the ones
 * actually added (kind and key), so the caller can count what is new.
 */
export async function addNotifications(tx: Queryable, items: readonly NewNotification[], createdAt: Date): Promise<{ kind: string; dedupeKey: string }[]> {
  if (items.length === 0) return [];
  const rows = items.map((n) => ({ dedupe_key: n.dedupeKey, kind: n.kind, agency_id: n.agencyId, case_id: n.caseId, payload: n.payload }));
  const r = await tx.query<{ kind: string; dedupe_key: string }>(
    `INSERT INTO notifications (dedupe_key, kind, agency_id, case_id, payload, created_at)
     SELECT r.dedupe_key, r.kind, r.agency_id, r.case_id::uuid, r.payload, $2
       FROM jsonb_to_recordset($1::jsonb) AS r(dedupe_key text, kind text, agency_id text, case_id text, payload jsonb)
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING kind, dedupe_key`,
    [JSON.stringify(rows), createdAt],
  );
  return r.rows.map((x) => ({ kind: x.kind, dedupeKey: x.dedupe_key }));
}

export interface NotificationQuery {
  /** One agency's notifications; all agencies when absent. */
  agencyId?: string;
  /** Include delivered ones (default: undelivered only). */
  includeDelivered?: boolean;
  /** Only recipients that receive by webhook (push) — what a webhook adapter can deliver. */
  pushOnly?: boolean;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** Notifications, oldest first (undelivered only unless asked). */
export async function listNotifications(db: Queryable, q: NotificationQuery = {}): Promise<Notification[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.agencyId !== undefined) {
    params.push(q.agencyId);
    where.push(`n.agency_id = $${params.length}`);
  }
  if (!q.includeDelivered) where.push('n.delivered_at IS NULL');
  if (q.pushOnly) where.push(`a.delivery_mode = 'push' AND a.webhook_url IS NOT NULL`);
  params.push(Math.min(Math.max(q.limit ?? 100, 1), 1000));
  const r = await db.query<NotificationRow>(
    `SELECT ${COLUMNS} FROM notifications n LEFT JOIN agencies a ON a.id = n.agency_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY n.created_at, n.id LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toNotification);
}

/** Undelivered notifications (per agency, or all). */
export const listUndelivered = (db: Queryable, q: Omit<NotificationQuery, 'includeDelivered'> = {}): Promise<Notification[]> => listNotifications(db, q);

export async function getNotification(db: Queryable, id: number): Promise<Notification | undefined> {
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const r = await db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications n LEFT JOIN agencies a ON a.id = n.agency_id WHERE n.id = $1`, [id]);
  return r.rows[0] ? toNotification(r.rows[0]) : undefined;
}

/**
 * Marks a notification delivered and audits it (`notification.delivered`) in the caller's transaction. Only the
 * first call does anything: it returns false when the notification was already delivered (or does not exist),
 * so a repeat — two deliverers, an agency acknowledging twice — leaves one audit entry.
 */
export async function markDelivered(tx: Queryable, id: number, how: { actor: string; via: string; at?: Date; details?: JsonObject }): Promise<boolean> {
  const r = await tx.query<{ id: number; kind: string; agency_id: string | null; dedupe_key: string; subject: string | null }>(
    `UPDATE notifications n SET delivered_at = $2 WHERE n.id = $1 AND n.delivered_at IS NULL
     RETURNING n.id, n.kind, n.agency_id, n.dedupe_key, (SELECT code FROM pakn_cases c WHERE c.id = n.case_id) AS subject`,
    [id, how.at ?? new Date()],
  );
  const row = r.rows[0];
  if (!row) return false;
  await appendAuditInTx(tx, {
    actor: how.actor,
    action: 'notification.delivered',
    subject: row.subject ?? `notification:${row.id}`,
    details: { notification: Number(row.id), kind: row.kind, agency: row.agency_id, dedupeKey: row.dedupe_key, via: how.via, ...(how.details ?? {}) },
  });
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Adapters

/** Where a notification goes. `deliver` resolves once the recipient has it; it throws otherwise. */
export interface NotificationAdapter {
  /** Short name recorded in the audit entry (`webhook`, `log`). */
  readonly name: string;
  /** True when it can only reach agencies with a webhook: the others are left for them to fetch. */
  readonly pushOnly?: boolean;
  deliver(n: Notification): Promise<void>;
}

/** The JSON body a webhook receives (and what GET /api/v1/notifications lists). */
export function notificationBody(n: Notification, present: (d: Date) => string): JsonObject {
  return {
    id: n.id,
    dedupeKey: n.dedupeKey,
    kind: n.kind,
    agencyId: n.agencyId,
    caseId: n.caseId,
    createdAt: present(n.createdAt),
    deliveredAt: n.deliveredAt ? present(n.deliveredAt) : null,
    payload: n.payload,
  };
}

const defaultPresent = (d: Date): string => isoVn(d);

export interface WebhookAdapterOptions {
  /** Abort the POST after this long (default 10 s); a timeout is a failed delivery. */
  timeoutMs?: number;
  /** Replaceable for tests. */
  fetch?: typeof fetch;
  /** Time format in the body (default ISO 8601 with +07:00). */
  present?: (d: Date) => string;
}

/** `<webhook>/notifications` — the agency's package webhook with `/notifications` appended. */
export function notificationsUrl(webhookUrl: string): string {
  const u = new URL(webhookUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/notifications`;
  return u.toString();
}

/** POSTs the notification as JSON to the agency's webhook + `/notifications`; only a 2xx answer counts. */
export function webhookAdapter(opts: WebhookAdapterOptions = {}): NotificationAdapter {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetch ?? fetch;
  const present = opts.present ?? defaultPresent;
  return {
    name: 'webhook',
    pushOnly: true,
    async deliver(n) {
      if (!n.webhookUrl) {
        throw new KysoError('NETWORK', `Cơ quan ${n.agencyId ?? '?'} không có địa chỉ webhook`, `Agency ${n.agencyId ?? '?'} has no webhook URL`);
      }
      const url = notificationsUrl(n.webhookUrl);
      let res: Response;
      try {
        res = await fetchImpl(url, {
          method: 'POST',
          body: JSON.stringify(notificationBody(n, present)),
          headers: { 'content-type': 'application/json', 'x-kyso-notification-id': String(n.id), 'x-kyso-dedupe-key': n.dedupeKey },
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
      } catch (e) {
        const err = e as { name?: string; message?: string; cause?: { code?: string } };
        const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `timeout after ${timeoutMs} ms` : (err?.cause?.code ?? err?.message ?? String(e));
        throw new KysoError('NETWORK', `Không gửi được thông báo tới ${url}: ${why}`, `Could not deliver the notification to ${url}: ${why}`, { cause: e });
      }
      if (res.status < 200 || res.status > 299) {
        throw new KysoError('NETWORK', `Webhook ${url} trả lời HTTP ${res.status}`, `Webhook ${url} answered HTTP ${res.status}`);
      }
    },
  };
}

/** Writes each notification as one line (Vietnamese text, then English) — for a deployment without webhooks. */
export function logAdapter(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): NotificationAdapter {
  return {
    name: 'log',
    async deliver(n) {
      const msg = (n.payload.message ?? {}) as { vi?: string; en?: string };
      write(`[kyso] ${n.kind} → ${n.agencyId ?? '-'}: ${msg.vi ?? ''} | ${msg.en ?? ''}`);
    },
  };
}


// ---------------------------------------------------------------------------------------------------------------
// Delivery

export interface DeliveryPassResult {
  attempted: number;
  delivered: number;
  failed: { id: number; reason: string }[];
}

/**
 * One delivery pass: up to `limit` undelivered notifications (oldest first; only push recipients for a
 * push-only adapter), each handed to the adapter and, once it returned, marked delivered with an audit entry
 * (`notification.delivered`). A failure leaves the notification for the next pass (at-least-once).
 */
export async function deliverNotifications(db: Database, adapter: NotificationAdapter, opts: { limit?: number; agencyId?: string; now?: () => Date } = {}): Promise<DeliveryPassResult> {
  const list = await listNotifications(db, { limit: opts.limit ?? 100, ...(adapter.pushOnly ? { pushOnly: true } : {}), ...(opts.agencyId ? { agencyId: opts.agencyId } : {}) });
  const result: DeliveryPassResult = { attempted: list.length, delivered: 0, failed: [] };
  for (const n of list) {
    try {
      await adapter.deliver(n);
    } catch (e) {
      result.failed.push({ id: n.id, reason: (e as Error)?.message ?? String(e) });
      continue;
    }
    const at = opts.now?.() ?? new Date();
    if (await db.transaction((tx) => markDelivered(tx, n.id, { actor: 'system:notifications', via: adapter.name, at }))) result.delivered++;
  }
  return result;
}
