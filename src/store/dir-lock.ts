// An exclusive lock file beside PGlite's data directory. PGlite is PostgreSQL in one process with no
// postmaster: two processes opening the same directory would both write its files and corrupt it, and PGlite
// itself does not stop that. The lock holds the owner's PID; a lock left by a process that no longer exists
// (crash, kill -9) is taken over — including one that carries our own PID: in a container kyso restarts as
// the same PID (often 1), and a lock with our PID that this process does not hold is a previous life's.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { KysoError } from '../errors.ts';

/** Locks this process holds (absolute paths as given). */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx'); // O_CREAT|O_EXCL: atomic, exactly one process wins
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new KysoError('IO', `Không tạo được tệp khóa ${path}`, `Cannot create lock file ${path}`, { cause: e });
  }
}

/** Takes the lock or throws DB_UNAVAILABLE naming the process that holds it; returns the release function. */
export function acquireDirLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) {
      held.add(path);
      return () => {
        held.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // removed between our create and read: just retry
    }
    const ownerAlive = owner === process.pid ? held.has(path) : Number.isInteger(owner) && isAlive(owner);
    if (ownerAlive) {
      throw new KysoError(
        'DB_UNAVAILABLE',
        `Thư mục dữ liệu PGlite đang được tiến trình ${owner} sử dụng (${path}); PGlite chỉ cho một tiến trình — dùng DATABASE_URL để chạy nhiều tiến trình`,
        `The PGlite data directory is in use by process ${owner} (${path}); PGlite allows one process — set DATABASE_URL to run several`,
      );
    }
    try {
      unlinkSync(path); // stale: its owner is gone
    } catch {
      // another process took it over first; the next attempt decides
    }
  }
  throw new KysoError('DB_UNAVAILABLE', `Không lấy được khóa ${path}`, `Could not acquire the lock ${path}`);
}
