// Certification path building (RFC 5280 §6, RFC 4158 in small): from the signing certificate up to a trust
// anchor, using the certificates in the CMS, those in the document's validation data and, online and when the
// policy allows it, the AIA caIssuers URLs. Each link's signature is verified natively; CA certificates must be
// CAs (basicConstraints, keyCertSign, pathLenConstraint). Validity in time is a separate question
// (validityProblems), because the time that matters depends on the proof of existence.

import { KysoError } from '../errors.ts';
import { pemBlocks } from '../pki/certificate.ts';
import { certificatesOfSignedData } from '../pki/cms/cms-parser.ts';
import { fetchPki, type PkiNetworkOptions } from '../pki/pki-http.ts';
import { tryCertInfo, signatureVerifiesWith, type CertInfo } from './cert-info.ts';
import type { Message } from './report.ts';
import type { TrustStore } from './trust-store.ts';

/** Where a certificate of the chain came from. 'signature' and 'document' count as embedded (B-LT). */
export type CertSource = 'signature' | 'document' | 'trust-store' | 'aia';

export interface ChainElement {
  cert: CertInfo;
  source: CertSource;
}

export interface ChainProblem {
  /** Position in the chain (0 = signing certificate). */
  index: number;
  message: Message;
}

export interface ChainResult {
  /** A path to a trust anchor was found. */
  found: boolean;
  /** Leaf first; when found, the anchor last. When not found, the longest path that could be built. */
  chain: ChainElement[];
  /** Constraint violations on the found path (CA flag, keyCertSign, path length). */
  problems: ChainProblem[];
  /** Why no path was found. */
  reason?: Message;
  /** caIssuers downloads made. */
  fetched: number;
}

/** Candidate issuers: the CMS's certificates and the document's (PDF /DSS) ones. */
export class CertificatePool {
  private readonly bySubject = new Map<string, ChainElement[]>();
  private readonly ids = new Set<string>();

  add(der: Uint8Array, source: CertSource): CertInfo | undefined {
    const cert = tryCertInfo(der);
    if (!cert) return undefined; // an unreadable certificate is simply not a candidate
    if (this.ids.has(cert.id)) return cert;
    this.ids.add(cert.id);
    const list = this.bySubject.get(cert.subjectKey) ?? [];
    list.push({ cert, source });
    this.bySubject.set(cert.subjectKey, list);
    return cert;
  }

  addAll(ders: readonly Uint8Array[], source: CertSource): this {
    for (const d of ders) this.add(d, source);
    return this;
  }

  /** Certificates named as `cert`'s issuer (key identifiers must agree when both are present). */
  issuersOf(cert: CertInfo): ChainElement[] {
    const list = this.bySubject.get(cert.issuerKey) ?? [];
    const aki = cert.authorityKeyIdentifier;
    return list.filter(({ cert: c }) => {
      if (c.id === cert.id) return false;
      const ski = aki ? c.subjectKeyIdentifier : undefined;
      return !aki || !ski || Buffer.from(ski).equals(Buffer.from(aki));
    });
  }

  /** Every certificate in the pool. */
  all(): ChainElement[] {
    return [...this.bySubject.values()].flat();
  }
}

export interface ChainBuildOptions {
  trust: TrustStore;
  pool: CertificatePool;
  /** Download missing issuers from caIssuers URLs. Ignored when offline. */
  fetchIssuers?: boolean;
  offline?: boolean;
  network?: PkiNetworkOptions;
  /** Longest path considered (certificates including leaf and anchor); default 10. */
  maxLength?: number;
  /** caIssuers downloads allowed per build; default 4. */
  maxFetches?: number;
}

// caIssuers answers, by URL, for an hour: CA certificates do not change and a server validates many documents.
const AIA_TTL_MS = 3_600_000;
const AIA_MAX_BYTES = 1024 * 1024;
const aiaCache = new Map<string, { at: number; ders: Uint8Array[] }>();

