// CRL download, verification and lookup (RFC 5280 §5, §6.3). Downloaded CRLs are cached in memory by URL
// until their nextUpdate, because CRLs are large and CAs publish them on a schedule anyway.

import * as asn1js from 'asn1js';
import { CertificateRevocationList, type Certificate } from 'pkijs';
import { KysoError } from '../errors.ts';
import { bufferSource } from '../util/bytes.ts';
import { parseCertificate, type CertificateInput } from './certificate.ts';
import { valueBytes, verifyNative } from './native-crypto.ts';
import { ExtensionOid } from './oids.ts';
import { fetchPki, rewriteUrl, type PkiNetworkOptions } from './pki-http.ts';
import { reasonFromCode, type RevocationReason } from './revocation.ts';

export interface CrlInfo {
  der: Uint8Array;
  crl: CertificateRevocationList;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** URL it was fetched from (after rewriting), when fetched. */
  url?: string;
}

export interface CrlCheckResult {
  status: 'good' | 'revoked';
  revocationTime?: Date;
  revocationReason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** The CRL DER, to store as validation data (TT 15/2025 Art. 5(4)). */
  crlDer: Uint8Array;
}

const CLOCK_SKEW_MS = 5 * 60_000;

/** Extensions we understand; an unknown critical one makes the CRL unusable (RFC 5280 §5.2). */
const KNOWN_CRL_EXTENSIONS = new Set<string>([ExtensionOid.authorityKeyIdentifier, ExtensionOid.crlNumber]);

function fail(vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('CRL_FAILED', `Kiểm tra CRL thất bại: ${vi}`, `CRL check failed: ${en}`, cause === undefined ? undefined : { cause });
}

/**
 * Parses a CRL and checks that `issuer` signed it (Node crypto) and that it has no critical extension we do
 * not understand (delta CRLs, partitioned CRLs). Freshness is the caller's business: see checkCrl.
 */
export function verifyCrl(crlDer: Uint8Array, issuer: CertificateInput): CrlInfo {
  const i = parseCertificate(issuer);
  let crl: CertificateRevocationList;
  try {
    crl = CertificateRevocationList.fromBER(bufferSource(crlDer));
  } catch (cause) {
    throw fail('CRL không đúng định dạng', 'malformed CRL', cause);
  }
  if (!crl.issuer.isEqual(i.subject)) throw fail('CRL không do CA cấp chứng thư phát hành', 'CRL was not issued by the certificate issuer');
  if (!verifyNative(i.subjectPublicKeyInfo, crl.signatureAlgorithm, crl.tbsView, valueBytes(crl.signatureValue))) {
    throw fail('chữ ký của CRL không hợp lệ', 'CRL signature is invalid');
  }
  const unknownCritical = crl.crlExtensions?.extensions.find((e) => e.critical && !KNOWN_CRL_EXTENSIONS.has(e.extnID));
  if (unknownCritical) throw fail(`CRL có phần mở rộng bắt buộc không hỗ trợ (${unknownCritical.extnID})`, `unsupported critical CRL extension ${unknownCritical.extnID}`);
  return {
    der: crlDer,
    crl,
    thisUpdate: crl.thisUpdate.value,
    ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.value } : {}),
  };
}

const cache = new Map<string, CrlInfo>();

/** Drops every cached CRL (tests; or an administrator forcing a refresh). */
export function clearCrlCache(): void {
  cache.clear();
}

export interface FetchCrlOptions extends PkiNetworkOptions {
  now?: Date;
  /** Use and fill the in-memory cache; default true. */
  cache?: boolean;
}

/** Downloads (or takes from cache) and verifies a CRL. Transport failures throw NETWORK, the rest CRL_FAILED. */
export async function fetchCrl(url: string, issuer: CertificateInput, opts: FetchCrlOptions = {}): Promise<CrlInfo> {
  const now = opts.now ?? new Date();
  // Keyed by the rewritten URL: the same certificate URL may point at different servers under different rewrites.
  const key = rewriteUrl(url, opts.rewrite);
  const cached = opts.cache === false ? undefined : cache.get(key);
  if (cached?.nextUpdate && cached.nextUpdate.getTime() > now.getTime()) {
    // Re-verify against this issuer: the cache is shared by every caller in the process.
    return { ...verifyCrl(cached.der, issuer), url: key };
  }
  const res = await fetchPki(url, { method: 'GET', accept: 'application/pkix-crl' }, opts);
  const body = maybePem(res.body);
  const info = { ...verifyCrl(body, issuer), url: res.url };
  if (opts.cache !== false) cache.set(key, info);
  return info;
}

/** Some CAs publish CRLs as PEM despite RFC 2585; accept both. */
function maybePem(body: Uint8Array): Uint8Array {
  const head = Buffer.from(body.subarray(0, 32)).toString('latin1');
  if (!head.startsWith('-----BEGIN')) return body;
  const b64 = Buffer.from(body).toString('latin1').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function entryReason(entry: NonNullable<CertificateRevocationList['revokedCertificates']>[number]): RevocationReason | undefined {
  const ext = entry.crlEntryExtensions?.extensions.find((e) => e.extnID === ExtensionOid.crlReason);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.Enumerated ? reasonFromCode(parsed.valueBlock.valueDec) : undefined;
}

/**
 * Looks `cert` up in a CRL after verifying it with `issuer`. A CRL past its nextUpdate (beyond a small clock
 * skew) at `at` proves nothing and is refused. certificateHold entries count as revoked: Decree 23 treats a
 * suspended certificate as not valid.
 */
export function checkCrl(cert: CertificateInput, crlDer: Uint8Array, issuer: CertificateInput, opts: { at?: Date } = {}): CrlCheckResult {
  const c: Certificate = parseCertificate(cert);
  const info = verifyCrl(crlDer, issuer);
  const at = opts.at ?? new Date();
  if (info.thisUpdate.getTime() > at.getTime() + CLOCK_SKEW_MS) throw fail('CRL phát hành sau thời điểm kiểm tra', 'CRL thisUpdate is after the check time');
  if (info.nextUpdate && info.nextUpdate.getTime() < at.getTime() - CLOCK_SKEW_MS) throw fail('CRL đã quá hạn (nextUpdate)', 'CRL is stale (past nextUpdate)');

  const base = { thisUpdate: info.thisUpdate, ...(info.nextUpdate ? { nextUpdate: info.nextUpdate } : {}), crlDer };
  const entry = info.crl.revokedCertificates?.find((r) => r.userCertificate.isEqual(c.serialNumber));
  const reason = entry ? entryReason(entry) : undefined;
  if (!entry || reason === 'removeFromCRL') return { status: 'good', ...base };
  return { status: 'revoked', revocationTime: entry.revocationDate.value, ...(reason ? { revocationReason: reason } : {}), ...base };
}
