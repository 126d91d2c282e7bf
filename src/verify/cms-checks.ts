// Building blocks shared by the CMS signature validator and the timestamp validator: each turns one question
// about a SignerInfo and its certificate into a Check with a Vietnamese and English message and, when it
// fails, the ETSI EN 319 102-1 sub-indication. Both validators run the same code for the same question.

import { createHash } from 'node:crypto';
import { KeyPurposeOid } from '../pki/oids.ts';
import {
  nameKey,
  signatureAlgorithmName,
  verifySignatureValue,
  type CmsDigest,
  type ParsedCms,
} from '../pki/cms/cms-parser.ts';
import { isoCached, type CertInfo } from './cert-info.ts';
import { buildChain, validityProblems, type CertificatePool, type ChainElement, type ChainResult } from './chain-builder.ts';
import type { ValidationContext } from './cms-validation.ts';
import type { AlgorithmPolicy } from './policy.ts';
import type { Check, CheckId, Message, SignerReport, SubIndication } from './report.ts';
import { assessRevocation, checkChainRevocation, isFresh, type CertRevocation, type RevocationTimes } from './revocation-validator.ts';

export const passed = (id: CheckId, vi: string, en: string): Check => ({ id, status: 'PASSED', message: { vi, en } });
export const failed = (id: CheckId, sub: SubIndication, vi: string, en: string): Check => ({ id, status: 'FAILED', subIndication: sub, message: { vi, en } });
export const warning = (id: CheckId, vi: string, en: string): Check => ({ id, status: 'WARNING', message: { vi, en } });
export const info = (id: CheckId, vi: string, en: string): Check => ({ id, status: 'INFO', message: { vi, en } });
export const notRun = (id: CheckId, because: Message): Check => ({
  id,
  status: 'NOT_RUN',
  message: { vi: `Không kiểm tra được: ${because.vi}`, en: `Not run: ${because.en}` },
});

/** What every check needs besides the CMS: context, the time of validation, candidate certificates and data. */
export interface CheckEnv {
  ctx: ValidationContext;
  validationTime: Date;
  pool: CertificatePool;
  revocationData: { ocspResponses: Uint8Array[]; crls: Uint8Array[] };
}

const certName = (c: CertInfo): string => c.subjectFields.commonName ?? c.subject;

/** Same DER, or the same name once normalised (nameKey). */
const sameName = (der: Uint8Array, otherDer: Uint8Array, otherKey: string): boolean =>
  Buffer.from(der).equals(Buffer.from(otherDer)) || nameKey(der) === otherKey;

// ---------------------------------------------------------------------------------------------------------------
// Signing certificate

/** The certificate the SignerInfo's sid designates: CMS certificates first, then the document's. */
export function findSignerCertificate(cms: ParsedCms, pool: CertificatePool, cmsCerts: readonly CertInfo[]): CertInfo | undefined {
  const sid = cms.signer.sid;
  const matches = (c: CertInfo): boolean => {
    if (sid.kind === 'issuerAndSerialNumber') return Buffer.from(c.serial).equals(Buffer.from(sid.serial)) && sameName(sid.issuer, c.issuerDer, c.issuerKey);
    const ski = c.subjectKeyIdentifier;
    return ski !== undefined && Buffer.from(ski).equals(Buffer.from(sid.keyIdentifier));
  };
  return cmsCerts.find(matches) ?? pool.all().map((e) => e.cert).find(matches);
}

export function signingCertificateFoundCheck(cms: ParsedCms, cert: CertInfo | undefined): Check {
  if (cert) {
    return passed('SIGNING_CERTIFICATE_FOUND', `Tìm thấy chứng thư ký: ${certName(cert)}`, `Signing certificate found: ${cert.subject}`);
  }
  const sid = cms.signer.sid;
  const what = sid.kind === 'issuerAndSerialNumber' ? `serial ${sid.serialHex}` : `key id ${Buffer.from(sid.keyIdentifier).toString('hex')}`;
  return failed(
    'SIGNING_CERTIFICATE_FOUND',
    'NO_SIGNING_CERTIFICATE_FOUND',
    `Không tìm thấy chứng thư của người ký (${what}) trong chữ ký hay trong tài liệu`,
    `The signer's certificate (${what}) is neither in the signature nor in the document`,
  );
}

