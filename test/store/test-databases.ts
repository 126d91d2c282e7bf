// Every store and audit test runs on both backends: embedded PGlite (in memory) and the real PostgreSQL server
// (KYSO_TEST_DATABASE_URL, default postgres://root@127.0.0.1:5432/test). On the server each test file works in
// its own random schema, dropped afterwards, so parallel test files never see each other's rows.
// KYSO_TEST_SKIP_POSTGRES=1 skips the server runs explicitly (never silently).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseBackend } from '../../src/store/database.ts';

export const PG_TEST_URL = process.env.KYSO_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export const BACKENDS: readonly DatabaseBackend[] = process.env.KYSO_TEST_SKIP_POSTGRES === '1' ? ['pglite'] : ['pglite', 'postgres'];
// Said out loud, once per test file that uses the backends: a run without the server is not a full run.
if (BACKENDS.length === 1) process.stderr.write('⚠ KYSO_TEST_SKIP_POSTGRES=1: the PostgreSQL runs of this file are skipped (PGlite only)\n');

export interface TestDatabase {
  db: Database;
  /** Closes the database and removes everything the test created. */
  dispose(): Promise<void>;
}

export const randomSchema = () => `kyso_test_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openTestDatabase(backend: DatabaseBackend, opts: { schema?: string; poolMax?: number } = {}): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://', ...(opts.schema ? { schema: opts.schema } : {}) });
    return { db, dispose: () => db.close() };
  }
  const schema = opts.schema ?? randomSchema();
  const db = await openDatabase({ url: PG_TEST_URL, schema, ...(opts.poolMax ? { poolMax: opts.poolMax } : {}) });
  return {
    db,
    async dispose() {
      await db.close();
      await dropSchema(schema);
    },
  };
}
