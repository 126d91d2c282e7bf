// Storing what receipt decided (receive-message.ts): the blobs, the message rows (one per recipient, plus the
// status packets the service issued), the archive entry and the audit entries — in one transaction.
//
// A receipt that touches no case (most of the exchange's traffic: documents between agencies, statuses on them,
// and every rejection) goes through a group commit (store/group-commit.ts): while one transaction is being
// written, the receipts that arrive meanwhile wait and are then written together — one BEGIN, one head lock, one
// audit INSERT and one COMMIT for all of them. A receipt that moves a case runs its case effects in a transaction
// of its own (receive-message.ts calls writeReceiptRows there).
import type { BlobStore } from '../../store/blob-store.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { GroupCommit } from '../../store/group-commit.ts';
import { archiveDocument } from '../archive/archive.ts';
import { appendAuditManyInTx, type AuditEvent } from '../audit/audit-log.ts';
import { insertMessages, type Message, type NewMessage } from '../messages/messages.ts';

export interface ReceiptWrite {
  /** The package as sent, each recipient's traced copy, the receipts' packets. */
  blobs: { bytes: Uint8Array; mediaType: string; sha256?: string }[];
  /** Every row, ids chosen by the caller; all go in or none. */
  rows: (NewMessage & { id: string })[];
  /** A package to archive at B-LTA (issue 7): its first message and the bytes as received. */
  archive?: { subject: string; sha256: string };
  events: AuditEvent[];
}

/** The rows as inserted (in the order given), or `duplicate` when any of them collided: nothing was kept. */
export type ReceiptWritten = { messages: Message[] } | { duplicate: true };

/**
 * The rows of one receipt inside the caller's transaction (no audit entries: the caller appends them, for one
 * receipt or a whole group). A row skipped by the INSERT is a duplicate: the same idempotency key, or a new
 * document (type 0) this sender already delivered to that recipient (Decree 30 Appendix VI; the unique index
 * messages_document_once, which also decides between two posts of one document racing each other, in one group
 * or not). Then the rows that did go in are taken out again, and the blobs stay (content-addressed: harmless).
 */
export async function writeReceiptRows(tx: Queryable, blobs: BlobStore, w: ReceiptWrite): Promise<ReceiptWritten> {
  await blobs.in(tx).putMany(w.blobs);
  const inserted = await insertMessages(tx, w.rows);
  if (inserted.length !== w.rows.length) {
    if (inserted.length > 0) await tx.query('DELETE FROM messages WHERE id = ANY($1::uuid[])', [inserted.map((m) => m.id)]);
    return { duplicate: true };
  }
  if (w.archive) await archiveDocument(tx, { kind: 'package', format: 'xml', subject: w.archive.subject, sha256: w.archive.sha256 });
  return { messages: inserted };
}

async function writeGroup(db: Database, blobs: BlobStore, group: readonly ReceiptWrite[]): Promise<ReceiptWritten[]> {
  return db.transaction(async (tx) => {
    const results: ReceiptWritten[] = [];
    const events: AuditEvent[] = [];
    for (const w of group) {
      const r = await writeReceiptRows(tx, blobs, w);
      results.push(r);
      if (!('duplicate' in r)) events.push(...w.events);
    }
    await appendAuditManyInTx(tx, events);
    return results;
  });
}

const writers = new WeakMap<Database, WeakMap<BlobStore, GroupCommit<ReceiptWrite, ReceiptWritten>>>();

/** The group commit of case-free receipts on this database and blob store (one, shared by every caller). */
export function receiptWriter(db: Database, blobs: BlobStore): GroupCommit<ReceiptWrite, ReceiptWritten> {
  let byBlobs = writers.get(db);
  if (!byBlobs) writers.set(db, (byBlobs = new WeakMap()));
  let w = byBlobs.get(blobs);
  if (!w) {
    w = new GroupCommit<ReceiptWrite, ReceiptWritten>({
      writeMany: (group) => writeGroup(db, blobs, group),
      // Bounds one transaction's statement count and the time the audit head lock is held.
      maxBatch: 64,
    });
    byBlobs.set(blobs, w);
  }
  return w;
}
