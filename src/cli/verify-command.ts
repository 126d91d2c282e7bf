// `kyso verify FILE|DIR`: validates the signatures of a PDF (or of every *.pdf in a directory) and prints the
// outcome as Thông tư 15/2025 Art. 6(4) asks — Hợp lệ / Không hợp lệ / Chưa xác định được hiệu lực and the seven
// fields, Vietnamese first, then English — or the JSON report with --json.
//
// Exit codes (issue 3): 0 every signature TOTAL_PASSED · 1 any TOTAL_FAILED · 2 otherwise INDETERMINATE ·
// 3 no signature, or unreadable input. Over a directory the worst file decides, in the order 1 > 2 > 3 > 0.
// (Wrong arguments also exit 2, with an error message on stderr, as for every kyso command.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { isKysoError, KysoError, type ErrorCode } from '../errors.ts';
import { formatSigningTime } from '../util/vn-time.ts';
import type { VerifyOptions } from '../verify/pdf/pdf-validator.ts';
import type { Check, Indication, SignatureLevel, SignatureReport, ValidationReport } from '../verify/report.ts';

export const VERIFY_EXIT = { PASSED: 0, FAILED: 1, INDETERMINATE: 2, NO_SIGNATURE_OR_UNREADABLE: 3 } as const;

/** Where a command that decides its own exit status leaves it for main(). */
export interface CommandResult {
  exitCode?: number;
}

interface VerifyCliOptions {
  json?: boolean;
  trust: string[];
  policy?: string;
  at?: string;
  offline?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const SHOW = 'dd/MM/yyyy HH:mm:ss XXX';
const show = (iso: string | undefined) => (iso ? formatSigningTime(new Date(iso), SHOW) : '—');

const LABEL_VI: Record<Indication, string> = {
  TOTAL_PASSED: 'Hợp lệ',
  TOTAL_FAILED: 'Không hợp lệ',
  INDETERMINATE: 'Chưa xác định được hiệu lực',
};
const LABEL_EN: Record<Indication, string> = {
  TOTAL_PASSED: 'Valid',
  TOTAL_FAILED: 'Invalid',
  INDETERMINATE: 'Validity could not be determined',
};

/** What each baseline level means for the reader (long-term validation, issue 7). */
const LEVEL_VI: Record<SignatureLevel, string> = {
  'B-B': ' (không có bằng chứng thời điểm ký)',
  'B-T': ' (có dấu thời gian chứng minh thời điểm ký)',
  'B-LT': ' (kèm dữ liệu kiểm tra: chuỗi chứng thư, OCSP/CRL — kiểm tra được khi không có mạng)',
  'B-LTA': ' (kèm dữ liệu kiểm tra và dấu thời gian lưu trữ — kiểm tra được lâu dài)',
};
const LEVEL_EN: Record<SignatureLevel, string> = {
  'B-B': ' (no proof of the signing time)',
  'B-T': ' (a timestamp proves the signing time)',
  'B-LT': ' (validation data embedded: chains, OCSP/CRL — verifiable offline)',
  'B-LTA': ' (validation data and an archive timestamp — verifiable long term)',
};

/** ISO 8601 date-time with an offset, or a date alone (midnight in Vietnam). */
export function parseValidationTime(v: string): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ok = dateOnly || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v);
  const d = new Date(dateOnly ? `${v}T00:00:00+07:00` : v);
  if (!ok || Number.isNaN(d.getTime())) {
    throw new KysoError(
      'INVALID_ARGUMENT',
      `--at phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-03-12T10:15:30+07:00 (hoặc ngày 2026-03-12): "${v}"`,
      `--at must be an ISO 8601 time with an offset, e.g. 2026-03-12T10:15:30+07:00 (or a date 2026-03-12): "${v}"`,
    );
  }
  return d;
}

/** The exit code one report implies. */
export function exitCodeOfReport(r: ValidationReport): number {
  if (r.signatures.length === 0) return VERIFY_EXIT.NO_SIGNATURE_OR_UNREADABLE;
  if (r.indication === 'TOTAL_PASSED') return VERIFY_EXIT.PASSED;
  return r.indication === 'TOTAL_FAILED' ? VERIFY_EXIT.FAILED : VERIFY_EXIT.INDETERMINATE;
}

const SEVERITY: Record<number, number> = { 0: 0, 3: 1, 2: 2, 1: 3 };
/** The worse of two exit codes: 1 (failed) > 2 (indeterminate) > 3 (no signature / unreadable) > 0. */
export const worseExit = (a: number, b: number) => ((SEVERITY[b] ?? 0) > (SEVERITY[a] ?? 0) ? b : a);

