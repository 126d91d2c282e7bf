// The PAKN flow as operations (issue 5, Flow): what the HTTP API and the CLI call. Each operation checks who
// may do it, then works through the store and receiveMessage, so a package the service builds is verified and
// recorded exactly like one an agency posts.
//
//   submitCase          citizen → case RECEIVED (+ access key, deadlines)
//   classifyCase        VPCP: category (and proposed lead agency)
//   rejectCase          VPCP: not accepted (Decree 20 Art. 7), with the reason
//   routeCase           VPCP: routing letter (signed by the competent person + VPCP seal) in a signed edXML
//                       package (type 0) to the competent agency → TRANSFERRED
//   amendRouting        VPCP: recall (type 1), update (2) or replace (3); the agency answers 14 / 16
//   reportStatus        agency: 02–06, 14, 16 on a package it received, signed with its seal
//   replyToCase         agency: reply letter (person + seal) in a package answering the routing document
//   publishCase         VPCP: the answer becomes public; the citizen can download the signed PDF
//   returnCase          VPCP: status 02 on the reply — the answer does not match the question
//   citizenView/Answer  citizen with the access key; every download is audited
import { KysoError } from '../../errors.ts';
import type { ApiPrincipal } from '../../store/api-key.ts';
import { getAgency, getVpcp, type Agency } from '../agencies/agency-registry.ts';
import type { AgencySigner } from '../agencies/agency-signers.ts';
import { archiveDocument, runArchivePass } from '../archive/archive.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import { STATUS_CODE_LIST, type StatusCode, type StaffInfo } from '../edxml/model.ts';
import { parseEdxmlPackage } from '../edxml/parse.ts';
import { nowOf, type ExchangeContext } from '../exchange-context.ts';
import { receiveMessage, type ReceiveResult } from '../intake/receive-message.ts';
import { signedStatusPacket, responseForOf } from '../intake/status-issuer.ts';
import { getMessage, type Message } from '../messages/messages.ts';
import { CASE_STATE_LABELS, nextState, type CaseEvent } from './case-states.ts';
import { applyCaseEvent, caseForCitizen, checkSubmission, getCase, insertCase, type CaseAttachment, type PaknCase } from './cases.ts';
import { composeReplyLetter, composeRoutingLetter, type LetterSignatory } from './letters.ts';
import { nextDocumentNumber, buildSignedPackage } from './package-builder.ts';
import { signLetter } from './sign-letter.ts';

export const actorOf = (p: ApiPrincipal): string => `key:${p.keyId}`;

function forbidden(vi: string, en: string): KysoError {
  return new KysoError('FORBIDDEN', vi, en);
}

function notFound(what: string): KysoError {
  return new KysoError('NOT_FOUND', `Không tìm thấy ${what}`, `${what} not found`);
}

function requireVpcp(p: ApiPrincipal): void {
  if (p.role !== 'vpcp') throw forbidden('Chỉ Văn phòng Chính phủ được thực hiện thao tác này', 'Only the Government Office (VPCP) may do this');
}

function requireAgency(p: ApiPrincipal): string {
  if (!p.agencyId || (p.role !== 'agency' && p.role !== 'vpcp')) throw forbidden('Cần khóa API của một cơ quan', 'An agency API key is required');
  return p.agencyId;
}

async function loadCase(ctx: ExchangeContext, ref: string): Promise<PaknCase> {
  const c = await getCase(ctx.db, ref);
  if (!c) throw notFound(`hồ sơ ${ref}`);
  return c;
}

/** Who may read a case: VPCP and admins all; an agency only the cases routed to it. */
export function canSeeCase(p: ApiPrincipal, c: PaknCase): boolean {
  if (p.role === 'vpcp' || p.role === 'admin') return true;
  return p.role === 'agency' && !!p.agencyId && c.leadAgency === p.agencyId && c.routingMessageId !== null;
}

