import { calcPrice } from '@pydantic/genai-prices';

/**
 * Cost in integer micro-dollars. Sources, in order: an admin's price override for the model, the
 * provider's own reported charge (OpenRouter), then @pydantic/genai-prices' bundled price table.
 * Unknown price → null ("unknown"), never 0: a free-looking expensive model is worse than a gap.
 */
export interface PricedUsage {
  inputTokens: number; // whole prompt: uncached + cache reads + cache writes
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number; // includes reasoning
}

export interface PriceOverride {
  inputPerMTok: bigint;
  outputPerMTok: bigint;
  cachedInputPerMTok: bigint | null;
  cacheWritePerMTok: bigint | null;
}

const GENAI_PRICES_PROVIDER: Record<string, string> = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  GEMINI: 'google',
  OPENROUTER: 'openrouter',
};

export interface PriceQuery {
  providerKind: string;
  /** Names to try, most specific first (the upstream's resolved model id, then the requested one). */
  models: Array<string | undefined>;
  usage: PricedUsage;
  at: Date;
  overrides?: ReadonlyMap<string, PriceOverride>;
  providerCostUsd?: number;
}

export function costMicros(query: PriceQuery): bigint | null {
  const names = [...new Set(query.models.filter((m): m is string => typeof m === 'string' && m.length > 0))];
  for (const name of names) {
    const override = query.overrides?.get(name);
    if (override) return overrideCost(override, query.usage);
  }
  if (query.providerCostUsd !== undefined) return BigInt(Math.round(query.providerCostUsd * 1e6));
  const providerId = GENAI_PRICES_PROVIDER[query.providerKind];
  const usage = {
    input_tokens: query.usage.inputTokens,
    cache_read_tokens: query.usage.cachedInputTokens,
    cache_write_tokens: query.usage.cacheWriteTokens,
    output_tokens: query.usage.outputTokens,
  };
  for (const name of names) {
    const bare = name.includes('/') && query.providerKind !== 'OPENROUTER' ? name.slice(name.lastIndexOf('/') + 1) : name;
    const price = calcPrice(usage, bare, { providerId, timestamp: query.at });
    if (price) return BigInt(Math.round(price.total_price * 1e6));
  }
  return null;
}

function overrideCost(price: PriceOverride, usage: PricedUsage): bigint {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  const perMTok =
    BigInt(uncached) * price.inputPerMTok +
    BigInt(usage.cachedInputTokens) * (price.cachedInputPerMTok ?? price.inputPerMTok) +
    BigInt(usage.cacheWriteTokens) * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    BigInt(usage.outputTokens) * price.outputPerMTok;
  return (perMTok + 500_000n) / 1_000_000n;
}
