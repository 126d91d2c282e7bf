// Issue 5, Agencies and access — the authorisation matrix, over HTTP: every row of the route table the server
// mounts (ROUTES, imported, so a route added without an entry in EXPECTED fails here) × every audience: no key,
// a malformed key, a forged key (a real key id with a wrong secret), a revoked key, admin, VPCP, an agency and
// another agency. Unauthenticated → 401 with WWW-Authenticate; a role the route does not allow → 403; an
// allowed role gets through the gate (whatever the handler then says about the made-up ids: never 401/403,
// never 5xx, never "no such route"). Then the object-level checks: an agency cannot see another agency's case,
// message or package (404, as if it did not exist), and the citizen lookup with a wrong access key is 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../src/http/exchange-api.ts';
import type { Audience } from '../../src/http/auth.ts';
import { MINISTRY, PROVINCE, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { startExchangeHttp, type ApiAnswer, type ExchangeHttp } from '../helpers/exchange-http.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

// The access policy, written out independently of the table it checks: changing a route's roles, or adding a
// route, needs a matching change here.
const EXPECTED: Record<string, readonly Audience[]> = {
  'POST /api/v1/public/cases': ['public'],
  'GET /api/v1/public/cases/:code': ['public'],
  'GET /api/v1/public/cases/:code/answer': ['public'],
  'GET /api/v1/me': ['agency', 'vpcp', 'admin'],
  'GET /api/v1/agencies': ['agency', 'vpcp', 'admin'],
  'GET /api/v1/cases': ['agency', 'vpcp'],
  'GET /api/v1/cases/:ref': ['agency', 'vpcp'],
  'GET /api/v1/cases/:ref/messages': ['agency', 'vpcp'],
  'POST /api/v1/cases/:ref/classify': ['vpcp'],
  'POST /api/v1/cases/:ref/reject': ['vpcp'],
  'POST /api/v1/cases/:ref/route': ['vpcp'],
  'POST /api/v1/cases/:ref/recall': ['vpcp'],
  'POST /api/v1/cases/:ref/update': ['vpcp'],
  'POST /api/v1/cases/:ref/replace': ['vpcp'],
  'POST /api/v1/cases/:ref/recall-request': ['vpcp'],
  'POST /api/v1/cases/:ref/publish': ['vpcp'],
  'POST /api/v1/cases/:ref/return': ['vpcp'],
  'POST /api/v1/cases/:ref/reply': ['agency'],
  'POST /api/v1/messages': ['agency', 'vpcp'],
  'GET /api/v1/inbox': ['agency', 'vpcp'],
  'GET /api/v1/outbox': ['agency', 'vpcp'],
  'GET /api/v1/messages/:id': ['agency', 'vpcp'],
  'GET /api/v1/messages/:id/package': ['agency', 'vpcp'],
  'POST /api/v1/messages/:id/ack': ['agency', 'vpcp'],
  'POST /api/v1/messages/:id/status': ['agency', 'vpcp'],
  'POST /api/v1/agencies': ['admin'],
  'GET /api/v1/agencies/:id': ['agency', 'vpcp', 'admin'],
  'PATCH /api/v1/agencies/:id': ['admin'],
  'POST /api/v1/agencies/:id/certificates': ['admin'],
  'DELETE /api/v1/agencies/:id/certificates/:sha256': ['admin'],
  'POST /api/v1/agencies/:id/api-keys': ['admin'],
  'DELETE /api/v1/api-keys/:keyId': ['admin'],
  'GET /api/v1/admin/dead-letters': ['admin'],
  'POST /api/v1/admin/dead-letters/:id/replay': ['admin'],
  'GET /api/v1/admin/audit/verify': ['admin'],
  'GET /api/v1/notifications': ['agency', 'vpcp'],
  'POST /api/v1/notifications/:id/ack': ['agency', 'vpcp'],
};

const routeKey = (r: RouteSpec) => `${r.method.toUpperCase()} ${r.path}`;

// Made-up ids for every path parameter: well-formed, but naming nothing, so an allowed caller reaches the
// handler and changes nothing. A new parameter name fails the test until it gets a value here.
const NOBODY = {
  code: 'PAKN-2026-ZZZZZZ',
  ref: 'PAKN-2026-ZZZZZZ',
  id: '00000000-0000-4000-8000-000000000000',
  keyId: '0000000000000000',
  sha256: '0'.repeat(64),
} as const;

function concretePath(r: RouteSpec): string {
  return r.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    // Agency routes take an agency id, message routes a uuid.
    if (name === 'id' && r.path.startsWith('/api/v1/agencies/')) return '000.00.99.Z99';
    const v = (NOBODY as Record<string, string>)[name];
    if (!v) throw new Error(`no test value for path parameter :${name} of ${routeKey(r)}`);
    return v;
  });
}

