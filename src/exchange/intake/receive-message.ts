// Receipt of a package or status packet (issue 5, Flow → Receipt; Decree 30/2020 Art. 21): every message that
// enters kyso — posted by an agency, or built by the service itself — passes here.
//
//   1. verify the XML signature and every signed PDF it carries, reading the model only from signed content;
//   2. the sender must be the authenticated agency, and the signing certificate must be bound to it;
//   3. every recipient must be in the registry;
//   4. valid → stored, status 01 signed by the recipient the same moment, queued for delivery;
//      invalid → stored as rejected (evidence), status 02 with the reason returned to the sender;
//   5. status packets and replies move the case they concern.
// Steps 4–5 commit in one transaction with their blobs and audit entries; enqueueing follows the commit (a message
// committed but not enqueued is picked up by the sweeper). Signing the automatic status packets happens before
// the transaction, so the audit-chain lock is held for SQL only. On this kind of VM every SQL round trip costs
// more CPU than most of the work around it, so the transaction is a handful of statements whatever the number of
// recipients (receipt-writer.ts: one for the blobs, one for the rows, one for the archive entry, two for the audit
// chain), and receipts that move no case share one transaction with the receipts arriving at the same moment.
import { createHash, randomUUID } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import type { Queryable } from '../../store/database.ts';
import type { ValidationReport } from '../../verify/report.ts';
import { certificateOwner, getAgency, type Agency } from '../agencies/agency-registry.ts';
import { appendAuditManyInTx, type AuditEvent } from '../audit/audit-log.ts';
import type { EdxmlPackage, StatusCode } from '../edxml/model.ts';
import { parseEdxml } from '../edxml/parse.ts';
import { responseForPackage } from '../edxml/status.ts';
import { appendTraceHeader, applyTraceSplice } from '../edxml/trace.ts';
import { enqueueAll, nowOf, type ExchangeContext } from '../exchange-context.ts';
import { findDocumentMessage, getMessage, messageByKey, type Message, type MessageHeaderSummary, type MessagePurpose, type NewMessage } from '../messages/messages.ts';
import { applyStatusToCase, linkDocumentToCase } from './case-effects.ts';
import { verifyReceivedPackage } from './package-verifier.ts';
import { receiptWriter, writeReceiptRows, type ReceiptWrite } from './receipt-writer.ts';
import { signedStatusPacket } from './status-issuer.ts';

export const DEFAULT_MAX_PACKAGE_BYTES = 50 * 1024 * 1024;

export interface ReceiveRequest {
  /** The authenticated sending agency. */
  sender: string;
  /** Audit actor (`key:<api key id>`, `system:route`). */
  actor: string;
  bytes: Uint8Array;
  /** The sender's unique id for this message (Idempotency-Key). Default: the SHA-256 of the bytes. */
  idempotencyKey?: string;
  /**
   * The key was chosen by the sending agency (the Idempotency-Key header), so it names one package: other bytes
   * under it are refused (IDEMPOTENCY_MISMATCH). Keys the service derives itself (one status per message and
   * code) name a step, whose re-signed packet is a resend.
   */
  keyNamesBytes?: boolean;
  /** Set when the service built the package for a case step (routing, recall, replace). */
  caseId?: string;
  purpose?: MessagePurpose;
  /** Runs inside the receipt transaction once the messages exist (the caller's case transition). */
  inTransaction?: (tx: Queryable, messages: Message[]) => Promise<void>;
}

