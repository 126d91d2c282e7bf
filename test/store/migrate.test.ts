// Migrations: applied once, idempotent, atomic, serialised between concurrent starters, and refusing a schema
// that does not match the files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { loadMigrations, migrate, type Migration } from '../../src/store/migrate.ts';
import { BACKENDS, dropSchema, openTestDatabase, randomSchema, type TestDatabase } from './test-databases.ts';

const tables = async (t: TestDatabase) =>
  (await t.db.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name')).rows.map((r) => r.table_name);

// The shipped migrations (0001 initial, 0002 PAKN exchange, then later ones).
const VERSIONS = loadMigrations().map((m) => m.version);
const LATEST = VERSIONS.at(-1)!;
const migration = (version: number, name: string, sql: string): Migration => ({ version, name, sql, checksum: `${version}-${sql.length}-${name}` });

describe.each(BACKENDS)('migrations on %s', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(backend);
  });
  afterAll(async () => t?.dispose());

  it('applies the initial schema once; a second run changes nothing', async () => {
    const first = await migrate(t.db);
    expect(first).toEqual({ applied: VERSIONS, version: LATEST });
    expect(await tables(t)).toEqual(
      expect.arrayContaining(['agencies', 'agency_certificates', 'agency_signing_keys', 'api_keys', 'audit_head', 'audit_log', 'audit_seals', 'blobs', 'document_numbers', 'idempotency_records', 'messages', 'notifications', 'pakn_cases', 'schema_migrations']),
    );
    const second = await migrate(t.db);
    expect(second).toEqual({ applied: [], version: LATEST });
    const rows = await t.db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows.rows).toEqual(loadMigrations().map((m) => ({ version: m.version, name: m.name })));
  });

  it('the schema enforces its invariants', async () => {
    const reject = async (sql: string, params: unknown[] = []) => {
      const e = await t.db.query(sql, params).catch((x: unknown) => x);
      expect(isKysoError(e), sql).toBe(true);
    };
    await t.db.query("INSERT INTO agencies (id, name, delivery_mode) VALUES ('000.00.00.G22', 'Văn phòng Chính phủ', 'pull')");
    await reject("INSERT INTO agencies (id, name, delivery_mode) VALUES ('000.00.00.H41', 'UBND tỉnh Nghệ An', 'push')"); // push without webhook
    await reject("INSERT INTO agencies (id, name, delivery_mode) VALUES ('g22; x', 'x', 'pull')");
    await reject("INSERT INTO agencies (id, name, delivery_mode) VALUES ($1, 'x', 'pull')", ['A'.repeat(36)]);
    await reject("INSERT INTO api_keys (id, role, key_hash) VALUES ('00112233445566ff', 'agency', repeat('a', 64))"); // agency key without agency
    await t.db.query("INSERT INTO api_keys (id, role, key_hash) VALUES ('00112233445566ff', 'admin', repeat('a', 64))");
    await reject("INSERT INTO blobs (sha256, size, media_type, storage) VALUES (repeat('a', 64), 1, 'application/pdf', 'db')"); // db storage without bytes
    // audit_log is append-only
    await t.db.query(
      "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (1, now(), 'a', 'b', 'c', '{}', repeat('0', 64), repeat('1', 64))",
    );
    const upd = await t.db.query("UPDATE audit_log SET actor = 'x'").catch((x: unknown) => x);
    expect(isKysoError(upd, 'DB_ERROR') && (upd as { sqlState?: string }).sqlState).toBe('55000');
    const del = await t.db.query('DELETE FROM audit_log').catch((x: unknown) => x);
    expect((del as { sqlState?: string }).sqlState).toBe('55000');
    const trunc = await t.db.query('TRUNCATE audit_log').catch((x: unknown) => x);
    expect((trunc as { sqlState?: string }).sqlState).toBe('55000');
  });

  it('refuses a database whose applied migration was edited, or that is newer than this kyso', async () => {
    const edited = loadMigrations().map((m) => ({ ...m, checksum: '0'.repeat(64) }));
    const e1 = await migrate(t.db, edited).catch((x: unknown) => x);
    expect(isKysoError(e1, 'DB_ERROR')).toBe(true);
    expect((e1 as Error).message).toContain('was applied but its file has changed');
    const e2 = await migrate(t.db, []).catch((x: unknown) => x);
    expect((e2 as Error).message).toContain('that this kyso does not know');
  });
});

describe.each(BACKENDS)('migration atomicity and concurrency on %s', (backend) => {
  it('a failing migration leaves nothing behind, not even the migrations before it in the batch', async () => {
    const t = await openTestDatabase(backend);
    try {
      const set = [migration(1, 'one', 'CREATE TABLE one (x int);'), migration(2, 'two', 'CREATE TABLE two (x int); SELECT no_such_function();')];
      const e = await migrate(t.db, set).catch((x: unknown) => x);
      expect(isKysoError(e, 'DB_ERROR')).toBe(true);
      expect(await tables(t)).toEqual([]);
      expect(await migrate(t.db, set.slice(0, 1))).toEqual({ applied: [1], version: 1 });
      expect(await migrate(t.db, [...set.slice(0, 1), migration(2, 'two', 'CREATE TABLE two (x int);')])).toEqual({ applied: [2], version: 2 });
    } finally {
      await t.dispose();
    }
  });

  it('several processes starting at once apply each migration exactly once', async () => {
    if (backend === 'pglite') {
      // One process owns a PGlite directory (dir lock); concurrent calls within it serialise on its one connection.
      const t = await openTestDatabase('pglite');
      try {
        const reports = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
        expect(reports.map((r) => r.applied).flat()).toEqual(VERSIONS);
      } finally {
        await t.dispose();
      }
      return;
    }
    // Separate pools are separate server sessions, like separate processes.
    const schema = randomSchema();
    const dbs = await Promise.all([1, 2, 3, 4].map(() => openTestDatabase('postgres', { schema, poolMax: 1 })));
    try {
      const reports = await Promise.all(dbs.map((t) => migrate(t.db)));
      expect(reports.map((r) => r.applied).flat().sort((a, b) => a - b)).toEqual(VERSIONS);
      expect(reports.every((r) => r.version === LATEST)).toBe(true);
    } finally {
      await Promise.all(dbs.map((t) => t.db.close()));
      await dropSchema(schema);
    }
  });
});

describe('migration files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are numbered without gaps and named NNNN_name.sql', () => {
    const names = loadMigrations().map((m) => `${m.version}:${m.name}`);
    expect(names.slice(0, 2)).toEqual(['1:initial', '2:pakn_exchange']);
    expect(loadMigrations().map((m) => m.version)).toEqual(VERSIONS.map((_, i) => i + 1));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/version 2 is missing/);
    writeFileSync(join(dir, '2_b.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/NNNN_name\.sql/);
  });
});
