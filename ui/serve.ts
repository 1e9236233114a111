import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT_ROOT } from '../core/paths';
import type { Logger } from '../core/logger';
import type { ExtraRoute } from '../gateway/server';

/**
 * The dashboard at /ui: hand-written ES modules and CSS from `ui/static/`, served by the gateway
 * itself (tailnets are often air-gapped, so no CDN), behind the same whois identity as /graphql.
 * The page reads and writes everything through /graphql; this route only hands out files, so it
 * needs no authorization of its own: what a caller may see is decided by the API.
 */
export interface UiRouteOptions {
  log: Logger;
  /** Where the assets are; default `<project root>/ui/static` (the same from source and from dist/). */
  staticDir?: string;
}

export const UI_PREFIX = '/ui';
export const DEFAULT_STATIC_DIR = path.join(PROJECT_ROOT, 'ui', 'static');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

/**
 * Scripts and styles only from this origin, no inline code of any kind (the pages build their DOM
 * with createElement, and set styles through the CSSOM, which CSP allows), data only from
 * /graphql on this origin, and no framing: identity is ambient, as with cookies, so clickjacking
 * a button on an admin's dashboard must not be possible.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  // No Cross-Origin-Opener-Policy: on plain http://ai (a tailnet name, not a secure context)
  // browsers ignore it and log a console error on every page load.
};

interface Asset {
  type: string;
  body: Buffer;
  etag: string;
  gzip: { body: Buffer; etag: string } | null;
}

/**
 * Every servable file, read once at start-up. A request can only ever name one of these keys, so
 * no path a client sends reaches the file system (traversal has nothing to traverse); odd paths
 * are still refused outright, for clarity in logs and tests.
 */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string, prefix: string): void => {
    for (const name of readdirSync(at).sort()) {
      if (name.startsWith('.')) continue;
      const file = path.join(at, name);
      const stat = lstatSync(file);
      if (stat.isDirectory()) walk(file, `${prefix}${name}/`);
      else if (stat.isFile()) {
        const ext = path.extname(name).toLowerCase();
        const type = CONTENT_TYPES[ext];
        if (!type) continue;
        const body = readFileSync(file);
        const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
        const gzipped = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
        assets.set(`${prefix}${name}`, {
          type,
          body,
          etag: `"${digest}"`,
          // Strong ETags name one representation: the gzip variant gets its own.
          gzip: gzipped && gzipped.length < body.length ? { body: gzipped, etag: `"${digest}-gz"` } : null,
        });
      }
      // Symlinks and anything else are not served.
    }
  };
  walk(dir, '');
  return assets;
}

export function createUiRoute(options: UiRouteOptions): ExtraRoute {
  const dir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const log = options.log.child({ component: 'ui' });
  let assets = new Map<string, Asset>();
  if (existsSync(dir)) assets = loadAssets(dir);
  else log.warn({ dir }, 'dashboard assets not found: /ui will answer 404 (copy ui/static next to package.json)');
  const index = assets.get('index.html');

  return async (req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    if (method !== 'GET' && method !== 'HEAD') {
      return sendText(res, 405, `${method} is not allowed on ${UI_PREFIX}`, { allow: 'GET, HEAD' });
    }
    if (pathname === UI_PREFIX) {
      // Relative URLs in the page resolve against /ui/, so the bare prefix is only ever a redirect.
      res.writeHead(301, { ...SECURITY_HEADERS, location: `${UI_PREFIX}/${queryAt < 0 ? '' : url.slice(queryAt)}`, 'content-length': '0' });
      res.end();
      return;
    }
    const segments = pathSegments(pathname.slice(UI_PREFIX.length + 1));
    if (segments === null) return sendText(res, 400, 'bad path');
    const last = segments[segments.length - 1] ?? '';
    // Paths naming a file type we serve are files (404 when missing); the rest are app routes.
    const asset = segments.length === 0 ? index : CONTENT_TYPES[path.extname(last).toLowerCase()] !== undefined ? assets.get(segments.join('/')) : index;
    if (!asset) return sendText(res, 404, index ? 'not found' : 'the dashboard assets are not installed on this gateway');
    serveAsset(req, res, asset, method === 'HEAD');
  };
}

/**
 * The decoded segments of a path under /ui/ (a trailing slash ignored), or null when the path is
 * refused: an undecodable escape, a `.` or `..` segment (raw or escaped), a NUL or an empty
 * segment. Asset lookups then only match manifest keys, which hold no such thing; app routes may
 * carry any other text (a session id with a `/` in it arrives as `%2F`).
 */
export function pathSegments(raw: string): string[] | null {
  const parts = raw.split('/');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '') return [];
  const segments: string[] = [];
  for (const part of parts) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\0') || /(^|[\\/])\.\.?([\\/]|$)/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: Asset, headOnly: boolean): void {
  const variant = asset.gzip && acceptsGzip(req.headers['accept-encoding']) ? asset.gzip : null;
  const etag = variant?.etag ?? asset.etag;
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': asset.type,
    // File names carry no content hash (there is no build step), so every use revalidates: a
    // 304 costs one round trip, and an upgraded gateway never serves a stale module.
    'cache-control': 'no-cache',
    etag,
    vary: 'accept-encoding',
  };
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = variant?.body ?? asset.body;
  if (variant) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(headOnly ? undefined : body);
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  // If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter.
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}
