// The exchange API (issue 5): cases, messages, inbox/outbox, statuses, the agency registry, dead letters, and
// the citizen's public lookup. Every route is a row of ROUTES with the audiences allowed to call it, so the
// authorisation matrix test walks the very table the server mounts.
//
// Bodies: JSON (1 MiB; citizen submissions with base64 attachments up to 30 MiB), signed packages as raw
// application/xml (the exchange's package limit). Times in answers are ISO 8601 with +07:00.
import { createHash } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { isKysoError, KysoError } from '../errors.ts';
import {
  bindCertificate,
  createAgency,
  getAgency,
  listAgencies,
  listCertificates,
  unbindCertificate,
  updateAgency,
  type Agency,
} from '../exchange/agencies/agency-registry.ts';
import { appendAudit, verifyAuditChain } from '../exchange/audit/audit-log.ts';
import { acknowledge, replayDeadLetter } from '../exchange/messages/message-actions.ts';
import { CASE_STATES, CASE_STATE_LABELS, isCaseOverdue, type CaseState } from '../exchange/pakn/case-states.ts';
import {
  actorOf,
  amendRouting,
  caseForPrincipal,
  citizenAnswer,
  citizenView,
  classifyCase,
  publishCase,
  rejectCase,
  replyToCase,
  reportStatus,
  requestRecall,
  returnCase,
  routeCase,
  submitCase,
  type CitizenView,
} from '../exchange/pakn/case-service.ts';
import { listCases, type PaknCase } from '../exchange/pakn/cases.ts';
import { DEFAULT_MAX_PACKAGE_BYTES, receiveMessage, type ReceiveResult } from '../exchange/intake/receive-message.ts';
import { acknowledgeMessage, getMessage, listCaseMessages, listInbox, listOutbox, type Message } from '../exchange/messages/messages.ts';
import type { ExchangeRuntime } from '../exchange/runtime.ts';
import { pemBlocks } from '../pki/certificate.ts';
import { createApiKey, revokeApiKey, type ApiPrincipal, type ApiRole } from '../store/api-key.ts';
import { isoVn } from '../util/vn-time.ts';
import { authorize, principalOf, type Audience } from './auth.ts';
import { limitOf, send, type Reply, type RouteRow } from './route-table.ts';
import { checkIdempotencyKey, findReply, requestHash, storeReply } from '../store/idempotency.ts';
import { NOTIFICATION_ROUTES } from './notification-routes.ts';
import { HttpProblemError, statusFor } from './problem.ts';


export type { Reply } from './route-table.ts';

export type RouteSpec = RouteRow<ExchangeRuntime, 'json' | 'json-large' | 'xml' | 'pem'>;

const MiB = 1024 * 1024;

// ---- presentation -------------------------------------------------------------------------------------------

const t = (d: Date | null | undefined): string | null => (d ? isoVn(d) : null);

/** Why a deadline is marked tạm tính (computed on a provisional holiday table), or null for a final one. */
function provisionalNote(provisional: boolean, years: number[]): { vi: string; en: string } | null {
  if (!provisional) return null;
  const y = years.length ? years.join(', ') : '';
  return {
    vi: `Hạn tạm tính: lịch nghỉ lễ, Tết chính thức${y ? ` năm ${y}` : ''} của cơ quan nhà nước chưa được công bố; hạn được tính theo Bộ luật Lao động và âm lịch và sẽ được tính lại khi có lịch chính thức.`,
    en: `Provisional deadline: the official public-sector holiday schedule${y ? ` for ${y}` : ''} has not been published; it is computed from the Labour Code and the lunar calendar and will be recomputed once the official schedule is available.`,
  };
}

