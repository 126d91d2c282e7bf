// A short-lived, per-database memory of rows that almost never change but are read on every request: an API
// key's principal, an agency, the agency a signing certificate is bound to. On the exchange's hot path each of
// these was one SQL round trip per message (bench/exchange.ts), and on this kind of VM a round trip costs more
// CPU than the lookup itself.
//
// Consistency, as users see it:
//   - a change made through this process (revoking a key, unbinding a certificate, editing an agency) takes
//     effect at once: every write function calls invalidateReadCaches(), which empties every cache;
//   - a change made by another process (another `kyso serve` instance, the CLI) takes effect here within
//     READ_CACHE_TTL_MS, like X-Road's cached global configuration;
//   - misses are never remembered (an agency registered elsewhere is seen on the next request);
//   - reads inside a transaction never use the cache (only a Database, not a transaction's Queryable, is
//     cached), so a transaction sees its own writes and locks what it reads.
import type { Queryable } from './database.ts';

/** How long another process's change may go unseen here. */
export const READ_CACHE_TTL_MS = 3_000;

let generation = 0;

/** Forgets everything every cache holds (called by every write to a cached table). */
export function invalidateReadCaches(): void {
  generation++;
}

interface Entry<V> {
  value: V;
  expires: number;
  generation: number;
}

export class ReadCache<V> {
  // Keyed by the database object: tests and tools open several databases in one process.
  private readonly byDb = new WeakMap<object, Map<string, Entry<V>>>();

  constructor(
    private readonly ttlMs = READ_CACHE_TTL_MS,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value, or `load()`'s (remembered when defined and `db` is a whole database, not a transaction). */
  async get(db: Queryable, key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!('transaction' in db)) return load();
    let map = this.byDb.get(db);
    const now = Date.now();
    const hit = map?.get(key);
    if (hit && hit.expires > now && hit.generation === generation) return hit.value;
    const g = generation;
    const value = await load();
    // A write that happened while loading may have made the value stale: remember it only if none did.
    if (value !== undefined && g === generation) {
      if (!map) this.byDb.set(db, (map = new Map()));
      if (map.size >= this.maxEntries) map.clear();
      map.set(key, { value, expires: now + this.ttlMs, generation: g });
    } else if (hit) {
      map!.delete(key);
    }
    return value;
  }
}
