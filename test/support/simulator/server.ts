// ProviderSimulator: one node:http server on 127.0.0.1 that speaks OpenAI, Anthropic, Gemini and OpenRouter under
// path prefixes, so each SDK takes `baseUrls.<provider>` exactly as it takes the real base URL. It checks each
// provider's real credential header, records every request and the usage it reported, and injects faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as anthropic from './anthropic';
import type { HandlerContext } from './context';
import { errorReply, geminiBadKey, type ErrorDialect, type ErrorReply } from './errors';
import * as gemini from './gemini';
import * as openai from './openai';
import { isObject, stringAt } from './prompt';
import {
  SIM_PROVIDERS, type FaultScope, type SimApi, type SimFault, type SimProvider, type SimRequest, type SimResponse,
  type SimUsage, type SimulatorOptions,
} from './types';
import { assertUsageOverride } from './usage';
import { deliver, jsonAnswer, type Answer } from './wire';

const DEFAULT_KEYS: Record<SimProvider, string> = {
  openai: 'sim-openai-key-1',
  anthropic: 'sim-anthropic-key-1',
  gemini: 'sim-gemini-key-1',
  openrouter: 'sim-openrouter-key-1',
};

const DEFAULT_MODELS: Record<SimProvider, string[]> = {
  openai: ['gpt-5', 'gpt-5-mini', 'gpt-4o-mini', 'gpt-5.1-codex', 'text-embedding-3-small'],
  anthropic: ['claude-sonnet-4-6', 'claude-opus-4-8', 'claude-haiku-4-5', 'claude-sonnet-4-5'],
  gemini: ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite'],
  openrouter: ['anthropic/claude-sonnet-4.5', 'openai/gpt-5', 'google/gemini-2.5-flash'],
};

const PREFIX: Record<SimProvider, string> = {
  openai: '/openai/v1',
  anthropic: '/anthropic',
  gemini: '/gemini',
  openrouter: '/openrouter/api/v1',
};

/** Which credential a route checks, as the real endpoint does. */
type AuthScheme = 'bearer' | 'anthropic' | 'anthropic-openai' | 'gemini' | 'gemini-openai' | 'openrouter';

interface Route {
  api: SimApi;
  dialect: ErrorDialect;
  auth: AuthScheme;
  stream: boolean;
  /** Model the request names, checked against `models` when `strictModels`; undefined when not applicable. */
  model?: string;
  /** Anthropic's native routes require an `anthropic-version` header. */
  anthropicVersion?: boolean;
  handle(ctx: HandlerContext): Answer;
}

interface PendingFault {
  fault: SimFault;
  scope: FaultScope;
  remaining: number;
}

export class ProviderSimulator {
  /** Keys the simulator accepts, per provider. Change them at runtime to simulate rotation or revocation. */
  readonly keys: Record<SimProvider, string | string[]>;
  /** Models per provider, served by the models endpoints (and enforced with `strictModels`). */
  readonly models: Record<SimProvider, string[]>;
  streamChunks: number;
  chunkDelayMs: number;
  replyText: string;
  strictModels: boolean;
  anthropicBearerAuth: boolean;
  embeddingDimensions: number;
  readonly received: SimRequest[] = [];
  readonly sent: SimResponse[] = [];

  private seq = 0;
  private readonly pending: PendingFault[] = [];
  private readonly persistent: PendingFault[] = [];
  private readonly usageOverrides = new Map<SimProvider, Partial<SimUsage>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;

  private constructor(private readonly server: http.Server, opts: SimulatorOptions) {
    this.keys = { ...DEFAULT_KEYS, ...opts.keys };
    this.models = {
      openai: [...(opts.models?.openai ?? DEFAULT_MODELS.openai)],
      anthropic: [...(opts.models?.anthropic ?? DEFAULT_MODELS.anthropic)],
      gemini: [...(opts.models?.gemini ?? DEFAULT_MODELS.gemini)],
      openrouter: [...(opts.models?.openrouter ?? DEFAULT_MODELS.openrouter)],
    };
    this.streamChunks = opts.streamChunks ?? 4;
    this.chunkDelayMs = opts.chunkDelayMs ?? 0;
    this.replyText = opts.replyText ?? 'Hello from the provider simulator.';
    this.strictModels = opts.strictModels ?? false;
    this.anthropicBearerAuth = opts.anthropicBearerAuth ?? true;
    this.embeddingDimensions = opts.embeddingDimensions ?? 16;
  }

