// The `messages` table: every package and status packet that crosses kyso, one row per recipient. Reads are
// scoped by agency (an agency sees what it sent and what it was sent); the delivery worker has its own
// SqlMessageSource.
import type { Queryable } from '../../store/database.ts';
import type { MessageStatus } from '../queue/delivery-worker.ts';

export type MessageKind = 'edoc' | 'status';
export type MessagePurpose = 'routing' | 'reply' | 'other';

export interface MessageHeaderSummary {
  OrganId: string;
  Code: string;
  PromulgationDate: string;
  DocumentId: string;
  Subject?: string;
}

export interface Message {
  id: string;
  idempotencyKey: string;
  kind: MessageKind;
  fromAgency: string;
  toAgency: string;
  documentId: string | null;
  packageSha256: string;
  /** SHA-256 of the bytes as the sender sent them (packageSha256 may name the copy carrying a TraceHeader). */
  receivedSha256: string | null;
  status: MessageStatus;
  statusReason: string | null;
  caseId: string | null;
  businessType: number | null;
  statusCode: string | null;
  responseFor: string | null;
  purpose: MessagePurpose | null;
  verification: { indication: string; subIndication?: string; summary?: { vi: string; en: string } } | null;
  /** ResponseFor fields of a document package plus its subject; null for status packets. */
  header: MessageHeaderSummary | null;
  acknowledgedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface MessageRow {
  id: string;
  idempotency_key: string;
  kind: MessageKind;
  from_agency: string;
  to_agency: string;
  document_id: string | null;
  package_blob: string;
  received_sha256: string | null;
  status: MessageStatus;
  status_reason: string | null;
  case_id: string | null;
  business_type: number | null;
  status_code: string | null;
  response_for: string | null;
  purpose: MessagePurpose | null;
  verification: Message['verification'];
  header: MessageHeaderSummary | null;
  acknowledged_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const MESSAGE_COLUMNS = `id, idempotency_key, kind, from_agency, to_agency, document_id, package_blob, received_sha256, status, status_reason, case_id,
  business_type, status_code, response_for, purpose, verification, header, acknowledged_at, created_at, updated_at`;

export const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  idempotencyKey: r.idempotency_key,
  kind: r.kind,
  fromAgency: r.from_agency,
  toAgency: r.to_agency,
  documentId: r.document_id,
  packageSha256: r.package_blob,
  receivedSha256: r.received_sha256,
  status: r.status,
  statusReason: r.status_reason,
  caseId: r.case_id,
  businessType: r.business_type,
  statusCode: r.status_code,
  responseFor: r.response_for,
  purpose: r.purpose,
  verification: r.verification,
  header: r.header,
  acknowledgedAt: r.acknowledged_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface NewMessage {
  idempotencyKey: string;
  kind: MessageKind;
  fromAgency: string;
  toAgency: string;
  documentId?: string | null;
  packageSha256: string;
  receivedSha256?: string | null;
  status: Extract<MessageStatus, 'received' | 'rejected'>;
  statusReason?: string | null;
  caseId?: string | null;
  businessType?: number | null;
  statusCode?: string | null;
  responseFor?: string | null;
  purpose?: MessagePurpose | null;
  verification?: Message['verification'];
  header?: MessageHeaderSummary | null;
}

/**
 * Inserts several messages with one statement (a receipt's rows: one per recipient, plus the status packets the
 * service issued), with ids chosen by the caller so that rows can name each other before they exist. Rows whose
 * idempotency key is taken, or that would deliver a new document twice (messages_document_once), are skipped:
 * the answer holds only the rows inserted, in the order given. Runs in the caller's transaction.
 */
/** Parameter casts of insertMessages' columns, in order (explicit, so every row of a multi-row VALUES agrees). */
const INSERT_CASTS = ['::uuid', '', '', '', '', '', '', '', '', '::uuid', '::smallint', '', '', '', '::jsonb', '::jsonb', ''] as const;

export async function insertMessages(tx: Queryable, rows: readonly (NewMessage & { id: string })[]): Promise<Message[]> {
  if (rows.length === 0) return [];
  const params: unknown[] = [];
  const values: string[] = [];
  for (const m of rows) {
    const b = params.length;
    values.push(`(${INSERT_CASTS.map((cast, i) => `$${b + i + 1}${cast}`).join(', ')})`);
    params.push(
      m.id,
      m.idempotencyKey,
      m.kind,
      m.fromAgency,
      m.toAgency,
      m.documentId ?? null,
      m.packageSha256,
      m.status,
      m.statusReason ?? null,
      m.caseId ?? null,
      m.businessType ?? null,
      m.statusCode ?? null,
      m.responseFor ?? null,
      m.purpose ?? null,
      m.verification ? JSON.stringify(m.verification) : null,
      m.header ? JSON.stringify(m.header) : null,
      m.receivedSha256 ?? null,
    );
  }
  const r = await tx.query<MessageRow>(
    `INSERT INTO messages (id, idempotency_key, kind, from_agency, to_agency, document_id, package_blob, status, status_reason, case_id,
                           business_type, status_code, response_for, purpose, verification, header, received_sha256)
     VALUES ${values.join(', ')}
     ON CONFLICT DO NOTHING
     RETURNING ${MESSAGE_COLUMNS}`,
    params,
  );
  const byId = new Map(r.rows.map((x) => [x.id, toMessage(x)]));
  return rows.map((m) => byId.get(m.id)).filter((m): m is Message => m !== undefined);
}

export async function messageByKey(db: Queryable, fromAgency: string, key: string): Promise<Message | undefined> {
  const r = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE from_agency = $1 AND idempotency_key = $2`, [fromAgency, key]);
  return r.rows[0] ? toMessage(r.rows[0]) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getMessage(db: Queryable, id: string, forUpdate = false): Promise<Message | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ? toMessage(r.rows[0]) : undefined;
}

/** The document package `documentId` that `from` sent to `to` (type 0 first), for linking status packets. */
export async function findDocumentMessage(db: Queryable, from: string, to: string, documentId: string): Promise<Message | undefined> {
  const r = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE kind = 'edoc' AND from_agency = $1 AND to_agency = $2 AND document_id = $3 AND status <> 'rejected'
      ORDER BY created_at DESC LIMIT 1`,
    [from, to, documentId],
  );
  return r.rows[0] ? toMessage(r.rows[0]) : undefined;
}

export interface MessageFilter {
  status?: MessageStatus;
  kind?: MessageKind;
  caseId?: string;
  limit?: number;
  /** Messages created after this id's creation (paging). */
  after?: Date;
}

function filterSql(f: MessageFilter, params: unknown[]): string {
  const where: string[] = [];
  if (f.status) {
    params.push(f.status);
    where.push(`status = $${params.length}`);
  }
  if (f.kind) {
    params.push(f.kind);
    where.push(`kind = $${params.length}`);
  }
  if (f.caseId) {
    params.push(f.caseId);
    where.push(`case_id = $${params.length}`);
  }
  if (f.after) {
    params.push(f.after);
    where.push(`created_at > $${params.length}`);
  }
  return where.map((w) => ` AND ${w}`).join('');
}

/** What was sent to an agency (its inbox), oldest first. */
export async function listInbox(db: Queryable, agencyId: string, f: MessageFilter = {}): Promise<Message[]> {
  const params: unknown[] = [agencyId];
  const extra = filterSql(f, params);
  params.push(Math.min(Math.max(f.limit ?? 100, 1), 1000));
  const r = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE to_agency = $1 AND status <> 'rejected'${extra} ORDER BY created_at LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toMessage);
}

