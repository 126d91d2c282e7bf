// A bounded pool of PKCS#11 sessions. A session carries at most one active operation (C_SignInit … C_Sign), so
// each concurrent signature checks out a session of its own; callers beyond the bound wait in arrival order.
// Sessions are opened lazily and kept until close(): closing the last session of a token would log it out.
import type { Handle } from './pkcs11-module.ts';

interface Waiter {
  resolve(s: Handle): void;
  reject(e: unknown): void;
}

export class Pkcs11SessionPool {
  private readonly idle: Handle[] = [];
  private readonly open = new Set<Handle>();
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly openSession: () => Handle,
    private readonly closeSession: (s: Handle) => void,
    readonly size: number,
  ) {}

  /** Sessions currently open (idle or in use). */
  get openCount(): number {
    return this.open.size;
  }

  acquire(): Promise<Handle> {
    if (this.closed) return Promise.reject(new Error('session pool closed'));
    const s = this.idle.pop();
    if (s) return Promise.resolve(s);
    if (this.open.size < this.size) {
      try {
        return Promise.resolve(this.add());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Returns a healthy session after use. */
  release(s: Handle): void {
    if (!this.open.has(s)) return;
    const w = this.waiters.shift();
    if (w) w.resolve(s);
    else this.idle.push(s);
  }

  /** Drops a session that failed (closed by the token, device removed); a waiter gets a fresh one. */
  discard(s: Handle): void {
    if (!this.open.delete(s)) return;
    try {
      this.closeSession(s);
    } catch {
      /* already gone on the token side */
    }
    const w = this.waiters.shift();
    if (!w) return;
    try {
      w.resolve(this.add());
    } catch (e) {
      w.reject(e);
    }
  }

  /** Drops every idle session (e.g. after the token was re-inserted, all old handles are void). */
  discardIdle(): void {
    for (const s of this.idle.splice(0)) this.discard(s);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('session pool closed'));
    for (const s of this.open) {
      try {
        this.closeSession(s);
      } catch {
        /* best effort on shutdown */
      }
    }
    this.open.clear();
    this.idle.length = 0;
  }

  private add(): Handle {
    const s = this.openSession();
    this.open.add(s);
    return s;
  }
}
