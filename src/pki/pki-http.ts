// HTTP transport for OCSP, CRL, caIssuers and TSA requests: timeouts, URL rewriting, offline mode.
//
// URL rewriting exists because certificates carry fixed AIA/CDP URLs (the test PKI bakes in
// http://127.0.0.1:8400) while a test server listens on an ephemeral port, and because an administrator may
// mirror a CA's endpoints on an internal network.

import { KysoError } from '../errors.ts';

export interface PkiNetworkOptions {
  /** Per-request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** URL prefix → replacement prefix, applied to every request. Merged over KYSO_PKI_URL_REWRITE. */
  rewrite?: Record<string, string>;
  /** Never touch the network: every request fails with NETWORK. */
  offline?: boolean;
}

export interface PkiRequest {
  method?: 'GET' | 'POST';
  body?: Uint8Array;
  contentType?: string;
  /** Expected response media type, sent as Accept. */
  accept?: string;
}

export interface PkiResponse {
  /** The URL actually requested (after rewriting). */
  url: string;
  status: number;
  contentType: string;
  body: Uint8Array;
}

export const DEFAULT_PKI_TIMEOUT_MS = 5000;
/** Responses above this size are refused: CRLs of large CAs reach a few MB, nothing legitimate needs more. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Parses KYSO_PKI_URL_REWRITE: comma-separated `from=to` prefix pairs, e.g.
 * "http://127.0.0.1:8400=http://127.0.0.1:41111,http://ca.example=http://mirror.local/ca".
 */
export function parseRewriteEnv(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const from = pair.slice(0, eq).trim();
    const to = pair.slice(eq + 1).trim();
    if (from && to) out[from] = to;
  }
  return out;
}

/** Applies the longest matching prefix (explicit rules override environment rules for the same prefix). */
export function rewriteUrl(url: string, rewrite?: Record<string, string>): string {
  const rules = { ...parseRewriteEnv(process.env.KYSO_PKI_URL_REWRITE), ...rewrite };
  let best: string | undefined;
  for (const from of Object.keys(rules)) {
    if (url.startsWith(from) && (best === undefined || from.length > best.length)) best = from;
  }
  return best === undefined ? url : rules[best] + url.slice(best.length);
}

function networkError(url: string, vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('NETWORK', `${vi}: ${url}`, `${en}: ${url}`, cause === undefined ? undefined : { cause });
}

/** One request to a PKI endpoint. Non-2xx answers, timeouts and transport failures throw KysoError('NETWORK'). */
export async function fetchPki(url: string, req: PkiRequest = {}, opts: PkiNetworkOptions = {}): Promise<PkiResponse> {
  const target = rewriteUrl(url, opts.rewrite);
  let parsed: URL;
  try {
    parsed = new URL(target);
  } catch (cause) {
    throw networkError(target, 'Địa chỉ không hợp lệ', 'Invalid URL', cause);
  }
  // AIA/CDP URLs come from certificates, i.e. from outside: never follow ldap:, file: or data: schemes.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw networkError(target, 'Chỉ hỗ trợ địa chỉ http(s)', 'Only http(s) URLs are supported');
  }
  if (opts.offline) {
    throw networkError(target, 'Đang ở chế độ ngoại tuyến, không thể truy cập', 'Offline mode, not fetching');
  }

  const timeoutMs = opts.timeoutMs ?? DEFAULT_PKI_TIMEOUT_MS;
  const headers: Record<string, string> = {};
  if (req.contentType) headers['content-type'] = req.contentType;
  if (req.accept) headers.accept = req.accept;
  let res: Response;
  try {
    res = await fetch(parsed, {
      method: req.method ?? (req.body ? 'POST' : 'GET'),
      headers,
      ...(req.body ? { body: req.body as Uint8Array<ArrayBuffer> } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
    });
  } catch (cause) {
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    throw timedOut
      ? networkError(target, `Hết thời gian chờ (${timeoutMs} ms)`, `Timed out after ${timeoutMs} ms`, cause)
      : networkError(target, 'Không kết nối được', 'Connection failed', cause);
  }

  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw networkError(target, 'Phản hồi quá lớn', 'Response too large');
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await res.arrayBuffer());
  } catch (cause) {
    throw networkError(target, 'Lỗi khi nhận dữ liệu', 'Failed reading the response', cause);
  }
  if (!res.ok) {
    throw networkError(target, `Máy chủ trả về mã lỗi HTTP ${res.status}`, `Server answered HTTP ${res.status}`);
  }
  if (body.byteLength > MAX_RESPONSE_BYTES) {
    throw networkError(target, 'Phản hồi quá lớn', 'Response too large');
  }
  return { url: target, status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}
