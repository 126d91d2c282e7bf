// A pool of validation worker threads (POST /api/v1/verify through http/verify-pool.ts, and the exchange's
// receipt of packages through intake/package-verifier.ts). Why threads: validation is CPU work (parsing, hashing,
// RSA/ECDSA) that would otherwise run on the one event-loop thread, so (1) a pool uses every core, and (2) a
// request over its time limit or memory budget can really be stopped — the worker is terminated and replaced —
// where an in-thread validation could only be abandoned while it kept running. One validation per worker at a
// time; further requests wait in a queue (their time limit runs while they wait).
//
// Two kinds of task: `verify` (any PDF or XML: the report, for POST /api/v1/verify) and `verifyPackage` (an edXML
// package or status packet for the exchange's receipt: the report plus the package model read from the signed
// DOM, exactly what verifyXmlPackage returns in-thread — see intake/package-verifier.ts).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KysoError, type ErrorCode } from '../errors.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import type { VerifyOptions } from '../verify/pdf/pdf-validator.ts';
import type { ValidationPolicy } from '../verify/policy.ts';
import type { ValidationReport } from '../verify/report.ts';
import type { TrustStore } from '../verify/trust-store.ts';
import type { PackageVerification } from './edxml/verify-package.ts';
import type { WorkerSetup } from './verify-worker.ts';

export interface WorkerTask {
  id: number;
  /** 'document' (default): verifyDocument → report; 'package': verifyXmlPackage → PackageVerification. */
  kind?: 'document' | 'package';
  bytes: Uint8Array;
  /** Epoch ms. */
  at?: number;
  offline?: boolean;
  name?: string;
}

export type WorkerReply =
  | { ready: true }
  | { id: number; report: ValidationReport }
  | { id: number; verification: PackageVerification }
  | { id: number; kyso: { code: ErrorCode; vi: string; en: string } }
  | { id: number; failure: string };

export interface VerifyPoolOptions {
  /** Worker threads; default availableParallelism(). */
  size?: number;
  trust: TrustStore;
  policy: ValidationPolicy;
  network?: PkiNetworkOptions;
  /** V8 old-generation limit per worker (MiB); default env KYSO_WORKER_MEMORY_MB, else 1024. */
  memoryMb?: number;
  log?: (line: string) => void;
  /** The error a task gets when its worker ran out of memory (the HTTP API answers a problem document). */
  outOfMemory?: () => Error;
}

interface Pending {
  task: WorkerTask;
  resolve: (r: never) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current?: Pending;
}

const ENTRY = new URL('./verify-worker-entry.mjs', import.meta.url);

const tooBig = (): Error =>
  new KysoError(
    'PACKAGE_REJECTED',
    'Tệp cần quá nhiều bộ nhớ để kiểm tra (có thể là tệp độc hại, ví dụ "bom nén"); việc kiểm tra đã bị dừng.',
    'The file needs too much memory to validate (possibly malicious, e.g. a decompression bomb); validation was stopped.',
  );

