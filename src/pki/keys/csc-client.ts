// The HTTP side of CSC API v2: an OAuth2 client-credentials access token (cached until shortly before it
// expires, fetched again once when the service answers 401) and JSON POSTs to the API methods, with the
// service's errors turned into errors a user can act on.
import { KysoError } from '../../errors.ts';

export interface CscClientOptions {
  /** Base URL of the API, ending in /csc/v2. */
  url: string;
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

/** CSC/OAuth2 error body: `{ error, error_description }`. */
interface ErrorBody {
  error?: string;
  error_description?: string;
}

export class CscHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${status} ${error}: ${description}`);
  }
}

export class CscClient {
  private token?: { value: string; expiresAt: number };
  private pendingToken?: Promise<string>;
  readonly tokenUrl: string;

  constructor(private readonly o: CscClientOptions) {
    this.tokenUrl = o.tokenUrl ?? `${new URL(o.url).origin}/oauth2/token`;
  }

  /** POSTs `body` to `<url>/<method>` with the bearer token; retries once with a fresh token on 401. */
  async call<T>(method: string, body: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return (await this.post(`${this.o.url}/${method}`, JSON.stringify(body), 'application/json', { authorization: `Bearer ${token}` })) as T;
      } catch (e) {
        if (e instanceof CscHttpError && e.status === 401 && attempt === 0) {
          this.token = undefined;
          continue;
        }
        throw e;
      }
    }
  }

  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    // Concurrent signatures share one token request.
    this.pendingToken ??= this.fetchToken().finally(() => (this.pendingToken = undefined));
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.o.clientId, client_secret: this.o.clientSecret });
    let body: { access_token?: string; expires_in?: number; token_type?: string };
    try {
      body = (await this.post(this.tokenUrl, form.toString(), 'application/x-www-form-urlencoded', {})) as typeof body;
    } catch (e) {
      if (e instanceof CscHttpError && (e.status === 400 || e.status === 401)) {
        throw new KysoError(
          'REMOTE_AUTH_FAILED',
          `Dịch vụ ký số từ xa từ chối client_id/client_secret của "${this.o.clientId}" (${e.error})`,
          `The remote signing service refused the client credentials of "${this.o.clientId}": ${e.error}${e.description ? ` — ${e.description}` : ''}`,
          { cause: e },
        );
      }
      throw e;
    }
    if (!body.access_token || (body.token_type && body.token_type.toLowerCase() !== 'bearer')) {
      throw new KysoError('REMOTE_SIGNING_FAILED', 'Dịch vụ ký số từ xa trả về access token không hợp lệ', 'The remote signing service returned no usable bearer access token');
    }
    // Renew a little early so a token does not expire between the check and the request.
    const lifetime = Math.max(0, (body.expires_in ?? 3600) - 30) * 1000;
    this.token = { value: body.access_token, expiresAt: Date.now() + lifetime };
    return body.access_token;
  }

  private async post(url: string, body: string, contentType: string, headers: Record<string, string>): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new KysoError('NETWORK', `Không kết nối được dịch vụ ký số từ xa ${url}`, `Cannot reach the remote signing service ${url}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json ?? {}) as ErrorBody;
      throw new CscHttpError(res.status, err.error ?? `http_${res.status}`, err.error_description ?? text.slice(0, 200));
    }
    if (json === undefined || typeof json !== 'object' || json === null) {
      throw new KysoError('REMOTE_SIGNING_FAILED', `Dịch vụ ký số từ xa trả lời không phải JSON (${url})`, `The remote signing service did not answer JSON (${url})`);
    }
    return json;
  }
}
