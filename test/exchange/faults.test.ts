// Issue 5, Proof — faults: nothing lost, nothing duplicated, every failure visible with a reason.
//
//   - a delivery worker (`kyso serve --role worker`, a child process on PostgreSQL) killed while its POST to a
//     slow webhook is in flight: another worker delivers; the webhook sees the message at most twice;
//   - Redis (a private redis-server) stopped while packages are accepted, started again on the same port and
//     data directory: the API still answers 202 (committed), and everything is delivered exactly once;
//   - a push agency's webhook down, then back: retries with backoff; down for longer than every attempt: a
//     dead letter with the reason in the operator view, replayed, delivered;
//   - the same package posted twice (same bytes; same Idempotency-Key): one message, one receipt, one delivery;
//   - a byte of signed content changed: 422 with the reason, stored as rejected, a signed 02 receipt for the
//     sender, nothing delivered to the recipient;
//   - a package signed with another agency's certificate: rejected naming both; From another agency: 403;
//   - an unknown recipient: 422 UNKNOWN_AGENCY, nothing stored.
// After each: the audit chain verifies and the audit log shows the failure with its reason.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { verifyXmlPackage } from '../../src/exchange/edxml/verify-package.ts';
import { getMessage } from '../../src/exchange/messages/messages.ts';
import { startPrivateRedis, type PrivateRedis } from '../../src/exchange/queue/redis-connection.ts';
import { startExchangeRuntime, type ExchangeRuntime } from '../../src/exchange/runtime.ts';
import type { Database } from '../../src/store/database.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { agencyPackage, tamperSubject } from '../helpers/agency-packages.ts';
import { eventually, MINISTRY, PROVINCE, REDIS_TEST_URL, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { startExchangeHttp, type ApiAnswer, type ExchangeHttp } from '../helpers/exchange-http.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { startRedisOn } from '../helpers/redis-server.ts';
import { startWebhook, type TestWebhook } from '../helpers/webhook-server.ts';
import { BACKENDS, openTestDatabase, PG_TEST_URL, type TestDatabase } from '../store/test-databases.ts';

const pki = useTestPkiServer();
const ROOT = join(import.meta.dirname, '../..');
const UNKNOWN = '000.00.99.Z99';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const show = (r: ApiAnswer) => `${r.status} ${JSON.stringify(r.json)?.slice(0, 600)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let docNumber = Number.parseInt(randomBytes(2).toString('hex'), 16);
const nextNumber = () => ++docNumber;

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  subject: string;
  document_sha256: string | null;
  details: Record<string, unknown>;
}
async function auditOf(db: Database, where: string, params: unknown[]): Promise<AuditRow[]> {
  return (await db.query<AuditRow>(`SELECT seq, actor, action, subject, document_sha256, details FROM audit_log WHERE ${where} ORDER BY seq`, params)).rows;
}
async function chainOk(db: Database): Promise<void> {
  const v = await verifyAuditChain(db);
  expect(v.ok, JSON.stringify(v)).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------------
// One exchange (PGlite, the shared Redis under a random prefix) with the province as a push agency.

describe('receipt and delivery faults (one exchange, the province pushes to a webhook)', () => {
  let ex: TestExchange;
  let http: ExchangeHttp;
  let hook: TestWebhook;
  const post = (key: string, bytes: Uint8Array, headers: Record<string, string> = {}) => http.call('post', '/api/v1/messages', { key, body: bytes, headers });

  beforeAll(async () => {
    hook = await startWebhook();
    // 5 attempts, 200 ms doubling: 200 + 400 + 800 + 1600 ms ≈ 3 s from the first failure to the dead letter.
    ex = await startTestExchange(pki.server, { backend: 'pglite', webhooks: { [PROVINCE]: hook.url }, delivery: { attempts: 5, backoffMs: 200 } });
    http = await startExchangeHttp(ex.rt, pki.server);
  }, 60_000);
  afterAll(async () => {
    await http?.close();
    await ex?.close();
    await hook?.close();
  });
  afterEach(async () => {
    hook.respond = () => ({ status: 200 });
    await hook.start();
    await chainOk(ex.rt.db);
  });

  it('the webhook down, then back: failed attempts with their reasons, then delivered once', async () => {
    await hook.stop();
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const r = await post(ex.key(MINISTRY), pkg.bytes);
    expect(r.status, show(r)).toBe(202);
    const id = r.json.messages[0].id as string;
    // Two refused connections, then the agency is back.
    await eventually(async () => (await auditOf(ex.rt.db, `action = 'delivery.attempt' AND subject = $1`, [id])).length >= 2, 15_000, 'two failed attempts');
    await hook.start();
    await eventually(async () => (await getMessage(ex.rt.db, id))?.status === 'delivered', 15_000, 'delivery after the webhook is back');
    expect(hook.countFor(id)).toBe(1);
    expect(hook.hits.find((h) => h.messageId === id)!.bodySha256).toBe((await getMessage(ex.rt.db, id))!.packageSha256);
    const attempts = await auditOf(ex.rt.db, `action = 'delivery.attempt' AND subject = $1`, [id]);
    const failed = attempts.filter((a) => a.details.ok === false);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const a of failed) expect(a.details.reason).toMatch(/ECONNREFUSED.*POST http:\/\/127\.0\.0\.1:\d+\/hook/);
    expect(attempts.at(-1)!.details).toMatchObject({ ok: true, httpStatus: 200 });
    // Exponential backoff: the waits between attempts are at least 200, 400, … ms.
    const times = (await ex.rt.db.query<{ at: Date }>(`SELECT at FROM audit_log WHERE action = 'delivery.attempt' AND subject = $1 ORDER BY seq`, [id])).rows.map((r) => r.at.getTime());
    times.slice(1).forEach((t, i) => expect(t - times[i]!, `wait before attempt ${i + 2}`).toBeGreaterThanOrEqual(200 * 2 ** i - 20));
    await eventually(async () => (await auditOf(ex.rt.db, `action = 'delivery.delivered' AND subject = $1`, [id])).length === 1, 5000, 'delivery.delivered');
  }, 60_000);

  it('the webhook down for longer than every attempt: a dead letter with the reason, replayed by the operator, delivered', async () => {
    await hook.stop();
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const r = await post(ex.key(MINISTRY), pkg.bytes);
    expect(r.status, show(r)).toBe(202);
    const id = r.json.messages[0].id as string;
    const admin = ex.key('admin');
    const dead = await eventually(async () => {
      const list = await http.call('get', '/api/v1/admin/dead-letters', { key: admin });
      return (list.json.deadLetters as { messageId: string }[]).find((d) => d.messageId === id) as { messageId: string; agencyId: string; reason: string; attempts: number; failedAt: string } | undefined;
    }, 20_000, 'the dead letter');
    expect(dead).toMatchObject({ agencyId: PROVINCE, attempts: 5 });
    expect(dead.reason).toMatch(/ECONNREFUSED/);
    expect(dead.failedAt).toMatch(/\+07:00$/);
    const row = await eventually(async () => {
      const m = await getMessage(ex.rt.db, id);
      return m?.status === 'dead' && (await auditOf(ex.rt.db, `action = 'delivery.dead' AND subject = $1`, [id])).length > 0 ? m : undefined;
    }, 5000, 'the message marked dead');
    expect(row.statusReason).toMatch(/ECONNREFUSED/);
    expect(await auditOf(ex.rt.db, `action = 'delivery.attempt' AND subject = $1`, [id])).toHaveLength(5);
    const deadAudit = await auditOf(ex.rt.db, `action = 'delivery.dead' AND subject = $1`, [id]);
    expect(deadAudit).toHaveLength(1);
    expect(deadAudit[0]!.details.reason).toMatch(/ECONNREFUSED/);

    // The operator brings the webhook back and replays.
    await hook.start();
    const replay = await http.call('post', `/api/v1/admin/dead-letters/${id}/replay`, { key: admin });
    expect(replay.status, show(replay)).toBe(202);
    await eventually(async () => (await getMessage(ex.rt.db, id))?.status === 'delivered', 15_000, 'delivery after the replay');
    expect(hook.countFor(id)).toBe(1);
    const list = await http.call('get', '/api/v1/admin/dead-letters', { key: admin });
    expect((list.json.deadLetters as { messageId: string }[]).map((d) => d.messageId)).not.toContain(id);
    const replayed = await auditOf(ex.rt.db, `action = 'delivery.replayed' AND subject = $1`, [id]);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.details.previousReason).toMatch(/ECONNREFUSED/);
    // A second replay finds nothing to replay.
    expect((await http.call('post', `/api/v1/admin/dead-letters/${id}/replay`, { key: admin })).status).toBe(404);
  }, 60_000);

  it('the same package posted twice, and again with the same Idempotency-Key: one message, one receipt, one delivery', async () => {
    const key = ex.key(MINISTRY);
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const first = await post(key, pkg.bytes);
    expect(first.status, show(first)).toBe(202);
    expect(first.json).toMatchObject({ accepted: true, duplicate: false });
    expect(first.json.receipts).toHaveLength(1);
    const id = first.json.messages[0].id as string;
    const receiptId = first.json.receipts[0].id as string;
    const again = await post(key, pkg.bytes);
    expect(again.status, show(again)).toBe(200);
    expect(again.json).toMatchObject({ accepted: true, duplicate: true });
    expect(again.json.messages.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(again.json.receipts.map((m: { id: string }) => m.id)).toEqual([receiptId]);

    // With an Idempotency-Key: the first post creates, the resend answers from the store.
    const pkg2 = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const k = `btp-${randomBytes(6).toString('hex')}`;
    const a = await post(key, pkg2.bytes, { 'idempotency-key': k });
    expect(a.status, show(a)).toBe(202);
    const b = await post(key, pkg2.bytes, { 'idempotency-key': k });
    expect(b.status, show(b)).toBe(200);
    expect(b.json.duplicate).toBe(true);
    expect(b.json.messages[0].id).toBe(a.json.messages[0].id);
    expect(b.json.receipts[0].id).toBe(a.json.receipts[0].id);
    // The same package under a second key is still the same document (same DocumentId to the same agency).
    const c = await post(key, pkg2.bytes, { 'idempotency-key': `${k}-2` });
    expect(c.json.duplicate, show(c)).toBe(true);
    expect(c.json.messages[0].id).toBe(a.json.messages[0].id);
    // The key names one package: another package under it is refused, not swallowed as a "duplicate".
    const pkg3 = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const d = await post(key, pkg3.bytes, { 'idempotency-key': k });
    expect(d.status, show(d)).toBe(422);
    expect(d.json.code).toBe('IDEMPOTENCY_MISMATCH');
    expect((await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE document_id = $1', [pkg3.documentId])).rows[0]!.n).toBe(0);
    const refused = await auditOf(ex.rt.db, `action = 'message.refused' AND document_sha256 = $1`, [sha256(pkg3.bytes)]);
    expect(refused.map((x) => x.details.code)).toEqual(['IDEMPOTENCY_MISMATCH']);
    // Every resend is in the audit log, against the message it repeated.
    expect(await auditOf(ex.rt.db, `action = 'message.duplicate' AND subject = $1`, [id])).toHaveLength(1);
    expect(await auditOf(ex.rt.db, `action = 'message.duplicate' AND subject = $1`, [a.json.messages[0].id])).toHaveLength(2);

    for (const [m, doc] of [[id, pkg.documentId], [a.json.messages[0].id as string, pkg2.documentId]] as const) {
      await eventually(async () => (await getMessage(ex.rt.db, m))?.status === 'delivered', 15_000, 'delivery');
      const rows = await ex.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE document_id = $1 AND kind = 'edoc'`, [doc]);
      expect(rows.rows[0]!.n).toBe(1);
      const receipts = await ex.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE document_id = $1 AND kind = 'status'`, [doc]);
      expect(receipts.rows[0]!.n).toBe(1);
      expect(await auditOf(ex.rt.db, `action = 'message.received' AND subject = $1`, [m])).toHaveLength(1);
    }
    // Give a would-be second delivery time to happen (the sweeper runs every 500 ms here).
    await sleep(1500);
    expect(hook.countFor(id)).toBe(1);
    expect(hook.countFor(a.json.messages[0].id)).toBe(1);
  }, 60_000);

  it('a byte of signed content changed: 422 with the reason, stored as rejected, a signed 02 back to the sender, nothing delivered', async () => {
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const bad = tamperSubject(pkg.bytes);
    const r = await post(ex.key(MINISTRY), bad);
    expect(r.status, show(r)).toBe(422);
    expect(r.contentType).toMatch(/application\/problem\+json/);
    expect(r.json.code).toBe('PACKAGE_REJECTED');
    expect(r.json.detail_en).toMatch(/^Package rejected: Invalid signature: /);
    expect(r.json.accepted).toBe(false);
    const msg = r.json.messages[0] as { id: string; status: string; statusReason: string; to: string };
    expect(msg).toMatchObject({ status: 'rejected', to: PROVINCE });
    expect(msg.statusReason).toMatch(/Chữ ký không hợp lệ.*Invalid signature/);
    // The 02 receipt, signed with the province's seal, goes back to the ministry (a pull agency).
    const receipt = r.json.receipts[0] as { id: string; from: string; to: string; statusCode: string };
    expect(receipt).toMatchObject({ from: PROVINCE, to: MINISTRY, statusCode: '02' });
    await eventually(async () => {
      const inbox = await http.call('get', '/api/v1/inbox', { key: ex.key(MINISTRY) });
      return (inbox.json.messages as { id: string }[]).some((m) => m.id === receipt.id);
    }, 15_000, 'the 02 in the ministry inbox');
    const packet = await http.call('get', `/api/v1/messages/${receipt.id}/package`, { key: ex.key(MINISTRY) });
    const v = await verifyXmlPackage(packet.bytes, ex.rt.ctx.verify);
    expect(v.report.indication).toBe('TOTAL_PASSED');
    expect(v.report.signatures[0]?.signer?.serialNumber).toBe(PROVINCE);
    expect(v.status?.StatusCode).toBe('02');
    expect(v.status?.ResponseFor.DocumentId).toBe(pkg.documentId);
    expect(v.status?.Description).toMatch(/Invalid signature/);
    // Stored as evidence, byte for byte; never delivered, not even by the sweeper.
    expect((await getMessage(ex.rt.db, msg.id))!.packageSha256).toBe(sha256(bad));
    expect(Buffer.from(await ex.rt.blobs.get(sha256(bad))).equals(Buffer.from(bad))).toBe(true);
    await sleep(1500);
    expect(hook.countFor(msg.id)).toBe(0);
    expect((await getMessage(ex.rt.db, msg.id))!.status).toBe('rejected');
    const audit = await auditOf(ex.rt.db, `action = 'message.rejected' AND subject = $1`, [msg.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.document_sha256).toBe(sha256(bad));
    expect(audit[0]!.details.reason).toMatch(/^Invalid signature: /);
    // Posting the fixed package is a new, accepted message (the rejection does not block the DocumentId).
    const fixed = await post(ex.key(MINISTRY), pkg.bytes);
    expect(fixed.status, show(fixed)).toBe(202);
  }, 60_000);

  it('a package signed with another agency\'s certificate is rejected naming both; From another agency is 403', async () => {
    // The ministry posts a package that says From: ministry but carries the province's seal.
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [VPCP], signWith: 'province-seal', number: nextNumber() });
    const r = await post(ex.key(MINISTRY), pkg.bytes);
    expect(r.status, show(r)).toBe(422);
    expect(r.json.code).toBe('PACKAGE_REJECTED');
    expect(r.json.detail_en).toContain(`agency ${PROVINCE}`);
    expect(r.json.detail_en).toContain(`not of the sender ${MINISTRY}`);
    expect(r.json.detail).toContain(PROVINCE);
    expect(r.json.detail).toContain(MINISTRY);
    const id = r.json.messages[0].id as string;
    expect((await getMessage(ex.rt.db, id))!.status).toBe('rejected');
    const audit = await auditOf(ex.rt.db, `action = 'message.rejected' AND subject = $1`, [id]);
    expect(audit[0]!.details.reason).toMatch(new RegExp(`agency ${PROVINCE.replace(/\./g, '\\.')} .*not of the sender ${MINISTRY.replace(/\./g, '\\.')}`));

    // The ministry's key posting a package that names the province as its sender (signed by the province).
    const forged = await agencyPackage(pki.server, { from: PROVINCE, to: [VPCP], number: nextNumber() });
    const f = await post(ex.key(MINISTRY), forged.bytes);
    expect(f.status, show(f)).toBe(403);
    expect(f.json.code).toBe('FORBIDDEN');
    expect(f.json.detail_en).toContain(`sender ${PROVINCE}`);
    expect(f.json.detail_en).toContain(MINISTRY);
    const stored = await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE document_id = $1', [forged.documentId]);
    expect(stored.rows[0]!.n).toBe(0);
    const refused = await auditOf(ex.rt.db, `action = 'message.refused' AND document_sha256 = $1`, [sha256(forged.bytes)]);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.details).toMatchObject({ code: 'FORBIDDEN', sender: MINISTRY });
    expect(refused[0]!.details.reason).toContain(`sender ${PROVINCE}`);
  }, 60_000);

  it('an unknown recipient: 422 UNKNOWN_AGENCY, nothing stored', async () => {
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [UNKNOWN], number: nextNumber() });
    const r = await post(ex.key(MINISTRY), pkg.bytes);
    expect(r.status, show(r)).toBe(422);
    expect(r.json.code).toBe('UNKNOWN_AGENCY');
    expect(r.json.detail_en).toContain(UNKNOWN);
    const rows = await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE document_id = $1', [pkg.documentId]);
    expect(rows.rows[0]!.n).toBe(0);
    const blobs = await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM blobs WHERE sha256 = $1', [sha256(pkg.bytes)]);
    expect(blobs.rows[0]!.n).toBe(0);
    const refused = await auditOf(ex.rt.db, `action = 'message.refused' AND document_sha256 = $1`, [sha256(pkg.bytes)]);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.details).toMatchObject({ code: 'UNKNOWN_AGENCY', sender: MINISTRY });
    expect(refused[0]!.details.reason).toContain(UNKNOWN);
    // One known and one unknown recipient: refused as a whole, nothing for the known one either.
    const mixed = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE, UNKNOWN], number: nextNumber() });
    expect((await post(ex.key(MINISTRY), mixed.bytes)).status).toBe(422);
    const none = await ex.rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE document_id = $1', [mixed.documentId]);
    expect(none.rows[0]!.n).toBe(0);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------------------
// The same document posted twice at the same moment under two Idempotency-Keys (a client retrying with a fresh
// key while the first post is still being verified): one message, one delivery — on both backends, since only
// PostgreSQL runs the two transactions truly at once.

describe.each(BACKENDS)('concurrent resends on %s', (backend) => {
  let ex: TestExchange;
  let http: ExchangeHttp;
  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { backend });
    http = await startExchangeHttp(ex.rt, pki.server);
  }, 60_000);
  afterAll(async () => {
    await http?.close();
    await ex?.close();
  });

  it('one message, one receipt, one delivery', async () => {
    const key = ex.key(MINISTRY);
    for (let round = 0; round < 3; round++) {
      const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
      const post = (k: string) => http.call('post', '/api/v1/messages', { key, body: pkg.bytes, headers: { 'idempotency-key': `${k}-${round}-${docNumber}` } });
      const [a, b] = await Promise.all([post('try-1'), post('try-2')]);
      expect([a.status, b.status].sort(), `${show(a)} ${show(b)}`).toEqual([200, 202]);
      const id = a.json.messages[0].id as string;
      expect(b.json.messages[0].id).toBe(id);
      expect(b.json.receipts[0].id).toBe(a.json.receipts[0].id);
      const count = async (kind: string) => (await ex.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE document_id = $1 AND kind = $2`, [pkg.documentId, kind])).rows[0]!.n;
      expect(await count('edoc')).toBe(1);
      expect(await count('status')).toBe(1);
      await eventually(async () => (await auditOf(ex.rt.db, `action = 'delivery.delivered' AND subject = $1`, [id])).length === 1, 15_000, 'delivery');
      expect(await auditOf(ex.rt.db, `action = 'message.duplicate' AND subject = $1`, [id])).toHaveLength(1);
    }
    await chainOk(ex.rt.db);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Redis restarted: kyso's private redis-server, stopped while the API accepts packages, started again on the same
