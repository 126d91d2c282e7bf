// Revocation status of every non-anchor certificate of a chain (TT 15/2025 Annex II 1.2; RFC 6960, RFC 5280):
// OCSP first, then the CRL; validation data embedded in the document first (matched to the certificate and
// verified like any other), then the network unless offline. Online answers are cached until their nextUpdate
// (LRU keyed by issuer and serial), embedded ones by content, so re-validating a document is cheap.
//
// assessRevocation turns the statuses into an ETSI outcome using the proof of existence (EN 319 102-1 §5.6.2.4):
// revoked before the POE → REVOKED; after → still valid; no POE → REVOKED_NO_POE (signer) or REVOKED_CA_NO_POE,
// except that a signer revoked before the time it claims to have signed is REVOKED outright.

import { createHash } from 'node:crypto';
import { isKysoError } from '../errors.ts';
import { crlOutline, nameKey, ocspProducedAt } from '../pki/cms/cms-parser.ts';
import { checkCrl, fetchCrl } from '../pki/crl-client.ts';
import { checkOcsp, verifyOcspResponse } from '../pki/ocsp-client.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { REVOCATION_REASON_VI, type RevocationReason } from '../pki/revocation.ts';
import { isoCached, type CertInfo } from './cert-info.ts';
import type { ChainElement } from './chain-builder.ts';
import type { Message, SubIndication } from './report.ts';

export interface RevocationData {
  source: 'ocsp' | 'crl';
  origin: 'embedded' | 'online';
  status: 'good' | 'revoked';
  revocationTime?: Date;
  revocationReason?: RevocationReason;
  /** When the answer was produced: OCSP producedAt, CRL thisUpdate. */
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** The OCSPResponse or CRL DER that decided. */
  der: Uint8Array;
  url?: string;
  /** Taken from the in-memory cache of online answers. */
  cached?: boolean;
}

export interface CertRevocation {
  cert: CertInfo;
  issuer: CertInfo;
  status: 'good' | 'revoked' | 'unknown';
  /** Set when the certificate is exempt from checking (OCSP responder with id-pkix-ocsp-nocheck). */
  exempt?: 'ocsp-nocheck';
  /** The data that decided. */
  used?: RevocationData;
  /** Embedded data that covers this certificate, whether or not it decided (B-LT). */
  embedded?: RevocationData;
  /** What went wrong on the way (unreachable responders, invalid embedded data…), English for logs. */
  failures: string[];
}

export interface RevocationCheckOptions {
  /** OCSP responses and CRLs from the document and the CMS. */
  embedded?: { ocspResponses: readonly Uint8Array[]; crls: readonly Uint8Array[] };
  offline?: boolean;
  network?: PkiNetworkOptions;
  /** The signature has a proof of existence (valid timestamp): embedded data issued after it is enough. */
  hasPoe?: boolean;
  /**
   * Data produced before this time is not fresh (REVOCATION_FRESHNESS): cached online answers older than it
   * are refreshed, and embedded ones do not stop an online check.
   */
  freshAfter?: Date;
}

const MAX_CACHE = 5000;
const onlineCache = new Map<string, RevocationData>();
const embeddedCache = new Map<string, RevocationData | string>();

/** Drops cached revocation answers (tests; an administrator forcing fresh checks). */
export function clearRevocationCache(): void {
  onlineCache.clear();
  embeddedCache.clear();
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_CACHE) map.delete(map.keys().next().value!);
}

const describe = (e: unknown): string => (isKysoError(e) ? e.en : e instanceof Error ? e.message : String(e));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64');
const wholeSeconds = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;

/** The fields every OCSP or CRL answer contributes, whichever way it was obtained. */
interface StatusAnswer {
  thisUpdate: Date;
  nextUpdate?: Date;
  revocationTime?: Date;
  revocationReason?: RevocationReason;
}

function revocationData(
  source: RevocationData['source'],
  origin: RevocationData['origin'],
  status: RevocationData['status'],
  a: StatusAnswer,
  producedAt: Date,
  der: Uint8Array,
  url?: string,
): RevocationData {
  return {
    source,
    origin,
    status,
    producedAt,
    thisUpdate: a.thisUpdate,
    der,
    ...(a.nextUpdate ? { nextUpdate: a.nextUpdate } : {}),
    ...(a.revocationTime ? { revocationTime: a.revocationTime } : {}),
    ...(a.revocationReason ? { revocationReason: a.revocationReason } : {}),
    ...(url ? { url } : {}),
  };
}

