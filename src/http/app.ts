// The kyso HTTP API (first cut): signature verification as a stateless service.
//
//   POST /api/v1/verify[?at=ISO&offline=true&name=file.pdf]
//        body: the PDF itself (Content-Type application/pdf or application/octet-stream)
//              or multipart/form-data with the PDF in the field `file`
//        → 200 application/json ValidationReport (also when the signature is invalid: the report says so)
//   GET  /healthz → 200 {"status":"ok","version":"…"}
//
// Every error is application/problem+json (RFC 9457, see problem.ts). Nothing is kept between requests except
// what the PKI layer caches (OCSP/CRL until nextUpdate, parsed certificates), so any number of instances can
// run behind a load balancer.
//
// Uploads are read as a stream and refused as soon as they pass the limit: a declared Content-Length above it
// is refused before reading (and before `100 Continue`, so curl never sends the body); an undeclared one is cut
// off at the limit. What the client still sends after the 413 is discarded, not kept, for a short while
// (so it can read the answer before the connection closes), then the connection is dropped.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { verifyDocument } from '../exchange/verify-document.ts';
import type { VerifyOptions } from '../verify/pdf/pdf-validator.ts';
import type { ValidationPolicy } from '../verify/policy.ts';
import type { ValidationReport } from '../verify/report.ts';
import type { TrustStore } from '../verify/trust-store.ts';
import { VerifyPool } from './verify-pool.ts';
import { HttpProblemError, problem, problemFromError, PROBLEM_CONTENT_TYPE, type Problem } from './problem.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const MiB = 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * MiB;
export const DEFAULT_VALIDATION_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONCURRENT = 32;
/** Multipart framing (boundaries, part headers, small fields) allowed on top of the file limit. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** After refusing an upload: discard at most this much more of the body, for at most this long, then drop the connection. */
const LINGER_BYTES = 4 * MiB;
const LINGER_MS = 2000;

/** Validates one upload. `signal` aborts when the request's time limit passes (a pool then stops the work). */
export type Verifier = (bytes: Uint8Array, opts: VerifyOptions, signal: AbortSignal) => Promise<ValidationReport>;

export interface HttpAppConfig {
  trust: TrustStore;
  policy: ValidationPolicy;
  /** PKI transport (timeouts, URL rewriting) for OCSP/CRL/caIssuers fetched during validation. */
  network?: PkiNetworkOptions;
  /** Server-wide offline mode (no OCSP/CRL/AIA fetches); a request can ask for it with ?offline=true. */
  offline?: boolean;
  /** Default: env KYSO_MAX_UPLOAD_MB (MiB), else 50 MiB. */
  maxUploadBytes?: number;
  /** Per-request validation time limit; default env KYSO_VERIFY_TIMEOUT_MS, else 30 s. Over it → 503. */
  validationTimeoutMs?: number;
  /** Validations in progress at once; more → 503 with Retry-After. Default env KYSO_MAX_CONCURRENT, else 32. */
  maxConcurrent?: number;
  /** Where server faults are logged (never sent to the client); default stderr. */
  log?: (line: string) => void;
  /**
   * The validator; default verifyPdf in the request's thread. startHttpServer passes a worker pool's instead
   * when `workers` > 0. (Tests also substitute slow or failing ones.)
   */
  verifier?: Verifier;
  /** Mounts further routes (the exchange API, signing sessions) before the 404 handler. */
  mount?: (app: express.Express) => void;
}

