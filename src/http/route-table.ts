// What every table-driven router here shares (the exchange API, notifications, signing sessions): a handler
// returns a Reply, send() writes it, and a few query helpers. Routes themselves are rows declared with the
// audiences allowed to call them, so authorisation can be tested from the table.
import type { Request, Response } from 'express';
import { KysoError } from '../errors.ts';
import type { Audience } from './auth.ts';

/** One row of a route table: who may call it, what its body is, and the handler over the router's dependencies. */
export interface RouteRow<Deps, Body extends string = never> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  roles: readonly Audience[];
  /** What the body is (the router picks the parser). */
  body?: Body;
  /** Idempotency-Key replays the first JSON answer (routers that support it). */
  idempotent?: boolean;
  summary: string;
  handler: (req: Request, res: Response, deps: Deps) => Promise<Reply>;
}

export interface Reply {
  status?: number;
  json?: unknown;
  bytes?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Writes a handler's reply; API answers are never cached. */
export function send(res: Response, r: Reply): void {
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  res.status(r.status ?? 200);
  if (r.bytes) res.type(r.contentType ?? 'application/octet-stream').send(Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength));
  else if (r.json !== undefined) res.json(r.json);
  else res.end();
}

/** `?limit=` (1–1000), or undefined. */
export function limitOf(req: Request): number | undefined {
  const v = req.query.limit;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new KysoError('INVALID_ARGUMENT', 'limit phải là số nguyên 1–1000', 'limit must be an integer 1–1000');
  return n;
}