/** Errors that mean "this input cannot be verified" (exit 3) rather than a fault of kyso or of the arguments. */
const UNREADABLE: ReadonlySet<ErrorCode> = new Set(['NOT_A_PDF', 'PDF_MALFORMED', 'PDF_ENCRYPTED', 'PDF_UNSUPPORTED', 'IO', 'UNSUPPORTED_FORMAT', 'XML_MALFORMED', 'XML_DOCTYPE', 'EDXML_INVALID']);

// ---- human-readable output -----------------------------------------------------------------------------

const byStatus = (checks: Check[], status: Check['status']) => checks.filter((c) => c.status === status);
const MAX_CHANGES = 20;

/** Disallowed changes one per line (up to MAX_CHANGES); allowed ones counted per whitelist rule on one line. */
function changeLines(s: SignatureReport, lang: 'vi' | 'en'): string[] {
  const out: string[] = [];
  const bad = s.modifications.changes.filter((c) => c.verdict === 'DISALLOWED');
  const ok = s.modifications.changes.filter((c) => c.verdict === 'ALLOWED');
  for (const c of bad.slice(0, MAX_CHANGES)) {
    out.push(lang === 'vi' ? `    ✗ không được phép: ${c.what} (đối tượng ${c.object}, phiên bản ${c.revision}) — ${c.rule}` : `    ✗ not allowed: ${c.what} (object ${c.object}, revision ${c.revision}) — ${c.rule}`);
  }
  if (bad.length > MAX_CHANGES) out.push(lang === 'vi' ? `    … và ${bad.length - MAX_CHANGES} thay đổi khác (xem --json)` : `    … and ${bad.length - MAX_CHANGES} more (see --json)`);
  if (ok.length > 0) {
    const rules = new Map<string, number>();
    for (const c of ok) rules.set(c.rule, (rules.get(c.rule) ?? 0) + 1);
    const list = [...rules].map(([r, k]) => (k > 1 ? `${r} ×${k}` : r)).join(', ');
    out.push(lang === 'vi' ? `    ✓ được phép: ${ok.length} thay đổi (${list})` : `    ✓ allowed: ${ok.length} change${ok.length > 1 ? 's' : ''} (${list})`);
  }
  return out;
}

function signatureVi(s: SignatureReport, i: number, n: number): string[] {
  const m = s.summary;
  const kind = s.kind === 'document-timestamp' ? 'Dấu thời gian tài liệu' : 'Chữ ký';
  const out = [`${kind} ${i + 1}/${n} «${s.id}» (${s.format}): ${LABEL_VI[s.indication]}`];
  // The outcome with its reason (for a valid signature the heading already says it).
  if (m.result !== LABEL_VI[s.indication]) out.push(`  Kết quả: ${m.result}`);
  if (s.level) out.push(`  Mức chữ ký: ${s.level}${LEVEL_VI[s.level]}`);
  out.push(
    `  1. Tổ chức cung cấp dịch vụ chứng thực chữ ký số: ${m.issuer}`,
    `  2. Thông tin người ký: ${m.signer}`,
    `  3. Đơn vị quản lý chứng thư chữ ký số: ${m.certificateManager}`,
    `  4. Thời gian ký: ${m.signingTime}`,
    `     Dấu thời gian: ${m.timestamp ?? 'Không có'}`,
    `  5. Tính toàn vẹn của thông điệp dữ liệu: ${m.integrity}`,
    `  6. Hiệu lực của chữ ký số tại thời điểm ký: ${m.validAtSigningTime}`,
    `  7. Thời hạn hiệu lực của chứng thư: ${m.certificateValidity}`,
  );
  const mods = s.modifications;
  const modVi = { NONE: 'không có', ALLOWED: 'chỉ có thay đổi được phép', DISALLOWED: 'CÓ THAY ĐỔI KHÔNG ĐƯỢC PHÉP' }[mods.level];
  out.push(`  Thay đổi sau khi ký: ${modVi}`);
  out.push(...changeLines(s, 'vi'));
  for (const c of byStatus(s.checks, 'FAILED')) out.push(`  ✗ Không đạt [${c.id}${c.subIndication ? ` → ${c.subIndication}` : ''}]: ${c.message.vi}`);
  for (const c of byStatus(s.checks, 'WARNING')) out.push(`  ! Cảnh báo [${c.id}]: ${c.message.vi}`);
  return out;
}

