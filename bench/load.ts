import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client, Pool, type Dispatcher } from 'undici';
import { STAMP_MARKER } from './simulator';
import { Samples, round1, type LatencySummary } from './stats';

/**
 * Load generators. Requests per second at saturation come from autocannon (or wrk when it is
 * installed and chosen): closed loop, N connections, as fast as answers come back. Latency comes
 * from the probes below, written on undici's dispatch API so the load generator itself allocates
 * little and measures to the microsecond:
 *  - closedLoop: N connections, each sends its next request when the last one ends.
 *  - openLoop: a fixed offered load (requests per second) spread round-robin over N connections,
 *    issued on schedule whatever the answers do (wrk2-style, no coordinated omission): a request
 *    whose connection is still busy waits, and that wait is counted in its latency.
 *  - streamProbe: streamed calls; time to first byte and each chunk's delivery delay, from the
 *    simulator's clock stamped in the chunk to the moment it reaches the client.
 *  - holdStreams: N streams open at once (for memory under many open streams).
 * Every loop is bounded in time; nothing here retries.
 */
export interface Call {
  /** Origin and path, e.g. http://127.0.0.1:8080/v1/chat/completions */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type Loader = 'autocannon' | 'wrk';

export interface SaturationResult {
  tool: string;
  connections: number;
  durationS: number;
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export async function saturate(call: Call, options: { connections: number; durationS: number; loader: Loader }): Promise<SaturationResult> {
  if (options.loader === 'wrk') return saturateWithWrk(call, options);
  const result = await autocannon({
    url: call.url,
    method: 'POST',
    headers: call.headers,
    body: call.body,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationS,
    timeout: 10,
  });
  const seconds = result.duration || options.durationS;
  return {
    tool: 'autocannon 8',
    connections: options.connections,
    durationS: options.durationS,
    rps: round1(result['2xx'] / seconds),
    requests: result['2xx'] + result.non2xx,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function saturateWithWrk(call: Call, options: { connections: number; durationS: number }): Promise<SaturationResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-bench-wrk-'));
  const script = path.join(dir, 'call.lua');
  const headerLines = Object.entries(call.headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`).join('\n');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(call.body)}\n${headerLines}\n`);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--timeout', '10s', '-s', script, call.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text.slice(0, 500)}`))));
    });
    const total = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
    const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0);
    return {
      tool: 'wrk',
      connections: options.connections,
      durationS: options.durationS,
      rps: round1(total > 0 ? rps * ((total - non2xx) / total) : 0),
      requests: total,
      errors,
      non2xx,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Latency probes

interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function targetOf(call: Call): Target {
  const url = new URL(call.url);
  return { origin: url.origin, path: url.pathname + url.search, headers: { ...call.headers, 'content-length': String(Buffer.byteLength(call.body)) }, body: Buffer.from(call.body) };
}

function clientFor(target: Target): Client {
  return new Client(target.origin, { pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

/**
 * Clients whose connection is open and has carried one untimed request: a measurement is about
 * requests, not TCP handshakes (nor, for Tailgate, the one whois per connection).
 */
async function connectedClients(target: Target, count: number, warmBody: Buffer = target.body): Promise<Client[]> {
  const clients = Array.from({ length: count }, () => clientFor(target));
  await Promise.all(clients.map((client) => new Promise<void>((resolve) => {
    client.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: { ...target.headers, 'content-length': String(warmBody.length) }, body: warmBody }, new TimedCall(0, () => resolve()));
  })));
  return clients;
}

/** One request, reporting its status (0 on a transport error) when the last byte has arrived. */
class TimedCall implements Dispatcher.DispatchHandler {
  private status = 0;
  constructor(readonly started: number, private readonly done: (call: TimedCall, status: number) => void) {}
  onRequestStart(): void {}
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(): void {}
  onResponseEnd(): void {
    this.done(this, this.status);
  }
  onResponseError(): void {
    this.done(this, 0);
  }
}

export interface LatencyResult {
  connections: number;
  durationS: number;
  /** Offered load for open-loop runs, requests per second. */
  offeredRps?: number;
  achievedRps: number;
  completed: number;
  errors: number;
  /** Requests still unanswered when the run's grace period ended (open loop only). */
  unanswered: number;
  latency: LatencySummary;
}

export async function closedLoop(call: Call, options: { connections: number; durationMs: number }): Promise<LatencyResult> {
  const target = targetOf(call);
  const samples = new Samples();
  let errors = 0;
  const clients = await connectedClients(target, options.connections);
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(clients.map((client) => new Promise<void>((resolve) => {
    const onDone = (timed: TimedCall, status: number) => {
      const now = performance.now();
      if (status >= 200 && status < 300) samples.add(now - timed.started);
      else errors++;
      if (now >= deadline || errors > 1000) return resolve();
      send();
    };
    const send = () => {
      client.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: target.headers, body: target.body }, new TimedCall(performance.now(), onDone));
    };
    send();
  })));
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.destroy()));
  return { connections: options.connections, durationS: round1(elapsed), achievedRps: round1(samples.count / elapsed), completed: samples.count, errors, unanswered: 0, latency: samples.summary() };
}

