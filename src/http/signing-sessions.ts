// Two-phase signing over HTTP (issue 6): a clerk's key never leaves the clerk.
//
//   POST /api/v1/signing-sessions            document + certificate (+ appearance, level) → 201 the data to sign
//   POST /api/v1/signing-sessions/:id/complete   { signatureValue, chain? } → the signed document + its report
//   GET  /api/v1/signing-sessions/:id        the session (state, data to sign, expiry, outcome)
//   GET  /api/v1/signing-sessions/:id/document   the signed document once completed
//   GET  /sign                               the clerks' browser signing page (static, public)
//
// Sessions live in the database (migration 0003) with the prepared bytes in the blob store, so the two calls
// may reach different instances. A session belongs to the agency of the API key that started it (another
// agency gets 404), expires (default 10 minutes, `ttlMs` or KYSO_SIGNING_SESSION_TTL_S), and is completed at
// most once: completion takes the session with a conditional UPDATE (open → completing), so of two concurrent
// completions one does the work and the other gets 409. A signature value that does not verify against the
// announced certificate is refused with 422 and the session goes back to open for a retry until it expires.
// Every step is in the audit chain: signing_session.started / completed / rejected.
//
// Routes are rows of SIGNING_SESSION_ROUTES (the RouteSpec shape of exchange-api.ts: method, path, roles,
// body, summary, handler), so an authorisation-matrix test can walk the same table the server mounts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import busboy from 'busboy';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { isKysoError, KysoError, type ErrorCode } from '../errors.ts';
import { appendAuditInTx } from '../exchange/audit/audit-log.ts';
import { verifyDocument } from '../exchange/verify-document.ts';
import { certificateDer, derToPem, pemBlocks } from '../pki/certificate.ts';
import { hash as hashOf } from '../pki/native-crypto.ts';
import type { RevocationMode } from '../pki/cert-status.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import type { DigestAlgorithm, SignatureAlgorithm, SignatureScheme } from '../pki/signer.ts';
import type { AppearanceRequest } from '../signing/pdf/sign-document.ts';
import type { PadesLevel } from '../signing/pdf/pades.ts';
import {
  completePdfSession,
  completeXmlSession,
  documentFormat,
  startPdfSession,
  startXmlSession,
  type PdfSessionMeta,
  type XmlSessionMeta,
} from '../signing/two-phase/index.ts';
import type { ApiPrincipal } from '../store/api-key.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { Database } from '../store/database.ts';
import { isoVn } from '../util/vn-time.ts';
import type { ValidationPolicy } from '../verify/policy.ts';
import type { ValidationReport } from '../verify/report.ts';
import type { TrustStore } from '../verify/trust-store.ts';
import { authorize, principalOf, type Audience } from './auth.ts';
import { send, type Reply, type RouteRow } from './route-table.ts';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem.ts';

const MiB = 1024 * 1024;
export const DEFAULT_SESSION_TTL_MS = 10 * 60_000;
/** A completion that has held a session this long is presumed dead (its process crashed) and may be retaken. */
const STALE_COMPLETION_MS = 2 * 60_000;

export interface SigningSessionsConfig {
  db: Database;
  blobs: BlobStore;
  /** How completed documents are verified before they are returned. */
  verify: { trust: TrustStore; policy?: ValidationPolicy; network?: PkiNetworkOptions; offline?: boolean };
  /** RFC 3161 TSA for B-T and above. */
  tsaUrl?: string;
  /** Transport for OCSP/CRL/TSA while signing. */
  network?: PkiNetworkOptions;
  /** Session lifetime; default env KYSO_SIGNING_SESSION_TTL_S (seconds), else 10 minutes. */
  ttlMs?: number;
  /** Largest document accepted (default 30 MiB). */
  maxDocumentBytes?: number;
  /** Certificate check when a session starts (default 'prefer': revoked refused, unknown status a warning). */
  revocationCheck?: RevocationMode;
  /** Clock (tests of expiry). */
  now?: () => Date;
}

export type SigningRouteSpec = RouteRow<SigningSessionService, 'signing-start' | 'json'>;

