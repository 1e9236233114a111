import type { GatewayError } from '../errors';
import type { SseEvent } from '../sse';

/** The three wire formats callers speak. OpenRouter and OpenAI-compatible upstreams speak `openai`. */
export type Family = 'openai' | 'anthropic' | 'gemini';

export type Endpoint =
  | 'chat'
  | 'responses'
  | 'embeddings'
  | 'completions'
  | 'models'
  | 'messages'
  | 'count_tokens'
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'embedContent'
  | 'batchEmbedContents';

/**
 * One meaning for every provider: `inputTokens` is the whole prompt (uncached + cache reads + cache
 * writes), `outputTokens` everything generated including reasoning.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export const emptyUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

export interface MeterResult {
  usage: Usage;
  /** False when the response ended before the provider reported usage (cost then unknown). */
  usageKnown: boolean;
  /** Tool calls by name; NO_TOOLS when there were none. */
  tools: ReadonlyMap<string, number>;
  errorClass?: string;
  upstreamModel?: string;
  /** OpenRouter reports the charge itself (USD); it wins over a computed price. */
  providerCostUsd?: number;
}

/**
 * Reads one response as it passes. SSE responses arrive event by event; JSON bodies whole at the end
 * (they are small next to a stream and providers put usage last).
 */
export interface ResponseMeter {
  onEvent(event: SseEvent): void;
  onJson(body: unknown): void;
  result(): MeterResult;
}

export interface WireFamily {
  readonly family: Family;
  /** The caller's own error envelope, as JSON text. */
  renderError(error: GatewayError): string;
  /** An in-stream error event, for failures after the 200 was sent. */
  renderStreamError(error: GatewayError): string;
  createMeter(endpoint: Endpoint): ResponseMeter;
}

/**
 * A meter's tools when the response called none. Most responses call none, and a Map (with its hash
 * table) made per call for nothing is allocation on every request's path: meters make theirs on the
 * first tool call.
 */
export const NO_TOOLS: ReadonlyMap<string, number> = new Map();

/** Counts one call of `name` into `tools`, which it creates on the first call; returns the map to keep. */
export function addTool(tools: Map<string, number> | undefined, name: unknown): Map<string, number> {
  const tally = tools ?? new Map<string, number>();
  const tool = typeof name === 'string' && name.length > 0 ? name.slice(0, 200) : 'unknown';
  tally.set(tool, (tally.get(tool) ?? 0) + 1);
  return tally;
}

export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
