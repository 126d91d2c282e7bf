// API keys: issued once, stored as a hash, authenticated in constant time, revocable; on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { authenticateApiKey, createApiKey, hashApiKey, revokeApiKey } from '../../src/store/api-key.ts';
import { migrate } from '../../src/store/migrate.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from './test-databases.ts';

describe.each(BACKENDS)('API keys on %s', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(backend);
    await migrate(t.db);
    await t.db.query("INSERT INTO agencies (id, name, delivery_mode) VALUES ('000.00.00.H41', 'UBND tỉnh Nghệ An', 'pull')");
  });
  afterAll(async () => t?.dispose());

  it('authenticates the issued key and nothing else', async () => {
    const issued = await createApiKey(t.db, { role: 'agency', agencyId: '000.00.00.H41' });
    expect(issued.key).toMatch(/^kyso_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(await authenticateApiKey(t.db, issued.key)).toEqual({ keyId: issued.keyId, role: 'agency', agencyId: '000.00.00.H41' });

    const stored = await t.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [issued.keyId]);
    expect(stored.rows[0]!.key_hash).toBe(hashApiKey(issued.key));
    expect(JSON.stringify(stored.rows)).not.toContain(issued.key.slice(22));

    const last = issued.key.at(-1) === 'A' ? 'B' : 'A';
    expect(await authenticateApiKey(t.db, issued.key.slice(0, -1) + last)).toBeUndefined();
    expect(await authenticateApiKey(t.db, 'kyso_0000000000000000_' + 'A'.repeat(43))).toBeUndefined();
    expect(await authenticateApiKey(t.db, 'Bearer whatever')).toBeUndefined();

    expect(await revokeApiKey(t.db, issued.keyId)).toBe(true);
    expect(await revokeApiKey(t.db, issued.keyId)).toBe(false);
    expect(await authenticateApiKey(t.db, issued.key)).toBeUndefined();
  });

  it('admin keys need no agency; the others do', async () => {
    const admin = await createApiKey(t.db, { role: 'admin' });
    expect((await authenticateApiKey(t.db, admin.key))?.agencyId).toBeNull();
    const e = await createApiKey(t.db, { role: 'vpcp' }).catch((x: unknown) => x);
    expect(isKysoError(e, 'INVALID_ARGUMENT')).toBe(true);
  });
});