export interface HttpServerConfig extends HttpAppConfig {
  port?: number;
  host?: string;
  /**
   * Validation worker threads (verify-pool.ts): a request over its time limit or memory budget is really
   * stopped, and all cores are used. 0 = validate in the server's own thread. Default env KYSO_VERIFY_WORKERS,
   * else 0 (`kyso serve` defaults to the number of cores).
   */
  workers?: number;
  /** Old-generation heap limit per worker, MiB (default env KYSO_WORKER_MEMORY_MB, else 1024). */
  workerMemoryMb?: number;
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

/** Resolved limits (config, then environment, then defaults). */
export function resolveLimits(config: Pick<HttpAppConfig, 'maxUploadBytes' | 'validationTimeoutMs' | 'maxConcurrent'>) {
  const mb = envNumber('KYSO_MAX_UPLOAD_MB');
  return {
    maxUploadBytes: Math.floor(config.maxUploadBytes ?? (mb !== undefined ? mb * MiB : DEFAULT_MAX_UPLOAD_BYTES)),
    validationTimeoutMs: config.validationTimeoutMs ?? envNumber('KYSO_VERIFY_TIMEOUT_MS') ?? DEFAULT_VALIDATION_TIMEOUT_MS,
    maxConcurrent: Math.floor(config.maxConcurrent ?? envNumber('KYSO_MAX_CONCURRENT') ?? DEFAULT_MAX_CONCURRENT),
  };
}

const fmtBytes = (n: number) => (n >= MiB ? `${+(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} bytes`);

// ---- problems --------------------------------------------------------------------------------------------

/**
 * After an error answered before the body was read to the end: keep discarding it briefly so the client can
 * read the answer (closing with unread data makes the kernel send RST, which can destroy the answer in flight),
 * and drop the connection once LINGER_BYTES or LINGER_MS is exceeded.
 */
function lingerOnIncompleteBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let discarded = 0;
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  req.on('data', (c: Buffer) => {
    discarded += c.length;
    if (discarded > LINGER_BYTES) socket.destroy();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function sendProblem(req: IncomingMessage, res: ServerResponse, p: Problem, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(p);
  res.statusCode = p.status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
  lingerOnIncompleteBody(req);
}

// ---- uploads ---------------------------------------------------------------------------------------------

interface Upload {
  bytes: Uint8Array;
  /** File name from the multipart part, if any. */
  filename?: string;
}

const tooLarge = (limit: number) =>
  new HttpProblemError(
    'PAYLOAD_TOO_LARGE',
    `Tệp vượt quá giới hạn ${fmtBytes(limit)} cho mỗi lần kiểm tra.`,
    `The file exceeds the ${fmtBytes(limit)} limit per verification.`,
  );

const noFile = () =>
  new HttpProblemError(
    'NO_FILE',
    'Không có tệp trong yêu cầu: gửi tệp PDF làm nội dung (Content-Type: application/pdf) hoặc trong trường multipart "file".',
    'The request carries no file: send the PDF as the body (Content-Type: application/pdf) or in the multipart field "file".',
  );

function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function continueIfAsked(req: IncomingMessage, res: ServerResponse): void {
  if ((req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
}

function readRaw(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Upload> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
  continueIfAsked(req, res);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        reject(tooLarge(limit));
      } else chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve({ bytes: Buffer.concat(chunks, size) });
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function readMultipart(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Upload> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit + MULTIPART_OVERHEAD) return Promise.reject(tooLarge(limit));
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: limit, fields: 20, fieldSize: 4096, parts: 30, headerPairs: 50 } });
  } catch (e) {
    return Promise.reject(
      new HttpProblemError('BAD_REQUEST', `Nội dung multipart/form-data không hợp lệ: ${(e as Error).message}`, `Invalid multipart/form-data: ${(e as Error).message}`),
    );
  }
  continueIfAsked(req, res);
  return new Promise((resolve, reject) => {
    let settled = false;
    let file: Upload | undefined;
    let pending = 0;
    let total = 0;
    let finished = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', countRaw);
      req.unpipe(bb);
      bb.removeAllListeners();
      bb.on('error', () => {});
      reject(e);
    };
    const maybeDone = () => {
      if (settled || !finished || pending > 0) return;
      settled = true;
      req.off('data', countRaw);
      if (file && file.bytes.length > 0) resolve(file);
      else reject(noFile());
    };
    const countRaw = (c: Buffer) => {
      total += c.length;
      if (total > limit + MULTIPART_OVERHEAD) fail(tooLarge(limit));
    };
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || file || settled) {
        stream.resume();
        return;
      }
      pending++;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        chunks.push(c);
      });
      stream.on('limit', () => {
        chunks.length = 0;
        fail(tooLarge(limit));
      });
      stream.on('end', () => {
        pending--;
        if (!settled && !(stream as { truncated?: boolean }).truncated) file = { bytes: Buffer.concat(chunks, size), filename: info.filename || undefined };
        maybeDone();
      });
      stream.on('error', (e: Error) => fail(e));
    });
    bb.on('close', () => {
      finished = true;
      maybeDone();
    });
    bb.on('error', (e: Error) =>
      fail(new HttpProblemError('BAD_REQUEST', `Nội dung multipart/form-data không hợp lệ: ${e.message}`, `Invalid multipart/form-data: ${e.message}`)),
    );
    req.on('data', countRaw);
    req.on('error', (e: Error) => fail(e));
    req.pipe(bb);
  });
}

