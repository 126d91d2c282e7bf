// One audit entry and its hash. The hash input is fixed here and nowhere else, so that anyone can recompute
// it from an exported row:
//
//   hash = SHA-256( UTF-8( canonicalJson({ seq, at, actor, action, subject, document_sha256, details, prev_hash }) ) )
//
// with `at` as ISO 8601 UTC with milliseconds (2026-04-27T02:15:30.123Z), document_sha256 null when absent,
// details the JSON object as stored, and prev_hash the previous entry's hash (64 zeros before the first).
// seq is inside the hash, so an entry moved to another position no longer matches its hash.
import { createHash } from 'node:crypto';
import { canonicalJson, type JsonObject } from './canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records. */
export interface AuditEvent {
  /** Who: an API key id, `agency:<mã định danh>`, `citizen:<case code>`, `system:<job>`. */
  actor: string;
  /** What, as dotted lowercase words: `case.submitted`, `message.delivery_attempt`, `answer.accessed`. */
  action: string;
  /** What it concerns: a case code, a message id, a DocumentId. */
  subject: string;
  /** The document involved, when there is one. */
  documentSha256?: string;
  details?: JsonObject;
}

export interface AuditEntry {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  documentSha256: string | null;
  details: JsonObject;
  prevHash: string;
  hash: string;
}

/** The row as stored (column names). */
export interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  document_sha256: string | null;
  details: JsonObject;
  prev_hash: string;
  hash: string;
}

export const rowToEntry = (r: AuditRow): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  subject: r.subject,
  documentSha256: r.document_sha256,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The exact bytes that are hashed (and that an RFC 3161 seal over this entry as head certifies). */
export function canonicalEntryBytes(e: Omit<AuditEntry, 'hash'>): Uint8Array {
  const json = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    document_sha256: e.documentSha256,
    details: e.details,
    prev_hash: e.prevHash,
  });
  return new TextEncoder().encode(json);
}

export const entryHash = (e: Omit<AuditEntry, 'hash'>): string => createHash('sha256').update(canonicalEntryBytes(e)).digest('hex');
