// Appending to the audit chain. Appends are serialised by a row lock on the single audit_head row: an append
// locks the head (a no-op UPDATE, which also answers the current head and the database clock read after the lock
// was granted), so a concurrent append waits until this one commits and then extends the new head — two entries
// can never claim the same predecessor, on any number of processes. The lock is held until the surrounding
// transaction ends, which is the point of appendAuditInTx: a business change and its audit entry commit together
// or not at all. Two statements per entry (lock+read, then insert+advance in one statement): every round trip
// made while holding the lock is time every other appender waits (bench/exchange.ts).
import { KysoError } from '../../errors.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { checkJsonObject } from './canonical-json.ts';
import { entryHash, type AuditEntry, type AuditEvent } from './audit-entry.ts';

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_TEXT = 1000;

function invalid(vi: string, en: string): KysoError {
  return new KysoError('INVALID_ARGUMENT', `Sự kiện kiểm toán không hợp lệ: ${vi}`, `Invalid audit event: ${en}`);
}

function checkEvent(e: AuditEvent): void {
  for (const field of ['actor', 'action', 'subject'] as const) {
    const v = e[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) throw invalid(`${field} phải là chuỗi 1–${MAX_TEXT} ký tự`, `${field} must be a string of 1–${MAX_TEXT} characters`);
  }
  if (!ACTION.test(e.action)) throw invalid(`action "${e.action}" phải dạng chữ thường có dấu chấm, ví dụ case.submitted`, `action "${e.action}" must be dotted lowercase words, e.g. case.submitted`);
  if (e.documentSha256 !== undefined && !SHA256_HEX.test(e.documentSha256)) throw invalid('documentSha256 phải là 64 chữ số hex thường', 'documentSha256 must be 64 lowercase hex digits');
  if (e.details !== undefined) {
    try {
      checkJsonObject(e.details);
    } catch (cause) {
      throw invalid(`details: ${(cause as Error).message}`, `details: ${(cause as Error).message}`);
    }
  }
}

/** Appends inside the caller's transaction; the entry exists only if that transaction commits. */
export async function appendAuditInTx(tx: Queryable, event: AuditEvent): Promise<AuditEntry> {
  checkEvent(event);
  // Stored as JSON text and hashed after the same round trip, so what is hashed is exactly what jsonb keeps.
  const detailsJson = JSON.stringify(event.details ?? {});
  const details = JSON.parse(detailsJson) as AuditEntry['details'];

  // RETURNING is computed for the row version this UPDATE locked (after waiting for a concurrent appender to
  // commit, it is that appender's new head), so `at` is the database clock read after the lock: one time source
  // for every process, in seq order. Milliseconds, because that is what a JavaScript Date (and so the hash
  // input) carries.
  const head = (
    await tx.query<{ seq: number; hash: string; at: Date }>(
      "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash, date_trunc('milliseconds', clock_timestamp()) AS at",
    )
  ).rows[0];
  if (!head) throw new KysoError('DB_ERROR', 'Thiếu bảng đầu chuỗi kiểm toán (chưa chạy migration?)', 'The audit head row is missing (migrations not applied?)');
  const at = head.at;

  const unhashed = {
    seq: head.seq + 1,
    at,
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    documentSha256: event.documentSha256 ?? null,
    details,
    prevHash: head.hash,
  };
  const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
  await tx.query(
    `WITH entry AS (
       INSERT INTO audit_log (seq, at, actor, action, subject, document_sha256, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING seq, hash)
     UPDATE audit_head SET seq = entry.seq, hash = entry.hash FROM entry WHERE audit_head.id = 1`,
    [entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.documentSha256, detailsJson, entry.prevHash, entry.hash],
  );
  return entry;
}

/**
 * Appends several entries, in order, inside the caller's transaction with two statements whatever their number:
 * one to take the head (the row lock), one multi-row INSERT that also moves the head. For steps that record more
 * than one event at once (a delivery's attempt and its success, a receipt's message and its status packet).
 */
export async function appendAuditManyInTx(tx: Queryable, events: readonly AuditEvent[]): Promise<AuditEntry[]> {
  if (events.length === 0) return [];
  if (events.length === 1) return [await appendAuditInTx(tx, events[0]!)];
  for (const e of events) checkEvent(e);
  const head = (
    await tx.query<{ seq: number; hash: string; at: Date }>(
      "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash, date_trunc('milliseconds', clock_timestamp()) AS at",
    )
  ).rows[0];
  if (!head) throw new KysoError('DB_ERROR', 'Thiếu bảng đầu chuỗi kiểm toán (chưa chạy migration?)', 'The audit head row is missing (migrations not applied?)');
  const entries: AuditEntry[] = [];
  const params: unknown[] = [];
  const rows: string[] = [];
  let prev = { seq: head.seq, hash: head.hash };
  for (const event of events) {
    const detailsJson = JSON.stringify(event.details ?? {});
    const details = JSON.parse(detailsJson) as AuditEntry['details'];
    const unhashed = { seq: prev.seq + 1, at: head.at, actor: event.actor, action: event.action, subject: event.subject, documentSha256: event.documentSha256 ?? null, details, prevHash: prev.hash };
    const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
    entries.push(entry);
    const b = params.length;
    rows.push(`($${b + 1}::bigint, $${b + 2}::timestamptz, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::jsonb, $${b + 8}, $${b + 9})`);
    params.push(entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.documentSha256, detailsJson, entry.prevHash, entry.hash);
    prev = entry;
  }
  const last = entries.at(-1)!;
  params.push(last.seq, last.hash);
  await tx.query(
    `WITH entries AS (
       INSERT INTO audit_log (seq, at, actor, action, subject, document_sha256, details, prev_hash, hash) VALUES ${rows.join(', ')} RETURNING seq)
     UPDATE audit_head SET seq = $${params.length - 1}, hash = $${params.length} WHERE id = 1 AND EXISTS (SELECT 1 FROM entries)`,
    params,
  );
  return entries;
}

/** Appends in a transaction of its own. */
export function appendAudit(db: Database, event: AuditEvent): Promise<AuditEntry> {
  return db.transaction((tx) => appendAuditInTx(tx, event));
}