// ---- input ---------------------------------------------------------------------------------------------------

const bad = (vi: string, en: string) => new KysoError('INVALID_ARGUMENT', vi, en);

function base64Bytes(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/=_\-\s]*$/.test(v) || v.trim() === '') throw bad(`${name} phải là chuỗi base64`, `${name} must be a base64 string`);
  return new Uint8Array(Buffer.from(v.replace(/\s+/g, ''), /[-_]/.test(v) ? 'base64url' : 'base64'));
}

/** A certificate as PEM text, base64 DER, or DER bytes (multipart file). */
function certificateInput(v: unknown, name: string): Uint8Array {
  if (v instanceof Uint8Array) {
    const text = Buffer.from(v).toString('latin1');
    return text.includes('-----BEGIN') ? certificateInput(text, name) : v;
  }
  if (typeof v === 'string' && v.includes('-----BEGIN')) {
    const blocks = pemBlocks(v);
    if (!blocks.length) throw bad(`${name}: không có khối CERTIFICATE trong PEM`, `${name}: no CERTIFICATE block in the PEM`);
    return blocks[0]!;
  }
  const der = base64Bytes(v, name);
  try {
    return certificateDer(der);
  } catch {
    throw bad(`${name} không phải chứng thư số X.509`, `${name} is not an X.509 certificate`);
  }
}

