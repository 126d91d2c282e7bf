// Content-addressed blob store on both backends and both byte storages: one copy per content, every read
// checked against the hash, damage detected and repaired by storing the same bytes again.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import { BlobStore, openBlobStore, type BlobStorage } from '../../src/store/blob-store.ts';
import { migrate } from '../../src/store/migrate.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from './test-databases.ts';

const STORAGES: readonly BlobStorage[] = ['file', 'db'];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const drain = async (s: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
async function* chunked(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

describe.each(BACKENDS)('blob store on %s', (backend) => {
  let t: TestDatabase;
  const root = mkdtempSync(join(tmpdir(), 'kyso-blobs-'));
  beforeAll(async () => {
    t = await openTestDatabase(backend);
    await migrate(t.db);
  });
  afterAll(async () => {
    await t?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('defaults to files on PGlite and bytea on PostgreSQL', () => {
    const store = openBlobStore(t.db, { dir: root }, {});
    expect(store.storage).toBe(backend === 'pglite' ? 'file' : 'db');
    expect(openBlobStore(t.db, { dir: root }, { KYSO_BLOB_STORAGE: 'file' }).storage).toBe('file');
  });

  describe.each(STORAGES)('with %s storage', (storage) => {
    let store: BlobStore;
    let dir: string;
    beforeAll(() => {
      dir = join(root, storage);
      store = openBlobStore(t.db, { dir, storage });
    });
    const fileCount = () => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length : 0);

    it('stores bytes under their SHA-256 and returns them', async () => {
      const pdf = new Uint8Array(randomBytes(70_000));
      const id = await store.put(pdf, 'application/pdf');
      expect(id).toBe(sha(pdf));
      expect(await store.has(id)).toBe(true);
      expect(Buffer.from(await store.get(id)).equals(pdf)).toBe(true);
      const info = await store.info(id);
      expect(info).toMatchObject({ sha256: id, size: 70_000, mediaType: 'application/pdf', storage });
      expect(info!.createdAt).toBeInstanceOf(Date);
    });

    it('keeps one copy of the same bytes, also when they are stored concurrently', async () => {
      const bytes = new Uint8Array(randomBytes(20_000));
      const filesBefore = fileCount();
      const ids = await Promise.all([1, 2, 3, 4, 5].map(() => store.put(bytes, 'application/xml; charset=utf-8')));
      expect(new Set(ids).size).toBe(1);
      await store.put(bytes, 'application/octet-stream'); // the first media type stays
      const rows = await t.db.query<{ n: number; media_type: string }>('SELECT count(*) AS n, min(media_type) AS media_type FROM blobs WHERE sha256 = $1', [ids[0]]);
      expect(rows.rows[0]).toEqual({ n: 1, media_type: 'application/xml; charset=utf-8' });
      expect(fileCount() - filesBefore).toBe(storage === 'file' ? 1 : 0);
      if (storage === 'file') expect(readdirSync(join(dir, 'tmp'))).toEqual([]); // no temporary file left
    });

    it('streams a large blob in and out without changing it', async () => {
      const big = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));
      const id = await store.putStream(chunked(big, 64 * 1024), 'application/pdf');
      expect(id).toBe(sha(big));
      expect(await store.putStream(chunked(big, 1000), 'application/pdf')).toBe(id); // again: deduplicated
      const { info, stream } = await store.openStream(id);
      expect(info.size).toBe(big.byteLength);
      expect((await drain(stream)).equals(big)).toBe(true);
      if (storage === 'file') expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    });

    it('a failing source stores nothing and keeps its own error', async () => {
      const aborted = new Error('client aborted the upload');
      async function* failing() {
        yield new Uint8Array(randomBytes(10_000));
        throw aborted;
      }
      const before = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM blobs');
      expect(await caught(store.putStream(failing(), 'application/pdf'))).toBe(aborted);
      const after = await t.db.query<{ n: number }>('SELECT count(*) AS n FROM blobs');
      expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
      if (storage === 'file') expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    });

    it('says what is missing or malformed', async () => {
      const unknown = sha(new Uint8Array([1, 2, 3, 4]));
      expect(await store.has(unknown)).toBe(false);
      expect(await store.info(unknown)).toBeUndefined();
      expect(isKysoError(await caught(store.get(unknown)), 'BLOB_NOT_FOUND')).toBe(true);
      expect(isKysoError(await caught(store.openStream(unknown)), 'BLOB_NOT_FOUND')).toBe(true);
      // Anything but 64 lowercase hex digits is refused before it can become a path.
      for (const bad of ['../../../etc/passwd', unknown.toUpperCase(), `${unknown}0`, '']) {
        expect(isKysoError(await caught(store.get(bad)), 'INVALID_ARGUMENT')).toBe(true);
      }
      expect(isKysoError(await caught(store.put(new Uint8Array([1]), 'not a media type')), 'INVALID_ARGUMENT')).toBe(true);
    });

    it('putMany stores several blobs at once, in order, once each, and repairs a damaged one it is given again', async () => {
      const a = new Uint8Array(randomBytes(3000));
      const b = new Uint8Array(randomBytes(4000));
      const known = new Uint8Array(randomBytes(5000));
      const knownId = await store.put(known, 'application/xml');
      if (storage === 'db') await t.db.query("UPDATE blobs SET bytes = overlay(bytes placing '\\x00'::bytea from 11) WHERE sha256 = $1", [knownId]);
      const ids = await store.putMany([
        { bytes: a, mediaType: 'application/xml' },
        { bytes: b, mediaType: 'application/pdf' },
        { bytes: a, mediaType: 'application/xml' },
        { bytes: known, mediaType: 'application/xml' },
      ]);
      expect(ids).toEqual([sha(a), sha(b), sha(a), knownId]);
      for (const [id, bytes] of [[ids[0]!, a], [ids[1]!, b], [knownId, known]] as const) expect(Buffer.from(await store.get(id)).equals(bytes)).toBe(true);
      const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM blobs WHERE sha256 = ANY($1::text[])', [[sha(a), sha(b), knownId]]);
      expect(rows.rows[0]!.n).toBe(3);
      expect((await store.info(ids[1]!))?.mediaType).toBe('application/pdf');
      // A hash the caller already computed from the same bytes is taken as the name (not computed again).
      const c = new Uint8Array(randomBytes(2000));
      const d = new Uint8Array(randomBytes(2000));
      expect(await store.putMany([{ bytes: c, mediaType: 'application/xml', sha256: sha(c) }, { bytes: d, mediaType: 'application/xml', sha256: sha(d) }])).toEqual([sha(c), sha(d)]);
      expect(Buffer.from(await store.get(sha(d))).equals(d)).toBe(true);
    });

    it('detects damaged bytes on read, and storing the same bytes again repairs them', async () => {
      const original = new Uint8Array(randomBytes(100_000));
      const id = await store.put(original, 'application/pdf');
      const damage = async () => {
        if (storage === 'file') {
          const path = join(dir, id.slice(0, 2), id);
          const bytes = readFileSync(path);
          bytes[50_000] ^= 0x01; // one flipped bit
          writeFileSync(path, bytes);
        } else {
          await t.db.query("UPDATE blobs SET bytes = overlay(bytes placing '\\x00'::bytea from 50001) WHERE sha256 = $1", [id]);
        }
      };
      await damage();
      const e = await caught(store.get(id));
      expect(isKysoError(e, 'BLOB_CORRUPT')).toBe(true);
      expect((e as Error).message).toContain(id);
      // Streaming: a bytea blob is checked before its stream opens; a file blob fails its stream at the end.
      expect(isKysoError(await caught(store.openStream(id).then(({ stream }) => drain(stream))), 'BLOB_CORRUPT')).toBe(true);

      expect(await store.put(original, 'application/pdf')).toBe(id);
      expect(Buffer.from(await store.get(id)).equals(original)).toBe(true);
    });

    it('a row without its file is corrupt, not absent', async () => {
      if (storage === 'db') return; // bytea cannot go missing from its row (CHECK constraint)
      const bytes = new Uint8Array(randomBytes(1000));
      const id = await store.put(bytes, 'application/pdf');
      unlinkSync(join(dir, id.slice(0, 2), id));
      expect(await store.has(id)).toBe(true);
      expect(isKysoError(await caught(store.get(id)), 'BLOB_CORRUPT')).toBe(true);
      expect(isKysoError(await caught(store.openStream(id)), 'BLOB_CORRUPT')).toBe(true);
      await store.putStream(chunked(bytes, 100), 'application/pdf'); // repaired by a streamed put too
      expect(Buffer.from(await store.get(id)).equals(bytes)).toBe(true);
    });

    it('its rows follow the caller transaction', async () => {
      const bytes = new Uint8Array(randomBytes(5000));
      const e = await caught(
        t.db.transaction(async (tx) => {
          await store.in(tx).put(bytes, 'application/pdf');
          expect(await store.in(tx).has(sha(bytes))).toBe(true);
          throw new Error('rollback');
        }),
      );
      expect((e as Error).message).toBe('rollback');
      expect(await store.has(sha(bytes))).toBe(false);
      // An orphan file from the rolled-back put is simply reused.
      const id = await store.put(bytes, 'application/pdf');
      expect(Buffer.from(await store.get(id)).equals(bytes)).toBe(true);
    });

    it('10 MB put and get (timings printed)', async () => {
      const tenMb = new Uint8Array(randomBytes(10 * 1024 * 1024));
      let t0 = performance.now();
      const id = await store.put(tenMb, 'application/pdf');
      const put = performance.now() - t0;
      t0 = performance.now();
      const back = await store.get(id);
      const get = performance.now() - t0;
      expect(back.byteLength).toBe(tenMb.byteLength);
      console.log(`[blob 10 MB] ${backend}/${storage}: put ${put.toFixed(0)} ms, get+verify ${get.toFixed(0)} ms`);
    });
  });
});
