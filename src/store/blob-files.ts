// Blob bytes as files named by their SHA-256: <root>/<first two hex digits>/<sha256>. Used where bytea is
// costly (PGlite: a 10 MB value takes seconds to pass through wasm; a file takes milliseconds).
//
// Writes are atomic and durable: the bytes go to <root>/tmp/<random>.tmp on the same filesystem, are fsync'ed,
// renamed onto the final name and the directory is fsync'ed — a crash leaves either no file or the whole file,
// never a torn one under a valid name. Two processes writing the same blob rename identical bytes onto the
// same name, which is harmless. Reading does not verify: the blob store hashes what it reads.
import { randomUUID } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KysoError } from '../errors.ts';

const ioError = (vi: string, en: string, cause: unknown) => new KysoError('IO', `Kho tệp: ${vi}`, `Blob files: ${en}`, { cause });
const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** A fully written, fsync'ed temporary file waiting to be published under its hash (or dropped). */
export interface PendingBlobFile {
  tempPath: string;
  commit(sha256: string): Promise<void>;
  discard(): Promise<void>;
}

export class BlobFiles {
  constructor(readonly root: string) {}

  /** The final path of a blob. `sha256` must already be validated (64 lowercase hex digits). */
  pathOf(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (e) {
      if (isMissing(e)) return false;
      throw ioError(`không đọc được thông tin tệp ${sha256}`, `cannot stat ${sha256}`, e);
    }
  }

  /** The bytes, or undefined when there is no file. */
  async read(sha256: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(`không đọc được tệp ${sha256}`, `cannot read ${sha256}`, e);
    }
  }

  /** A read stream, or undefined when there is no file (checked by opening it, so no race with a later open). */
  async openRead(sha256: string): Promise<ReadStream | undefined> {
    let handle;
    try {
      handle = await open(this.pathOf(sha256), 'r');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(`không mở được tệp ${sha256}`, `cannot open ${sha256}`, e);
    }
    return handle.createReadStream(); // owns the handle: closed at end or on destroy
  }

  /** Writes chunks to a temporary file, fsync'ed; `onChunk` sees every chunk (the caller hashes as it goes). */
  async writeTemp(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onChunk: (c: Uint8Array) => void = () => {}): Promise<PendingBlobFile> {
    const tmpDir = join(this.root, 'tmp');
    const tempPath = join(tmpDir, `${randomUUID()}.tmp`);
    try {
      await mkdir(tmpDir, { recursive: true });
      const fh = await open(tempPath, 'wx');
      try {
        for await (const chunk of chunks) {
          onChunk(chunk);
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      await rm(tempPath, { force: true });
      // A failing source (an aborted upload) keeps its own error; only file system failures are IO.
      if (typeof (e as NodeJS.ErrnoException).syscall !== 'string') throw e;
      throw ioError('không ghi được tệp tạm', 'cannot write the temporary file', e);
    }
    return {
      tempPath,
      commit: (sha256) => this.publish(tempPath, sha256),
      discard: () => rm(tempPath, { force: true }),
    };
  }

  /** Writes a whole blob under its (already computed) hash. */
  async write(sha256: string, bytes: Uint8Array): Promise<void> {
    const pending = await this.writeTemp([bytes]);
    await pending.commit(sha256);
  }

  private async publish(tempPath: string, sha256: string): Promise<void> {
    const dir = join(this.root, sha256.slice(0, 2));
    try {
      await mkdir(dir, { recursive: true });
      await rename(tempPath, this.pathOf(sha256));
      // The rename is durable only once the directory entry is: fsync the directory too.
      const dh = await open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (e) {
      await rm(tempPath, { force: true });
      throw ioError(`không lưu được tệp ${sha256}`, `cannot store ${sha256}`, e);
    }
  }
}
