// Archive renewal for stored documents (issue 7, "Archive in the service"): a PDF kept at PAdES B-LTA stays
// verifiable only while its newest document timestamp does — until that TSA's certificate expires or its
// algorithms weaken. The service's repeatable job (issue 5 wires it) asks `documentsDueForRenewal` which stored
// documents need a new archive timestamp within the configured horizon, calls `renewArchiveTimestamp` on each,
// stores the new bytes and appends the returned audit event to the audit trail.
//
// Pure parts (no I/O): archiveStateOf reads the newest timestamp from the bytes; documentsDueForRenewal decides.
import { createHash } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { PdfReader } from '../../pdf/reader.ts';
import { parseCertificate, subjectKeyIdentifier } from '../../pki/certificate.ts';
import { certificateOutline, nameKey, parseTimestampToken, type CmsDigest } from '../../pki/cms/cms-parser.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import { extendPdf } from '../../signing/pdf/extend.ts';
import { pdfSignatures } from '../../signing/pdf/ltv.ts';
import type { AuditEvent } from '../audit/audit-entry.ts';

/** What the renewal decision needs to know about a stored document's newest archive timestamp. */
export interface ArchiveState {
  /** The newest document timestamp, or undefined when the document has none (not yet B-LTA). */
  newestTimestamp?: {
    time: Date;
    /** notAfter of the TSA certificate that signed it: after this, only a later timestamp can vouch for it. */
    tsaNotAfter: Date;
    /** Digest of the imprint and of the token's own signature. */
    digests: CmsDigest[];
  };
}

export interface StoredArchiveDocument {
  /** The service's identifier (a blob SHA-256, a message id…): carried through, never interpreted. */
  id: string;
  state: ArchiveState;
}

export interface RenewalPolicy {
  /** Renew when the newest timestamp's TSA certificate expires within this many days. */
  horizonDays: number;
  /**
   * When each digest stops being acceptable (e.g. a national algorithm policy update); renew `horizonDays`
   * before. SHA-1 is already weak. Default: { 'SHA-1': 1970-01-01 }.
   */
  digestSunset?: Partial<Record<CmsDigest, Date>>;
}

export type RenewalReason = 'NO_ARCHIVE_TIMESTAMP' | 'TSA_CERTIFICATE_EXPIRING' | 'ALGORITHM_WEAKENING';

export interface DueDocument extends StoredArchiveDocument {
  reason: RenewalReason;
  /** The latest moment the renewal should happen (now when already late). */
  dueBy: Date;
}

const DAY_MS = 86_400_000;
const DEFAULT_SUNSET: Partial<Record<CmsDigest, Date>> = { 'SHA-1': new Date(0) };

/** When the document's archive must be renewed at the latest, and why. */
export function renewalDeadline(state: ArchiveState, policy: RenewalPolicy): { dueBy: Date; reason: RenewalReason } {
  const ts = state.newestTimestamp;
  if (!ts) return { dueBy: new Date(-8.64e15), reason: 'NO_ARCHIVE_TIMESTAMP' }; // the earliest date: first in line
  const horizon = policy.horizonDays * DAY_MS;
  let dueBy = new Date(ts.tsaNotAfter.getTime() - horizon);
  let reason: RenewalReason = 'TSA_CERTIFICATE_EXPIRING';
  const sunset = { ...DEFAULT_SUNSET, ...policy.digestSunset };
  for (const d of ts.digests) {
    const s = sunset[d];
    if (s && s.getTime() - horizon < dueBy.getTime()) {
      dueBy = new Date(s.getTime() - horizon);
      reason = 'ALGORITHM_WEAKENING';
    }
  }
  return { dueBy, reason };
}

/** The documents whose archive timestamp must be renewed now (deadline reached), most urgent first. */
export function documentsDueForRenewal(docs: readonly StoredArchiveDocument[], policy: RenewalPolicy, now: Date): DueDocument[] {
  const out: DueDocument[] = [];
  for (const d of docs) {
    const r = renewalDeadline(d.state, policy);
    if (r.dueBy.getTime() <= now.getTime()) out.push({ ...d, ...r });
  }
  return out.sort((a, b) => a.dueBy.getTime() - b.dueBy.getTime());
}

