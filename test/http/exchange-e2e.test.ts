// Issue 5, Proof — end to end over HTTP, as the parties use it: a citizen submits through the public API, VPCP
// routes the case (signed letter in a signed package), the ministry (a pull agency) reads its inbox, downloads
// the package, acknowledges it, reports 03 and 05 and replies; VPCP publishes; the citizen looks the case up
// with the access key, downloads the answer, and POST /api/v1/verify says the PDF is TOTAL_PASSED. The province
// is a push agency: its webhook (a real local server) gets the package, and only a 2xx answer counts.
// kyso's own HTTP server, real Redis (random prefix), the real test PKI; PGlite and PostgreSQL.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { parseEdxml } from '../../src/exchange/edxml/parse.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { eventually, MINISTRY, PROVINCE, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { startExchangeHttp, type ApiAnswer, type ExchangeHttp } from '../helpers/exchange-http.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { startWebhook, type TestWebhook } from '../helpers/webhook-server.ts';
import { BACKENDS } from '../store/test-databases.ts';

const pki = useTestPkiServer();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const problemOf = (r: ApiAnswer) => `${r.status} ${r.contentType} ${JSON.stringify(r.json ?? Buffer.from(r.bytes).toString('utf8').slice(0, 500))}`;

const submission = (title: string) => ({
  submitter: { name: 'Trần Thị Mai', address: 'Phường Đông Thành, tỉnh Ninh Bình', phone: '0987 654 321', email: 'mai@example.vn' },
  title,
  content: 'Đề nghị hướng dẫn thủ tục chứng thực bản sao điện tử từ bản chính cho người dân ở xã vùng cao.',
});

