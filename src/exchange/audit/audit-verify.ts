// Verifying the audit chain: every entry re-hashed, every link checked, no gap in seq, and the end of the log
// checked against the recorded head and the seals — so an edited, deleted, inserted or reordered entry is
// found, and reported at the first seq where the log stops being what was written.
//
// What each tampering looks like:
//   edited entry k (content, at, seq)       → k no longer matches its hash
//   edited entry k and its hash recomputed  → k+1's prev_hash no longer matches k
//   deleted entry k                         → seq jumps from k-1 to k+1
//   deleted newest entries                  → the log ends before audit_head (or before a seal's head)
//   every later hash recomputed as well     → the first sealed entry no longer has the hash its seal certifies
// The seal tokens themselves (TSA signature over the head hash) are checked by verifyAuditSeals.
import type { Database, Queryable } from '../../store/database.ts';
import { GENESIS_HASH, entryHash, rowToEntry, type AuditRow } from './audit-entry.ts';

export interface AuditMessage {
  vi: string;
  en: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Entries read from the log. */
  entries: number;
  /** The head recorded in audit_head (what the log should end with). */
  headSeq: number;
  headHash: string;
  /** The first entry that is not as it was written (or the first missing one). */
  firstBadSeq?: number;
  reason?: AuditMessage;
}

const BATCH = 1000;

/** Walks entries after `from` in seq order, in batches; stops at the first fault. */
export async function scanChain(
  q: Queryable,
  from: { seq: number; hash: string },
  onEntry: (row: AuditRow) => AuditMessage | undefined = () => undefined,
): Promise<{ last: { seq: number; hash: string }; entries: number; fault?: { seq: number; reason: AuditMessage } }> {
  let last = from;
  let entries = 0;
  for (;;) {
    const { rows } = await q.query<AuditRow>(
      'SELECT seq, at, actor, action, subject, document_sha256, details, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
      [last.seq, BATCH],
    );
    for (const row of rows) {
      entries++;
      const k = row.seq;
      if (k !== last.seq + 1) {
        return { last, entries, fault: { seq: last.seq + 1, reason: { vi: `mục #${last.seq + 1} không còn (đã bị xóa)`, en: `entry #${last.seq + 1} is missing (deleted)` } } };
      }
      const { hash, ...unhashed } = rowToEntry(row);
      if (entryHash(unhashed) !== hash) {
        return { last, entries, fault: { seq: k, reason: { vi: `nội dung mục #${k} không khớp giá trị băm của nó (đã bị sửa hoặc đổi vị trí)`, en: `entry #${k} does not match its hash (edited or moved)` } } };
      }
      if (row.prev_hash !== last.hash) {
        return {
          last,
          entries,
          fault: {
            seq: k,
            reason: {
              vi: `mục #${k} không nối tiếp mục #${k - 1} (prev_hash khác): một mục trước nó đã bị sửa, xóa hoặc thay thế`,
              en: `entry #${k} does not follow entry #${k - 1} (prev_hash differs): an entry before it was edited, removed or replaced`,
            },
          },
        };
      }
      const extra = onEntry(row);
      if (extra) return { last, entries, fault: { seq: k, reason: extra } };
      last = { seq: k, hash };
    }
    if (rows.length < BATCH) return { last, entries };
  }
}

interface SealRow {
  id: number;
  head_seq: number;
  head_hash: string;
}

async function verifyIn(tx: Queryable): Promise<ChainVerification> {
  const head = (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')).rows[0] ?? { seq: 0, hash: GENESIS_HASH };
  const seals = (await tx.query<SealRow>('SELECT id, head_seq, head_hash FROM audit_seals ORDER BY head_seq, id')).rows;
  const sealsAt = new Map<number, SealRow[]>();
  for (const s of seals) sealsAt.set(s.head_seq, [...(sealsAt.get(s.head_seq) ?? []), s]);

  const scan = await scanChain(tx, { seq: 0, hash: GENESIS_HASH }, (row) => {
    const broken = (sealsAt.get(row.seq) ?? []).find((s) => s.head_hash !== row.hash);
    return broken
      ? {
          vi: `mục #${row.seq} khác với giá trị mà dấu niêm phong #${broken.id} đã chứng thực (chuỗi đã bị tính lại)`,
          en: `entry #${row.seq} differs from what seal #${broken.id} certified (the chain was recomputed)`,
        }
      : undefined;
  });
  const result = { entries: scan.entries, headSeq: head.seq, headHash: head.hash };
  const bad = (seq: number, reason: AuditMessage): ChainVerification => ({ ok: false, ...result, firstBadSeq: seq, reason });
  if (scan.fault) return bad(scan.fault.seq, scan.fault.reason);

  const end = scan.last.seq;
  const sealBeyond = seals.filter((s) => s.head_seq > end).at(-1);
  if (sealBeyond) {
    return bad(end + 1, {
      vi: `dấu niêm phong #${sealBeyond.id} chứng thực đến mục #${sealBeyond.head_seq} nhưng sổ chỉ còn đến mục #${end}: các mục sau đã bị xóa`,
      en: `seal #${sealBeyond.id} certifies entries up to #${sealBeyond.head_seq} but the log ends at #${end}: the later entries were deleted`,
    });
  }
  if (head.seq > end) {
    return bad(end + 1, {
      vi: `sổ kết thúc ở mục #${end} nhưng đầu chuỗi ghi mục #${head.seq}: các mục #${end + 1}–#${head.seq} đã bị xóa`,
      en: `the log ends at entry #${end} but the recorded head is #${head.seq}: entries #${end + 1}–#${head.seq} were deleted`,
    });
  }
  if (head.seq < end) {
    return bad(head.seq + 1, {
      vi: `có mục sau đầu chuỗi đã ghi (#${head.seq}): mục #${head.seq + 1} được thêm ngoài kyso`,
      en: `there are entries after the recorded head (#${head.seq}): entry #${head.seq + 1} was added outside kyso`,
    });
  }
  if (head.hash !== scan.last.hash) {
    return bad(end, { vi: `mục cuối #${end} khác với đầu chuỗi đã ghi`, en: `the last entry #${end} differs from the recorded head` });
  }
  return { ok: true, ...result };
}

/**
 * Verifies the whole chain in one consistent snapshot (REPEATABLE READ), so appends running meanwhile neither
 * disturb nor get half-counted. Reads in batches: memory does not grow with the log.
 */
export function verifyAuditChain(db: Database): Promise<ChainVerification> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifyIn(tx);
  });
}
