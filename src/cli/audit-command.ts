// `kyso audit verify` and `kyso audit seal`: check the exchange's audit trail (every entry re-hashed and
// linked, the end against the recorded head and the seals, every seal's RFC 3161 token) or seal its head now.
// Results in Vietnamese, then English.
//
// Exit codes of `verify`: 0 intact (every seal valid) · 1 tampered (an entry or a seal is not as written) ·
// 2 wrong arguments · 3 could not check (database unreachable, not initialised).
import { Command } from 'commander';
import { isKysoError } from '../errors.ts';
import { sealAuditLog, verifyAuditChain, verifyAuditSeals, type ChainVerification, type SealVerification } from '../exchange/audit/audit-log.ts';
import { databaseConfigFromEnv, openDatabase, type Database, type DatabaseConfig } from '../store/database.ts';
import { formatSigningTime } from '../util/vn-time.ts';
import type { CommandResult } from './verify-command.ts';

export const AUDIT_EXIT = { INTACT: 0, TAMPERED: 1, USAGE: 2, CANNOT_CHECK: 3 } as const;

export interface AuditDatabaseOptions {
  /** PostgreSQL URL; default DATABASE_URL, else PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; default KYSO_PGLITE_DIR or ./data/pg. */
  dataDir?: string;
  /** Schema; default KYSO_DB_SCHEMA or public. */
  schema?: string;
}

