// PDF signature validation: structure (pdf-signatures.ts), coverage and difference analysis (diff-analysis.ts),
// the CMS itself (cms-validator.ts, format independent), then policy and the report. Fails closed: a structural
// doubt, an unexplained change or an undetermined status never yields TOTAL_PASSED.
import { createHash } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { PdfReader } from '../../pdf/reader.ts';
import { isoVn } from '../../util/vn-time.ts';
import { applyPolicy, overallIndication } from '../apply-policy.ts';
import type { CmsValidationResult, EmbeddedValidationData } from '../cms-validation.ts';
import { validateCms } from '../cms-validator.ts';
import { defaultPolicy } from '../policy.ts';
import { validationContext, type VerifyOptions } from '../verify-options.ts';
import type { Change, Check, Coverage, ModificationLevel, SignatureLevel, SignatureReport, ValidationReport } from '../report.ts';
import { documentSummary, tt15Summary } from '../tt15-summary.ts';
import { ModificationAnalyzer } from './diff-analysis.ts';
import { readDss } from './dss.ts';
import { locateSignatures, type PdfSignature } from './pdf-signatures.ts';

export type { VerifyOptions } from '../verify-options.ts';

const check = (id: Check['id'], ok: boolean, vi: string, en: string, sub: Check['subIndication'] = 'FORMAT_FAILURE'): Check =>
  ok ? { id, status: 'PASSED', message: { vi, en } } : { id, status: 'FAILED', subIndication: sub, message: { vi, en } };

function coverageOf(sig: PdfSignature, size: number, revisionEnds: number[][]): Coverage {
  if (!sig.byteRange) return 'UNCLEAR';
  const end = sig.byteRange[2] + sig.byteRange[3];
  if (end === size) return 'ENTIRE_FILE';
  return revisionEnds.some((ends) => ends.includes(end)) ? 'ENTIRE_REVISION' : 'PARTIAL';
}

function coverageCheck(c: Coverage): Check {
  switch (c) {
    case 'ENTIRE_FILE':
      return check('COVERAGE', true, 'Chữ ký bao phủ toàn bộ tệp', 'The signature covers the entire file');
    case 'ENTIRE_REVISION':
      return check('COVERAGE', true, 'Chữ ký bao phủ trọn một phiên bản của tệp; các phiên bản sau được phân tích bên dưới', 'The signature covers an entire revision; later revisions are analysed below');
    case 'PARTIAL':
      return check('COVERAGE', false, 'Chữ ký chỉ bao phủ một phần tệp, không khớp ranh giới phiên bản nào', 'The signature covers only part of the file, not ending at a revision boundary');
    default:
      return check('COVERAGE', false, 'Không xác định được phạm vi ký', 'The signed coverage cannot be determined');
  }
}

function formatName(sig: PdfSignature, level: SignatureLevel): string {
  if (sig.kind === 'document-timestamp') return 'PAdES-DOCUMENT-TIMESTAMP';
  return `${sig.subFilter === 'ETSI.CAdES.detached' ? 'PAdES-BASELINE' : 'PKCS7'}-${level.slice(2)}`;
}

const signedEndOf = (sig: PdfSignature): number => (sig.byteRange ? sig.byteRange[2] + sig.byteRange[3] : 0);

/** True when the file as it was at `end` has a /DSS: a document timestamp ending there archives validation data. */
function dssBefore(bytes: Uint8Array, end: number): boolean {
  try {
    const r = PdfReader.open(bytes.subarray(0, end));
    return r.catalog.has('DSS');
  } catch {
    return false;
  }
}

/**
 * Document timestamps validated newest first, each with the proof of existence the later ones give it (EN 319
 * 102-1 §5.6: a TSA certificate that has expired since is covered by the next document timestamp).
 */
async function validateDocumentTimestamps(
  bytes: Uint8Array,
  sigs: readonly PdfSignature[],
  embedded: EmbeddedValidationData,
  ctx: ReturnType<typeof validationContext>,
): Promise<Map<PdfSignature, CmsValidationResult>> {
  const out = new Map<PdfSignature, CmsValidationResult>();
  const stamps = sigs.filter((s) => s.kind === 'document-timestamp' && s.cms && s.byteRange).sort((a, b) => signedEndOf(b) - signedEndOf(a));
  for (const ts of stamps) {
    const [a, b, c, d] = ts.byteRange!;
    out.set(
      ts,
      await validateCms(
        { kind: 'document-timestamp', cms: ts.cms!, signedContent: [bytes.subarray(a, a + b), bytes.subarray(c, c + d)], embedded, archivePoe: archivePoeFor(signedEndOf(ts), out) },
        ctx,
      ),
    );
  }
  return out;
}

/** The earliest time a valid document timestamp covering more than the first `end` bytes proves. */
function archivePoeFor(end: number, stamps: ReadonlyMap<PdfSignature, CmsValidationResult>): Date | undefined {
  let best: Date | undefined;
  for (const [ts, r] of stamps) {
    if (signedEndOf(ts) <= end || !r.proofOfExistence) continue;
    if (!best || r.proofOfExistence.getTime() < best.getTime()) best = r.proofOfExistence;
  }
  return best;
}

/** B-LTA: B-LT and a valid document timestamp over a revision that holds the /DSS. */
function reachedLevel(base: CmsValidationResult['level'] | undefined, end: number, stamps: ReadonlyMap<PdfSignature, CmsValidationResult>, bytes: Uint8Array): SignatureLevel {
  const level = base ?? 'B-B';
  if (level !== 'B-LT') return level;
  for (const [ts, r] of stamps) if (signedEndOf(ts) > end && r.proofOfExistence && dssBefore(bytes, signedEndOf(ts))) return 'B-LTA';
  return level;
}

