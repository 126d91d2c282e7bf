// Options every validator entry point takes (PDF, XML, packages), and the validation context derived from them.
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import type { ValidationContext } from './cms-validation.ts';
import type { ValidationPolicy } from './policy.ts';
import { TrustStore } from './trust-store.ts';

export interface VerifyOptions {
  trust?: TrustStore;
  policy?: ValidationPolicy;
  /** Validation time (default now). */
  at?: Date;
  /** Use only embedded validation data and caches. */
  offline?: boolean;
  network?: PkiNetworkOptions;
  /** File name, for the report. */
  name?: string;
}

export function validationContext(opts: VerifyOptions, policy: ValidationPolicy, at: Date): ValidationContext {
  return {
    trust: opts.trust ?? TrustStore.default(),
    at,
    offline: opts.offline,
    network: opts.network,
    // Never fetch anything when offline; otherwise as the policy says.
    fetchIssuers: policy.fetchIssuers && !opts.offline,
    algorithms: policy.algorithms,
  };
}
