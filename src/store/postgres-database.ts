// Database on a PostgreSQL server through a pg.Pool (DATABASE_URL). Every pooled connection starts with the
// configured search_path (a startup parameter, so no extra round trip and no window where a query could run
// in the wrong schema).
import pg from 'pg';
import type { Database, QueryResult, Queryable } from './database.ts';
import { mapDbErrors, toDbError } from './db-errors.ts';
import { VALUE_PARSERS } from './value-parsers.ts';

export interface PostgresOptions {
  url: string;
  schema: string;
  poolMax?: number;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    VALUE_PARSERS[oid] ?? pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** pg sends a Buffer as a binary bytea parameter; a plain Uint8Array is wrapped (no copy) to get the same. */
const prepareParams = (params: readonly unknown[] = []): unknown[] =>
  params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    query: <T>(sql: string, params?: readonly unknown[]) =>
      mapDbErrors(async (): Promise<QueryResult<T>> => {
        const r = await client.query(sql, prepareParams(params));
        return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
      }),
    // Without parameters pg uses the simple query protocol, which accepts several statements.
    exec: (sql: string) => mapDbErrors(async () => void (await client.query(sql))),
  };
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  if (schema === 'public') return;
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (e) {
    // Two processes creating the same schema at once: the loser sees a duplicate; the schema exists either way.
    const code = (e as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw toDbError(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openPostgres(opts: PostgresOptions): Promise<Database> {
  await ensureSchema(opts.url, opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    options: `-c search_path="${opts.schema}"`,
    types,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process: the pool replaces
  // it, and the next query reports DB_UNAVAILABLE if the server is really gone.
  pool.on('error', (e) => process.stderr.write(`kyso: PostgreSQL connection lost: ${e.message}\n`));
  // Fail at startup, not at the first request, when the URL is wrong.
  await mapDbErrors(() => pool.query('SELECT 1'));

  const base = queryable(pool);
  return {
    backend: 'postgres',
    schema: opts.schema,
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await mapDbErrors(() => pool.connect());
      let broken: Error | undefined;
      try {
        await mapDbErrors(() => client.query('BEGIN'));
        const result = await fn(queryable(client));
        await mapDbErrors(() => client.query('COMMIT'));
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError; // the connection is in an unknown state: destroy it instead of pooling it
        });
        throw e;
      } finally {
        client.release(broken);
      }
    },
    close: () => mapDbErrors(() => pool.end()),
  };
}