function chainInput(v: unknown): Uint8Array[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v.includes('-----BEGIN') ? pemBlocks(v) : [certificateInput(v, 'chain')];
  if (!Array.isArray(v)) throw bad('chain phải là mảng chứng thư (PEM hoặc base64 DER)', 'chain must be an array of certificates (PEM or base64 DER)');
  return v.flatMap((c, i) => (typeof c === 'string' && c.includes('-----BEGIN') ? pemBlocks(c) : [certificateInput(c, `chain[${i}]`)]));
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw bad(`${name} phải là một trong ${allowed.join(', ')}`, `${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

const text = (v: unknown, name: string, max = 500): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) throw bad(`${name} phải là chuỗi tối đa ${max} ký tự`, `${name} must be a string of at most ${max} characters`);
  return v;
};

const LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
const SCHEMES: Record<string, SignatureScheme> = { pss: 'RSASSA-PSS', pkcs1: 'RSASSA-PKCS1-v1_5', ecdsa: 'ECDSA', 'RSASSA-PSS': 'RSASSA-PSS', 'RSASSA-PKCS1-v1_5': 'RSASSA-PKCS1-v1_5', ECDSA: 'ECDSA' };

export interface StartInput {
  document: Uint8Array;
  fileName?: string;
  certificate: Uint8Array;
  chain?: Uint8Array[];
  level?: PadesLevel;
  digest?: DigestAlgorithm;
  scheme?: SignatureScheme;
  appearance?: AppearanceRequest;
  page?: number;
  reason?: string;
  location?: string;
}

/** Reads the start request from JSON (base64 members) or from multipart fields and files of the same names. */
export function parseStartInput(fields: Record<string, unknown>, files: Record<string, { bytes: Uint8Array; filename?: string }> = {}): StartInput {
  const document = files.document?.bytes ?? (fields.document !== undefined ? base64Bytes(fields.document, 'document') : undefined);
  if (!document || document.length === 0) throw new KysoError('INVALID_ARGUMENT', 'Thiếu tài liệu cần ký (document)', 'The document to sign is missing (document)');
  const certRaw = files.certificate?.bytes ?? fields.certificate;
  if (certRaw === undefined) throw bad('Thiếu chứng thư số của người ký (certificate)', "The signer's certificate is missing (certificate)");
  const a = (typeof fields.appearance === 'object' && fields.appearance !== null ? fields.appearance : { kind: fields.appearance }) as Record<string, unknown>;
  const kind = oneOf(a.kind, ['none', 'signer', 'seal', 'stamp'] as const, 'appearance') ?? 'none';
  const image = files.image?.bytes ?? (a.image !== undefined ? base64Bytes(a.image, 'appearance.image') : fields.image !== undefined ? base64Bytes(fields.image, 'image') : undefined);
  const rectRaw = a.rect ?? fields.rect;
  const rect = rectRaw === undefined || rectRaw === '' ? undefined : (typeof rectRaw === 'string' ? rectRaw.split(',').map(Number) : rectRaw) as number[];
  if (rect && (!Array.isArray(rect) || rect.length !== 4 || rect.some((n) => typeof n !== 'number' || !Number.isFinite(n)))) throw bad('rect phải là x,y,w,h', 'rect must be x,y,w,h');
  const page = fields.page === undefined || fields.page === '' ? undefined : Number(fields.page);
  if (page !== undefined && (!Number.isInteger(page) || page < 1)) throw bad('page phải là số trang (từ 1)', 'page must be a page number (from 1)');
  const scheme = fields.scheme === undefined || fields.scheme === '' ? undefined : SCHEMES[String(fields.scheme)];
  if (fields.scheme !== undefined && fields.scheme !== '' && !scheme) throw bad('scheme phải là pss, pkcs1 hoặc ecdsa', 'scheme must be pss, pkcs1 or ecdsa');
  return {
    document,
    fileName: text(files.document?.filename ?? fields.fileName, 'fileName', 255),
    certificate: certificateInput(certRaw, 'certificate'),
    chain: chainInput(fields.chain),
    level: oneOf(fields.level, LEVELS, 'level'),
    digest: oneOf(fields.digest, ['SHA-256', 'SHA-384', 'SHA-512'] as const, 'digest'),
    scheme,
    appearance: {
      kind,
      ...(image ? { image: Buffer.from(image) } : {}),
      ...(rect ? { rect: rect as [number, number, number, number] } : {}),
      numberSymbol: text(a.numberSymbol ?? fields.numberSymbol, 'numberSymbol', 100),
      copyForm: oneOf(a.copyForm ?? fields.copyForm, ['SAO Y', 'SAO LỤC', 'TRÍCH SAO'] as const, 'copyForm'),
      agencyName: text(a.agencyName ?? fields.agencyName, 'agencyName', 300),
    },
    page: page !== undefined ? page - 1 : undefined,
    reason: text(fields.reason, 'reason'),
    location: text(fields.location, 'location'),
  };
}

/** Multipart: files `document`, `certificate`, `image`; every other part is a text field. */
function readStartMultipart(req: Request, limit: number): Promise<{ fields: Record<string, unknown>; files: Record<string, { bytes: Uint8Array; filename?: string }> }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 3, fileSize: limit, fields: 30, fieldSize: 64 * 1024, parts: 40 } });
    } catch (e) {
      return reject(bad(`Nội dung multipart không hợp lệ: ${(e as Error).message}`, `Invalid multipart body: ${(e as Error).message}`));
    }
    const fields: Record<string, unknown> = {};
    const files: Record<string, { bytes: Uint8Array; filename?: string }> = {};
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume();
      reject(e);
    };
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new KysoError('INVALID_ARGUMENT', `Tệp vượt quá ${limit / MiB} MiB`, `The file exceeds ${limit / MiB} MiB`)));
      stream.on('end', () => {
        files[name] = { bytes: Buffer.concat(chunks), filename: info.filename || undefined };
      });
    });
    bb.on('close', () => !failed && resolve({ fields, files }));
    bb.on('error', (e: Error) => fail(bad(`Nội dung multipart không hợp lệ: ${e.message}`, `Invalid multipart body: ${e.message}`)));
    req.pipe(bb);
  });
}

// ---- the service ------------------------------------------------------------------------------------------------

type SessionState = 'open' | 'completing' | 'completed';

interface SessionRow {
  id: string;
  agency_id: string;
  api_key_id: string;
  format: 'pdf' | 'xml';
  level: PadesLevel;
  state: SessionState;
  file_name: string | null;
  document_blob: string;
  prepared_blob: string;
  signed_blob: string | null;
  certificate: Uint8Array;
  meta: PdfSessionMeta | XmlSessionMeta;
  verification: ValidationReport | null;
  attempts: number;
  expires_at: Date;
  completing_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
}

export interface CompletedSession {
  session: Record<string, unknown>;
  bytes: Uint8Array;
  mediaType: string;
  fileName: string;
  report: ValidationReport;
}

const actorOf = (p: ApiPrincipal) => `key:${p.keyId}`;
const MEDIA: Record<'pdf' | 'xml', string> = { pdf: 'application/pdf', xml: 'application/xml' };
const webCryptoAlgorithm = (a: SignatureAlgorithm) =>
  a.scheme === 'ECDSA'
    ? { name: 'ECDSA', hash: a.digest }
    : a.scheme === 'RSASSA-PSS'
      ? { name: 'RSA-PSS', hash: a.digest, saltLength: a.digest === 'SHA-256' ? 32 : a.digest === 'SHA-384' ? 48 : 64 }
      : { name: 'RSASSA-PKCS1-v1_5', hash: a.digest };

function signedName(name: string | null, format: 'pdf' | 'xml'): string {
  const base = (name ?? `tai-lieu.${format}`).replace(/[\\/\r\n"]/g, '_');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `${base.slice(0, dot)}-da-ky${base.slice(dot)}` : `${base}-da-ky.${format}`;
}

export class SigningSessionService {
  readonly ttlMs: number;
  readonly maxDocumentBytes: number;
  private readonly clock: () => Date;

  constructor(readonly config: SigningSessionsConfig) {
    const envTtl = Number(process.env.KYSO_SIGNING_SESSION_TTL_S);
    this.ttlMs = config.ttlMs ?? (Number.isFinite(envTtl) && envTtl > 0 ? envTtl * 1000 : DEFAULT_SESSION_TTL_MS);
    this.maxDocumentBytes = config.maxDocumentBytes ?? 30 * MiB;
    this.clock = config.now ?? (() => new Date());
  }

  private agencyOf(p: ApiPrincipal): string {
    if (!p.agencyId) throw new KysoError('FORBIDDEN', 'Phiên ký thuộc về một cơ quan: khóa API này không gắn với cơ quan nào', 'A signing session belongs to an agency: this API key has none');
    return p.agencyId;
  }

  async start(p: ApiPrincipal, input: StartInput): Promise<Record<string, unknown>> {
    const agency = this.agencyOf(p);
    if (input.document.length > this.maxDocumentBytes) throw new KysoError('INVALID_ARGUMENT', `Tài liệu vượt quá ${this.maxDocumentBytes / MiB} MiB`, `The document exceeds ${this.maxDocumentBytes / MiB} MiB`);
    const format = documentFormat(input.document);
    if (!format) throw new KysoError('UNSUPPORTED_FORMAT', 'Tài liệu không phải PDF hay XML', 'The document is neither PDF nor XML');
    const now = this.clock();
    const common = { certificate: input.certificate, chain: input.chain, digest: input.digest, scheme: input.scheme, now, network: this.config.network, revocationCheck: this.config.revocationCheck };
    if (input.level && input.level !== 'B-B' && !this.config.tsaUrl) {
      throw bad(`Mức ${input.level} cần máy chủ dấu thời gian, dịch vụ chưa cấu hình TSA`, `Level ${input.level} needs a timestamp authority; none is configured`);
    }
    let started;
    if (format === 'pdf') {
      started = await startPdfSession(input.document, { ...common, level: input.level, appearance: input.appearance, page: input.page, reason: input.reason, location: input.location });
    } else {
      if (input.level === 'B-LT' || input.level === 'B-LTA') throw bad('Tài liệu XML ký hai bước hỗ trợ mức B-B và B-T', 'Two-phase XML signing supports levels B-B and B-T');
      started = await startXmlSession(input.document, { ...common, level: input.level as 'B-B' | 'B-T' | undefined });
    }
    const prepared = 'prepared' in started.state ? started.state.prepared : started.state.document;
    const level = started.state.meta.format === 'pdf' ? started.state.meta.level : started.state.meta.params.level;
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    const row = await this.config.db.transaction(async (tx) => {
      const blobs = this.config.blobs.in(tx);
      const documentBlob = await blobs.put(input.document, MEDIA[format]);
      const preparedBlob = await blobs.put(prepared, MEDIA[format]);
      const r = await tx.query<SessionRow>(
        `INSERT INTO signing_sessions (agency_id, api_key_id, format, level, file_name, document_blob, prepared_blob, certificate, meta, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11) RETURNING *`,
        [agency, p.keyId, format, level, input.fileName ?? null, documentBlob, preparedBlob, Buffer.from(input.certificate), JSON.stringify(started.state.meta), expiresAt, now],
      );
      const session = r.rows[0]!;
      await appendAuditInTx(tx, {
        actor: actorOf(p),
        action: 'signing_session.started',
        subject: session.id,
        documentSha256: documentBlob,
        details: { agency, format, level, signer: new X509Certificate(input.certificate).subject.replace(/\n/g, ', '), scheme: started.algorithm.scheme, digest: started.algorithm.digest },
      });
      return session;
    });
    return { ...this.present(row), warnings: started.warnings };
  }

  /** The session for its own agency, else NOT_FOUND (another agency cannot learn that it exists). */
  async find(p: ApiPrincipal, id: string): Promise<SessionRow> {
    const agency = this.agencyOf(p);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw notFound(id);
    const r = await this.config.db.query<SessionRow>('SELECT * FROM signing_sessions WHERE id = $1 AND agency_id = $2', [id, agency]);
    if (!r.rows[0]) throw notFound(id);
    return r.rows[0];
  }

  async get(p: ApiPrincipal, id: string): Promise<Record<string, unknown>> {
    return this.present(await this.find(p, id));
  }

  async complete(p: ApiPrincipal, id: string, signatureValue: Uint8Array, chain?: Uint8Array[]): Promise<CompletedSession> {
    const agency = this.agencyOf(p);
    const now = this.clock();
    // Take the session: only one completion at a time, never after expiry or a completion.
    const taken = await this.config.db.query<SessionRow>(
      `UPDATE signing_sessions SET state = 'completing', completing_at = $3
        WHERE id = $1 AND agency_id = $2 AND expires_at > $3
          AND (state = 'open' OR (state = 'completing' AND completing_at < $4))
        RETURNING *`,
      [id, agency, now, new Date(now.getTime() - STALE_COMPLETION_MS)],
    );
    const row = taken.rows[0];
    if (!row) {
      const s = await this.find(p, id);
      if (s.state === 'completed') throw new KysoError('SESSION_CLOSED', 'Phiên ký đã hoàn tất; không thể hoàn tất lần thứ hai', 'The signing session is already completed; it cannot be completed twice');
      if (s.expires_at <= now) throw new KysoError('SESSION_EXPIRED', `Phiên ký đã hết hạn lúc ${isoVn(s.expires_at)}; hãy bắt đầu phiên mới`, `The signing session expired at ${isoVn(s.expires_at)}; start a new one`);
      throw new KysoError('SESSION_CLOSED', 'Phiên ký đang được hoàn tất bởi một yêu cầu khác', 'The signing session is being completed by another request');
    }
    let signed: Uint8Array;
    let report: ValidationReport;
    try {
      const prepared = await this.config.blobs.get(row.prepared_blob);
      const opts = { chain, tsaUrl: this.config.tsaUrl, network: this.config.network };
      signed =
        row.meta.format === 'pdf'
          ? (await completePdfSession({ meta: row.meta, prepared }, signatureValue, opts)).bytes
          : (await completeXmlSession({ meta: row.meta, document: prepared }, signatureValue, opts)).bytes;
      report = await verifyDocument(signed, { trust: this.config.verify.trust, policy: this.config.verify.policy, network: this.config.verify.network ?? this.config.network, offline: this.config.verify.offline });
    } catch (e) {
      // Give the session back (it stays open for a retry until it expires: a refused value, a TSA that was down,
      // a failed verification); a refused value is audited.
      const rejected = isKysoError(e, 'SIGNATURE_VALUE_INVALID');
      await this.config.db.transaction(async (tx) => {
        await tx.query(`UPDATE signing_sessions SET state = 'open', completing_at = NULL, attempts = attempts + $2 WHERE id = $1 AND state = 'completing'`, [id, rejected ? 1 : 0]);
        if (rejected) {
          await appendAuditInTx(tx, { actor: actorOf(p), action: 'signing_session.rejected', subject: id, documentSha256: row.document_blob, details: { agency, reason: 'signature value does not verify against the announced certificate', attempt: row.attempts + 1 } });
        }
      });
      throw e;
    }
    const done = await this.config.db.transaction(async (tx) => {
      const signedBlob = await this.config.blobs.in(tx).put(signed, MEDIA[row.format]);
      const r = await tx.query<SessionRow>(
        `UPDATE signing_sessions SET state = 'completed', signed_blob = $2, verification = $3::jsonb, completed_at = $4
          WHERE id = $1 AND state = 'completing' RETURNING *`,
        [id, signedBlob, JSON.stringify(report), this.clock()],
      );
      if (!r.rows[0]) throw new KysoError('SESSION_CLOSED', 'Phiên ký đã được hoàn tất bởi một yêu cầu khác', 'The signing session was completed by another request');
      await appendAuditInTx(tx, {
        actor: actorOf(p),
        action: 'signing_session.completed',
        subject: id,
        documentSha256: signedBlob,
        details: { agency, format: row.format, level: row.level, original: row.document_blob, indication: report.indication },
      });
      return r.rows[0];
    });
    return { session: this.present(done), bytes: signed, mediaType: MEDIA[row.format], fileName: signedName(row.file_name, row.format), report };
  }

  async signedDocument(p: ApiPrincipal, id: string): Promise<{ bytes: Uint8Array; mediaType: string; fileName: string }> {
    const s = await this.find(p, id);
    if (s.state !== 'completed' || !s.signed_blob) throw new KysoError('NOT_FOUND', 'Phiên ký chưa hoàn tất: chưa có tài liệu đã ký', 'The session is not completed: no signed document yet');
    return { bytes: await this.config.blobs.get(s.signed_blob), mediaType: MEDIA[s.format], fileName: signedName(s.file_name, s.format) };
  }

  /** The session as the API shows it. */
  present(s: SessionRow): Record<string, unknown> {
    const toBeSigned = new Uint8Array(Buffer.from(s.meta.format === 'pdf' ? s.meta.signedAttributes : s.meta.signedInfo, 'base64'));
    const algorithm: SignatureAlgorithm = s.meta.format === 'pdf' ? s.meta.algorithm : { digest: s.meta.params.digest, scheme: s.meta.params.scheme };
    const expired = s.state !== 'completed' && s.expires_at <= this.clock();
    const cert = new X509Certificate(s.certificate);
    return {
      id: s.id,
      state: expired ? 'expired' : s.state,
      format: s.format,
      level: s.level,
      fileName: s.file_name,
      // What a hash-signing token signs (the digest) and what WebCrypto signs (the bytes; it hashes them itself).
      dataToSign: Buffer.from(hashOf(algorithm.digest, toBeSigned)).toString('base64'),
      toBeSigned: Buffer.from(toBeSigned).toString('base64'),
      digestAlgorithm: algorithm.digest,
      signatureAlgorithm: algorithm.scheme,
      webCrypto: webCryptoAlgorithm(algorithm),
      certificate: derToPem(s.certificate),
      signer: cert.subject.replace(/\n/g, ', '),
      expiresAt: isoVn(s.expires_at),
      attempts: s.attempts,
      createdAt: isoVn(s.created_at),
      completedAt: s.completed_at ? isoVn(s.completed_at) : null,
      documentSha256: s.document_blob,
      signedSha256: s.signed_blob,
      ...(s.verification ? { indication: s.verification.indication } : {}),
    };
  }
}


const notFound = (id: string) => new KysoError('NOT_FOUND', `Không có phiên ký ${id.slice(0, 40)}`, `No signing session ${id.slice(0, 40)}`);

// ---- routes -----------------------------------------------------------------------------------------------------

const SIGNERS: readonly Audience[] = ['agency', 'vpcp'];

function wantsJson(req: Request): boolean {
  const accept = String(req.headers.accept ?? '');
  return /application\/json/i.test(accept) || req.query.format === 'json';
}

export const SIGNING_SESSION_ROUTES: readonly SigningRouteSpec[] = [
  {
    method: 'post',
    path: '/api/v1/signing-sessions',
    roles: SIGNERS,
    body: 'signing-start',
    summary: 'Bắt đầu phiên ký hai bước: trả về dữ liệu cần ký',
    handler: async (req, res, svc) => {
      const p = principalOf(res);
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const input =
        type === 'multipart/form-data'
          ? await readStartMultipart(req, svc.maxDocumentBytes).then(({ fields, files }) => parseStartInput(fields, files))
          : parseStartInput((req.body ?? {}) as Record<string, unknown>);
      const session = await svc.start(p, input);
      return { status: 201, json: session, headers: { Location: `/api/v1/signing-sessions/${String(session.id)}` } };
    },
  },
  {
    method: 'get',
    path: '/api/v1/signing-sessions/:id',
    roles: SIGNERS,
    summary: 'Xem phiên ký',
    handler: async (req, res, svc) => ({ json: await svc.get(principalOf(res), String(req.params.id)) }),
  },
  {
    method: 'post',
    path: '/api/v1/signing-sessions/:id/complete',
    roles: SIGNERS,
    body: 'json',
    summary: 'Hoàn tất phiên ký với giá trị chữ ký',
    handler: async (req, res, svc) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const value = base64Bytes(b.signatureValue, 'signatureValue');
      const out = await svc.complete(principalOf(res), String(req.params.id), value, chainInput(b.chain));
      const headers = {
        'X-Kyso-Indication': out.report.indication,
        'Content-Disposition': `attachment; filename="${encodeURIComponent(out.fileName)}"; filename*=UTF-8''${encodeURIComponent(out.fileName)}`,
      };
      if (wantsJson(req)) {
        return {
          json: { ...out.session, fileName: out.fileName, mediaType: out.mediaType, document: Buffer.from(out.bytes).toString('base64'), verification: out.report },
          headers: { 'X-Kyso-Indication': out.report.indication },
        };
      }
      return { bytes: out.bytes, contentType: out.mediaType, headers };
    },
  },
  {
    method: 'get',
    path: '/api/v1/signing-sessions/:id/document',
    roles: SIGNERS,
    summary: 'Tải tài liệu đã ký',
    handler: async (req, res, svc) => {
      const d = await svc.signedDocument(principalOf(res), String(req.params.id));
      return { bytes: d.bytes, contentType: d.mediaType, headers: { 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(d.fileName)}` } };
    },
  },
];

