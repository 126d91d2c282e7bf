// PAKN cases in the store: submission (with the citizen's access key), reads scoped to who asks, and state
// transitions that are checked against case-states.ts and audited in the same transaction.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import type { Queryable } from '../../store/database.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import type { JsonObject } from '../audit/canonical-json.ts';
import { caseDeadlineDetailed, DEFAULT_DEADLINE_POLICY, transferDeadlineDetailed, type DeadlinePolicy } from '../deadlines/deadlines.ts';
import { defaultWorkingCalendar, type WorkingCalendar } from '../deadlines/working-calendar.ts';
import { NO_DEADLINE_STATES, transition, type CaseEvent, type CaseState } from './case-states.ts';

export interface Submitter {
  name: string;
  address: string;
  phone: string;
  email?: string;
  /** Citizen or business (người dân / doanh nghiệp). */
  kind?: 'citizen' | 'business';
}

export interface CaseAttachment {
  sha256: string;
  name: string;
  mediaType: string;
  size: number;
}

export interface PaknCase {
  id: string;
  code: string;
  submitter: Submitter;
  title: string;
  content: string;
  attachments: CaseAttachment[];
  state: CaseState;
  stateReason: string | null;
  category: string | null;
  leadAgency: string | null;
  receivedAt: Date;
  transferDueAt: Date;
  answerDueAt: Date;
  /** The deadline rests on a provisional year table (no official schedule yet): shown as tạm tính. */
  answerDueProvisional: boolean;
  transferDueProvisional: boolean;
  /** The provisional years the deadlines were computed with (empty when both are final). */
  provisionalCalendarYears: number[];
  lastProgressAt: Date | null;
  nextProgressDueAt: Date | null;
  overdueSince: Date | null;
  routingMessageId: string | null;
  routingDocumentId: string | null;
  replyMessageId: string | null;
  answerBlob: string | null;
  publishedAt: Date | null;
  version: number;
  updatedAt: Date;
}

interface CaseRow {
  id: string;
  code: string;
  submitter: Submitter;
  title: string;
  content: string;
  attachments: CaseAttachment[];
  state: CaseState;
  state_reason: string | null;
  category: string | null;
  lead_agency: string | null;
  received_at: Date;
  transfer_due_at: Date;
  answer_due_at: Date;
  answer_due_provisional: boolean;
  transfer_due_provisional: boolean;
  provisional_calendar_years: number[] | null;
  last_progress_at: Date | null;
  next_progress_due_at: Date | null;
  overdue_since: Date | null;
  routing_message_id: string | null;
  routing_document_id: string | null;
  reply_message_id: string | null;
  answer_blob: string | null;
  published_at: Date | null;
  version: number;
  updated_at: Date;
}

const COLUMNS = `id, code, submitter, title, content, attachments, state, state_reason, category, lead_agency, received_at,
  transfer_due_at, answer_due_at, answer_due_provisional, transfer_due_provisional, provisional_calendar_years, last_progress_at, next_progress_due_at, overdue_since, routing_message_id,
  routing_document_id, reply_message_id, answer_blob, published_at, version, updated_at`;

const toCase = (r: CaseRow): PaknCase => ({
  id: r.id,
  code: r.code,
  submitter: r.submitter,
  title: r.title,
  content: r.content,
  attachments: r.attachments ?? [],
  state: r.state,
  stateReason: r.state_reason,
  category: r.category,
  leadAgency: r.lead_agency,
  receivedAt: r.received_at,
  transferDueAt: r.transfer_due_at,
  answerDueAt: r.answer_due_at,
  answerDueProvisional: r.answer_due_provisional === true,
  transferDueProvisional: r.transfer_due_provisional === true,
  provisionalCalendarYears: (r.provisional_calendar_years ?? []).map(Number),
  lastProgressAt: r.last_progress_at,
  nextProgressDueAt: r.next_progress_due_at,
  overdueSince: r.overdue_since,
  routingMessageId: r.routing_message_id,
  routingDocumentId: r.routing_document_id,
  replyMessageId: r.reply_message_id,
  answerBlob: r.answer_blob,
  publishedAt: r.published_at,
  version: r.version,
  updatedAt: r.updated_at,
});

// Crockford-style alphabet without I, L, O, U: codes are read aloud on the phone and typed from paper.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newCaseCode(year: number): string {
  const b = randomBytes(6);
  let s = '';
  for (const x of b) s += CODE_ALPHABET[x & 31];
  return `PAKN-${year}-${s}`;
}

/** The citizen's secret: 120 random bits, base64url (20 characters). */
export const newAccessKey = (): string => randomBytes(15).toString('base64url');
export const hashAccessKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export interface SubmissionInput {
  submitter: Submitter;
  title: string;
  content: string;
  attachments?: CaseAttachment[];
}

const LIMITS = { name: 200, address: 500, phone: 30, email: 254, title: 300, content: 20_000 } as const;

function bad(vi: string, en: string): KysoError {
  return new KysoError('INVALID_ARGUMENT', vi, en);
}

