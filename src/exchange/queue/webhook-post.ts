// One POST of a package to an agency's webhook over node:http/https with keep-alive agents.
//
// Why not global fetch: undici with web streams cost ~4% of the server's CPU in bench/exchange.ts for what is a
// single small request with a body in memory and an answer we only drain. node:http does the same with plain
// buffers. What the worker relied on from fetch is kept: no redirects are followed (a 3xx is an answer like any
// other non-2xx: a failed attempt), one deadline covers the whole exchange (connect, send, answer and its body),
// and failures are described as `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9` / `timeout after N ms`.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface WebhookAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Keep-alive agents: the webhook of an agency is POSTed to again and again, a connection per POST is waste. */
export function createWebhookAgents(maxSockets = 64): WebhookAgents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
}

/** Closes idle connections; `all` also cuts the ones in use. */
export function closeWebhookAgents(agents: WebhookAgents, all: boolean): void {
  for (const agent of [agents.http, agents.https]) {
    if (all) agent.destroy();
    else for (const list of Object.values(agent.freeSockets)) for (const s of list ?? []) s.destroy();
  }
}

/** Why a POST got no answer, as the dead-letter view shows it. */
export class WebhookPostError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'WebhookPostError';
  }
}

/**
 * POSTs `body` and resolves with the answer's status once its body has been read (and thrown away: reading it
 * lets the connection go back to the pool). Rejects with WebhookPostError when there is no complete answer.
 */
export function postWebhook(url: string, body: Uint8Array, headers: Record<string, string>, timeoutMs: number, agents: WebhookAgents): Promise<number> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (e) {
    return Promise.reject(new WebhookPostError(`invalid URL: ${(e as Error).message}`, { cause: e }));
  }
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') return Promise.reject(new WebhookPostError(`unsupported URL scheme ${target.protocol}`));

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const finish = (err: WebhookPostError | undefined, status?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        // A connection with a half-sent request or an unread answer cannot be reused.
        res?.destroy();
        req?.destroy();
        reject(err);
      } else resolve(status!);
    };
    const timer = setTimeout(() => finish(new WebhookPostError(`timeout after ${timeoutMs} ms`)), timeoutMs);
    const describe = (e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      return new WebhookPostError(err?.code ? `${err.code}${err.message ? `: ${err.message}` : ''}` : String(err?.message ?? e), { cause: e });
    };
    const options = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.byteLength) },
      agent: https ? agents.https : agents.http,
    };
    req = (https ? httpsRequest : httpRequest)(target, options, (answer) => {
      res = answer;
      answer.on('error', (e) => finish(describe(e)));
      answer.on('aborted', () => finish(new WebhookPostError('ECONNRESET: the answer was cut off')));
      answer.on('end', () => finish(undefined, answer.statusCode ?? 0));
      answer.resume();
    });
    req.on('error', (e) => finish(describe(e)));
    req.end(body);
  });
}
