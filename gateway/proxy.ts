import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError } from './errors';
import { isUsageOnlyChunk, renderResponsesStreamError } from './providers/openai';
import { tryParseJson, type Endpoint, type MeterResult, type ResponseMeter, type WireFamily } from './providers/types';
import { SseParser, type SseEvent } from './sse';

/**
 * Forwards one request upstream and pipes the answer to the caller as it arrives (no buffering:
 * each upstream chunk is written before the next is read, with backpressure), while a meter reads
 * the same bytes. Exactly one `done` per request, whatever happens.
 */
export interface ForwardPlan {
  dispatcher: Dispatcher;
  origin: string;
  path: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: Buffer | null;
  family: WireFamily;
  endpoint: Endpoint;
  meter: ResponseMeter;
  /** Scrubbed from anything the upstream sends back on error (defence in depth). */
  secret: string;
  /** OpenAI chat streams where the gateway added include_usage on the caller's behalf. */
  dropUsageChunk: boolean;
  requestId: string;
}

export interface ForwardOutcome {
  status: number;
  meter: MeterResult;
  ttfbMs?: number;
  errorClass?: string;
  clientAborted: boolean;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection']);
/** Response headers never relayed: framing we redo, and cookies (a shared key's cookies are not the caller's). */
const DROP_FROM_RESPONSE = new Set([...HOP_BY_HOP, 'content-length', 'set-cookie', 'alt-svc']);
const MAX_ERROR_BODY = 1024 * 1024;
const MAX_METERED_JSON = 16 * 1024 * 1024;

export function forward(plan: ForwardPlan, res: ServerResponse, done: (outcome: ForwardOutcome) => void): void {
  const handler = new ProxyHandler(plan, res, done);
  plan.dispatcher.dispatch(
    { origin: plan.origin, path: plan.path, method: plan.method, headers: plan.headers, body: plan.body, idempotent: false, blocking: false },
    handler,
  );
}

type Mode = 'pending' | 'sse' | 'json' | 'error';

class ProxyHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private readonly started = performance.now();
  private ttfbMs?: number;
  private status = 0;
  private mode: Mode = 'pending';
  private parser?: SseParser;
  private collected: Buffer[] = [];
  private collectedBytes = 0;
  private collectOverflow = false;
  private finished = false;
  private clientGone = false;
  private upstreamHeaders: IncomingHttpHeaders = {};

