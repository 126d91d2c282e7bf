// The Database interface behaves the same on PGlite and on PostgreSQL: values, transactions, typed errors.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { DbError } from '../../src/store/db-errors.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from './test-databases.ts';

describe.each(BACKENDS)('Database on %s', (backend) => {
  let t: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    t = await openTestDatabase(backend);
    db = t.db;
    await db.exec('CREATE TABLE t (k text PRIMARY KEY, n bigint, b bytea, j jsonb, at timestamptz, d numeric)');
  });
  afterAll(async () => t?.dispose());

  it('reports its backend and works in its own schema', async () => {
    expect(db.backend).toBe(backend);
    const r = await db.query<{ s: string }>('SELECT current_schema() AS s');
    expect(r.rows[0]!.s).toBe(db.schema);
    if (backend === 'postgres') expect(db.schema).toMatch(/^kyso_test_/);
  });

  it('returns the same JavaScript values on both backends', async () => {
    const at = new Date('2026-02-13T03:04:05.678Z');
    const ins = await db.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)', ['a', 9_007_199_254_740_991, new Uint8Array([0, 1, 255]), JSON.stringify({ tên: 'Văn phòng Chính phủ', n: [1, 2] }), at, '12.50']);
    expect(ins.rowCount).toBe(1);
    const r = await db.query<{ n: number; b: Uint8Array; j: unknown; at: Date; d: string; c: number }>('SELECT n, b, j, at, d, (SELECT count(*) FROM t) AS c FROM t WHERE k = $1', ['a']);
    const row = r.rows[0]!;
    expect(row.n).toBe(9_007_199_254_740_991);
    expect(row.c).toBe(1);
    expect(row.b).toBeInstanceOf(Uint8Array);
    expect([...row.b]).toEqual([0, 1, 255]);
    expect(row.j).toEqual({ tên: 'Văn phòng Chính phủ', n: [1, 2] });
    expect(row.at).toBeInstanceOf(Date);
    expect(row.at.toISOString()).toBe(at.toISOString());
    expect(row.d).toBe('12.50');
    const upd = await db.query('UPDATE t SET n = n - 1 WHERE k = $1', ['a']);
    expect(upd.rowCount).toBe(1);
  });

  it('refuses an int8 beyond 2^53 instead of rounding it', async () => {
    const e = await db.query('SELECT 9007199254740993::int8 AS big').catch((x: unknown) => x);
    expect(isKysoError(e, 'DB_ERROR')).toBe(true);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const v = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (k) VALUES ($1)', ['committed']);
      return 42;
    });
    expect(v).toBe(42);
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['rolled-back']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const r = await db.query<{ k: string }>("SELECT k FROM t WHERE k IN ('committed', 'rolled-back') ORDER BY k");
    expect(r.rows.map((x) => x.k)).toEqual(['committed']);
  });

  it('a failed statement inside a transaction rolls it back with a typed error', async () => {
    const e = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['x1']);
        await tx.query('INSERT INTO t (k) VALUES ($1)', ['x1']);
      })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).code).toBe('DB_CONFLICT');
    expect((e as DbError).sqlState).toBe('23505');
    expect((await db.query("SELECT 1 FROM t WHERE k = 'x1'")).rowCount).toBe(0);
  });

  it('maps SQL errors to DB_ERROR with the SQLSTATE', async () => {
    const e = await db.query('SELEC 1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).code).toBe('DB_ERROR');
    expect((e as DbError).sqlState).toBe('42601');
    expect((e as DbError).vi).toMatch(/^Lỗi cơ sở dữ liệu/);
  });

  it('exec runs a script of several statements', async () => {
    await db.exec("INSERT INTO t (k) VALUES ('s1'); INSERT INTO t (k) VALUES ('s2');");
    expect((await db.query("SELECT k FROM t WHERE k LIKE 's_'")).rowCount).toBe(2);
  });
});

describe('PostgreSQL connection failures', () => {
  it('an unreachable server is DB_UNAVAILABLE at open', async () => {
    const e = await openDatabase({ url: 'postgres://root@127.0.0.1:1/test' }).catch((x: unknown) => x);
    expect(isKysoError(e, 'DB_UNAVAILABLE')).toBe(true);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const e = await openDatabase({ dataDir: 'memory://', schema: 'x"; DROP TABLE y; --' }).catch((x: unknown) => x);
    expect(isKysoError(e, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('PGlite data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'kyso-pglite-'));
  const dir = join(root, 'pg');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('persists across close and reopen, and only one opener holds the directory', async () => {
    const db = await openDatabase({ dataDir: dir, schema: 'kyso' });
    await db.exec("CREATE TABLE p (v text); INSERT INTO p VALUES ('giữ lại')");
    const second = await openDatabase({ dataDir: dir }).catch((x: unknown) => x);
    expect(isKysoError(second, 'DB_UNAVAILABLE')).toBe(true);
    expect((second as Error).message).toContain(String(process.pid));
    await db.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);

    const again = await openDatabase({ dataDir: dir, schema: 'kyso' });
    expect((await again.query<{ v: string }>('SELECT v FROM p')).rows).toEqual([{ v: 'giữ lại' }]);
    await again.close();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    writeFileSync(`${dir}.lock`, '2147483646'); // no such PID
    const db = await openDatabase({ dataDir: dir });
    await db.close();
  });

  it('takes over a lock with its own PID that it does not hold (a restarted container keeps its PID)', async () => {
    writeFileSync(`${dir}.lock`, String(process.pid));
    const db = await openDatabase({ dataDir: dir });
    expect(isKysoError(await openDatabase({ dataDir: dir }).catch((x: unknown) => x), 'DB_UNAVAILABLE')).toBe(true);
    await db.close();
  });
});