export function presentCase(c: PaknCase, now = new Date()): Record<string, unknown> {
  return {
    id: c.id,
    code: c.code,
    state: c.state,
    stateLabel: CASE_STATE_LABELS[c.state],
    stateReason: c.stateReason,
    title: c.title,
    content: c.content,
    submitter: c.submitter,
    attachments: c.attachments,
    category: c.category,
    leadAgency: c.leadAgency,
    receivedAt: t(c.receivedAt),
    transferDueAt: t(c.transferDueAt),
    answerDueAt: t(c.answerDueAt),
    transferDueProvisional: c.transferDueProvisional,
    answerDueProvisional: c.answerDueProvisional,
    provisionalCalendarYears: c.provisionalCalendarYears,
    deadlineNote: provisionalNote(c.answerDueProvisional || c.transferDueProvisional, c.provisionalCalendarYears),
    overdue: isCaseOverdue(c, now),
    lastProgressAt: t(c.lastProgressAt),
    nextProgressDueAt: t(c.nextProgressDueAt),
    routingMessageId: c.routingMessageId,
    routingDocumentId: c.routingDocumentId,
    replyMessageId: c.replyMessageId,
    answerSha256: c.answerBlob,
    publishedAt: t(c.publishedAt),
    version: c.version,
  };
}

export function presentMessage(m: Message): Record<string, unknown> {
  return {
    id: m.id,
    kind: m.kind,
    from: m.fromAgency,
    to: m.toAgency,
    documentId: m.documentId,
    businessType: m.businessType,
    statusCode: m.statusCode,
    responseFor: m.responseFor,
    purpose: m.purpose,
    caseId: m.caseId,
    status: m.status,
    statusReason: m.statusReason,
    packageSha256: m.packageSha256,
    subject: m.header?.Subject ?? null,
    verification: m.verification,
    acknowledgedAt: t(m.acknowledgedAt),
    createdAt: t(m.createdAt),
    updatedAt: t(m.updatedAt),
  };
}

function presentReceipt(r: ReceiveResult): Record<string, unknown> {
  return {
    accepted: r.accepted,
    duplicate: r.duplicate,
    kind: r.kind,
    messages: r.messages.map(presentMessage),
    receipts: r.receipts.map(presentMessage),
    verification: r.report,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

const presentAgency = (a: Agency) => ({ id: a.id, name: a.name, kind: a.kind, deliveryMode: a.deliveryMode, webhookUrl: a.webhookUrl, organization: a.organization });

function presentCitizen(v: CitizenView, code: string): Record<string, unknown> {
  return {
    code: v.code,
    state: v.state,
    stateLabel: v.stateLabel,
    title: v.title,
    receivedAt: t(v.receivedAt),
    answerDueAt: t(v.answerDueAt),
    answerDueProvisional: v.answerDueProvisional,
    answerDueNote: provisionalNote(v.answerDueProvisional, v.provisionalCalendarYears),
    agency: v.agency ?? null,
    publishedAt: t(v.publishedAt ?? null),
    answer: v.answer ? { sha256: v.answer.sha256, href: `/api/v1/public/cases/${code}/answer`, verify: '/api/v1/verify' } : null,
  };
}

// ---- request helpers ------------------------------------------------------------------------------------

function bodyObject(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (typeof b !== 'object' || b === null || Array.isArray(b) || Buffer.isBuffer(b)) {
    throw new HttpProblemError('BAD_REQUEST', 'Cần nội dung JSON (Content-Type: application/json) là một đối tượng', 'A JSON object body is required (Content-Type: application/json)');
  }
  return b as Record<string, unknown>;
}

function str(b: Record<string, unknown>, name: string, required = true): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) {
    if (required) throw new KysoError('INVALID_ARGUMENT', `Thiếu trường ${name}`, `Missing field ${name}`);
    return undefined;
  }
  if (typeof v !== 'string') throw new KysoError('INVALID_ARGUMENT', `Trường ${name} phải là chuỗi`, `Field ${name} must be a string`);
  return v;
}

const param = (req: Request, name: string): string => String((req.params as Record<string, string>)[name] ?? '');

function accessKeyOf(req: Request): string {
  const h = req.headers['x-access-key'];
  const q = req.query.key;
  const k = typeof h === 'string' ? h : typeof q === 'string' ? q : '';
  if (!k) throw new HttpProblemError('UNAUTHORIZED', 'Cần mã truy cập của hồ sơ (tiêu đề X-Access-Key)', 'The case access key is required (X-Access-Key header)');
  return k;
}

async function messageForPrincipal(rt: ExchangeRuntime, p: ApiPrincipal, id: string): Promise<Message> {
  const m = await getMessage(rt.db, id);
  // Only the sender and the recipient see a message; anyone else gets the same 404 as for a missing one.
  if (!m || !p.agencyId || (m.fromAgency !== p.agencyId && m.toAgency !== p.agencyId)) {
    throw new KysoError('NOT_FOUND', `Không tìm thấy thông điệp ${id}`, `Message ${id} not found`);
  }
  return m;
}

