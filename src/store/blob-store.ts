// Content-addressed document store: every document, attachment and package is stored once, under the SHA-256
// of its bytes, and every read is checked against that hash — a blob damaged on disk or edited in the database
// is reported (BLOB_CORRUPT), never served.
//
// The `blobs` row is the index (size, media type, where the bytes are). The bytes themselves live
//   - 'db':   in the row's bytea column — the default on a PostgreSQL server: API and worker instances stay
//             stateless (no shared volume), blobs are in the same backup and the same transactions as the
//             rows that reference them; 10 MB measured at ~0.1 s to insert and ~0.13 s to read;
//   - 'file': in <dir>/<2 hex>/<sha256> — the default on PGlite, where a 10 MB bytea costs ~3.5 s to insert and
//             ~1 s to read through wasm, against ~20 ms / ~10 ms for an fsync'ed file.
// Rows of both kinds can coexist (a deployment that switches keeps reading the old ones).
//
// Writing a file blob: file first (temp + fsync + rename), row second. A crash in between leaves an orphan file
// (harmless, reused by the next put of the same bytes) but never a row pointing at missing bytes.
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { KysoError } from '../errors.ts';
import { BlobFiles } from './blob-files.ts';
import type { Database, DatabaseBackend, Queryable } from './database.ts';

export type BlobStorage = 'db' | 'file';

export interface BlobInfo {
  sha256: string;
  size: number;
  mediaType: string;
  storage: BlobStorage;
  createdAt: Date;
}

export interface BlobStoreOptions {
  /** Where new blobs go; default: 'file' on PGlite, 'db' on PostgreSQL (KYSO_BLOB_STORAGE overrides). */
  storage?: BlobStorage;
  /** Directory of file blobs; default ./data/blobs (KYSO_BLOB_DIR overrides). */
  dir?: string;
}

export const DEFAULT_BLOB_DIR = './data/blobs';
const SHA256_HEX = /^[0-9a-f]{64}$/;
// type/subtype with optional parameters, e.g. application/pdf, application/xml; charset=utf-8
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;.*)?$/i;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Throws INVALID_ARGUMENT unless `sha256` is 64 lowercase hex digits — it also becomes a file name. */
export function checkSha256(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) {
    throw new KysoError('INVALID_ARGUMENT', `Giá trị băm SHA-256 không hợp lệ: "${sha256.slice(0, 80)}"`, `Invalid SHA-256 hex digest: "${sha256.slice(0, 80)}"`);
  }
  return sha256;
}

function checkMediaType(mediaType: string): string {
  if (mediaType.length > 255 || !MEDIA_TYPE.test(mediaType)) {
    throw new KysoError('INVALID_ARGUMENT', `Kiểu nội dung không hợp lệ: "${mediaType.slice(0, 80)}"`, `Invalid media type: "${mediaType.slice(0, 80)}"`);
  }
  return mediaType;
}

const notFound = (sha256: string) => new KysoError('BLOB_NOT_FOUND', `Không có tài liệu ${sha256}`, `No blob ${sha256}`);
const corrupt = (sha256: string, vi: string, en: string) =>
  new KysoError('BLOB_CORRUPT', `Tài liệu ${sha256} bị hỏng: ${vi}`, `Blob ${sha256} is corrupt: ${en}`);

/**
 * The check every read makes: `bytes` are the blob named `sha256` (of `size` bytes, when known), else BLOB_CORRUPT.
 * Also for bytes read with another row (the delivery worker gets a package's bytes with its message).
 */
export function checkBlobBytes(sha256: string, bytes: Uint8Array, size?: number): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== sha256 || (size !== undefined && bytes.byteLength !== size)) {
    throw corrupt(sha256, `nội dung có băm ${actual}, ${bytes.byteLength} byte`, `content hashes to ${actual}, ${bytes.byteLength} bytes`);
  }
  return bytes;
}

