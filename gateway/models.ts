import { request } from 'undici';
import type { Principal } from '../core/principal';
import type { Logger } from '../core/logger';
import { isModelAllowed } from './policy';
import { isRecord, type Family } from './providers/types';
import { providerForModel } from './routing';
import type { ProviderEntry, Snapshot } from './snapshot';

/**
 * GET /v1/models (and Gemini's /v1beta/models): exactly the models this caller may use, in the
 * caller's format: each keyed provider's own list (fetched upstream, cached) plus admin routes,
 * filtered by the caller's policy.
 */
interface CachedList {
  models: string[];
  expires: number;
}

const TTL_MS = 5 * 60_000;
const FAILED_TTL_MS = 15_000;

export class ModelCatalog {
  private readonly cache = new Map<string, CachedList>();
  private readonly inflight = new Map<string, Promise<string[]>>();

  constructor(private readonly log: Logger) {}

  async listFor(principal: Principal, family: Family, snapshot: Snapshot): Promise<string[]> {
    const wanted = [...snapshot.providers.values()].filter((p) => p.enabled && p.key && servesFamily(p, family));
    const lists = await Promise.all(wanted.map((p) => this.providerModels(p)));
    const names = new Set<string>();
    lists.forEach((models, i) => {
      for (const model of models) {
        // A provider's list may include models our prefix rules would send elsewhere (OpenRouter lists everything).
        const routed = snapshot.routes.get(model)?.provider ?? providerForModel(model);
        if (routed === wanted[i].name || wanted[i].kind === 'OPENAI_COMPATIBLE') names.add(model);
      }
    });
    for (const route of snapshot.routes.values()) {
      const provider = snapshot.providers.get(route.provider);
      if (provider?.enabled && provider.key && servesFamily(provider, family)) names.add(route.model);
    }
    return [...names].filter((model) => isModelAllowed(principal, model, snapshot.quotas)).sort();
  }

  private providerModels(provider: ProviderEntry): Promise<string[]> {
    const cacheKey = `${provider.name}|${provider.baseUrl}|${provider.key?.id}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expires > Date.now()) return Promise.resolve(cached.models);
    let pending = this.inflight.get(cacheKey);
    if (!pending) {
      pending = fetchModels(provider)
        .then((models) => {
          this.cache.set(cacheKey, { models, expires: Date.now() + TTL_MS });
          return models;
        })
        .catch((err: unknown) => {
          this.log.warn({ provider: provider.name, err: (err as Error).message }, 'cannot list provider models');
          this.cache.set(cacheKey, { models: [], expires: Date.now() + FAILED_TTL_MS });
          return [];
        })
        .finally(() => this.inflight.delete(cacheKey));
      this.inflight.set(cacheKey, pending);
    }
    return pending;
  }
}

function servesFamily(provider: ProviderEntry, family: Family): boolean {
  if (family === 'openai') return true; // Claude and Gemini are reachable through their OpenAI-compatible endpoints
  return family === 'anthropic' ? provider.kind === 'ANTHROPIC' : provider.kind === 'GEMINI';
}

async function fetchModels(provider: ProviderEntry): Promise<string[]> {
  const secret = provider.key!.secret;
  let url: string;
  let headers: Record<string, string>;
  if (provider.kind === 'ANTHROPIC') {
    url = `${provider.baseUrl}/v1/models?limit=1000`;
    headers = { 'x-api-key': secret, 'anthropic-version': '2023-06-01' };
  } else if (provider.kind === 'GEMINI') {
    url = `${provider.baseUrl}/v1beta/models?pageSize=1000`;
    headers = { 'x-goog-api-key': secret };
  } else {
    url = `${provider.baseUrl}/models`;
    headers = { authorization: `Bearer ${secret}` };
  }
  const res = await request(url, { headers: { ...headers, accept: 'application/json' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const body: unknown = await res.body.json().catch(() => null);
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} from ${provider.name} models endpoint`);
  const items = isRecord(body) ? (Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : []) : [];
  const models: string[] = [];
  for (const item of items) {
    if (!isRecord(item)) continue;
    if (typeof item.id === 'string') models.push(item.id);
    else if (typeof item.name === 'string') models.push(item.name.replace(/^models\//, ''));
  }
  return models;
}

export function renderModelList(family: Family, models: string[], owners: (model: string) => string): string {
  if (family === 'anthropic') {
    const data = models.map((id) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' }));
    return JSON.stringify({ data, has_more: false, first_id: models[0] ?? null, last_id: models[models.length - 1] ?? null });
  }
  if (family === 'gemini') {
    return JSON.stringify({ models: models.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent', 'countTokens'] })) });
  }
  return JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: owners(id) })) });
}