/**
 * The queues, for the operator's Redis-backed views. While the connection is down its commands would wait for it
 * (BullMQ needs maxRetriesPerRequest: null), so the request answers 503 at once instead of hanging.
 */
function requireRedis(rt: ExchangeRuntime): ExchangeRuntime['queues'] {
  const status = rt.queues.connection.status;
  if (status !== 'ready') {
    throw new KysoError('REDIS_UNAVAILABLE', `Hàng đợi (Redis) tạm thời không sẵn sàng (kết nối: ${status}); hãy thử lại sau`, `The queue (Redis) is unavailable (connection ${status}); try again later`);
  }
  return rt.queues;
}

function decodeAttachments(v: unknown): { name: string; mediaType: string; bytes: Uint8Array }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new KysoError('INVALID_ARGUMENT', 'attachments phải là mảng', 'attachments must be an array');
  return v.map((a, i) => {
    const o = (a ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || typeof o.mediaType !== 'string' || typeof o.contentBase64 !== 'string') {
      throw new KysoError('INVALID_ARGUMENT', `attachments[${i}] cần name, mediaType, contentBase64`, `attachments[${i}] needs name, mediaType, contentBase64`);
    }
    if (!/^[A-Za-z0-9+/=\s]*$/.test(o.contentBase64)) throw new KysoError('INVALID_ARGUMENT', `attachments[${i}].contentBase64 không phải base64`, `attachments[${i}].contentBase64 is not base64`);
    return { name: o.name, mediaType: o.mediaType, bytes: new Uint8Array(Buffer.from(o.contentBase64, 'base64')) };
  });
}

// ---- the routes -------------------------------------------------------------------------------------------

const VPCP: readonly Audience[] = ['vpcp'];
const AGENCIES: readonly Audience[] = ['agency', 'vpcp'];
const CASE_READERS: readonly Audience[] = ['agency', 'vpcp'];
const ADMIN: readonly Audience[] = ['admin'];
const EVERYONE: readonly Audience[] = ['agency', 'vpcp', 'admin'];
const PUBLIC: readonly Audience[] = ['public'];

function caseAction(path: string, summary: string, run: (rt: ExchangeRuntime, p: ApiPrincipal, ref: string, b: Record<string, unknown>) => Promise<unknown>): RouteSpec {
  return {
    method: 'post',
    path,
    roles: VPCP,
    body: 'json',
    idempotent: true,
    summary,
    handler: async (req, res, rt) => ({ json: await run(rt, principalOf(res), param(req, 'ref'), req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}) }),
  };
}