function signatureEn(s: SignatureReport, i: number, n: number): string[] {
  const kind = s.kind === 'document-timestamp' ? 'Document timestamp' : 'Signature';
  const sub = s.subIndication ? ` / ${s.subIndication}` : '';
  const signer = s.signer
    ? [s.signer.commonName, s.signer.title, s.signer.organization].filter(Boolean).join(' — ') + (s.signer.serialNumber ? ` (${s.signer.serialNumber})` : '')
    : 'unknown';
  const out = [
    `${kind} ${i + 1}/${n} "${s.id}" (${s.format}): ${LABEL_EN[s.indication]} (${s.indication}${sub})`,
    `  Signer: ${signer}`,
    `  Issuer: ${s.signer?.issuer ?? 'unknown'}`,
    `  Claimed signing time: ${show(s.signingTime)}`,
    `  Timestamp: ${s.timestamp ? `${show(s.timestamp.time)} by ${s.timestamp.tsa}${s.timestamp.valid ? '' : ' (INVALID)'}` : 'none'}`,
    `  Certificate validity: ${s.signer ? `${show(s.signer.notBefore)} to ${show(s.signer.notAfter)}` : 'unknown'}`,
    `  Coverage: ${s.coverage}; changes after signing: ${s.modifications.level}`,
    ...(s.level ? [`  Level: ${s.level}${LEVEL_EN[s.level]}`] : []),
  ];
  out.push(...changeLines(s, 'en'));
  for (const c of byStatus(s.checks, 'FAILED')) out.push(`  ✗ Failed [${c.id}${c.subIndication ? ` → ${c.subIndication}` : ''}]: ${c.message.en}`);
  for (const c of byStatus(s.checks, 'WARNING')) out.push(`  ! Warning [${c.id}]: ${c.message.en}`);
  return out;
}

export function formatReport(r: ValidationReport, file: string): string {
  const n = r.signatures.length;
  const lines = [
    `Tệp / File: ${file}`,
    `  ${r.document.size} byte / bytes · ${r.document.revisions} phiên bản / revisions · SHA-256 ${r.document.sha256}`,
    `  Thời điểm kiểm tra / Validation time: ${show(r.validationTime)} · Chính sách / Policy: ${r.policy}`,
    '',
  ];
  if (n === 0) {
    lines.push('Kết quả: Không có chữ ký số trong tệp — không có gì để xác nhận.', 'Result: the file has no digital signature — nothing to validate.');
    return `${lines.join('\n')}\n`;
  }
  r.signatures.forEach((s, i) => {
    lines.push(...signatureVi(s, i, n), ...signatureEn(s, i, n), '');
  });
  for (const a of r.attachments ?? []) {
    // An edXML package's files, each verified on its own (Decree 30 Art. 21).
    lines.push(`Tệp đính kèm / Attachment «${a.name}» (${a.contentType}, SHA-256 ${a.sha256.slice(0, 16)}…):`);
    if (a.report) lines.push(...formatReport(a.report, a.name).trimEnd().split('\n').map((l) => `  │ ${l}`), '');
    else lines.push(`  ${a.problem?.vi ?? ''}`, `  ${a.problem?.en ?? ''}`, '');
  }
  lines.push(`Kết quả chung: ${r.summary.vi}`, `Overall result: ${LABEL_EN[r.indication]} — ${r.summary.en}`);
  return `${lines.join('\n')}\n`;
}

// ---- one file, a directory -----------------------------------------------------------------------------

type Outcome = { file: string; exitCode: number } & ({ report: ValidationReport } | { error: { code: string; message: { vi: string; en: string } } });

