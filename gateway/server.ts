import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from '../core/logger';
import { costMicros } from '../core/pricing';
import type { Principal } from '../core/principal';
import { readBody } from './body';
import { GatewayError, isGatewayError } from './errors';
import type { Identifier } from './identity/identify';
import type { RequestRecord, Recorder } from './ledger/record';
import { clientSessionId, detectClient } from './meter/client';
import type { GatewayMetrics } from './metrics';
import { ModelCatalog, renderModelList } from './models';
import { assertModelAllowed } from './policy';
import { anthropicFamily } from './providers/anthropic';
import { geminiFamily } from './providers/gemini';
import { openAiFamily } from './providers/openai';
import { isRecord, type Family, type WireFamily } from './providers/types';
import { forward, writeGatewayError, type ForwardOutcome } from './proxy';
import type { Admission, AdmissionTicket } from './quota/admission';
import { RequestIdSource } from './request-id';
import { familyFromPath, recognizeCall, type CallShape } from './request-shape';
import { providerForModel, resolveRoute } from './routing';
import type { Snapshot } from './snapshot';

/**
 * The data plane's HTTP handler: identify → route → admit → forward → meter → record. Control-plane
 * routes (/graphql, /ui) are handed in by the process wiring; this module never imports them.
 */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, principal: Principal) => Promise<void>;

export interface GatewayDeps {
  log: Logger;
  identifier: Identifier;
  snapshot: () => Snapshot;
  dispatcherFor: (origin: string) => Dispatcher;
  recorder: Recorder;
  admission: Admission;
  maxBodyBytes: number;
  health: () => Promise<{ ok: boolean; checks: Record<string, boolean | string> }>;
  metrics?: GatewayMetrics;
  /** Serve /metrics on this listener (admins only) when no separate metrics listener is configured. */
  metricsOnMainListener: boolean;
  extraRoutes?: Record<string, ExtraRoute>;
  now?: () => Date;
}

const FAMILIES: Record<Family, WireFamily> = { openai: openAiFamily, anthropic: anthropicFamily, gemini: geminiFamily };

/** Request headers never sent upstream: credentials, identity claims, hop-by-hop, framing, forwarding. */
const STRIP_REQUEST = new Set([
  'authorization', 'x-api-key', 'x-goog-api-key', 'cookie', 'host', 'connection', 'keep-alive', 'transfer-encoding',
  'upgrade', 'te', 'trailer', 'content-length', 'accept-encoding', 'expect', 'forwarded', 'x-forwarded-for',
  'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'origin', 'referer',
]);