export const ROUTES: readonly RouteSpec[] = [
  // -- citizens (public) --
  {
    method: 'post',
    path: '/api/v1/public/cases',
    roles: PUBLIC,
    body: 'json-large',
    idempotent: true,
    summary: 'Gửi phản ánh, kiến nghị (submit feedback)',
    handler: async (req, _res, rt) => {
      const b = bodyObject(req);
      const r = await submitCase(rt.ctx, b, { attachments: decodeAttachments(b.attachments) });
      return {
        status: 201,
        json: {
          code: r.case.code,
          accessKey: r.accessKey,
          state: r.case.state,
          stateLabel: CASE_STATE_LABELS[r.case.state],
          receivedAt: t(r.case.receivedAt),
          answerDueAt: t(r.case.answerDueAt),
          answerDueProvisional: r.case.answerDueProvisional,
          answerDueNote: provisionalNote(r.case.answerDueProvisional, r.case.provisionalCalendarYears),
          note: {
            vi: 'Hãy lưu mã hồ sơ và mã truy cập: mã truy cập chỉ hiển thị một lần.',
            en: 'Keep the case code and the access key: the access key is shown only once.',
          },
          links: { self: `/api/v1/public/cases/${r.case.code}` },
        },
        headers: { Location: `/api/v1/public/cases/${r.case.code}` },
      };
    },
  },
  {
    method: 'get',
    path: '/api/v1/public/cases/:code',
    roles: PUBLIC,
    summary: 'Tra cứu hồ sơ (case lookup with the access key)',
    handler: async (req, _res, rt) => ({ json: presentCitizen(await citizenView(rt.ctx, param(req, 'code'), accessKeyOf(req)), param(req, 'code')) }),
  },
  {
    method: 'get',
    path: '/api/v1/public/cases/:code/answer',
    roles: PUBLIC,
    summary: 'Tải văn bản trả lời đã ký (download the signed answer)',
    handler: async (req, _res, rt) => {
      const a = await citizenAnswer(rt.ctx, param(req, 'code'), accessKeyOf(req), req.ip);
      return { bytes: a.bytes, contentType: 'application/pdf', headers: { 'Content-Disposition': `attachment; filename="${a.name}"`, 'X-Content-SHA256': a.sha256 } };
    },
  },

  // -- who am I, the directory --
  {
    method: 'get',
    path: '/api/v1/me',
    roles: EVERYONE,
    summary: 'Khóa API đang dùng (the calling key)',
    handler: async (_req, res, rt) => {
      const p = principalOf(res);
      const agency = p.agencyId ? await getAgency(rt.db, p.agencyId) : undefined;
      return { json: { keyId: p.keyId, role: p.role, agency: agency ? presentAgency(agency) : null } };
    },
  },
  {
    method: 'get',
    path: '/api/v1/agencies',
    roles: EVERYONE,
    summary: 'Danh bạ cơ quan (agency directory)',
    handler: async (_req, _res, rt) => ({ json: { agencies: (await listAgencies(rt.db)).map(presentAgency) } }),
  },

  // -- cases --
  {
    method: 'get',
    path: '/api/v1/cases',
    roles: CASE_READERS,
    summary: 'Danh sách hồ sơ (VPCP: tất cả; cơ quan: hồ sơ được chuyển tới)',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const state = typeof req.query.state === 'string' ? (req.query.state as CaseState) : undefined;
      if (state && !CASE_STATES.includes(state)) throw new KysoError('INVALID_ARGUMENT', `Trạng thái không hợp lệ: ${state}`, `Invalid state: ${state}`);
      const cases = await listCases(rt.db, {
        ...(p.role === 'agency' ? { agencyId: p.agencyId! } : {}),
        ...(state ? { state } : {}),
        ...(req.query.overdue === 'true' ? { overdue: true } : {}),
        ...(limitOf(req) ? { limit: limitOf(req)! } : {}),
      });
      return { json: { cases: cases.map((c) => presentCase(c)) } };
    },
  },
  {
    method: 'get',
    path: '/api/v1/cases/:ref',
    roles: CASE_READERS,
    summary: 'Chi tiết hồ sơ',
    handler: async (req, res, rt) => ({ json: presentCase(await caseForPrincipal(rt.ctx, principalOf(res), param(req, 'ref'))) }),
  },
  {
    method: 'get',
    path: '/api/v1/cases/:ref/messages',
    roles: CASE_READERS,
    summary: 'Các gói tin của hồ sơ',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const c = await caseForPrincipal(rt.ctx, p, param(req, 'ref'));
      const all = await listCaseMessages(rt.db, c.id);
      const mine = p.role === 'vpcp' ? all : all.filter((m) => m.fromAgency === p.agencyId || m.toAgency === p.agencyId);
      return { json: { messages: mine.map(presentMessage) } };
    },
  },
  caseAction('/api/v1/cases/:ref/classify', 'Phân loại hồ sơ', async (rt, p, ref, b) =>
    presentCase(await classifyCase(rt.ctx, p, ref, { ...(str(b, 'category', false) ? { category: str(b, 'category', false)! } : {}), ...(str(b, 'leadAgency', false) ? { leadAgency: str(b, 'leadAgency', false)! } : {}) })),
  ),
  caseAction('/api/v1/cases/:ref/reject', 'Không tiếp nhận (Nghị định 20 Điều 7)', async (rt, p, ref, b) => presentCase(await rejectCase(rt.ctx, p, ref, str(b, 'reason')!))),
  caseAction('/api/v1/cases/:ref/route', 'Chuyển hồ sơ tới cơ quan có thẩm quyền (công văn ký số + gói tin edXML)', async (rt, p, ref, b) => {
    const r = await routeCase(rt.ctx, p, ref, { agencyId: str(b, 'agencyId')!, ...(str(b, 'category', false) ? { category: str(b, 'category', false)! } : {}), ...(str(b, 'note', false) ? { note: str(b, 'note', false)! } : {}) });
    return { case: presentCase(r.case), message: presentMessage(r.message), documentId: r.documentId, receipt: r.receipt ? presentMessage(r.receipt) : null };
  }),
  ...(['recall', 'update', 'replace'] as const).map((kind) =>
    caseAction(`/api/v1/cases/:ref/${kind}`, `${kind === 'recall' ? 'Thu hồi' : kind === 'update' ? 'Cập nhật' : 'Thay thế'} văn bản chuyển (${kind})`, async (rt, p, ref, b) => {
      const r = await amendRouting(rt.ctx, p, ref, kind, { reason: str(b, 'reason')!, ...(str(b, 'note', false) ? { note: str(b, 'note', false)! } : {}) });
      return { message: presentMessage(r.message), documentId: r.documentId };
    }),
  ),
  caseAction('/api/v1/cases/:ref/recall-request', 'Yêu cầu thu hồi văn bản chuyển (trạng thái 13; cơ quan trả lời 14/16)', async (rt, p, ref, b) =>
    presentReceipt(await requestRecall(rt.ctx, p, ref, str(b, 'reason')!)),
  ),
  caseAction('/api/v1/cases/:ref/publish', 'Công khai văn bản trả lời', async (rt, p, ref) => presentCase(await publishCase(rt.ctx, p, ref))),
  caseAction('/api/v1/cases/:ref/return', 'Trả lại văn bản trả lời (không đúng nội dung)', async (rt, p, ref, b) => presentCase(await returnCase(rt.ctx, p, ref, str(b, 'reason')!))),
  {
    method: 'post',
    path: '/api/v1/cases/:ref/reply',
    roles: ['agency'],
    body: 'json',
    idempotent: true,
    summary: 'Trả lời hồ sơ (cơ quan chủ trì): công văn trả lời ký số gửi VPCP',
    handler: async (req, res, rt) => {
      const b = bodyObject(req);
      const answer = b.answer;
      if (typeof answer !== 'string' && !(Array.isArray(answer) && answer.every((x) => typeof x === 'string'))) {
        throw new KysoError('INVALID_ARGUMENT', 'answer phải là chuỗi hoặc mảng chuỗi', 'answer must be a string or an array of strings');
      }
      const r = await replyToCase(rt.ctx, principalOf(res), param(req, 'ref'), { answer, ...(str(b, 'symbol', false) ? { symbol: str(b, 'symbol', false)! } : {}) });
      return { status: r.accepted ? 201 : 422, json: presentReceipt(r) };
    },
  },

  // -- messages --
  {
    method: 'post',
    path: '/api/v1/messages',
    roles: AGENCIES,
    body: 'xml',
    summary: 'Gửi gói tin edXML đã ký (văn bản hoặc trạng thái)',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const bytes = req.body as unknown;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
        throw new HttpProblemError('UNSUPPORTED_MEDIA_TYPE', 'Gửi gói tin với Content-Type: application/xml', 'Send the package with Content-Type: application/xml');
      }
      const key = checkIdempotencyKey(typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined);
      // For the audit entries of a refusal or a resend only: receipt hashes the bytes itself.
      const sha = () => createHash('sha256').update(bytes).digest('hex');
      const receive = async (): Promise<ReceiveResult> => {
        const r = await receiveMessage(rt.ctx, { sender: p.agencyId!, actor: actorOf(p), bytes: new Uint8Array(bytes), ...(key ? { idempotencyKey: key, keyNamesBytes: true } : {}) });
        if (!r.duplicate) return r;
        const first = r.messages[0]!;
        await appendAudit(rt.db, { actor: actorOf(p), action: 'message.duplicate', subject: first.id, documentSha256: sha(), details: { sender: p.agencyId!, ...(key ? { idempotencyKey: key } : {}), reason: 'resent: nothing new stored or delivered' } });
        return r;
      };
      const r = await receive().catch(async (e: unknown) => {
        // Refused before anything is stored (another sender in From, an unknown recipient, unreadable edXML):
        // the audit log still shows who tried what and why, by the hash of the bytes.
        if (isKysoError(e) && statusFor(e.code) < 500) {
          await appendAudit(rt.db, { actor: actorOf(p), action: 'message.refused', subject: p.agencyId!, documentSha256: sha(), details: { sender: p.agencyId!, code: e.code, reason: e.en } });
        }
        throw e;
      });
      if (!r.accepted) {
        throw new HttpProblemError('PACKAGE_REJECTED', `Gói tin bị từ chối: ${r.reason?.vi ?? ''}`, `Package rejected: ${r.reason?.en ?? ''}`, {}, presentReceipt(r));
      }
      return { status: r.duplicate ? 200 : 202, json: presentReceipt(r) };
    },
  },
  {
    method: 'get',
    path: '/api/v1/inbox',
    roles: AGENCIES,
    summary: 'Hộp thư đến (gói tin chờ nhận)',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const status = req.query.all === 'true' ? undefined : ('delivered' as const);
      const list = await listInbox(rt.db, p.agencyId!, { ...(status ? { status } : {}), ...(limitOf(req) ? { limit: limitOf(req)! } : {}) });
      return { json: { messages: list.map(presentMessage) } };
    },
  },
  {
    method: 'get',
    path: '/api/v1/outbox',
    roles: AGENCIES,
    summary: 'Hộp thư đi',
    handler: async (req, res, rt) => ({ json: { messages: (await listOutbox(rt.db, principalOf(res).agencyId!, { ...(limitOf(req) ? { limit: limitOf(req)! } : {}) })).map(presentMessage) } }),
  },
  {
    method: 'get',
    path: '/api/v1/messages/:id',
    roles: AGENCIES,
    summary: 'Thông tin gói tin',
    handler: async (req, res, rt) => ({ json: presentMessage(await messageForPrincipal(rt, principalOf(res), param(req, 'id'))) }),
  },
  {
    method: 'get',
    path: '/api/v1/messages/:id/package',
    roles: AGENCIES,
    summary: 'Tải gói tin edXML (nguyên văn)',
    handler: async (req, res, rt) => {
      const m = await messageForPrincipal(rt, principalOf(res), param(req, 'id'));
      return { bytes: await rt.blobs.get(m.packageSha256), contentType: 'application/xml', headers: { 'X-Kyso-Message-Id': m.id, 'X-Content-SHA256': m.packageSha256 } };
    },
  },
  {
    method: 'post',
    path: '/api/v1/messages/:id/ack',
    roles: AGENCIES,
    summary: 'Xác nhận đã nhận gói tin (pull)',
    handler: async (req, res, rt) => {
      const p = principalOf(res);
      const m = await messageForPrincipal(rt, p, param(req, 'id'));
      if (m.toAgency !== p.agencyId) throw new KysoError('FORBIDDEN', 'Chỉ cơ quan nhận được xác nhận', 'Only the recipient can acknowledge');
      return { json: presentMessage(await acknowledge(rt.db, m, actorOf(p))) };
    },
  },
  {
    method: 'post',
    path: '/api/v1/messages/:id/status',
    roles: AGENCIES,
    body: 'json',
    idempotent: true,
    summary: 'Báo trạng thái xử lý (02–06, 14, 16), ký số bằng con dấu cơ quan',
    handler: async (req, res, rt) => {
      const b = bodyObject(req);
      const r = await reportStatus(rt.ctx, principalOf(res), param(req, 'id'), {
        code: str(b, 'code')!,
        ...(str(b, 'description', false) ? { description: str(b, 'description', false)! } : {}),
        ...(b.staff && typeof b.staff === 'object' ? { staff: b.staff as Record<string, string> } : {}),
      });
      return { status: r.duplicate ? 200 : 202, json: presentReceipt(r) };
    },
  },

  // -- administration --
  {
    method: 'post',
    path: '/api/v1/agencies',
    roles: ADMIN,
    body: 'json',
    summary: 'Đăng ký cơ quan',
    handler: async (req, res, rt) => {
      const b = bodyObject(req);
      const a = await createAgency(rt.db, {
        id: str(b, 'id')!,
        name: str(b, 'name')!,
        ...(b.deliveryMode ? { deliveryMode: b.deliveryMode as 'pull' | 'push' } : {}),
        ...(b.webhookUrl ? { webhookUrl: str(b, 'webhookUrl')! } : {}),
        ...(b.organization && typeof b.organization === 'object' ? { organization: b.organization as Record<string, string> } : {}),
      }).catch((e: unknown) => {
        if ((e as { code?: string }).code === 'DB_CONFLICT') throw new KysoError('DB_CONFLICT', `Cơ quan ${String(b.id)} đã có`, `Agency ${String(b.id)} already exists`);
        throw e;
      });
      rt.watchAgency(a.id);
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'agency.created', subject: a.id, details: { name: a.name, deliveryMode: a.deliveryMode } });
      return { status: 201, json: presentAgency(a) };
    },
  },
  {
    method: 'get',
    path: '/api/v1/agencies/:id',
    roles: EVERYONE,
    summary: 'Thông tin cơ quan',
    handler: async (req, _res, rt) => {
      const a = await getAgency(rt.db, param(req, 'id'));
      if (!a) throw new KysoError('NOT_FOUND', `Không có cơ quan ${param(req, 'id')}`, `No agency ${param(req, 'id')}`);
      return { json: { ...presentAgency(a), certificates: (await listCertificates(rt.db, a.id)).map((c) => ({ ...c, notAfter: t(c.notAfter) })) } };
    },
  },
  {
    method: 'patch',
    path: '/api/v1/agencies/:id',
    roles: ADMIN,
    body: 'json',
    summary: 'Sửa cách nhận / webhook / tên cơ quan',
    handler: async (req, res, rt) => {
      const b = bodyObject(req);
      const a = await updateAgency(rt.db, param(req, 'id'), {
        ...(b.name !== undefined ? { name: str(b, 'name')! } : {}),
        ...(b.deliveryMode !== undefined ? { deliveryMode: b.deliveryMode as 'pull' | 'push' } : {}),
        ...(b.webhookUrl !== undefined ? { webhookUrl: b.webhookUrl === null ? null : str(b, 'webhookUrl')! } : {}),
        ...(b.organization && typeof b.organization === 'object' ? { organization: b.organization as Record<string, string> } : {}),
      });
      if (!a) throw new KysoError('NOT_FOUND', `Không có cơ quan ${param(req, 'id')}`, `No agency ${param(req, 'id')}`);
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'agency.updated', subject: a.id, details: { deliveryMode: a.deliveryMode, webhookUrl: a.webhookUrl } });
      return { json: presentAgency(a) };
    },
  },
  {
    method: 'post',
    path: '/api/v1/agencies/:id/certificates',
    roles: ADMIN,
    body: 'pem',
    summary: 'Gắn chứng thư số với cơ quan (PEM)',
    handler: async (req, res, rt) => {
      const id = param(req, 'id');
      if (!(await getAgency(rt.db, id))) throw new KysoError('NOT_FOUND', `Không có cơ quan ${id}`, `No agency ${id}`);
      const text = Buffer.isBuffer(req.body) ? req.body.toString('latin1') : '';
      const ders = text.includes('-----BEGIN') ? pemBlocks(text) : Buffer.isBuffer(req.body) && req.body.length ? [new Uint8Array(req.body)] : [];
      if (ders.length === 0) throw new KysoError('INVALID_ARGUMENT', 'Gửi chứng thư số PEM hoặc DER', 'Send a PEM or DER certificate');
      const bound = [];
      for (const der of ders) bound.push(await bindCertificate(rt.db, id, der));
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'agency.certificate_bound', subject: id, details: { certificates: bound.map((b) => b.sha256) } });
      return { status: 201, json: { certificates: bound.map((b) => ({ ...b, notAfter: t(b.notAfter) })) } };
    },
  },
  {
    method: 'delete',
    path: '/api/v1/agencies/:id/certificates/:sha256',
    roles: ADMIN,
    summary: 'Gỡ chứng thư số khỏi cơ quan',
    handler: async (req, res, rt) => {
      const ok = await unbindCertificate(rt.db, param(req, 'id'), param(req, 'sha256'));
      if (!ok) throw new KysoError('NOT_FOUND', 'Không có chứng thư số này', 'No such certificate');
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'agency.certificate_unbound', subject: param(req, 'id'), details: { certificate: param(req, 'sha256') } });
      return { status: 204 };
    },
  },
  {
    method: 'post',
    path: '/api/v1/agencies/:id/api-keys',
    roles: ADMIN,
    body: 'json',
    summary: 'Cấp khóa API cho cơ quan (hiển thị một lần)',
    handler: async (req, res, rt) => {
      const a = await getAgency(rt.db, param(req, 'id'));
      if (!a) throw new KysoError('NOT_FOUND', `Không có cơ quan ${param(req, 'id')}`, `No agency ${param(req, 'id')}`);
      const role: ApiRole = a.kind === 'vpcp' ? 'vpcp' : 'agency';
      const k = await createApiKey(rt.db, { role, agencyId: a.id });
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'api_key.created', subject: k.keyId, details: { agency: a.id, role } });
      return { status: 201, json: { keyId: k.keyId, role: k.role, agencyId: k.agencyId, key: k.key } };
    },
  },
  {
    method: 'delete',
    path: '/api/v1/api-keys/:keyId',
    roles: ADMIN,
    summary: 'Thu hồi khóa API',
    handler: async (req, res, rt) => {
      const ok = await revokeApiKey(rt.db, param(req, 'keyId'));
      if (!ok) throw new KysoError('NOT_FOUND', 'Không có khóa API này', 'No such API key');
      await appendAudit(rt.db, { actor: actorOf(principalOf(res)), action: 'api_key.revoked', subject: param(req, 'keyId') });
      return { status: 204 };
    },
  },
  {
    method: 'get',
    path: '/api/v1/admin/dead-letters',
    roles: ADMIN,
    summary: 'Gói tin không chuyển được (dead letters)',
    handler: async (_req, _res, rt) => ({ json: { deadLetters: (await requireRedis(rt).listDead()).map((d) => ({ ...d, failedAt: t(new Date(d.failedAt)) })) } }),
  },
  {
    method: 'post',
    path: '/api/v1/admin/dead-letters/:id/replay',
    roles: ADMIN,
    summary: 'Chuyển lại một gói tin (replay)',
    handler: async (req, res, rt) => {
      const id = param(req, 'id');
      const ok = await replayDeadLetter(requireRedis(rt), rt.db, id, actorOf(principalOf(res)));
      if (!ok) throw new KysoError('NOT_FOUND', `Không có gói tin ${id} trong danh sách không chuyển được`, `Message ${id} is not dead-lettered`);
      return { status: 202, json: { messageId: id, replayed: true } };
    },
  },
  {
    method: 'get',
    path: '/api/v1/admin/audit/verify',
    roles: ADMIN,
    summary: 'Kiểm tra chuỗi nhật ký kiểm toán',
    handler: async (_req, _res, rt) => ({ json: await verifyAuditChain(rt.db) }),
  },
  ...NOTIFICATION_ROUTES,
];

