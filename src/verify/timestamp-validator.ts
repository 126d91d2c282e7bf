// RFC 3161 timestamp tokens as a verifier sees them (TT 15/2025 Art. 6(1)(g): validate any attached timestamp):
// a signature timestamp over a SignerInfo's signature value (CAdES/PAdES B-T) or a document timestamp over the
// signed bytes (PAdES ETSI.RFC3161). Checks the imprint, the token's own integrity and signature, the ESS
// binding, the TSA certificate's timeStamping purpose, its path to a trust anchor, its validity at genTime and
// its revocation status. A valid token makes genTime the proof of existence (POE) of what it covers.
//
// The TSA's certificates must be valid at genTime, and still valid now — or, once they have expired, a later
// timestamp (a PDF document timestamp, a XAdES archive timestamp) must prove the token existed before they
// expired (EN 319 102-1 §5.6.2.2, past signature validation): that is how document timestamps chain proofs of
// existence over the years.

import { CmsOid } from '../pki/oids.ts';
import { digestParts, parseTimestampToken, signatureAlgorithmName, type ParsedTimestampToken } from '../pki/cms/cms-parser.ts';
import { isoCached, tryCertInfo, type CertInfo } from './cert-info.ts';
import { validityProblems, type ChainElement } from './chain-builder.ts';
import {
  algorithmsCheck,
  allEmbedded,
  buildSignerChain,
  chainCheck,
  failed,
  findSignerCertificate,
  keyUsageCheck,
  notRun,
  passed,
  revocationChecks,
  signatureValueCheck,
  signingCertificateFoundCheck,
  signingCertificateReferenceCheck,
  timesFor,
  validityCheck,
  type CheckEnv,
} from './cms-checks.ts';
import type { Check, CheckId, Message, SubIndication } from './report.ts';
import type { CertRevocation } from './revocation-validator.ts';

export interface TimestampValidation {
  /** Every check on the token, with the same ids as for a signature (MESSAGE_DIGEST = the imprint). */
  checks: Check[];
  /** No deciding check failed: genTime is a proof of existence. */
  valid: boolean;
  /** The first deciding failure, when not valid. */
  failure?: Check;
  genTime?: Date;
  token?: ParsedTimestampToken;
  tsa?: CertInfo;
  chain?: ChainElement[];
  revocation?: CertRevocation[];
  /** The TSA's chain and revocation data all came from the signature or the document. */
  embeddedOnly: boolean;
  /** e.g. "RSASSA-PKCS1-v1_5/SHA-256 (2048)". */
  algorithm?: string;
}

/** Checks whose failure makes the token unusable as a POE. REVOCATION_FRESHNESS only warns. */
const DECIDING: ReadonlySet<CheckId> = new Set<CheckId>([
  'CMS_STRUCTURE',
  'MESSAGE_DIGEST',
  'SIGNING_CERTIFICATE_FOUND',
  'SIGNING_CERTIFICATE_REFERENCE',
  'SIGNATURE_VALUE',
  'ALGORITHMS',
  'KEY_USAGE',
  'CERTIFICATE_CHAIN',
  'CERTIFICATE_VALIDITY',
  'REVOCATION',
]);

const ALL_IDS: CheckId[] = [
  'CMS_STRUCTURE',
  'SIGNING_CERTIFICATE_FOUND',
  'SIGNING_CERTIFICATE_REFERENCE',
  'MESSAGE_DIGEST',
  'SIGNATURE_VALUE',
  'ALGORITHMS',
  'CERTIFICATE_CHAIN',
  'CERTIFICATE_VALIDITY',
  'KEY_USAGE',
  'REVOCATION',
  'REVOCATION_FRESHNESS',
];

function finish(checks: Check[], rest: Omit<TimestampValidation, 'checks' | 'valid' | 'failure'>): TimestampValidation {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const because: Message = { vi: 'bước kiểm tra trước đó thất bại', en: 'an earlier step failed' };
  const all = ALL_IDS.map((id) => byId.get(id) ?? notRun(id, because));
  const failure = all.find((c) => DECIDING.has(c.id) && c.status === 'FAILED');
  return { checks: all, valid: failure === undefined, ...(failure ? { failure } : {}), ...rest };
}

/**
 * Validates a TimeStampToken over `data` (the parts are hashed in order with the token's imprint algorithm).
 * Never throws for problems with the token: they are checks.
 */
