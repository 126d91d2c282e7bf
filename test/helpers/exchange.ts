// A whole exchange runtime for a test file: a fresh database (PGlite in memory or a random PostgreSQL schema),
// a random Redis key prefix on the real Redis, the demo agencies from certs-test, the real test PKI server for
// OCSP/CRL/TSA, and delivery workers with short retry delays. Everything is removed in close().
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoCredentials } from '../../src/exchange/demo/demo-agencies.ts';
import { createRedis, deletePrefixedKeys } from '../../src/exchange/queue/redis-connection.ts';
import { startExchangeRuntime, type ExchangeRuntime, type RuntimeConfig } from '../../src/exchange/runtime.ts';
import type { ApiPrincipal } from '../../src/store/api-key.ts';
import type { DatabaseBackend } from '../../src/store/database.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { openTestDatabase, type TestDatabase } from '../store/test-databases.ts';

export const REDIS_TEST_URL = process.env.KYSO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const VPCP = '000.00.00.G22';
export const MINISTRY = '000.00.12.H99';
export const PROVINCE = '000.00.37.H98';

export interface TestExchange {
  rt: ExchangeRuntime;
  demo: DemoCredentials;
  prefix: string;
  principal(agencyId: string | 'admin'): ApiPrincipal;
  key(agencyId: string | 'admin'): string;
  close(): Promise<void>;
}

export async function startTestExchange(
  pki: TestPkiServer,
  opts: {
    backend?: DatabaseBackend;
    role?: RuntimeConfig['role'];
    webhooks?: Record<string, string>;
    delivery?: RuntimeConfig['delivery'];
    now?: () => Date;
    maintenance?: RuntimeConfig['maintenance'];
    archive?: RuntimeConfig['archive'];
  } = {},
): Promise<TestExchange> {
  const tdb: TestDatabase = await openTestDatabase(opts.backend ?? 'pglite');
  const prefix = `kysotest${randomBytes(4).toString('hex')}`;
  const blobDir = mkdtempSync(join(tmpdir(), 'kyso-blobs-'));
  const network = { rewrite: pki.rewrite };
  const rt = await startExchangeRuntime({
    role: opts.role ?? 'all',
    db: tdb.db,
    blobs: { dir: blobDir },
    redis: { url: REDIS_TEST_URL, prefix },
    verify: { trust: TrustStore.demo(), policy: defaultPolicy(), network },
    tsaUrl: `${pki.url}/tsa`,
    network,
    demo: { ...(opts.webhooks ? { webhooks: opts.webhooks } : {}) },
    delivery: { attempts: 4, backoffMs: 100, lockDuration: 5000, stalledInterval: 2000, ...(opts.delivery ?? {}) },
    sweep: { everyMs: 500, olderThanMs: 1000 },
    // Tests run the overdue scan and the archive pass themselves, at the times they choose.
    maintenance: opts.maintenance ?? false,
    archive: opts.archive ?? false,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const demo = rt.demo!;
  const find = (id: string) => (id === 'admin' ? demo.admin : demo.agencies.find((a) => a.id === id)!.key);
  return {
    rt,
    demo,
    prefix,
    principal: (id) => {
      const k = find(id);
      return { keyId: k.keyId, role: k.role, agencyId: k.agencyId };
    },
    key: (id) => find(id).key,
    async close() {
      await rt.close();
      const r = createRedis(REDIS_TEST_URL);
      await deletePrefixedKeys(r, prefix);
      r.disconnect();
      await tdb.dispose();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}

/** eventually, named first (the queue tests' form); `fn` may answer at once. */
export const until = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> =>
  eventually(async () => fn(), timeoutMs, what);

/** Polls until `f` returns a truthy value (deliveries happen on the worker's schedule). */
export async function eventually<T>(f: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