// port and data directory.

describe('Redis restarted', () => {
  let redis: PrivateRedis | undefined;
  let again: Awaited<ReturnType<typeof startRedisOn>> | undefined;
  let tdb: TestDatabase | undefined;
  let rt: ExchangeRuntime | undefined;
  let http: ExchangeHttp | undefined;
  let hook: TestWebhook | undefined;
  const dirs: string[] = [];

  afterAll(async () => {
    await http?.close();
    await rt?.close();
    await again?.stop();
    await redis?.stop();
    await tdb?.dispose();
    await hook?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('packages accepted while Redis is down are committed (202) and delivered exactly once after it is back', async () => {
    const redisDir = mkdtempSync(join(tmpdir(), 'kyso-redis-'));
    const blobDir = mkdtempSync(join(tmpdir(), 'kyso-blobs-'));
    dirs.push(redisDir, blobDir);
    redis = await startPrivateRedis({ dir: redisDir });
    hook = await startWebhook();
    tdb = await openTestDatabase('pglite');
    const network = { rewrite: pki.server.rewrite };
    rt = await startExchangeRuntime({
      role: 'all',
      db: tdb.db,
      blobs: { dir: blobDir },
      redis: { url: redis.url, prefix: 'kysofault' },
      verify: { trust: TrustStore.demo(), policy: defaultPolicy(), network },
      tsaUrl: `${pki.server.url}/tsa`,
      network,
      demo: { webhooks: { [PROVINCE]: hook.url } },
      delivery: { attempts: 5, backoffMs: 200, lockDuration: 5000, stalledInterval: 2000 },
      sweep: { everyMs: 500, olderThanMs: 1000 },
    });
    http = await startExchangeHttp(rt, pki.server);
    const demo = rt.demo!;
    const ministryKey = demo.agencies.find((a) => a.id === MINISTRY)!.key.key;
    const post = (bytes: Uint8Array) => http!.call('post', '/api/v1/messages', { key: ministryKey, body: bytes });

    // Before: delivered as usual.
    const before = await post((await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() })).bytes);
    expect(before.status, show(before)).toBe(202);
    const beforeId = before.json.messages[0].id as string;
    await eventually(async () => (await getMessage(rt!.db, beforeId))?.status === 'delivered', 15_000, 'delivery before the restart');

    // Redis goes away. Packages keep being accepted: the answer says committed.
    const packages = await Promise.all([1, 2, 3].map(() => agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() })));
    await redis.stop();
    const accepted: string[] = [];
    for (const p of packages) {
      const t0 = Date.now();
      const r = await post(p.bytes);
      expect(r.status, show(r)).toBe(202);
      expect(Date.now() - t0, 'the API does not wait for Redis').toBeLessThan(10_000);
      expect(r.json.accepted).toBe(true);
      accepted.push(r.json.messages[0].id as string);
    }
    for (const id of accepted) expect((await getMessage(rt.db, id))?.status).toBe('received');
    // The operator's dead-letter view lives in Redis: it says so at once instead of hanging.
    const admin = demo.admin.key;
    const t0 = Date.now();
    const view = await http.call('get', '/api/v1/admin/dead-letters', { key: admin });
    expect(view.status, show(view)).toBe(503);
    expect(view.json.code).toBe('REDIS_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(5000);
    await sleep(1500); // the sweeper runs meanwhile and fails quietly; nothing is lost

    // Redis is back on the same port with the same data directory (its append-only file).
    again = await startRedisOn(redis.port, redisDir);
    for (const id of accepted) {
      await eventually(async () => (await getMessage(rt!.db, id))?.status === 'delivered', 30_000, `delivery of ${id} after the restart`);
    }
    // The 01 receipts the province issued meanwhile reach the ministry too.
    const receipts = await rt.db.query<{ id: string; status: string }>(`SELECT id, status FROM messages WHERE kind = 'status' AND from_agency = $1 AND to_agency = $2`, [PROVINCE, MINISTRY]);
    expect(receipts.rows).toHaveLength(4);
    await eventually(async () => {
      const r = await rt!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE kind = 'status' AND from_agency = $1 AND status = 'delivered'`, [PROVINCE]);
      return r.rows[0]!.n === 4;
    }, 30_000, 'the receipts delivered');

    // Exactly once each, the one before the restart included (its completed job survived in the AOF).
    await sleep(1500);
    for (const id of [beforeId, ...accepted]) {
      expect(hook.countFor(id), id).toBe(1);
      expect(await auditOf(rt.db, `action = 'delivery.delivered' AND subject = $1`, [id])).toHaveLength(1);
    }
    // The audit log says why they waited.
    for (const id of accepted) {
      const deferred = await auditOf(rt.db, `action = 'delivery.deferred' AND subject = $1`, [id]);
      expect(deferred.length, id).toBeGreaterThanOrEqual(1);
      expect(deferred[0]!.details.reason).toMatch(/Redis/i);
    }
    await chainOk(rt.db);
  }, 120_000);

  it('Redis comes back empty (its data lost) while a delivery is being retried: the sweeper queues it again from the database', async () => {
    const ministryKey = rt!.demo!.agencies.find((a) => a.id === MINISTRY)!.key.key;
    await hook!.stop();
    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const r = await http!.call('post', '/api/v1/messages', { key: ministryKey, body: pkg.bytes });
    expect(r.status, show(r)).toBe(202);
    const id = r.json.messages[0].id as string;
    // The first attempt fails (the webhook is down): the job waits in Redis for its retry...
    await eventually(async () => (await auditOf(rt!.db, `action = 'delivery.attempt' AND subject = $1`, [id])).length >= 1, 15_000, 'a failed attempt');
    // ...and Redis loses everything: stopped, and started on the same port with an empty data directory.
    await again!.stop();
    const emptyDir = mkdtempSync(join(tmpdir(), 'kyso-redis-empty-'));
    dirs.push(emptyDir);
    again = await startRedisOn(redis!.port, emptyDir);
    await hook!.start();
    await eventually(async () => (await getMessage(rt!.db, id))?.status === 'delivered', 30_000, 'delivery after Redis lost its data');
    await sleep(1500);
    expect(hook!.countFor(id)).toBe(1);
    expect(await auditOf(rt!.db, `action = 'delivery.delivered' AND subject = $1`, [id])).toHaveLength(1);
    const attempts = await auditOf(rt!.db, `action = 'delivery.attempt' AND subject = $1`, [id]);
    expect(attempts.filter((a) => a.details.ok === false).every((a) => /ECONNREFUSED/.test(String(a.details.reason)))).toBe(true);
    await chainOk(rt!.db);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------------------------
// A delivery worker killed mid-delivery: `kyso serve --role worker` child processes on a PostgreSQL schema (the
// API runs in this process against the same schema and Redis prefix).

interface WorkerProcess {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
}

async function startWorkerProcess(env: NodeJS.ProcessEnv, cwd: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/kyso.js'), 'serve', '--role', 'worker', '--no-demo', '--no-demo-pki'], { cwd, env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`kyso serve --role worker exited (${child.exitCode}): ${out}`);
    return /Worker running/.test(out);
  }, 60_000, 'the worker process to start');
  return { child, out: () => out, exited };
}

describe('a delivery worker killed mid-delivery (PostgreSQL, worker processes)', () => {
  let ex: TestExchange;
  let http: ExchangeHttp;
  let hook: TestWebhook;
  let cwd: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    hook = await startWebhook();
    ex = await startTestExchange(pki.server, { backend: 'postgres', role: 'api', webhooks: { [PROVINCE]: hook.url } });
    http = await startExchangeHttp(ex.rt, pki.server);
    cwd = mkdtempSync(join(tmpdir(), 'kyso-worker-'));
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await http?.close();
    await ex?.close();
    await hook?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('another worker delivers the message; the webhook sees it at most twice, with the same X-Kyso-Message-Id', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: PG_TEST_URL,
      KYSO_DB_SCHEMA: ex.rt.db.schema,
      REDIS_URL: REDIS_TEST_URL,
      KYSO_REDIS_PREFIX: ex.prefix,
      KYSO_PKI_URL_REWRITE: '',
      // The operator's takeover settings: a dead worker's job is taken over within seconds, not the default minute.
      KYSO_DELIVERY_LOCK_MS: '5000',
      KYSO_DELIVERY_STALLED_MS: '2000',
    };
    // The webhook takes the first POST and never answers it; later ones get 200 at once.
    hook.respond = (_hit, earlier) => (earlier === 0 ? 'hang' : { status: 200 });
    const first = await startWorkerProcess(env, cwd);
    workers.push(first);

    const pkg = await agencyPackage(pki.server, { from: MINISTRY, to: [PROVINCE], number: nextNumber() });
    const r = await http.call('post', '/api/v1/messages', { key: ex.key(MINISTRY), body: pkg.bytes });
    expect(r.status, show(r)).toBe(202);
    const id = r.json.messages[0].id as string;

    // The POST is in flight: kill the worker making it.
    await eventually(async () => hook.countFor(id) === 1, 30_000, 'the first POST to arrive');
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await getMessage(ex.rt.db, id))!.status).toBe('received');

    // Another worker takes over once the dead one's lock expires (BullMQ stalled-job recovery).
    const second = await startWorkerProcess(env, cwd);
    workers.push(second);
    await eventually(async () => (await getMessage(ex.rt.db, id))?.status === 'delivered', 30_000, 'delivery by the second worker (lock 5 s, stalled check 2 s)');

    const hits = hook.hits.filter((h) => h.messageId === id);
    // At most twice: the abandoned POST and the delivery (at-least-once; the receiver de-duplicates by the id).
    expect(hits).toHaveLength(2);
    expect(hits[0]!.answered).toBeUndefined(); // abandoned when the first worker died
    expect(hits[1]!.answered).toBe(200);
    expect(hits[1]!.bodySha256).toBe((await getMessage(ex.rt.db, id))!.packageSha256);
    expect(hook.hits.filter((h) => h.messageId !== id).map((h) => h.messageId)).toEqual([]);

    // The audit log shows the takeover and the delivery; the chain holds (two processes appended to it).
    await eventually(async () => (await auditOf(ex.rt.db, `action = 'delivery.delivered' AND subject = $1`, [id])).length === 1, 10_000, 'delivery.delivered');
    const trail = await auditOf(ex.rt.db, `subject = $1 AND action LIKE 'delivery.%'`, [id]);
    expect(trail.map((a) => a.action)).toEqual(['delivery.stalled', 'delivery.attempt', 'delivery.delivered']);
    expect(trail[0]!.details.reason).toMatch(/stopped before finishing/);
    expect(trail[1]!.details).toMatchObject({ ok: true, httpStatus: 200, agency: PROVINCE, mode: 'push' });
    expect(trail.every((a) => a.actor === 'worker')).toBe(true);
    await chainOk(ex.rt.db);

    // The second worker stops cleanly on SIGTERM.
    second.child.kill('SIGTERM');
    expect(await second.exited, second.out()).toBe(0);
  }, 150_000);
});
