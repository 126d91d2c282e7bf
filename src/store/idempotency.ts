// Idempotency-Key for API calls that create something (submissions, routing, replies, statuses): the first
// answer is kept and replayed for a repeat with the same key and the same request; the same key with another
// request is refused (422). Keys are per caller (API key id, or `public` for citizens). Records are kept 24 h
// (the sweeper deletes older ones) — a citizen's submission answer holds the access key, so not longer.
import { createHash } from 'node:crypto';
import { KysoError } from '../errors.ts';
import type { Queryable } from './database.ts';

export interface StoredReply {
  status: number;
  body: unknown;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY.test(key)) throw new KysoError('INVALID_ARGUMENT', 'Idempotency-Key phải gồm 1–200 ký tự ASCII in được', 'Idempotency-Key must be 1–200 printable ASCII characters');
  return key;
}

export const requestHash = (method: string, path: string, body: unknown): string =>
  createHash('sha256').update(`${method} ${path}\n`).update(body instanceof Uint8Array ? body : JSON.stringify(body ?? null)).digest('hex');

/** The stored reply for this caller and key, or undefined; IDEMPOTENCY_MISMATCH when the request differs. */
export async function findReply(db: Queryable, principal: string, key: string, hash: string): Promise<StoredReply | undefined> {
  const r = await db.query<{ request_hash: string; status: number; body: unknown }>('SELECT request_hash, status, body FROM idempotency_records WHERE principal = $1 AND key = $2', [principal, key]);
  const row = r.rows[0];
  if (!row) return undefined;
  if (row.request_hash !== hash) {
    throw new KysoError('IDEMPOTENCY_MISMATCH', `Idempotency-Key "${key}" đã được dùng cho một yêu cầu khác`, `Idempotency-Key "${key}" was used for a different request`);
  }
  return { status: row.status, body: row.body };
}

/** Keeps a reply (first writer wins when two identical requests race). */
export async function storeReply(db: Queryable, principal: string, key: string, hash: string, reply: StoredReply): Promise<void> {
  await db.query(
    `INSERT INTO idempotency_records (principal, key, request_hash, status, body) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING`,
    [principal, key, hash, reply.status, JSON.stringify(reply.body)],
  );
}

export async function expireReplies(db: Queryable, olderThan: Date): Promise<number> {
  const r = await db.query('DELETE FROM idempotency_records WHERE created_at < $1', [olderThan]);
  return r.rowCount;
}
