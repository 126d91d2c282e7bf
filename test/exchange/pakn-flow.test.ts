// The PAKN flow through the exchange operations (no HTTP): submit → route → deliver → statuses → reply →
// publish → citizen download, on PGlite and PostgreSQL, real Redis and the real test PKI. The HTTP API test
// covers the same over the wire; this one looks at the stored state after every step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain, verifyAuditSeals } from '../../src/exchange/audit/audit-log.ts';
import { parseEdxml } from '../../src/exchange/edxml/parse.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { listInbox, getMessage, listCaseMessages } from '../../src/exchange/messages/messages.ts';
import {
  amendRouting,
  citizenAnswer,
  citizenView,
  publishCase,
  replyToCase,
  reportStatus,
  requestRecall,
  returnCase,
  routeCase,
  submitCase,
} from '../../src/exchange/pakn/case-service.ts';
import { getCase } from '../../src/exchange/pakn/cases.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { BACKENDS } from '../store/test-databases.ts';
import { eventually, MINISTRY, PROVINCE, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

const submission = {
  submitter: { name: 'Nguyễn Văn Bình', address: 'Xã Hưng Lộc, tỉnh Nghệ An', phone: '0912 345 678', email: 'binh@example.vn' },
  title: 'thủ tục cấp lại giấy phép lái xe',
  content: 'Tôi đề nghị đơn giản hóa hồ sơ cấp lại giấy phép lái xe bị mất: hiện phải nộp bản sao có chứng thực nhiều giấy tờ.',
};

describe.each(BACKENDS)('PAKN flow on %s', (backend) => {
  let ex: TestExchange;
  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { backend });
  }, 60_000);
  afterAll(async () => {
    await ex?.close();
  });

  it('takes a case from submission to the citizen downloading a signed answer that verifies', async () => {
    const { ctx } = ex.rt;
    const vpcp = ex.principal(VPCP);
    const ministry = ex.principal(MINISTRY);

    // Citizen submits: a public code, a secret key, deadlines.
    const sub = await submitCase(ctx, submission);
    expect(sub.case.code).toMatch(/^PAKN-\d{4}-[0-9A-Z]{6}$/);
    expect(sub.case.state).toBe('RECEIVED');
    expect(sub.case.answerDueAt.getTime()).toBeGreaterThan(sub.case.transferDueAt.getTime());
    await expect(citizenView(ctx, sub.case.code, 'wrong-key')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await citizenView(ctx, sub.case.code, sub.accessKey)).stateLabel.vi).toBe('Đã tiếp nhận');

    // VPCP routes it: signed letter in a signed package; the ministry's 01 comes back the same moment.
    const routed = await routeCase(ctx, vpcp, sub.case.code, { agencyId: MINISTRY });
    expect(routed.case.state).toBe('TRANSFERRED');
    expect(routed.case.leadAgency).toBe(MINISTRY);
    expect(routed.receipt?.statusCode).toBe('01');
    expect(routed.message.verification?.indication).toBe('TOTAL_PASSED');

    // Delivered to the ministry's pull inbox by the worker.
    const delivered = await eventually(async () => (await getMessage(ctx.db, routed.message.id))?.status === 'delivered', 15_000, 'routing delivered');
    expect(delivered).toBe(true);
    const inbox = await listInbox(ctx.db, MINISTRY, { kind: 'edoc' });
    expect(inbox.map((m) => m.id)).toContain(routed.message.id);
    const pkg = parseEdxml(await ctx.blobs.get(routed.message.packageSha256));
    expect(pkg.kind).toBe('document');
    if (pkg.kind === 'document') {
      expect(pkg.package.TraceHeaderList.Bussiness.BussinessDocType).toBe(0);
      // One TraceHeader per hop: VPCP sent it, the ministry received it — and the package signature still holds.
      expect(pkg.package.TraceHeaderList.TraceHeader.map((h) => h.OrganId)).toEqual([VPCP, MINISTRY]);
      expect((await verifyXmlPackage(await ctx.blobs.get(routed.message.packageSha256), ctx.verify)).report.indication).toBe('TOTAL_PASSED');
      const letter = pkg.package.Attachments[0]!;
      const report = await verifyPdf(letter.ContentTransferEncoded, ctx.verify);
      expect(report.indication).toBe('TOTAL_PASSED');
      expect(report.signatures).toHaveLength(2); // the competent person, then the VPCP seal
    }

    // The ministry reports 03 (registered), 04, 05; each signed, each moves the case.
    for (const [code, state] of [['03', 'ACCEPTED_BY_AGENCY'], ['04', 'ASSIGNED'], ['05', 'IN_PROGRESS']] as const) {
      const r = await reportStatus(ctx, ministry, routed.message.id, { code, description: `mã ${code}` });
      expect(r.accepted).toBe(true);
      expect((await getCase(ctx.db, sub.case.id))!.state).toBe(state);
    }
    // Reporting the same status twice creates nothing new.
    const again = await reportStatus(ctx, ministry, routed.message.id, { code: '03' });
    expect(again.duplicate).toBe(true);
    // A province cannot report on a package it never received.
    await expect(reportStatus(ctx, ex.principal(PROVINCE), routed.message.id, { code: '03' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // The ministry answers; VPCP returns it once, the ministry answers again; VPCP publishes.
    const reply1 = await replyToCase(ctx, ministry, sub.case.code, { answer: ['Bộ Tư pháp trả lời như sau.', 'Thủ tục đã được đơn giản hóa.'] });
    expect(reply1.accepted).toBe(true);
    expect((await getCase(ctx.db, sub.case.id))!.state).toBe('ANSWERED');
    const returned = await returnCase(ctx, vpcp, sub.case.code, 'Văn bản trả lời chưa đúng nội dung phản ánh');
    expect(returned.state).toBe('RETURNED_FOR_REWORK');
    const reply2 = await replyToCase(ctx, ministry, sub.case.code, { answer: ['Trả lời bổ sung: hồ sơ chỉ cần tờ khai và ảnh.'] });
    expect(reply2.accepted).toBe(true);
    const published = await publishCase(ctx, vpcp, sub.case.code);
    expect(published.state).toBe('PUBLISHED');

    // The citizen downloads the signed answer; it verifies TOTAL_PASSED.
    const view = await citizenView(ctx, sub.case.code, sub.accessKey);
    expect(view.state).toBe('PUBLISHED');
    const answer = await citizenAnswer(ctx, sub.case.code, sub.accessKey);
    expect(answer.sha256).toBe(view.answer!.sha256);
    const report = await verifyPdf(answer.bytes, ctx.verify);
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.signatures.filter((s) => s.kind === 'signature').map((s) => s.signer?.organization)).toEqual(['Bộ Tư pháp', 'Bộ Tư pháp']);
    // Published at B-LTA (issue 7): the signatures plus an archive timestamp.
    expect(report.signatures.filter((s) => s.kind === 'signature').every((s) => s.level === 'B-LTA')).toBe(true);

    // Everything is in the audit trail, and the chain is intact.
    const actions = (await ctx.db.query<{ action: string }>('SELECT action FROM audit_log ORDER BY seq')).rows.map((r) => r.action);
    for (const a of ['case.submitted', 'case.transfer', 'message.received', 'status.issued', 'case.status_03', 'case.reply', 'case.return', 'case.publish', 'answer.accessed']) {
      expect(actions).toContain(a);
    }
    const chain = await verifyAuditChain(ctx.db);
    expect(chain.ok).toBe(true);
    // The worker seals the chain head with a TSA token; nothing new → no second seal.
    const seal = await ex.rt.seal();
    expect(seal!.headSeq).toBeGreaterThanOrEqual(chain.entries);
    // Deliveries may still append entries: a second seal happens only if the head moved, never over the same head.
    const second = await ex.rt.seal();
    if (second) expect(second.headSeq).toBeGreaterThan(seal!.headSeq);
    else expect((await ctx.db.query<{ seq: number }>('SELECT seq FROM audit_head')).rows[0]!.seq).toBe(seal!.headSeq);
    expect((await verifyAuditSeals(ctx.db)).every((s) => s.ok)).toBe(true);
    expect((await listCaseMessages(ctx.db, sub.case.id)).length).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it('recalls a routed case when the agency accepts (14), and keeps it when it refuses (16)', async () => {
    const { ctx } = ex.rt;
    const vpcp = ex.principal(VPCP);
    const province = ex.principal(PROVINCE);
    const sub = await submitCase(ctx, { ...submission, title: 'cấp phép xây dựng nhà ở' });
    const routed = await routeCase(ctx, vpcp, sub.case.code, { agencyId: PROVINCE });
    const recall = await amendRouting(ctx, vpcp, sub.case.code, 'recall', { reason: 'Chuyển nhầm cơ quan' });
    await reportStatus(ctx, province, recall.message.id, { code: '16', description: 'Đã xử lý một phần' });
    expect((await getCase(ctx.db, sub.case.id))!.state).toBe('TRANSFERRED');
    const recall2 = await amendRouting(ctx, vpcp, sub.case.code, 'recall', { reason: 'Chuyển nhầm cơ quan (lần 2)' });
    await reportStatus(ctx, province, recall2.message.id, { code: '14' });
    const c = (await getCase(ctx.db, sub.case.id))!;
    expect(c.state).toBe('CLASSIFIED');
    expect(c.leadAgency).toBeNull();
    // It can now go to the right agency, with a new routing document.
    const rerouted = await routeCase(ctx, vpcp, sub.case.code, { agencyId: MINISTRY });
    expect(rerouted.documentId).not.toBe(routed.documentId);
    expect(rerouted.case.state).toBe('TRANSFERRED');

    // The status-packet form: VPCP's signed 13 asks for it back; 14/16 are only allowed as answers to it.
    const ministry = ex.principal(MINISTRY);
    await expect(reportStatus(ctx, ministry, rerouted.message.id, { code: '14' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const req13 = await requestRecall(ctx, vpcp, sub.case.code, 'Cần bổ sung nội dung trước khi chuyển');
    expect(req13.messages.map((m) => [m.statusCode, m.toAgency])).toEqual([['13', MINISTRY]]);
    await reportStatus(ctx, ministry, rerouted.message.id, { code: '14', description: 'Đồng ý trả lại' });
    expect((await getCase(ctx.db, sub.case.id))!.state).toBe('CLASSIFIED');
    const actions = (await ctx.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq`, [sub.case.code])).rows.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['case.recall_requested', 'case.recalled', 'case.status_16']));
  }, 120_000);
});