export interface ReceiveResult {
  accepted: boolean;
  /** True when this message was already received (same idempotency key or DocumentId): nothing new was created. */
  duplicate: boolean;
  kind: 'edoc' | 'status';
  /** One row per recipient. */
  messages: Message[];
  /** Status packets the service issued at receipt (01 or 02), one per recipient holding a service key. */
  receipts: Message[];
  reason?: { vi: string; en: string };
  report: Pick<ValidationReport, 'indication' | 'subIndication' | 'summary'>;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function firstFailure(report: ValidationReport): { vi: string; en: string } {
  for (const s of report.signatures) {
    const c = s.checks?.find((x) => x.status === 'FAILED') ?? s.checks?.find((x) => x.status === 'WARNING');
    if (s.indication !== 'TOTAL_PASSED' && c) return { vi: `Chữ ký không hợp lệ: ${c.message.vi}`, en: `Invalid signature: ${c.message.en}` };
  }
  for (const a of report.attachments ?? []) {
    if (a.problem) return { vi: `Tệp đính kèm ${a.name}: ${a.problem.vi}`, en: `Attachment ${a.name}: ${a.problem.en}` };
    if (a.report && a.report.indication !== 'TOTAL_PASSED') return { vi: `Tệp đính kèm ${a.name}: ${a.report.summary.vi}`, en: `Attachment ${a.name}: ${a.report.summary.en}` };
  }
  if (report.signatures.length === 0) return { vi: 'Gói tin không có chữ ký số', en: 'The package is not signed' };
  return { vi: report.summary.vi, en: report.summary.en };
}

// A routing package the service builds carries the citizen's own files (photos, scans) next to the signed letter:
// they have no signature of their own and are covered by the package seal. Everything signed must still pass.
function onlyCitizenFilesUnsigned(report: ValidationReport): boolean {
  return (
    report.signatures.length > 0 &&
    report.signatures.every((s) => s.indication === 'TOTAL_PASSED') &&
    (report.attachments ?? []).every((a) => (a.report ? a.report.indication === 'TOTAL_PASSED' || a.report.signatures.length === 0 : !/pdf/i.test(a.contentType)))
  );
}

const brief = (r: ValidationReport) => ({ indication: r.indication, ...(r.subIndication ? { subIndication: r.subIndication } : {}), summary: r.summary });

const headerSummary = (p: EdxmlPackage): MessageHeaderSummary => ({ ...responseForPackage(p), Subject: p.MessageHeader.Subject });

async function knownAgencies(ctx: ExchangeContext, ids: readonly string[]): Promise<Agency[]> {
  const out: Agency[] = [];
  for (const id of ids) {
    const a = await getAgency(ctx.db, id);
    if (!a) {
      throw Object.assign(new KysoError('UNKNOWN_AGENCY', `Cơ quan nhận ${id} không có trong danh bạ`, `Recipient agency ${id} is not in the registry`), { extensions: { agencyId: id } });
    }
    out.push(a);
  }
  return out;
}

/** Receives one package or status packet from `req.sender`. See the file comment for the steps. */
export async function receiveMessage(ctx: ExchangeContext, req: ReceiveRequest): Promise<ReceiveResult> {
  const max = ctx.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  if (req.bytes.length > max) throw new KysoError('INVALID_ARGUMENT', `Gói tin lớn hơn giới hạn ${max} byte`, `The package exceeds the ${max}-byte limit`);
  const at = nowOf(ctx);
  const packageSha = sha256(req.bytes);
  const key = req.idempotencyKey ?? `sha256:${packageSha}`;
  if (key.length > 180) throw new KysoError('INVALID_ARGUMENT', 'Idempotency-Key dài quá 180 ký tự', 'Idempotency-Key longer than 180 characters');

  // A resend (the same key, or the same document again) is found when its rows collide in the receipt
  // transaction below, not looked up first: a lookup before verifying would cost every new message a round trip
  // to save a resend its verification. Whatever the verdict on the resend, the first answer stands.

  const verification = await verifyReceivedPackage(ctx, req.bytes, { at, name: 'package.xml' });
  const report = verification.report;
  // The model to act on comes from signed content. If no signature covers it, the unsigned model is read only to
  // address the rejection (sender and recipients); nothing else in it is trusted.
  let pkg = verification.package;
  let status = verification.status;
  const signedModel = pkg !== undefined || status !== undefined;
  if (!signedModel) {
    const parsed = parseEdxml(req.bytes);
    if (parsed.kind === 'document') pkg = parsed.package;
    else status = parsed.status;
  }
  const kind: 'edoc' | 'status' = pkg ? 'edoc' : 'status';
  const from = pkg ? pkg.MessageHeader.From.OrganId : status!.From.OrganId;
  if (from !== req.sender) {
    throw new KysoError('FORBIDDEN', `Gói tin ghi cơ quan gửi ${from}, nhưng khóa API là của ${req.sender}`, `The package names sender ${from}, but the API key belongs to ${req.sender}`);
  }
  const sender = (await getAgency(ctx.db, req.sender))!;
  // Status 13 (request to recall/update) goes the other way: from the document's sender to its recipients.
  const request13 = status?.StatusCode === '13';
  if (request13 && status!.ResponseFor.OrganId !== req.sender) {
    throw new KysoError('PACKAGE_REJECTED', 'Chỉ cơ quan đã gửi văn bản mới yêu cầu thu hồi/cập nhật (13)', 'Only the sender of a document may request its recall or update (13)');
  }
  const recipientIds = pkg
    ? [...new Set(pkg.MessageHeader.To.map((t) => t.OrganId))]
    : request13
      ? await documentRecipients(ctx.db, req.sender, status!.ResponseFor.DocumentId)
      : [status!.ResponseFor.OrganId];
  if (recipientIds.length === 0) {
    throw new KysoError('PACKAGE_REJECTED', `Không có văn bản ${status!.ResponseFor.DocumentId} đã gửi để yêu cầu thu hồi`, `There is no sent document ${status!.ResponseFor.DocumentId} to request a recall of`);
  }
  if (recipientIds.includes(req.sender)) throw new KysoError('INVALID_ARGUMENT', 'Cơ quan không thể gửi gói tin cho chính mình', 'An agency cannot send a package to itself');
  const recipients = await knownAgencies(ctx, recipientIds);

  // Is it valid, and is it the sender's own signature?
  let reason: { vi: string; en: string } | undefined;
  if ((report.indication !== 'TOTAL_PASSED' && !(req.caseId && req.purpose === 'routing' && onlyCitizenFilesUnsigned(report))) || !signedModel) {
    reason = firstFailure(report);
  } else {
    const certSha = report.signatures[0]?.signer?.certificateSha256;
    const owner = certSha ? await certificateOwner(ctx.db, certSha) : undefined;
    if (owner !== req.sender) {
      const who = report.signatures[0]?.signer?.commonName ?? '?';
      reason = owner
        ? { vi: `Gói tin được ký bằng chứng thư số của cơ quan ${owner} ("${who}"), không phải của cơ quan gửi ${req.sender}`, en: `The package is signed with a certificate of agency ${owner} ("${who}"), not of the sender ${req.sender}` }
        : { vi: `Chứng thư số ký gói tin ("${who}") chưa được đăng ký cho cơ quan ${req.sender}`, en: `The signing certificate ("${who}") is not registered for agency ${req.sender}` };
    }
  }

  // A status packet must answer a document this agency was actually sent.
  let original: Message | undefined;
  if (status) {
    original = request13
      ? await findDocumentMessage(ctx.db, req.sender, recipientIds[0]!, status.ResponseFor.DocumentId)
      : await findDocumentMessage(ctx.db, status.ResponseFor.OrganId, req.sender, status.ResponseFor.DocumentId);
    if (!original) {
      throw new KysoError(
        'PACKAGE_REJECTED',
        `Không có văn bản ${status.ResponseFor.DocumentId} do ${status.ResponseFor.OrganId} gửi tới ${req.sender} để báo trạng thái`,
        `There is no document ${status.ResponseFor.DocumentId} from ${status.ResponseFor.OrganId} to ${req.sender} to report a status on`,
      );
    }
  }

  // Receipts, signed before the transaction: 01 from each recipient for a valid document, 02 with the reason
  // for an invalid one. Only where the service holds the recipient's seal (otherwise the agency sends its own).
  const header = pkg ? headerSummary(pkg) : undefined;
  // The receipts of several recipients are signed at once (an HSM or remote seal waits on I/O), and the traced
  // copies are made meanwhile.
  type Receipt = { recipient: Agency; code: StatusCode; bytes: Uint8Array };
  const signing = Promise.all(
    pkg && header
      ? recipients.map(async (r): Promise<Receipt | undefined> => {
          if (!(await ctx.signers.get(r.id, 'seal'))) return undefined;
          const code: StatusCode = reason ? '02' : '01';
          const bytes = await signedStatusPacket(ctx, {
            from: r,
            about: header,
            code,
            description: reason ? `${reason.vi} (${reason.en})` : 'Đã đến, chờ văn thư xử lý (arrived)',
            timestamp: false,
          });
          return { recipient: r, code, bytes };
        })
      : [],
  );
  // Every hop appends a TraceHeader: the copy delivered to each recipient records its arrival there (OrganId,
  // time). The trace lies outside the package signature (XPath Filter 2.0), so the signature stays valid; the
  // package as sent is kept too, and the audit entry names its hash.
  const traced = new Map<string, Uint8Array>();
  if (pkg && !reason) {
    const splice = verification.traceSplice;
    for (const r of recipients) traced.set(r.id, splice ? applyTraceSplice(req.bytes, splice, { organId: r.id, at }) : appendTraceHeader(req.bytes, { organId: r.id, at }));
  }
  const receiptPackets = (await signing).filter((p): p is Receipt => p !== undefined);

  // Ids are chosen here so that a receipt can name its message (idempotency key receipt:<id>) and every audit
  // entry its subject before the rows exist: the rows then go in with one INSERT.
  const documentId = pkg ? pkg.MessageHeader.DocumentId : status!.ResponseFor.DocumentId;
  const rows: (NewMessage & { id: string })[] = recipients.map((r, i) => ({
    id: randomUUID(),
    idempotencyKey: `${key}#${i + 1}`,
    kind,
    fromAgency: req.sender,
    toAgency: r.id,
    documentId,
    packageSha256: traced.has(r.id) ? sha256(traced.get(r.id)!) : packageSha,
    receivedSha256: packageSha,
    status: reason ? 'rejected' : 'received',
    statusReason: reason ? `${reason.vi} (${reason.en})` : null,
    caseId: req.caseId ?? original?.caseId ?? null,
    businessType: pkg ? pkg.TraceHeaderList.Bussiness.BussinessDocType : null,
    statusCode: status ? status.StatusCode : null,
    responseFor: status ? status.ResponseFor.DocumentId : (pkg?.MessageHeader.ResponseFor[0]?.DocumentId ?? null),
    purpose: req.purpose ?? null,
    verification: brief(report),
    header: header ?? null,
  }));
  const receiptRows: (NewMessage & { id: string })[] = receiptPackets.map((p) => ({
    id: randomUUID(),
    idempotencyKey: `receipt:${rows.find((m) => m.toAgency === p.recipient.id)!.id}`,
    kind: 'status',
    fromAgency: p.recipient.id,
    toAgency: req.sender,
    documentId: header!.DocumentId,
    packageSha256: sha256(p.bytes),
    status: 'received',
    statusCode: p.code,
    responseFor: header!.DocumentId,
    caseId: req.caseId ?? null,
  }));
  // The receipt's audit entries (each message, each status packet issued) go in with one append.
  const events: AuditEvent[] = [
    ...rows.map((m) => ({
      actor: req.actor,
      action: reason ? 'message.rejected' : 'message.received',
      subject: m.id,
      documentSha256: packageSha,
      details: {
        kind,
        from: req.sender,
        to: m.toAgency,
        documentId,
        indication: report.indication,
        ...(status ? { statusCode: status.StatusCode } : {}),
        ...(pkg ? { businessType: pkg.TraceHeaderList.Bussiness.BussinessDocType } : {}),
        ...(reason ? { reason: reason.en } : {}),
      },
    })),
    ...receiptRows.map((m) => ({
      actor: 'system:receipt',
      action: 'status.issued',
      subject: m.id,
      documentSha256: m.packageSha256,
      details: { code: m.statusCode!, from: m.fromAgency, to: req.sender, documentId: header!.DocumentId, about: rows.find((x) => x.toAgency === m.fromAgency)!.id },
    })),
  ];

  const write: ReceiptWrite = {
    // The package as sent, each recipient's traced copy and the receipts: one statement (blob-store.ts).
    blobs: [
      { bytes: req.bytes, mediaType: 'application/xml', sha256: packageSha },
      ...rows.filter((r) => traced.has(r.toAgency)).map((r) => ({ bytes: traced.get(r.toAgency)!, mediaType: 'application/xml', sha256: r.packageSha256 })),
      ...receiptPackets.map((p, i) => ({ bytes: p.bytes, mediaType: 'application/xml', sha256: receiptRows[i]!.packageSha256 })),
    ],
    rows: [...rows, ...receiptRows],
    // Exchanged packages are archived at B-LTA by the worker's archive pass (issue 7).
    ...(pkg && !reason ? { archive: { subject: rows[0]!.id, sha256: packageSha } } : {}),
    events,
  };
  // Does this receipt move a case? Otherwise (documents between agencies, statuses on them, every rejection) it
  // joins the group commit of receipt-writer.ts.
  const touchesCase =
    !reason && (req.caseId !== undefined || req.inTransaction !== undefined || (status !== undefined && !!original?.caseId) || (pkg !== undefined && pkg.MessageHeader.ResponseFor.length > 0));
  const written = touchesCase
    ? await ctx.db.transaction(async (tx) => {
        const w = await writeReceiptRows(tx, ctx.blobs, write);
        if ('duplicate' in w) return w;
        await appendAuditManyInTx(tx, events);
        const messages = w.messages.slice(0, rows.length);
        if (status && original) await applyStatusToCase(tx, ctx, { status, original, actor: req.actor, at });
        if (pkg) await linkDocumentToCase(tx, { pkg, messages, sender, actor: req.actor, ...(req.caseId ? { caseId: req.caseId } : {}) });
        if (req.inTransaction) await req.inTransaction(tx, messages);
        return w;
      })
    : await receiptWriter(ctx.db, ctx.blobs).write(write);
  if ('duplicate' in written) {
    const same = await messageByKey(ctx.db, req.sender, `${key}#1`);
    if (same) return duplicateResult(ctx, req.sender, key, sameBytes(same, packageSha, req.keyNamesBytes ? req.idempotencyKey : undefined));
    const prior = pkg ? await findDocumentMessage(ctx.db, req.sender, recipientIds[0]!, pkg.MessageHeader.DocumentId) : undefined;
    if (prior) return duplicateResult(ctx, req.sender, prior.idempotencyKey.replace(/#\d+$/, ''), prior);
    // The row it collided with was rolled back meanwhile: the client may simply send again.
    throw new KysoError('DB_CONFLICT', 'Gói tin trùng với một gói tin đang được nhận đồng thời; vui lòng gửi lại', 'The package collided with one being received at the same moment; please send it again');
  }
  const result = { messages: written.messages.slice(0, rows.length), receipts: written.messages.slice(rows.length) };

  // Rejected packages are not delivered; their 02 receipts are (back to the sender).
  await enqueueAll(ctx, [...(reason ? [] : result.messages), ...result.receipts].map((m) => ({ id: m.id, toAgency: m.toAgency })));
  return {
    accepted: !reason,
    duplicate: false,
    kind,
    messages: result.messages,
    receipts: result.receipts,
    ...(reason ? { reason } : {}),
    report: brief(report),
  };
}

/**
 * A sender's Idempotency-Key names one package: the same key with other bytes is a client error, not a resend —
 * answering "duplicate" would silently drop the new document. Returns the message when the bytes match.
 */
function sameBytes(first: Message, sha: string, idempotencyKey: string | undefined): Message {
  if (idempotencyKey !== undefined && first.receivedSha256 !== null && first.receivedSha256 !== sha) {
    throw new KysoError(
      'IDEMPOTENCY_MISMATCH',
      `Idempotency-Key "${idempotencyKey}" đã được dùng cho một gói tin khác (thông điệp ${first.id})`,
      `Idempotency-Key "${idempotencyKey}" was used for a different package (message ${first.id})`,
    );
  }
  return first;
}

/** Who a sender delivered a document to (not rejected): the addressees of its status 13. */
async function documentRecipients(db: Queryable, sender: string, documentId: string): Promise<string[]> {
  const r = await db.query<{ to_agency: string }>(
    `SELECT DISTINCT to_agency FROM messages WHERE kind = 'edoc' AND from_agency = $1 AND document_id = $2 AND status <> 'rejected' ORDER BY to_agency`,
    [sender, documentId],
  );
  return r.rows.map((x) => x.to_agency);
}

/** The stored answer for a message received before. */
async function duplicateResult(ctx: ExchangeContext, sender: string, key: string, first: Message): Promise<ReceiveResult> {
  const r = await ctx.db.query<{ id: string }>(`SELECT id FROM messages WHERE from_agency = $1 AND idempotency_key LIKE $2 ORDER BY idempotency_key`, [sender, `${key.replace(/[\\%_]/g, '\\$&')}#%`]);
  const messages = (await Promise.all(r.rows.map((x) => getMessage(ctx.db, x.id)))).filter((m): m is Message => !!m);
  const all = messages.length ? messages : [first];
  const receipts: Message[] = [];
  for (const m of all) {
    const rc = await messageByKey(ctx.db, m.toAgency, `receipt:${m.id}`);
    if (rc) receipts.push(rc);
  }
  const v = all[0]!.verification ?? { indication: 'INDETERMINATE' };
  return {
    accepted: all[0]!.status !== 'rejected',
    duplicate: true,
    kind: all[0]!.kind,
    messages: all,
    receipts,
    ...(all[0]!.status === 'rejected' && all[0]!.statusReason ? { reason: { vi: all[0]!.statusReason, en: all[0]!.statusReason } } : {}),
    report: v as ReceiveResult['report'],
  };
}
