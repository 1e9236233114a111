import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../core/logger';
import type { Principal } from '../../core/principal';
import { CONTENT_SECURITY_POLICY, createUiRoute, DEFAULT_STATIC_DIR, pathSegments } from '../../ui/serve';

/**
 * The /ui route on a plain http server, the way the gateway mounts it (prefix match, principal
 * from the connection): content types, caching, security headers, SPA fallback and refusals.
 */
const PRINCIPAL: Principal = { id: 'user:ada@example.com', kind: 'USER', login: 'ada@example.com', tags: [], role: 'user', allowedModels: null };

async function serve(staticDir?: string): Promise<{ url: string; close(): Promise<void> }> {
  const route = createUiRoute({ log: silentLogger(), staticDir });
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/ui' || pathname.startsWith('/ui/')) void route(req, res, PRINCIPAL);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A request with the path sent verbatim: WHATWG URL parsing (fetch, undici) would resolve `..` first. */
function get(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const { host, port } = new URL(url.slice(0, url.indexOf('/ui')));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: host.split(':')[0], port, path: url.slice(url.indexOf('/ui')), method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/ui static route', () => {
  let ui: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    ui = await serve();
  });
  afterAll(async () => {
    await ui.close();
  });

  it('serves the assets from ui/static with their content types, an ETag and revalidation', async () => {
    const cases: [string, string][] = [
      ['/ui/', 'text/html; charset=utf-8'],
      ['/ui/index.html', 'text/html; charset=utf-8'],
      ['/ui/js/main.js', 'text/javascript; charset=utf-8'],
      ['/ui/css/app.css', 'text/css; charset=utf-8'],
      ['/ui/favicon.svg', 'image/svg+xml'],
    ];
    for (const [p, type] of cases) {
      const res = await get(`${ui.url}${p}`);
      expect([p, res.status, res.headers['content-type']]).toEqual([p, 200, type]);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(res.headers['content-length']).toBe(String(res.body.length));
    }
    const file = readFileSync(path.join(DEFAULT_STATIC_DIR, 'js', 'main.js'));
    const res = await get(`${ui.url}/ui/js/main.js`);
    expect(res.body.equals(file)).toBe(true);
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(file).digest('base64url').slice(0, 27)}"`);
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale one', async () => {
    const first = await get(`${ui.url}/ui/css/app.css`);
    const again = await get(`${ui.url}/ui/css/app.css`, { headers: { 'if-none-match': first.headers.etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect((await get(`${ui.url}/ui/css/app.css`, { headers: { 'if-none-match': `W/${first.headers.etag}, "other"` } })).status).toBe(304);
    expect((await get(`${ui.url}/ui/css/app.css`, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
  });

  it('gzips text assets for clients that accept it, as a representation with its own ETag', async () => {
    const plain = await get(`${ui.url}/ui/css/app.css`);
    const zipped = await get(`${ui.url}/ui/css/app.css`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    expect((await get(`${ui.url}/ui/css/app.css`, { headers: { 'accept-encoding': 'gzip;q=0' } })).headers['content-encoding']).toBeUndefined();
  });

  it('sends a strict CSP, nosniff and no-framing headers on every answer, errors included', async () => {
    for (const p of ['/ui/', '/ui/js/api.js', '/ui/missing.js', '/ui/%2e%2e/package.json', '/ui']) {
      const res = await get(`${ui.url}${p}`);
      expect([p, res.headers['content-security-policy']]).toEqual([p, CONTENT_SECURITY_POLICY]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('redirects /ui to /ui/ (keeping the query) and answers app routes with index.html', async () => {
    const bare = await get(`${ui.url}/ui?range=7d`);
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/ui/?range=7d');
    const index = await get(`${ui.url}/ui/`);
    for (const p of ['/ui/sessions', '/ui/sessions/', '/ui/session?id=abc.def', '/ui/keys', '/ui/no/such/page', '/ui/sessions/a%2Fb']) {
      const res = await get(`${ui.url}${p}`);
      expect([p, res.status, res.headers['content-type']]).toEqual([p, 200, 'text/html; charset=utf-8']);
      expect(res.body.equals(index.body)).toBe(true);
    }
  });

  it('answers 404 for missing files, and never serves inline-script HTML', async () => {
    for (const p of ['/ui/missing.js', '/ui/js/nope.css', '/ui/.gitignore.txt']) expect([p, (await get(`${ui.url}${p}`)).status]).toEqual([p, 404]);
    for (const file of listFiles(DEFAULT_STATIC_DIR).filter((f) => f.endsWith('.html'))) {
      const html = readFileSync(file, 'utf8');
      // CSP forbids inline code; the page must not depend on any.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/<style/i);
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it('refuses path traversal and malformed escapes with 400', async () => {
    for (const p of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/js/%2E%2E/%2E%2E/package.json', '/ui/..%2Fpackage.json', '/ui/.%2e/x', '/ui/js/%E0%A4%A', '/ui/a/%00/b', '/ui//etc/passwd', '/ui/js/..%5c..%5cpackage.json']) {
      const res = await get(`${ui.url}${p}`);
      expect([p, res.status]).toEqual([p, 400]);
      expect(res.body.toString()).not.toContain('"name": "tailgate"');
    }
    expect(pathSegments('js/main.js')).toEqual(['js', 'main.js']);
    expect(pathSegments('sessions/')).toEqual(['sessions']);
    expect(pathSegments('')).toEqual([]);
    expect(pathSegments('a/../b')).toBeNull();
  });

  it('allows GET and HEAD only', async () => {
    const head = await get(`${ui.url}/ui/js/main.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const post = await get(`${ui.url}/ui/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('every module the page imports exists and references only same-origin assets', () => {
    const files = listFiles(DEFAULT_STATIC_DIR).filter((f) => f.endsWith('.js'));
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        expect(spec.startsWith('./') || spec.startsWith('../')).toBe(true);
        expect(() => readFileSync(path.resolve(path.dirname(file), spec))).not.toThrow();
      }
      // No dynamic code, no HTML injection: data only ever becomes text nodes.
      expect([file, /\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML|\beval\(|new Function\(|document\.write/.test(text)]).toEqual([file, false]);
      expect([file, /setAttribute\(\s*['"]style['"]/.test(text)]).toEqual([file, false]);
    }
  });

  it('serves only regular files from its directory: no symlinks, no dotfiles, 404 when assets are missing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-ui-'));
    try {
      mkdirSync(path.join(dir, 'js'));
      writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
      writeFileSync(path.join(dir, '.secret.txt'), 'hidden');
      symlinkSync(path.resolve(__dirname, '../../package.json'), path.join(dir, 'js', 'linked.json'));
      const custom = await serve(dir);
      try {
        expect((await get(`${custom.url}/ui/js/linked.json`)).status).toBe(404);
        expect((await get(`${custom.url}/ui/.secret.txt`)).status).toBe(404);
        expect((await get(`${custom.url}/ui/`)).body.toString()).toContain('<title>t</title>');
      } finally {
        await custom.close();
      }
      const missing = await serve(path.join(dir, 'nope'));
      try {
        const res = await get(`${missing.url}/ui/`);
        expect(res.status).toBe(404);
        expect(res.body.toString()).toContain('not installed');
      } finally {
        await missing.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}
