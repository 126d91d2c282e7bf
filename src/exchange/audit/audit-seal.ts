// Sealing the audit chain: an RFC 3161 timestamp whose message imprint is the chain head's hash. The head
// hash commits to every entry before it, so a valid seal proves entries 1..head_seq existed, exactly as they
// are, at the TSA's genTime — even against someone able to rewrite the whole table and recompute every hash.
//
// Before sealing, the entries added since the previous seal are verified: a seal must never certify a chain
// that is already broken. (The first seal verifies the whole chain.)
import { KysoError, isKysoError } from '../../errors.ts';
import { nameToString, parseCertificate } from '../../pki/certificate.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import { requestTimestamp, verifyTimestampToken } from '../../pki/tsp-client.ts';
import type { Database, Queryable } from '../../store/database.ts';
import { GENESIS_HASH } from './audit-entry.ts';
import { scanChain, type AuditMessage } from './audit-verify.ts';

export interface AuditSeal {
  id: number;
  headSeq: number;
  headHash: string;
  /** The TSA's time: when the entries up to headSeq are proven to have existed. */
  genTime: Date;
  tsaUrl: string;
  /** TSTInfo serial number (hex). */
  serial: string;
  /** The TimeStampToken (DER). */
  token: Uint8Array;
}

export interface SealOptions {
  tsaUrl: string;
  network?: PkiNetworkOptions;
}

export interface SealVerification {
  id: number;
  headSeq: number;
  headHash: string;
  tsaUrl: string;
  ok: boolean;
  /** From the verified token. */
  genTime?: Date;
  /** Subject of the TSA certificate in the token. */
  tsaSubject?: string;
  /** Entries the seal covers (1..headSeq)… */
  coveredEntries: number;
  /** …of the entries the log has now; the difference is not yet sealed. */
  totalEntries: number;
  reason?: AuditMessage;
}

const broken = (seq: number, reason: AuditMessage) =>
  new KysoError('AUDIT_CHAIN_BROKEN', `Không niêm phong: chuỗi kiểm toán hỏng tại mục #${seq}: ${reason.vi}`, `Not sealing: the audit chain is broken at entry #${seq}: ${reason.en}`);

/** The head to seal, after checking every entry since the last seal. */
async function verifiedHead(tx: Queryable): Promise<{ seq: number; hash: string }> {
  const head = (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')).rows[0];
  if (!head || head.seq === 0) {
    throw new KysoError('INVALID_ARGUMENT', 'Nhật ký kiểm toán trống: không có gì để niêm phong', 'The audit log is empty: nothing to seal');
  }
  const last = (await tx.query<{ head_seq: number; head_hash: string }>('SELECT head_seq, head_hash FROM audit_seals ORDER BY head_seq DESC, id DESC LIMIT 1')).rows[0];
  let from = { seq: 0, hash: GENESIS_HASH };
  if (last) {
    const row = (await tx.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [last.head_seq])).rows[0];
    if (row?.hash !== last.head_hash) {
      throw broken(last.head_seq, { vi: 'mục đã niêm phong lần trước không còn như cũ', en: 'the entry sealed last time is no longer as it was' });
    }
    from = { seq: last.head_seq, hash: last.head_hash };
  }
  const scan = await scanChain(tx, from);
  if (scan.fault) throw broken(scan.fault.seq, scan.fault.reason);
  if (scan.last.seq !== head.seq || scan.last.hash !== head.hash) {
    throw broken(Math.min(scan.last.seq, head.seq) + 1, { vi: 'sổ không kết thúc ở đầu chuỗi đã ghi', en: 'the log does not end at the recorded head' });
  }
  return head;
}

/** Timestamps the current chain head with the TSA and stores the seal. */
export async function sealAuditLog(db: Database, opts: SealOptions): Promise<AuditSeal> {
  const head = await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifiedHead(tx);
  });
  // No transaction is held across the network call: appends continue meanwhile; the seal covers this head.
  const ts = await requestTimestamp({ digest: Buffer.from(head.hash, 'hex') }, 'SHA-256', { ...opts.network, url: opts.tsaUrl });
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO audit_seals (head_seq, head_hash, gen_time, tsa_url, serial, token) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [head.seq, head.hash, ts.genTime, opts.tsaUrl, ts.serial, ts.tokenDer],
  );
  return { id: rows[0]!.id, headSeq: head.seq, headHash: head.hash, genTime: ts.genTime, tsaUrl: opts.tsaUrl, serial: ts.serial, token: ts.tokenDer };
}

interface StoredSeal {
  id: number;
  head_seq: number;
  head_hash: string;
  gen_time: Date;
  tsa_url: string;
  token: Uint8Array;
  entry_hash: string | null;
}

/**
 * Checks every seal: the token is a valid RFC 3161 token (TSA signature, ESS binding, timeStamping EKU, TSA
 * certificate valid at genTime) whose imprint is the sealed head hash, and the sealed entry still has that hash.
 * Offline: nothing is fetched. The TSA certificate's chain to a trusted root is not built here (see report).
 */
export async function verifyAuditSeals(db: Queryable): Promise<SealVerification[]> {
  const head = (await db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1')).rows[0];
  const { rows } = await db.query<StoredSeal>(
    `SELECT s.id, s.head_seq, s.head_hash, s.gen_time, s.tsa_url, s.token, l.hash AS entry_hash
     FROM audit_seals s LEFT JOIN audit_log l ON l.seq = s.head_seq ORDER BY s.head_seq, s.id`,
  );
  return rows.map((s): SealVerification => {
    const base = { id: s.id, headSeq: s.head_seq, headHash: s.head_hash, tsaUrl: s.tsa_url, coveredEntries: s.head_seq, totalEntries: head?.seq ?? 0 };
    const bad = (reason: AuditMessage, more: Partial<SealVerification> = {}): SealVerification => ({ ...base, ok: false, ...more, reason });
    let genTime: Date;
    let tsaSubject: string;
    try {
      const t = verifyTimestampToken(s.token, { digestAlgorithm: 'SHA-256', imprint: Buffer.from(s.head_hash, 'hex') });
      genTime = t.genTime;
      tsaSubject = nameToString(parseCertificate(t.tsaCert).subject);
    } catch (e) {
      if (!isKysoError(e)) throw e;
      return bad({ vi: `dấu thời gian không hợp lệ cho đầu chuỗi #${s.head_seq}: ${e.vi}`, en: `the timestamp is not valid for head #${s.head_seq}: ${e.en}` });
    }
    const found = { genTime, tsaSubject };
    if (genTime.getTime() !== s.gen_time.getTime()) {
      return bad({ vi: 'thời điểm ghi trong bảng khác thời điểm trong dấu thời gian', en: 'the recorded time differs from the token time' }, found);
    }
    if (s.entry_hash === null) {
      return bad({ vi: `mục #${s.head_seq} được niêm phong không còn (đã bị xóa)`, en: `the sealed entry #${s.head_seq} is missing (deleted)` }, found);
    }
    if (s.entry_hash !== s.head_hash) {
      return bad({ vi: `mục #${s.head_seq} đã khác với giá trị được niêm phong`, en: `entry #${s.head_seq} differs from the sealed value` }, found);
    }
    return { ...base, ok: true, ...found };
  });
}