export class VerifyPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly setup: WorkerSetup;
  private readonly memoryMb: number;
  private readonly log: (line: string) => void;
  private readonly outOfMemory: () => Error;
  private nextId = 1;
  private closed = false;
  private startFailures = 0;
  private broken: Error | undefined;

  constructor(opts: VerifyPoolOptions) {
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    this.memoryMb = opts.memoryMb ?? (Number(process.env.KYSO_WORKER_MEMORY_MB) || 1024);
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.outOfMemory = opts.outOfMemory ?? tooBig;
    this.setup = { anchors: [...opts.trust.anchors], trustMode: opts.trust.mode, policy: opts.policy, network: opts.network };
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /** Resolves once every worker has loaded its modules (optional: tasks queue until a worker is ready). */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.slots.every((s) => s.ready)) {
      if (this.broken) throw this.broken;
      if (this.closed) throw new Error('pool closed');
      if (Date.now() > deadline) throw new Error('validation workers did not start in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private spawn(): Slot {
    const worker = new Worker(ENTRY, {
      workerData: this.setup,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, ready: false };
    worker.on('message', (m: WorkerReply) => this.onMessage(slot, m));
    worker.on('error', (e: Error & { code?: string }) => this.onDeath(slot, e));
    worker.on('exit', (code) => this.onDeath(slot, new Error(`validation worker exited with code ${code}`)));
    if (!this.queue.length && !this.slots.some((s) => s.current)) worker.unref();
    return slot;
  }

  private onMessage(slot: Slot, m: WorkerReply): void {
    if ('ready' in m) {
      slot.ready = true;
      this.startFailures = 0;
      this.dispatch();
      return;
    }
    const p = slot.current;
    if (!p || p.task.id !== m.id) return;
    this.finish(slot);
    if ('report' in m) (p.resolve as (r: ValidationReport) => void)(m.report);
    else if ('verification' in m) (p.resolve as (r: PackageVerification) => void)(m.verification);
    else if ('kyso' in m) p.reject(new KysoError(m.kyso.code, m.kyso.vi, m.kyso.en));
    else p.reject(new Error(`validation worker: ${m.failure}`));
    this.dispatch();
  }

  /** A worker died (out of memory, crash, or terminated by us): fail its task, start a replacement. */
  private onDeath(slot: Slot, e: Error & { code?: string }): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // already replaced (error and exit both fire)
    const p = slot.current;
    if (p) {
      this.finish(slot);
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') p.reject(this.outOfMemory());
      else p.reject(e);
    }
    if (this.closed) {
      this.slots.splice(i, 1);
      return;
    }
    void slot.worker.terminate().catch(() => {});
    // A worker that dies before it is ready will die again: stop after a few, fail what waits, keep the slot dead.
    if (!slot.ready && ++this.startFailures >= 3) {
      this.log(`kyso http: validation workers cannot start: ${e.code ?? ''} ${e.stack ?? e.message}`);
      this.slots.splice(i, 1);
      if (this.slots.length === 0) this.broken = e;
      if (this.broken) for (const q of this.queue.splice(0)) q.reject(e);
      return;
    }
    this.log(`kyso http: validation worker replaced after: ${e.code ?? ''} ${e.message}`);
    this.slots[i] = this.spawn();
    this.dispatch();
  }

  private finish(slot: Slot): void {
    const p = slot.current;
    slot.current = undefined;
    if (p?.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
  }

  private dispatch(): void {
    this.assign();
    this.updateRefs();
  }

  private assign(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.current) continue;
      const p = this.queue.shift()!;
      slot.current = p;
      slot.worker.postMessage(p.task);
    }
  }

  /** Workers keep the process alive while there is work (running or queued), not when idle. */
  private updateRefs(): void {
    const busy = this.queue.length > 0 || this.slots.some((s) => s.current);
    for (const s of this.slots) {
      if (busy) s.worker.ref();
      else s.worker.unref();
    }
  }

  /** Validates in a worker. Aborting `signal` drops a queued task, or terminates the worker running it. */
  verify(bytes: Uint8Array, opts: Pick<VerifyOptions, 'at' | 'offline' | 'name'> = {}, signal?: AbortSignal): Promise<ValidationReport> {
    return this.run<ValidationReport>('document', bytes, opts, signal);
  }

  /** verifyXmlPackage in a worker: the report and the model read from the signed DOM (package or status packet). */
  verifyPackage(bytes: Uint8Array, opts: Pick<VerifyOptions, 'at' | 'offline' | 'name'> = {}, signal?: AbortSignal): Promise<PackageVerification> {
    return this.run<PackageVerification>('package', bytes, opts, signal);
  }

  private run<T>(kind: 'document' | 'package', bytes: Uint8Array, opts: Pick<VerifyOptions, 'at' | 'offline' | 'name'>, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('validation pool closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const task: WorkerTask = { id: this.nextId++, ...(kind === 'package' ? { kind } : {}), bytes, at: opts.at?.getTime(), offline: opts.offline, name: opts.name };
      const p: Pending = { task, resolve: resolve as (r: never) => void, reject, signal };
      if (signal) {
        p.onAbort = () => {
          const q = this.queue.indexOf(p);
          if (q >= 0) {
            this.queue.splice(q, 1);
            reject(signal.reason);
            this.updateRefs();
            return;
          }
          const slot = this.slots.find((s) => s.current === p);
          if (!slot) return;
          this.finish(slot);
          reject(signal.reason);
          // The only way to stop a validation in progress: replace its thread.
          const i = this.slots.indexOf(slot);
          this.slots[i] = this.spawn();
          void slot.worker.terminate().catch(() => {});
          this.dispatch();
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('validation pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate().catch(() => 0)));
  }
}