export async function openLoop(call: Call, options: { connections: number; rate: number; durationMs: number; graceMs?: number }): Promise<LatencyResult> {
  const target = targetOf(call);
  const samples = new Samples();
  let errors = 0;
  let issued = 0;
  let finished = 0;
  const clients = await connectedClients(target, options.connections);
  let lastFinish = 0;
  const onDone = (timed: TimedCall, status: number) => {
    finished++;
    lastFinish = performance.now();
    if (status >= 200 && status < 300) samples.add(lastFinish - timed.started);
    else errors++;
  };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const elapsed = Math.min(now - started, options.durationMs);
      const due = Math.floor((elapsed * options.rate) / 1000);
      // Requests are stamped with the moment they are issued: a late tick of our own timer is not
      // the target's latency, but a wait for a busy connection is.
      while (issued < due) {
        const client = clients[issued % clients.length];
        issued++;
        client.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: target.headers, body: target.body }, new TimedCall(performance.now(), onDone));
      }
      if (now - started >= options.durationMs) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const graceEnd = performance.now() + (options.graceMs ?? 5000);
  while (finished < issued && performance.now() < graceEnd) await new Promise((resolve) => setTimeout(resolve, 5));
  // A target that keeps up finishes within moments of the last request issued; one that falls
  // behind stretches the run, and its achieved rate shows it.
  const elapsed = Math.max(options.durationMs, lastFinish - started) / 1000;
  const unanswered = issued - finished;
  await Promise.all(clients.map((client) => client.destroy()));
  return {
    connections: options.connections,
    durationS: round1(options.durationMs / 1000),
    offeredRps: options.rate,
    achievedRps: round1(samples.count / elapsed),
    completed: samples.count,
    errors,
    unanswered,
    latency: samples.summary(),
  };
}

// ---------------------------------------------------------------------------------------------
// Streams

export interface StreamResult {
  concurrency: number;
  durationS: number;
  streams: number;
  /** Streams that ended without all their chunks or without [DONE]. */
  incomplete: number;
  errors: number;
  /** Request issued → first body byte (the first content chunk). */
  ttfb: LatencySummary;
  /** Simulator wrote chunk k (k ≥ 2) → the client received it. */
  chunkDelay: LatencySummary;
}

const MARKER = STAMP_MARKER;

class StreamCall implements Dispatcher.DispatchHandler {
  private status = 0;
  private firstByte = -1;
  private carry = '';
  chunks = 0;
  done = false;
  sawDone = false;
  constructor(private readonly started: number, private readonly sink: { ttfb: Samples; chunkDelay: Samples }, private readonly onEnd: (call: StreamCall, ok: boolean) => void) {}
  onRequestStart(): void {}
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const received = process.hrtime.bigint();
    if (this.firstByte < 0) {
      this.firstByte = performance.now();
      this.sink.ttfb.add(this.firstByte - this.started);
    }
    const text = this.carry + chunk.toString('latin1');
    let at = text.indexOf(MARKER);
    let consumed = 0;
    while (at >= 0) {
      const digits = at + MARKER.length;
      const close = text.indexOf('"', digits);
      if (close < 0) break; // the stamp continues in the next chunk
      const emitted = BigInt(text.slice(digits, close));
      if (this.chunks > 0) this.sink.chunkDelay.add(Number(received - emitted) / 1e6);
      this.chunks++;
      consumed = close;
      at = text.indexOf(MARKER, close);
    }
    if (text.includes('[DONE]')) this.sawDone = true;
    this.carry = at >= 0 ? text.slice(at) : text.slice(Math.max(consumed, text.length - MARKER.length));
  }
  onResponseEnd(): void {
    this.done = true;
    this.onEnd(this, this.status === 200);
  }
  onResponseError(): void {
    this.done = true;
    this.onEnd(this, false);
  }
  get receivedFirstByte(): boolean {
    return this.firstByte >= 0;
  }
}

export async function streamProbe(call: Call, options: { concurrency: number; durationMs: number; expectChunks: number }): Promise<StreamResult> {
  const target = targetOf(call);
  const sink = { ttfb: new Samples(), chunkDelay: new Samples() };
  let streams = 0;
  let incomplete = 0;
  let errors = 0;
  // Warm each connection with a plain call (the stream body would be a whole stream).
  const clients = await connectedClients(target, options.concurrency, Buffer.from(call.body.replace('"stream":true', '"stream":false')));
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(clients.map((client) => new Promise<void>((resolve) => {
    const onEnd = (stream: StreamCall, ok: boolean) => {
      streams++;
      if (!ok) errors++;
      else if (stream.chunks !== options.expectChunks || !stream.sawDone) incomplete++;
      if (performance.now() >= deadline || errors > 100) return resolve();
      send();
    };
    const send = () => {
      client.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: target.headers, body: target.body }, new StreamCall(performance.now(), sink, onEnd));
    };
    send();
  })));
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.destroy()));
  return { concurrency: options.concurrency, durationS: round1(elapsed), streams, incomplete, errors, ttfb: sink.ttfb.summary(), chunkDelay: sink.chunkDelay.summary() };
}

export interface HeldStreams {
  requested: number;
  /** Streams whose first chunk arrived before the wait ended. */
  open: number;
  failed: number;
  close(): Promise<void>;
}

/** Opens `count` streams on as many connections and waits (bounded) until each has its first chunk. */
export async function holdStreams(call: Call, options: { count: number; timeoutMs: number }): Promise<HeldStreams> {
  const target = targetOf(call);
  const pool = new Pool(target.origin, { connections: options.count, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const sink = { ttfb: new Samples(), chunkDelay: new Samples() };
  let failed = 0;
  const calls: StreamCall[] = [];
  for (let i = 0; i < options.count; i++) {
    const stream = new StreamCall(performance.now(), sink, (_call, ok) => {
      if (!ok) failed++;
    });
    calls.push(stream);
    pool.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: target.headers, body: target.body }, stream);
  }
  const deadline = performance.now() + options.timeoutMs;
  while (sink.ttfb.count + failed < options.count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const open = calls.filter((c) => c.receivedFirstByte && !c.done).length;
  return { requested: options.count, open, failed, close: () => pool.destroy().catch(() => {}) };
}