/** ESS signing-certificate(-v2): binds the signature to this very certificate (RFC 5035). */
export function signingCertificateReferenceCheck(cms: ParsedCms, cert: CertInfo): Check {
  const s = cms.signer;
  const first = s.essCertIds[0];
  if (!first) {
    return failed(
      'SIGNING_CERTIFICATE_REFERENCE',
      'SIG_CONSTRAINTS_FAILURE',
      'Chữ ký không có thuộc tính signing-certificate(-v2) gắn chữ ký với chứng thư ký',
      'The signature has no ESS signing-certificate(-v2) attribute binding it to the signing certificate',
    );
  }
  if (!first.digest) {
    return failed(
      'SIGNING_CERTIFICATE_REFERENCE',
      'CRYPTO_CONSTRAINTS_FAILURE',
      `Thuật toán băm ${first.digestOid} của thuộc tính signing-certificate không được hỗ trợ`,
      `Unsupported digest ${first.digestOid} in the ESS signing-certificate attribute`,
    );
  }
  const hashOk = Buffer.from(cert.digest(first.digest)).equals(Buffer.from(first.hash));
  const is = first.issuerSerial;
  const issuerSerialOk =
    !is || (Buffer.from(is.serial).equals(Buffer.from(cert.serial)) && (is.issuers.length === 0 || is.issuers.some((n) => sameName(n, cert.issuerDer, cert.issuerKey))));
  if (!hashOk || !issuerSerialOk) {
    return failed(
      'SIGNING_CERTIFICATE_REFERENCE',
      'NO_SIGNING_CERTIFICATE_FOUND',
      `Thuộc tính signing-certificate${s.essVersion === 2 ? '-v2' : ''} không khớp chứng thư ký (${hashOk ? 'số hiệu/tổ chức cấp' : 'giá trị băm'} khác)`,
      `The ESS signing-certificate${s.essVersion === 2 ? '-v2' : ''} attribute does not match the signing certificate (${hashOk ? 'issuer/serial' : 'hash'} differs)`,
    );
  }
  return passed(
    'SIGNING_CERTIFICATE_REFERENCE',
    `Thuộc tính signing-certificate${s.essVersion === 2 ? '-v2' : ''} khớp chứng thư ký (${first.digest})`,
    `ESS signing-certificate${s.essVersion === 2 ? '-v2' : ''} matches the signing certificate (${first.digest})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Signature value

/** Verifies the SignerInfo signature: over the signed attributes, or over the content when there are none. */
export function signatureValueCheck(cms: ParsedCms, cert: CertInfo, content: readonly Uint8Array[]): Check {
  const s = cms.signer;
  const alg = s.signatureAlgorithmInfo;
  if (alg.unsupported) {
    return failed(
      'SIGNATURE_VALUE',
      'CRYPTO_CONSTRAINTS_FAILURE',
      `Không kiểm tra được chữ ký: thuật toán không được hỗ trợ (${alg.unsupported})`,
      `Cannot verify the signature: unsupported algorithm (${alg.unsupported})`,
    );
  }
  const data = s.signedAttributesDer ?? (content.length === 1 ? content[0]! : new Uint8Array(Buffer.concat(content)));
  let ok = false;
  try {
    ok = verifySignatureValue(alg, cert.publicKey, data, s.signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    return failed(
      'SIGNATURE_VALUE',
      'SIG_CRYPTO_FAILURE',
      'Giá trị chữ ký không khớp với khóa công khai của chứng thư ký: chữ ký không do khóa bí mật tương ứng tạo ra hoặc đã bị sửa đổi',
      "The signature value does not verify with the signing certificate's public key",
    );
  }
  return passed(
    'SIGNATURE_VALUE',
    `Chữ ký được tạo bởi khóa bí mật tương ứng với chứng thư ký (${signatureAlgorithmName(alg)})`,
    `The signature verifies with the signing certificate's key (${signatureAlgorithmName(alg)})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Algorithms

export function algorithmDescription(cms: ParsedCms, cert: CertInfo | undefined): string {
  const name = signatureAlgorithmName(cms.signer.signatureAlgorithmInfo);
  return cert ? `${name} (${cert.keyBits})` : name;
}

/**
 * Digest and signature algorithms and key sizes against the policy (TT 15/2025 Annex I: no SHA-1, RSA ≥ 2048,
 * ECDSA ≥ 256), for the signature itself and for the certificates of the chain below the anchor.
 */
export function algorithmsCheck(
  cms: ParsedCms,
  cert: CertInfo | undefined,
  chain: readonly ChainElement[],
  anchorIncluded: boolean,
  policy: AlgorithmPolicy,
  extraDigests: { what: string; digest: CmsDigest | undefined; oid: string }[] = [],
): Check {
  const forbidden = new Set(policy.forbiddenDigests.map((d) => d.toUpperCase()));
  const problems: Message[] = [];
  const digestProblem = (what: Message, d: CmsDigest | undefined, oid: string): void => {
    if (!d) problems.push({ vi: `${what.vi}: thuật toán băm ${oid} không được hỗ trợ`, en: `${what.en}: unsupported digest ${oid}` });
    else if (forbidden.has(d.toUpperCase())) problems.push({ vi: `${what.vi} dùng ${d}, không được phép`, en: `${what.en} uses ${d}, which is not allowed` });
  };
  const s = cms.signer;
  digestProblem({ vi: 'Chữ ký', en: 'The signature' }, s.digest, s.digestAlgorithm.oid);
  const alg = s.signatureAlgorithmInfo;
  if (alg.unsupported) problems.push({ vi: `Thuật toán chữ ký không được hỗ trợ (${alg.unsupported})`, en: `Unsupported signature algorithm (${alg.unsupported})` });
  else if (alg.digest !== s.digest) digestProblem({ vi: 'Thuật toán chữ ký', en: 'The signature algorithm' }, alg.digest, alg.oid);
  for (const x of extraDigests) digestProblem({ vi: x.what, en: x.what }, x.digest, x.oid);

  const keyProblem = (c: CertInfo, role: Message): void => {
    if (c.keyType === 'RSA' && c.keyBits < policy.minRsaBits) {
      problems.push({ vi: `${role.vi} "${certName(c)}" dùng khóa RSA ${c.keyBits} bit (tối thiểu ${policy.minRsaBits})`, en: `${role.en} "${certName(c)}" has a ${c.keyBits}-bit RSA key (minimum ${policy.minRsaBits})` });
    } else if (c.keyType === 'EC' && c.keyBits < policy.minEcBits) {
      problems.push({ vi: `${role.vi} "${certName(c)}" dùng khóa EC ${c.keyBits || '?'} bit (tối thiểu ${policy.minEcBits})`, en: `${role.en} "${certName(c)}" has a ${c.keyBits || '?'}-bit EC key (minimum ${policy.minEcBits})` });
    } else if (c.keyType === 'other') {
      problems.push({ vi: `${role.vi} "${certName(c)}" dùng loại khóa không được hỗ trợ`, en: `${role.en} "${certName(c)}" has an unsupported key type` });
    }
  };
  if (cert) {
    try {
      keyProblem(cert, { vi: 'Chứng thư ký', en: 'The signing certificate' });
    } catch {
      problems.push({ vi: 'Không đọc được khóa công khai của chứng thư ký', en: 'Unreadable signing certificate public key' });
    }
  }
  const end = anchorIncluded ? chain.length - 1 : chain.length;
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!.cert;
    if (i > 0) {
      try {
        keyProblem(c, { vi: 'Chứng thư CA', en: 'CA certificate' });
      } catch {
        problems.push({ vi: `Không đọc được khóa của "${certName(c)}"`, en: `Unreadable key of "${certName(c)}"` });
      }
    }
    if (i < end) {
      const a = c.signatureAlgorithmInfo;
      if (a.unsupported) problems.push({ vi: `Chứng thư "${certName(c)}" ký bằng thuật toán không được hỗ trợ`, en: `"${certName(c)}" is signed with an unsupported algorithm` });
      else digestProblem({ vi: `Chứng thư "${certName(c)}"`, en: `Certificate "${certName(c)}"` }, a.digest, a.oid);
    }
  }
  if (problems.length) {
    return failed('ALGORITHMS', 'CRYPTO_CONSTRAINTS_FAILURE', problems.map((p) => p.vi).join('; '), problems.map((p) => p.en).join('; '));
  }
  const d = algorithmDescription(cms, cert);
  return passed('ALGORITHMS', `Thuật toán đáp ứng yêu cầu (${d}, băm ${s.digest})`, `Algorithms meet the policy (${d}, digest ${s.digest})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Chain, validity, key usage

export async function buildSignerChain(cert: CertInfo, env: CheckEnv): Promise<ChainResult> {
  return buildChain(cert, {
    trust: env.ctx.trust,
    pool: env.pool,
    fetchIssuers: env.ctx.fetchIssuers === true,
    offline: env.ctx.offline === true,
    ...(env.ctx.network ? { network: env.ctx.network } : {}),
  });
}

export function chainCheck(r: ChainResult): Check {
  if (!r.found) {
    return failed(
      'CERTIFICATE_CHAIN',
      'NO_CERTIFICATE_CHAIN_FOUND',
      `Không dựng được chuỗi chứng thư đến chứng thư gốc tin cậy: ${r.reason?.vi ?? ''}`,
      `No certificate path to a trusted root: ${r.reason?.en ?? ''}`,
    );
  }
  if (r.problems.length) {
    return failed(
      'CERTIFICATE_CHAIN',
      'CHAIN_CONSTRAINTS_FAILURE',
      `Chuỗi chứng thư vi phạm ràng buộc: ${r.problems.map((p) => p.message.vi).join('; ')}`,
      `The certificate path violates constraints: ${r.problems.map((p) => p.message.en).join('; ')}`,
    );
  }
  const names = r.chain.map((e) => certName(e.cert)).join(' → ');
  return passed('CERTIFICATE_CHAIN', `Chuỗi chứng thư hợp lệ đến chứng thư gốc tin cậy: ${names}`, `Valid path to a trusted root: ${names}`);
}

export interface CheckTimes extends RevocationTimes {
  /** The time certificates are checked at (POE, else claimed, else validation). */
  used: Date;
}

export function timesFor(poe: Date | undefined, claimed: Date | undefined, validation: Date): CheckTimes {
  return { used: poe ?? claimed ?? validation, validation, ...(poe ? { poe } : {}), ...(claimed ? { claimed } : {}) };
}

/**
 * Validity of the signing certificate and its CAs. With a proof of existence the certificates must be valid at
 * the POE (and may have expired since); without one they must be valid at the claimed time and still now.
 * A claimed time is believed when it works against the signer (signed outside validity: EXPIRED /
 * NOT_YET_VALID), never to excuse a certificate that has expired since (OUT_OF_BOUNDS_NO_POE).
 */
export function validityCheck(chain: readonly ChainElement[], anchorIncluded: boolean, t: CheckTimes): Check {
  const role = (i: number): Message => (i === 0 ? { vi: 'Chứng thư ký', en: 'The signing certificate' } : { vi: 'Chứng thư CA', en: 'The CA certificate' });
  const at = validityProblems(chain, t.used, { anchorIncluded });
  const first = at[0];
  if (first) {
    const c = first.cert;
    const r = role(first.index);
    const timeName = t.poe ? { vi: 'thời điểm ký theo dấu thời gian', en: 'the timestamped signing time' } : t.claimed ? { vi: 'thời điểm ký do người ký khai', en: 'the claimed signing time' } : { vi: 'thời điểm kiểm tra', en: 'the validation time' };
    if (first.kind === 'not-yet-valid') {
      return failed(
        'CERTIFICATE_VALIDITY',
        'NOT_YET_VALID',
        `${r.vi} "${certName(c)}" chưa có hiệu lực tại ${timeName.vi} (${isoCached(t.used)}); hiệu lực từ ${isoCached(c.notBefore)}`,
        `${r.en} "${certName(c)}" was not yet valid at ${timeName.en} (${isoCached(t.used)}); valid from ${isoCached(c.notBefore)}`,
      );
    }
    const sub: SubIndication = t.poe || t.claimed ? 'EXPIRED' : 'OUT_OF_BOUNDS_NO_POE';
    return failed(
      'CERTIFICATE_VALIDITY',
      sub,
      `${r.vi} "${certName(c)}" đã hết hiệu lực từ ${isoCached(c.notAfter)}, trước ${timeName.vi} (${isoCached(t.used)})`,
      `${r.en} "${certName(c)}" expired on ${isoCached(c.notAfter)}, before ${timeName.en} (${isoCached(t.used)})`,
    );
  }
  const atValidation = validityProblems(chain, t.validation, { anchorIncluded });
  const early = atValidation.find((p) => p.kind === 'not-yet-valid');
  if (early) {
    // Validating "as of" a time (--at) before the certificate existed: nothing can be valid then.
    const c = early.cert;
    return failed(
      'CERTIFICATE_VALIDITY',
      'NOT_YET_VALID',
      `${role(early.index).vi} "${certName(c)}" chưa có hiệu lực tại thời điểm kiểm tra (${isoCached(t.validation)}); hiệu lực từ ${isoCached(c.notBefore)}`,
      `${role(early.index).en} "${certName(c)}" is not yet valid at the validation time (${isoCached(t.validation)}); valid from ${isoCached(c.notBefore)}`,
    );
  }
  if (!t.poe) {
    const now = atValidation.find((p) => p.kind === 'expired');
    if (now) {
      const c = now.cert;
      return failed(
        'CERTIFICATE_VALIDITY',
        'OUT_OF_BOUNDS_NO_POE',
        `${role(now.index).vi} "${certName(c)}" đã hết hiệu lực từ ${isoCached(c.notAfter)} và không có dấu thời gian chứng minh chữ ký được tạo trước đó`,
        `${role(now.index).en} "${certName(c)}" expired on ${isoCached(c.notAfter)} and no timestamp proves the signature was made before`,
      );
    }
  }
  const leaf = chain[0]!.cert;
  return passed(
    'CERTIFICATE_VALIDITY',
    `Chứng thư ký còn hiệu lực tại thời điểm ký (hiệu lực ${isoCached(leaf.notBefore)} – ${isoCached(leaf.notAfter)})`,
    `The signing certificate was valid at the signing time (valid ${isoCached(leaf.notBefore)} – ${isoCached(leaf.notAfter)})`,
  );
}

/** EKUs that allow signing documents (absent EKU: unrestricted). */
const SIGNING_EKUS = new Set<string>([
  '2.5.29.37.0', // anyExtendedKeyUsage
  KeyPurposeOid.emailProtection,
  KeyPurposeOid.clientAuth,
  KeyPurposeOid.documentSigning,
  '1.2.840.113583.1.1.5', // Adobe Authentic Documents Trust
  '1.3.6.1.4.1.311.10.3.12', // Microsoft document signing
]);

export function keyUsageCheck(cert: CertInfo, purpose: 'signing' | 'timestamping'): Check {
  const ku = cert.keyUsage;
  const eku = cert.extendedKeyUsage;
  const name = certName(cert);
  if (ku && !ku.digitalSignature && !ku.nonRepudiation) {
    return failed(
      'KEY_USAGE',
      'CHAIN_CONSTRAINTS_FAILURE',
      `Chứng thư "${name}" không được phép dùng để ký số (Key Usage không có digitalSignature hay nonRepudiation)`,
      `"${name}" may not be used for signing (key usage has neither digitalSignature nor nonRepudiation)`,
    );
  }
  if (purpose === 'timestamping') {
    if (!eku?.includes(KeyPurposeOid.timeStamping)) {
      return failed(
        'KEY_USAGE',
        'CHAIN_CONSTRAINTS_FAILURE',
        `Chứng thư "${name}" không phải chứng thư máy chủ dấu thời gian (thiếu mục đích timeStamping)`,
        `"${name}" is not a time-stamping certificate (no timeStamping extended key usage)`,
      );
    }
    return passed('KEY_USAGE', `Chứng thư "${name}" có mục đích cấp dấu thời gian (timeStamping)`, `"${name}" has the timeStamping extended key usage`);
  }
  if (eku && !eku.some((p) => SIGNING_EKUS.has(p))) {
    return failed(
      'KEY_USAGE',
      'CHAIN_CONSTRAINTS_FAILURE',
      `Chứng thư "${name}" chỉ dành cho mục đích khác (Extended Key Usage: ${eku.join(', ')}), không dùng để ký tài liệu`,
      `"${name}" is restricted to other purposes (extended key usage ${eku.join(', ')}), not document signing`,
    );
  }
  const bits = ku ? [ku.nonRepudiation ? 'nonRepudiation' : '', ku.digitalSignature ? 'digitalSignature' : ''].filter(Boolean).join(', ') : 'không giới hạn';
  return passed('KEY_USAGE', `Chứng thư được phép dùng để ký số (${bits})`, `The certificate may be used for signing (${ku ? bits : 'unrestricted'})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Revocation

export interface RevocationOutcome {
  results: CertRevocation[];
  check: Check;
  freshness: Check;
}

export async function revocationChecks(chain: readonly ChainElement[], anchorIncluded: boolean, t: CheckTimes, env: CheckEnv): Promise<RevocationOutcome> {
  const results = await checkChainRevocation(chain, anchorIncluded, {
    embedded: env.revocationData,
    offline: env.ctx.offline === true,
    ...(env.ctx.network ? { network: env.ctx.network } : {}),
    hasPoe: t.poe !== undefined,
    freshAfter: t.used,
  });
  if (results.length === 0) {
    const msg = { vi: 'chứng thư ký chính là chứng thư gốc tin cậy', en: 'the signing certificate is itself a trust anchor' };
    return { results, check: passed('REVOCATION', `Không cần kiểm tra thu hồi: ${msg.vi}`, `No revocation check needed: ${msg.en}`), freshness: notRun('REVOCATION_FRESHNESS', msg) };
  }
  const a = assessRevocation(results, t);
  const check: Check = a.status === 'PASSED' ? { id: 'REVOCATION', status: 'PASSED', message: a.message } : { id: 'REVOCATION', status: 'FAILED', subIndication: a.subIndication!, message: a.message };
  const used = results.filter((r) => r.used);
  let freshness: Check;
  if (used.length === 0) {
    freshness = notRun('REVOCATION_FRESHNESS', { vi: 'không có dữ liệu thu hồi', en: 'no revocation data' });
  } else {
    const stale = used.filter((r) => !isFresh(r.used!, t.used));
    freshness = stale.length
      ? failed(
          'REVOCATION_FRESHNESS',
          'TRY_LATER',
          `Dữ liệu thu hồi của ${stale.map((r) => `"${certName(r.cert)}" (${r.used!.source.toUpperCase()} ${isoCached(r.used!.producedAt)})`).join(', ')} được phát hành trước thời điểm ký (${isoCached(t.used)}), nên không chứng minh chứng thư chưa bị thu hồi khi ký`,
          `Revocation data for ${stale.map((r) => `"${certName(r.cert)}" (${r.used!.source.toUpperCase()} ${isoCached(r.used!.producedAt)})`).join(', ')} was produced before the signing time (${isoCached(t.used)}) and does not cover it`,
        )
      : passed('REVOCATION_FRESHNESS', 'Dữ liệu thu hồi được phát hành sau thời điểm ký', 'The revocation data was produced after the signing time');
  }
  return { results, check, freshness };
}

// ---------------------------------------------------------------------------------------------------------------
// Report pieces

export function signerReport(c: CertInfo): SignerReport {
  const f = c.subjectFields;
  return {
    ...(f.commonName ? { commonName: f.commonName } : {}),
    ...(f.organization ? { organization: f.organization } : {}),
    ...(f.organizationalUnits.length ? { organizationalUnit: f.organizationalUnits.join(', ') } : {}),
    ...(f.title ? { title: f.title } : {}),
    ...(f.serialNumber ? { serialNumber: f.serialNumber } : {}),
    certificateSerial: c.serialHex,
    certificateSha256: c.id,
    subject: c.subject,
    issuer: c.issuer,
    notBefore: isoCached(c.notBefore),
    notAfter: isoCached(c.notAfter),
  };
}

/** True when a chain and its revocation answers were all found in the signature or the document. */
export function allEmbedded(chain: readonly ChainElement[], revocations: readonly CertRevocation[]): boolean {
  return chain.every((e) => e.source !== 'aia') && revocations.every((r) => r.exempt || r.embedded);
}

/** SHA-256 of bytes, hex (for messages and tests). */
export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * SIGNING_TIME: the time is proven by a timestamp, or only claimed (a warning), or absent. `claimedText` is the
 * claimed time as written when it could not be read (XML SigningTime).
 */
export function signingTimeCheck(poe: Date | undefined, claimed: Date | undefined, validation: Date, claimedText?: string): Check {
  if (poe) {
    if (claimed && claimed.getTime() > poe.getTime() + 5 * 60_000) {
      return warning(
        'SIGNING_TIME',
        `Thời điểm ký theo dấu thời gian là ${isoCached(poe)}, nhưng thời gian người ký khai (${isoCached(claimed)}) lại muộn hơn — thời gian khai không đúng`,
        `The timestamp proves ${isoCached(poe)}, yet the claimed signing time ${isoCached(claimed)} is later — the claimed time is wrong`,
      );
    }
    return passed('SIGNING_TIME', `Thời điểm ký được chứng thực bằng dấu thời gian: ${isoCached(poe)}`, `The signing time is proven by a timestamp: ${isoCached(poe)}`);
  }
  if (claimed) {
    return warning('SIGNING_TIME', `Chỉ có thời gian ký do người ký khai (${isoCached(claimed)}), không có dấu thời gian`, `Only the signing time claimed by the signer (${isoCached(claimed)}); no timestamp`);
  }
  const unreadable = claimedText !== undefined ? { vi: ` (SigningTime "${claimedText}" không đọc được)`, en: ` (unreadable SigningTime "${claimedText}")` } : { vi: '', en: '' };
  return warning(
    'SIGNING_TIME',
    `Chữ ký không có thời gian ký và không có dấu thời gian${unreadable.vi}; chứng thư được kiểm tra tại thời điểm kiểm tra (${isoCached(validation)})`,
    `No signing time and no timestamp${unreadable.en}; certificates checked at the validation time (${isoCached(validation)})`,
  );
}

/** Collects checks by id; `list` returns them in report order, the ones never reached as NOT_RUN. */
export class CheckSet {
  private readonly byId = new Map<CheckId, Check>();
  constructor(private readonly order: readonly CheckId[]) {}
  set(c: Check): void {
    this.byId.set(c.id, c);
  }
  get(id: CheckId): Check | undefined {
    return this.byId.get(id);
  }
  list(because: Message): Check[] {
    return this.order.map((id) => this.byId.get(id) ?? notRun(id, because));
  }
}

/**
 * CERTIFICATE_VALIDITY, REVOCATION and REVOCATION_FRESHNESS for a built chain — the same steps for a CMS and an
 * XML signature. Revocation is only checked along a path that reaches a trust anchor.
 */
export async function certificateStatusChecks(chain: ChainResult, t: CheckTimes, env: CheckEnv): Promise<{ checks: Check[]; revocations: CertRevocation[] }> {
  const validity = validityCheck(chain.chain, chain.found, t);
  if (!chain.found) {
    const because = { vi: 'không có chuỗi chứng thư tin cậy', en: 'no trusted certificate path' };
    return { checks: [validity, notRun('REVOCATION', because), notRun('REVOCATION_FRESHNESS', because)], revocations: [] };
  }
  const rev = await revocationChecks(chain.chain, true, t, env);
  return { checks: [validity, rev.check, rev.freshness], revocations: rev.results };
}