/** Data counts as fresh when produced at or after `after` (OCSP/CRL times have one-second resolution). */
export const isFresh = (data: RevocationData, after: Date | undefined): boolean => !after || data.producedAt.getTime() >= wholeSeconds(after);

function serialNeedle(cert: CertInfo): Buffer {
  return Buffer.from([0x02, cert.serial.length, ...cert.serial]);
}

/** Prefers a revocation, else the most recent answer. */
function better(a: RevocationData | undefined, b: RevocationData): RevocationData {
  if (!a) return b;
  if (a.status !== b.status) return a.status === 'revoked' ? a : b;
  return b.producedAt.getTime() > a.producedAt.getTime() ? b : a;
}

function embeddedOcsp(der: Uint8Array, cert: CertInfo, issuer: CertInfo, failures: string[]): RevocationData | undefined {
  const key = `o${sha(der)}:${cert.id}:${issuer.id}`;
  let v = embeddedCache.get(key);
  if (v === undefined) {
    const producedAt = ocspProducedAt(der);
    if (!producedAt) v = 'embedded OCSP response is not a successful basic response';
    else {
      try {
        // Checked as of its own production time: an archived response is evidence about that moment.
        const r = verifyOcspResponse(der, cert.cert, issuer.cert, { now: producedAt });
        v =
          r.status === 'unknown'
            ? 'embedded OCSP response says "unknown"'
            : revocationData('ocsp', 'embedded', r.status, r, r.producedAt, der);
      } catch (e) {
        v = `embedded OCSP response: ${describe(e)}`;
      }
    }
    remember(embeddedCache, key, v);
  }
  if (typeof v === 'string') {
    // "does not cover the certificate" is the normal case for another certificate's response.
    if (!v.includes('does not cover')) failures.push(v);
    return undefined;
  }
  return v;
}

function embeddedCrl(der: Uint8Array, cert: CertInfo, issuer: CertInfo, failures: string[]): RevocationData | undefined {
  const key = `c${sha(der)}:${cert.id}:${issuer.id}`;
  let v = embeddedCache.get(key);
  if (v === undefined) {
    const outline = crlOutline(der);
    if (!outline) v = 'embedded CRL is unreadable';
    else {
      try {
        const r = checkCrl(cert.cert, der, issuer.cert, { at: outline.thisUpdate });
        v = revocationData('crl', 'embedded', r.status, r, r.thisUpdate, der);
      } catch (e) {
        v = `embedded CRL: ${describe(e)}`;
      }
    }
    remember(embeddedCache, key, v);
  }
  if (typeof v === 'string') {
    failures.push(v);
    return undefined;
  }
  return v;
}

function fromEmbedded(cert: CertInfo, issuer: CertInfo, opts: RevocationCheckOptions, failures: string[]): RevocationData | undefined {
  const e = opts.embedded;
  if (!e) return undefined;
  let best: RevocationData | undefined;
  const needle = serialNeedle(cert);
  for (const der of e.ocspResponses) {
    if (Buffer.from(der.buffer, der.byteOffset, der.byteLength).indexOf(needle) < 0) continue; // not about this serial
    const r = embeddedOcsp(der, cert, issuer, failures);
    if (r) best = better(best, r);
  }
  if (best) return best;
  for (const der of e.crls) {
    const outline = crlOutline(der);
    if (!outline || nameKey(outline.issuer) !== issuer.subjectKey) continue; // another CA's CRL
    const r = embeddedCrl(der, cert, issuer, failures);
    if (r) best = better(best, r);
  }
  return best;
}