export async function validateTimestampToken(
  tokenDer: Uint8Array,
  data: readonly Uint8Array[],
  env: CheckEnv,
  opts: TokenValidationOptions = {},
): Promise<TimestampValidation> {
  try {
    return await validateToken(tokenDer, data, env, opts);
  } catch (e) {
    // Fail closed on anything unforeseen: the token is then simply not a proof of existence.
    const m = e instanceof Error ? e.message : String(e);
    return finish([failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Không kiểm tra được dấu thời gian: ${m}`, `The timestamp token could not be validated: ${m}`)], { embeddedOnly: false });
  }
}

export interface TokenValidationOptions {
  /** Proof of existence of the token itself, from a later valid timestamp covering it. */
  poe?: Date;
}

async function validateToken(tokenDer: Uint8Array, data: readonly Uint8Array[], env: CheckEnv, opts: TokenValidationOptions): Promise<TimestampValidation> {
  const checks: Check[] = [];
  let token: ParsedTimestampToken;
  try {
    token = parseTimestampToken(tokenDer);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    checks.push(failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Dấu thời gian không đúng định dạng RFC 3161: ${m}`, `The timestamp token is not a valid RFC 3161 token: ${m}`));
    return finish(checks, { embeddedOnly: false });
  }
  const s = token.signer;
  const tst = token.tstInfo;
  const structure: string[] = [];
  if (!s.signedAttributesDer) structure.push('no signed attributes');
  else {
    if (!s.messageDigest) structure.push('no message-digest attribute');
    if (s.contentType !== CmsOid.tstInfo) structure.push('content-type attribute is not id-ct-TSTInfo');
  }
  if (structure.length) {
    checks.push(failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Cấu trúc dấu thời gian không hợp lệ (${structure.join('; ')})`, `Invalid timestamp token structure (${structure.join('; ')})`));
    return finish(checks, { token, embeddedOnly: false });
  }
  checks.push(passed('CMS_STRUCTURE', `Dấu thời gian RFC 3161 hợp lệ về cấu trúc (số hiệu ${tst.serialHex})`, `Well-formed RFC 3161 timestamp token (serial ${tst.serialHex})`));

  // Imprint: does the token certify these bytes? And is the TSTInfo the one the TSA signed?
  if (!tst.imprintDigest) {
    checks.push(failed('MESSAGE_DIGEST', 'CRYPTO_CONSTRAINTS_FAILURE', `Thuật toán băm ${tst.imprintAlgorithm.oid} của dấu thời gian không được hỗ trợ`, `Unsupported imprint digest ${tst.imprintAlgorithm.oid}`));
  } else if (!Buffer.from(digestParts(tst.imprintDigest, data)).equals(Buffer.from(tst.hashedMessage))) {
    checks.push(
      failed(
        'MESSAGE_DIGEST',
        'HASH_FAILURE',
        'Dấu thời gian không cấp cho dữ liệu này: giá trị băm (messageImprint) không khớp — dữ liệu đã bị thay đổi hoặc dấu thời gian bị gắn sai',
        'The timestamp was not issued for this data: messageImprint does not match',
      ),
    );
  } else if (!s.digest || !Buffer.from(digestParts(s.digest, [token.eContent!])).equals(Buffer.from(s.messageDigest!))) {
    checks.push(failed('MESSAGE_DIGEST', 'HASH_FAILURE', 'Nội dung TSTInfo của dấu thời gian đã bị sửa đổi (message-digest không khớp)', 'The token TSTInfo was altered (message-digest mismatch)'));
  } else {
    checks.push(passed('MESSAGE_DIGEST', `Dấu thời gian cấp cho đúng dữ liệu này (${tst.imprintDigest})`, `The timestamp imprint matches the data (${tst.imprintDigest})`));
  }

  // The TSA certificate.
  const tokenCerts = token.certificates.map(tryCertInfo).filter((c): c is CertInfo => c !== undefined);
  env.pool.addAll(token.certificates, 'signature');
  const tsa = findSignerCertificate(token, env.pool, tokenCerts);
  checks.push(signingCertificateFoundCheck(token, tsa));
  if (!tsa) return finish(checks, { token, genTime: tst.genTime, embeddedOnly: false });
  checks.push(signingCertificateReferenceCheck(token, tsa));
  checks.push(signatureValueCheck(token, tsa, [token.eContent!]));
  checks.push(keyUsageCheck(tsa, 'timestamping'));

  const chainResult = await buildSignerChain(tsa, env);
  checks.push(chainCheck(chainResult));
  checks.push(
    algorithmsCheck(token, tsa, chainResult.chain, chainResult.found, env.ctx.algorithms, [
      { what: 'Dấu thời gian (messageImprint)', digest: tst.imprintDigest, oid: tst.imprintAlgorithm.oid },
    ]),
  );
  const algorithm = `${signatureAlgorithmName(s.signatureAlgorithmInfo)} (${tsa.keyBits})`;
  const base = { token, tsa, genTime: tst.genTime, chain: chainResult.chain, algorithm };
  if (!chainResult.found) return finish(checks, { ...base, embeddedOnly: false });

  // Times: the token is its own proof of existence at genTime.
  const t = timesFor(tst.genTime, undefined, env.validationTime);
  const atGenTime = validityCheck(chainResult.chain, true, t);
  checks.push(atGenTime.status === 'PASSED' ? (expiredWithoutPoe(chainResult.chain, env.validationTime, opts.poe) ?? tsaValidity(atGenTime, tsa, tst.genTime)) : atGenTime);
  const rev = await revocationChecks(chainResult.chain, true, t, env);
  checks.push(rev.check, rev.freshness);
  return finish(checks, { ...base, revocation: rev.results, embeddedOnly: allEmbedded(chainResult.chain, rev.results) });
}

/**
 * A TSA certificate (or one of its CAs) that has expired by the validation time, with no later timestamp proving
 * the token existed before that expiry: the token proves nothing any more (OUT_OF_BOUNDS_NO_POE).
 */
function expiredWithoutPoe(chain: readonly ChainElement[], validationTime: Date, poe: Date | undefined): Check | undefined {
  const at = poe && poe.getTime() < validationTime.getTime() ? poe : validationTime;
  const expired = validityProblems(chain, at, { anchorIncluded: true }).find((p) => p.kind === 'expired');
  if (!expired) return undefined;
  const c = expired.cert;
  const name = c.subjectFields.commonName ?? c.subject;
  return failed(
    'CERTIFICATE_VALIDITY',
    'OUT_OF_BOUNDS_NO_POE',
    poe
      ? `Chứng thư "${name}" của máy chủ dấu thời gian đã hết hiệu lực từ ${isoCached(c.notAfter)}, trước cả dấu thời gian lưu trữ sau đó (${isoCached(poe)})`
      : `Chứng thư "${name}" của máy chủ dấu thời gian đã hết hiệu lực từ ${isoCached(c.notAfter)} và không có dấu thời gian lưu trữ nào chứng minh dấu thời gian này có trước thời điểm đó`,
    poe
      ? `The TSA certificate "${name}" expired on ${isoCached(c.notAfter)}, before the later archive timestamp (${isoCached(poe)})`
      : `The TSA certificate "${name}" expired on ${isoCached(c.notAfter)} and no archive timestamp proves this token existed before then`,
  );
}

/** Rewords the validity message for a TSA (its "signing time" is genTime). */
function tsaValidity(c: Check, tsa: CertInfo, genTime: Date): Check {
  if (c.status !== 'PASSED') return c;
  return {
    ...c,
    message: {
      vi: `Chứng thư máy chủ dấu thời gian còn hiệu lực tại thời điểm cấp dấu ${isoCached(genTime)} (hiệu lực đến ${isoCached(tsa.notAfter)})`,
      en: `The TSA certificate was valid at genTime ${isoCached(genTime)} (valid until ${isoCached(tsa.notAfter)})`,
    },
  };
}

/**
 * The TIMESTAMP check of a signature from its token validations: PASSED with the earliest valid genTime, else
 * FAILED with the first problem. A token that does not verify is reported with its own HASH_FAILURE /
 * SIG_CRYPTO_FAILURE / FORMAT_FAILURE; TSA certificate status problems become
 * CERTIFICATE_CHAIN_GENERAL_FAILURE (the signature then simply has no proof of existence).
 */
export function timestampCheck(results: readonly TimestampValidation[]): { check: Check; best?: TimestampValidation } {
  const valid = results.filter((r) => r.valid && r.genTime).sort((a, b) => a.genTime!.getTime() - b.genTime!.getTime());
  const best = valid[0];
  if (best) {
    const others = results.length - valid.length;
    return {
      best,
      check: passed(
        'TIMESTAMP',
        `Dấu thời gian hợp lệ: ${isoCached(best.genTime!)}, do "${best.tsa!.subjectFields.commonName ?? best.tsa!.subject}" cấp${others ? ` (${others} dấu thời gian khác không hợp lệ)` : ''}`,
        `Valid signature timestamp: ${isoCached(best.genTime!)} by "${best.tsa!.subject}"${others ? ` (${others} other token(s) invalid)` : ''}`,
      ),
    };
  }
  const bad = results[0]!.failure!;
  const cryptoLike: SubIndication[] = ['FORMAT_FAILURE', 'HASH_FAILURE', 'SIG_CRYPTO_FAILURE'];
  const statusLike: SubIndication[] = ['REVOKED', 'EXPIRED', 'NOT_YET_VALID'];
  const sub: SubIndication = cryptoLike.includes(bad.subIndication!)
    ? bad.subIndication!
    : statusLike.includes(bad.subIndication!)
      ? 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
      : bad.subIndication!;
  return {
    check: failed(
      'TIMESTAMP',
      sub,
      `Dấu thời gian không hợp lệ, không dùng làm bằng chứng thời điểm ký: ${bad.message.vi}`,
      `Invalid signature timestamp, not used as proof of the signing time: ${bad.message.en}`,
    ),
  };
}

