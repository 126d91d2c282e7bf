// The archive in the service (issue 7): a published answer and every exchanged package are kept at B-LTA —
// verifiable offline, years later — and renewed before their archive timestamp's TSA certificate expires.
// Real TSA/OCSP from the test PKI server, real Redis and PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runArchivePass } from '../../src/exchange/archive/archive.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { citizenAnswer, publishCase, replyToCase, routeCase, submitCase } from '../../src/exchange/pakn/case-service.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { MINISTRY, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

interface ArchiveRow {
  kind: string;
  subject: string;
  original_sha256: string;
  archived_sha256: string | null;
  tsa_not_after: Date | null;
  renewal_due_at: Date;
  attempts: number;
  last_error: string | null;
}

describe('archive at B-LTA', () => {
  let ex: TestExchange;
  let code = '';
  let accessKey = '';

  beforeAll(async () => {
    ex = await startTestExchange(pki.server);
    const { ctx } = ex.rt;
    const sub = await submitCase(ctx, { submitter: { name: 'Phạm Thị Lan', address: 'Hà Nội', phone: '0911222333' }, title: 'cấp bản sao trích lục', content: 'Đề nghị cấp trực tuyến.' });
    code = sub.case.code;
    accessKey = sub.accessKey;
    await routeCase(ctx, ex.principal(VPCP), code, { agencyId: MINISTRY });
    await replyToCase(ctx, ex.principal(MINISTRY), code, { answer: ['Bộ Tư pháp trả lời: đã triển khai cấp bản sao trích lục trực tuyến.'] });
  }, 120_000);
  afterAll(async () => {
    await ex?.close();
  });

  const rows = async () => (await ex.rt.db.query<ArchiveRow>('SELECT kind, subject, original_sha256, archived_sha256, tsa_not_after, renewal_due_at, attempts, last_error FROM archive_documents ORDER BY id')).rows;

  it('archives every exchanged package; a TSA outage is retried, not lost', async () => {
    const { ctx } = ex.rt;
    pki.server.setOffline({ tsa: true });
    const failed = await runArchivePass(ctx);
    expect(failed.failed.length).toBeGreaterThan(0);
    const pending = (await rows()).filter((r) => r.kind === 'package');
    expect(pending.length).toBeGreaterThanOrEqual(2); // the routing package and the reply
    expect(pending.every((r) => r.archived_sha256 === null && r.attempts === 1 && r.last_error)).toBe(true);

    pki.server.setOffline(false);
    const later = new Date(Date.now() + 2 * 60_000);
    const ok = await runArchivePass(ctx, { horizonDays: 90 }, later);
    expect(ok.failed).toEqual([]);
    expect(ok.extended).toBe(pending.length);
    for (const r of (await rows()).filter((x) => x.kind === 'package')) {
      const report = (await verifyXmlPackage(await ctx.blobs.get(r.archived_sha256!), { ...ctx.verify, offline: true })).report;
      expect(report.indication).toBe('TOTAL_PASSED');
      expect(report.signatures[0]!.level).toBe('B-LTA');
    }
  }, 120_000);

  it('publishes the answer at B-LTA: the citizen’s download verifies offline, signatures intact', async () => {
    const { ctx } = ex.rt;
    await publishCase(ctx, ex.principal(VPCP), code);
    const answer = await citizenAnswer(ctx, code, accessKey);
    const row = (await rows()).find((r) => r.kind === 'answer')!;
    expect(row.archived_sha256).toBe(answer.sha256);
    expect(row.original_sha256).not.toBe(answer.sha256);
    // Offline, as in ten years when the OCSP responder is gone: everything needed is in the file.
    pki.server.setOffline(true);
    const report = await verifyPdf(answer.bytes, { ...ctx.verify, offline: true });
    expect(report.indication).toBe('TOTAL_PASSED');
    const signatures = report.signatures.filter((s) => s.kind === 'signature');
    expect(signatures.length).toBeGreaterThanOrEqual(2);
    for (const s of signatures) expect(s.level).toBe('B-LTA');
    // The next renewal is due before the archive timestamp's TSA certificate expires (90-day horizon).
    expect(row.renewal_due_at.getTime()).toBe(row.tsa_not_after!.getTime() - 90 * 86_400_000);
  }, 120_000);

  it('renews an archive when its TSA certificate nears expiry, and audits it', async () => {
    const { ctx } = ex.rt;
    const before = (await rows()).find((r) => r.kind === 'answer')!;
    const nearExpiry = new Date(before.renewal_due_at.getTime() + 1000);
    const r = await runArchivePass(ctx, { horizonDays: 90 }, nearExpiry);
    expect(r.renewed).toBeGreaterThanOrEqual(1);
    const after = (await rows()).find((x) => x.kind === 'answer')!;
    expect(after.archived_sha256).not.toBe(before.archived_sha256);
    const renewed = await ctx.blobs.get(after.archived_sha256!);
    expect((await verifyPdf(renewed, { ...ctx.verify, offline: true })).indication).toBe('TOTAL_PASSED');
    const audit = (await ctx.db.query<{ action: string; subject: string }>(`SELECT action, subject FROM audit_log WHERE action LIKE 'archive.%'`)).rows;
    expect(audit).toEqual(expect.arrayContaining([{ action: 'archive.extended', subject: code }, { action: 'archive.renewed', subject: code }]));
  }, 120_000);
});
