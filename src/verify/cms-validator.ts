// Format-independent validation of one CMS signature (CAdES/PAdES, PKCS#7 detached) or one RFC 3161 document
// timestamp, given the bytes it signs. Implements the contract in cms-validation.ts: every check is reported
// with a Vietnamese and English message and, when it fails, its ETSI EN 319 102-1 sub-indication; the caller
// applies the policy levels (apply-policy.ts).
//
// Order of work for a signature: parse → identify the signing certificate → message digest → signature value
// → timestamp(s) and certificate path (in parallel) → validity at the POE / claimed time → key usage →
// revocation of the path → time and level. Everything is cached that can be (certificate views, link
// signatures, trust-anchor lookups, revocation answers), so a re-validation costs little beyond the public-key
// operation and hashing the content.

import { digestParts, parseCms, type ParsedCms } from '../pki/cms/cms-parser.ts';
import { isoCached, type CertInfo } from './cert-info.ts';
import { CertificatePool, type ChainResult } from './chain-builder.ts';
import {
  algorithmDescription,
  algorithmsCheck,
  allEmbedded,
  buildSignerChain,
  chainCheck,
  failed,
  findSignerCertificate,
  info,
  keyUsageCheck,
  notRun,
  passed,
  certificateStatusChecks,
  CheckSet,
  signatureValueCheck,
  signerReport,
  signingCertificateFoundCheck,
  signingCertificateReferenceCheck,
  signingTimeCheck,
  timesFor,
  warning,
  type CheckEnv,
} from './cms-checks.ts';
import type { CmsValidationInput, CmsValidationResult, EmbeddedValidationData, ValidationContext } from './cms-validation.ts';
import type { Check, CheckId, Message, TimestampReport } from './report.ts';
import type { CertRevocation } from './revocation-validator.ts';
import { timestampCheck, validateTimestampToken, type TimestampValidation } from './timestamp-validator.ts';

/** The checks this module reports, in report order. */
export const CMS_CHECK_IDS: readonly CheckId[] = [
  'CMS_STRUCTURE',
  'SIGNING_CERTIFICATE_FOUND',
  'SIGNING_CERTIFICATE_REFERENCE',
  'MESSAGE_DIGEST',
  'SIGNATURE_VALUE',
  'ALGORITHMS',
  'PADES_ATTRIBUTES',
  'CERTIFICATE_CHAIN',
  'CERTIFICATE_VALIDITY',
  'KEY_USAGE',
  'REVOCATION',
  'REVOCATION_FRESHNESS',
  'SIGNING_TIME',
  'TIMESTAMP',
];

const EMPTY: EmbeddedValidationData = { certificates: [], ocspResponses: [], crls: [] };

function timestampReport(v: TimestampValidation | undefined): TimestampReport | undefined {
  if (!v?.genTime) return undefined;
  const tsa = v.tsa ? (v.tsa.subjectFields.commonName ?? v.tsa.subject) : 'không xác định';
  return { time: isoCached(v.genTime), tsa, valid: v.valid };
}

function environment(ctx: ValidationContext, cms: ParsedCms | undefined, embedded: EmbeddedValidationData): { env: CheckEnv; cmsCerts: CertInfo[] } {
  const pool = new CertificatePool();
  const cmsCerts: CertInfo[] = [];
  for (const der of cms?.certificates ?? []) {
    const c = pool.add(der, 'signature');
    if (c) cmsCerts.push(c);
  }
  pool.addAll(cms?.embedded.certificates ?? [], 'signature');
  pool.addAll(embedded.certificates, 'document');
  const revocationData = {
    ocspResponses: [...(cms?.embedded.ocspResponses ?? []), ...embedded.ocspResponses],
    crls: [...(cms?.embedded.crls ?? []), ...embedded.crls],
  };
  return { env: { ctx, validationTime: ctx.at ?? new Date(), pool, revocationData }, cmsCerts };
}

const earliest = (a: Date | undefined, b: Date | undefined): Date | undefined => (a && b ? (a.getTime() <= b.getTime() ? a : b) : (a ?? b));

