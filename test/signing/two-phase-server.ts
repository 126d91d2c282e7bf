// A real kyso HTTP server with the signing-session API mounted, for the two-phase and signing-page tests: a
// migrated database (in-memory PGlite, or a random schema on the test PostgreSQL server), file blobs in a temp directory, one agency with an API key, the demo trust store
// and the test PKI server for OCSP/CRL/TSA. `clock` moves the sessions' time (expiry tests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, type HttpServerHandle } from '../../src/http/app.ts';
import { mountSigningSessions, type SigningSessionService } from '../../src/http/signing-sessions.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { createApiKey } from '../../src/store/api-key.ts';
import { openBlobStore } from '../../src/store/blob-store.ts';
import type { Database, DatabaseBackend } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { openTestDatabase } from '../store/test-databases.ts';

export const AGENCY = '000.00.00.G22';
export const OTHER_AGENCY = '000.00.12.H99';

export interface SigningServer {
  http: HttpServerHandle;
  db: Database;
  svc: SigningSessionService;
  /** API keys: of the agency, of another agency, an admin key. */
  key: string;
  otherKey: string;
  adminKey: string;
  /** Shifts the sessions' clock by `ms` (positive: into the future). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startSigningServer(pki: TestPkiServer, opts: { ttlMs?: number; backend?: DatabaseBackend } = {}): Promise<SigningServer> {
  const tdb = await openTestDatabase(opts.backend ?? 'pglite');
  const db = tdb.db;
  await migrate(db);
  for (const [id, name] of [
    [AGENCY, 'Văn phòng Chính phủ'],
    [OTHER_AGENCY, 'Bộ Tư pháp'],
  ]) {
    await db.query(`INSERT INTO agencies (id, name, delivery_mode) VALUES ($1, $2, 'pull')`, [id, name]);
  }
  const blobDir = mkdtempSync(join(tmpdir(), 'kyso-2phase-'));
  const blobs = openBlobStore(db, { storage: 'file', dir: blobDir });
  const network = { rewrite: pki.rewrite };
  let offset = 0;
  let svc: SigningSessionService | undefined;
  const http = await startHttpServer({
    trust: TrustStore.demo(),
    policy: defaultPolicy(),
    network,
    mount: (app) => {
      svc = mountSigningSessions(app, {
        db,
        blobs,
        verify: { trust: TrustStore.demo(), network },
        tsaUrl: `${pki.url}/tsa`,
        network,
        ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}),
        now: () => new Date(Date.now() + offset),
      });
    },
  });
  const key = (await createApiKey(db, { role: 'agency', agencyId: AGENCY })).key;
  const otherKey = (await createApiKey(db, { role: 'agency', agencyId: OTHER_AGENCY })).key;
  const adminKey = (await createApiKey(db, { role: 'admin' })).key;
  return {
    http,
    db,
    svc: svc!,
    key,
    otherKey,
    adminKey,
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await http.close(1000);
      await tdb.dispose();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}
