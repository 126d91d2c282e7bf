// The certificate check that must pass before signing (Thông tư 15/2025 Art. 5(1)(a); Annex II 1.1, 1.2, 1.5):
// validity period, key usage, and revocation via OCSP (AIA) falling back to the CRL (CDP). When neither source
// answers, Annex II 1.2 asks for a warning; 'require' turns that into a refusal.
//
// Chain building to a trust anchor is not done here: the signer's chain is taken as given (it comes from the
// user's own key store) and only used to find the issuer for OCSP/CRL.

import type { Certificate } from 'pkijs';
import { KysoError, type ErrorCode } from '../errors.ts';
import {
  caIssuersUrls,
  certificateDer,
  crlUrls,
  isIssuedBy,
  isSelfSigned,
  keyUsage,
  ocspUrls,
  parseCertificate,
  validity,
  type CertificateInput,
} from './certificate.ts';
import { checkCrl, fetchCrl, type CrlCheckResult } from './crl-client.ts';
import { checkOcsp, type OcspResult } from './ocsp-client.ts';
import { fetchPki, type PkiNetworkOptions } from './pki-http.ts';
import { REVOCATION_REASON_VI, type RevocationReason } from './revocation.ts';

export type RevocationMode = 'require' | 'prefer' | 'off';

export interface CertProblem {
  code: ErrorCode;
  vi: string;
  en: string;
}

export interface SigningCertificateRef {
  certificate: CertificateInput;
  /** Issuing chain, nearest first (Signer.chain). Used to find the issuer; caIssuers (AIA) fills a gap. */
  chain?: readonly CertificateInput[];
}

export interface CertStatusOptions {
  /** Time of the intended signature; default now. */
  at?: Date;
  network?: PkiNetworkOptions;
  revocation: RevocationMode;
}

export interface RevocationSummary {
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  source?: 'ocsp' | 'crl';
  revocationTime?: Date;
  revocationReason?: RevocationReason;
}

export interface CertStatusResult {
  /** True when nothing blocks signing. Warnings do not block. */
  ok: boolean;
  /** Blocking problems, most important first. */
  problems: CertProblem[];
  /** Non-blocking notices (e.g. revocation status unknown in 'prefer' mode). */
  warnings: CertProblem[];
  revocation: RevocationSummary;
  /** The OCSP answer used, to store as validation data (TT 15 Art. 5(4)). */
  ocsp?: OcspResult;
  /** The CRL used (when OCSP did not decide), likewise. */
  crl?: CrlCheckResult;
  /** DER of the issuer certificate that was used. */
  issuer?: Uint8Array;
}

