// The one database interface kyso's store is written against, and the factory that picks a backend.
//
// One SQL dialect — PostgreSQL — on two backends:
//   - embedded PGlite (PostgreSQL compiled to wasm) in ./data/pg when DATABASE_URL is unset: a newcomer runs
//     `npm start` with nothing installed;
//   - a real PostgreSQL server through a pg.Pool when DATABASE_URL is set: what production and scale-out use.
// Both return the same JavaScript shapes for the same SQL (see value-parsers.ts), so callers never branch on
// the backend.
import { KysoError } from '../errors.ts';

/** A result row as the backend returned it; callers narrow it with the type parameter of query(). */
export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE). */
  rowCount: number;
}

/** What both a database and an open transaction can do. */
export interface Queryable {
  /** One statement with $1… parameters. Values come back as described in value-parsers.ts. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DatabaseBackend = 'pglite' | 'postgres';

export interface Database extends Queryable {
  readonly backend: DatabaseBackend;
  /** The schema every statement runs in (search_path). */
  readonly schema: string;
  /**
   * Runs `fn` in one transaction (READ COMMITTED): committed when it resolves, rolled back when it throws.
   * Use only `tx` inside `fn` — on PGlite a query on the database itself would wait for the transaction.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** postgres://… — a PostgreSQL server. Unset: embedded PGlite. */
  url?: string;
  /** PGlite data directory (default ./data/pg); `memory://` keeps everything in memory (tests). */
  dataDir?: string;
  /** Schema to work in, created if missing (default `public`). Tests use a random one per run. */
  schema?: string;
  /** pg.Pool size (default 10). */
  poolMax?: number;
}

export const DEFAULT_PGLITE_DIR = './data/pg';

/** DATABASE_URL selects PostgreSQL; KYSO_PGLITE_DIR and KYSO_DB_SCHEMA adjust the defaults. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  return {
    ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : {}),
    ...(env.KYSO_PGLITE_DIR ? { dataDir: env.KYSO_PGLITE_DIR } : {}),
    ...(env.KYSO_DB_SCHEMA ? { schema: env.KYSO_DB_SCHEMA } : {}),
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name, checked: it is spliced into SQL as an identifier, so only plain lowercase names pass. */
export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `Tên schema không hợp lệ: "${schema}" (chỉ chữ thường, chữ số, dấu gạch dưới)`,
      `Invalid schema name: "${schema}" (lowercase letters, digits and underscores only)`,
    );
  }
  return schema;
}

/** Opens the configured backend. The implementations are loaded lazily: PGlite's wasm only when it is used. */
export async function openDatabase(config: DatabaseConfig = databaseConfigFromEnv()): Promise<Database> {
  const schema = checkSchemaName(config.schema ?? 'public');
  if (config.url) {
    const { openPostgres } = await import('./postgres-database.ts');
    return openPostgres({ url: config.url, schema, ...(config.poolMax ? { poolMax: config.poolMax } : {}) });
  }
  const { openPglite } = await import('./pglite-database.ts');
  return openPglite({ dataDir: config.dataDir ?? DEFAULT_PGLITE_DIR, schema });
}
