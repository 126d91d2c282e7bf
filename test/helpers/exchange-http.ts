// The exchange API over real HTTP for tests: kyso's own server (startHttpServer with the exchange mounted, as
// `kyso serve` builds it) on an ephemeral loopback port, and a small client that speaks to it with fetch.
import type { ExchangeRuntime } from '../../src/exchange/runtime.ts';
import { startHttpServer, type HttpServerHandle } from '../../src/http/app.ts';
import { mountCitizenPages } from '../../src/http/citizen-pages.ts';
import { mountExchangeApi } from '../../src/http/exchange-api.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';

export interface ApiCall {
  /** The API key (Authorization: Bearer …). */
  key?: string;
  json?: unknown;
  /** A raw body (e.g. a signed package) with its content type. */
  body?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  contentType: string;
  /** The parsed JSON body (problem+json included), or undefined for other bodies. */
  // Untyped on purpose: the assertions walk arbitrary JSON answers.
  json: any;
  bytes: Uint8Array;
}

export interface ExchangeHttp {
  url: string;
  server: HttpServerHandle;
  call(method: string, path: string, c?: ApiCall): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** The exchange API over HTTP on a free port (and the citizen pages with `citizenPages`). */
export async function startExchangeHttp(rt: ExchangeRuntime, pki: TestPkiServer, opts: { citizenPages?: boolean } = {}): Promise<ExchangeHttp> {
  const server = await startHttpServer({
    trust: TrustStore.demo(),
    policy: defaultPolicy(),
    network: { rewrite: pki.rewrite },
    port: 0,
    host: '127.0.0.1',
    workers: 0,
    log: () => {},
    mount: (app) => {
      mountExchangeApi(app, rt);
      if (opts.citizenPages) mountCitizenPages(app);
    },
  });
  return {
    url: server.url,
    server,
    call: (method, path, c = {}) => apiCall(server.url, method, path, c),
    close: () => server.close(2000),
  };
}

export async function apiCall(base: string, method: string, path: string, c: ApiCall = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.key) headers.authorization = `Bearer ${c.key}`;
  let body: BodyInit | undefined;
  if (c.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(c.json);
  } else if (c.body) {
    headers['content-type'] = c.contentType ?? 'application/xml';
    body = c.body as unknown as BodyInit;
  }
  const res = await fetch(`${base}${path}`, { method: method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  let json: unknown;
  if (/json/.test(contentType) && bytes.length) json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return { status: res.status, headers: res.headers, contentType, json, bytes };
}
