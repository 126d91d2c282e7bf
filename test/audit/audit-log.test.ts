// The audit chain on both backends: concurrent appends never fork it; editing, deleting, inserting or
// reordering an entry is found at the right seq; seals from the real test TSA certify the head and reveal a
// chain recomputed after sealing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/errors.ts';
import {
  GENESIS_HASH,
  appendAudit,
  appendAuditInTx,
  appendAuditManyInTx,
  entryHash,
  sealAuditLog,
  verifyAuditChain,
  verifyAuditSeals,
  type AuditEntry,
} from '../../src/exchange/audit/audit-log.ts';
import type { AuditRow } from '../../src/exchange/audit/audit-entry.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import type { Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../store/test-databases.ts';

const DOC = 'a'.repeat(64);
const event = (i: number) => ({
  actor: i % 3 === 0 ? 'agency:000.00.00.G22' : 'system:delivery',
  action: i % 2 === 0 ? 'message.delivery_attempt' : 'case.status_changed',
  subject: `PAKN-2026-${String(i).padStart(5, '0')}`,
  ...(i % 4 === 0 ? { documentSha256: DOC } : {}),
  details: { attempt: i, 'trạng thái': '03', nested: { b: [1, 'hai', null], a: true } },
});

/** Tampering needs the append-only trigger off — as for anyone with owner rights on the table. */
async function tamper(db: Database, sql: string, params: unknown[] = []): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    await tx.query(sql, params);
    await tx.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
  });
}

const rowOf = async (db: Database, seq: number) =>
  (await db.query<AuditRow>('SELECT seq, at, actor, action, subject, document_sha256, details, prev_hash, hash FROM audit_log WHERE seq = $1', [seq])).rows[0]!;

async function reinsert(db: Database, r: AuditRow): Promise<void> {
  await db.query('INSERT INTO audit_log (seq, at, actor, action, subject, document_sha256, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)', [
    r.seq, r.at, r.actor, r.action, r.subject, r.document_sha256, JSON.stringify(r.details), r.prev_hash, r.hash,
  ]);
}

/** Swaps two entries' positions (the primary key is not deferrable: through a free seq). */
async function swapSeq(db: Database, a: number, b: number): Promise<void> {
  await tamper(db, 'UPDATE audit_log SET seq = 1000000 WHERE seq = $1', [a]);
  await tamper(db, 'UPDATE audit_log SET seq = $1 WHERE seq = $2', [a, b]);
  await tamper(db, 'UPDATE audit_log SET seq = $1 WHERE seq = 1000000', [b]);
}

async function expectIntact(db: Database, entries: number) {
  const v = await verifyAuditChain(db);
  expect(v.reason?.en).toBeUndefined();
  expect(v).toMatchObject({ ok: true, entries, headSeq: entries });
}

async function expectBrokenAt(db: Database, seq: number, reason: RegExp) {
  const v = await verifyAuditChain(db);
  expect(v.ok).toBe(false);
  expect(v.firstBadSeq).toBe(seq);
  expect(v.reason!.en).toMatch(reason);
  expect(v.reason!.vi.length).toBeGreaterThan(0);
}

let pki: TestPkiServer;
beforeAll(async () => {
  pki = await startTestPkiServer();
});
afterAll(async () => pki?.close());