/** Validates a CMS signature or document timestamp. Never throws for problems with the input: they are checks. */
export async function validateCms(input: CmsValidationInput, ctx: ValidationContext): Promise<CmsValidationResult> {
  try {
    return input.kind === 'document-timestamp' ? await validateDocumentTimestamp(input, ctx) : await validateSignature(input, ctx);
  } catch (e) {
    // Fail closed on anything unforeseen (a certificate pkijs cannot read, …): never a pass by accident.
    const m = e instanceof Error ? e.message : String(e);
    const checks = new CheckSet(CMS_CHECK_IDS);
    checks.set(failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Không kiểm tra được chữ ký: ${m}`, `The signature could not be validated: ${m}`));
    return {
      checks: checks.list({ vi: 'lỗi khi kiểm tra', en: 'validation error' }),
      signingTimeUsed: input.claimedSigningTime ?? ctx.at ?? new Date(),
      level: 'B-B',
      hasSigningTimeAttribute: false,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Signatures

function structureProblems(cms: ParsedCms): Message[] {
  const p: Message[] = [];
  const s = cms.signer;
  if (cms.eContent !== undefined) {
    p.push({ vi: 'CMS chứa nội dung đóng gói, không phải chữ ký tách rời (detached)', en: 'the CMS encapsulates content; a detached signature is required' });
  }
  if (s.signedAttributesDer) {
    if (!s.messageDigest) p.push({ vi: 'thiếu thuộc tính message-digest', en: 'missing message-digest attribute' });
    if (!s.contentType) p.push({ vi: 'thiếu thuộc tính content-type', en: 'missing content-type attribute' });
    else if (s.contentType !== cms.eContentType) p.push({ vi: 'thuộc tính content-type khác eContentType', en: 'content-type attribute differs from eContentType' });
  }
  return p;
}

function messageDigestCheck(cms: ParsedCms, content: readonly Uint8Array[]): Check {
  const s = cms.signer;
  if (content.length === 0) {
    return failed('MESSAGE_DIGEST', 'SIGNED_DATA_NOT_FOUND', 'Không có dữ liệu được ký để kiểm tra', 'No signed data to check');
  }
  if (!s.signedAttributesDer) {
    return info(
      'MESSAGE_DIGEST',
      'Chữ ký không có thuộc tính ký: giá trị chữ ký được tính trực tiếp trên nội dung (xem kiểm tra giá trị chữ ký)',
      'No signed attributes: the signature value covers the content directly (see the signature value check)',
    );
  }
  if (!s.digest) {
    return failed('MESSAGE_DIGEST', 'CRYPTO_CONSTRAINTS_FAILURE', `Thuật toán băm ${s.digestAlgorithm.oid} không được hỗ trợ`, `Unsupported digest algorithm ${s.digestAlgorithm.oid}`);
  }
  const actual = digestParts(s.digest, content);
  if (!Buffer.from(actual).equals(Buffer.from(s.messageDigest!))) {
    return failed(
      'MESSAGE_DIGEST',
      'HASH_FAILURE',
      `Dữ liệu đã bị thay đổi sau khi ký: giá trị băm ${s.digest} của dữ liệu không khớp với giá trị trong chữ ký`,
      `The signed data was changed after signing: its ${s.digest} digest does not match the signature's message-digest`,
    );
  }
  return passed('MESSAGE_DIGEST', `Dữ liệu toàn vẹn: giá trị băm ${s.digest} khớp với giá trị trong chữ ký`, `Data intact: the ${s.digest} digest matches the signature's message-digest`);
}

function padesAttributesCheck(cms: ParsedCms): Check {
  const s = cms.signer;
  const p: Message[] = [];
  if (!s.signedAttributesDer) p.push({ vi: 'không có thuộc tính ký', en: 'no signed attributes' });
  if (s.hasSigningTime) p.push({ vi: 'có thuộc tính signing-time (PAdES dùng /M của từ điển chữ ký)', en: 'signing-time attribute present (PAdES uses the signature dictionary /M)' });
  if (s.signedAttributesDer && s.essVersion !== 2) p.push({ vi: 'không có signing-certificate-v2', en: 'no signing-certificate-v2' });
  if (p.length) {
    return failed(
      'PADES_ATTRIBUTES',
      'FORMAT_FAILURE',
      `Chữ ký không theo PAdES baseline (là chữ ký PKCS#7/CMS thông thường): ${p.map((x) => x.vi).join('; ')}`,
      `Not a PAdES baseline signature (plain PKCS#7/CMS): ${p.map((x) => x.en).join('; ')}`,
    );
  }
  return passed('PADES_ATTRIBUTES', 'Thuộc tính ký đúng PAdES baseline (content-type, message-digest, signing-certificate-v2, không có signing-time)', 'Signed attributes follow PAdES baseline');
}