/** Drops cached caIssuers downloads (tests). */
export function clearIssuerDownloadCache(): void {
  aiaCache.clear();
}

function certificatesFromBody(body: Uint8Array): Uint8Array[] {
  const head = Buffer.from(body.subarray(0, 64)).toString('latin1');
  if (head.includes('-----BEGIN')) return pemBlocks(Buffer.from(body).toString('latin1'));
  if (tryCertInfo(body)) return [body];
  try {
    return certificatesOfSignedData(body); // .p7c certs-only bundle
  } catch {
    return [];
  }
}

async function downloadIssuers(url: string, network: PkiNetworkOptions | undefined): Promise<Uint8Array[]> {
  const hit = aiaCache.get(url);
  if (hit && Date.now() - hit.at < AIA_TTL_MS) return hit.ders;
  const res = await fetchPki(url, { method: 'GET', accept: 'application/pkix-cert, application/pkcs7-mime' }, network);
  if (res.body.byteLength > AIA_MAX_BYTES) throw new KysoError('NETWORK', `Phản hồi caIssuers quá lớn: ${url}`, `caIssuers response too large: ${url}`);
  const ders = certificatesFromBody(res.body).slice(0, 16);
  aiaCache.set(url, { at: Date.now(), ders });
  if (aiaCache.size > 256) aiaCache.delete(aiaCache.keys().next().value!);
  return ders;
}

/** CA constraints along a path (RFC 5280 §6.1.4 (k)-(n)); the anchor is trusted by configuration and exempt. */
export function chainConstraintProblems(chain: readonly ChainElement[], anchorIncluded: boolean): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const last = anchorIncluded ? chain.length - 1 : chain.length;
  for (let i = 1; i < last; i++) {
    const c = chain[i]!.cert;
    const name = c.subjectFields.commonName ?? c.subject;
    const bc = c.basicConstraints;
    if (!bc?.ca) {
      problems.push({
        index: i,
        message: {
          vi: `Chứng thư "${name}" cấp chứng thư khác nhưng không phải chứng thư CA (basicConstraints)`,
          en: `"${name}" issued a certificate but is not a CA certificate (basicConstraints)`,
        },
      });
      continue;
    }
    const ku = c.keyUsage;
    if (ku && !ku.keyCertSign) {
      problems.push({
        index: i,
        message: { vi: `Chứng thư CA "${name}" không được phép ký chứng thư (keyCertSign)`, en: `CA certificate "${name}" lacks keyCertSign` },
      });
    }
    // Intermediate CAs below this one that are not self-issued.
    let below = 0;
    for (let k = 1; k < i; k++) if (!chain[k]!.cert.selfIssued) below++;
    if (bc.pathLen !== undefined && below > bc.pathLen) {
      problems.push({
        index: i,
        message: {
          vi: `Chuỗi chứng thư dài hơn giới hạn pathLen=${bc.pathLen} của "${name}"`,
          en: `The path exceeds the pathLen=${bc.pathLen} constraint of "${name}"`,
        },
      });
    }
  }
  return problems;
}