async function fromNetwork(cert: CertInfo, issuer: CertInfo, opts: RevocationCheckOptions, failures: string[]): Promise<RevocationData | undefined> {
  const key = `${issuer.id}:${cert.serialHex}`;
  const now = new Date();
  const hit = onlineCache.get(key);
  if (hit && hit.nextUpdate && hit.nextUpdate.getTime() > now.getTime() && isFresh(hit, opts.freshAfter)) {
    remember(onlineCache, key, hit);
    return { ...hit, cached: true };
  }
  if (opts.offline) {
    failures.push('offline mode: OCSP and CRL not queried');
    return undefined;
  }
  let data: RevocationData | undefined;
  if (cert.ocspUrls.length === 0) failures.push('no OCSP URL in the certificate');
  else {
    try {
      const r = await checkOcsp(cert.cert, issuer.cert, { ...opts.network, now });
      if (r.status === 'unknown') failures.push('OCSP responder answered "unknown"');
      else {
        data = revocationData('ocsp', 'online', r.status, r, r.producedAt, r.responseDer, r.url);
      }
    } catch (e) {
      failures.push(`OCSP: ${describe(e)}`);
    }
  }
  if (!data) {
    if (cert.crlUrls.length === 0) failures.push('no CRL distribution point in the certificate');
    for (const url of cert.crlUrls) {
      try {
        const info = await fetchCrl(url, issuer.cert, { ...opts.network, now });
        const r = checkCrl(cert.cert, info.der, issuer.cert, { at: now });
        data = revocationData('crl', 'online', r.status, r, r.thisUpdate, info.der, info.url);
        break;
      } catch (e) {
        failures.push(`CRL ${url}: ${describe(e)}`);
      }
    }
  }
  if (data?.nextUpdate) remember(onlineCache, key, data);
  return data;
}

/** Status of one certificate issued by `issuer`. Never throws. */
export async function checkCertificateRevocation(cert: CertInfo, issuer: CertInfo, opts: RevocationCheckOptions = {}): Promise<CertRevocation> {
  const failures: string[] = [];
  if (cert.ocspNoCheck) return { cert, issuer, status: 'good', exempt: 'ocsp-nocheck', failures };
  const embedded = fromEmbedded(cert, issuer, opts, failures);
  let used: RevocationData | undefined;
  if (embedded && (embedded.status === 'revoked' || opts.offline || (opts.hasPoe && isFresh(embedded, opts.freshAfter)))) {
    used = embedded;
  } else {
    // No embedded answer, or one that cannot settle it on its own: without a proof of existence the signature
    // may be recent, so a current answer is worth more than an archived "good".
    used = (await fromNetwork(cert, issuer, opts, failures)) ?? embedded;
  }
  return {
    cert,
    issuer,
    status: used?.status ?? 'unknown',
    failures,
    ...(used ? { used } : {}),
    ...(embedded ? { embedded } : {}),
  };
}

/** Checks every certificate of the chain except the anchor (and a self-signed top), in parallel. */
export async function checkChainRevocation(chain: readonly ChainElement[], anchorIncluded: boolean, opts: RevocationCheckOptions = {}): Promise<CertRevocation[]> {
  const jobs: Promise<CertRevocation>[] = [];
  const end = anchorIncluded ? chain.length - 1 : chain.length;
  for (let i = 0; i < end; i++) {
    const issuer = chain[i + 1]?.cert;
    if (!issuer) break; // the top of an incomplete chain: no issuer to ask about it
    jobs.push(checkCertificateRevocation(chain[i]!.cert, issuer, opts));
  }
  return Promise.all(jobs);
}

// ---------------------------------------------------------------------------------------------------------------
// Assessment

export interface RevocationTimes {
  /** Proof of existence of the signature (timestamp genTime). */
  poe?: Date;
  /** The time the signer claims (PDF /M or signing-time attribute). */
  claimed?: Date;
  /** Validation time. */
  validation: Date;
}

export interface RevocationAssessment {
  status: 'PASSED' | 'FAILED';
  subIndication?: SubIndication;
  message: Message;
}

const SEVERITY: SubIndication[] = ['REVOKED', 'REVOKED_NO_POE', 'REVOKED_CA_NO_POE', 'TRY_LATER'];

const certName = (c: CertInfo): string => c.subjectFields.commonName ?? c.subject;
const via = (d: RevocationData | undefined): { vi: string; en: string } => {
  if (!d) return { vi: '', en: '' };
  const what = d.source === 'ocsp' ? 'OCSP' : 'CRL';
  return d.origin === 'embedded'
    ? { vi: `theo ${what} lưu trong tài liệu, phát hành ${isoCached(d.producedAt)}`, en: `per ${what} embedded in the document, produced ${isoCached(d.producedAt)}` }
    : { vi: `theo ${what} trực tuyến`, en: `per online ${what}` };
};