/** Reads the newest document timestamp of a PDF (the one covering the most bytes). */
export function archiveStateOf(pdf: Uint8Array): ArchiveState {
  const stamps = pdfSignatures(PdfReader.open(pdf)).filter((s) => s.kind === 'document-timestamp' && s.cms);
  const newest = stamps.sort((a, b) => b.signedEnd - a.signedEnd)[0];
  return newest ? archiveStateOfToken(newest.cms!) : {};
}

/** The archive state an RFC 3161 token gives (its time, its TSA certificate's notAfter, its digests). */
export function archiveStateOfToken(cms: Uint8Array): ArchiveState {
  const token = parseTimestampToken(cms);
  const sid = token.signer.sid;
  const tsaCert = token.certificates.find((der) => {
    const o = certificateOutline(der);
    if (sid.kind === 'issuerAndSerialNumber') return Buffer.from(o.serial).equals(Buffer.from(sid.serial)) && nameKey(o.issuer) === nameKey(sid.issuer);
    const ski = subjectKeyIdentifier(parseCertificate(der));
    return ski !== undefined && Buffer.from(ski).equals(Buffer.from(sid.keyIdentifier));
  });
  if (!tsaCert) {
    throw new KysoError('PDF_UNSUPPORTED', 'Dấu thời gian lưu trữ không kèm chứng thư của máy chủ dấu thời gian', 'The archive timestamp does not carry its TSA certificate');
  }
  const digests = [...new Set([token.tstInfo.imprintDigest, token.signer.digest].filter((d): d is CmsDigest => d !== undefined))];
  return { newestTimestamp: { time: token.tstInfo.genTime, tsaNotAfter: certificateOutline(tsaCert).notAfter, digests } };
}

export interface RenewOptions {
  tsa: { url: string; network?: PkiNetworkOptions };
  horizonDays: number;
  digestSunset?: RenewalPolicy['digestSunset'];
  /** Renew even when not due (an operator's request). */
  force?: boolean;
  now?: Date;
  /** The stored document's identifier, for the audit event. */
  documentId?: string;
}

export interface RenewResult {
  renewed: boolean;
  /** The renewed file (the input unchanged when not renewed). */
  bytes: Uint8Array;
  state: ArchiveState;
  reason?: RenewalReason;
  /** For the audit trail (appendAudit), when renewed. */
  audit?: AuditEvent;
}

/**
 * Renews a PDF's archive when due: fresh validation data for every signature and timestamp, then a new
 * document timestamp over all of it (kyso extend --level B-LTA). Network errors propagate (the job retries).
 */
export async function renewArchiveTimestamp(pdf: Uint8Array, o: RenewOptions): Promise<RenewResult> {
  const now = o.now ?? new Date();
  const before = archiveStateOf(pdf);
  const deadline = renewalDeadline(before, { horizonDays: o.horizonDays, ...(o.digestSunset ? { digestSunset: o.digestSunset } : {}) });
  if (!o.force && deadline.dueBy.getTime() > now.getTime()) return { renewed: false, bytes: pdf, state: before };
  const { bytes } = await extendPdf(pdf, { level: 'B-LTA', tsaUrl: o.tsa.url, ...(o.tsa.network ? { network: o.tsa.network } : {}) });
  const after = archiveStateOf(bytes);
  const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
  const sha = createHash('sha256').update(bytes).digest('hex');
  return {
    renewed: true,
    bytes,
    state: after,
    reason: deadline.reason,
    audit: {
      actor: 'system:archive-renewal',
      action: 'document.archive_renewed',
      subject: o.documentId ?? sha,
      documentSha256: sha,
      details: {
        reason: deadline.reason,
        previousSha256: createHash('sha256').update(pdf).digest('hex'),
        previousTimestamp: iso(before.newestTimestamp?.time),
        previousTsaNotAfter: iso(before.newestTimestamp?.tsaNotAfter),
        newTimestamp: iso(after.newestTimestamp?.time),
        newTsaNotAfter: iso(after.newestTimestamp?.tsaNotAfter),
        tsa: o.tsa.url,
      },
    },
  };
}