export async function caseForPrincipal(ctx: ExchangeContext, p: ApiPrincipal, ref: string): Promise<PaknCase> {
  const c = await getCase(ctx.db, ref);
  // Not found and not yours look the same: an agency cannot probe for other agencies' case codes.
  if (!c || !canSeeCase(p, c)) throw notFound(`hồ sơ ${ref}`);
  return c;
}

function ensureAllowed(c: PaknCase, event: CaseEvent): void {
  if (!nextState(c.state, event)) {
    const l = CASE_STATE_LABELS[c.state];
    throw new KysoError('CASE_STATE', `Hồ sơ ${c.code} đang ở trạng thái "${l.vi}", không thể thực hiện (${event})`, `Case ${c.code} is ${c.state} (${l.en}); "${event}" is not allowed`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Citizen

export interface SubmitOptions {
  attachments?: { name: string; mediaType: string; bytes: Uint8Array }[];
}

const ATTACHMENT_TYPES = new Set(['application/pdf', 'image/jpeg', 'image/png']);
const MAX_ATTACHMENTS = 5;
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export async function submitCase(ctx: ExchangeContext, body: unknown, opts: SubmitOptions = {}): Promise<{ case: PaknCase; accessKey: string }> {
  const input = checkSubmission(body);
  const files = opts.attachments ?? [];
  if (files.length > MAX_ATTACHMENTS) throw new KysoError('INVALID_ARGUMENT', `Tối đa ${MAX_ATTACHMENTS} tệp đính kèm`, `At most ${MAX_ATTACHMENTS} attachments`);
  const attachments: CaseAttachment[] = [];
  for (const f of files) {
    if (!ATTACHMENT_TYPES.has(f.mediaType)) throw new KysoError('INVALID_ARGUMENT', `Loại tệp không được nhận: ${f.mediaType} (chỉ PDF, JPEG, PNG)`, `File type not accepted: ${f.mediaType} (PDF, JPEG, PNG only)`);
    if (f.bytes.length > MAX_ATTACHMENT_BYTES) throw new KysoError('INVALID_ARGUMENT', `Tệp ${f.name} lớn hơn 10 MB`, `File ${f.name} is larger than 10 MB`);
    const sha256 = await ctx.blobs.put(f.bytes, f.mediaType);
    attachments.push({ sha256, name: f.name.slice(0, 200), mediaType: f.mediaType, size: f.bytes.length });
  }
  const now = nowOf(ctx);
  return ctx.db.transaction(async (tx) => {
    const r = await insertCase(tx, { ...input, attachments }, { now, ...(ctx.deadlines ? { policy: ctx.deadlines } : {}) });
    await appendAuditInTx(tx, {
      actor: `citizen:${r.case.code}`,
      action: 'case.submitted',
      subject: r.case.code,
      details: {
        title: r.case.title,
        attachments: attachments.map((a) => a.sha256),
        answerDueAt: r.case.answerDueAt.toISOString(),
        transferDueAt: r.case.transferDueAt.toISOString(),
        ...(r.case.provisionalCalendarYears.length ? { provisionalCalendarYears: r.case.provisionalCalendarYears } : {}),
      },
    });
    return r;
  });
}

export interface CitizenView {
  code: string;
  state: string;
  stateLabel: { vi: string; en: string };
  title: string;
  receivedAt: Date;
  answerDueAt: Date;
  /** The answer deadline rests on a provisional holiday table (tạm tính) and may move. */
  answerDueProvisional: boolean;
  /** The years whose official holiday schedule is still awaited (when provisional). */
  provisionalCalendarYears: number[];
  agency?: { id: string; name: string };
  publishedAt?: Date;
  answer?: { sha256: string; size?: number };
}

export async function citizenView(ctx: ExchangeContext, code: string, accessKey: string): Promise<CitizenView> {
  const c = await caseForCitizen(ctx.db, code, accessKey);
  if (!c) throw notFound(`hồ sơ ${code} (hoặc sai mã truy cập)`);
  const agency = c.leadAgency ? await getAgency(ctx.db, c.leadAgency) : undefined;
  return {
    code: c.code,
    state: c.state,
    stateLabel: CASE_STATE_LABELS[c.state],
    title: c.title,
    receivedAt: c.receivedAt,
    answerDueAt: c.answerDueAt,
    answerDueProvisional: c.answerDueProvisional,
    provisionalCalendarYears: c.answerDueProvisional ? c.provisionalCalendarYears : [],
    ...(agency ? { agency: { id: agency.id, name: agency.name } } : {}),
    ...(c.publishedAt ? { publishedAt: c.publishedAt } : {}),
    ...(c.state === 'PUBLISHED' || c.state === 'CLOSED' ? (c.answerBlob ? { answer: { sha256: c.answerBlob } } : {}) : {}),
  };
}

/** The signed answer PDF, byte for byte; audited (answer.accessed). */
export async function citizenAnswer(ctx: ExchangeContext, code: string, accessKey: string, client?: string): Promise<{ bytes: Uint8Array; sha256: string; name: string }> {
  const c = await caseForCitizen(ctx.db, code, accessKey);
  if (!c) throw notFound(`hồ sơ ${code} (hoặc sai mã truy cập)`);
  if (!c.answerBlob || (c.state !== 'PUBLISHED' && c.state !== 'CLOSED')) throw notFound(`văn bản trả lời của hồ sơ ${code} (chưa công khai)`);
  const bytes = await ctx.blobs.get(c.answerBlob);
  await ctx.db.transaction((tx) =>
    appendAuditInTx(tx, { actor: `citizen:${c.code}`, action: 'answer.accessed', subject: c.code, documentSha256: c.answerBlob!, details: client ? { client } : {} }),
  );
  return { bytes, sha256: c.answerBlob, name: `tra-loi-${c.code}.pdf` };
}

// ---------------------------------------------------------------------------------------------------------------
// VPCP

export async function classifyCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string, body: { category?: string; leadAgency?: string }): Promise<PaknCase> {
  requireVpcp(p);
  if (body.leadAgency && !(await getAgency(ctx.db, body.leadAgency))) throw new KysoError('UNKNOWN_AGENCY', `Cơ quan ${body.leadAgency} không có trong danh bạ`, `Agency ${body.leadAgency} is not in the registry`);
  return ctx.db.transaction(async (tx) => {
    const c = (await getCase(tx, ref, true)) ?? (() => { throw notFound(`hồ sơ ${ref}`); })();
    ensureAllowed(c, 'classify');
    return applyCaseEvent(tx, c, {
      event: 'classify',
      actor: actorOf(p),
      set: { category: body.category?.slice(0, 200) ?? c.category, lead_agency: body.leadAgency ?? c.leadAgency },
      details: { ...(body.category ? { category: body.category } : {}), ...(body.leadAgency ? { leadAgency: body.leadAgency } : {}) },
    });
  });
}

export async function rejectCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string, reason: string): Promise<PaknCase> {
  requireVpcp(p);
  if (typeof reason !== 'string' || reason.trim().length < 3) throw new KysoError('INVALID_ARGUMENT', 'Cần nêu lý do không tiếp nhận', 'A reason for not accepting is required');
  return ctx.db.transaction(async (tx) => {
    const c = (await getCase(tx, ref, true)) ?? (() => { throw notFound(`hồ sơ ${ref}`); })();
    ensureAllowed(c, 'reject');
    return applyCaseEvent(tx, c, { event: 'reject', actor: actorOf(p), reason: reason.trim().slice(0, 2000) });
  });
}

interface Signatories {
  person: AgencySigner;
  seal: AgencySigner;
  signatory: LetterSignatory;
}

async function signatories(ctx: ExchangeContext, agency: Agency): Promise<Signatories> {
  const person = await ctx.signers.require(agency.id, 'person');
  const seal = await ctx.signers.require(agency.id, 'seal');
  return {
    person,
    seal,
    signatory: {
      ...(person.info.Competence ? { competence: person.info.Competence } : {}),
      position: person.info.Position ?? 'Thủ trưởng cơ quan',
      fullName: person.info.FullName ?? '—',
    },
  };
}

const placeOf = (a: Agency): string => (a.organization.OrganAdd?.split(',').at(-1)?.trim() || 'Hà Nội');

// The letter's date is the business clock (ctx.now); the signatures carry the real time of signing — a TSA
// would stamp it anyway — and their OCSP/CRL answers are checked for freshness against it.
async function signedLetter(ctx: ExchangeContext, s: Signatories, letter: { pdf: Uint8Array; signature: Parameters<typeof signLetter>[1]['signatureRect'] }, place: string): Promise<Uint8Array> {
  const signed = await signLetter(letter.pdf, {
    person: { signer: s.person.signer, ...(s.person.image ? { image: s.person.image } : {}), reason: 'Ký ban hành văn bản' },
    seal: { signer: s.seal.signer, ...(s.seal.image ? { image: s.seal.image } : {}), reason: 'Đóng dấu cơ quan' },
    signatureRect: letter.signature,
    location: place,
    // B-LT when a TSA is configured: the chain and OCSP answers from signing time travel inside the letter, so it
    // verifies offline wherever the package goes (and is archived at B-LTA with it).
    ...(ctx.tsaUrl ? { tsa: ctx.tsaUrl, level: 'B-LT' as const } : {}),
    ...(ctx.network ? { network: ctx.network } : {}),
  });
  return new Uint8Array(signed.pdf);
}

/** The VPCP routing letter for a case, composed and signed (competent person, then the VPCP seal). */
async function signedRoutingLetter(
  ctx: ExchangeContext,
  a: { vpcp: Agency; agency: Agency; c: PaknCase; s: Signatories; number: { numberSymbol: string }; at: Date; place: string; extra: (string | undefined)[] },
): Promise<Uint8Array> {
  const { c } = a;
  const letter = composeRoutingLetter({
    issuer: { name: a.vpcp.name },
    to: { name: a.agency.name },
    numberSymbol: a.number.numberSymbol,
    place: a.place,
    date: a.at,
    signatory: a.s.signatory,
    archive: 'VT, KSTT',
    case: { code: c.code, submitter: { name: c.submitter.name, ...(c.submitter.address ? { address: c.submitter.address } : {}) }, subject: c.title, receivedAt: c.receivedAt, summary: [c.content, ...a.extra].filter(Boolean).join('\n') },
    answerDeadline: c.answerDueAt,
  });
  return signedLetter(ctx, a.s, letter, a.place);
}

function ensureAccepted(r: ReceiveResult): ReceiveResult {
  if (!r.accepted) {
    // The service's own package did not verify (a key, trust store or TSA problem): stop, say why.
    throw new KysoError('PACKAGE_REJECTED', `Gói tin do dịch vụ lập không qua được kiểm tra: ${r.reason?.vi ?? ''}`, `The package the service built did not verify: ${r.reason?.en ?? ''}`);
  }
  return r;
}

export interface RouteResult {
  case: PaknCase;
  message: Message;
  documentId: string;
  receipt?: Message;
}

export async function routeCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string, body: { agencyId: string; category?: string; note?: string }): Promise<RouteResult> {
  requireVpcp(p);
  const c = await loadCase(ctx, ref);
  ensureAllowed(c, 'transfer');
  const vpcp = (await getVpcp(ctx.db))!;
  const agency = typeof body.agencyId === 'string' ? await getAgency(ctx.db, body.agencyId) : undefined;
  if (!agency || agency.kind !== 'agency') throw new KysoError('UNKNOWN_AGENCY', `Cơ quan nhận ${String(body.agencyId)} không có trong danh bạ`, `Agency ${String(body.agencyId)} is not in the registry`);
  const at = nowOf(ctx);
  const s = await signatories(ctx, vpcp);
  const number = await ctx.db.transaction((tx) => nextDocumentNumber(tx, vpcp, at, 'VPCP-KSTT'));
  const place = placeOf(vpcp);
  const pdf = await signedRoutingLetter(ctx, { vpcp, agency, c, s, number, at, place, extra: [body.note] });
  const citizenFiles = await Promise.all(c.attachments.map(async (a) => ({ name: a.name, contentType: a.mediaType, description: 'Tài liệu kèm theo phản ánh, kiến nghị', bytes: await ctx.blobs.get(a.sha256) })));
  const pkg = await buildSignedPackage(ctx, {
    from: vpcp,
    to: [agency],
    number,
    at,
    place,
    subject: `V/v chuyển phản ánh, kiến nghị của ${c.submitter.name} về ${c.title}`.slice(0, 500),
    content: `Mã hồ sơ ${c.code}. ${c.content}`.slice(0, 4000),
    signerInfo: s.person.info,
    dueDate: c.answerDueAt,
    businessType: 0,
    attachments: [{ name: `${number.number}-${number.symbol}.pdf`, contentType: 'application/pdf', description: 'Công văn chuyển phản ánh, kiến nghị (đã ký số)', bytes: pdf }, ...citizenFiles],
    toPlaces: [agency.name, 'Lưu: VT, KSTT'],
  });
  let updated: PaknCase | undefined;
  const r = ensureAccepted(
    await receiveMessage(ctx, {
      sender: vpcp.id,
      actor: actorOf(p),
      bytes: pkg.bytes,
      idempotencyKey: `route:${c.id}:${pkg.documentId}`,
      caseId: c.id,
      purpose: 'routing',
      inTransaction: async (tx, messages) => {
        const locked = (await getCase(tx, c.id, true))!;
        ensureAllowed(locked, 'transfer');
        updated = await applyCaseEvent(tx, locked, {
          event: 'transfer',
          actor: actorOf(p),
          set: { lead_agency: agency.id, routing_message_id: messages[0]!.id, routing_document_id: pkg.documentId, category: body.category ?? locked.category },
          documentSha256: messages[0]!.packageSha256,
          details: { agency: agency.id, documentId: pkg.documentId, messageId: messages[0]!.id },
        });
      },
    }),
  );
  return { case: updated ?? (await loadCase(ctx, c.id)), message: r.messages[0]!, documentId: pkg.documentId, ...(r.receipts[0] ? { receipt: r.receipts[0] } : {}) };
}