/** One certificate's outcome. `signer` = the signing certificate (index 0), else a CA of its chain. */
export function assessOne(r: CertRevocation, signer: boolean, t: RevocationTimes): RevocationAssessment {
  const name = certName(r.cert);
  if (r.status === 'unknown') {
    const offline = r.failures.some((f) => f.startsWith('offline'));
    const network = r.failures.some((f) => /^(OCSP|CRL)/.test(f));
    const why = offline
      ? 'đang ở chế độ ngoại tuyến và tài liệu không chứa dữ liệu OCSP/CRL dùng được'
      : network
        ? 'không truy cập được máy chủ OCSP và CRL, hoặc câu trả lời không hợp lệ'
        : 'chứng thư không có địa chỉ OCSP/CRL và tài liệu không chứa dữ liệu thu hồi';
    return {
      status: 'FAILED',
      subIndication: 'TRY_LATER',
      message: {
        vi: `Không xác định được tình trạng thu hồi của chứng thư "${name}" (${why}); chưa thể khẳng định chữ ký có hiệu lực, hãy kiểm tra lại sau`,
        en: `The revocation status of "${name}" could not be determined (${r.failures.join('; ') || 'no usable OCSP/CRL data'}); try again later`,
      },
    };
  }
  const v = via(r.used);
  if (r.status === 'good') {
    return {
      status: 'PASSED',
      message: r.exempt
        ? { vi: `Chứng thư "${name}" được miễn kiểm tra thu hồi (ocsp-nocheck)`, en: `"${name}" is exempt from revocation checking (ocsp-nocheck)` }
        : { vi: `Chứng thư "${name}" chưa bị thu hồi (${v.vi})`, en: `"${name}" is not revoked (${v.en})` },
    };
  }
  const rt = r.used!.revocationTime ?? t.validation;
  const reason = r.used!.revocationReason;
  const when = { vi: `bị thu hồi lúc ${isoCached(rt)}${reason ? ` (lý do: ${REVOCATION_REASON_VI[reason]})` : ''}`, en: `revoked at ${isoCached(rt)}${reason ? ` (reason: ${reason})` : ''}` };
  if (t.poe && rt.getTime() > t.poe.getTime()) {
    return {
      status: 'PASSED',
      message: {
        vi: `Chứng thư "${name}" ${when.vi}, sau thời điểm ký đã được chứng minh bằng dấu thời gian (${isoCached(t.poe)}): chữ ký vẫn có hiệu lực`,
        en: `"${name}" was ${when.en}, after the proven signing time ${isoCached(t.poe)}: the signature stays valid`,
      },
    };
  }
  if (!t.poe && rt.getTime() > t.validation.getTime()) {
    return {
      status: 'PASSED',
      message: { vi: `Chứng thư "${name}" chưa bị thu hồi tại thời điểm kiểm tra (${when.vi})`, en: `"${name}" was not yet revoked at the validation time (${when.en})` },
    };
  }
  if (signer && (t.poe || (t.claimed && rt.getTime() < t.claimed.getTime()))) {
    return {
      status: 'FAILED',
      subIndication: 'REVOKED',
      message: {
        vi: `Chứng thư ký "${name}" ${when.vi}, trước thời điểm ký${t.poe ? '' : ' do chính người ký khai'} — chữ ký không hợp lệ (${v.vi})`,
        en: `The signing certificate "${name}" was ${when.en}, before the ${t.poe ? 'proven' : 'claimed'} signing time — the signature is invalid (${v.en})`,
      },
    };
  }
  return {
    status: 'FAILED',
    subIndication: signer ? 'REVOKED_NO_POE' : 'REVOKED_CA_NO_POE',
    message: {
      vi: `Chứng thư ${signer ? 'ký' : 'CA'} "${name}" ${when.vi}; không có dấu thời gian chứng minh chữ ký được tạo trước thời điểm thu hồi (${v.vi})`,
      en: `The ${signer ? 'signing' : 'CA'} certificate "${name}" was ${when.en}; no timestamp proves the signature existed before the revocation (${v.en})`,
    },
  };
}

/** The chain's outcome: the most severe certificate outcome, all messages joined. */
export function assessRevocation(results: readonly CertRevocation[], t: RevocationTimes): RevocationAssessment {
  const each = results.map((r, i) => assessOne(r, i === 0, t));
  const failed = each.filter((a) => a.status === 'FAILED').sort((a, b) => SEVERITY.indexOf(a.subIndication!) - SEVERITY.indexOf(b.subIndication!));
  const shown = failed.length ? failed : each;
  const message = { vi: shown.map((a) => a.message.vi).join('; '), en: shown.map((a) => a.message.en).join('; ') };
  return failed.length ? { status: 'FAILED', subIndication: failed[0]!.subIndication!, message } : { status: 'PASSED', message };
}