// ---- problems for the codes of this module ----------------------------------------------------------------------

/** HTTP meaning of the signing errors problem.ts does not list (they are signing-only codes). */
const SIGNING_KINDS: Partial<Record<ErrorCode, { status: number; title: string; title_en: string }>> = {
  SIGNATURE_VALUE_INVALID: { status: 422, title: 'Chữ ký không hợp lệ', title_en: 'Invalid signature value' },
  SESSION_EXPIRED: { status: 410, title: 'Phiên ký đã hết hạn', title_en: 'Signing session expired' },
  SESSION_CLOSED: { status: 409, title: 'Phiên ký không còn mở', title_en: 'Signing session not open' },
  CERT_EXPIRED: { status: 422, title: 'Chứng thư số không dùng được để ký', title_en: 'Certificate cannot be used to sign' },
  CERT_NOT_YET_VALID: { status: 422, title: 'Chứng thư số không dùng được để ký', title_en: 'Certificate cannot be used to sign' },
  CERT_REVOKED: { status: 422, title: 'Chứng thư số không dùng được để ký', title_en: 'Certificate cannot be used to sign' },
  CERT_STATUS_UNKNOWN: { status: 422, title: 'Chứng thư số không dùng được để ký', title_en: 'Certificate cannot be used to sign' },
  CERT_KEY_USAGE: { status: 422, title: 'Chứng thư số không dùng được để ký', title_en: 'Certificate cannot be used to sign' },
  ALGORITHM_UNSUPPORTED: { status: 422, title: 'Thuật toán không được hỗ trợ', title_en: 'Unsupported algorithm' },
  IMAGE_INVALID: { status: 422, title: 'Ảnh chữ ký không hợp lệ', title_en: 'Invalid image' },
  PAGE_OUT_OF_RANGE: { status: 422, title: 'Trang không tồn tại', title_en: 'No such page' },
  PLACEHOLDER_TOO_SMALL: { status: 422, title: 'Chữ ký quá lớn', title_en: 'Signature too large' },
  TSA_FAILED: { status: 503, title: 'Không lấy được dấu thời gian', title_en: 'Timestamp unavailable' },
};