describe.each(BACKENDS)('PAKN over HTTP on %s', (backend) => {
  let ex: TestExchange;
  let http: ExchangeHttp;
  let hook: TestWebhook;

  beforeAll(async () => {
    hook = await startWebhook();
    ex = await startTestExchange(pki.server, { backend, webhooks: { [PROVINCE]: hook.url } });
    http = await startExchangeHttp(ex.rt, pki.server);
  }, 60_000);
  afterAll(async () => {
    await http?.close();
    await ex?.close();
    await hook?.close();
  });

  it('citizen → VPCP → ministry (pull) → reply → publication → the citizen downloads an answer that verifies', async () => {
    const vpcpKey = ex.key(VPCP);
    const ministryKey = ex.key(MINISTRY);

    // 1. The citizen submits; the answer holds the public code and the access key (shown once).
    const sub = await http.call('post', '/api/v1/public/cases', { json: submission('chứng thực bản sao điện tử') });
    expect(sub.status, problemOf(sub)).toBe(201);
    const { code, accessKey } = sub.json as { code: string; accessKey: string };
    expect(code).toMatch(/^PAKN-\d{4}-[0-9A-Z]{6}$/);
    expect(sub.headers.get('location')).toBe(`/api/v1/public/cases/${code}`);
    expect(sub.json.answerDueAt).toMatch(/\+07:00$/);
    const lookup0 = await http.call('get', `/api/v1/public/cases/${code}`, { headers: { 'x-access-key': accessKey } });
    expect(lookup0.status).toBe(200);
    expect(lookup0.json).toMatchObject({ code, state: 'RECEIVED', answer: null });

    // 2. VPCP routes it to the ministry: a signed routing package; the ministry's 01 receipt the same moment.
    const routed = await http.call('post', `/api/v1/cases/${code}/route`, { key: vpcpKey, json: { agencyId: MINISTRY, note: 'Đề nghị Bộ Tư pháp xem xét, trả lời.' } });
    expect(routed.status, problemOf(routed)).toBe(200);
    expect(routed.json.case).toMatchObject({ state: 'TRANSFERRED', leadAgency: MINISTRY });
    expect(routed.json.message).toMatchObject({ from: VPCP, to: MINISTRY, kind: 'edoc', businessType: 0, purpose: 'routing' });
    expect(routed.json.message.verification.indication).toBe('TOTAL_PASSED');
    expect(routed.json.receipt).toMatchObject({ from: MINISTRY, to: VPCP, statusCode: '01' });
    const routingId = routed.json.message.id as string;

    // 3. The ministry pulls: the package shows up in its inbox once delivered.
    const inbox = await eventually(async () => {
      const r = await http.call('get', '/api/v1/inbox', { key: ministryKey });
      expect(r.status).toBe(200);
      return (r.json.messages as { id: string }[]).find((m) => m.id === routingId);
    }, 20_000, 'the routing package in the ministry inbox');
    expect(inbox).toMatchObject({ status: 'delivered', documentId: routed.json.documentId });

    const dl = await http.call('get', `/api/v1/messages/${routingId}/package`, { key: ministryKey });
    expect(dl.status).toBe(200);
    expect(dl.contentType).toMatch(/application\/xml/);
    expect(dl.headers.get('x-kyso-message-id')).toBe(routingId);
    expect(sha256(dl.bytes)).toBe(dl.headers.get('x-content-sha256'));
    // What the ministry got verifies on its own (package signature and the signed letter inside).
    const v = await verifyXmlPackage(dl.bytes, ex.rt.ctx.verify);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.package?.MessageHeader.DocumentId).toBe(routed.json.documentId);
    expect(v.package?.MessageHeader.To.map((t) => t.OrganId)).toEqual([MINISTRY]);
    expect(v.report.attachments?.[0]?.report?.signatures).toHaveLength(2);

    const ack = await http.call('post', `/api/v1/messages/${routingId}/ack`, { key: ministryKey });
    expect(ack.status, problemOf(ack)).toBe(200);
    expect(ack.json).toMatchObject({ id: routingId, status: 'acknowledged' });
    expect(ack.json.acknowledgedAt).toMatch(/\+07:00$/);
    // Acknowledging twice changes nothing.
    const ack2 = await http.call('post', `/api/v1/messages/${routingId}/ack`, { key: ministryKey });
    expect(ack2.json.acknowledgedAt).toBe(ack.json.acknowledgedAt);
    const afterAck = await http.call('get', '/api/v1/inbox', { key: ministryKey });
    expect((afterAck.json.messages as { id: string }[]).map((m) => m.id)).not.toContain(routingId);

    // 4. The ministry reports 03 (registered) and 05 (in progress): signed status packets back to VPCP.
    for (const [statusCode, state] of [['03', 'ACCEPTED_BY_AGENCY'], ['05', 'IN_PROGRESS']] as const) {
      const s = await http.call('post', `/api/v1/messages/${routingId}/status`, { key: ministryKey, json: { code: statusCode, description: `Trạng thái ${statusCode}` } });
      expect(s.status, problemOf(s)).toBe(202);
      expect(s.json).toMatchObject({ accepted: true, duplicate: false, kind: 'status' });
      expect(s.json.messages[0]).toMatchObject({ from: MINISTRY, to: VPCP, statusCode });
      const c = await http.call('get', `/api/v1/cases/${code}`, { key: ministryKey });
      expect(c.json.state).toBe(state);
    }
    // VPCP (pull) receives the 01, 03 and 05 packets in its inbox, each signed with the ministry's seal.
    const statuses = await eventually(async () => {
      const r = await http.call('get', '/api/v1/inbox', { key: vpcpKey });
      const mine = (r.json.messages as { kind: string; from: string; responseFor: string; statusCode: string; id: string }[]).filter(
        (m) => m.kind === 'status' && m.from === MINISTRY && m.responseFor === routed.json.documentId,
      );
      return mine.length >= 3 ? mine : undefined;
    }, 20_000, 'the statuses in the VPCP inbox');
    expect(statuses.map((m) => m.statusCode).sort()).toEqual(['01', '03', '05']);
    const s05 = statuses.find((m) => m.statusCode === '05')!;
    const packet = await http.call('get', `/api/v1/messages/${s05.id}/package`, { key: vpcpKey });
    const sv = await verifyXmlPackage(packet.bytes, ex.rt.ctx.verify);
    expect(sv.report.indication).toBe('TOTAL_PASSED');
    expect(sv.report.signatures[0]?.signer?.serialNumber).toBe(MINISTRY);
    expect(sv.status?.StatusCode).toBe('05');

    // 5. The ministry replies: the reply letter, signed, in a package answering the routing document.
    const reply = await http.call('post', `/api/v1/cases/${code}/reply`, {
      key: ministryKey,
      json: { answer: ['Bộ Tư pháp trả lời như sau:', 'Người dân được chứng thực bản sao điện tử tại Ủy ban nhân dân cấp xã hoặc trên Cổng dịch vụ công.'], symbol: 'BTP-HCTP' },
    });
    expect(reply.status, problemOf(reply)).toBe(201);
    expect(reply.json).toMatchObject({ accepted: true, kind: 'edoc' });
    expect(reply.json.messages[0]).toMatchObject({ from: MINISTRY, to: VPCP, responseFor: routed.json.documentId });
    const vpcpCase = await http.call('get', `/api/v1/cases/${code}`, { key: vpcpKey });
    expect(vpcpCase.json.state).toBe('ANSWERED');
    // The reply reaches VPCP's inbox.
    await eventually(async () => {
      const r = await http.call('get', '/api/v1/inbox', { key: vpcpKey });
      return (r.json.messages as { id: string }[]).some((m) => m.id === reply.json.messages[0].id);
    }, 20_000, 'the reply in the VPCP inbox');

    // Before publication the citizen sees no answer, and the download is 404.
    const early = await http.call('get', `/api/v1/public/cases/${code}/answer`, { headers: { 'x-access-key': accessKey } });
    expect(early.status).toBe(404);

    // 6. VPCP publishes.
    const pub = await http.call('post', `/api/v1/cases/${code}/publish`, { key: vpcpKey, json: {} });
    expect(pub.status, problemOf(pub)).toBe(200);
    expect(pub.json.state).toBe('PUBLISHED');

    // 7. The citizen looks the case up and downloads the signed answer.
    const view = await http.call('get', `/api/v1/public/cases/${code}`, { headers: { 'x-access-key': accessKey } });
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ code, state: 'PUBLISHED', stateLabel: { vi: 'Đã công khai kết quả trả lời' }, agency: { id: MINISTRY, name: 'Bộ Tư pháp' } });
    expect(view.json.answer.href).toBe(`/api/v1/public/cases/${code}/answer`);
    const wrong = await http.call('get', `/api/v1/public/cases/${code}/answer`, { headers: { 'x-access-key': `${accessKey}x` } });
    expect(wrong.status).toBe(404);
    const answer = await http.call('get', view.json.answer.href, { headers: { 'x-access-key': accessKey } });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/application\/pdf/);
    expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="tra-loi-${code}.pdf"`);
    expect(sha256(answer.bytes)).toBe(view.json.answer.sha256);
    expect(Buffer.from(answer.bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');

    // 8. The national verification endpoint says the downloaded PDF is valid: person + ministry seal.
    const verified = await http.call('post', '/api/v1/verify', { body: answer.bytes, contentType: 'application/pdf' });
    expect(verified.status, problemOf(verified)).toBe(200);
    const report = verified.json as ValidationReport;
    expect(report.indication, JSON.stringify(report.signatures.map((s) => s.checks.filter((c) => c.status !== 'PASSED')))).toBe('TOTAL_PASSED');
    // The competent person and the ministry seal (a published answer may also carry archive timestamps).
    const signatures = report.signatures.filter((s) => s.kind === 'signature');
    expect(signatures.map((s) => s.signer?.organization)).toEqual(['Bộ Tư pháp', 'Bộ Tư pháp']);
    expect(report.signatures.filter((s) => s.kind !== 'signature').every((s) => s.kind === 'document-timestamp')).toBe(true);

    // Every step is in the audit log, the chain is intact, and the citizen's download is recorded.
    const audit = await http.call('get', '/api/v1/admin/audit/verify', { key: ex.key('admin') });
    expect(audit.json.ok).toBe(true);
    expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
    const actions = (await ex.rt.db.query<{ action: string; subject: string }>('SELECT action, subject FROM audit_log ORDER BY seq')).rows;
    for (const a of ['case.submitted', 'case.transfer', 'message.received', 'delivery.delivered', 'message.acknowledged', 'case.status_03', 'case.reply', 'case.publish']) {
      expect(actions.map((x) => x.action), a).toContain(a);
    }
    expect(actions.filter((x) => x.action === 'answer.accessed' && x.subject === code)).toHaveLength(1);
  }, 180_000);

  it('the province is a push agency: its webhook gets the package, and only a 2xx answer counts as delivered', async () => {
    const vpcpKey = ex.key(VPCP);
    // With a photo of the site: citizens' files travel with the routing package.
    const photo = readFileSync(join(import.meta.dirname, '../fixtures/images/seal-red.png'));
    const sub = await http.call('post', '/api/v1/public/cases', {
      json: { ...submission('cấp giấy phép xây dựng nhà ở riêng lẻ'), attachments: [{ name: 'hien-trang.png', mediaType: 'image/png', contentBase64: photo.toString('base64') }] },
    });
    expect(sub.status).toBe(201);
    const code = sub.json.code as string;

    // The webhook first answers with a redirect, then 500 — neither is an acknowledgement — then 202.
    hook.respond = (_hit, earlier) => (earlier === 0 ? { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } } : earlier === 1 ? { status: 500 } : { status: 202 });
    const routed = await http.call('post', `/api/v1/cases/${code}/route`, { key: vpcpKey, json: { agencyId: PROVINCE } });
    expect(routed.status, problemOf(routed)).toBe(200);
    const id = routed.json.message.id as string;

    const msg = await eventually(async () => {
      const r = await http.call('get', `/api/v1/messages/${id}`, { key: vpcpKey });
      return r.json.status === 'delivered' ? r.json : undefined;
    }, 20_000, 'push delivery to the province');
    expect(msg.to).toBe(PROVINCE);
    const hits = hook.hits.filter((h) => h.messageId === id);
    expect(hits.map((h) => h.answered)).toEqual([302, 500, 202]);
    // Every POST carried the exact package the message row names, as edXML.
    for (const h of hits) {
      expect(h.contentType).toMatch(/application\/xml/);
      expect(h.bodySha256).toBe(msg.packageSha256);
      expect(h.declaredSha256).toBe(msg.packageSha256);
    }
    const pushed = parseEdxml(hits[2]!.body);
    expect(pushed.kind === 'document' && pushed.package.MessageHeader.To[0]?.OrganId).toBe(PROVINCE);
    // The VPCP seal over the package and the signed letter verify; the citizen's photo arrives byte for byte,
    // covered by the package seal (it has no signature of its own, and the report says so).
    const pv = await verifyXmlPackage(hits[2]!.body, ex.rt.ctx.verify);
    expect(pv.report.signatures.map((s) => [s.indication, s.signer?.serialNumber])).toEqual([['TOTAL_PASSED', VPCP]]);
    expect(pv.report.attachments?.map((a) => a.report?.indication ?? a.problem?.en)).toEqual(['TOTAL_PASSED', 'Signatures of image/png files are not verified']);
    expect(pv.package?.Attachments[1]?.AttachmentName).toBe('hien-trang.png');
    expect(Buffer.from(pv.package!.Attachments[1]!.ContentTransferEncoded).equals(photo)).toBe(true);

    // The attempts are in the audit log: two failures with their reasons, then the delivery.
    const attempts = (
      await ex.rt.db.query<{ details: { ok: boolean; httpStatus?: number; reason?: string } }>(`SELECT details FROM audit_log WHERE action = 'delivery.attempt' AND subject = $1 ORDER BY seq`, [id])
    ).rows.map((r) => r.details);
    expect(attempts.map((a) => [a.ok, a.httpStatus])).toEqual([
      [false, 302],
      [false, 500],
      [true, 202],
    ]);
    expect(attempts[1]!.reason).toMatch(/HTTP 500/);

    // The province answers through the API like any agency; the push agency reads the case it was sent.
    const provinceKey = ex.key(PROVINCE);
    const s03 = await http.call('post', `/api/v1/messages/${id}/status`, { key: provinceKey, json: { code: '03' } });
    expect(s03.status, problemOf(s03)).toBe(202);
    const c = await http.call('get', `/api/v1/cases/${code}`, { key: provinceKey });
    expect(c.json).toMatchObject({ state: 'ACCEPTED_BY_AGENCY', leadAgency: PROVINCE });
    // The 01 and 03 statuses for VPCP and nothing pushed twice.
    expect(hook.countFor(id)).toBe(3);
    expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
  }, 120_000);
});
