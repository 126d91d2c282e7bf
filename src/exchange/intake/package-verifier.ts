// Where a received package is verified: in worker threads when the runtime set up a pool (runtime.ts; the thread
// that serves HTTP and talks to PostgreSQL and Redis then does no signature work), else in this thread. Either
// way it is verifyXmlPackage with the context's trust store, policy and network — the XML signature, every PDF
// attachment, the model read from the signed DOM — and the same result.
import { availableParallelism } from 'node:os';
import { VerifyPool } from '../verify-pool.ts';
import { defaultPolicy } from '../../verify/policy.ts';
import { TrustStore } from '../../verify/trust-store.ts';
import type { VerifyOptions } from '../../verify/verify-options.ts';
import type { PackageVerification } from '../edxml/verify-package.ts';
import { verifyXmlPackage } from '../edxml/verify-package.ts';
import type { ExchangeContext } from '../exchange-context.ts';

/** verifyXmlPackage somewhere else, with trust, policy and network fixed to the context's `verify`. */
export type PackageVerifier = (bytes: Uint8Array, opts: { at: Date; name: string }) => Promise<PackageVerification>;

/** An exchange context that may carry a package verifier (set by startExchangeRuntime). */
export type ContextWithVerifier = ExchangeContext & { verifyPackage?: PackageVerifier };

export function verifyReceivedPackage(ctx: ExchangeContext, bytes: Uint8Array, opts: { at: Date; name: string }): Promise<PackageVerification> {
  const elsewhere = (ctx as ContextWithVerifier).verifyPackage;
  return elsewhere ? elsewhere(bytes, opts) : verifyXmlPackage(bytes, { ...ctx.verify, ...opts });
}

/** A lazily started pool of verification threads (created by the first package, closed with the runtime). */
export interface PackageVerifierThreads {
  verifyPackage: PackageVerifier;
  close(): Promise<void>;
}

/**
 * Threads for verifyReceivedPackage: `threads` (default env KYSO_EXCHANGE_VERIFY_THREADS, else one per core);
 * undefined for 0 (verify in the calling thread). The pool (../verify-pool.ts, the one POST /api/v1/verify
 * uses too) starts on the first package, so a process that never receives one never starts threads.
 */
export function packageVerifierThreads(verify: VerifyOptions, threads?: number): PackageVerifierThreads | undefined {
  const fromEnv = process.env.KYSO_EXCHANGE_VERIFY_THREADS;
  const size = Math.floor(threads ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : availableParallelism()));
  if (!(size > 0)) return undefined;
  let pool: VerifyPool | undefined;
  let closed = false;
  const get = (): VerifyPool =>
    (pool ??= new VerifyPool({ size, trust: verify.trust ?? TrustStore.default(), policy: verify.policy ?? defaultPolicy(), ...(verify.network ? { network: verify.network } : {}) }));
  return {
    verifyPackage: async (bytes, opts) => {
      if (closed) throw new Error('package verification threads closed');
      return get().verifyPackage(bytes, { at: opts.at, name: opts.name, ...(verify.offline ? { offline: true } : {}) });
    },
    async close() {
      closed = true;
      if (pool) await pool.close();
    },
  };
}
