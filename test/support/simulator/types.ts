// Public types of the provider simulator (test fixture). See simulator/server.ts for behaviour.

export type SimProvider = 'openai' | 'anthropic' | 'gemini' | 'openrouter';
export const SIM_PROVIDERS: readonly SimProvider[] = ['openai', 'anthropic', 'gemini', 'openrouter'];

/** Which API a request hit. Used to scope faults and to read `sent` records. */
export type SimApi =
  | 'chat' // OpenAI chat shapes: OpenAI, OpenRouter, Anthropic and Gemini OpenAI-compatible endpoints
  | 'responses'
  | 'embeddings'
  | 'messages'
  | 'count_tokens'
  | 'generate_content'
  | 'stream_generate_content'
  | 'models'
  | 'unknown';

export interface SimRequest {
  /** 1-based, shared with the matching `SimResponse.seq`. */
  seq: number;
  provider: SimProvider;
  method: string;
  /** Path after the provider prefix, i.e. the real upstream path: `/v1/messages`, `/api/v1/chat/completions`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON body when it is a JSON object, else null (see `rawBody`). */
  body: Record<string, unknown> | null;
  rawBody: Buffer;
}

/**
 * Normalised usage. `inputTokens` is the whole prompt (uncached + cache reads + cache writes), `outputTokens`
 * includes reasoning/thought tokens. `reasoningTokens` is null when the wire format has no such field
 * (Anthropic). `costUsd` is only reported by OpenRouter.
 */
export interface SimUsage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number | null;
  costUsd: number | null;
}

export interface SimResponse {
  seq: number;
  provider: SimProvider;
  api: SimApi;
  model: string | null;
  /** HTTP status sent; 0 while/if no status line was written (hang, reset-before-headers). */
  status: number;
  stream: boolean;
  fault: SimFault['kind'] | null;
  /** Usage in provider-native fields, as far as it reached the wire (Anthropic stream: message_start ⊕ message_delta). */
  nativeUsage: Record<string, unknown> | null;
  /** Normalised usage as far as it reached the wire (a stream cut short reports what was sent before the cut). */
  usage: SimUsage | null;
  /** Normalised usage a complete answer reports. */
  plannedUsage: SimUsage | null;
  /** Names of the tool calls written to the wire. */
  toolCalls: string[];
  /** Answer text (empty for tool calls and errors). */
  text: string;
  /** The whole answer was written and the response ended. */
  completed: boolean;
  /** The client went away before the answer was complete. */
  clientClosed: boolean;
}

export type SimFault =
  /** Answer this status with the provider's error JSON (or `body` verbatim when given). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroy the socket (TCP RST) after reading the request, before any response byte. */
  | { kind: 'reset-before-headers' }
  /** Send headers and `afterChunks` stream events (non-stream: half the JSON body), then drop the connection. */
  | { kind: 'reset-mid-stream'; afterChunks: number }
  /** Never answer. `close()` destroys the connection. */
  | { kind: 'hang' }
  /** HTTP 200, a little content, then the provider's in-stream error event. Non-stream requests get a 5xx instead. */
  | { kind: 'stream-error-event' };

export interface FaultScope {
  provider?: SimProvider;
  api?: SimApi;
}

export interface SimulatorOptions {
  keys?: Partial<Record<SimProvider, string | string[]>>;
  models?: Partial<Record<SimProvider, string[]>>;
  /** Text answers are streamed in this many pieces (default 4). Tool arguments too. */
  streamChunks?: number;
  /** Delay between stream events (default 0). */
  chunkDelayMs?: number;
  /** Text of a plain answer. */
  replyText?: string;
  /** Reject models not in `models` with the provider's 404 (default false). */
  strictModels?: boolean;
  /**
   * Accept `Authorization: Bearer <key>` on Anthropic's native routes as well as `x-api-key` (default true):
   * `@anthropic-ai/sdk` 1.x sends its apiKey that way. Set false to insist on `x-api-key`.
   */
  anthropicBearerAuth?: boolean;
  /** Dimensions of embeddings when the request names none (default 16). */
  embeddingDimensions?: number;
}
