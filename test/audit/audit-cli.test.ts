// `kyso audit verify` / `kyso audit seal` through their command actions and a commander program (the lead
// wires registerAuditCommand into src/cli/main.ts), on both backends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EXIT, auditVerifyCommandAction, registerAuditCommand, type AuditDatabaseOptions } from '../../src/cli/audit-command.ts';
import type { CommandResult } from '../../src/cli/verify-command.ts';
import { appendAudit } from '../../src/exchange/audit/audit-log.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { BACKENDS, PG_TEST_URL, dropSchema, randomSchema } from '../store/test-databases.ts';

let pki: TestPkiServer;
const root = mkdtempSync(join(tmpdir(), 'kyso-audit-cli-'));
beforeAll(async () => {
  pki = await startTestPkiServer();
});
afterAll(async () => {
  await pki?.close();
  rmSync(root, { recursive: true, force: true });
});

async function verify(o: AuditDatabaseOptions & { json?: boolean }) {
  let out = '';
  let err = '';
  const code = await auditVerifyCommandAction({ ...o, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Runs `kyso audit …` through commander, as main() will. */
async function kysoAudit(args: string[]): Promise<{ code: number; out: string }> {
  const result: CommandResult = {};
  const program = new Command('kyso').exitOverride();
  registerAuditCommand(program, result);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'kyso', 'audit', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return { code: result.exitCode ?? 0, out };
}

describe.each(BACKENDS)('kyso audit on %s', (backend) => {
  const schema = randomSchema();
  const dataDir = join(root, `pg-${backend}`);
  const target: AuditDatabaseOptions = backend === 'pglite' ? { dataDir } : { databaseUrl: PG_TEST_URL, schema };
  const args = backend === 'pglite' ? ['--data-dir', dataDir] : ['--database-url', PG_TEST_URL, '--schema', schema];
  const open = (): Promise<Database> => (backend === 'pglite' ? openDatabase({ dataDir }) : openDatabase({ url: PG_TEST_URL, schema }));
  afterAll(async () => {
    if (backend === 'postgres') await dropSchema(schema);
  });

  it('says when there is no audit log to check', async () => {
    const r = await verify(target);
    expect(r.code).toBe(AUDIT_EXIT.CANNOT_CHECK);
    expect(r.err).toMatch(/chưa khởi tạo[\s\S]*not initialised/);
  });

  it('reports an intact log, Vietnamese first, then English; seals it; reports the seal', async () => {
    const db = await open();
    await migrate(db);
    for (let i = 1; i <= 10; i++) await appendAudit(db, { actor: 'system:test', action: 'case.submitted', subject: `PAKN-${i}` });
    await db.close();

    const r = await verify(target);
    expect(r.code).toBe(AUDIT_EXIT.INTACT);
    expect(r.out).toMatch(/^Nhật ký kiểm toán: NGUYÊN VẸN — 10 mục, đầu chuỗi #10 [0-9a-f]{16}…/);
    expect(r.out.indexOf('Chưa có niêm phong')).toBeLessThan(r.out.indexOf('Audit log: INTACT — 10 entries'));

    const sealed = await kysoAudit(['seal', ...args, '--tsa', `${pki.url}/tsa`]);
    expect(sealed.code).toBe(0);
    expect(sealed.out).toMatch(/Đã niêm phong nhật ký kiểm toán đến mục #10[\s\S]*Sealed the audit log up to entry #10/);

    const after = await kysoAudit(['verify', ...args]);
    expect(after.code).toBe(AUDIT_EXIT.INTACT);
    expect(after.out).toMatch(/Niêm phong #1: hợp lệ — .*\+07:00, TSA ".*", bao phủ 10\/10 mục/);
    expect(after.out).toMatch(/Seal #1: valid — .*covers 10 of 10 entries/);
  });

  it('exits 1 and names the entry when the log was tampered with; --json gives the details', async () => {
    const db = await open();
    await db.exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete; UPDATE audit_log SET subject = 'PAKN-X' WHERE seq = 3");
    await db.close();
    const r = await verify(target);
    expect(r.code).toBe(AUDIT_EXIT.TAMPERED);
    expect(r.out).toContain('Nhật ký kiểm toán: BỊ THAY ĐỔI tại mục #3');
    expect(r.out).toContain('Audit log: TAMPERED at entry #3 — entry #3 does not match its hash');
    const j = await verify({ ...target, json: true });
    expect(j.code).toBe(AUDIT_EXIT.TAMPERED);
    const parsed = JSON.parse(j.out) as { chain: { ok: boolean; firstBadSeq: number }; seals: { ok: boolean }[] };
    expect(parsed.chain).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(parsed.seals).toHaveLength(1);
  });

  it('exits 3 when the database cannot be opened', async () => {
    if (backend === 'pglite') {
      const holder = await open(); // PGlite: one process at a time
      try {
        const r = await verify(target);
        expect(r.code).toBe(AUDIT_EXIT.CANNOT_CHECK);
        expect(r.err).toMatch(/Lỗi \[DB_UNAVAILABLE\][\s\S]*Error \[DB_UNAVAILABLE\]: The PGlite data directory is in use/);
      } finally {
        await holder.close();
      }
    } else {
      const r = await verify({ databaseUrl: 'postgres://root@127.0.0.1:1/test' });
      expect(r.code).toBe(AUDIT_EXIT.CANNOT_CHECK);
      expect(r.err).toContain('Error [DB_UNAVAILABLE]');
    }
  });
});