/** Builds a path from `leaf` to an anchor of the trust store. Never throws for certificate problems. */
export async function buildChain(leaf: CertInfo, opts: ChainBuildOptions): Promise<ChainResult> {
  const maxLength = opts.maxLength ?? 10;
  const canFetch = opts.fetchIssuers === true && opts.offline !== true;
  let fetchesLeft = opts.maxFetches ?? 4;
  let fetched = 0;
  const triedUrls = new Set<string>();
  let longest: ChainElement[] = [{ cert: leaf, source: 'signature' }];
  let withProblems: { chain: ChainElement[]; problems: ChainProblem[] } | undefined;
  let brokenLink: CertInfo | undefined;

  const candidatesFor = async (c: CertInfo, phase: 'local' | 'aia'): Promise<ChainElement[]> => {
    if (phase === 'local') {
      const anchors = opts.trust.findIssuers(c).map((cert): ChainElement => ({ cert, source: 'trust-store' }));
      return [...anchors, ...opts.pool.issuersOf(c)];
    }
    const out: ChainElement[] = [];
    for (const url of c.caIssuersUrls) {
      if (fetchesLeft <= 0 || triedUrls.has(url)) continue;
      triedUrls.add(url);
      fetchesLeft--;
      try {
        const ders = await downloadIssuers(url, opts.network);
        fetched++;
        for (const d of ders) {
          const cert = tryCertInfo(d);
          if (cert && cert.subjectKey === c.issuerKey && cert.id !== c.id) out.push({ cert, source: 'aia' });
        }
      } catch {
        // An unreachable caIssuers URL only means this path cannot be completed from there.
      }
    }
    return out;
  };

  // Depth-first; returns a clean path to an anchor, remembering the first path with constraint problems.
  const extend = async (path: ChainElement[]): Promise<ChainElement[] | undefined> => {
    const last = path[path.length - 1]!.cert;
    if (opts.trust.isAnchor(last)) {
      const problems = chainConstraintProblems(path, true);
      if (problems.length === 0) return path;
      withProblems ??= { chain: path, problems };
      return undefined;
    }
    if (path.length > longest.length) longest = path;
    if (path.length >= maxLength) return undefined;
    for (const phase of ['local', 'aia'] as const) {
      if (phase === 'aia' && !canFetch) break;
      for (const cand of await candidatesFor(last, phase)) {
        if (path.some((e) => e.cert.id === cand.cert.id)) continue; // loop
        if (!signatureVerifiesWith(last, cand.cert)) {
          brokenLink ??= last;
          continue;
        }
        const found = await extend([...path, cand]);
        if (found) return found;
      }
      if (withProblems) break; // an anchor was reached locally; no need to download more
    }
    return undefined;
  };

  const clean = await extend([{ cert: leaf, source: 'signature' }]);
  if (clean) return { found: true, chain: clean, problems: [], fetched };
  if (withProblems) return { found: true, chain: withProblems.chain, problems: withProblems.problems, fetched };

  const top = longest[longest.length - 1]!.cert;
  const topName = top.subjectFields.commonName ?? top.subject;
  const issuerName = top.issuer;
  const reason: Message = brokenLink
    ? {
        vi: `Chữ ký trên chứng thư "${brokenLink.subjectFields.commonName ?? brokenLink.subject}" không được xác thực bởi khóa của tổ chức cấp`,
        en: `The signature on "${brokenLink.subjectFields.commonName ?? brokenLink.subject}" does not verify with its issuer's key`,
      }
    : top.selfIssued
      ? {
          vi: `Chứng thư gốc "${topName}" không nằm trong danh sách chứng thư tin cậy`,
          en: `The root certificate "${topName}" is not a trusted anchor`,
        }
      : {
          vi: `Không tìm thấy chứng thư của tổ chức cấp "${issuerName}" để dựng chuỗi đến chứng thư gốc tin cậy`,
          en: `The issuer certificate "${issuerName}" was not found; no path to a trusted root`,
        };
  return { found: false, chain: longest, problems: [], reason, fetched };
}

export interface ValidityProblem {
  index: number;
  cert: CertInfo;
  kind: 'expired' | 'not-yet-valid';
}

/** Certificates of the chain not valid at `at` (the anchor included only when asked). */
export function validityProblems(chain: readonly ChainElement[], at: Date, opts: { anchorIncluded?: boolean; checkAnchor?: boolean } = {}): ValidityProblem[] {
  const t = at.getTime();
  const end = opts.anchorIncluded && !opts.checkAnchor ? chain.length - 1 : chain.length;
  const out: ValidityProblem[] = [];
  for (let i = 0; i < end; i++) {
    const cert = chain[i]!.cert;
    if (t > cert.notAfter.getTime()) out.push({ index: i, cert, kind: 'expired' });
    else if (t < cert.notBefore.getTime()) out.push({ index: i, cert, kind: 'not-yet-valid' });
  }
  return out;
}
