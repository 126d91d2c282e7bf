// Database on embedded PGlite: PostgreSQL (18 in PGlite 0.5) compiled to wasm, running in this process.
// One connection, so statements are serialised by PGlite itself and a transaction holds the whole database
// until it ends.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, QueryResult, Queryable } from './database.ts';
import { mapDbErrors, toDbError } from './db-errors.ts';
import { acquireDirLock } from './dir-lock.ts';
import { VALUE_PARSERS } from './value-parsers.ts';

export interface PgliteOptions {
  /** A directory, or `memory://` for a throwaway in-memory database. */
  dataDir: string;
  schema: string;
}

function queryable(target: PGlite | Transaction): Queryable {
  return {
    query: <T>(sql: string, params?: readonly unknown[]) =>
      mapDbErrors(async (): Promise<QueryResult<T>> => {
        const r = await target.query<T>(sql, params ? [...params] : []);
        // PGlite reports affectedRows 0 for a SELECT: a statement that returns columns counts its rows.
        return { rows: r.rows, rowCount: r.fields.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
      }),
    exec: (sql: string) => mapDbErrors(async () => void (await target.exec(sql))),
  };
}

export async function openPglite(opts: PgliteOptions): Promise<Database> {
  const inMemory = opts.dataDir.startsWith('memory://');
  let release = () => {};
  let dataDir = opts.dataDir;
  if (!inMemory) {
    dataDir = resolve(opts.dataDir);
    mkdirSync(dirname(dataDir), { recursive: true });
    release = acquireDirLock(`${dataDir}.lock`);
  }
  let lite: PGlite;
  try {
    lite = await mapDbErrors(() => PGlite.create(dataDir, { parsers: VALUE_PARSERS }));
    if (opts.schema !== 'public') {
      // One session for the life of the database, so SET lasts as long as it does.
      await mapDbErrors(() => lite.exec(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"; SET search_path TO "${opts.schema}"`));
    }
  } catch (e) {
    release();
    throw e;
  }

  const base = queryable(lite);
  return {
    backend: 'pglite',
    schema: opts.schema,
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      // The caller's own error passes through unchanged; only PGlite's (BEGIN/COMMIT) are mapped.
      let fromCallback: { error: unknown } | undefined;
      try {
        return await lite.transaction(async (tx) => {
          try {
            return await fn(queryable(tx));
          } catch (error) {
            fromCallback = { error };
            throw error;
          }
        });
      } catch (e) {
        throw fromCallback ? fromCallback.error : toDbError(e);
      }
    },
    async close() {
      try {
        if (!lite.closed) await mapDbErrors(() => lite.close());
      } finally {
        release();
      }
    },
  };
}