  constructor(private readonly plan: ForwardPlan, private readonly res: ServerResponse, private readonly done: (outcome: ForwardOutcome) => void) {
    res.once('close', () => {
      if (this.finished || res.writableFinished) return;
      // The caller went away mid-request: stop paying for an answer nobody reads.
      this.clientGone = true;
      this.controller?.abort(new Error('client closed the connection'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.controller = controller;
    this.ttfbMs = performance.now() - this.started;
    this.status = statusCode;
    this.upstreamHeaders = headers;
    if (statusCode >= 400) {
      // Provider errors are small: hold them to classify, scrub, and relay in one piece.
      this.mode = 'error';
      return;
    }
    const contentType = String(headers['content-type'] ?? '');
    this.mode = contentType.startsWith('text/event-stream') ? 'sse' : 'json';
    this.writeHead(statusCode, headers, this.plan.dropUsageChunk);
    if (this.mode === 'sse') {
      this.parser = new SseParser((event) => this.onSseEvent(event));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.mode === 'error') {
      this.collect(chunk, MAX_ERROR_BODY);
      return;
    }
    if (!(this.mode === 'sse' && this.plan.dropUsageChunk)) this.write(controller, chunk);
    if (this.mode === 'sse') this.parser!.push(chunk);
    else this.collect(chunk, MAX_METERED_JSON);
  }

  onResponseEnd(): void {
    if (this.finished) return;
    if (this.mode === 'error') {
      this.relayUpstreamError();
      return;
    }
    if (this.mode === 'sse') this.parser!.end();
    else this.meterCollectedJson();
    this.res.end();
    this.finish({});
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.finished) return;
    if (this.clientGone) {
      this.finish({ status: 499, errorClass: 'client_aborted' });
      return;
    }
    const error = upstreamFailure(err, this.plan.origin);
    if (!this.res.headersSent) {
      writeGatewayError(this.res, this.plan.family, error, this.plan.requestId);
      this.finish({ status: error.status, errorClass: error.code });
      return;
    }
    // Headers are out: all we can do is end the stream the way the provider would, with an error event.
    if (this.mode === 'sse') {
      this.parser?.end();
      const renderStreamError = this.plan.endpoint === 'responses' ? renderResponsesStreamError : this.plan.family.renderStreamError;
      this.res.end(renderStreamError(error));
    } else {
      this.res.destroy();
    }
    this.finish({ errorClass: error.code });
  }

  private onSseEvent(event: SseEvent): void {
    this.plan.meter.onEvent(event);
    if (!this.plan.dropUsageChunk) return;
    // Re-encoding is faithful for Chat Completions streams: they carry only `data:` lines.
    if (isUsageOnlyChunk(event.data)) return;
    this.write(this.controller, Buffer.from(`data: ${event.data}\n\n`));
  }

  private write(controller: Dispatcher.DispatchController | undefined, chunk: Buffer): void {
    if (this.res.destroyed) return;
    if (!this.res.write(chunk) && controller && !controller.paused) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  private collect(chunk: Buffer, limit: number): void {
    if (this.collectOverflow) return;
    if (this.collectedBytes + chunk.length > limit) {
      this.collectOverflow = true;
      this.collected = [];
      return;
    }
    this.collected.push(chunk);
    this.collectedBytes += chunk.length;
  }

  private meterCollectedJson(): void {
    if (this.collectOverflow || this.collected.length === 0) return;
    const body = tryParseJson(Buffer.concat(this.collected, this.collectedBytes).toString('utf8'));
    if (body !== undefined) this.plan.meter.onJson(body);
  }

  private relayUpstreamError(): void {
    const raw = this.collectOverflow ? '' : Buffer.concat(this.collected, this.collectedBytes).toString('utf8');
    const body = tryParseJson(raw);
    if (body !== undefined) this.plan.meter.onJson(body);
    if (isKeyRejection(this.status, body)) {
      // The caller sent no key; "invalid API key" would mislead them. Tell them who must act.
      const error = new GatewayError('upstream_auth_failed', `the provider rejected the gateway's key for this provider (HTTP ${this.status}); an administrator must rotate it`);
      writeGatewayError(this.res, this.plan.family, error, this.plan.requestId);
      this.finish({ status: error.status, errorClass: error.code });
      return;
    }
    const scrubbed = this.plan.secret.length >= 8 ? raw.split(this.plan.secret).join('[redacted]') : raw;
    this.writeHead(this.status, this.upstreamHeaders, true);
    this.res.end(scrubbed);
    this.finish({});
  }

  private writeHead(status: number, upstream: IncomingHttpHeaders, dropLength: boolean): void {
    const headers: Record<string, string | string[]> = {};
    for (const name in upstream) {
      const value = upstream[name];
      if (value === undefined || DROP_FROM_RESPONSE.has(name)) continue;
      headers[name] = value;
    }
    if (!dropLength && upstream['content-length'] !== undefined) headers['content-length'] = upstream['content-length'];
    headers['x-tailgate-request-id'] = this.plan.requestId;
    this.res.writeHead(status, headers);
    if (this.mode === 'sse') this.res.flushHeaders();
  }

  private finish(overrides: { status?: number; errorClass?: string }): void {
    if (this.finished) return;
    this.finished = true;
    const meter = this.plan.meter.result();
    this.done({
      status: overrides.status ?? this.status,
      meter,
      ttfbMs: this.ttfbMs,
      errorClass: overrides.errorClass ?? meter.errorClass ?? (this.status >= 400 ? `http_${this.status}` : undefined),
      clientAborted: this.clientGone,
    });
  }
}

function isKeyRejection(status: number, body: unknown): boolean {
  if (status === 401) return true;
  // Gemini answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID.
  if (status === 400 || status === 403) {
    const text = typeof body === 'object' && body !== null ? JSON.stringify(body) : '';
    return text.includes('API_KEY_INVALID');
  }
  return false;
}

function upstreamFailure(err: Error, origin: string): GatewayError {
  const code = (err as { code?: string }).code ?? '';
  const causeCode = ((err as { cause?: { code?: string } }).cause?.code) ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayError('upstream_timeout', `the provider at ${origin} did not answer in time`, { cause: err });
  }
  if (code === 'ECONNREFUSED' || causeCode === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new GatewayError('upstream_unreachable', `the provider at ${origin} is unreachable (${code || causeCode})`, { cause: err, retryAfter: 5 });
  }
  return new GatewayError('upstream_reset', `the connection to the provider at ${origin} failed (${code || err.message})`, { cause: err });
}

export function writeGatewayError(res: ServerResponse, family: WireFamily, error: GatewayError, requestId?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = family.renderError(error);
  // The code in a header too: Anthropic's and Gemini's error envelopes have no field for it, and tools
  // (tailgate doctor) should not have to match message text.
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-tailgate-error': error.code, ...error.headers };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  if (requestId !== undefined) headers['x-tailgate-request-id'] = requestId;
  res.writeHead(error.status, headers);
  res.end(body);
}
