// Appending to the audit chain. Appends are serialised by a row lock on the single audit_head row: an append
// reads the head FOR UPDATE, so a concurrent append waits until this one commits and then extends the new head
// — two entries can never claim the same predecessor, on any number of processes. The lock is held until the
// surrounding transaction ends, which is the point of appendAuditInTx: a business change and its audit entry
// commit together or not at all.
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

  const head = (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE')).rows[0];
  if (!head) throw new KysoError('DB_ERROR', 'Thiếu bảng đầu chuỗi kiểm toán (chưa chạy migration?)', 'The audit head row is missing (migrations not applied?)');
  // The database clock, read after the lock: one time source for every process, in seq order. Milliseconds,
  // because that is what a JavaScript Date (and so the hash input) carries.
  const at = (await tx.query<{ at: Date }>("SELECT date_trunc('milliseconds', clock_timestamp()) AS at")).rows[0]!.at;

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
    `INSERT INTO audit_log (seq, at, actor, action, subject, document_sha256, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
    [entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.documentSha256, detailsJson, entry.prevHash, entry.hash],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [entry.seq, entry.hash]);
  return entry;
}

/** Appends in a transaction of its own. */
export function appendAudit(db: Database, event: AuditEvent): Promise<AuditEntry> {
  return db.transaction((tx) => appendAuditInTx(tx, event));
}
