// Receipts that move no case share a transaction with the receipts arriving at the same moment (group commit,
// src/exchange/intake/receipt-writer.ts). What a user would notice if it were wrong: a package lost or stored
// twice, a duplicate accepted, one bad package failing its neighbours, or an audit chain that no longer verifies.
// Real Redis, real TSA/OCSP, both database backends.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/exchange/audit/audit-log.ts';
import { receiptWriter } from '../../src/exchange/intake/receipt-writer.ts';
import { receiveMessage } from '../../src/exchange/intake/receive-message.ts';
import { agencyPackage } from '../helpers/agency-packages.ts';
import { startTestExchange, type TestExchange } from '../helpers/exchange.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { BACKENDS } from '../store/test-databases.ts';

const pki = useTestPkiServer();
const VPCP = '000.00.00.G22';
const MINISTRY = '000.00.12.H99';
let docNumber = Number.parseInt(randomBytes(2).toString('hex'), 16);
const nextNumber = () => ++docNumber;

describe.each(BACKENDS)('receipt group commit (%s)', (backend) => {
  let ex: TestExchange;
  beforeAll(async () => {
    ex = await startTestExchange(pki.server, { backend });
  }, 60_000);
  afterAll(async () => ex?.close());

  const receive = (bytes: Uint8Array, idempotencyKey?: string) =>
    receiveMessage(ex.rt.ctx, { sender: MINISTRY, actor: 'test', bytes, ...(idempotencyKey ? { idempotencyKey, keyNamesBytes: true } : {}) });
  const rowsOf = async (documentId: string) =>
    (await ex.rt.db.query<{ id: string; kind: string; status: string }>(`SELECT id, kind, status FROM messages WHERE document_id = $1 ORDER BY kind`, [documentId])).rows;
  const auditOf = async (subject: string) =>
    (await ex.rt.db.query<{ action: string }>('SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq', [subject])).rows.map((r) => r.action);

  it('many packages at once: each stored once with its signed 01, in fewer transactions than packages', async () => {
    const writer = receiptWriter(ex.rt.ctx.db, ex.rt.ctx.blobs);
    const before = { ...writer.stats };
    const pkgs = await Promise.all(Array.from({ length: 16 }, () => agencyPackage(pki.server, { from: MINISTRY, to: [VPCP], number: nextNumber() })));
    const results = await Promise.all(pkgs.map((p) => receive(p.bytes)));
    for (const [i, r] of results.entries()) {
      expect(r, JSON.stringify(r.reason)).toMatchObject({ accepted: true, duplicate: false });
      expect(r.receipts.map((x) => x.statusCode)).toEqual(['01']);
      const rows = await rowsOf(pkgs[i]!.documentId);
      expect(rows.map((x) => x.kind)).toEqual(['edoc', 'status']);
      expect(await auditOf(r.messages[0]!.id)).toEqual(expect.arrayContaining(['message.received']));
      expect(await auditOf(r.receipts[0]!.id)).toEqual(expect.arrayContaining(['status.issued']));
    }
    const transactions = writer.stats.batches + writer.stats.singles - (before.batches + before.singles);
    expect(writer.stats.recorded - before.recorded).toBe(16);
    expect(transactions).toBeLessThan(16);
    expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
  }, 60_000);

  it('one document posted three times at the same moment under three keys: one message, two duplicates naming it', async () => {
    const p = await agencyPackage(pki.server, { from: MINISTRY, to: [VPCP], number: nextNumber() });
    const results = await Promise.all(['a', 'b', 'c'].map((k) => receive(p.bytes, `same-moment-${k}-${p.documentId}`)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const first = results.find((r) => !r.duplicate)!.messages[0]!.id;
    for (const r of results) expect(r.messages[0]!.id).toBe(first);
    expect((await rowsOf(p.documentId)).map((x) => x.kind)).toEqual(['edoc', 'status']);
    expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
  }, 60_000);

  it('a package the database refuses fails alone: its neighbours in the same transaction are stored, it leaves nothing behind', async () => {
    const pkgs = await Promise.all(Array.from({ length: 8 }, () => agencyPackage(pki.server, { from: MINISTRY, to: [VPCP], number: nextNumber() })));
    const poison = pkgs[3]!;
    await ex.rt.db.exec(`CREATE FUNCTION refuse_poison_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.document_id = '${poison.documentId}' THEN RAISE EXCEPTION 'poison package refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison_receipt BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison_receipt();`);
    const writer = receiptWriter(ex.rt.ctx.db, ex.rt.ctx.blobs);
    const before = { ...writer.stats };
    try {
      // Hold the audit head so that one receipt's write waits, and the eight arrive behind it: one group.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const holding = ex.rt.db.transaction(async (tx) => {
        await tx.query('UPDATE audit_head SET seq = seq WHERE id = 1');
        await gate;
      });
      const ahead = receive((await agencyPackage(pki.server, { from: MINISTRY, to: [VPCP], number: nextNumber() })).bytes);
      await new Promise((r) => setTimeout(r, 1000));
      const pending = Promise.allSettled(pkgs.map((p) => receive(p.bytes)));
      const deadline = Date.now() + 20_000;
      while (writer.backlog < pkgs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(writer.backlog).toBe(pkgs.length);
      release();
      await holding;
      expect((await ahead).accepted).toBe(true);
      const settled = await pending;
      expect(writer.stats.fallbacks - before.fallbacks).toBe(1);
      settled.forEach((s, i) => {
        if (i === 3) expect(s.status === 'rejected' && String((s.reason as Error).message)).toMatch(/poison package refused/);
        else expect(s.status === 'fulfilled' && s.value.accepted && !s.value.duplicate).toBe(true);
      });
      expect(await rowsOf(poison.documentId)).toEqual([]);
      for (const p of pkgs.filter((x) => x !== poison)) expect((await rowsOf(p.documentId)).map((x) => x.kind)).toEqual(['edoc', 'status']);
      expect((await verifyAuditChain(ex.rt.db)).ok).toBe(true);
    } finally {
      await ex.rt.db.exec('DROP TRIGGER refuse_poison_receipt ON messages; DROP FUNCTION refuse_poison_receipt();');
    }
    // Sent again once the database takes it: accepted, as new.
    const again = await receive(poison.bytes);
    expect(again).toMatchObject({ accepted: true, duplicate: false });
  }, 60_000);
});