type Caller = 'no key' | 'malformed key' | 'forged key' | 'revoked key' | 'admin' | 'vpcp' | 'agency' | 'another agency';
const CALLERS: readonly Caller[] = ['no key', 'malformed key', 'forged key', 'revoked key', 'admin', 'vpcp', 'agency', 'another agency'];
const ROLE_OF: Partial<Record<Caller, Audience>> = { admin: 'admin', vpcp: 'vpcp', agency: 'agency', 'another agency': 'agency' };

let ex: TestExchange;
let http: ExchangeHttp;
let keys: Record<Caller, string | undefined>;
// A case routed to the ministry, its routing message, and the citizen's access key.
let mine: { code: string; accessKey: string; messageId: string; receiptId: string };
// A case VPCP has not routed yet, and its access key.
let unrouted: string;
let unroutedKey: string;

beforeAll(async () => {
  ex = await startTestExchange(pki.server, { backend: 'pglite' });
  http = await startExchangeHttp(ex.rt, pki.server);
  const admin = ex.key('admin');
  // A key that worked once and was revoked through the API.
  const issued = await http.call('post', `/api/v1/agencies/${MINISTRY}/api-keys`, { key: admin, json: {} });
  expect(issued.status).toBe(201);
  const revoked = issued.json.key as string;
  expect((await http.call('get', '/api/v1/me', { key: revoked })).status).toBe(200);
  expect((await http.call('delete', `/api/v1/api-keys/${issued.json.keyId}`, { key: admin })).status).toBe(204);
  const real = ex.key(MINISTRY);
  keys = {
    'no key': undefined,
    'malformed key': 'kyso_not-a-key',
    // The id of the ministry's real key with another secret of the right shape.
    'forged key': `${real.slice(0, real.lastIndexOf('_') + 1)}${'A'.repeat(43)}`,
    'revoked key': revoked,
    admin,
    vpcp: ex.key(VPCP),
    agency: real,
    'another agency': ex.key(PROVINCE),
  };

  const sub = await http.call('post', '/api/v1/public/cases', {
    json: { submitter: { name: 'Lê Văn Nam', address: 'Hà Nội', phone: '0901 234 567' }, title: 'đăng ký khai sinh', content: 'Xin hướng dẫn đăng ký khai sinh trực tuyến.' },
  });
  const routed = await http.call('post', `/api/v1/cases/${sub.json.code}/route`, { key: keys.vpcp, json: { agencyId: MINISTRY } });
  expect(routed.status).toBe(200);
  mine = { code: sub.json.code, accessKey: sub.json.accessKey, messageId: routed.json.message.id, receiptId: routed.json.receipt.id };
  const other = await http.call('post', '/api/v1/public/cases', {
    json: { submitter: { name: 'Phạm Thị Hoa', address: 'Hà Nội', phone: '0901 234 568' }, title: 'cấp căn cước', content: 'Xin hướng dẫn cấp lại căn cước.' },
  });
  unrouted = other.json.code;
  unroutedKey = other.json.accessKey;
}, 90_000);

afterAll(async () => {
  await http?.close();
  await ex?.close();
});

const show = (r: ApiAnswer) => `${r.status} ${JSON.stringify(r.json)?.slice(0, 300)}`;

describe('the route table', () => {
  it('lists exactly the routes this test knows, with the roles it expects', () => {
    expect(ROUTES.map(routeKey).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const r of ROUTES) expect([...r.roles].sort(), routeKey(r)).toEqual([...EXPECTED[routeKey(r)]!].sort());
    // Public routes are public only: no route mixes citizens with key holders.
    for (const r of ROUTES) if (r.roles.includes('public')) expect(r.roles, routeKey(r)).toEqual(['public']);
  });
});

describe.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s', (_name, route) => {
  it.each(CALLERS)('%s', async (caller) => {
    const isPublic = route.roles.includes('public');
    const body =
      route.body === 'xml' ? { body: new Uint8Array(0), contentType: 'application/xml' } : route.body === 'pem' ? { body: new Uint8Array(Buffer.from('not a certificate')), contentType: 'application/x-pem-file' } : { json: {} };
    const r = await http.call(route.method, concretePath(route), {
      ...(keys[caller] ? { key: keys[caller] } : {}),
      ...(route.method === 'get' || route.method === 'delete' ? {} : body),
      // Citizens' routes take the case access key instead of an API key.
      ...(isPublic ? { headers: { 'x-access-key': 'not-the-key' } } : {}),
    });
    const role = ROLE_OF[caller];
    if (isPublic || (role && route.roles.includes(role))) {
      // Through the gate: the handler answers about the made-up ids.
      expect([401, 403], show(r)).not.toContain(r.status);
      expect(r.status, show(r)).toBeLessThan(500);
      if (r.status === 404) expect(r.json?.detail_en, 'the route is mounted').not.toMatch(/^No resource/);
    } else if (!role) {
      expect(r.status, show(r)).toBe(401);
      expect(r.contentType).toMatch(/application\/problem\+json/);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="kyso"');
      expect(r.json.code).toBe('UNAUTHORIZED');
    } else {
      expect(r.status, show(r)).toBe(403);
      expect(r.contentType).toMatch(/application\/problem\+json/);
      expect(r.json.code).toBe('FORBIDDEN');
    }
  });
});

