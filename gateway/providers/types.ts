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
  tools: Map<string, number>;
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

export function addTool(tools: Map<string, number>, name: unknown): void {
  const tool = typeof name === 'string' && name.length > 0 ? name.slice(0, 200) : 'unknown';
  tools.set(tool, (tools.get(tool) ?? 0) + 1);
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