export interface AuditVerifyOptions extends AuditDatabaseOptions {
  json?: boolean;
  /** Where the result goes; default stdout. Errors go to `err` (default stderr). */
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export interface AuditSealCliOptions extends AuditDatabaseOptions {
  tsa: string;
  out?: (text: string) => void;
}

const SHOW = 'dd/MM/yyyy HH:mm:ss XXX';
const short = (hash: string) => `${hash.slice(0, 16)}…`;

function databaseConfig(o: AuditDatabaseOptions): DatabaseConfig {
  const env = databaseConfigFromEnv();
  const url = o.databaseUrl ?? (o.dataDir ? undefined : env.url);
  const schema = o.schema ?? env.schema;
  return url ? { url, ...(schema ? { schema } : {}) } : { dataDir: o.dataDir ?? env.dataDir ?? './data/pg', ...(schema ? { schema } : {}) };
}

async function isInitialised(db: Database): Promise<boolean> {
  const r = await db.query<{ t: string | null }>("SELECT to_regclass('audit_log')::text AS t");
  return r.rows[0]?.t != null;
}

function sealLines(s: SealVerification): { vi: string; en: string } {
  const when = s.genTime ? formatSigningTime(s.genTime, SHOW) : '—';
  const unsealed = s.totalEntries - s.coveredEntries;
  if (!s.ok) {
    return { vi: `  Niêm phong #${s.id} (mục #${s.headSeq}): KHÔNG HỢP LỆ — ${s.reason!.vi}`, en: `  Seal #${s.id} (entry #${s.headSeq}): INVALID — ${s.reason!.en}` };
  }
  return {
    vi: `  Niêm phong #${s.id}: hợp lệ — ${when}, TSA "${s.tsaSubject}", bao phủ ${s.coveredEntries}/${s.totalEntries} mục${unsealed > 0 ? ` (${unsealed} mục sau chưa niêm phong)` : ''}`,
    en: `  Seal #${s.id}: valid — ${when}, TSA "${s.tsaSubject}", covers ${s.coveredEntries} of ${s.totalEntries} entries${unsealed > 0 ? ` (${unsealed} later entries not sealed)` : ''}`,
  };
}

/** The human-readable report: Vietnamese block, then English block. */
export function formatAuditReport(chain: ChainVerification, seals: readonly SealVerification[]): string {
  const vi: string[] = [];
  const en: string[] = [];
  if (chain.ok) {
    vi.push(`Nhật ký kiểm toán: NGUYÊN VẸN — ${chain.entries} mục${chain.entries > 0 ? `, đầu chuỗi #${chain.headSeq} ${short(chain.headHash)}` : ''}`);
    en.push(`Audit log: INTACT — ${chain.entries} entries${chain.entries > 0 ? `, head #${chain.headSeq} ${short(chain.headHash)}` : ''}`);
  } else {
    vi.push(`Nhật ký kiểm toán: BỊ THAY ĐỔI tại mục #${chain.firstBadSeq} — ${chain.reason!.vi}`);
    en.push(`Audit log: TAMPERED at entry #${chain.firstBadSeq} — ${chain.reason!.en}`);
  }
  if (seals.length === 0) {
    vi.push('  Chưa có niêm phong nào (kyso audit seal --tsa URL)');
    en.push('  No seals yet (kyso audit seal --tsa URL)');
  }
  for (const s of seals) {
    const l = sealLines(s);
    vi.push(l.vi);
    en.push(l.en);
  }
  return `${vi.join('\n')}\n\n${en.join('\n')}\n`;
}

/** Runs `kyso audit verify`; returns the exit code (never throws for expected failures). */
export async function auditVerifyCommandAction(opts: AuditVerifyOptions = {}): Promise<number> {
  const out = opts.out ?? ((s: string) => void process.stdout.write(s));
  const err = opts.err ?? ((s: string) => void process.stderr.write(s));
  let db: Database | undefined;
  try {
    db = await openDatabase(databaseConfig(opts));
    if (!(await isInitialised(db))) {
      err('Lỗi: cơ sở dữ liệu chưa có nhật ký kiểm toán (chưa khởi tạo)\nError: the database has no audit log (not initialised)\n');
      return AUDIT_EXIT.CANNOT_CHECK;
    }
    const chain = await verifyAuditChain(db);
    const seals = await verifyAuditSeals(db);
    out(opts.json ? `${JSON.stringify({ chain, seals }, null, 2)}\n` : formatAuditReport(chain, seals));
    return chain.ok && seals.every((s) => s.ok) ? AUDIT_EXIT.INTACT : AUDIT_EXIT.TAMPERED;
  } catch (e) {
    if (!isKysoError(e)) throw e;
    err(`Lỗi [${e.code}]: ${e.vi}\nError [${e.code}]: ${e.en}\n`);
    return e.code === 'INVALID_ARGUMENT' ? AUDIT_EXIT.USAGE : AUDIT_EXIT.CANNOT_CHECK;
  } finally {
    await db?.close();
  }
}

/** Runs `kyso audit seal`: timestamps the current head. Errors propagate (main maps them to exit codes). */
export async function auditSealCommandAction(opts: AuditSealCliOptions): Promise<number> {
  const out = opts.out ?? ((s: string) => void process.stdout.write(s));
  const db = await openDatabase(databaseConfig(opts));
  try {
    const seal = await sealAuditLog(db, { tsaUrl: opts.tsa });
    const when = formatSigningTime(seal.genTime, SHOW);
    out(
      `Đã niêm phong nhật ký kiểm toán đến mục #${seal.headSeq} (${short(seal.headHash)}) lúc ${when}, niêm phong #${seal.id}\n` +
        `Sealed the audit log up to entry #${seal.headSeq} (${short(seal.headHash)}) at ${when}, seal #${seal.id}\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

const dbOptions = (c: Command) =>
  c
    .option('--database-url <url>', 'PostgreSQL (mặc định DATABASE_URL, nếu không có thì PGlite) (default: DATABASE_URL, else PGlite)')
    .option('--data-dir <dir>', 'thư mục dữ liệu PGlite (PGlite data directory; default ./data/pg)')
    .option('--schema <name>', 'schema (default: KYSO_DB_SCHEMA or public)');

export function registerAuditCommand(program: Command, result: CommandResult = {}): void {
  const audit = program.command('audit').description('Nhật ký kiểm toán của trao đổi văn bản (the exchange audit trail)');
  dbOptions(
    audit
      .command('verify')
      .description(
        'Kiểm tra chuỗi băm và các niêm phong dấu thời gian (verify the hash chain and its timestamp seals). ' +
          'Mã thoát / exit: 0 nguyên vẹn / intact · 1 bị thay đổi / tampered · 3 không kiểm tra được / could not check',
      )
      .option('--json', 'in kết quả JSON (print JSON)'),
  ).action(async (o: AuditVerifyOptions) => {
    result.exitCode = await auditVerifyCommandAction(o);
  });
  dbOptions(
    audit
      .command('seal')
      .description('Niêm phong đầu chuỗi bằng dấu thời gian RFC 3161 (timestamp the chain head with an RFC 3161 TSA)')
      .requiredOption('--tsa <url>', 'URL của TSA (TSA URL)'),
  ).action(async (o: AuditSealCliOptions) => {
    result.exitCode = await auditSealCommandAction(o);
  });
}
