// Backend errors → typed KysoErrors. Both pg and PGlite report the server's SQLSTATE in `code`; that decides
// the ErrorCode, and the original error stays as `cause` for the log.
import { KysoError, type ErrorCode } from '../errors.ts';

/** A database failure, with the SQLSTATE and constraint when the server reported them. */
export class DbError extends KysoError {
  constructor(
    code: ErrorCode,
    vi: string,
    en: string,
    /** SQLSTATE, e.g. 23505 (unique_violation). */
    readonly sqlState?: string,
    /** Constraint the statement violated, when there is one. */
    readonly constraint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, vi, en, options);
    this.name = 'DbError';
  }
}

interface BackendErrorShape {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
}

/** Node socket errors and SQLSTATE classes that mean "the server cannot be reached or is going away". */
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);
const isUnavailableSqlState = (s: string) => s.startsWith('08') || s === '57P01' || s === '57P02' || s === '57P03';

export function toDbError(e: unknown): KysoError {
  if (e instanceof KysoError) return e;
  const shape = (typeof e === 'object' && e !== null ? e : {}) as BackendErrorShape;
  const message = typeof shape.message === 'string' ? shape.message : String(e);
  const code = typeof shape.code === 'string' ? shape.code : undefined;
  const constraint = typeof shape.constraint === 'string' ? shape.constraint : undefined;
  const sqlState = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;

  if ((code && UNAVAILABLE_NODE_CODES.has(code)) || (sqlState && isUnavailableSqlState(sqlState)) || /Connection terminated/i.test(message)) {
    return new DbError('DB_UNAVAILABLE', `Không kết nối được cơ sở dữ liệu: ${message}`, `Database unavailable: ${message}`, sqlState, undefined, { cause: e });
  }
  if (sqlState === '23505') {
    return new DbError('DB_CONFLICT', `Bản ghi đã tồn tại (${constraint ?? 'unique'})`, `Duplicate record (${constraint ?? 'unique'}): ${message}`, sqlState, constraint, { cause: e });
  }
  return new DbError('DB_ERROR', `Lỗi cơ sở dữ liệu: ${message}`, `Database error: ${message}`, sqlState, constraint, { cause: e });
}

/** Runs a backend call, rethrowing its failure as a typed error. */
export async function mapDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toDbError(e);
  }
}
