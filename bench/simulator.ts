import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The upstream every target talks to: an OpenAI Chat Completions endpoint that costs as little as
 * possible, so the figures are about the proxies in front of it. Answers are prebuilt bytes; the
 * request body is read whole (as a real provider would) but only searched for `"stream":true` and
 * `"include_usage":true`. Streams are N chunks, the first written with the headers, the rest
 * `intervalMs` apart; every content chunk carries the simulator's monotonic clock
 * (`process.hrtime.bigint()`, system-wide CLOCK_MONOTONIC on Linux, so comparable across
 * processes) as its text, which lets the client compute each chunk's delivery delay.
 *
 * Run as a child of the bench (`node dist/bench/simulator.js`) it prints one JSON line with its port.
 */
export interface StreamShape {
  chunks: number;
  intervalMs: number;
}

export interface BenchSimulator {
  url: string;
  port: number;
  setStream(shape: StreamShape): void;
  stats(): { requests: number; openStreams: number };
  close(): Promise<void>;
}

export const BENCH_KEY = 'bench-key';
export const BENCH_MODEL = 'gpt-4o-mini';
const UPSTREAM_MODEL = 'gpt-4o-mini-2024-07-18';
const CREATED = 1_764_000_000;

const CHAT_COMPLETION = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench0000000000000000000000',
  object: 'chat.completion',
  created: CREATED,
  model: UPSTREAM_MODEL,
  choices: [{
    index: 0,
    message: { role: 'assistant', content: 'Hello, benchmark: five words exactly.', refusal: null, annotations: [] },
    logprobs: null,
    finish_reason: 'stop',
  }],
  usage: {
    prompt_tokens: 27, completion_tokens: 9, total_tokens: 36,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_bench',
}));

const UNAUTHORIZED = Buffer.from(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }));
const NOT_FOUND = Buffer.from(JSON.stringify({ error: { message: 'Unknown request URL.', type: 'invalid_request_error', param: null, code: 'unknown_url' } }));

const CHUNK_HEAD = `data: {"id":"chatcmpl-bench0000000000000000000000","object":"chat.completion.chunk","created":${CREATED},"model":"${UPSTREAM_MODEL}","service_tier":"default","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":`;
/** Marker before each chunk's emission time in its content; load.ts looks for it. */
export const STAMP_MARKER = '"content":"@';

function contentChunk(first: boolean, withUsageField: boolean): string {
  const role = first ? '"role":"assistant",' : '';
  const usage = withUsageField ? ',"usage":null' : '';
  return `${CHUNK_HEAD}{${role}${STAMP_MARKER}${process.hrtime.bigint()}"},"logprobs":null,"finish_reason":null}]${usage}}\n\n`;
}

function finalChunks(chunks: number, includeUsage: boolean): string {
  let tail = `${CHUNK_HEAD}{},"logprobs":null,"finish_reason":"stop"}]${includeUsage ? ',"usage":null' : ''}}\n\n`;
  if (includeUsage) {
    tail += `data: {"id":"chatcmpl-bench0000000000000000000000","object":"chat.completion.chunk","created":${CREATED},"model":"${UPSTREAM_MODEL}","service_tier":"default","system_fingerprint":"fp_bench","choices":[],"usage":{"prompt_tokens":27,"completion_tokens":${chunks},"total_tokens":${27 + chunks},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n`;
  }
  return `${tail}data: [DONE]\n\n`;
}

export async function startSimulator(options: { port?: number; host?: string } = {}): Promise<BenchSimulator> {
  let shape: StreamShape = { chunks: 20, intervalMs: 2 };
  let requests = 0;
  let openStreams = 0;

  const stream = (res: http.ServerResponse, includeUsage: boolean) => {
    const { chunks, intervalMs } = shape;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' });
    openStreams++;
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    res.once('close', () => {
      closed = true;
      openStreams--;
      clearTimeout(timer);
    });
    const next = () => {
      if (closed) return;
      res.write(contentChunk(sent === 0, includeUsage));
      sent++;
      if (sent < chunks) {
        if (intervalMs > 0) timer = setTimeout(next, intervalMs);
        else next();
      } else {
        res.end(finalChunks(chunks, includeUsage));
      }
    };
    next();
  };

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      requests++;
      const url = req.url ?? '/';
      if (url === '/__bench/stream' && req.method === 'POST') {
        const next = JSON.parse(Buffer.concat(parts).toString('utf8')) as Partial<StreamShape>;
        shape = { chunks: Math.max(1, Math.floor(next.chunks ?? shape.chunks)), intervalMs: Math.max(0, next.intervalMs ?? shape.intervalMs) };
        res.writeHead(204).end();
        return;
      }
      if (url === '/__bench/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, openStreams }));
        return;
      }
      if (req.method !== 'POST' || !url.startsWith('/v1/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': NOT_FOUND.length }).end(NOT_FOUND);
        return;
      }
      if (req.headers.authorization !== `Bearer ${BENCH_KEY}`) {
        // Every target must inject the provider key; a caller's own header never gets this far.
        res.writeHead(401, { 'content-type': 'application/json', 'content-length': UNAUTHORIZED.length }).end(UNAUTHORIZED);
        return;
      }
      const body = parts.length === 1 ? parts[0].toString('latin1') : Buffer.concat(parts).toString('latin1');
      if (body.includes('"stream":true')) {
        stream(res, body.includes('"include_usage":true'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': CHAT_COMPLETION.length, 'x-request-id': 'req_bench' });
      res.end(CHAT_COMPLETION);
    });
  });
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setStream: (next) => {
      shape = { ...next };
    },
    stats: () => ({ requests, openStreams }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

if (require.main === module) {
  void startSimulator({ port: Number(process.env.BENCH_PORT ?? 0) }).then((sim) => {
    process.stdout.write(`${JSON.stringify({ ready: true, port: sim.port })}\n`);
    process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
  });
}