// PDF (PAdES) and XML (XAdES, edXML packages); the validator sniffs the bytes, the type only admits them.
const RAW_TYPES = new Set(['application/pdf', 'application/octet-stream', 'application/x-pdf', 'application/xml', 'text/xml']);

function readUpload(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Upload> {
  const type = mediaTypeOf(req);
  if (type === 'multipart/form-data') return readMultipart(req, res, limit);
  if (RAW_TYPES.has(type)) return readRaw(req, res, limit);
  const got = type || '(không có / none)';
  return Promise.reject(
    new HttpProblemError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Kiểu nội dung ${got} không được hỗ trợ. Gửi tệp PDF hoặc XML với Content-Type: application/pdf, application/xml (hoặc application/octet-stream), hoặc multipart/form-data với trường "file".`,
      `Content type ${type || '(none)'} is not supported. Send the PDF or XML with Content-Type: application/pdf or application/xml (or application/octet-stream), or multipart/form-data with the field "file".`,
      { 'Accept-Post': 'application/pdf, application/xml, application/octet-stream, multipart/form-data' },
    ),
  );
}

// ---- query -----------------------------------------------------------------------------------------------

function queryString(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    throw new HttpProblemError('BAD_REQUEST', `Tham số ${name} chỉ được có một giá trị`, `Query parameter ${name} must appear once`);
  }
  return v;
}

function parseAt(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  // ISO 8601 date or date-time; a date-time without an offset is not accepted (ambiguous: UTC or +07:00?).
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(v);
  const d = new Date(v);
  if (!ok || Number.isNaN(d.getTime())) {
    throw new HttpProblemError(
      'BAD_REQUEST',
      `Thời điểm kiểm tra "at" không hợp lệ: "${v}" (ISO 8601 có múi giờ, ví dụ 2026-03-12T10:15:30+07:00)`,
      `Invalid validation time "at": "${v}" (ISO 8601 with an offset, e.g. 2026-03-12T10:15:30+07:00)`,
    );
  }
  return d;
}

function parseBool(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === 'true' || s === '1' || s === '') return true;
  if (s === 'false' || s === '0') return false;
  throw new HttpProblemError('BAD_REQUEST', `Tham số ${name} phải là true hoặc false: "${v}"`, `Query parameter ${name} must be true or false: "${v}"`);
}

// ---- validation with a time limit ----------------------------------------------------------------------

function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const controller = new AbortController();
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new HttpProblemError(
            'VALIDATION_TIMEOUT',
            `Việc kiểm tra chữ ký không xong trong ${ms / 1000} giây (có thể do dịch vụ OCSP/CRL chậm hoặc tệp quá phức tạp). Vui lòng thử lại sau.`,
            `Signature validation did not finish within ${ms / 1000} s (slow OCSP/CRL services or an overly complex file). Please retry later.`,
            { 'Retry-After': '10' },
          );
      // A worker pool terminates the validation; in the server's own thread it can only be abandoned (it
      // finishes in the background and its result is dropped).
      controller.abort(e);
      reject(e);
    }, ms);
  });
  const running = Promise.resolve().then(() => work(controller.signal));
  running.catch(() => {});
  return Promise.race([running, limit]).finally(() => clearTimeout(timer));
}

// ---- the app ---------------------------------------------------------------------------------------------

export function createApp(config: HttpAppConfig): express.Express {
  const limits = resolveLimits(config);
  const log = config.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const verifier: Verifier = config.verifier ?? verifyDocument;
  let inFlight = 0;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', version: VERSION });
  });

  app.post('/api/v1/verify', async (req, res) => {
    const at = parseAt(queryString(req, 'at'));
    const offline = parseBool('offline', queryString(req, 'offline'));
    const name = queryString(req, 'name');
    if (limits.maxConcurrent > 0 && inFlight >= limits.maxConcurrent) {
      throw new HttpProblemError(
        'OVERLOADED',
        'Dịch vụ đang xử lý quá nhiều yêu cầu kiểm tra cùng lúc. Vui lòng thử lại sau giây lát.',
        'Too many verifications in progress. Please retry in a moment.',
        { 'Retry-After': '1' },
      );
    }
    inFlight++;
    try {
      const upload = await readUpload(req, res, limits.maxUploadBytes);
      if (upload.bytes.length === 0) throw noFile();
      const report = await withTimeout(
        (signal) =>
          verifier(
            upload.bytes,
            {
          trust: config.trust,
          policy: config.policy,
          at,
          offline: offline ?? config.offline,
          network: config.network,
          name: name ?? upload.filename,
            },
            signal,
          ),
        limits.validationTimeoutMs,
      );
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(report);
    } finally {
      inFlight--;
    }
  });

  app.all('/api/v1/verify', (req, res) => {
    sendProblem(
      req,
      res,
      problem('METHOD_NOT_ALLOWED', `Phương thức ${req.method} không dùng được ở đây; dùng POST.`, `Method ${req.method} is not allowed here; use POST.`, req.path),
      { Allow: 'POST' },
    );
  });
  app.all('/healthz', (req, res) => {
    sendProblem(
      req,
      res,
      problem('METHOD_NOT_ALLOWED', `Phương thức ${req.method} không dùng được ở đây; dùng GET.`, `Method ${req.method} is not allowed here; use GET.`, req.path),
      { Allow: 'GET, HEAD' },
    );
  });

  config.mount?.(app);

  app.use((req: Request, res: Response) => {
    sendProblem(req, res, problem('NOT_FOUND', `Không có tài nguyên ${req.method} ${req.path}.`, `No resource ${req.method} ${req.path}.`, req.path));
  });

  // Express recognises error handlers by their four parameters.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
    if (!(err instanceof HttpProblemError) && typeof status === 'number' && status >= 400 && status < 500) {
      // Errors raised by express and its body parsers on a malformed request (bad URI encoding, bad JSON, ...).
      if (status === 413) {
        sendProblem(req, res, problem('PAYLOAD_TOO_LARGE', 'Nội dung gửi lên vượt quá giới hạn cho phép.', 'The request body exceeds the limit.', req.path));
      } else if (status === 415) {
        sendProblem(req, res, problem('UNSUPPORTED_MEDIA_TYPE', 'Kiểu nội dung không được hỗ trợ.', 'Unsupported content type.', req.path));
      } else {
        const parse = (err as { type?: string }).type === 'entity.parse.failed';
        sendProblem(req, res, problem('BAD_REQUEST', parse ? 'Nội dung JSON không hợp lệ.' : 'Yêu cầu không hợp lệ.', parse ? 'Invalid JSON body.' : 'Malformed request.', req.path));
      }
      return;
    }
    const { problem: p, headers, internal } = problemFromError(err, req.path);
    if (internal) log(`kyso http: ${req.method} ${req.originalUrl} → 500: ${(err as Error)?.stack ?? String(err)}`);
    sendProblem(req, res, p, headers);
  });

  return app;
}

// ---- server ----------------------------------------------------------------------------------------------

export interface HttpServerHandle {
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  host: string;
  port: number;
  /** Validation worker threads (0: validation runs in the server's thread). */
  workers: number;
  /** Stops accepting connections, lets requests in progress finish (up to graceMs, default 10 s), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the app on host:port (default 127.0.0.1:0, i.e. an ephemeral port), with its worker pool if any. */
export async function startHttpServer(config: HttpServerConfig): Promise<HttpServerHandle> {
  const workers = Math.floor(config.workers ?? envNumber('KYSO_VERIFY_WORKERS') ?? 0);
  let pool: VerifyPool | undefined;
  if (workers > 0 && !config.verifier) {
    pool = new VerifyPool({ size: workers, trust: config.trust, policy: config.policy, network: config.network, memoryMb: config.workerMemoryMb, log: config.log });
    await pool.ready();
  }
  const app = createApp(pool ? { ...config, verifier: (bytes, opts, signal) => pool.verify(bytes, opts, signal) } : config);
  const server = createServer(app);
  // Answer `Expect: 100-continue` ourselves: an over-limit upload gets its 413 before the client sends the body.
  server.on('checkContinue', (req, res) => app(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  }).catch(async (e: unknown) => {
    await pool?.close();
    throw e;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    workers: pool?.size ?? 0,
    close: (graceMs = 10_000) =>
      (closing ??= new Promise<void>((ok, fail) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close((err) => {
          clearTimeout(force);
          void (pool?.close() ?? Promise.resolve()).then(() => (err ? fail(err) : ok()), fail);
        });
        server.closeIdleConnections();
      })),
  };
}