export type Amendment = 'recall' | 'update' | 'replace';

/** Recall (1), update (2) or replace (3) the routing package; the case changes when the agency answers 14. */
export async function amendRouting(ctx: ExchangeContext, p: ApiPrincipal, ref: string, kind: Amendment, body: { reason: string; note?: string }): Promise<{ message: Message; documentId: string }> {
  requireVpcp(p);
  const c = await loadCase(ctx, ref);
  if (!c.routingDocumentId || !c.leadAgency || !['TRANSFERRED', 'ACCEPTED_BY_AGENCY', 'ASSIGNED', 'IN_PROGRESS', 'RETURNED_FOR_REWORK'].includes(c.state)) {
    throw new KysoError('CASE_STATE', `Hồ sơ ${c.code} chưa được chuyển hoặc đã có kết quả: không thể thu hồi/cập nhật/thay thế`, `Case ${c.code} is not with an agency: nothing to recall, update or replace`);
  }
  if (typeof body.reason !== 'string' || body.reason.trim().length < 3) throw new KysoError('INVALID_ARGUMENT', 'Cần nêu lý do', 'A reason is required');
  const vpcp = (await getVpcp(ctx.db))!;
  const agency = (await getAgency(ctx.db, c.leadAgency))!;
  const at = nowOf(ctx);
  const number = await ctx.db.transaction((tx) => nextDocumentNumber(tx, vpcp, at, 'VPCP-KSTT'));
  const place = placeOf(vpcp);
  const type = kind === 'recall' ? 1 : kind === 'update' ? 2 : 3;
  let attachments: Parameters<typeof buildSignedPackage>[1]['attachments'] = [];
  const s = await signatories(ctx, vpcp);
  if (kind !== 'recall') {
    const pdf = await signedRoutingLetter(ctx, { vpcp, agency, c, s, number, at, place, extra: [body.note, `(${kind === 'update' ? 'Cập nhật' : 'Thay thế'} văn bản ${c.routingDocumentId}: ${body.reason})`] });
    attachments = [{ name: `${number.number}-${number.symbol}.pdf`, contentType: 'application/pdf', description: 'Công văn (đã ký số)', bytes: pdf }];
  }
  const pkg = await buildSignedPackage(ctx, {
    from: vpcp,
    to: [agency],
    number,
    at,
    place,
    subject: `V/v ${kind === 'recall' ? 'thu hồi' : kind === 'update' ? 'cập nhật' : 'thay thế'} văn bản chuyển phản ánh, kiến nghị ${c.code}`,
    content: body.reason.slice(0, 2000),
    signerInfo: s.person.info,
    businessType: type,
    reason: body.reason.slice(0, 2000),
    targetDocumentId: c.routingDocumentId,
    attachments,
  });
  const r = ensureAccepted(await receiveMessage(ctx, { sender: vpcp.id, actor: actorOf(p), bytes: pkg.bytes, idempotencyKey: `${kind}:${c.id}:${pkg.documentId}`, caseId: c.id, purpose: 'routing' }));
  return { message: r.messages[0]!, documentId: pkg.documentId };
}

