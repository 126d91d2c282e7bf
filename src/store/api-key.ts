// API credentials: `kyso_<id>_<secret>`, where id is 8 random bytes (hex, the row's key: lookup without
// scanning) and secret 32 random bytes (base64url). Only SHA-256 of the whole key is stored.
//
// Why SHA-256 and not scrypt: slow password hashes protect low-entropy secrets chosen by people against
// offline guessing. These keys carry 256 bits from the CSPRNG — no guess list exists, a leaked hash table
// reveals nothing usable either way — while scrypt at ~50 ms per request would cap an API core at ~20
// authenticated calls/s and let anyone burn CPU with bogus keys. The comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KysoError } from '../errors.ts';
import type { Queryable } from './database.ts';
import { invalidateReadCaches, ReadCache } from './read-cache.ts';

export type ApiRole = 'agency' | 'vpcp' | 'admin';

export interface ApiPrincipal {
  keyId: string;
  role: ApiRole;
  /** The agency the key acts for; null only for admin keys. */
  agencyId: string | null;
}

export interface IssuedApiKey extends ApiPrincipal {
  /** The full key: shown to its holder once, never stored. */
  key: string;
}

const KEY = /^kyso_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export function parseApiKey(key: string): { id: string } | undefined {
  const m = KEY.exec(key);
  return m ? { id: m[1]! } : undefined;
}

export async function createApiKey(db: Queryable, opts: { role: ApiRole; agencyId?: string }): Promise<IssuedApiKey> {
  if (opts.role !== 'admin' && !opts.agencyId) {
    throw new KysoError('INVALID_ARGUMENT', 'Khóa API của cơ quan phải gắn với một cơ quan', 'An agency or VPCP API key needs an agency');
  }
  const id = randomBytes(8).toString('hex');
  const key = `kyso_${id}_${randomBytes(32).toString('base64url')}`;
  const agencyId = opts.agencyId ?? null;
  await db.query('INSERT INTO api_keys (id, agency_id, role, key_hash) VALUES ($1, $2, $3, $4)', [id, agencyId, opts.role, hashApiKey(key)]);
  return { keyId: id, role: opts.role, agencyId, key };
}

// Every API call authenticates: the principal of a key that checked out is remembered briefly (read-cache.ts),
// keyed by the SHA-256 of the whole presented key, so a wrong secret never matches a remembered principal.
const principalCache = new ReadCache<ApiPrincipal>();

/** The principal a presented key stands for, or undefined (malformed, unknown, wrong secret or revoked). */
export async function authenticateApiKey(db: Queryable, presented: string): Promise<ApiPrincipal | undefined> {
  const parsed = parseApiKey(presented);
  if (!parsed) return undefined;
  const p = await principalCache.get(db, hashApiKey(presented), () => lookupApiKey(db, presented, parsed));
  return p && { ...p };
}

async function lookupApiKey(db: Queryable, presented: string, parsed: { id: string }): Promise<ApiPrincipal | undefined> {
  const r = await db.query<{ role: ApiRole; agency_id: string | null; key_hash: string }>(
    'SELECT role, agency_id, key_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL',
    [parsed.id],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const ok = timingSafeEqual(Buffer.from(hashApiKey(presented), 'hex'), Buffer.from(row.key_hash, 'hex'));
  return ok ? { keyId: parsed.id, role: row.role, agencyId: row.agency_id } : undefined;
}

/** Revokes a key; false when there was no such active key. */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<boolean> {
  const r = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [keyId]);
  invalidateReadCaches();
  return r.rowCount > 0;
}
