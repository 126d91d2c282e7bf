// `kyso sign IN -o OUT ...`: PAdES signing of a PDF file. The input file is never modified: the output is
// written to a temporary file beside OUT and renamed into place only when signing succeeded.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { KysoError } from '../errors.ts';
import { CscSigner } from '../pki/keys/csc-signer.ts';
import { loadSignerFromSpec, type LoadedSigner } from '../pki/keys/signer-spec.ts';
import type { DigestAlgorithm, SignatureScheme } from '../pki/signer.ts';
import type { CopyForm } from '../signing/pdf/appearance/stamp-text.ts';
import { sniffFormat } from '../exchange/verify-document.ts';
import { AppearanceKind, signDocument } from '../signing/pdf/sign-document.ts';
import { signXmlDocument } from '../signing/xml/sign-xml-document.ts';
import { formatSigningTime } from '../signing/pdf/appearance/stamp-text.ts';

interface SignOptions {
  output: string;
  p12?: string;
  pkcs11?: string;
  csc?: string;
  password?: string;
  passwordEnv?: string;
  level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
  tsa?: string;
  appearance: AppearanceKind;
  image?: string;
  page: string;
  field?: string;
  rect?: string;
  reason?: string;
  location?: string;
  contact?: string;
  number?: string;
  copyForm?: string;
  agency?: string;
  timeFormat?: string;
  keepCase?: boolean;
  digest: DigestAlgorithm;
  scheme?: 'pkcs1' | 'pss' | 'ecdsa';
  revocation: 'require' | 'prefer' | 'off';
}

const usage = (vi: string, en: string) => new KysoError('INVALID_ARGUMENT', vi, en);