/** VPCP publishes the answer: the reply's signed PDF becomes the case's answer, downloadable by the citizen. */
export async function publishCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string): Promise<PaknCase> {
  requireVpcp(p);
  const c = await loadCase(ctx, ref);
  ensureAllowed(c, 'publish');
  const reply = c.replyMessageId ? await getMessage(ctx.db, c.replyMessageId) : undefined;
  if (!reply) throw new KysoError('CASE_STATE', `Hồ sơ ${c.code} chưa có văn bản trả lời`, `Case ${c.code} has no reply`);
  const pkg = parseEdxmlPackage(await ctx.blobs.get(reply.packageSha256));
  // The answer is the reply's first PDF that verified at receipt (receipt refused anything else).
  const pdf = pkg.Attachments.find((a) => a.ContentType.toLowerCase().includes('pdf'));
  if (!pdf) throw new KysoError('CASE_STATE', 'Văn bản trả lời không có tệp PDF', 'The reply carries no PDF');
  const answerSha = await ctx.blobs.put(pdf.ContentTransferEncoded, 'application/pdf');
  const published = await ctx.db.transaction(async (tx) => {
    const locked = (await getCase(tx, c.id, true))!;
    ensureAllowed(locked, 'publish');
    // The answer is archived at B-LTA (validation data and an archive timestamp over the signed reply).
    await archiveDocument(tx, { kind: 'answer', format: 'pdf', subject: c.code, sha256: answerSha });
    return applyCaseEvent(tx, locked, {
      event: 'publish',
      actor: actorOf(p),
      set: { answer_blob: answerSha, published_at: nowOf(ctx) },
      documentSha256: answerSha,
      details: { replyMessageId: reply.id, documentId: reply.documentId },
    });
  });
  // Extended now rather than at the worker's next pass, so the citizen's first download already carries its
  // long-term proof; if the TSA or OCSP is unreachable the pass records it and the worker retries.
  await runArchivePass(ctx).catch(() => undefined);
  return (await getCase(ctx.db, c.id)) ?? published;
}

