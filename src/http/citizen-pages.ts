// The citizens' pages (issue 5, "citizens look up their case and download the signed answer, and can check it
// themselves"): server-rendered HTML with small vanilla scripts that call the public JSON API.
//
//   GET /  and /pakn   gửi phản ánh, kiến nghị (submit feedback) → the case code and access key, shown once
//   GET /tra-cuu       look a case up with its code and access key; download the signed answer and check it
//   GET /kiem-tra      check any signed PDF or XML with POST /api/v1/verify
//   GET /static/citizen/<file>   the pages' CSS, JS and icon
//
// The pages are assembled once at mount time from layout.html and one fragment per page (no request data ever
// goes into the HTML: what a user enters or the API answers is written by the scripts with textContent). Asset
// links carry a content hash (?v=…), so a browser may keep an asset for a year when the hash matches and the
// pages themselves are revalidated on every visit.
//
// Security headers: a Content-Security-Policy without 'unsafe-inline' (scripts and styles only as files from
// this origin, fetches only to this origin, no frames, no plugins, forms post only here), no referrer (a case
// code in a URL stays here), nosniff, no framing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';

const PAGES_DIR = fileURLToPath(new URL('./pages/citizen/', import.meta.url));
export const CITIZEN_ASSET_PREFIX = '/static/citizen';

export const CITIZEN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CITIZEN_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

/** Explicit types: what a browser needs with nosniff (and no guessing from an old mime table). */
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const ASSET_MAX_AGE_IMMUTABLE = 'public, max-age=31536000, immutable';
const ASSET_MAX_AGE_UNVERSIONED = 'public, max-age=300';

interface PageSpec {
  /** URL paths that show this page. */
  paths: string[];
  fragment: string;
  /** Which navigation entry is current. */
  nav: 'pakn' | 'tra-cuu' | 'kiem-tra';
  title: string;
  scripts: string[];
}

const PAGES: readonly PageSpec[] = [
  { paths: ['/', '/pakn'], fragment: 'pakn.html', nav: 'pakn', title: 'Gửi phản ánh, kiến nghị', scripts: ['common.js', 'pakn.js'] },
  { paths: ['/tra-cuu'], fragment: 'tra-cuu.html', nav: 'tra-cuu', title: 'Tra cứu hồ sơ', scripts: ['common.js', 'report.js', 'tra-cuu.js'] },
  { paths: ['/kiem-tra'], fragment: 'kiem-tra.html', nav: 'kiem-tra', title: 'Kiểm tra chữ ký số', scripts: ['common.js', 'report.js', 'kiem-tra.js'] },
];

const NAV: readonly { id: PageSpec['nav']; href: string; vi: string; en: string }[] = [
  { id: 'pakn', href: '/pakn', vi: 'Gửi phản ánh, kiến nghị', en: 'Submit feedback' },
  { id: 'tra-cuu', href: '/tra-cuu', vi: 'Tra cứu hồ sơ', en: 'Look up a case' },
  { id: 'kiem-tra', href: '/kiem-tra', vi: 'Kiểm tra chữ ký số', en: 'Check a signature' },
];

interface Asset {
  bytes: Buffer;
  type: string;
  hash: string;
}

const hashOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(PAGES_DIR)) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const bytes = readFileSync(PAGES_DIR + name);
    assets.set(name, { bytes, type, hash: hashOf(bytes) });
  }
  return assets;
}

function assetUrl(assets: Map<string, Asset>, name: string): string {
  const a = assets.get(name);
  if (!a) throw new Error(`citizen pages: missing asset ${name}`);
  return `${CITIZEN_ASSET_PREFIX}/${name}?v=${a.hash}`;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`citizen pages: no value for ${m}`);
    return v;
  });
}

/** Renders every page once: layout + fragment, navigation state, hashed asset links. */
export function renderCitizenPages(assets: Map<string, Asset> = loadAssets()): Map<string, Buffer> {
  const layout = readFileSync(PAGES_DIR + 'layout.html', 'utf8');
  const out = new Map<string, Buffer>();
  for (const page of PAGES) {
    const nav = NAV.map(
      (n) =>
        `<li><a href="${n.href}"${n.id === page.nav ? ' aria-current="page"' : ''}>${n.vi}<span class="en" lang="en">${n.en}</span></a></li>`,
    ).join('\n        ');
    const html = fill(layout, {
      title: page.title,
      css: assetUrl(assets, 'citizen.css'),
      icon: assetUrl(assets, 'favicon.svg'),
      nav,
      main: readFileSync(PAGES_DIR + page.fragment, 'utf8').trim(),
      scripts: page.scripts.map((s) => `<script src="${assetUrl(assets, s)}" defer></script>`).join('\n  '),
    });
    const bytes = Buffer.from(html, 'utf8');
    for (const p of page.paths) out.set(p, bytes);
  }
  return out;
}

function setSecurityHeaders(res: Response): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
}

/** Mounts the citizens' pages and their assets on `app` (before its 404 handler). */
export function mountCitizenPages(app: express.Express): void {
  const assets = loadAssets();
  const pages = renderCitizenPages(assets);

  for (const [path, html] of pages) {
    const etag = `"${hashOf(html)}"`;
    app.get(path, (req: Request, res: Response) => {
      setSecurityHeaders(res);
      // Revalidated on every visit (the page is tiny; a new deployment shows at once).
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      res.type('text/html; charset=utf-8').send(html);
    });
  }

  const serveAsset = express.static(PAGES_DIR, {
    index: false, // no index file for the folder (and serve-static never lists one)
    redirect: false, // no "/static/citizen" → "/static/citizen/" redirect
    dotfiles: 'ignore',
    fallthrough: true, // anything else → the app's 404 problem
    etag: true,
    lastModified: true,
    setHeaders: (res, filePath) => {
      const asset = assets.get(basename(filePath));
      setSecurityHeaders(res as unknown as Response);
      res.setHeader('Content-Type', CONTENT_TYPES[extname(filePath)] ?? 'application/octet-stream');
      // Linked from the pages with ?v=<content hash>: that exact version never changes.
      const v = (res as unknown as { req?: Request }).req?.query?.v;
      res.setHeader('Cache-Control', asset && v === asset.hash ? ASSET_MAX_AGE_IMMUTABLE : ASSET_MAX_AGE_UNVERSIONED);
    },
  });
  // Only the assets are served from the folder: the layout and the page fragments are sources, not pages.
  app.use(CITIZEN_ASSET_PREFIX, (req: Request, res: Response, next: (err?: unknown) => void) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && assets.has(req.path.slice(1))) serveAsset(req, res, next);
    else next();
  });
}
