// A push agency's webhook for tests: a real HTTP server on 127.0.0.1 that records every POST it gets (the
// X-Kyso-Message-Id, the package hash header, the body) and answers as the test tells it to — 2xx, an error
// status, a redirect, slowly, or not at all (a hung request the client must abandon). It can be stopped and
// started again on the same port, so "the agency's webhook is down, then back" is a real refused connection.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface WebhookHit {
  messageId: string;
  /** The X-Kyso-Package-Sha256 header. */
  declaredSha256: string;
  /** SHA-256 of the body actually received (empty for a request abandoned before its body arrived). */
  bodySha256: string;
  body: Buffer;
  contentType: string;
  /** What the server answered (undefined: the client went away first). */
  answered?: number;
  at: number;
}

/** How to answer one POST: a status, optionally after a delay; 'hang' never answers. */
export type WebhookAnswer = { status: number; delayMs?: number; headers?: Record<string, string> } | 'hang';

export interface TestWebhook {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  port: number;
  hits: WebhookHit[];
  /** Decides each answer (default: 200 at once). Gets the hit and how many earlier hits had the same message id. */
  respond: (hit: WebhookHit, earlier: number) => WebhookAnswer;
  /** Hits per message id. */
  countFor(messageId: string): number;
  /** Refuses connections until start() (sockets in flight are destroyed). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhook(port = 0): Promise<TestWebhook> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const hook: TestWebhook = {
    url: '',
    port,
    hits: [],
    respond: () => ({ status: 200 }),
    countFor: (id) => hook.hits.filter((h) => h.messageId === id).length,
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async start() {
      if (server) return;
      const s = createServer((req, res) => void handle(req, res));
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      await new Promise<void>((ok, fail) => {
        s.once('error', fail);
        s.listen(hook.port, '127.0.0.1', () => ok());
      });
      hook.port = (s.address() as AddressInfo).port;
      hook.url = `http://127.0.0.1:${hook.port}/hook`;
      server = s;
    },
    close: () => hook.stop(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const messageId = String(req.headers['x-kyso-message-id'] ?? '');
    const hit: WebhookHit = {
      messageId,
      declaredSha256: String(req.headers['x-kyso-package-sha256'] ?? ''),
      bodySha256: '',
      body: Buffer.alloc(0),
      contentType: String(req.headers['content-type'] ?? ''),
      at: Date.now(),
    };
    const earlier = hook.countFor(messageId);
    // Recorded when the request arrives: a POST the sender abandons (killed, timed out) still counts as seen.
    hook.hits.push(hit);
    const chunks: Buffer[] = [];
    const complete = await new Promise<boolean>((done) => {
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => done(true));
      req.on('error', () => done(false));
      req.on('close', () => done(req.complete));
    });
    hit.body = Buffer.concat(chunks);
    hit.bodySha256 = complete ? createHash('sha256').update(hit.body).digest('hex') : '';
    const answer = hook.respond(hit, earlier);
    if (answer === 'hang') return;
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed || req.socket.destroyed) return;
    hit.answered = answer.status;
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
    res.end(answer.status >= 200 && answer.status < 300 ? 'ok' : 'no');
  }

  await hook.start();
  return hook;
}
