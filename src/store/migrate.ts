// Schema migrations: numbered SQL files in ./migrations (NNNN_name.sql), applied in order, each once.
//
// All pending migrations run in one transaction, so a failure leaves the schema exactly as it was. The
// transaction first takes a PostgreSQL advisory lock scoped to the schema: when two kyso processes start at
// once against the same server, the second waits, then finds the work done. (PGlite is single-process; the
// same SQL just succeeds at once.) A migration that has been applied and then edited is refused: its checksum
// no longer matches, and silently running a different schema than the one recorded would be worse.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.ts';
import { DbError } from './db-errors.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** SHA-256 of the file, lowercase hex. */
  checksum: string;
}

export interface MigrationReport {
  /** Versions applied by this call, in order (empty when the schema was up to date). */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

/** 'kyso' as an int4: the advisory lock's first key; the second is the schema, so schemas migrate independently. */
const LOCK_CLASS = 0x6b79736f;
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

const failure = (vi: string, en: string) => new DbError('DB_ERROR', `Lỗi migration: ${vi}`, `Migration error: ${en}`);

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f): Migration => {
      const m = FILE.exec(f);
      if (!m) throw failure(`tên tệp không đúng mẫu NNNN_ten.sql: ${f}`, `file name is not NNNN_name.sql: ${f}`);
      const sql = readFileSync(join(dir, f), 'utf8');
      return { version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  // Versions 1, 2, 3… with no gap or duplicate: a gap usually means a file was lost in a merge.
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw failure(`thiếu hoặc trùng phiên bản ${i + 1}`, `version ${i + 1} is missing or duplicated`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function applyPending(tx: Queryable, migrations: readonly Migration[]): Promise<MigrationReport> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int4, hashtext(current_schema()))', [LOCK_CLASS]);
  await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const m = known.get(row.version);
    if (!m) {
      throw failure(
        `cơ sở dữ liệu có phiên bản ${row.version} (${row.name}) mà bản kyso này không biết — hãy nâng cấp kyso`,
        `the database has version ${row.version} (${row.name}) that this kyso does not know — upgrade kyso`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw failure(
        `migration ${row.version} (${row.name}) đã áp dụng nhưng tệp đã bị sửa; hãy thêm migration mới thay vì sửa`,
        `migration ${row.version} (${row.name}) was applied but its file has changed; add a new migration instead of editing`,
      );
    }
  }
  const done = new Set(rows.map((r) => r.version));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await tx.exec(m.sql);
    await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    applied.push(m.version);
  }
  return { applied, version: Math.max(0, ...migrations.map((m) => m.version), ...rows.map((r) => r.version)) };
}

/** Brings the database's schema up to date. Idempotent; safe to call from every process at startup. */
export function migrate(db: Database, migrations: readonly Migration[] = loadMigrations()): Promise<MigrationReport> {
  return db.transaction((tx) => applyPending(tx, migrations));
}
