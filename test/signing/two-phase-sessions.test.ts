// The signing-session API on a real server (PGlite, file blobs, the test PKI): start → sign elsewhere →
// complete, as a client would call it. Sessions expire, cannot be completed twice (also not by two requests
// racing), belong to the agency that started them, and refuse a wrong signature with 422 while staying open
// for a retry. Every step lands in the audit chain.
import { constants, createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { verifyDocument } from '../../src/exchange/verify-document.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { SIGNING_SESSION_ROUTES } from '../../src/http/signing-sessions.ts';
import { startSigningServer, type SigningServer } from './two-phase-server.ts';
import { BACKENDS } from '../store/test-databases.ts';

let srv: SigningServer;

const pki = useTestPkiServer();

const pdf = readFileSync(samples[0]!.file);
const identity = (id: TestIdentityId) => ({ key: createPrivateKey(testPki.identity(id).keyPem()), pem: testPki.identity(id).certPem() });

interface Started {
  id: string;
  toBeSigned: string;
  dataToSign: string;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  webCrypto: { name: string; saltLength?: number };
  certificate: string;
  expiresAt: string;
  state: string;
}

async function call(path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('Authorization', `Bearer ${init.key ?? srv.key}`);
  if (init.json !== undefined) headers.set('Content-Type', 'application/json');
  return fetch(`${srv.http.url}${path}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

async function start(body: Record<string, unknown> = {}, key?: string): Promise<Started> {
  const r = await call('/api/v1/signing-sessions', { method: 'POST', key, json: { document: pdf.toString('base64'), fileName: 'cong-van.pdf', certificate: identity('person-vpcp').pem, ...body } });
  expect(r.status, await r.clone().text()).toBe(201);
  expect(r.headers.get('location')).toMatch(/^\/api\/v1\/signing-sessions\/[0-9a-f-]{36}$/);
  return (await r.json()) as Started;
}

function signWith(key: KeyObject, s: Started): string {
  const data = Buffer.from(s.toBeSigned, 'base64');
  const sig =
    s.signatureAlgorithm === 'RSASSA-PSS'
      ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : s.signatureAlgorithm === 'ECDSA'
        ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', data, key);
  return sig.toString('base64');
}

const complete = (id: string, signatureValue: string, key?: string, accept = 'application/json') =>
  call(`/api/v1/signing-sessions/${id}/complete`, { method: 'POST', key, json: { signatureValue }, headers: { Accept: accept } });

async function auditActions(subject: string): Promise<string[]> {
  const r = await srv.db.query<{ action: string }>('SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq', [subject]);
  return r.rows.map((x) => x.action);
}

describe.each(BACKENDS)('signing sessions over HTTP (%s)', (backend) => {
  beforeAll(async () => {
    srv = await startSigningServer(pki.server, { ttlMs: 10 * 60_000, backend });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('start announces the data to sign, the algorithm and the certificate; complete returns the signed PDF, verified', async () => {
    const s = await start({ level: 'B-T', reason: 'Phê duyệt' });
    expect(s.state).toBe('open');
    expect(s.digestAlgorithm).toBe('SHA-256');
    expect(s.signatureAlgorithm).toBe('RSASSA-PSS');
    expect(s.webCrypto).toEqual({ name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 });
    expect(new X509Certificate(s.certificate).subject).toContain('Nguyễn Văn An');
    expect(Buffer.from(s.dataToSign, 'base64')).toHaveLength(32);
    expect(s.expiresAt).toMatch(/\+07:00$/);
    const r = await complete(s.id, signWith(identity('person-vpcp').key, s), undefined, 'application/pdf');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/pdf/);
    expect(r.headers.get('x-kyso-indication')).toBe('TOTAL_PASSED');
    expect(r.headers.get('content-disposition')).toContain('cong-van-da-ky.pdf');
    const signed = new Uint8Array(await r.arrayBuffer());
    const report = await verifyDocument(signed, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expect(report.indication).toBe('TOTAL_PASSED');
    expect(report.signatures[0]!.level).toBe('B-T');
    // The session now shows completed, and the same document can be fetched again.
    const g = await (await call(`/api/v1/signing-sessions/${s.id}`)).json();
    expect(g).toMatchObject({ id: s.id, state: 'completed', indication: 'TOTAL_PASSED' });
    const again = await call(`/api/v1/signing-sessions/${s.id}/document`);
    expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(signed))).toBe(true);
    expect(await auditActions(s.id)).toEqual(['signing_session.started', 'signing_session.completed']);
  });

  it('a signature by another key → 422 problem+json; the session stays open and completes with the right key', async () => {
    const s = await start();
    const bad = await complete(s.id, signWith(identity('person-province').key, s));
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const p = await bad.json();
    expect(p).toMatchObject({ code: 'SIGNATURE_VALUE_INVALID', status: 422 });
    expect(p.detail).toMatch(/Chữ ký không khớp/);
    expect(p.detail_en).toMatch(/does not verify/);
    expect(await (await call(`/api/v1/signing-sessions/${s.id}`)).json()).toMatchObject({ state: 'open', attempts: 1 });
    const ok = await complete(s.id, signWith(identity('person-vpcp').key, s));
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body.verification.indication).toBe('TOTAL_PASSED');
    expect(Buffer.from(body.document, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(await auditActions(s.id)).toEqual(['signing_session.started', 'signing_session.rejected', 'signing_session.completed']);
  });

  it('cannot be completed twice — neither after completion nor by two requests at once', async () => {
    const s = await start();
    const value = signWith(identity('person-vpcp').key, s);
    const [a, b] = await Promise.all([complete(s.id, value), complete(s.id, value)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect((await loser.json()).code).toBe('SESSION_CLOSED');
    const third = await complete(s.id, value);
    expect(third.status).toBe(409);
    expect((await third.json()).detail).toMatch(/đã hoàn tất/);
    expect((await auditActions(s.id)).filter((x) => x === 'signing_session.completed')).toHaveLength(1);
  });

  it('expires: after its lifetime a session refuses completion with 410 and shows as expired', async () => {
    const s = await start();
    const value = signWith(identity('person-vpcp').key, s);
    srv.advance(10 * 60_000 + 1000);
    try {
      const r = await complete(s.id, value);
      expect(r.status).toBe(410);
      expect((await r.json()).code).toBe('SESSION_EXPIRED');
      expect(await (await call(`/api/v1/signing-sessions/${s.id}`)).json()).toMatchObject({ state: 'expired' });
    } finally {
      srv.advance(-(10 * 60_000 + 1000));
    }
  });

  it("belongs to the starting agency: another agency's key gets 404, an admin key 403, no key 401", async () => {
    const s = await start();
    const value = signWith(identity('person-vpcp').key, s);
    expect((await call(`/api/v1/signing-sessions/${s.id}`, { key: srv.otherKey })).status).toBe(404);
    expect((await complete(s.id, value, srv.otherKey)).status).toBe(404);
    expect((await complete(s.id, value, srv.adminKey)).status).toBe(403);
    expect((await call(`/api/v1/signing-sessions/${s.id}`, { key: null })).status).toBe(401);
    expect((await complete(s.id, value)).status).toBe(200);
  });

  it('XML and ECDSA: an edXML package signed with raw r||s, B-B', async () => {
    const xml = readFileSync(new URL('../fixtures/xml/edxml-sample.xml', import.meta.url));
    const s = await start({ document: xml.toString('base64'), fileName: 'goi-tin.xml', certificate: identity('person-ministry').pem });
    expect(s.signatureAlgorithm).toBe('ECDSA');
    expect(Buffer.from(s.toBeSigned, 'base64').toString('utf8')).toMatch(/^<ds:SignedInfo/);
    const r = await complete(s.id, signWith(identity('person-ministry').key, s));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.fileName).toBe('goi-tin-da-ky.xml');
    // The sample's attachment is a placeholder, so the package as a whole stays INDETERMINATE; its signature passes.
    expect(body.verification.signatures[0].indication).toBe('TOTAL_PASSED');
  });

  it('multipart start with the files document and certificate works like JSON', async () => {
    const form = new FormData();
    form.set('document', new Blob([pdf], { type: 'application/pdf' }), 'to-trinh.pdf');
    form.set('certificate', new Blob([identity('person-vpcp').pem], { type: 'application/x-pem-file' }), 'cert.pem');
    form.set('scheme', 'pkcs1');
    const r = await call('/api/v1/signing-sessions', { method: 'POST', body: form });
    expect(r.status).toBe(201);
    const s = (await r.json()) as Started;
    expect(s.signatureAlgorithm).toBe('RSASSA-PKCS1-v1_5');
    const done = await complete(s.id, signWith(identity('person-vpcp').key, s));
    expect((await done.json()).fileName).toBe('to-trinh-da-ky.pdf');
  });

  it('refuses bad starts with problem+json: no certificate (400), an expired certificate (422), not a document (422)', async () => {
    const noCert = await call('/api/v1/signing-sessions', { method: 'POST', json: { document: pdf.toString('base64') } });
    expect(noCert.status).toBe(400);
    const expired = await call('/api/v1/signing-sessions', { method: 'POST', json: { document: pdf.toString('base64'), certificate: identity('expired-signer').pem } });
    expect(expired.status).toBe(422);
    expect((await expired.json()).code).toBe('CERT_EXPIRED');
    const junk = await call('/api/v1/signing-sessions', { method: 'POST', json: { document: Buffer.from('hello').toString('base64'), certificate: identity('person-vpcp').pem } });
    expect(junk.status).toBe(422);
    expect((await junk.json()).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('authorisation matrix: every route of SIGNING_SESSION_ROUTES wants an agency or VPCP key', async () => {
    const s = await start();
    for (const route of SIGNING_SESSION_ROUTES) {
      expect(route.roles).toEqual(['agency', 'vpcp']);
      const path = route.path.replace(':id', s.id);
      const init = route.method === 'post' ? { method: 'POST', json: {} } : {};
      expect((await call(path, { ...init, key: null })).status, `${route.method} ${route.path} without a key`).toBe(401);
      expect((await call(path, { ...init, key: srv.adminKey })).status, `${route.method} ${route.path} with an admin key`).toBe(403);
      expect([401, 403]).not.toContain((await call(path, { ...init, key: srv.key })).status);
    }
  });

  it('the audit chain stays intact through all of it', async () => {
    const v = await verifyAuditChain(srv.db);
    expect(v.ok, JSON.stringify(v)).toBe(true);
  });
});