export function createGatewayHandler(deps: GatewayDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const catalog = new ModelCatalog(deps.log);
  const now = deps.now ?? (() => new Date());
  const requestIds = new RequestIdSource();

  return (req, res) => {
    const requestId = requestIds.create();
    handle(req, res, requestId).catch((err: unknown) => {
      // Anything not already answered: an error in the caller's format, never a stack trace.
      const family = FAMILIES[familyFromPath(pathOf(req), req.headers)];
      const error = isGatewayError(err) ? err : new GatewayError('internal', `internal gateway error (request ${requestId})`);
      if (!isGatewayError(err)) deps.log.error({ requestId, err: err instanceof Error ? err.stack : String(err) }, 'unhandled error');
      writeGatewayError(res, family, error, requestId);
      if (error.headers?.connection === 'close') req.socket.end();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    // Every answer carries the request id. Model calls pass it in their one writeHead (proxy.ts):
    // a header set beforehand would push Node's writeHead onto its slower merge path for every call.
    const tagged = () => res.setHeader('x-tailgate-request-id', requestId);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt < 0 ? url : url.slice(0, queryAt);
    const method = req.method ?? 'GET';

    if (pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      // Claude Code probes the base URL (HEAD /, no credentials) before its first call.
      tagged();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : 'tailgate: AI gateway for this tailnet. See /v1/models.\n');
      return;
    }
    if (pathname === '/healthz') {
      const report = await deps.health();
      tagged();
      sendJson(res, report.ok ? 200 : 503, report);
      return;
    }

    const shape = recognizeCall(pathname, req.headers);
    const family = FAMILIES[shape?.family ?? familyFromPath(pathname, req.headers)];

    if (req.headers.upgrade !== undefined && pathname === '/v1/responses') {
      // Codex tries a WebSocket first; a prompt 426 makes it fall back to HTTP at once.
      throw new GatewayError('websocket_unsupported', 'WebSocket mode is not supported by this gateway; use HTTP POST /v1/responses', { headers: { connection: 'close' } });
    }

    const principal = await deps.identifier.identify(req);

    const extra = deps.extraRoutes && routeFor(deps.extraRoutes, pathname);
    if (extra) {
      tagged();
      await extra(req, res, principal);
      return;
    }
    if (pathname === '/metrics' && deps.metricsOnMainListener && deps.metrics) {
      if (principal.role !== 'admin') throw new GatewayError('forbidden', '/metrics is for gateway administrators');
      tagged();
      res.writeHead(200, { 'content-type': deps.metrics.contentType });
      res.end(await deps.metrics.render());
      return;
    }
    if (pathname === '/v1/tailgate/whoami' && method === 'GET') {
      const snapshot = deps.snapshot();
      const models = await catalog.listFor(principal, 'openai', snapshot);
      const quotas = await deps.admission.standing(principal);
      tagged();
      sendJson(res, 200, {
        principal: principal.id, kind: principal.kind, login: principal.login ?? null, tags: principal.tags, node: principal.nodeName ?? null,
        role: principal.role, allowedModels: principal.allowedModels, models,
        quotas: quotas.map((q) => ({ ...q, usedTokens: Number(q.usedTokens), usedCostUsd: Number(q.usedCostMicros) / 1e6, maxTokens: q.maxTokens === null ? null : Number(q.maxTokens), maxCostUsd: q.maxCostMicros === null ? null : Number(q.maxCostMicros) / 1e6, usedCostMicros: undefined, maxCostMicros: undefined })),
      });
      return;
    }
    if (!shape) throw new GatewayError('not_found', `no such endpoint: ${method} ${pathname.slice(0, 200)}`);
    if (method !== shape.allowedMethods) {
      throw new GatewayError('method_not_allowed', `${method} is not allowed on ${pathname}; use ${shape.allowedMethods}`, { headers: { allow: shape.allowedMethods } });
    }
    if (shape.isModelList) {
      const models = await catalog.listFor(principal, shape.family, deps.snapshot());
      const body = renderModelList(shape.family, models, (model) => deps.snapshot().routes.get(model)?.provider ?? providerForModel(model) ?? 'tailgate');
      tagged();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    await proxyCall(req, res, requestId, principal, shape, family, url, queryAt);
  }

  async function proxyCall(req: IncomingMessage, res: ServerResponse, requestId: string, principal: Principal, shape: CallShape, family: WireFamily, url: string, queryAt: number): Promise<void> {
    const startedAt = now();
    const started = performance.now();
    const raw = await readBody(req, deps.maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new GatewayError('invalid_json', 'request body is not valid JSON');
    }
    if (!isRecord(body)) throw new GatewayError('invalid_json', 'request body must be a JSON object');
    const model = shape.pathModel ?? (typeof body.model === 'string' ? body.model : undefined);
    if (!model) throw new GatewayError('model_missing', 'request has no "model"');

    const snapshot = deps.snapshot();
    const query = queryAt < 0 ? '' : sanitizeQuery(url.slice(queryAt));
    const route = resolveRoute(snapshot, shape, model, query);
    assertModelAllowed(principal, model, snapshot.quotas);
    const key = route.provider.key;
    if (!key) {
      throw new GatewayError('no_provider_key', `no API key is configured for provider ${route.provider.name}; an administrator can add one with the setProviderKey mutation (or ${route.provider.name.toUpperCase()}_API_KEY at start)`, { retryAfter: 30 });
    }

    const stream = shape.endpoint === 'streamGenerateContent' || body.stream === true;
    // Usage must never be unknown: ask for it on Chat Completions streams, and hide the extra chunk
    // from callers who did not ask for it.
    let dropUsageChunk = false;
    let outgoing: Buffer = raw;
    const rewrite: Record<string, unknown> = {};
    if (shape.family !== 'gemini' && route.upstreamModel !== model) rewrite.model = route.upstreamModel;
    if (shape.endpoint === 'chat' && stream) {
      const options = isRecord(body.stream_options) ? body.stream_options : {};
      if (options.include_usage !== true) {
        rewrite.stream_options = { ...options, include_usage: true };
        dropUsageChunk = true;
      }
    }
    if (Object.keys(rewrite).length > 0) outgoing = Buffer.from(JSON.stringify({ ...body, ...rewrite }));

    const promptEstimate = Math.ceil(raw.length / 4);
    const outputEstimate = outputCap(body);
    // Pricing the estimate costs a table lookup: only when some quota limits cost.
    const estimateCostMicros = snapshot.quotas.some((q) => q.maxCostMicros !== null)
      ? costMicros({ providerKind: route.provider.kind, models: [route.upstreamModel, model], usage: { inputTokens: promptEstimate, outputTokens: outputEstimate, cachedInputTokens: 0, cacheWriteTokens: 0 }, at: now(), overrides: snapshot.prices }) ?? 0n
      : 0n;
    const ticket = await deps.admission.admit({ principal, model, estimateTokens: promptEstimate + outputEstimate, estimateCostMicros });

    const headers = upstreamHeaders(req.rawHeaders, route.auth, key.secret);
    const upstream = route.provider.upstream;
    if (!upstream) throw new GatewayError('internal', `provider ${route.provider.name} has an invalid base URL; an administrator must fix it with upsertProvider`);
    const client = detectClient(req.headers);
    // Taken now so that nothing holds the parsed body while the call runs: an agent's request is often
    // hundreds of kilobytes of messages, and a call can stream for minutes.
    const sessionId = clientSessionId(req.headers, body);
    const userAgent = headerValue(req, 'user-agent')?.slice(0, 300);
    const meter = family.createMeter(shape.endpoint);
    deps.metrics?.inflight.inc();
    forward(
      {
        dispatcher: deps.dispatcherFor(upstream.origin),
        origin: upstream.origin,
        path: upstream.basePath + route.upstreamPath,
        method: 'POST',
        headers,
        body: outgoing,
        family,
        endpoint: shape.endpoint,
        meter,
        secret: key.secret,
        dropUsageChunk,
        requestId,
      },
      res,
      (outcome) => {
        deps.metrics?.inflight.dec();
        settleAndRecord(outcome, ticket, { requestId, startedAt, started, principal, client, model, sessionId, userAgent, routeProvider: route.provider.name, providerKind: route.provider.kind, keyId: key.id, endpoint: shape.endpoint, stream, snapshot });
      },
    );
  }

  function settleAndRecord(
    outcome: ForwardOutcome,
    ticket: AdmissionTicket,
    ctx: { requestId: string; startedAt: Date; started: number; principal: Principal; client: ReturnType<typeof detectClient>; model: string; sessionId: string | undefined; userAgent: string | undefined; routeProvider: string; providerKind: string; keyId: string; endpoint: string; stream: boolean; snapshot: Snapshot },
  ): void {
    const { meter } = outcome;
    const usage = meter.usage;
    const cost = meter.usageKnown || usage.inputTokens + usage.outputTokens > 0
      ? costMicros({ providerKind: ctx.providerKind, models: [meter.upstreamModel, ctx.model], usage, at: ctx.startedAt, overrides: ctx.snapshot.prices, providerCostUsd: meter.providerCostUsd })
      : null;
    ticket.settle({ tokens: usage.inputTokens + usage.outputTokens, costMicros: cost });
    const latencyMs = Math.round(performance.now() - ctx.started);
    const record: RequestRecord = {
      id: ctx.requestId,
      at: ctx.startedAt,
      principalId: ctx.principal.id,
      principalKind: ctx.principal.kind,
      login: ctx.principal.login,
      tags: ctx.principal.tags,
      displayName: ctx.principal.displayName,
      nodeName: ctx.principal.nodeName,
      client: ctx.client,
      userAgent: ctx.userAgent,
      clientSessionId: ctx.sessionId,
      provider: ctx.routeProvider,
      providerKeyId: ctx.keyId,
      model: ctx.model,
      upstreamModel: meter.upstreamModel,
      endpoint: ctx.endpoint,
      status: outcome.status,
      stream: ctx.stream,
      usage,
      usageKnown: meter.usageKnown,
      costMicros: cost,
      latencyMs,
      ttfbMs: outcome.ttfbMs === undefined ? undefined : Math.round(outcome.ttfbMs),
      errorClass: outcome.errorClass,
      tools: meter.tools.size === 0 ? [] : [...meter.tools.entries()],
    };
    deps.metrics?.observe(record, outcome.ttfbMs);
    if (deps.log.isLevelEnabled('info')) {
      // One access line per model call: who, what, outcome, cost. Never a key, prompt or completion.
      deps.log.info({
        requestId: record.id, principal: record.principalId, client: record.client, provider: record.provider, model: record.model,
        endpoint: record.endpoint, status: record.status, stream: record.stream, ms: latencyMs, ttfbMs: record.ttfbMs,
        inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros: cost === null ? null : Number(cost), error: record.errorClass,
      }, 'model call');
    }
    try {
      deps.recorder.record(record);
    } catch (err) {
      deps.log.error({ requestId: ctx.requestId, err: (err as Error).message }, 'ledger refused a record');
    }
  }
}

function routeFor(routes: Record<string, ExtraRoute>, pathname: string): ExtraRoute | undefined {
  for (const prefix in routes) {
    if (pathname === prefix || pathname.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) return routes[prefix];
  }
  return undefined;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}

/** Keep the caller's query (Claude Code's `?beta=true`, Gemini's `alt=sse`) minus any key. */
function sanitizeQuery(query: string): string {
  const params = new URLSearchParams(query.slice(1));
  params.delete('key');
  const kept = params.toString();
  return kept ? `?${kept}` : '';
}

function upstreamHeaders(rawHeaders: string[], auth: 'bearer' | 'x-api-key' | 'x-goog-api-key', secret: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (STRIP_REQUEST.has(name) || name.startsWith('tailscale-') || name.startsWith('proxy-') || name.startsWith('x-tailgate-')) continue;
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1] : `${headers[name]}, ${rawHeaders[i + 1]}`;
  }
  // Metering reads plaintext: undici does not decompress, so ask for none.
  headers['accept-encoding'] = 'identity';
  headers['content-type'] ??= 'application/json';
  if (auth === 'bearer') headers.authorization = `Bearer ${secret}`;
  else headers[auth] = secret;
  if (auth === 'x-api-key') headers['anthropic-version'] ??= '2023-06-01';
  return headers;
}

function outputCap(body: Record<string, unknown>): number {
  for (const field of ['max_tokens', 'max_completion_tokens', 'max_output_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && value > 0) return Math.min(Math.ceil(value), 1_000_000);
  }
  const config = isRecord(body.generationConfig) ? body.generationConfig : {};
  if (typeof config.maxOutputTokens === 'number' && config.maxOutputTokens > 0) return Math.min(Math.ceil(config.maxOutputTokens), 1_000_000);
  return 4096;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function createHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): http.Server {
  const server = http.createServer({ requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 65_000, maxHeaderSize: 64 * 1024 }, handler);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed framing (bad content-length, huge headers): answer if we can, never crash.
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  return server;
}
