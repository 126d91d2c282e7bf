// The archive in the service (issue 7): published answers (PDF) and exchanged document packages (edXML) are
// kept at B-LTA — validation data (chain, OCSP/CRL) and an archive timestamp added to the very bytes received,
// without touching their signatures — and renewed before the newest timestamp's TSA certificate expires or its
// digest weakens. The OCSP/CRL answers are kept inside the document (Thông tư 15/2025 Art. 5(4)).
//
//   archiveDocument(tx, …)   registers a document (due at once); publication and receipt call it
//   runArchivePass(ctx, …)   one pass of the worker's job: extends what is new, renews what is due, audits each;
//                            a failure (TSA or OCSP unreachable) is recorded and retried next pass
import { KysoError } from '../../errors.ts';
import { extendPdf } from '../../signing/pdf/extend.ts';
import { extendXml } from '../../signing/xml/xades-ltv.ts';
import type { Queryable } from '../../store/database.ts';
import { parseXmlSafely } from '../../xml/safe-parser.ts';
import { NS } from '../../xml/xmldsig.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import type { ExchangeContext } from '../exchange-context.ts';
import { archiveStateOf, archiveStateOfToken, renewalDeadline, type ArchiveState, type RenewalPolicy } from './retimestamp.ts';

export type ArchiveKind = 'answer' | 'package';
export type ArchiveFormat = 'pdf' | 'xml';

export interface ArchivePolicy extends RenewalPolicy {
  /** Documents handled per pass (default 50). */
  batch?: number;
}

export const DEFAULT_ARCHIVE_POLICY: ArchivePolicy = { horizonDays: 90 };

/** Registers a document for archiving; due now. Idempotent per kind and bytes. */
export async function archiveDocument(tx: Queryable, d: { kind: ArchiveKind; format: ArchiveFormat; subject: string; sha256: string }): Promise<void> {
  await tx.query(
    `INSERT INTO archive_documents (kind, format, subject, original_sha256, renewal_due_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT ON CONSTRAINT archive_documents_once DO NOTHING`,
    [d.kind, d.format, d.subject, d.sha256],
  );
}

/** The newest XAdES archive timestamp of an XML document (ArchiveTimeStamp, xades141). */
export function xmlArchiveStateOf(xml: Uint8Array): ArchiveState {
  const doc = parseXmlSafely(xml);
  const stamps = doc.getElementsByTagNameNS(NS.xades141, 'ArchiveTimeStamp');
  const last = stamps.item(stamps.length - 1);
  if (!last) return {};
  const enc = last.getElementsByTagNameNS(NS.xades, 'EncapsulatedTimeStamp').item(0);
  if (!enc?.textContent) return {};
  return archiveStateOfToken(new Uint8Array(Buffer.from(enc.textContent.replace(/\s+/g, ''), 'base64')));
}

interface Row {
  id: number;
  kind: ArchiveKind;
  format: ArchiveFormat;
  subject: string;
  original_sha256: string;
  archived_sha256: string | null;
  attempts: number;
}

export interface ArchivePassResult {
  extended: number;
  renewed: number;
  failed: { subject: string; reason: string }[];
  /** False when no TSA is configured (nothing can be archived). */
  ran: boolean;
}

/** How long a claimed document is reserved for the worker that claimed it (a crashed worker's claim lapses). */
const LEASE_MS = 10 * 60_000;

/**
 * One pass: every document whose renewal is due (new ones are due at once) is extended to B-LTA — the first
 * time from the bytes received, afterwards from its archival form (a renewal adds fresh validation data for the
 * previous timestamps and a new archive timestamp over everything) — and gets its next due date from the new
 * timestamp's TSA certificate and digests. Workers claim documents by moving their due date one lease ahead
 * (FOR UPDATE SKIP LOCKED), so several workers share the work without doing any document twice.
 */
export async function runArchivePass(ctx: ExchangeContext, policy: ArchivePolicy = DEFAULT_ARCHIVE_POLICY, now: Date = new Date()): Promise<ArchivePassResult> {
  const result: ArchivePassResult = { extended: 0, renewed: 0, failed: [], ran: false };
  if (!ctx.tsaUrl) return result;
  result.ran = true;
  {
    const due = await ctx.db.query<Row>(
      `UPDATE archive_documents SET renewal_due_at = $3
        WHERE id IN (SELECT id FROM archive_documents WHERE renewal_due_at <= $1 ORDER BY renewal_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, format, subject, original_sha256, archived_sha256, attempts`,
      [now, policy.batch ?? 50, new Date(now.getTime() + LEASE_MS)],
    );
    for (const row of due.rows) {
      const first = row.archived_sha256 === null;
      try {
        const input = await ctx.blobs.get(row.archived_sha256 ?? row.original_sha256);
        const opts = { level: 'B-LTA' as const, tsaUrl: ctx.tsaUrl, ...(ctx.network ? { network: ctx.network } : {}) };
        const bytes = row.format === 'pdf' ? (await extendPdf(input, opts)).bytes : (await extendXml(input, opts)).bytes;
        const state = row.format === 'pdf' ? archiveStateOf(bytes) : xmlArchiveStateOf(bytes);
        if (!state.newestTimestamp) throw new KysoError('TSA_FAILED', 'Không có dấu thời gian lưu trữ sau khi gia hạn', 'No archive timestamp after extension');
        const next = renewalDeadline(state, policy);
        const sha = await ctx.blobs.put(bytes, row.format === 'pdf' ? 'application/pdf' : 'application/xml');
        await ctx.db.transaction(async (tx) => {
          await tx.query(
            `UPDATE archive_documents SET archived_sha256 = $2, newest_timestamp_at = $3, tsa_not_after = $4, renewal_due_at = $5,
                    renewed_at = now(), attempts = 0, last_error = NULL WHERE id = $1`,
            [row.id, sha, state.newestTimestamp!.time, state.newestTimestamp!.tsaNotAfter, next.dueBy],
          );
          // A published answer is served in its archival form from now on (same signatures, more proof).
          if (row.kind === 'answer') await tx.query(`UPDATE pakn_cases SET answer_blob = $2, updated_at = now() WHERE code = $1`, [row.subject, sha]);
          await appendAuditInTx(tx, {
            actor: 'system:archive',
            action: first ? 'archive.extended' : 'archive.renewed',
            subject: row.subject,
            documentSha256: sha,
            details: {
              kind: row.kind,
              level: 'B-LTA',
              previousSha256: row.archived_sha256 ?? row.original_sha256,
              timestamp: state.newestTimestamp!.time.toISOString(),
              tsaNotAfter: state.newestTimestamp!.tsaNotAfter.toISOString(),
              nextRenewalDue: next.dueBy.toISOString(),
              reason: next.reason,
            },
          });
        });
        if (first) result.extended++;
        else result.renewed++;
      } catch (e) {
        const reason = e instanceof KysoError ? e.en : String((e as Error)?.message ?? e);
        result.failed.push({ subject: row.subject, reason });
        // Retry later with a growing pause (1, 2, 4 … 60 minutes).
        const pauseMin = Math.min(60, 2 ** Math.min(row.attempts, 6));
        await ctx.db.query(`UPDATE archive_documents SET attempts = attempts + 1, last_error = $2, renewal_due_at = $3 WHERE id = $1`, [row.id, reason.slice(0, 500), new Date(now.getTime() + pauseMin * 60_000)]);
      }
    }
  }
  return result;
}