async function verifyFile(path: string, opts: VerifyOptions): Promise<Outcome> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được tệp ${path}`, `Cannot read ${path}`, { cause: e });
  }
  // Loaded on first use, so that other kyso commands do not pay for the validator's modules.
  const { verifyDocument } = await import('../exchange/verify-document.ts');
  const report = await verifyDocument(bytes, { ...opts, name: basename(path) });
  return { file: path, exitCode: exitCodeOfReport(report), report };
}

/** verifyFile, with unreadable input (and, in a batch, anything else going wrong with one file) as an outcome. */
async function verifyFileCaught(path: string, opts: VerifyOptions, batch: boolean): Promise<Outcome> {
  try {
    return await verifyFile(path, opts);
  } catch (e) {
    if (isKysoError(e) && UNREADABLE.has(e.code)) {
      return { file: path, exitCode: VERIFY_EXIT.NO_SIGNATURE_OR_UNREADABLE, error: { code: e.code, message: { vi: e.vi, en: e.en } } };
    }
    if (!batch) throw e;
    const msg = (e as Error)?.message ?? String(e);
    return {
      file: path,
      exitCode: VERIFY_EXIT.NO_SIGNATURE_OR_UNREADABLE,
      error: { code: isKysoError(e) ? e.code : 'INTERNAL', message: { vi: `Lỗi khi kiểm tra: ${msg}`, en: `Error while verifying: ${msg}` } },
    };
  }
}

function outcomeLabel(o: Outcome): { vi: string; en: string } {
  if ('error' in o) return { vi: 'Không đọc được', en: 'Unreadable' };
  if (o.report.signatures.length === 0) return { vi: 'Không có chữ ký', en: 'No signature' };
  return { vi: LABEL_VI[o.report.indication], en: o.report.indication };
}

function outcomeNote(o: Outcome): string {
  if ('error' in o) return `${o.error.code}: ${o.error.message.vi}`;
  const r = o.report;
  if (r.signatures.length === 0) return '';
  const bad = r.signatures.find((s) => s.indication !== 'TOTAL_PASSED');
  const passed = r.signatures.filter((s) => s.indication === 'TOTAL_PASSED').length;
  const head = `${passed}/${r.signatures.length} hợp lệ/passed`;
  return bad ? `${head}; «${bad.id}»: ${bad.subIndication ?? bad.indication}` : head;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(widths[c]! - [...cell].length))).join('  ').trimEnd()).join('\n');
}

class Progress {
  private readonly tty = process.stderr.isTTY === true;
  constructor(private readonly total: number) {}

  step(done: number, file: string, o?: Outcome): void {
    const name = basename(file);
    if (this.tty) this.draw(done, name);
    else if (o) {
      const l = outcomeLabel(o);
      process.stderr.write(`[${done}/${this.total}] ${name}: ${l.vi} / ${l.en}\n`);
    }
  }

  private draw(done: number, name: string): void {
    const width = 30;
    const full = Math.round((done / this.total) * width);
    const cols = process.stderr.columns ?? 80;
    const line = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${done}/${this.total} ${name}`;
    process.stderr.write(`\r\x1b[K${[...line].slice(0, cols - 1).join('')}`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}

async function verifyDirectory(dir: string, opts: VerifyOptions, json: boolean): Promise<number> {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((d) => /\.(pdf|xml|edxml)$/i.test(d.name) && (d.isFile() || (d.isSymbolicLink() && statSync(join(dir, d.name), { throwIfNoEntry: false })?.isFile())))
    .map((d) => join(dir, d.name))
    .sort((a, b) => a.localeCompare(b));
  process.stderr.write(
    `Kiểm tra ${files.length} tệp *.pdf/*.xml trong ${dir} (không duyệt thư mục con)\nVerifying ${files.length} *.pdf/*.xml file(s) in ${dir} (subdirectories are not searched)\n`,
  );
  if (files.length === 0) {
    process.stderr.write('Không có tệp PDF nào để kiểm tra. / No PDF file to verify.\n');
    if (json) process.stdout.write(`${JSON.stringify({ directory: dir, files: [], counts: {}, exitCode: VERIFY_EXIT.NO_SIGNATURE_OR_UNREADABLE }, null, 2)}\n`);
    return VERIFY_EXIT.NO_SIGNATURE_OR_UNREADABLE;
  }

  const progress = new Progress(files.length);
  const outcomes: Outcome[] = [];
  let exit: number = VERIFY_EXIT.PASSED;
  for (const [i, f] of files.entries()) {
    progress.step(i, f);
    const o = await verifyFileCaught(f, opts, true);
    outcomes.push(o);
    exit = worseExit(exit, o.exitCode);
    progress.step(i + 1, f, o);
  }
  progress.end();

  const counts = { TOTAL_PASSED: 0, TOTAL_FAILED: 0, INDETERMINATE: 0, NO_SIGNATURE: 0, UNREADABLE: 0 };
  for (const o of outcomes) {
    if ('error' in o) counts.UNREADABLE++;
    else if (o.report.signatures.length === 0) counts.NO_SIGNATURE++;
    else counts[o.report.indication]++;
  }

  if (json) {
    process.stdout.write(`${JSON.stringify({ directory: dir, files: outcomes, counts, exitCode: exit }, null, 2)}\n`);
    return exit;
  }
  const rows = [['#', 'Tệp / File', 'Kết quả / Result', 'Ghi chú / Note']];
  outcomes.forEach((o, i) => {
    const l = outcomeLabel(o);
    rows.push([String(i + 1), basename(o.file), `${l.vi} / ${l.en}`, outcomeNote(o)]);
  });
  const sum: [string, string, number][] = [
    ['Hợp lệ', 'TOTAL_PASSED', counts.TOTAL_PASSED],
    ['Không hợp lệ', 'TOTAL_FAILED', counts.TOTAL_FAILED],
    ['Chưa xác định được hiệu lực', 'INDETERMINATE', counts.INDETERMINATE],
    ['Không có chữ ký', 'no signature', counts.NO_SIGNATURE],
    ['Không đọc được', 'unreadable', counts.UNREADABLE],
  ];
  process.stdout.write(
    [
      table(rows),
      '',
      `Tổng hợp / Summary — ${files.length} tệp / files (${dir}):`,
      table([['Kết quả / Result', 'Số tệp / Files'], ...sum.map(([vi, en, n]) => [`${vi} / ${en}`, String(n)])]),
      `Mã thoát / Exit code: ${exit}`,
      '',
    ].join('\n'),
  );
  return exit;
}

