import { GatewayError } from './errors';
import type { CallShape } from './request-shape';
import type { Endpoint, Family } from './providers/types';
import type { ProviderEntry, ProviderKind, Snapshot } from './snapshot';

/**
 * Model → provider: an admin's exact route first (it may rename the model upstream), then the
 * built-in prefix rules. Then the upstream path for the caller's wire format on that provider.
 */
export interface Route {
  provider: ProviderEntry;
  upstreamModel: string;
  /** Path (and query) to send upstream, joined to the provider's base URL. */
  upstreamPath: string;
  /** Which header carries the key upstream. */
  auth: 'bearer' | 'x-api-key' | 'x-goog-api-key';
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}$/;

export function validateModelName(model: string): void {
  if (!MODEL_NAME.test(model) || model.includes('..')) {
    throw new GatewayError('model_unknown', `model ${JSON.stringify(model.slice(0, 80))} is not a valid model name`);
  }
}

/** The built-in provider for a model name, by prefix. */
export function providerForModel(model: string): string | undefined {
  if (model.startsWith('claude-')) return 'anthropic';
  if (model.startsWith('gemini-') || model.startsWith('gemma-') || model.startsWith('text-embedding-00') || model.startsWith('gemini-embedding')) return 'gemini';
  if (/^(gpt-|o1|o3|o4|chatgpt-|text-embedding-|codex-|davinci|babbage|omni-moderation)/.test(model)) return 'openai';
  if (/^[a-z0-9][\w.-]*\/[\w.:-]+$/i.test(model)) return 'openrouter';
  return undefined;
}

const OPENAI_SHAPED: ReadonlySet<ProviderKind> = new Set(['OPENAI', 'OPENROUTER', 'OPENAI_COMPATIBLE']);
const OPENAI_SUFFIX: Partial<Record<Endpoint, string>> = { chat: '/chat/completions', responses: '/responses', embeddings: '/embeddings', completions: '/completions' };

export function resolveRoute(snapshot: Snapshot, shape: CallShape, model: string, query: string): Route {
  validateModelName(model);
  const route = snapshot.routes.get(model);
  const providerName = route?.provider ?? providerForModel(model);
  const provider = providerName ? snapshot.providers.get(providerName) : undefined;
  if (!provider) {
    const list = shape.family === 'gemini' ? 'GET /v1beta/models' : 'GET /v1/models';
    throw new GatewayError('model_unknown', `model ${JSON.stringify(model)} is not available through this gateway; ${list} lists the models you may use`);
  }
  if (!provider.enabled) throw new GatewayError('provider_disabled', `provider ${provider.name} is disabled by an administrator`);
  const upstreamModel = route?.upstreamModel ?? model;
  return { provider, upstreamModel, ...upstreamTarget(provider, shape, upstreamModel, query) };
}

function upstreamTarget(provider: ProviderEntry, shape: CallShape, upstreamModel: string, query: string): Pick<Route, 'upstreamPath' | 'auth'> {
  const { family, endpoint } = shape;
  const wrongFormat = (served: string, hint: string) =>
    new GatewayError('model_unsupported_here', `model ${JSON.stringify(upstreamModel)} is served by ${provider.name} (${served}); ${hint}`);

  if (OPENAI_SHAPED.has(provider.kind)) {
    if (family !== 'openai') throw wrongFormat('OpenAI API format', 'send it to /v1/chat/completions or /v1/responses');
    return { upstreamPath: OPENAI_SUFFIX[endpoint]! + query, auth: 'bearer' };
  }
  if (provider.kind === 'ANTHROPIC') {
    if (family === 'anthropic') return { upstreamPath: (endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages') + query, auth: 'x-api-key' };
    // Anthropic's OpenAI SDK compatibility layer serves Chat Completions only.
    if (family === 'openai' && endpoint === 'chat') return { upstreamPath: '/v1/chat/completions' + query, auth: 'bearer' };
    throw wrongFormat('Anthropic Messages API', 'send it to /v1/messages (or /v1/chat/completions)');
  }
  // GEMINI
  if (family === 'gemini') {
    const segment = upstreamModel.startsWith('tunedModels/') ? upstreamModel : `models/${upstreamModel}`;
    return { upstreamPath: `/${shape.apiVersion ?? 'v1beta'}/${segment}:${endpoint}${query}`, auth: 'x-goog-api-key' };
  }
  if (family === 'openai' && (endpoint === 'chat' || endpoint === 'embeddings')) {
    return { upstreamPath: `/v1beta/openai${OPENAI_SUFFIX[endpoint]}${query}`, auth: 'bearer' };
  }
  throw wrongFormat('Gemini API', 'send it to /v1beta/models/{model}:generateContent (or /v1/chat/completions)');
}

export function familyLabel(family: Family): string {
  return family === 'openai' ? 'OpenAI' : family === 'anthropic' ? 'Anthropic' : 'Gemini';
}