/** What an agency sent (its outbox), newest first. */
export async function listOutbox(db: Queryable, agencyId: string, f: MessageFilter = {}): Promise<Message[]> {
  const params: unknown[] = [agencyId];
  const extra = filterSql(f, params);
  params.push(Math.min(Math.max(f.limit ?? 100, 1), 1000));
  const r = await db.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE from_agency = $1${extra} ORDER BY created_at DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toMessage);
}

/** Every message of a case, oldest first (VPCP's and the lead agency's case view). */
export async function listCaseMessages(db: Queryable, caseId: string): Promise<Message[]> {
  const r = await db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE case_id = $1 ORDER BY created_at`, [caseId]);
  return r.rows.map(toMessage);
}

/** The recipient confirms it has the message (pull inbox). Idempotent; false if it is not deliverable. */
export async function acknowledgeMessage(tx: Queryable, id: string): Promise<Message | undefined> {
  const r = await tx.query<MessageRow>(
    `UPDATE messages SET status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, now()), updated_at = now()
      WHERE id = $1 AND status IN ('received', 'queued', 'delivered', 'acknowledged', 'dead') RETURNING ${MESSAGE_COLUMNS}`,
    [id],
  );
  return r.rows[0] ? toMessage(r.rows[0]) : undefined;
}

/** Messages accepted but possibly never enqueued (Redis was down at the time): the sweeper enqueues them again. */
export async function listUnqueued(db: Queryable, olderThan: Date, limit = 500): Promise<{ id: string; toAgency: string }[]> {
  const r = await db.query<{ id: string; to_agency: string }>(
    `SELECT id, to_agency FROM messages WHERE status IN ('received', 'queued') AND updated_at < $1 ORDER BY created_at LIMIT $2`,
    [olderThan, limit],
  );
  return r.rows.map((x) => ({ id: x.id, toAgency: x.to_agency }));
}