function bodyParser(spec: RouteSpec, maxPackageBytes: number) {
  switch (spec.body) {
    case 'json':
      return express.json({ limit: MiB, strict: true });
    case 'json-large':
      return express.json({ limit: 30 * MiB, strict: true });
    case 'xml':
      return express.raw({ type: ['application/xml', 'text/xml'], limit: maxPackageBytes });
    case 'pem':
      return express.raw({ type: () => true, limit: 64 * 1024 });
    default:
      return (_req: Request, _res: Response, next: NextFunction) => next();
  }
}

/** Mounts ROUTES on an express app (before its 404 handler). */
export function mountExchangeApi(app: Express, rt: ExchangeRuntime): void {
  const maxPackage = rt.ctx.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  for (const spec of ROUTES) {
    app[spec.method](spec.path, authorize(rt.db, spec.roles), bodyParser(spec, maxPackage), async (req: Request, res: Response) => {
      const key = spec.idempotent ? checkIdempotencyKey(typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined) : undefined;
      if (!key) return send(res, await spec.handler(req, res, rt));
      const who = (res.locals.principal as ApiPrincipal | undefined)?.keyId ?? 'public';
      const hash = requestHash(req.method, req.originalUrl, req.body);
      const stored = await findReply(rt.db, who, key, hash);
      if (stored) return send(res, { status: stored.status, json: stored.body, headers: { 'Idempotent-Replayed': 'true' } });
      const reply = await spec.handler(req, res, rt);
      if (reply.json !== undefined && (reply.status ?? 200) < 500) await storeReply(rt.db, who, key, hash, { status: reply.status ?? 200, body: reply.json });
      send(res, reply);
    });
  }
}