describe.each(BACKENDS)('audit chain on %s', (backend) => {
  let t: TestDatabase;
  let other: TestDatabase | undefined;
  let db: Database;
  beforeAll(async () => {
    t = await openTestDatabase(backend, { poolMax: 8 });
    db = t.db;
    await migrate(db);
  });
  afterAll(async () => {
    await other?.db.close();
    await t?.dispose();
  });

  it('an empty log verifies, and cannot be sealed', async () => {
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 0, headSeq: 0, headHash: GENESIS_HASH });
    const e = await sealAuditLog(db, { tsaUrl: `${pki.url}/tsa`, network: { rewrite: pki.rewrite } }).catch((x: unknown) => x);
    expect(isKysoError(e, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('appends 100 entries, 70 of them concurrently (from two connection pools on PostgreSQL), into one unbroken chain', async () => {
    const entries: AuditEntry[] = [];
    for (let i = 1; i <= 30; i++) entries.push(await appendAudit(db, event(i)));
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[0]!.seq).toBe(1);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries[0]!.hash).toBe(entryHash(entries[0]!));

    // A second pool is a second process as far as the server is concerned.
    if (backend === 'postgres') other = await openTestDatabase('postgres', { schema: db.schema, poolMax: 4 });
    const targets = [db, other?.db ?? db];
    const concurrent = await Promise.all(Array.from({ length: 70 }, (_, k) => appendAudit(targets[k % 2]!, event(31 + k))));
    const seqs = concurrent.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 70 }, (_, k) => 31 + k));
    await expectIntact(db, 100);

    const stored = await rowOf(db, 4);
    expect(stored.document_sha256).toBe(DOC);
    expect(stored.details).toEqual(event(4).details);
  });

  it('an entry appended in a rolled-back transaction leaves no trace and no gap', async () => {
    const e = await db
      .transaction(async (tx) => {
        await appendAuditInTx(tx, event(999));
        throw new Error('business step failed');
      })
      .catch((x: unknown) => x);
    expect((e as Error).message).toBe('business step failed');
    await expectIntact(db, 100);
  });

  it('refuses malformed events', async () => {
    for (const bad of [
      { ...event(1), action: 'Case Submitted' },
      { ...event(1), actor: '' },
      { ...event(1), documentSha256: 'ABC' },
      { ...event(1), details: { when: new Date() } as never },
    ]) {
      expect(isKysoError(await appendAudit(db, bad).catch((x: unknown) => x), 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('finds an edited entry at its seq (details, time, actor)', async () => {
    const original = await rowOf(db, 37);
    await tamper(db, `UPDATE audit_log SET details = jsonb_set(details, '{attempt}', '1') WHERE seq = 37`);
    await expectBrokenAt(db, 37, /entry #37 does not match its hash/);
    await tamper(db, 'UPDATE audit_log SET details = $1::jsonb, at = at + interval \'1 second\' WHERE seq = 37', [JSON.stringify(original.details)]);
    await expectBrokenAt(db, 37, /entry #37 does not match its hash/);
    await tamper(db, "UPDATE audit_log SET at = $1, actor = 'agency:000.00.00.H41' WHERE seq = 37", [original.at]);
    await expectBrokenAt(db, 37, /entry #37 does not match its hash/);
    await tamper(db, 'UPDATE audit_log SET actor = $1 WHERE seq = 37', [original.actor]);
    await expectIntact(db, 100);
  });

  it('an edited entry whose hash was recomputed breaks the link to the next one', async () => {
    const original = await rowOf(db, 37);
    const forged = { ...original, details: { ...original.details, attempt: 0 } };
    const { hash: _old, ...unhashed } = { seq: forged.seq, at: forged.at, actor: forged.actor, action: forged.action, subject: forged.subject, documentSha256: forged.document_sha256, details: forged.details, prevHash: forged.prev_hash, hash: '' };
    await tamper(db, 'UPDATE audit_log SET details = $1::jsonb, hash = $2 WHERE seq = 37', [JSON.stringify(forged.details), entryHash(unhashed)]);
    await expectBrokenAt(db, 38, /entry #38 does not follow entry #37/);
    await tamper(db, 'UPDATE audit_log SET details = $1::jsonb, hash = $2 WHERE seq = 37', [JSON.stringify(original.details), original.hash]);
    await expectIntact(db, 100);
  });

  it('finds a deleted entry, in the middle or at the end', async () => {
    const mid = await rowOf(db, 50);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 50');
    await expectBrokenAt(db, 50, /entry #50 is missing/);
    await reinsert(db, mid);
    await expectIntact(db, 100);

    const last = await rowOf(db, 100);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 100');
    await expectBrokenAt(db, 100, /log ends at entry #99 but the recorded head is #100/);
    await reinsert(db, last);
    await expectIntact(db, 100);
  });

  it('finds swapped entries at the first swapped seq', async () => {
    await swapSeq(db, 20, 21);
    await expectBrokenAt(db, 20, /entry #20 does not match its hash/);
    await swapSeq(db, 20, 21);
    await expectIntact(db, 100);
    await swapSeq(db, 10, 90);
    await expectBrokenAt(db, 10, /entry #10 does not match its hash/);
    await swapSeq(db, 10, 90);
    await expectIntact(db, 100);
  });

  it('finds an entry added behind kyso’s back', async () => {
    const last = await rowOf(db, 100);
    const forged = { seq: 101, at: new Date(), actor: 'x', action: 'x.y', subject: 'z', documentSha256: null, details: {}, prevHash: last.hash };
    await reinsert(db, { seq: 101, at: forged.at, actor: 'x', action: 'x.y', subject: 'z', document_sha256: null, details: {}, prev_hash: last.hash, hash: entryHash(forged) });
    await expectBrokenAt(db, 101, /entries after the recorded head \(#100\)/);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 101');
    await expectIntact(db, 100);
  });

  describe('seals', () => {
    const opts = () => ({ tsaUrl: `${pki.url}/tsa`, network: { rewrite: pki.rewrite } });

    it('seals the head with the test TSA; the seal verifies and covers every entry', async () => {
      const before = Date.now();
      const seal = await sealAuditLog(db, opts());
      expect(seal).toMatchObject({ headSeq: 100, tsaUrl: opts().tsaUrl });
      expect(seal.headHash).toBe((await rowOf(db, 100)).hash);
      expect(Math.abs(seal.genTime.getTime() - before)).toBeLessThan(5000);
      const [v] = await verifyAuditSeals(db);
      expect(v).toMatchObject({ id: seal.id, ok: true, headSeq: 100, coveredEntries: 100, totalEntries: 100 });
      expect(v!.genTime!.getTime()).toBe(seal.genTime.getTime());
      expect(v!.tsaSubject).toMatch(/TSA/i);
      await expectIntact(db, 100);
    });

    it('a seal over an older head covers fewer entries; a new seal covers them all', async () => {
      for (let i = 101; i <= 105; i++) await appendAudit(db, event(i));
      const [old] = await verifyAuditSeals(db);
      expect(old).toMatchObject({ ok: true, coveredEntries: 100, totalEntries: 105 });
      const fresh = await sealAuditLog(db, opts());
      expect(fresh.headSeq).toBe(105);
      const all = await verifyAuditSeals(db);
      expect(all.map((s) => [s.ok, s.coveredEntries, s.totalEntries])).toEqual([
        [true, 100, 105],
        [true, 105, 105],
      ]);
    });

    it('a chain recomputed from an entry onwards (hashes, links and head all redone) is caught by the seal', async () => {
      const saved: AuditRow[] = [];
      for (let s = 60; s <= 105; s++) saved.push(await rowOf(db, s));
      // The forger rewrites entry 60 and re-chains everything after it, head included.
      let prev = saved[0]!.prev_hash;
      await db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
        for (const r of saved) {
          const details = r.seq === 60 ? { ...r.details, attempt: -1 } : r.details;
          const hash = entryHash({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, documentSha256: r.document_sha256, details, prevHash: prev });
          await tx.query('UPDATE audit_log SET details = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1', [r.seq, JSON.stringify(details), prev, hash]);
          prev = hash;
        }
        await tx.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [prev]);
        await tx.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
      });
      await expectBrokenAt(db, 100, /entry #100 differs from what seal #\d+ certified/);
      const seals = await verifyAuditSeals(db);
      expect(seals.map((s) => s.ok)).toEqual([false, false]);
      expect(seals[0]!.reason!.en).toMatch(/entry #100 differs from the sealed value/);
      // …and sealing refuses to certify the forged chain.
      const e = await sealAuditLog(db, opts()).catch((x: unknown) => x);
      expect(isKysoError(e, 'AUDIT_CHAIN_BROKEN')).toBe(true);

      await db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
        for (const r of saved) await tx.query('UPDATE audit_log SET details = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1', [r.seq, JSON.stringify(r.details), r.prev_hash, r.hash]);
        await tx.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [saved.at(-1)!.hash]);
        await tx.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
      });
      await expectIntact(db, 105);
    });

    it('deleting the newest entries and rewinding the head is caught by the seal', async () => {
      const saved = [await rowOf(db, 104), await rowOf(db, 105)];
      await tamper(db, 'DELETE FROM audit_log WHERE seq >= 104');
      await db.query('UPDATE audit_head SET seq = 103, hash = $1 WHERE id = 1', [(await rowOf(db, 103)).hash]);
      await expectBrokenAt(db, 104, /seal #\d+ certifies entries up to #105 but the log ends at #103/);
      const seals = await verifyAuditSeals(db);
      expect(seals[1]).toMatchObject({ ok: false });
      expect(seals[1]!.reason!.en).toMatch(/sealed entry #105 is missing/);
      for (const r of saved) await reinsert(db, r);
      await db.query('UPDATE audit_head SET seq = 105, hash = $1 WHERE id = 1', [saved[1]!.hash]);
      await expectIntact(db, 105);
    });

    it('an altered seal record is not valid', async () => {
      const [first] = await verifyAuditSeals(db);
      await db.query('UPDATE audit_seals SET head_hash = $1 WHERE id = $2', [(await rowOf(db, 99)).hash, first!.id]);
      const [v] = await verifyAuditSeals(db);
      expect(v!.ok).toBe(false);
      expect(v!.reason!.en).toMatch(/timestamp is not valid for head #100: .*messageImprint/);
      await db.query('UPDATE audit_seals SET head_hash = $1 WHERE id = $2', [first!.headHash, first!.id]);
      expect((await verifyAuditSeals(db)).every((s) => s.ok)).toBe(true);
    });

    it('a TSA that cannot be reached leaves no seal behind', async () => {
      const count = async () => (await db.query<{ n: number }>('SELECT count(*) AS n FROM audit_seals')).rows[0]!.n;
      const before = await count();
      pki.setOffline({ tsa: true });
      try {
        const e = await sealAuditLog(db, { ...opts(), network: { rewrite: pki.rewrite, timeoutMs: 2000 } }).catch((x: unknown) => x);
        expect(isKysoError(e, 'NETWORK') || isKysoError(e, 'TSA_FAILED')).toBe(true);
      } finally {
        pki.setOffline(false);
      }
      expect(await count()).toBe(before);
    });
  });
});

describe.each(BACKENDS)('batched audit appends on %s', (backend) => {
  let t: TestDatabase;
  let other: TestDatabase | undefined;
  let db: Database;
  beforeAll(async () => {
    t = await openTestDatabase(backend, { poolMax: 8 });
    db = t.db;
    await migrate(db);
    if (backend === 'postgres') other = await openTestDatabase('postgres', { schema: db.schema, poolMax: 4 });
  });
  afterAll(async () => {
    await other?.db.close();
    await t?.dispose();
  });

  it('appends several entries at once (one step recording more than one event), in order, into the same chain', async () => {
    const batch = await db.transaction((tx) => appendAuditManyInTx(tx, [event(201), event(202), event(203)]));
    expect(batch.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(batch[1]!.prevHash).toBe(batch[0]!.hash);
    for (const e of batch) expect(e.hash).toBe(entryHash(e));
    // Interleaved with single appends from another pool, the chain stays unbroken.
    const targets = [db, other?.db ?? db];
    await Promise.all(
      Array.from({ length: 6 }, (_, k) =>
        k % 2 ? appendAudit(targets[k % 2]!, event(210 + k)) : targets[k % 2]!.transaction((tx) => appendAuditManyInTx(tx, [event(220 + k), event(230 + k)])),
      ),
    );
    // 3 (batch) + 3 singles + 3 batches of 2 = 12 entries.
    await expectIntact(db, 12);
    // A rolled-back batch leaves nothing.
    await db.transaction(async (tx) => {
      await appendAuditManyInTx(tx, [event(301), event(302)]);
      throw new Error('rolled back');
    }).catch(() => undefined);
    await expectIntact(db, 12);
  });

});