function text(v: unknown, field: string, max: number, required = true): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(`Thiếu trường bắt buộc: ${field}`, `Missing required field: ${field}`);
    return undefined;
  }
  if (typeof v !== 'string') throw bad(`Trường ${field} phải là chuỗi`, `Field ${field} must be a string`);
  const t = v.trim();
  if (required && t === '') throw bad(`Thiếu trường bắt buộc: ${field}`, `Missing required field: ${field}`);
  if (t.length > max) throw bad(`Trường ${field} dài quá ${max} ký tự`, `Field ${field} is longer than ${max} characters`);
  // Control characters other than line breaks and tabs have no place in a letter and break XML 1.0.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(t)) throw bad(`Trường ${field} chứa ký tự điều khiển`, `Field ${field} contains control characters`);
  return t;
}

/** Checks a submission (Decree 20 Art. 7: name, address, phone and clear content are required). */
export function checkSubmission(input: unknown): SubmissionInput {
  if (typeof input !== 'object' || input === null) throw bad('Nội dung gửi phải là đối tượng JSON', 'The submission must be a JSON object');
  const i = input as Record<string, unknown>;
  const s = (i.submitter ?? {}) as Record<string, unknown>;
  if (typeof s !== 'object') throw bad('submitter phải là đối tượng', 'submitter must be an object');
  const kind = s.kind === undefined ? 'citizen' : s.kind;
  if (kind !== 'citizen' && kind !== 'business') throw bad('submitter.kind phải là citizen hoặc business', 'submitter.kind must be citizen or business');
  const email = text(s.email, 'submitter.email', LIMITS.email, false);
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw bad(`Địa chỉ thư điện tử không hợp lệ: ${email}`, `Invalid e-mail address: ${email}`);
  const phone = text(s.phone, 'submitter.phone', LIMITS.phone)!;
  if (!/^[0-9 +().-]{6,30}$/.test(phone)) throw bad(`Số điện thoại không hợp lệ: ${phone}`, `Invalid phone number: ${phone}`);
  return {
    submitter: {
      name: text(s.name, 'submitter.name', LIMITS.name)!,
      address: text(s.address, 'submitter.address', LIMITS.address)!,
      phone,
      ...(email ? { email } : {}),
      kind,
    },
    title: text(i.title, 'title', LIMITS.title)!,
    content: text(i.content, 'content', LIMITS.content)!,
  };
}

export interface CaseClock {
  now: Date;
  policy?: DeadlinePolicy;
  calendar?: WorkingCalendar;
}

/** Creates a case in RECEIVED with its deadlines; returns it with the access key (shown once). */
export async function insertCase(
  tx: Queryable,
  input: SubmissionInput,
  clock: CaseClock,
  submissionKey?: string,
): Promise<{ case: PaknCase; accessKey: string }> {
  const policy = clock.policy ?? DEFAULT_DEADLINE_POLICY;
  const cal = clock.calendar ?? defaultWorkingCalendar;
  const receivedAt = clock.now;
  // A deadline in a year without an official schedule is computed on the provisional table and marked so
  // (recomputed by the maintenance pass once the official table exists) rather than refusing the citizen.
  const transferDue = transferDeadlineDetailed(receivedAt, policy, cal);
  const answerDue = caseDeadlineDetailed(receivedAt, policy, cal);
  const provisionalYears = [...new Set([...transferDue.provisionalYears, ...answerDue.provisionalYears])].sort((a, b) => a - b);
  const accessKey = newAccessKey();
  const year = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric' }).format(receivedAt));
  for (let attempt = 0; ; attempt++) {
    const code = newCaseCode(year);
    const r = await tx.query<CaseRow>(
      `INSERT INTO pakn_cases (code, access_key_hash, submitter, title, content, attachments, state, received_at, transfer_due_at, answer_due_at, submission_key,
                               transfer_due_provisional, answer_due_provisional, provisional_calendar_years)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb, 'RECEIVED', $7, $8, $9, $10, $11, $12, $13::int[])
       ON CONFLICT (code) DO NOTHING RETURNING ${COLUMNS}`,
      [code, hashAccessKey(accessKey), JSON.stringify(input.submitter), input.title, input.content, JSON.stringify(input.attachments ?? []), receivedAt, transferDue.at, answerDue.at, submissionKey ?? null,
        transferDue.provisional, answerDue.provisional, provisionalYears],
    );
    if (r.rows[0]) return { case: toCase(r.rows[0]), accessKey };
    if (attempt > 5) throw new KysoError('DB_CONFLICT', 'Không tạo được mã hồ sơ mới', 'Could not allocate a new case code');
  }
}

