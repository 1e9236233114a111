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
  // Runs on every proxied call (twice when a quota limits cost): a loop over the (two) names, no de-duplicating Set.
  const { models } = query;
  for (const name of models) {
    const override = name ? query.overrides?.get(name) : undefined;
    if (override) return overrideCost(override, query.usage);
  }
  if (query.providerCostUsd !== undefined) return BigInt(Math.round(query.providerCostUsd * 1e6));
  const providerId = GENAI_PRICES_PROVIDER[query.providerKind];
  for (let i = 0; i < models.length; i++) {
    const name = models[i];
    if (!name || models.indexOf(name) < i) continue; // empty, or already tried
    const bare = name.includes('/') && query.providerKind !== 'OPENROUTER' ? name.slice(name.lastIndexOf('/') + 1) : name;
    const fast = linearPrice(providerId, bare, query.at, query.usage);
    if (fast === null) continue; // no price for this name: try the next
    const usd = fast ?? calcPrice(genaiUsage(query.usage), bare, { providerId, timestamp: query.at })?.total_price;
    if (usd !== undefined) return BigInt(Math.round(usd * 1e6));
  }
  return null;
}

function genaiUsage(usage: PricedUsage) {
  return { input_tokens: usage.inputTokens, cache_read_tokens: usage.cachedInputTokens, cache_write_tokens: usage.cacheWriteTokens, output_tokens: usage.outputTokens };
}

/**
 * calcPrice matches the model against the whole price table on every call (8–24 µs, measured in
 * bench/). For the common case — flat per-token prices, at most a start-date condition — the price
 * is linear in the four token counts, so its coefficients are taken from calcPrice itself once per
 * model and UTC day and applied arithmetically. Tiered or time-of-day prices, and unknown models,
 * keep going through calcPrice (unknown ones are remembered as such).
 */
interface LinearCoefficients {
  base: number;
  uncached: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

const linearCache = new Map<string, LinearCoefficients | 'unknown' | 'nonlinear'>();
const PROBE = 1_000_000;

/** A price in USD; undefined when calcPrice must decide; null when genai-prices has no price for it. */
function linearPrice(providerId: string | undefined, model: string, at: Date, usage: PricedUsage): number | null | undefined {
  // Calibrated per UTC day (prices carry start dates): the day's number, not its ISO spelling, in the key.
  const key = `${providerId}|${model}|${Math.floor(at.getTime() / 86_400_000)}`;
  let entry = linearCache.get(key);
  if (entry === undefined) {
    entry = calibrate(providerId, model, at);
    if (linearCache.size > 5_000) linearCache.clear();
    linearCache.set(key, entry);
  }
  if (entry === 'nonlinear') return undefined;
  if (entry === 'unknown') return null;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  return entry.base + uncached * entry.uncached + usage.cachedInputTokens * entry.cacheRead + usage.cacheWriteTokens * entry.cacheWrite + usage.outputTokens * entry.output;
}

function calibrate(providerId: string | undefined, model: string, at: Date): LinearCoefficients | 'unknown' | 'nonlinear' {
  const price = (input: number, read: number, write: number, output: number) =>
    calcPrice({ input_tokens: input, cache_read_tokens: read, cache_write_tokens: write, output_tokens: output }, model, { providerId, timestamp: at });
  const zero = price(0, 0, 0, 0);
  if (!zero) return 'unknown';
  const tiered = Object.values(zero.model_price).some((value) => typeof value === 'object');
  const conditions = Array.isArray(zero.model.prices) ? zero.model.prices : [];
  const timeOfDay = conditions.some((c) => (c.constraint as { type?: string } | undefined)?.type === 'time_of_date');
  if (tiered || timeOfDay) return 'nonlinear';
  const base = zero.total_price;
  return {
    base,
    uncached: (price(PROBE, 0, 0, 0)!.total_price - base) / PROBE,
    cacheRead: (price(PROBE, PROBE, 0, 0)!.total_price - base) / PROBE,
    cacheWrite: (price(PROBE, 0, PROBE, 0)!.total_price - base) / PROBE,
    output: (price(0, 0, 0, PROBE)!.total_price - base) / PROBE,
  };
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