function sendProblem(res: Response, p: Problem): void {
  const body = JSON.stringify(p);
  res.status(p.status).setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

function signingErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  const kind = isKysoError(err) ? SIGNING_KINDS[err.code] : undefined;
  if (!kind || res.headersSent) return next(err);
  const e = err as KysoError;
  sendProblem(res, { type: problemType(e.code), title: kind.title, status: kind.status, detail: e.vi, code: e.code, title_en: kind.title_en, detail_en: e.en, instance: req.path });
}

// ---- the signing page -------------------------------------------------------------------------------------------

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'pages', 'sign');
const FORGE = (() => {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('node-forge/package.json')), 'dist', 'forge.all.min.js');
})();

/** The static files of /sign: name → [file, content type]. node-forge's browser build parses PKCS#12 in the page. */
const PAGE_FILES: Record<string, [string, string]> = {
  '/sign': [join(PAGE_DIR, 'index.html'), 'text/html; charset=utf-8'],
  '/sign/app.js': [join(PAGE_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
  '/sign/adapter.js': [join(PAGE_DIR, 'adapter.js'), 'text/javascript; charset=utf-8'],
  '/sign/sign.css': [join(PAGE_DIR, 'sign.css'), 'text/css; charset=utf-8'],
  '/sign/forge-shim.js': [join(PAGE_DIR, 'forge-shim.js'), 'text/javascript; charset=utf-8'],
  '/sign/forge.min.js': [FORGE, 'text/javascript; charset=utf-8'],
};

function mountSignPage(app: Express): void {
  const cache = new Map<string, Buffer>();
  for (const [path, [file, type]] of Object.entries(PAGE_FILES)) {
    app.get(path, (_req, res) => {
      let body = cache.get(path);
      if (!body) cache.set(path, (body = readFileSync(file)));
      res.setHeader('Content-Type', type);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      // The page talks only to this origin; the key is opened in the page and nothing loads from elsewhere.
      res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      res.end(body);
    });
  }
  app.get('/sign/', (_req, res) => res.redirect(301, '/sign'));
}

/** Mounts the signing-session API and the /sign page (call before the 404 handler, e.g. from HttpAppConfig.mount). */
export function mountSigningSessions(app: Express, config: SigningSessionsConfig): SigningSessionService {
  const svc = new SigningSessionService(config);
  const router = express.Router();
  const startJson = express.json({ limit: Math.ceil((svc.maxDocumentBytes * 4) / 3) + 4 * MiB, strict: true });
  const smallJson = express.json({ limit: 256 * 1024, strict: true });
  for (const spec of SIGNING_SESSION_ROUTES) {
    const body = spec.body === 'signing-start' ? startJson : spec.body === 'json' ? smallJson : (_q: Request, _s: Response, n: NextFunction) => n();
    router[spec.method](spec.path, authorize(config.db, spec.roles), body, async (req: Request, res: Response) => send(res, await spec.handler(req, res, svc)));
  }
  router.use(signingErrors);
  app.use(router);
  mountSignPage(app);
  return svc;
}