/** dd/mm/yyyy hh:mm in Vietnam time, as users read dates on documents. */
function viDate(d: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = (t: Intl.DateTimeFormatPartTypes): string => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('day')}/${p('month')}/${p('year')} ${p('hour')}:${p('minute')} (giờ Việt Nam)`;
}

const enDate = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function validityProblems(cert: Certificate, at: Date): CertProblem[] {
  const v = validity(cert);
  if (at.getTime() > v.notAfter.getTime()) {
    return [{ code: 'CERT_EXPIRED', vi: `Chứng thư số đã hết hiệu lực từ ${viDate(v.notAfter)}`, en: `The certificate expired on ${enDate(v.notAfter)}` }];
  }
  if (at.getTime() < v.notBefore.getTime()) {
    return [
      {
        code: 'CERT_NOT_YET_VALID',
        vi: `Chứng thư số chưa có hiệu lực (hiệu lực từ ${viDate(v.notBefore)})`,
        en: `The certificate is not valid before ${enDate(v.notBefore)}`,
      },
    ];
  }
  return [];
}

function keyUsageProblems(cert: Certificate): CertProblem[] {
  const ku = keyUsage(cert);
  // No keyUsage extension means the key is unrestricted (RFC 5280 §4.2.1.3).
  if (!ku || ku.digitalSignature || ku.nonRepudiation) return [];
  return [
    {
      code: 'CERT_KEY_USAGE',
      vi: 'Chứng thư số không được phép dùng để ký số (Key Usage thiếu digitalSignature và nonRepudiation)',
      en: 'The certificate key usage does not allow signing (neither digitalSignature nor nonRepudiation)',
    },
  ];
}

/** The issuer from the chain, else fetched from the certificate's caIssuers URL. */
async function findIssuer(cert: Certificate, chain: readonly CertificateInput[], network: PkiNetworkOptions | undefined): Promise<Certificate | undefined> {
  for (const c of chain) {
    const parsed = parseCertificate(c);
    if (isIssuedBy(cert, parsed)) return parsed;
  }
  for (const url of caIssuersUrls(cert)) {
    try {
      const res = await fetchPki(url, { method: 'GET', accept: 'application/pkix-cert' }, network);
      const candidate = parseCertificate(res.body);
      if (isIssuedBy(cert, candidate)) return candidate;
    } catch {
      // Try the next URL; an unreachable caIssuers only means we cannot check revocation.
    }
  }
  return undefined;
}

function describe(e: unknown): string {
  return e instanceof KysoError ? e.en : e instanceof Error ? e.message : String(e);
}

function revokedProblem(time: Date, reason: RevocationReason | undefined, source: 'ocsp' | 'crl'): CertProblem {
  const via = source === 'ocsp' ? 'OCSP' : 'CRL';
  return {
    code: 'CERT_REVOKED',
    vi: `Chứng thư số đã bị thu hồi lúc ${viDate(time)}${reason ? ` (lý do: ${REVOCATION_REASON_VI[reason]})` : ''} — theo ${via}`,
    en: `The certificate was revoked on ${enDate(time)}${reason ? ` (reason: ${reason})` : ''} — according to ${via}`,
  };
}

// A signer's certificate is the same read-only array for every signature it makes (a seal signs every receipt):
// decode it once. Keyed weakly by that array; a certificate given as text is parsed each time.
const signerCertificates = new WeakMap<Uint8Array, ReturnType<typeof parseCertificate>>();

function signerCertificate(c: SigningCertificateRef['certificate']): ReturnType<typeof parseCertificate> {
  if (!(c instanceof Uint8Array)) return parseCertificate(c);
  let parsed = signerCertificates.get(c);
  if (!parsed) {
    parsed = parseCertificate(c);
    signerCertificates.set(c, parsed);
  }
  return parsed;
}

/** Checks the signing certificate and returns every finding; never throws for certificate problems. */
export async function checkSigningCertificate(ref: SigningCertificateRef, opts: CertStatusOptions): Promise<CertStatusResult> {
  const at = opts.at ?? new Date();
  const cert = signerCertificate(ref.certificate);
  const problems = [...validityProblems(cert, at), ...keyUsageProblems(cert)];
  const warnings: CertProblem[] = [];
  const result = (revocation: RevocationSummary, extra: Partial<CertStatusResult> = {}): CertStatusResult => ({
    ok: problems.length === 0,
    problems,
    warnings,
    revocation,
    ...extra,
  });

  // An expired or unusable certificate is refused anyway: do not spend network round-trips on it.
  if (opts.revocation === 'off' || problems.length > 0 || isSelfSigned(cert)) return result({ status: 'not-checked' });

  const network = opts.network;
  const issuer = await findIssuer(cert, ref.chain ?? [], network);
  const failures: string[] = [];
  let ocsp: OcspResult | undefined;
  let crl: CrlCheckResult | undefined;
  let decided: RevocationSummary | undefined;

  if (!issuer) failures.push('issuer certificate not found (chain or caIssuers)');
  else {
    if (ocspUrls(cert).length > 0) {
      try {
        ocsp = await checkOcsp(cert, issuer, { ...network, now: at });
        if (ocsp.status === 'unknown') failures.push('OCSP responder does not know the certificate');
        else decided = { status: ocsp.status, source: 'ocsp', ...revocationDetails(ocsp) };
      } catch (e) {
        failures.push(`OCSP: ${describe(e)}`);
      }
    } else failures.push('no OCSP URL');

    if (!decided) {
      for (const url of crlUrls(cert)) {
        try {
          const info = await fetchCrl(url, issuer, { ...network, now: at });
          crl = checkCrl(cert, info.der, issuer, { at });
          decided = { status: crl.status, source: 'crl', ...revocationDetails(crl) };
          break;
        } catch (e) {
          failures.push(`CRL ${url}: ${describe(e)}`);
        }
      }
      if (crlUrls(cert).length === 0) failures.push('no CRL distribution point');
    }
  }

  const extra = { ...(ocsp ? { ocsp } : {}), ...(crl ? { crl } : {}), ...(issuer ? { issuer: certificateDer(issuer) } : {}) };
  if (decided?.status === 'revoked' && decided.revocationTime) {
    // Revoked after the time of interest means it was still valid then (only relevant when `at` is in the past).
    if (decided.revocationTime.getTime() <= at.getTime()) problems.push(revokedProblem(decided.revocationTime, decided.revocationReason, decided.source!));
    return result(decided, extra);
  }
  if (decided) return result(decided, extra);

  const unknown: CertProblem = {
    code: 'CERT_STATUS_UNKNOWN',
    vi: 'Không xác định được tình trạng thu hồi của chứng thư số (không truy cập được OCSP và CRL)',
    en: `Could not determine the certificate revocation status (${failures.join('; ')})`,
  };
  (opts.revocation === 'require' ? problems : warnings).push(unknown);
  return result({ status: 'unknown' }, extra);
}

function revocationDetails(r: { revocationTime?: Date; revocationReason?: RevocationReason }): Partial<RevocationSummary> {
  return { ...(r.revocationTime ? { revocationTime: r.revocationTime } : {}), ...(r.revocationReason ? { revocationReason: r.revocationReason } : {}) };
}

/** Like checkSigningCertificate, but throws the first blocking problem as a KysoError with its code. */
export async function assertSigningCertificate(ref: SigningCertificateRef, opts: CertStatusOptions): Promise<CertStatusResult> {
  const result = await checkSigningCertificate(ref, opts);
  const first = result.problems[0];
  if (first) throw new KysoError(first.code, first.vi, first.en);
  return result;
}