function parseRect(s: string): [number, number, number, number] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x)) || v[2] <= 0 || v[3] <= 0) {
    throw usage(`--rect phải có dạng x,y,rộng,cao (điểm, gốc dưới-trái): "${s}"`, `--rect must be x,y,width,height in points from the bottom-left: "${s}"`);
  }
  return v as [number, number, number, number];
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được ${what}: ${path}`, `Cannot read ${what}: ${path}`, { cause: e });
  }
}

/**
 * Writes `bytes` to a temporary file beside `outPath` and renames it into place, so OUT is either the complete
 * result or untouched (shared by `kyso sign` and `kyso extend`).
 */
export function writeOutputFile(outPath: string, bytes: Uint8Array): void {
  const tmp = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, outPath);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new KysoError('IO', `Không ghi được tệp ${outPath}`, `Cannot write ${outPath}`, { cause: e });
  }
}

function password(o: SignOptions): string {
  if (o.passwordEnv) {
    const v = process.env[o.passwordEnv];
    if (v === undefined) throw usage(`Biến môi trường ${o.passwordEnv} chưa được đặt`, `Environment variable ${o.passwordEnv} is not set`);
    return v;
  }
  if (o.password !== undefined) return o.password;
  throw usage('Thiếu mật khẩu tệp PKCS#12 (--password hoặc --password-env)', 'Missing the PKCS#12 password (--password or --password-env)');
}

/**
 * Exactly one key store: a PKCS#12 file, a key in a PKCS#11 token/HSM, or a CSC remote-signing credential. Token
 * PINs and client secrets come from the environment or files named in the reference, never from the command line.
 */
async function openSigner(o: SignOptions): Promise<LoadedSigner> {
  const given = [o.p12 && '--p12', o.pkcs11 && '--pkcs11', o.csc && '--csc'].filter(Boolean);
  if (given.length !== 1) {
    throw usage(`Cần đúng một kho khóa: --p12, --pkcs11 hoặc --csc (đang có ${given.length})`, `Give exactly one key store: --p12, --pkcs11 or --csc (got ${given.join(', ') || 'none'})`);
  }
  if (o.pkcs11) return loadSignerFromSpec({ type: 'pkcs11', reference: o.pkcs11 });
  if (o.csc) return CscSigner.fromReference(o.csc);
  return loadSignerFromSpec({ type: 'pkcs12', path: resolve(o.p12!), password: password(o) });
}

/** Runs `f`, then releases the key store (PKCS#11 sessions and module) whether signing succeeded or not. */
async function usingSigner<T>(signer: LoadedSigner, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } finally {
    await signer.close();
  }
}

const SCHEMES: Record<string, SignatureScheme> = { pkcs1: 'RSASSA-PKCS1-v1_5', pss: 'RSASSA-PSS', ecdsa: 'ECDSA' };

export function registerSignCommand(program: Command): void {
  program
    .command('sign')
    .description('Ký số tệp PDF theo PAdES (cập nhật gia tăng) hoặc tài liệu XML/gói tin edXML theo XAdES (sign a PDF with PAdES as an incremental update, or XML / an edXML package with an enveloped XAdES signature)')
    .argument('<input>', 'tệp PDF hoặc XML cần ký (the PDF or XML to sign; never modified)')
    .requiredOption('-o, --output <file>', 'tệp PDF đã ký (signed output file)')
    .option('--p12 <file>', 'tệp khóa PKCS#12 (.p12/.pfx)')
    .option('--pkcs11 <reference>', "khóa trong token/HSM PKCS#11, mã PIN lấy từ pin-env/pin-file hoặc KYSO_PKCS11_PIN (key in a PKCS#11 token/HSM: 'module=/usr/lib/softhsm/libsofthsm2.so;token=LABEL;key=LABEL|id=HEX;pin-env=VAR|pin-file=PATH')")
    .option('--csc <reference>', "khóa trên dịch vụ ký số từ xa CSC API v2 (remote signing credential: 'url=https://.../csc/v2;client-id=ID;client-secret-env=VAR;credential=ID;pin-env=VAR')")
    .option('--password <pass>', 'mật khẩu PKCS#12 (PKCS#12 password)')
    .option('--password-env <var>', 'đọc mật khẩu từ biến môi trường (read the password from an environment variable)')
    .addOption(new Option('--level <level>', 'mức PAdES/XAdES (baseline level; B-LT/B-LTA embed validation data for long-term validity)').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']).default('B-B'))
    .option('--tsa <url>', 'máy chủ dấu thời gian RFC 3161 cho B-T (RFC 3161 TSA URL for B-T)')
    .addOption(
      new Option('--appearance <kind>', 'hình thức hiển thị theo Nghị định 30/2020: chữ ký người có thẩm quyền, con dấu, dấu văn bản, ẩn (Decree 30 appearance)')
        .choices(['signer', 'seal', 'stamp', 'none'])
        .default('none'),
    )
    .option('--image <png>', 'ảnh chữ ký (xanh) hoặc con dấu (đỏ), PNG trong suốt (signature or seal image, transparent PNG)')
    .option('--field <name>', 'tên trường chữ ký mới, hoặc trường trống có sẵn để ký vào (new field name, or an existing empty field to sign into)')
    .option('--page <n>', 'trang đặt chữ ký, đánh số từ 1 (page for the widget, 1-based)', '1')
    .option('--rect <x,y,w,h>', 'vị trí, đơn vị điểm, gốc dưới-trái (placement in points, origin bottom-left)')
    .option('--reason <text>', 'lý do ký (reason)')
    .option('--location <text>', 'nơi ký (location)')
    .option('--contact <text>', 'thông tin liên hệ (contact info)')
    .option('--number <số/ký hiệu>', 'dấu văn bản cho tệp đính kèm: số, ký hiệu văn bản gốc (stamp: parent document number/symbol)')
    .option('--copy-form <form>', 'dấu văn bản cho bản sao: SAO Y | SAO LỤC | TRÍCH SAO (stamp: copy form)')
    .option('--agency <name>', 'tên cơ quan sao (copying agency name, with --copy-form)')
    .option('--time-format <pattern>', 'mẫu thời gian trên dấu (stamp time pattern)', 'dd.MM.yyyy HH:mm:ss XXX')
    .option('--keep-case', 'giữ nguyên chữ hoa/thường trên dấu thay vì viết thường (keep the stamp text case)')
    .addOption(new Option('--digest <alg>', 'hàm băm (digest)').choices(['SHA-256', 'SHA-384', 'SHA-512']).default('SHA-256'))
    .addOption(new Option('--scheme <scheme>', 'lược đồ chữ ký (signature scheme; default pss for RSA as Thông tư 15/2025 asks, ecdsa for EC)').choices(['pkcs1', 'pss', 'ecdsa']))
    .addOption(
      new Option('--revocation <mode>', 'kiểm tra thu hồi trước khi ký (revocation check before signing)').choices(['require', 'prefer', 'off']).default('prefer'),
    )
    .action(async (input: string, o: SignOptions) => {
      const inPath = resolve(input);
      const outPath = resolve(o.output);
      if (inPath === outPath) throw usage('Tệp ra phải khác tệp vào (tệp gốc không bao giờ bị sửa)', 'The output must differ from the input (the input is never modified)');
      const page = Number(o.page);
      if (!Number.isInteger(page) || page < 1) throw usage(`--page phải là số nguyên ≥ 1: "${o.page}"`, `--page must be an integer ≥ 1: "${o.page}"`);
      if (o.level !== 'B-B' && !o.tsa) throw usage(`Mức ${o.level} cần --tsa`, `Level ${o.level} needs --tsa`);

      const bytes = readInput(inPath, 'tệp cần ký');
      const signer = await openSigner(o);
      const isXml = sniffFormat(bytes) === 'XML';
      if (isXml && o.appearance !== 'none') {
        throw usage('Tài liệu XML không có hình thức hiển thị (--appearance)', 'XML documents have no visible appearance (--appearance)');
      }
      const result = await usingSigner(signer, async () => isXml
        ? await signXmlDocument(bytes, {
            signer,
            level: o.level,
            tsaUrl: o.tsa,
            revocationCheck: o.revocation,
            digest: o.digest,
            scheme: o.scheme ? SCHEMES[o.scheme] : undefined,
          })
        : await signDocument(bytes, {
        signer,
        level: o.level,
        tsaUrl: o.tsa,
        revocationCheck: o.revocation,
        page: page - 1,
        fieldName: o.field,
        reason: o.reason,
        location: o.location,
        contactInfo: o.contact,
        digest: o.digest,
        scheme: o.scheme ? SCHEMES[o.scheme] : undefined,
        appearance: {
          kind: o.appearance,
          image: o.image ? readInput(resolve(o.image), 'ảnh PNG') : undefined,
          rect: o.rect ? parseRect(o.rect) : undefined,
          numberSymbol: o.number,
          copyForm: o.copyForm as CopyForm | undefined,
          agencyName: o.agency,
          timePattern: o.timeFormat,
          stampCase: o.keepCase ? 'as-is' : 'lower',
        },
      }));
      writeOutputFile(outPath, result.bytes);
      for (const w of result.warnings) process.stderr.write(`Cảnh báo: ${w.vi}\nWarning: ${w.en}\n`);
      const when = formatSigningTime(result.signingTime);
      process.stdout.write(`Đã ký ${o.level} lúc ${when}: ${outPath}\nSigned (${o.level}) at ${when}: ${outPath}\n`);
    });
}