async function validateSignature(input: CmsValidationInput, ctx: ValidationContext): Promise<CmsValidationResult> {
  const validationTime = ctx.at ?? new Date();
  const checks = new CheckSet(CMS_CHECK_IDS);
  let cms: ParsedCms;
  try {
    cms = parseCms(input.cms);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    checks.set(failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Dữ liệu chữ ký (CMS) không đọc được: ${m}`, `The signature (CMS) cannot be read: ${m}`));
    return {
      checks: checks.list({ vi: 'dữ liệu chữ ký không đọc được', en: 'unreadable signature data' }),
      signingTimeUsed: input.claimedSigningTime ?? validationTime,
      level: 'B-B',
      hasSigningTimeAttribute: false,
    };
  }
  const s = cms.signer;
  const claimed = input.claimedSigningTime ?? s.signingTime;
  const base = { hasSigningTimeAttribute: s.hasSigningTime, algorithm: algorithmDescription(cms, undefined) };
  const structure = structureProblems(cms);
  if (structure.length) {
    checks.set(failed('CMS_STRUCTURE', 'FORMAT_FAILURE', `Cấu trúc chữ ký không hợp lệ: ${structure.map((p) => p.vi).join('; ')}`, `Invalid signature structure: ${structure.map((p) => p.en).join('; ')}`));
    return { ...base, checks: checks.list({ vi: 'cấu trúc chữ ký không hợp lệ', en: 'invalid signature structure' }), signingTimeUsed: claimed ?? validationTime, level: 'B-B' };
  }
  checks.set(passed('CMS_STRUCTURE', 'Cấu trúc chữ ký CMS hợp lệ (SignedData tách rời, một người ký)', 'Well-formed CMS (detached SignedData, one signer)'));
  checks.set(padesAttributesCheck(cms));
  checks.set(messageDigestCheck(cms, input.signedContent));

  const { env, cmsCerts } = environment(ctx, cms, input.embedded ?? EMPTY);
  const cert = findSignerCertificate(cms, env.pool, cmsCerts);
  checks.set(signingCertificateFoundCheck(cms, cert));

  // Timestamps do not depend on the signing certificate; start them now.
  const tokens = s.signatureTimestamps;
  const tsPromise = Promise.all(tokens.map((t) => validateTimestampToken(t, [s.signature], env, { poe: input.archivePoe })));
  tsPromise.catch(() => undefined); // awaited below; never an unhandled rejection if we fail before that

  let chainResult: ChainResult | undefined;
  if (cert) {
    checks.set(signingCertificateReferenceCheck(cms, cert));
    checks.set(signatureValueCheck(cms, cert, input.signedContent));
    checks.set(keyUsageCheck(cert, 'signing'));
    chainResult = await buildSignerChain(cert, env);
    checks.set(chainCheck(chainResult));
  }
  checks.set(algorithmsCheck(cms, cert, chainResult?.chain ?? [], chainResult?.found === true, ctx.algorithms));

  const tsResults = await tsPromise;
  let tsBest: TimestampValidation | undefined;
  if (tsResults.length === 0) {
    checks.set(info('TIMESTAMP', 'Chữ ký không có dấu thời gian', 'The signature has no timestamp'));
  } else {
    const t = timestampCheck(tsResults);
    tsBest = t.best;
    checks.set(t.check);
  }
  // The earliest proof: the signature's own timestamp, or a later timestamp over the document (archive).
  const poe = earliest(tsBest?.genTime, input.archivePoe);
  const times = timesFor(poe, claimed, validationTime);
  checks.set(signingTimeCheck(poe, claimed, validationTime));

  let revocations: CertRevocation[] = [];
  if (cert && chainResult) {
    const status = await certificateStatusChecks(chainResult, times, env);
    status.checks.forEach((c) => checks.set(c));
    revocations = status.revocations;
  }

  // B-T: a proof of existence (signature timestamp, or a document timestamp over it, EN 319 142-1 §6.3);
  // B-LT: besides, the chain and revocation data of the signer and of the signature timestamp are embedded.
  const level: CmsValidationResult['level'] = poe
    ? chainResult?.found && allEmbedded(chainResult.chain, revocations) && (!tsBest || tsBest.embeddedOnly)
      ? 'B-LT'
      : 'B-T'
    : 'B-B';
  const timestamp = timestampReport(tsBest ?? tsResults.find((r) => r.genTime));
  return {
    checks: checks.list({ vi: 'không tìm thấy chứng thư ký', en: 'signing certificate not found' }),
    ...(cert ? { signer: signerReport(cert), signingCertificate: cert.der, algorithm: algorithmDescription(cms, cert) } : { algorithm: base.algorithm }),
    ...(chainResult ? { chain: chainResult.chain.map((e) => e.cert.der) } : {}),
    ...(timestamp ? { timestamp } : {}),
    ...(poe ? { proofOfExistence: poe } : {}),
    signingTimeUsed: times.used,
    level,
    hasSigningTimeAttribute: s.hasSigningTime,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Document timestamps (PAdES ETSI.RFC3161)

async function validateDocumentTimestamp(input: CmsValidationInput, ctx: ValidationContext): Promise<CmsValidationResult> {
  const validationTime = ctx.at ?? new Date();
  let cms: ParsedCms | undefined;
  try {
    cms = parseCms(input.cms);
  } catch {
    cms = undefined; // validateTimestampToken reports the structure failure
  }
  const { env } = environment(ctx, cms, input.embedded ?? EMPTY);
  const v = await validateTimestampToken(input.cms, input.signedContent, env, { poe: input.archivePoe });
  const checks = new CheckSet(CMS_CHECK_IDS);
  for (const c of v.checks) checks.set(c);
  checks.set(info('PADES_ATTRIBUTES', 'Không áp dụng cho dấu thời gian tài liệu', 'Not applicable to a document timestamp'));
  if (v.valid) {
    checks.set(passed('SIGNING_TIME', `Thời điểm của dấu thời gian tài liệu: ${isoCached(v.genTime!)}`, `Document timestamp time: ${isoCached(v.genTime!)}`));
    const tsa = v.tsa!.subjectFields.commonName ?? v.tsa!.subject;
    checks.set(passed('TIMESTAMP', `Dấu thời gian tài liệu hợp lệ: ${isoCached(v.genTime!)}, do "${tsa}" cấp`, `Valid document timestamp: ${isoCached(v.genTime!)} by "${v.tsa!.subject}"`));
  } else {
    const f = v.failure!;
    checks.set(
      v.genTime
        ? warning('SIGNING_TIME', `Thời điểm ghi trong dấu thời gian (${isoCached(v.genTime)}) không được chứng thực vì dấu thời gian không hợp lệ`, `The token time ${isoCached(v.genTime)} is not proven: the token is invalid`)
        : notRun('SIGNING_TIME', { vi: 'dấu thời gian không đọc được', en: 'unreadable token' }),
    );
    checks.set(failed('TIMESTAMP', f.subIndication!, `Dấu thời gian tài liệu không hợp lệ: ${f.message.vi}`, `Invalid document timestamp: ${f.message.en}`));
  }
  const timestamp = timestampReport(v);
  return {
    checks: checks.list({ vi: 'bước kiểm tra trước đó thất bại', en: 'an earlier step failed' }),
    ...(v.tsa ? { signer: signerReport(v.tsa), signingCertificate: v.tsa.der } : {}),
    ...(v.chain ? { chain: v.chain.map((e) => e.cert.der) } : {}),
    ...(timestamp ? { timestamp } : {}),
    ...(v.valid ? { proofOfExistence: v.genTime! } : {}),
    signingTimeUsed: v.genTime ?? validationTime,
    level: v.valid ? (v.embeddedOnly ? 'B-LT' : 'B-T') : 'B-B',
    // The signing-time attribute is normal in RFC 3161 tokens; the PAdES baseline rule is about signatures.
    hasSigningTimeAttribute: false,
    ...(v.algorithm ? { algorithm: v.algorithm } : {}),
  };
}

