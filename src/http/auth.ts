// Authentication for the exchange API: `Authorization: Bearer kyso_<id>_<secret>` (or `X-Api-Key`), checked
// against the hashed keys in the store. The principal travels in res.locals; authorisation is declared per
// route (exchange-api.ts) so the whole matrix can be tested from one table.
import type { NextFunction, Request, Response } from 'express';
import { authenticateApiKey, type ApiPrincipal, type ApiRole } from '../store/api-key.ts';
import type { Queryable } from '../store/database.ts';
import { HttpProblemError } from './problem.ts';

/** Who may call a route: API roles, or `public` (no key: citizens, the national verification client). */
export type Audience = ApiRole | 'public';

export function presentedKey(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
    if (m) return m[1];
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

export const unauthorized = () =>
  new HttpProblemError(
    'UNAUTHORIZED',
    'Cần khóa API hợp lệ trong tiêu đề Authorization: Bearer <khóa>.',
    'A valid API key is required in the Authorization: Bearer <key> header.',
    { 'WWW-Authenticate': 'Bearer realm="kyso"' },
  );

export const forbidden = (roles: readonly Audience[]) =>
  new HttpProblemError('FORBIDDEN', `Khóa API này không có quyền gọi chức năng này (cần: ${roles.join(', ')}).`, `This API key may not call this (allowed: ${roles.join(', ')}).`);

export function principalOf(res: Response): ApiPrincipal {
  const p = res.locals.principal as ApiPrincipal | undefined;
  if (!p) throw unauthorized();
  return p;
}

/** Middleware: authenticates (unless the route is public) and checks the role against `roles`. */
export function authorize(db: Queryable, roles: readonly Audience[]) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (roles.includes('public')) return next();
    const key = presentedKey(req);
    if (!key) throw unauthorized();
    const principal = await authenticateApiKey(db, key);
    if (!principal) throw unauthorized();
    if (!roles.includes(principal.role)) throw forbidden(roles);
    res.locals.principal = principal;
    next();
  };
}
