// The short-lived memory of API keys, agencies and certificate bindings (src/store/read-cache.ts): a change made
// through this process counts at once; one made by another process (a second connection pool on the same
// PostgreSQL schema stands in for another `kyso serve`) within READ_CACHE_TTL_MS; nothing leaks between databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindCertificate, certificateOwner, createAgency, getAgency, unbindCertificate, updateAgency } from '../../src/exchange/agencies/agency-registry.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { authenticateApiKey, createApiKey, revokeApiKey } from '../../src/store/api-key.ts';
import { migrate } from '../../src/store/migrate.ts';
import { READ_CACHE_TTL_MS } from '../../src/store/read-cache.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, openTestDatabase, PG_TEST_URL, type TestDatabase } from './test-databases.ts';

const CERT = readFileSync(join(import.meta.dirname, '../../certs-test/pki/ministry-seal.pem'), 'utf8');
const pemToDer = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));

describe.each(BACKENDS)('read cache on %s', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(backend);
    await migrate(t.db);
    await createAgency(t.db, { id: '000.00.12.H99', name: 'Bộ Tư pháp' });
  });
  afterAll(async () => t?.dispose());

  it('a key revoked in this process is refused at once, though its principal was remembered', async () => {
    const issued = await createApiKey(t.db, { role: 'agency', agencyId: '000.00.12.H99' });
    expect((await authenticateApiKey(t.db, issued.key))?.agencyId).toBe('000.00.12.H99');
    expect((await authenticateApiKey(t.db, issued.key))?.agencyId).toBe('000.00.12.H99');
    expect(await revokeApiKey(t.db, issued.keyId)).toBe(true);
    expect(await authenticateApiKey(t.db, issued.key)).toBeUndefined();
  });

  it('an unbound certificate and an edited agency count at once', async () => {
    const bound = await bindCertificate(t.db, '000.00.12.H99', pemToDer(CERT));
    expect(await certificateOwner(t.db, bound.sha256)).toBe('000.00.12.H99');
    expect(await unbindCertificate(t.db, '000.00.12.H99', bound.sha256)).toBe(true);
    expect(await certificateOwner(t.db, bound.sha256)).toBeUndefined();

    expect((await getAgency(t.db, '000.00.12.H99'))?.deliveryMode).toBe('pull');
    await updateAgency(t.db, '000.00.12.H99', { webhookUrl: 'http://127.0.0.1:9/hook' });
    expect((await getAgency(t.db, '000.00.12.H99'))?.deliveryMode).toBe('push');
    await updateAgency(t.db, '000.00.12.H99', { webhookUrl: null });
  });

  it('a caller changing the agency it got does not change what the next caller gets', async () => {
    const a = (await getAgency(t.db, '000.00.12.H99'))!;
    a.name = 'changed';
    a.organization.OrganAdd = 'changed';
    const b = (await getAgency(t.db, '000.00.12.H99'))!;
    expect(b.name).toBe('Bộ Tư pháp');
    expect(b.organization.OrganAdd).toBeUndefined();
  });

  it('nothing remembered for one database is answered for another', async () => {
    const other = await openTestDatabase(backend);
    try {
      await migrate(other.db);
      expect((await getAgency(t.db, '000.00.12.H99'))?.name).toBe('Bộ Tư pháp');
      expect(await getAgency(other.db, '000.00.12.H99')).toBeUndefined();
    } finally {
      await other.dispose();
    }
  });
});

// One PGlite directory belongs to one process, so "another process" only exists with a PostgreSQL server.
describe.runIf(BACKENDS.includes('postgres'))('read cache across processes (PostgreSQL)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    await migrate(t.db);
    await createAgency(t.db, { id: '000.00.12.H99', name: 'Bộ Tư pháp' });
  });
  afterAll(async () => t?.dispose());

  it(
    'a key revoked by another process stops working here within the cache lifetime',
    async () => {
      const elsewhere: Database = await openDatabase({ url: PG_TEST_URL, schema: t.db.schema });
      try {
        const issued = await createApiKey(t.db, { role: 'agency', agencyId: '000.00.12.H99' });
        expect(await authenticateApiKey(t.db, issued.key)).toBeDefined();
        // Revoked directly in the table, as another process would: this process hears nothing of it.
        await elsewhere.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [issued.keyId]);
        const deadline = Date.now() + READ_CACHE_TTL_MS + 1_000;
        let refusedAfter: number | undefined;
        const start = Date.now();
        while (Date.now() < deadline) {
          if (!(await authenticateApiKey(t.db, issued.key))) {
            refusedAfter = Date.now() - start;
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(refusedAfter).toBeDefined();
        expect(refusedAfter!).toBeLessThanOrEqual(READ_CACHE_TTL_MS + 200);
      } finally {
        await elsewhere.close();
      }
    },
    15_000,
  );
});