export async function caseBySubmissionKey(db: Queryable, key: string): Promise<PaknCase | undefined> {
  const r = await db.query<CaseRow>(`SELECT ${COLUMNS} FROM pakn_cases WHERE submission_key = $1`, [key]);
  return r.rows[0] ? toCase(r.rows[0]) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE = /^PAKN-[0-9]{4}-[0-9A-Z]{6}$/;

/** By uuid or public code; undefined for anything else. `forUpdate` locks the row in the caller's transaction. */
export async function getCase(db: Queryable, idOrCode: string, forUpdate = false): Promise<PaknCase | undefined> {
  const col = UUID.test(idOrCode) ? 'id' : CODE.test(idOrCode) ? 'code' : undefined;
  if (!col) return undefined;
  const r = await db.query<CaseRow>(`SELECT ${COLUMNS} FROM pakn_cases WHERE ${col} = $1${forUpdate ? ' FOR UPDATE' : ''}`, [idOrCode]);
  return r.rows[0] ? toCase(r.rows[0]) : undefined;
}

export async function caseByRoutingDocument(db: Queryable, documentId: string, forUpdate = false): Promise<PaknCase | undefined> {
  const r = await db.query<CaseRow>(`SELECT ${COLUMNS} FROM pakn_cases WHERE routing_document_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [documentId]);
  return r.rows[0] ? toCase(r.rows[0]) : undefined;
}

/** The citizen's view: the case only when the code and the access key match (constant-time). */
export async function caseForCitizen(db: Queryable, code: string, accessKey: string): Promise<PaknCase | undefined> {
  if (!CODE.test(code) || typeof accessKey !== 'string' || accessKey.length === 0 || accessKey.length > 200) return undefined;
  const r = await db.query<CaseRow & { access_key_hash: string }>(`SELECT ${COLUMNS}, access_key_hash FROM pakn_cases WHERE code = $1`, [code]);
  const row = r.rows[0];
  if (!row) return undefined;
  const ok = timingSafeEqual(Buffer.from(hashAccessKey(accessKey), 'hex'), Buffer.from(row.access_key_hash, 'hex'));
  return ok ? toCase(row) : undefined;
}

export interface CaseFilter {
  /** Only cases routed to this agency (an agency's own view). */
  agencyId?: string;
  state?: CaseState;
  overdue?: boolean;
  limit?: number;
  now?: Date;
}

export async function listCases(db: Queryable, f: CaseFilter = {}): Promise<PaknCase[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.agencyId) {
    params.push(f.agencyId);
    where.push(`lead_agency = $${params.length} AND routing_message_id IS NOT NULL`);
  }
  if (f.state) {
    params.push(f.state);
    where.push(`state = $${params.length}`);
  }
  if (f.overdue) {
    params.push(f.now ?? new Date(), NO_DEADLINE_STATES);
    where.push(`answer_due_at < $${params.length - 1} AND NOT (state = ANY($${params.length}::text[]))`);
  }
  params.push(Math.min(Math.max(f.limit ?? 100, 1), 1000));
  const r = await db.query<CaseRow>(
    `SELECT ${COLUMNS} FROM pakn_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toCase);
}

export interface CaseChange {
  event: CaseEvent;
  actor: string;
  reason?: string | null;
  /** Other columns to set with the transition (snake_case column → value). */
  set?: Record<string, unknown>;
  documentSha256?: string;
  details?: JsonObject;
}

const SETTABLE = new Set([
  'category',
  'lead_agency',
  'routing_message_id',
  'routing_document_id',
  'reply_message_id',
  'answer_blob',
  'published_at',
  'last_progress_at',
  'next_progress_due_at',
  'overdue_since',
]);

/**
 * Moves a locked case (read with getCase(tx, id, true)) by `event`, sets the extra columns, and appends the
 * audit entry `case.<event>` — all in the caller's transaction.
 */
export async function applyCaseEvent(tx: Queryable, c: PaknCase, change: CaseChange): Promise<PaknCase> {
  const to = transition(c.state, change.event);
  const sets = ['state = $2', 'state_reason = $3', 'version = version + 1', 'updated_at = now()'];
  const params: unknown[] = [c.id, to, change.reason ?? null];
  for (const [col, v] of Object.entries(change.set ?? {})) {
    if (!SETTABLE.has(col)) throw new Error(`not a settable case column: ${col}`);
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  }
  const r = await tx.query<CaseRow>(`UPDATE pakn_cases SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`, params);
  const updated = toCase(r.rows[0]!);
  await appendAuditInTx(tx, {
    actor: change.actor,
    action: `case.${change.event.replace(/-/g, '_')}`,
    subject: c.code,
    ...(change.documentSha256 ? { documentSha256: change.documentSha256 } : {}),
    details: { from: c.state, to, ...(change.reason ? { reason: change.reason } : {}), ...(change.details ?? {}) },
  });
  return updated;
}

/** Sets columns without a state change (e.g. a progress date), audited as `case.<action>`. */
export async function updateCaseFields(tx: Queryable, c: PaknCase, action: string, actor: string, set: Record<string, unknown>, details: JsonObject = {}): Promise<void> {
  const sets = ['version = version + 1', 'updated_at = now()'];
  const params: unknown[] = [c.id];
  for (const [col, v] of Object.entries(set)) {
    if (!SETTABLE.has(col)) throw new Error(`not a settable case column: ${col}`);
    params.push(v);
    sets.push(`${col} = $${params.length}`);
  }
  await tx.query(`UPDATE pakn_cases SET ${sets.join(', ')} WHERE id = $1`, params);
  await appendAuditInTx(tx, { actor, action: `case.${action}`, subject: c.code, details });
}