describe('object-level access', () => {
  it('an agency sees its own case, message and package; another agency gets 404 for each, as if they did not exist', async () => {
    const own = keys.agency;
    const other = keys['another agency'];
    const reads = [`/api/v1/cases/${mine.code}`, `/api/v1/cases/${mine.code}/messages`, `/api/v1/messages/${mine.messageId}`, `/api/v1/messages/${mine.messageId}/package`];
    for (const path of reads) {
      expect((await http.call('get', path, { key: own })).status, path).toBe(200);
      const r = await http.call('get', path, { key: other });
      expect(r.status, path).toBe(404);
      expect(r.json.code).toBe('NOT_FOUND');
    }
    // The same 404 body as for a case that does not exist: nothing to tell the two apart.
    const ghost = await http.call('get', `/api/v1/cases/${NOBODY.ref}`, { key: other });
    const theirs = await http.call('get', `/api/v1/cases/${mine.code}`, { key: other });
    expect(theirs.json.title).toBe(ghost.json.title);
    // Nor can it act on them.
    expect((await http.call('post', `/api/v1/messages/${mine.messageId}/ack`, { key: other })).status).toBe(404);
    expect((await http.call('post', `/api/v1/messages/${mine.messageId}/status`, { key: other, json: { code: '03' } })).status).toBe(404);
    expect((await http.call('post', `/api/v1/cases/${mine.code}/reply`, { key: other, json: { answer: 'Trả lời thay.' } })).status).toBe(404);
    // Lists are scoped too.
    const cases = await http.call('get', '/api/v1/cases', { key: other });
    expect((cases.json.cases as { code: string }[]).map((c) => c.code)).not.toContain(mine.code);
    const inbox = await http.call('get', '/api/v1/inbox?all=true', { key: other });
    expect((inbox.json.messages as { id: string }[]).map((m) => m.id)).not.toContain(mine.messageId);
    const outbox = await http.call('get', '/api/v1/outbox', { key: other });
    expect((outbox.json.messages as { id: string }[]).map((m) => m.id)).not.toContain(mine.receiptId);
    // The ministry's own lists do hold them.
    expect(((await http.call('get', '/api/v1/cases', { key: own })).json.cases as { code: string }[]).map((c) => c.code)).toContain(mine.code);
    expect(((await http.call('get', '/api/v1/outbox', { key: own })).json.messages as { id: string }[]).map((m) => m.id)).toContain(mine.receiptId);
  });

  it('an agency does not see a case before it is routed to it; VPCP sees every case', async () => {
    expect((await http.call('get', `/api/v1/cases/${unrouted}`, { key: keys.agency })).status).toBe(404);
    expect((await http.call('get', `/api/v1/cases/${unrouted}`, { key: keys.vpcp })).status).toBe(200);
    const all = await http.call('get', '/api/v1/cases', { key: keys.vpcp });
    expect((all.json.cases as { code: string }[]).map((c) => c.code)).toEqual(expect.arrayContaining([mine.code, unrouted]));
  });

  it('only the recipient acknowledges a message: the sender (VPCP) is refused', async () => {
    const r = await http.call('post', `/api/v1/messages/${mine.messageId}/ack`, { key: keys.vpcp });
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('FORBIDDEN');
  });

  it('the citizen lookup needs the right access key: a wrong one is 404, none is 401', async () => {
    const ok = await http.call('get', `/api/v1/public/cases/${mine.code}`, { headers: { 'x-access-key': mine.accessKey } });
    expect(ok.status).toBe(200);
    expect(ok.json.code).toBe(mine.code);
    const wrong = await http.call('get', `/api/v1/public/cases/${mine.code}`, { headers: { 'x-access-key': `${mine.accessKey.slice(0, -1)}${mine.accessKey.endsWith('A') ? 'B' : 'A'}` } });
    expect(wrong.status).toBe(404);
    // A wrong key for a real case reads exactly like a case that does not exist.
    const ghost = await http.call('get', `/api/v1/public/cases/${NOBODY.code}`, { headers: { 'x-access-key': mine.accessKey } });
    expect(ghost.status).toBe(404);
    expect(wrong.json.title).toBe(ghost.json.title);
    // Another case's key does not open this one; no key at all is 401.
    expect((await http.call('get', `/api/v1/public/cases/${mine.code}`, { headers: { 'x-access-key': unroutedKey } })).status).toBe(404);
    expect((await http.call('get', `/api/v1/public/cases/${unrouted}`, { headers: { 'x-access-key': unroutedKey } })).status).toBe(200);
    const none = await http.call('get', `/api/v1/public/cases/${mine.code}`);
    expect(none.status).toBe(401);
    expect((await http.call('get', `/api/v1/public/cases/${mine.code}/answer`, { headers: { 'x-access-key': 'wrong' } })).status).toBe(404);
    // An API key is not an access key: even VPCP's does not open the citizen's view.
    expect((await http.call('get', `/api/v1/public/cases/${mine.code}`, { key: keys.vpcp })).status).toBe(401);
  });
});