/** Passes bytes through, hashing them; fails the stream at its end if they are not the expected blob. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  constructor(private readonly expected: { sha256: string; size: number }) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected.sha256 || this.size !== this.expected.size) {
      done(corrupt(this.expected.sha256, `nội dung có băm ${actual}, ${this.size} byte`, `content hashes to ${actual}, ${this.size} bytes`));
    } else done();
  }
}

interface BlobRow {
  sha256: string;
  size: number;
  media_type: string;
  storage: BlobStorage;
  created_at: Date;
}

const toInfo = (r: BlobRow): BlobInfo => ({ sha256: r.sha256, size: r.size, mediaType: r.media_type, storage: r.storage, createdAt: r.created_at });

export class BlobStore {
  private readonly files: BlobFiles;

  constructor(
    private readonly db: Queryable,
    readonly storage: BlobStorage,
    readonly dir: string,
  ) {
    this.files = new BlobFiles(dir);
  }

  /** The same store working inside a caller's transaction (its rows commit or roll back with it). */
  in(tx: Queryable): BlobStore {
    return new BlobStore(tx, this.storage, this.dir);
  }

  /** Stores the bytes (once: the same bytes again are a no-op, and repair a damaged copy); returns their SHA-256. */
  async put(bytes: Uint8Array, mediaType: string): Promise<string> {
    checkMediaType(mediaType);
    const sha256 = sha256Hex(bytes);
    if (this.storage === 'db') {
      // Insert first: one statement when the bytes are new (the common case on the exchange's hot path); only a
      // conflict costs the lookup and the integrity check below.
      const r = await this.db.query(
        `INSERT INTO blobs (sha256, size, media_type, storage, bytes) VALUES ($1, $2, $3, 'db', $4) ON CONFLICT (sha256) DO NOTHING`,
        [sha256, bytes.byteLength, mediaType, bytes],
      );
      if (r.rowCount > 0) return sha256;
    }
    const existing = await this.info(sha256);
    if (existing) {
      await this.repairIfDamaged(existing, bytes);
      return sha256;
    }
    if (this.storage === 'file') {
      await this.files.write(sha256, bytes);
      await this.insertRow(sha256, bytes.byteLength, mediaType, null);
    } else {
      await this.insertRow(sha256, bytes.byteLength, mediaType, bytes);
    }
    return sha256;
  }

  /**
   * Stores several blobs; returns their SHA-256s in order. With 'db' storage the new ones go in with one multi-row
   * INSERT (a received package, its traced copies and its receipts: one round trip instead of one each); bytes
   * already stored take put()'s path (integrity check, repair). An item may carry the SHA-256 its caller already
   * computed from these very bytes (a 65 KB package hashed once instead of three times on the receipt path).
   */
  async putMany(items: readonly { bytes: Uint8Array; mediaType: string; sha256?: string }[]): Promise<string[]> {
    if (this.storage !== 'db' || items.length < 2) {
      const out: string[] = [];
      for (const it of items) out.push(await this.put(it.bytes, it.mediaType));
      return out;
    }
    const shas = items.map((it) => {
      checkMediaType(it.mediaType);
      return it.sha256 !== undefined ? checkSha256(it.sha256) : sha256Hex(it.bytes);
    });
    const unique = new Map<string, { bytes: Uint8Array; mediaType: string }>();
    shas.forEach((sha, i) => unique.has(sha) || unique.set(sha, items[i]!));
    const params: unknown[] = [];
    const rows: string[] = [];
    for (const [sha, it] of unique) {
      const b = params.length;
      rows.push(`($${b + 1}, $${b + 2}::bigint, $${b + 3}, 'db', $${b + 4}::bytea)`);
      params.push(sha, it.bytes.byteLength, it.mediaType, it.bytes);
    }
    const r = await this.db.query<{ sha256: string }>(
      `INSERT INTO blobs (sha256, size, media_type, storage, bytes) VALUES ${rows.join(', ')} ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
      params,
    );
    const inserted = new Set(r.rows.map((x) => x.sha256));
    for (const [sha, it] of unique) if (!inserted.has(sha)) await this.put(it.bytes, it.mediaType);
    return shas;
  }

  /**
   * Stores a stream without holding it in memory (file storage: hashed while written to a temporary file).
   * With 'db' storage the bytes are collected first — bytea takes one value.
   */
  async putStream(source: AsyncIterable<Uint8Array>, mediaType: string): Promise<string> {
    checkMediaType(mediaType);
    if (this.storage === 'db') {
      const chunks: Uint8Array[] = [];
      for await (const c of source) chunks.push(c);
      return this.put(Buffer.concat(chunks), mediaType);
    }
    const hash = createHash('sha256');
    let size = 0;
    const pending = await this.files.writeTemp(source, (c) => {
      hash.update(c);
      size += c.byteLength;
    });
    const sha256 = hash.digest('hex');
    const existing = await this.info(sha256);
    if (existing && !(existing.storage === 'file' && !(await this.fileIntact(existing)))) {
      await pending.discard();
      return sha256;
    }
    await pending.commit(sha256);
    if (!existing) await this.insertRow(sha256, size, mediaType, null);
    return sha256;
  }

  async has(sha256: string): Promise<boolean> {
    checkSha256(sha256);
    const r = await this.db.query('SELECT 1 FROM blobs WHERE sha256 = $1', [sha256]);
    return r.rows.length > 0;
  }

  async info(sha256: string): Promise<BlobInfo | undefined> {
    checkSha256(sha256);
    const r = await this.db.query<BlobRow>('SELECT sha256, size, media_type, storage, created_at FROM blobs WHERE sha256 = $1', [sha256]);
    return r.rows[0] ? toInfo(r.rows[0]) : undefined;
  }

  /** The bytes, checked against their hash. BLOB_NOT_FOUND if never stored, BLOB_CORRUPT if damaged or missing. */
  async get(sha256: string): Promise<Uint8Array> {
    checkSha256(sha256);
    const r = await this.db.query<BlobRow & { bytes: Uint8Array | null }>(
      'SELECT sha256, size, media_type, storage, created_at, bytes FROM blobs WHERE sha256 = $1',
      [sha256],
    );
    const row = r.rows[0];
    if (!row) throw notFound(sha256);
    const bytes = row.storage === 'db' ? row.bytes : await this.files.read(sha256);
    if (!bytes) throw corrupt(sha256, 'tệp dữ liệu không còn', 'its file is missing');
    return checkBlobBytes(sha256, bytes, row.size);
  }

  /**
   * The bytes as a stream, for serving large files. The hash is checked as the bytes pass: a damaged blob fails
   * the stream with BLOB_CORRUPT at its end, so a consumer must treat a stream error as "discard what you got"
   * (an HTTP response is then aborted, not completed).
   */
  async openStream(sha256: string): Promise<{ info: BlobInfo; stream: Readable }> {
    const info = await this.info(sha256);
    if (!info) throw notFound(sha256);
    if (info.storage === 'db') return { info, stream: Readable.from([await this.get(sha256)]) };
    const file = await this.files.openRead(sha256);
    if (!file) throw corrupt(sha256, 'tệp dữ liệu không còn', 'its file is missing');
    const verifying = new VerifyingStream(info);
    file.on('error', (e) => verifying.destroy(e));
    return { info, stream: file.pipe(verifying) };
  }

  private async insertRow(sha256: string, size: number, mediaType: string, bytes: Uint8Array | null): Promise<void> {
    // ON CONFLICT: another process stored the same bytes meanwhile — its row is as good as ours.
    await this.db.query(
      `INSERT INTO blobs (sha256, size, media_type, storage, bytes) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (sha256) DO NOTHING`,
      [sha256, size, mediaType, bytes === null ? 'file' : 'db', bytes],
    );
  }

  private async fileIntact(info: BlobInfo): Promise<boolean> {
    const bytes = await this.files.read(info.sha256);
    return bytes !== undefined && bytes.byteLength === info.size && sha256Hex(bytes) === info.sha256;
  }

  /** A put of bytes already stored rewrites the stored copy if it no longer matches (we hold the right bytes). */
  private async repairIfDamaged(info: BlobInfo, bytes: Uint8Array): Promise<void> {
    if (info.storage === 'file') {
      if (!(await this.fileIntact(info))) await this.files.write(info.sha256, bytes);
      return;
    }
    // The server hashes its own copy, so an intact blob is not sent again.
    const r = await this.db.query<{ intact: boolean }>(`SELECT encode(sha256(bytes), 'hex') = sha256 AS intact FROM blobs WHERE sha256 = $1`, [info.sha256]);
    if (r.rows[0]?.intact === false) await this.db.query('UPDATE blobs SET bytes = $2, size = $3 WHERE sha256 = $1', [info.sha256, bytes, bytes.byteLength]);
  }
}

export function defaultBlobStorage(backend: DatabaseBackend, env: NodeJS.ProcessEnv = process.env): BlobStorage {
  const v = env.KYSO_BLOB_STORAGE;
  if (v === 'db' || v === 'file') return v;
  return backend === 'pglite' ? 'file' : 'db';
}

/** The blob store for a database, with the defaults described above. */
export function openBlobStore(db: Database, opts: BlobStoreOptions = {}, env: NodeJS.ProcessEnv = process.env): BlobStore {
  const dir = opts.dir ?? env.KYSO_BLOB_DIR ?? DEFAULT_BLOB_DIR;
  return new BlobStore(db, opts.storage ?? defaultBlobStorage(db.backend, env), dir);
}