export function registerVerifyCommand(program: Command, result: CommandResult): void {
  program
    .command('verify')
    .description(
      'Kiểm tra chữ ký số trong tệp PDF/XML (gói tin edXML cùng tệp đính kèm), hoặc mọi tệp *.pdf, *.xml trong một thư mục (verify the signatures of a PDF or XML file, edXML packages with their attachments, or of every *.pdf/*.xml in a directory). ' +
        'Mã thoát / exit: 0 hợp lệ / all passed · 1 không hợp lệ / any failed · 2 chưa xác định / indeterminate · 3 không có chữ ký hoặc không đọc được / no signature or unreadable',
    )
    .argument('<path>', 'tệp PDF hoặc thư mục (PDF file or directory; not recursive)')
    .option('--json', 'in báo cáo JSON (print the JSON report)')
    .option('--trust <pem|dir>', 'chứng thư gốc tin cậy, lặp lại được; mặc định: trust/production/, nếu trống thì gốc thử nghiệm (trusted root PEM file or directory, repeatable; default: trust/production/ or $KYSO_TRUST_DIR, else the demo root)', collect, [])
    .option('--policy <file>', 'tệp chính sách kiểm tra JSON (validation policy JSON; default: government-strict)')
    .option('--at <iso>', 'thời điểm kiểm tra, ISO 8601 (validation time, e.g. 2026-03-12T10:15:30+07:00; default now)')
    .option('--offline', 'không truy cập OCSP/CRL/AIA trên mạng, chỉ dùng dữ liệu trong tệp (no network; embedded data only)')
    .action(async (path: string, o: VerifyCliOptions) => {
      const at = o.at !== undefined ? parseValidationTime(o.at) : undefined;
      const [{ defaultPolicy, loadPolicy }, { TrustStore }] = await Promise.all([import('../verify/policy.ts'), import('../verify/trust-store.ts')]);
      const policy = o.policy ? loadPolicy(resolve(o.policy)) : defaultPolicy();
      const trust = o.trust.length > 0 ? TrustStore.fromPaths(o.trust.map((p) => resolve(p))) : TrustStore.default();
      if (trust.mode === 'demo') {
        process.stderr.write(
          'Lưu ý: dùng kho tin cậy THỬ NGHIỆM (chỉ gốc "Test NEAC Root" của certs-test); gốc thật: trust/production/ hoặc --trust.\n' +
            'Note: using the DEMO trust store (only the certs-test root "Test NEAC Root"); real roots: trust/production/ or --trust.\n',
        );
      }
      const opts: VerifyOptions = { trust, policy, at, offline: o.offline };
      const target = resolve(path);
      let isDir = false;
      try {
        isDir = statSync(target).isDirectory();
      } catch (e) {
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ file: target, error: { code: 'IO', message: { vi: `Không tìm thấy ${path}`, en: `Not found: ${path}` } } }, null, 2)}\n`);
        }
        throw new KysoError('IO', `Không tìm thấy tệp hoặc thư mục ${path}`, `No such file or directory: ${path}`, { cause: e });
      }
      if (isDir) {
        result.exitCode = await verifyDirectory(target, opts, o.json === true);
        return;
      }
      const outcome = await verifyFileCaught(target, opts, false);
      if ('error' in outcome) {
        if (o.json) process.stdout.write(`${JSON.stringify({ file: target, error: outcome.error }, null, 2)}\n`);
        process.stderr.write(`Lỗi [${outcome.error.code}]: ${outcome.error.message.vi}\nError [${outcome.error.code}]: ${outcome.error.message.en}\n`);
      } else if (o.json) {
        process.stdout.write(`${JSON.stringify(outcome.report, null, 2)}\n`);
      } else {
        process.stdout.write(formatReport(outcome.report, path));
      }
      result.exitCode = outcome.exitCode;
    });
}
