// The service signs for an agency with the agency's seal in an HSM (issue 6: "the same in agency configuration
// for the service's seal signing"): the ministry's seal key lives in a SoftHSM2 token, agency_signing_keys names
// it by a PKCS#11 reference, and the status packets and receipts the service issues for the ministry are
// signed there — and accepted like any other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSigningKey } from '../../src/exchange/agencies/agency-registry.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { getMessage } from '../../src/exchange/messages/messages.ts';
import { reportStatus, routeCase, submitCase } from '../../src/exchange/pakn/case-service.ts';
import { testPki } from '../../certs-test/index.ts';
import { createHash } from 'node:crypto';
import { pemToDer } from '../../src/pki/certificate.ts';
import { MINISTRY, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../helpers/softhsm.ts';

const pki = useTestPkiServer();

describe('agency seal in a PKCS#11 token', () => {
  let ex: TestExchange;
  let hsm: SoftHsm;

  beforeAll(async () => {
    hsm = await createSoftHsm([{ label: 'Bo Tu phap', pin: '246810', keys: [{ identity: 'ministry-seal', id: '0b' }] }]);
    process.env[hsm.tokens[0]!.pinEnv] = '246810';
    ex = await startTestExchange(pki.server);
    await setSigningKey(ex.rt.db, {
      agencyId: MINISTRY,
      purpose: 'seal',
      keyRef: { type: 'pkcs11', module: SOFTHSM_MODULE, token: 'Bo Tu phap', id: '0b', pinEnv: hsm.tokens[0]!.pinEnv },
      signer: {},
    });
    ex.rt.ctx.signers.forget(MINISTRY);
  }, 60_000);
  afterAll(async () => {
    await ex?.close();
    hsm?.remove();
  });

  it('signs the ministry’s receipt and status packets in the token; they verify and are accepted', async () => {
    const { ctx } = ex.rt;
    const sub = await submitCase(ctx, { submitter: { name: 'Trần Văn Cường', address: 'Hà Nội', phone: '0901234567' }, title: 'công chứng hợp đồng', content: 'Đề nghị rút ngắn thời gian.' });
    const routed = await routeCase(ctx, ex.principal(VPCP), sub.case.code, { agencyId: MINISTRY });
    // The 01 receipt the service issued for the ministry was signed with the token's key.
    const receipt = await getMessage(ctx.db, routed.receipt!.id);
    const report = (await verifyXmlPackage(await ctx.blobs.get(receipt!.packageSha256), ctx.verify)).report;
    expect(report.indication).toBe('TOTAL_PASSED');
    const sealSha = createHash('sha256').update(pemToDer(testPki.identity('ministry-seal').certPem())).digest('hex');
    expect(report.signatures[0]!.signer!.certificateSha256).toBe(sealSha);

    // Concurrent status reports share the token's session pool.
    const results = await Promise.all(['03', '04', '05'].map((code) => reportStatus(ctx, ex.principal(MINISTRY), routed.message.id, { code })));
    expect(results.every((r) => r.accepted)).toBe(true);
  }, 90_000);
});
