import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

/**
 * The floor for a Node reverse proxy, written for the benchmark: node:http in, one undici Pool out,
 * the same dispatch-handler shape Tailgate uses, and nothing else a gateway does (no identity, no
 * parsing, no metering, no records). It does what any correct proxy must: read the body, drop
 * hop-by-hop and credential headers, inject the key, relay the answer chunk by chunk with
 * backpressure, abort upstream when the caller leaves, and answer 502 when upstream fails.
 *
 * Run as a child of the bench (`node dist/bench/bare-proxy.js`) it prints one JSON line with its port.
 */
export interface BareProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DROP_REQUEST = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length', 'authorization', 'x-api-key', 'proxy-authorization', 'proxy-connection', 'expect']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate']);

class RelayHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private done = false;

  constructor(private readonly res: http.ServerResponse) {
    res.once('close', () => {
      if (!this.done) this.controller?.abort(new Error('client closed'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.controller = controller;
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !DROP_RESPONSE.has(name)) out[name] = value;
    }
    this.res.writeHead(statusCode, out);
    if (String(headers['content-type'] ?? '').startsWith('text/event-stream')) this.res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk) && !controller.paused) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.done = true;
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done = true;
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const body = JSON.stringify({ error: { message: `upstream failed: ${err.message}`, type: 'proxy_error' } });
    this.res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}

export async function startBareProxy(options: { upstream: string; key: string; port?: number; upstreamConnections?: number }): Promise<BareProxy> {
  const upstream = new URL(options.upstream);
  const origin = upstream.origin;
  const pathPrefix = upstream.pathname.replace(/\/$/, '');
  const pool = new Pool(origin, { connections: options.upstreamConnections ?? 2048, pipelining: 1, keepAliveTimeout: 60_000 });
  const authorization = `Bearer ${options.key}`;

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      const headers: Record<string, string> = {};
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toLowerCase();
        if (!DROP_REQUEST.has(name)) headers[name] = raw[i + 1];
      }
      headers.authorization = authorization;
      const body = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
      pool.dispatch({ origin, path: pathPrefix + (req.url ?? '/'), method: (req.method ?? 'GET') as Dispatcher.HttpMethod, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : body }, new RelayHandler(res));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.destroy();
    },
  };
}

if (require.main === module) {
  const upstream = process.env.BENCH_UPSTREAM;
  if (!upstream) throw new Error('BENCH_UPSTREAM is required');
  void startBareProxy({ upstream, key: process.env.BENCH_KEY ?? 'bench-key', port: Number(process.env.BENCH_PORT ?? 0) }).then((proxy) => {
    process.stdout.write(`${JSON.stringify({ ready: true, port: proxy.port })}\n`);
    process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
  });
}
