// The Vietnamese summary Thông tư 15/2025 Art. 6(4) requires a verifier to show: the outcome (Hợp lệ /
// Không hợp lệ; INDETERMINATE is never shown as valid) and seven fields (vietnam-signing-law.md §6).
import { formatSigningTime } from '../util/vn-time.ts';
import type { Check, Indication, Message, SignatureReport, SignerReport, Tt15Summary } from './report.ts';

const SHOW = 'dd/MM/yyyy HH:mm:ss XXX';
const show = (iso: string | undefined): string | undefined => (iso ? formatSigningTime(new Date(iso), SHOW) : undefined);

export const OUTCOME_VI: Record<Indication, string> = {
  TOTAL_PASSED: 'Hợp lệ',
  TOTAL_FAILED: 'Không hợp lệ',
  INDETERMINATE: 'Chưa xác định được hiệu lực',
};

function issuerName(issuer: string | undefined): string {
  if (!issuer) return 'Không xác định';
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(issuer)?.[1];
  const o = /(?:^|,\s*)O=([^,]+)/.exec(issuer)?.[1];
  return cn && o ? `${cn} (${o})` : (cn ?? o ?? issuer);
}

function signerText(s: SignerReport | undefined): string {
  if (!s) return 'Không xác định được người ký';
  const parts = [s.commonName, s.title, s.organization].filter(Boolean);
  return parts.join(' — ') + (s.serialNumber ? ` (mã định danh: ${s.serialNumber})` : '');
}

function failedOf(checks: Check[], ...ids: Check['id'][]): Check | undefined {
  return checks.find((c) => ids.includes(c.id) && c.status === 'FAILED');
}

type SummaryInput = Pick<SignatureReport, 'indication' | 'signer' | 'signingTime' | 'timestamp' | 'checks' | 'modifications' | 'kind'>;

export function tt15Summary(r: SummaryInput): Tt15Summary {
  const integrityFail = failedOf(r.checks, 'MESSAGE_DIGEST', 'SIGNATURE_VALUE', 'BYTE_RANGE', 'CONTENTS_GAP', 'COVERAGE', 'MODIFICATIONS', 'DOC_MDP', 'CMS_STRUCTURE');
  const certFail = failedOf(r.checks, 'CERTIFICATE_CHAIN', 'CERTIFICATE_VALIDITY', 'REVOCATION', 'KEY_USAGE', 'SIGNING_CERTIFICATE_FOUND');
  const firstProblem = r.checks.find((c) => c.status === 'FAILED');
  const result =
    r.indication === 'TOTAL_PASSED'
      ? OUTCOME_VI.TOTAL_PASSED
      : `${OUTCOME_VI[r.indication]}${firstProblem ? `: ${firstProblem.message.vi}` : ''}`;
  const issuer = issuerName(r.signer?.issuer);
  return {
    issuer,
    signer: signerText(r.signer),
    certificateManager: /(?:^|,\s*)O=([^,]+)/.exec(r.signer?.issuer ?? '')?.[1] ?? issuer,
    signingTime: show(r.signingTime) ?? 'Không có',
    timestamp: r.timestamp ? `${show(r.timestamp.time)} — ${r.timestamp.tsa}${r.timestamp.valid ? '' : ' (không hợp lệ)'}` : undefined,
    integrity: integrityFail
      ? `Không toàn vẹn: ${integrityFail.message.vi}`
      : r.modifications.level === 'ALLOWED'
        ? 'Toàn vẹn; sau khi ký chỉ có các thay đổi được phép (thêm chữ ký, dữ liệu xác thực)'
        : 'Toàn vẹn; nội dung không bị thay đổi sau khi ký',
    validAtSigningTime: certFail
      ? `Không xác nhận được: ${certFail.message.vi}`
      : 'Chứng thư số còn hiệu lực, chưa bị thu hồi và chuỗi tin cậy hợp lệ tại thời điểm ký',
    certificateValidity: r.signer ? `Từ ${show(r.signer.notBefore)} đến ${show(r.signer.notAfter)}` : 'Không xác định',
    result,
  };
}

/**
 * The one-line verdict over a document's signatures ("Hợp lệ (2 chữ ký: 2 hợp lệ)"); `none` is what to say
 * when the document has no signature at all.
 */
export function documentSummary(none: Message, reports: readonly { indication: Indication }[], overall: Indication): Message {
  const n = reports.length;
  if (n === 0) return none;
  const passed = reports.filter((r) => r.indication === 'TOTAL_PASSED').length;
  return {
    vi: `${OUTCOME_VI[overall]} (${n} chữ ký: ${passed} hợp lệ)`,
    en: `${overall} (${n} signature${n > 1 ? 's' : ''}: ${passed} passed)`,
  };
}