/** VPCP returns the answer for rework: a signed 02 on the reply, with the reason. */
export async function returnCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string, reason: string): Promise<PaknCase> {
  requireVpcp(p);
  if (typeof reason !== 'string' || reason.trim().length < 3) throw new KysoError('INVALID_ARGUMENT', 'Cần nêu lý do trả lại', 'A reason for returning is required');
  const c = await loadCase(ctx, ref);
  ensureAllowed(c, 'return');
  const reply = c.replyMessageId ? await getMessage(ctx.db, c.replyMessageId) : undefined;
  if (!reply?.header) throw new KysoError('CASE_STATE', `Hồ sơ ${c.code} chưa có văn bản trả lời`, `Case ${c.code} has no reply`);
  await reportStatus(ctx, p, reply.id, { code: '02', description: reason.trim() });
  return loadCase(ctx, c.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Agencies

const AGENCY_CODES: readonly StatusCode[] = ['02', '03', '04', '05', '06', '14', '16'];

/**
 * A status on a package the caller's agency received, signed with its seal and sent back to the sender.
 * Idempotent per message and code (05, the weekly progress update, per message, code and day).
 */
export async function reportStatus(
  ctx: ExchangeContext,
  p: ApiPrincipal,
  messageId: string,
  body: { code: string; description?: string; staff?: StaffInfo; idempotencyKey?: string },
): Promise<ReceiveResult> {
  const agencyId = requireAgency(p);
  const code = body.code as StatusCode;
  if (!STATUS_CODE_LIST.includes(code) || !AGENCY_CODES.includes(code)) {
    throw new KysoError('INVALID_ARGUMENT', `Mã trạng thái không hợp lệ: ${String(body.code)} (02–06, 14, 16)`, `Invalid status code: ${String(body.code)} (02–06, 14, 16)`);
  }
  if (code === '02' && !body.description?.trim()) throw new KysoError('INVALID_ARGUMENT', 'Trạng thái 02 (từ chối/trả lại) cần lý do', 'Status 02 (rejected/returned) needs a reason');
  const m = await getMessage(ctx.db, messageId);
  if (!m || m.toAgency !== agencyId) throw notFound(`thông điệp ${messageId}`);
  if (m.kind !== 'edoc' || !m.header || m.status === 'rejected') throw new KysoError('INVALID_ARGUMENT', 'Chỉ báo trạng thái cho gói tin văn bản đã nhận hợp lệ', 'Statuses are reported only on validly received document packages');
  if ((code === '14' || code === '16') && (m.businessType ?? 0) === 0 && !(await recallRequested(ctx, m))) {
    throw new KysoError('INVALID_ARGUMENT', 'Mã 14/16 chỉ trả lời yêu cầu thu hồi/cập nhật/thay thế (13 hoặc gói tin loại 1–3)', 'Codes 14/16 only answer a recall, update or replace (a 13, or a type 1–3 package)');
  }
  const agency = (await getAgency(ctx.db, agencyId))!;
  const day = nowOf(ctx).toISOString().slice(0, 10);
  const key = body.idempotencyKey ?? `status:${m.id}:${code}${code === '05' ? `:${day}` : ''}`;
  const bytes = await signedStatusPacket(ctx, { from: agency, about: m.header, code, ...(body.description ? { description: body.description.slice(0, 2000) } : {}), ...(body.staff ? { staff: body.staff } : {}) });
  return receiveMessage(ctx, { sender: agencyId, actor: actorOf(p), bytes, idempotencyKey: key });
}

async function recallRequested(ctx: ExchangeContext, m: Message): Promise<boolean> {
  const r = await ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages WHERE kind = 'status' AND status_code = '13' AND from_agency = $1 AND to_agency = $2 AND response_for = $3 AND status <> 'rejected'`,
    [m.fromAgency, m.toAgency, m.documentId],
  );
  return r.rows[0]!.n > 0;
}

/**
 * VPCP asks the agency to give the routing document back (status 13, signed with the VPCP seal); the agency
 * answers 14 (agreed: the case returns to VPCP) or 16 (refused). The package form of a recall is amendRouting.
 */
export async function requestRecall(ctx: ExchangeContext, p: ApiPrincipal, ref: string, reason: string): Promise<ReceiveResult> {
  requireVpcp(p);
  if (typeof reason !== 'string' || reason.trim().length < 3) throw new KysoError('INVALID_ARGUMENT', 'Cần nêu lý do', 'A reason is required');
  const c = await loadCase(ctx, ref);
  const routing = c.routingMessageId ? await getMessage(ctx.db, c.routingMessageId) : undefined;
  if (!routing?.header || !c.leadAgency) throw new KysoError('CASE_STATE', `Hồ sơ ${c.code} chưa được chuyển`, `Case ${c.code} has not been routed`);
  const vpcp = (await getVpcp(ctx.db))!;
  const bytes = await signedStatusPacket(ctx, { from: vpcp, about: routing.header, code: '13', description: reason.trim().slice(0, 2000) });
  return ensureAccepted(await receiveMessage(ctx, { sender: vpcp.id, actor: actorOf(p), bytes, idempotencyKey: `request13:${routing.id}:${reason.trim().slice(0, 60)}` }));
}

/** The agency's answer: reply letter signed by its competent person and seal, in a package answering the routing document. */
export async function replyToCase(ctx: ExchangeContext, p: ApiPrincipal, ref: string, body: { answer: string | string[]; symbol?: string }): Promise<ReceiveResult> {
  const agencyId = requireAgency(p);
  const c = await caseForPrincipal(ctx, p, ref);
  if (c.leadAgency !== agencyId) throw notFound(`hồ sơ ${ref}`);
  ensureAllowed(c, 'reply');
  const paragraphs = (Array.isArray(body.answer) ? body.answer : [body.answer]).filter((x) => typeof x === 'string' && x.trim() !== '');
  if (paragraphs.length === 0) throw new KysoError('INVALID_ARGUMENT', 'Thiếu nội dung trả lời', 'The answer is missing');
  const routing = c.routingMessageId ? await getMessage(ctx.db, c.routingMessageId) : undefined;
  if (!routing?.header) throw new KysoError('CASE_STATE', 'Không tìm thấy văn bản chuyển của hồ sơ', 'The routing document of the case is missing');
  const agency = (await getAgency(ctx.db, agencyId))!;
  const vpcp = (await getVpcp(ctx.db))!;
  const at = nowOf(ctx);
  const s = await signatories(ctx, agency);
  // Ký hiệu of the reply: the agency's own when given (e.g. "BTP-VP"), else a neutral one.
  const symbol = body.symbol ?? 'VP-PAKN';
  const number = await ctx.db.transaction((tx) => nextDocumentNumber(tx, agency, at, symbol));
  const place = placeOf(agency);
  const letter = composeReplyLetter({
    issuer: { name: agency.name },
    to: { name: vpcp.name },
    numberSymbol: number.numberSymbol,
    place,
    date: at,
    signatory: s.signatory,
    case: { code: c.code, submitter: { name: c.submitter.name, address: c.submitter.address }, subject: c.title },
    inReplyTo: { numberSymbol: routing.header.Code, date: new Date(`${routing.header.PromulgationDate}T12:00:00+07:00`) },
    answer: paragraphs.map((x) => x.slice(0, 20_000)),
  });
  const pdf = await signedLetter(ctx, s, letter, place);
  const pkg = await buildSignedPackage(ctx, {
    from: agency,
    to: [vpcp],
    number,
    at,
    place,
    subject: `V/v trả lời phản ánh, kiến nghị của ${c.submitter.name} (${c.code})`.slice(0, 500),
    content: paragraphs.join('\n').slice(0, 4000),
    signerInfo: s.person.info,
    businessType: 0,
    responseFor: [responseForOf(routing.header)],
    attachments: [{ name: `${number.number}-${number.symbol.replace(/\//g, '-')}.pdf`, contentType: 'application/pdf', description: 'Công văn trả lời (đã ký số)', bytes: pdf }],
  });
  return receiveMessage(ctx, { sender: agencyId, actor: actorOf(p), bytes: pkg.bytes, idempotencyKey: `reply:${c.id}:${pkg.documentId}` });
}
