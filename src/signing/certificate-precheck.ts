// Thông tư 15/2025 Art. 5(1)(a): signing software checks the signer's certificate before allowing a signature
// (expired, not yet valid, revoked → refused; status unknown → a warning, or refused when required).
// Shared by every format (PDF, XML).
import { KysoError } from '../errors.ts';
import { checkSigningCertificate } from '../pki/cert-status.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import type { Signer } from '../pki/signer.ts';

export interface Notice {
  code: string;
  vi: string;
  en: string;
}

export type RevocationCheckMode = 'require' | 'prefer' | 'off';

/** Throws the first problem as a KysoError; returns the warnings to show the user. */
export async function precheckSigner(signer: Signer, o: { at?: Date; network?: PkiNetworkOptions; revocation?: RevocationCheckMode }): Promise<Notice[]> {
  const status = await checkSigningCertificate(
    { certificate: signer.certificate, chain: signer.chain },
    { at: o.at ?? new Date(), network: o.network, revocation: o.revocation ?? 'prefer' },
  );
  if (!status.ok) {
    const p = status.problems[0];
    throw new KysoError(p.code, p.vi, p.en);
  }
  return status.warnings;
}