export async function verifyPdf(bytes: Uint8Array, opts: VerifyOptions = {}): Promise<ValidationReport> {
  const policy = opts.policy ?? defaultPolicy();
  const at = opts.at ?? new Date();
  const reader = PdfReader.open(bytes);
  if (reader.isEncrypted) {
    throw new KysoError('PDF_ENCRYPTED', 'Chưa hỗ trợ kiểm tra chữ ký trên tệp PDF được mã hóa', 'Validating signatures in encrypted PDFs is not supported');
  }
  // One analyzer per file: the revisions' object graphs are parsed once and shared by every signature.
  const analyzer = new ModificationAnalyzer(bytes);
  const revisions = analyzer.info.revisions;
  const revisionEnds = revisions.map((r) => [r.end, r.eofEnd]);
  const signatures = locateSignatures(reader);
  const embedded: EmbeddedValidationData = readDss(reader);
  const ctx = validationContext(opts, policy, at);
  // The first certification signature's permissions govern every change made after it.
  const certifying = signatures.find((s) => s.certification !== undefined);
  const stamps = await validateDocumentTimestamps(bytes, signatures, embedded, ctx);

  const reports: SignatureReport[] = [];
  for (const sig of signatures) {
    const raw: Check[] = [...sig.checks];
    const coverage = coverageOf(sig, bytes.length, revisionEnds);
    raw.push(coverageCheck(coverage));
    const signedEnd = sig.byteRange ? sig.byteRange[2] + sig.byteRange[3] : 0;
    const revision = Math.max(1, revisions.findIndex((r) => r.end === signedEnd || r.eofEnd === signedEnd) + 1);

    let modifications: { level: ModificationLevel; changes: Change[] } = { level: 'NONE', changes: [] };
    if (coverage === 'ENTIRE_REVISION') {
      const docMdp = certifying?.byteRange && certifying.byteRange[2] + certifying.byteRange[3] <= signedEnd ? certifying.certification : undefined;
      modifications = analyzer.analyze(signedEnd, { docMdp, signatureFieldName: sig.fieldName });
      const bad = modifications.changes.filter((c) => c.verdict === 'DISALLOWED');
      raw.push(
        check(
          'MODIFICATIONS',
          modifications.level !== 'DISALLOWED',
          modifications.level === 'DISALLOWED'
            ? `Tài liệu bị thay đổi sau khi ký theo cách không được phép: ${bad.map((c) => `${c.what} (${c.object})`).join('; ')}`
            : modifications.level === 'ALLOWED'
              ? 'Sau khi ký chỉ có các thay đổi được phép'
              : 'Không có thay đổi nào sau khi ký',
          modifications.level === 'DISALLOWED'
            ? `The document was changed after signing in ways that are not allowed: ${bad.map((c) => `${c.what} (${c.object})`).join('; ')}`
            : modifications.level === 'ALLOWED'
              ? 'Only permitted changes were made after signing'
              : 'No changes after signing',
        ),
      );
      if (docMdp !== undefined) {
        raw.push(
          check(
            'DOC_MDP',
            modifications.level !== 'DISALLOWED',
            `Tài liệu được chứng nhận với quyền P=${docMdp}; ${modifications.level === 'DISALLOWED' ? 'có thay đổi vượt quá quyền này' : 'các thay đổi nằm trong quyền cho phép'}`,
            `The document is certified with P=${docMdp}; ${modifications.level === 'DISALLOWED' ? 'changes exceed these permissions' : 'changes are within these permissions'}`,
          ),
        );
      }
    }

    let cms: CmsValidationResult | undefined;
    if (sig.cms && sig.byteRange) {
      const [a, b, c, d] = sig.byteRange;
      cms =
        stamps.get(sig) ??
        (await validateCms(
          {
            kind: sig.kind,
            cms: sig.cms,
            signedContent: [bytes.subarray(a, a + b), bytes.subarray(c, c + d)],
            claimedSigningTime: sig.claimedTime,
            embedded,
            archivePoe: archivePoeFor(signedEnd, stamps),
          },
          ctx,
        ));
      raw.push(...cms.checks);
    } else if (!raw.some((x) => x.status === 'FAILED' && x.id === 'CONTENTS_GAP')) {
      raw.push(check('CMS_STRUCTURE', false, 'Không có dữ liệu chữ ký (CMS) để kiểm tra', 'No CMS signature data to validate'));
    }

    const outcome = applyPolicy(raw, policy);
    const level = reachedLevel(cms?.level, signedEnd, stamps, bytes);
    const base = {
      id: sig.fieldName,
      kind: sig.kind,
      format: formatName(sig, level),
      level,
      indication: outcome.indication,
      subIndication: outcome.subIndication,
      signer: cms?.signer,
      signingTime: sig.claimedTime ? isoVn(sig.claimedTime) : undefined,
      timestamp: cms?.timestamp,
      coverage,
      byteRange: sig.byteRange,
      revision,
      modifications,
      certification: sig.certification !== undefined ? { permissions: sig.certification } : undefined,
      checks: outcome.checks,
    };
    reports.push({ ...base, summary: tt15Summary(base) });
  }

  const overall = overallIndication(reports);
  return {
    document: {
      format: 'PDF',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      revisions: revisions.length,
      ...(opts.name ? { name: opts.name } : {}),
    },
    indication: overall.indication,
    subIndication: overall.subIndication,
    validationTime: isoVn(at),
    policy: policy.name,
    signatures: reports,
    summary: documentSummary({ vi: 'Không tìm thấy chữ ký số trong tệp', en: 'No digital signature found in the file' }, reports, overall.indication),
  };
}