  static async start(opts: SimulatorOptions = {}): Promise<ProviderSimulator> {
    const server = http.createServer();
    const sim = new ProviderSimulator(server, opts);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const work = sim.onRequest(req, res).catch(() => { res.destroy(); });
      sim.inFlight.add(work);
      void work.finally(() => sim.inFlight.delete(work));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return sim;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Base URLs to give each SDK in place of the real one. */
  get baseUrls(): Record<SimProvider, string> {
    const url = this.url;
    return { openai: url + PREFIX.openai, anthropic: url + PREFIX.anthropic, gemini: url + PREFIX.gemini,
      openrouter: url + PREFIX.openrouter };
  }

  /** Inject `fault` into the next `times` (default 1) matching requests that pass authentication. */
  failNext(fault: SimFault, scope: FaultScope & { times?: number } = {}): void {
    const { times = 1, ...rest } = scope;
    this.pending.push({ fault, scope: rest, remaining: times });
  }

  /** Inject `fault` into every matching request until `clearFaults()`. */
  failAlways(fault: SimFault, scope: FaultScope = {}): void {
    this.persistent.push({ fault, scope, remaining: Infinity });
  }

  clearFaults(): void {
    this.pending.length = 0;
    this.persistent.length = 0;
  }

  /** Report this usage (normalised terms, rendered natively) for the provider's next answer that has usage. */
  nextUsage(provider: SimProvider, usage: Partial<SimUsage>): void {
    assertUsageOverride(usage);
    this.usageOverrides.set(provider, usage);
  }

  clearReceived(): void {
    this.received.length = 0;
    this.sent.length = 0;
  }

  lastReceived(provider?: SimProvider): SimRequest | undefined {
    return [...this.received].reverse().find((r) => !provider || r.provider === provider);
  }

  lastSent(provider?: SimProvider): SimResponse | undefined {
    return [...this.sent].reverse().find((r) => !provider || r.provider === provider);
  }

  /** Resolves once every request being answered is done (hung requests excepted). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.closing.abort();
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // hung requests and keep-alive sockets
    });
    return this.closed;
  }

  // -------------------------------------------------------------------------------------------------------

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // client went away mid-request
    }
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://simulator');
    const provider = SIM_PROVIDERS.find((p) => url.pathname === `/${p}` || url.pathname.startsWith(`/${p}/`));
    if (!provider) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `simulator: no provider prefix in ${url.pathname}` } }));
      return;
    }
    const simReq: SimRequest = {
      seq: ++this.seq,
      provider,
      method: req.method ?? 'GET',
      path: url.pathname.slice(provider.length + 1) || '/',
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]])),
      body: parseObject(rawBody),
      rawBody,
    };
    this.received.push(simReq);
    const route = this.route(simReq);
    const record: SimResponse = {
      seq: simReq.seq, provider, api: route?.api ?? 'unknown', model: route?.model ?? null, status: 0,
      stream: route?.stream ?? false, fault: null, nativeUsage: null, usage: null, plannedUsage: null, toolCalls: [],
      text: '', completed: false, clientClosed: false,
    };
    this.sent.push(record);
    const control = { delayMs: this.chunkDelayMs, signal: this.closing.signal };
    const refuse = (reply: ErrorReply): Promise<void> =>
      deliver(res, jsonAnswer(reply.body, { headers: reply.headers }, reply.status), record, control);

    if (!route) {
      // Each provider's envelope names its own dialect.
      return refuse(errorReply(provider, 404, `Unknown request URL: ${simReq.method} ${simReq.path}`));
    }
    const authError = this.checkAuth(route.auth, simReq);
    if (authError) return refuse(authError);
    if (route.anthropicVersion && !simReq.headers['anthropic-version']) {
      return refuse(errorReply('anthropic', 400, 'anthropic-version: header is required'));
    }
    if (simReq.method === 'POST' && simReq.body === null) {
      return refuse(errorReply(route.dialect, 400, 'The request body is not valid JSON.'));
    }
    if (this.strictModels && route.model !== undefined && !this.models[provider].includes(route.model)) {
      return refuse(modelNotFound(route, route.model));
    }

    const fault = this.takeFault(provider, route.api);
    record.fault = fault?.kind ?? null;
    const ctx: HandlerContext = {
      req: simReq, body: simReq.body ?? {}, model: route.model ?? '', streamChunks: Math.max(1, this.streamChunks),
      replyText: this.replyText, streamError: false, usageOverride: undefined, record,
      models: this.models[provider], embeddingDimensions: this.embeddingDimensions,
    };
    let cutAfter: number | undefined;
    switch (fault?.kind) {
      case 'reset-before-headers':
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        return; // left open; close() destroys the socket
      case 'status': {
        const reply = fault.body === undefined ? errorReply(route.dialect, fault.status) : { status: fault.status,
          body: fault.body };
        return refuse({ ...reply, headers: { ...reply.headers, ...fault.headers } });
      }
      case 'stream-error-event':
        if (!route.stream) return refuse(errorReply(route.dialect, route.dialect === 'anthropic' ? 529 : 500));
        ctx.streamError = true;
        break;
      case 'reset-mid-stream':
        cutAfter = fault.afterChunks;
        break;
      case undefined:
        break;
    }
    if (['chat', 'responses', 'embeddings', 'messages', 'generate_content', 'stream_generate_content']
      .includes(route.api)) {
      ctx.usageOverride = this.usageOverrides.get(provider);
      this.usageOverrides.delete(provider);
    }
    let answer: Answer;
    try {
      answer = route.handle(ctx);
    } catch (err) {
      const message = `simulator bug: ${err instanceof Error ? err.message : String(err)}`;
      return refuse(errorReply(route.dialect, 500, message));
    }
    await deliver(res, answer, record, { ...control, cutAfter });
  }

  private takeFault(provider: SimProvider, api: SimApi): SimFault | undefined {
    const matches = (f: PendingFault): boolean =>
      (!f.scope.provider || f.scope.provider === provider) && (!f.scope.api || f.scope.api === api);
    const index = this.pending.findIndex(matches);
    if (index >= 0) {
      const next = this.pending[index];
      next.remaining -= 1;
      if (next.remaining <= 0) this.pending.splice(index, 1);
      return next.fault;
    }
    return this.persistent.find(matches)?.fault;
  }

  private keyMatches(provider: SimProvider, presented: string | undefined): boolean {
    if (!presented) return false;
    return ([] as string[]).concat(this.keys[provider]).includes(presented);
  }

  private checkAuth(scheme: AuthScheme, req: SimRequest): ErrorReply | null {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    switch (scheme) {
      case 'bearer':
        if (!bearer) {
          return errorReply('openai', 401, "You didn't provide an API key. You need to provide your API key in an "
            + 'Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).', null);
        }
        return this.keyMatches(req.provider, bearer) ? null : errorReply('openai', 401);
      case 'openrouter':
        if (!bearer) return errorReply('openrouter', 401, 'No auth credentials found');
        return this.keyMatches(req.provider, bearer) ? null : errorReply('openrouter', 401, 'User not found.');
      case 'anthropic':
      case 'anthropic-openai': {
        const apiKey = req.headers['x-api-key']
          ?? (scheme === 'anthropic-openai' || this.anthropicBearerAuth ? bearer : undefined);
        if (!apiKey) return errorReply('anthropic', 401, 'x-api-key header is required');
        return this.keyMatches(req.provider, apiKey) ? null : errorReply('anthropic', 401, 'invalid x-api-key');
      }
      case 'gemini': {
        const apiKey = req.headers['x-goog-api-key'] ?? req.query.key;
        if (!apiKey) {
          return errorReply('gemini', 403, "Method doesn't allow unregistered callers (callers without established "
            + 'identity). Please use API Key or other form of API consumer identity to call this API.');
        }
        return this.keyMatches(req.provider, apiKey) ? null : geminiBadKey('gemini');
      }
      case 'gemini-openai':
        return this.keyMatches(req.provider, bearer) ? null : geminiBadKey('gemini-openai');
    }
  }

  private route(req: SimRequest): Route | null {
    const { provider, method, path } = req;
    const body = req.body ?? {};
    const bodyModel = stringAt(body, 'model') ?? '';
    const stream = body.stream === true;
    const post = method === 'POST';
    const get = method === 'GET';
    const chat = (dialect: ErrorDialect, auth: AuthScheme, flavour: openai.ChatFlavour): Route =>
      ({ api: 'chat', dialect, auth, stream, model: bodyModel, handle: (c) => openai.chatCompletions(c, flavour) });
    const models = this.models[provider];
    const known = (dialect: ErrorDialect, auth: AuthScheme, id: string, answer: () => Answer): Route => ({
      api: 'models', dialect, auth, stream: false, anthropicVersion: auth === 'anthropic',
      handle: () => {
        if (models.includes(id)) return answer();
        const reply = modelNotFound({ dialect }, id);
        return jsonAnswer(reply.body, { headers: reply.headers }, reply.status);
      },
    });
    const modelId = /^\/v1\/models\/([^/]+)$/.exec(path)?.[1];
    switch (provider) {
      case 'openai':
        if (post && path === '/v1/chat/completions') return chat('openai', 'bearer', 'openai');
        if (post && path === '/v1/responses') {
          return { api: 'responses', dialect: 'openai', auth: 'bearer', stream, model: bodyModel, handle: openai.responses };
        }
        if (post && path === '/v1/embeddings') {
          return { api: 'embeddings', dialect: 'openai', auth: 'bearer', stream: false, model: bodyModel,
            handle: openai.embeddings };
        }
        if (get && path === '/v1/models') {
          return { api: 'models', dialect: 'openai', auth: 'bearer', stream: false,
            handle: () => openai.openAiModelList(models, 'openai') };
        }
        if (get && modelId) return known('openai', 'bearer', modelId, () => openai.openAiModel(modelId, 'openai'));
        return null;
      case 'openrouter':
        if (post && path === '/api/v1/chat/completions') return chat('openrouter', 'openrouter', 'openrouter');
        if (get && path === '/api/v1/models') {
          return { api: 'models', dialect: 'openrouter', auth: 'openrouter', stream: false,
            handle: () => openai.openRouterModelList(models) };
        }
        return null;
      case 'anthropic':
        if (post && path === '/v1/messages') {
          return { api: 'messages', dialect: 'anthropic', auth: 'anthropic', stream, model: bodyModel,
            anthropicVersion: true, handle: anthropic.messages };
        }
        if (post && path === '/v1/messages/count_tokens') {
          return { api: 'count_tokens', dialect: 'anthropic', auth: 'anthropic', stream: false, model: bodyModel,
            anthropicVersion: true, handle: anthropic.countTokens };
        }
        if (get && path === '/v1/models') {
          return { api: 'models', dialect: 'anthropic', auth: 'anthropic', stream: false, anthropicVersion: true,
            handle: (c) => anthropic.modelList(models, c.req.query) };
        }
        if (get && modelId) return known('anthropic', 'anthropic', modelId, () => anthropic.model(modelId));
        if (post && path === '/v1/chat/completions') return chat('anthropic', 'anthropic-openai', 'anthropic-openai');
        return null;
      case 'gemini': {
        if (post && path === '/v1beta/openai/chat/completions') return chat('gemini-openai', 'gemini-openai', 'gemini-openai');
        if (get && path === '/v1beta/openai/models') {
          return { api: 'models', dialect: 'gemini-openai', auth: 'gemini-openai', stream: false,
            handle: () => openai.openAiModelList(models, 'google', 'models/') };
        }
        if (get && /^\/v1(beta)?\/models$/.test(path)) {
          return { api: 'models', dialect: 'gemini', auth: 'gemini', stream: false,
            handle: () => gemini.modelList(models) };
        }
        const one = /^\/v1(?:beta)?\/models\/([^/:]+)$/.exec(path)?.[1];
        if (get && one) return known('gemini', 'gemini', one, () => gemini.model(one));
        const call = /^\/v1(?:beta)?\/models\/([^:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(path);
        if (!post || !call) return null;
        const [, model, method] = call;
        if (method === 'countTokens') {
          return { api: 'count_tokens', dialect: 'gemini', auth: 'gemini', stream: false, model,
            handle: gemini.countTokens };
        }
        const streaming = method === 'streamGenerateContent';
        return { api: streaming ? 'stream_generate_content' : 'generate_content', dialect: 'gemini', auth: 'gemini',
          stream: streaming, model, handle: (c) => gemini.generateContent(c, streaming, c.req.query.alt === 'sse') };
      }
    }
  }
}

function parseObject(raw: Buffer): Record<string, unknown> | null {
  if (raw.length === 0) return null;
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function modelNotFound(route: Pick<Route, 'dialect'>, model: string): ErrorReply {
  switch (route.dialect) {
    case 'anthropic':
      return errorReply('anthropic', 404, `model: ${model}`);
    case 'gemini':
    case 'gemini-openai':
      return errorReply(route.dialect, 404,
        `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
    case 'openrouter':
      return errorReply('openrouter', 400, `${model} is not a valid model ID`);
    case 'openai':
      return errorReply('openai', 404, `The model \`${model}\` does not exist or you do not have access to it.`,
        'model_not_found');
  }
}
