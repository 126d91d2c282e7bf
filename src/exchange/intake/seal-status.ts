// The revocation status of the seals the service signs receipts with, checked once and then remembered while
// the answer is current — the way validation treats OCSP/CRL answers (verify/revocation-validator.ts).
//
// Why: signXmlDocument asks OCSP about the signing certificate before every signature. For the 01 receipt of
// every package that is one OCSP round trip plus the response's verification on the critical path of each
// receipt — measured as the largest single cost of POST /api/v1/messages (bench/exchange.ts). The seal's status
// does not change per receipt; a revocation is noticed at the latest when the cached answer expires
// (its nextUpdate, and never later than MAX_AGE_MS after it was fetched).
//
// What is not cached: a revoked or expired certificate (the error is thrown again on every call, as before), an
// answer without a decision ('unknown': OCSP and CRL unreachable — the next receipt asks again), and the
// validity period and key usage, which the signing code checks locally on every signature.
import { KysoError } from '../../errors.ts';
import { checkSigningCertificate } from '../../pki/cert-status.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { Signer } from '../../pki/signer.ts';

/** Longest time a good answer is reused, whatever its nextUpdate says. */
export const MAX_AGE_MS = 5 * 60_000;

interface Known {
  /** Epoch ms until which the seal counts as checked. */
  until: number;
}

const known = new WeakMap<Signer, Known>();
const inFlight = new WeakMap<Signer, Promise<void>>();

async function check(signer: Signer, at: Date, network: PkiNetworkOptions | undefined): Promise<void> {
  const status = await checkSigningCertificate({ certificate: signer.certificate, chain: signer.chain }, { at, network, revocation: 'prefer' });
  if (!status.ok) {
    const p = status.problems[0]!;
    throw new KysoError(p.code, p.vi, p.en);
  }
  if (status.revocation.status !== 'good') return; // unknown: ask again next time
  const nextUpdate = status.ocsp?.nextUpdate ?? status.crl?.nextUpdate;
  const now = Date.now();
  known.set(signer, { until: Math.min(now + MAX_AGE_MS, nextUpdate ? nextUpdate.getTime() : now + MAX_AGE_MS) });
}

/**
 * Resolves when the seal is known not to be revoked (from a current remembered answer, or a fresh check);
 * throws the typed error of a revoked or unusable certificate. Concurrent callers share one check.
 */
export async function ensureSealUsable(signer: Signer, opts: { at: Date; network?: PkiNetworkOptions }): Promise<void> {
  const k = known.get(signer);
  if (k && k.until > Date.now()) return;
  let p = inFlight.get(signer);
  if (!p) {
    p = check(signer, opts.at, opts.network).finally(() => inFlight.delete(signer));
    inFlight.set(signer, p);
  }
  await p;
}

/** Forgets every remembered answer for this seal (a key replaced or reported compromised). */
export function forgetSealStatus(signer: Signer): void {
  known.delete(signer);
}
