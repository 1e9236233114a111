// Deterministic, non-trivial usage: the prompt size follows the request body, the output size the answer, and
// cache reads, cache writes and reasoning are never zero where the wire format can carry them, so a gateway that
// normalises one provider's fields the way of another (PROTOCOLS.md g) gets visibly wrong numbers.
import type { SimUsage } from './types';

/** Which usage facts a wire format can carry. */
export interface UsageFields {
  cacheReads: boolean;
  cacheWrites: boolean;
  reasoning: boolean;
  cost: boolean;
}

const REASONING_TOKENS = 12;

export function promptTokensFor(rawBodyLength: number): number {
  return 40 + Math.ceil(rawBodyLength / 4);
}

export function planUsage(rawBodyLength: number, answerChars: number, fields: UsageFields,
  override: Partial<SimUsage> | undefined): SimUsage {
  const promptSize = promptTokensFor(rawBodyLength);
  const cached = override?.cachedInputTokens ?? Math.floor(promptSize / 2);
  const cacheWrite = override?.cacheWriteTokens ?? Math.floor(promptSize / 4);
  const output = override?.outputTokens ?? Math.max(1, Math.ceil(answerChars / 4)) + REASONING_TOKENS;
  const planned: SimUsage = {
    inputTokens: override?.inputTokens ?? Math.max(promptSize, cached + cacheWrite),
    cachedInputTokens: cached,
    cacheWriteTokens: cacheWrite,
    outputTokens: output,
    reasoningTokens: override?.reasoningTokens ?? Math.min(REASONING_TOKENS, output),
    costUsd: null,
  };
  // A fact the format can't carry isn't visible to the caller: report what the wire says.
  if (!fields.cacheReads) planned.cachedInputTokens = 0;
  if (!fields.cacheWrites) planned.cacheWriteTokens = 0;
  if (!fields.reasoning) planned.reasoningTokens = null;
  planned.costUsd = fields.cost ? (override?.costUsd ?? costOf(planned)) : null;
  return planned;
}

/** OpenRouter-style credits for a Sonnet-priced model ($3 / $0.30 / $3.75 / $15 per Mtok). */
function costOf(u: SimUsage): number {
  const uncached = u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens;
  const micro = uncached * 3 + u.cachedInputTokens * 0.3 + u.cacheWriteTokens * 3.75 + u.outputTokens * 15;
  return Number((micro / 1e6).toFixed(9));
}

export function assertUsageOverride(u: Partial<SimUsage>): void {
  for (const [k, v] of Object.entries(u)) {
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new Error(`nextUsage: ${k} must be a non-negative number`);
    }
  }
  const input = u.inputTokens;
  if (input !== undefined && (u.cachedInputTokens ?? 0) + (u.cacheWriteTokens ?? 0) > input) {
    throw new Error('nextUsage: cachedInputTokens + cacheWriteTokens exceed inputTokens');
  }
  if (u.outputTokens !== undefined && (u.reasoningTokens ?? 0) > u.outputTokens) {
    throw new Error('nextUsage: reasoningTokens exceed outputTokens');
  }
}
