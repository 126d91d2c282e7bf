// Path building: from the pool, from caIssuers (online only), broken links, CA constraints, validity.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { pemToDer } from '../../src/pki/certificate.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { certInfo } from '../../src/verify/cert-info.ts';
import { buildChain, CertificatePool, clearIssuerDownloadCache, validityProblems } from '../../src/verify/chain-builder.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { opensslAsync, tempDir, writeTemp } from '../pki/helpers.ts';
import { certDer } from './cms-test-helpers.ts';

let server: TestPkiServer;
beforeAll(async () => {
  server = await startTestPkiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => clearIssuerDownloadCache());

const trust = TrustStore.demo();
const names = (r: { chain: { cert: { subjectFields: { commonName?: string } } }[] }) => r.chain.map((e) => e.cert.subjectFields.commonName);

async function ossl(args: string[]): Promise<void> {
  const r = await opensslAsync(args);
  if (r.status !== 0) throw new Error(r.out);
}

describe('buildChain', () => {
  it('builds leaf → CA → root from the pool and marks where each came from', async () => {
    const pool = new CertificatePool().addAll([certDer('ca')], 'signature');
    const r = await buildChain(certInfo(certDer('person-vpcp')), { trust, pool });
    expect(r.found).toBe(true);
    expect(r.problems).toEqual([]);
    expect(names(r)).toEqual(['Nguyễn Văn An', 'Test Ban Cơ yếu CA', 'Test NEAC Root']);
    expect(r.chain.map((e) => e.source)).toEqual(['signature', 'signature', 'trust-store']);
    expect(r.fetched).toBe(0);
  });

  it('fetches a missing issuer from caIssuers only when allowed and online', async () => {
    const leaf = certInfo(certDer('person-vpcp'));
    const network = { rewrite: server.rewrite };
    const none = await buildChain(leaf, { trust, pool: new CertificatePool(), network });
    expect(none.found).toBe(false);
    expect(none.reason?.vi).toContain('Không tìm thấy chứng thư của tổ chức cấp');
    expect(none.reason?.en).toContain('Test Ban Cơ yếu CA');
    const offline = await buildChain(leaf, { trust, pool: new CertificatePool(), network, fetchIssuers: true, offline: true });
    expect(offline.found).toBe(false);
    const before = server.requests.certs;
    const online = await buildChain(leaf, { trust, pool: new CertificatePool(), network, fetchIssuers: true });
    expect(online.found).toBe(true);
    expect(online.chain.map((e) => e.source)).toEqual(['signature', 'aia', 'trust-store']);
    expect(online.fetched).toBe(1);
    expect(server.requests.certs).toBe(before + 1);
    await buildChain(leaf, { trust, pool: new CertificatePool(), network, fetchIssuers: true });
    expect(server.requests.certs).toBe(before + 1); // cached
  });

  it('an unreachable caIssuers URL is just a missing issuer', async () => {
    server.setOffline({ certs: true });
    try {
      const r = await buildChain(certInfo(certDer('person-vpcp')), { trust, pool: new CertificatePool(), network: { rewrite: server.rewrite, timeoutMs: 2000 }, fetchIssuers: true });
      expect(r.found).toBe(false);
    } finally {
      server.setOffline(false);
    }
  });

  it('a certificate naming the CA but signed by another key does not chain', async () => {
    const dir = tempDir('kyso-chain-');
    const subj = '/C=VN/O=Ban Cơ yếu Chính phủ (THỬ NGHIỆM)/OU=Cục Chứng thực số và Bảo mật thông tin/CN=Test Ban Cơ yếu CA';
    await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'fake-ca.key'), '-out', join(dir, 'fake-ca.pem'), '-subj', subj, '-utf8', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign']);
    // No authorityKeyIdentifier: otherwise the key-identifier mismatch alone would rule the real CA out.
    const ext = writeTemp(dir, 'leaf.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=none\n');
    await ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr'), '-subj', '/CN=Kẻ mạo danh', '-utf8']);
    await ossl(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', join(dir, 'fake-ca.pem'), '-CAkey', join(dir, 'fake-ca.key'), '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', '30', '-extfile', ext, '-out', join(dir, 'leaf.pem')]);
    const leaf = certInfo(pemToDer(readFileSync(join(dir, 'leaf.pem'), 'utf8')));
    expect(leaf.issuerKey).toBe(certInfo(certDer('ca')).subjectKey);
    const r = await buildChain(leaf, { trust, pool: new CertificatePool().addAll([certDer('ca')], 'signature') });
    expect(r.found).toBe(false);
    expect(leaf.authorityKeyIdentifier).toBeUndefined();
    expect(r.reason?.en).toContain("does not verify with its issuer's key");
  });

  it('reports a path through a sub-CA that exceeds pathLen=0 of the issuing CA', async () => {
    const dir = tempDir('kyso-chain-');
    const ca = testPki.identity('ca');
    const subExt = writeTemp(dir, 'sub.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    await ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'sub.key'), '-out', join(dir, 'sub.csr'), '-subj', '/CN=Sub CA trái phép', '-utf8']);
    await ossl(['x509', '-req', '-in', join(dir, 'sub.csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', '30', '-extfile', subExt, '-out', join(dir, 'sub.pem')]);
    const leafExt = writeTemp(dir, 'leaf.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
    await ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr'), '-subj', '/CN=Người dưới Sub CA', '-utf8']);
    await ossl(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', join(dir, 'sub.pem'), '-CAkey', join(dir, 'sub.key'), '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', '30', '-extfile', leafExt, '-out', join(dir, 'leaf.pem')]);
    const sub = pemToDer(readFileSync(join(dir, 'sub.pem'), 'utf8'));
    const leaf = certInfo(pemToDer(readFileSync(join(dir, 'leaf.pem'), 'utf8')));
    const r = await buildChain(leaf, { trust, pool: new CertificatePool().addAll([sub, certDer('ca')], 'signature') });
    expect(r.found).toBe(true);
    expect(names(r)).toEqual(['Người dưới Sub CA', 'Sub CA trái phép', 'Test Ban Cơ yếu CA', 'Test NEAC Root']);
    expect(r.problems.map((p) => p.message.en).join()).toContain('pathLen=0');
  });

  it('a trusted leaf is a chain of one; an untrusted self-signed root says so', async () => {
    const direct = await buildChain(certInfo(certDer('root-ca')), { trust, pool: new CertificatePool() });
    expect(direct.found).toBe(true);
    expect(direct.chain).toHaveLength(1);
    const other = TrustStore.fromCertificates([certDer('tsa')]);
    const r = await buildChain(certInfo(certDer('person-vpcp')), { trust: other, pool: new CertificatePool().addAll([certDer('ca'), certDer('root-ca')], 'document') });
    expect(r.found).toBe(false);
    expect(r.reason?.vi).toContain('Chứng thư gốc "Test NEAC Root" không nằm trong danh sách chứng thư tin cậy');
  });
});

describe('validityProblems', () => {
  it('finds expired and not-yet-valid certificates, the anchor exempt unless asked', async () => {
    const pool = new CertificatePool().addAll([certDer('ca')], 'signature');
    const r = await buildChain(certInfo(certDer('expired-signer')), { trust, pool });
    expect(validityProblems(r.chain, new Date('2024-06-01T00:00:00Z'), { anchorIncluded: true })).toEqual([]);
    expect(validityProblems(r.chain, new Date()).map((p) => [p.index, p.kind])).toEqual([[0, 'expired']]);
    expect(validityProblems(r.chain, new Date('2023-06-01T00:00:00Z'), { anchorIncluded: true }).map((p) => [p.index, p.kind])).toEqual([
      [0, 'not-yet-valid'],
      [1, 'not-yet-valid'],
    ]);
    expect(validityProblems(r.chain, new Date('2023-06-01T00:00:00Z'), { anchorIncluded: true, checkAnchor: true })).toHaveLength(3);
  });
});
