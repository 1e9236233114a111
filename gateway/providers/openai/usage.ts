import type { SseEvent } from '../../sse';
import { addTool, emptyUsage, NO_TOOLS, isRecord, num, tryParseJson, type Endpoint, type MeterResult, type ResponseMeter, type Usage } from '../types';

/** Chat Completions / OpenRouter `usage`: prompt_tokens already includes cached (and OpenRouter's cache-write) tokens. */
export function chatUsage(usage: Record<string, unknown>): Usage {
  const prompt = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    inputTokens: num(usage.prompt_tokens),
    outputTokens: num(usage.completion_tokens),
    cachedInputTokens: num(prompt.cached_tokens),
    cacheWriteTokens: num(prompt.cache_write_tokens),
    reasoningTokens: num(completion.reasoning_tokens),
  };
}

/** Responses API `usage`: input_tokens includes cached_tokens, output_tokens includes reasoning_tokens. */
export function responsesUsage(usage: Record<string, unknown>): Usage {
  const input = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : {};
  return {
    inputTokens: num(usage.input_tokens),
    outputTokens: num(usage.output_tokens),
    cachedInputTokens: num(input.cached_tokens),
    cacheWriteTokens: 0,
    reasoningTokens: num(output.reasoning_tokens),
  };
}

const RESPONSES_TOOL_ITEMS: Record<string, string | null> = {
  function_call: null,
  custom_tool_call: null,
  mcp_call: null,
  web_search_call: 'web_search',
  file_search_call: 'file_search',
  code_interpreter_call: 'code_interpreter',
  local_shell_call: 'local_shell',
  computer_call: 'computer',
  image_generation_call: 'image_generation',
};

function countResponsesItem(tools: Map<string, number> | undefined, item: unknown): Map<string, number> | undefined {
  if (!isRecord(item) || typeof item.type !== 'string' || !(item.type in RESPONSES_TOOL_ITEMS)) return tools;
  return addTool(tools, RESPONSES_TOOL_ITEMS[item.type] ?? item.name);
}

function errorClassOf(body: Record<string, unknown>): string | undefined {
  const error = body.error;
  if (!isRecord(error)) return undefined;
  const kind = error.code ?? error.type;
  return typeof kind === 'string' || typeof kind === 'number' ? String(kind) : 'error';
}

class ChatMeter implements ResponseMeter {
  private usage: Usage = emptyUsage();
  private usageKnown = false;
  private tools?: Map<string, number>;
  private seenCalls?: Set<string>;
  private errorClass?: string;
  private model?: string;
  private providerCostUsd?: number;

  onEvent(event: SseEvent): void {
    const data = event.data;
    // Most chunks are content deltas: parse only those that can carry what we record.
    if (this.model !== undefined && !data.includes('"usage":{') && !data.includes('"tool_calls"') && !data.includes('"error"')) return;
    if (data === '[DONE]') return;
    const chunk = tryParseJson(data);
    if (!isRecord(chunk)) return;
    if (this.model === undefined && typeof chunk.model === 'string') this.model = chunk.model;
    if (isRecord(chunk.usage)) this.takeUsage(chunk.usage);
    const error = errorClassOf(chunk);
    if (error) this.errorClass = error;
    if (!Array.isArray(chunk.choices)) return;
    for (const choice of chunk.choices) {
      if (!isRecord(choice) || !isRecord(choice.delta) || !Array.isArray(choice.delta.tool_calls)) continue;
      for (const call of choice.delta.tool_calls) {
        if (!isRecord(call)) continue;
        // The first delta of a call carries its id and name; later ones only index + argument text.
        const fn = isRecord(call.function) ? call.function : {};
        if (typeof fn.name !== 'string') continue;
        const key = `${String(choice.index)}:${String(call.index)}:${String(call.id)}`;
        this.seenCalls ??= new Set();
        if (this.seenCalls.has(key)) continue;
        this.seenCalls.add(key);
        this.tools = addTool(this.tools, fn.name);
      }
    }
    if (chunk.choices.some((c) => isRecord(c) && c.finish_reason === 'error')) this.errorClass ??= 'stream_error';
  }

  onJson(body: unknown): void {
    if (!isRecord(body)) return;
    if (typeof body.model === 'string') this.model = body.model;
    if (isRecord(body.usage)) this.takeUsage(body.usage);
    const error = errorClassOf(body);
    if (error) this.errorClass = error;
    if (!Array.isArray(body.choices)) return;
    for (const choice of body.choices) {
      if (!isRecord(choice) || !isRecord(choice.message) || !Array.isArray(choice.message.tool_calls)) continue;
      for (const call of choice.message.tool_calls) {
        if (isRecord(call)) this.tools = addTool(this.tools, isRecord(call.function) ? call.function.name : call.type);
      }
    }
  }

  private takeUsage(usage: Record<string, unknown>): void {
    this.usage = chatUsage(usage);
    this.usageKnown = true;
    if (typeof usage.cost === 'number' && Number.isFinite(usage.cost)) this.providerCostUsd = usage.cost;
  }

  result(): MeterResult {
    return { usage: this.usage, usageKnown: this.usageKnown, tools: this.tools ?? NO_TOOLS, errorClass: this.errorClass, upstreamModel: this.model, providerCostUsd: this.providerCostUsd };
  }
}

const RESPONSES_EVENTS_OF_INTEREST = new Set(['response.created', 'response.output_item.done', 'response.completed', 'response.incomplete', 'response.failed', 'error']);

class ResponsesMeter implements ResponseMeter {
  private usage: Usage = emptyUsage();
  private usageKnown = false;
  private tools?: Map<string, number>;
  private errorClass?: string;
  private model?: string;

  onEvent(event: SseEvent): void {
    if (!RESPONSES_EVENTS_OF_INTEREST.has(event.event)) return;
    const payload = tryParseJson(event.data);
    if (!isRecord(payload)) return;
    if (event.event === 'response.output_item.done') {
      this.tools = countResponsesItem(this.tools, payload.item);
      return;
    }
    if (event.event === 'error') {
      this.errorClass = typeof payload.code === 'string' ? payload.code : 'error';
      return;
    }
    if (isRecord(payload.response)) this.takeResponse(payload.response, false);
    if (event.event === 'response.failed') {
      const error = isRecord(payload.response) && isRecord(payload.response.error) ? payload.response.error : {};
      this.errorClass = typeof error.code === 'string' ? error.code : 'response_failed';
    }
  }

  onJson(body: unknown): void {
    if (!isRecord(body)) return;
    const error = errorClassOf(body);
    if (error) this.errorClass = error;
    this.takeResponse(body, true);
  }

  private takeResponse(response: Record<string, unknown>, countOutput: boolean): void {
    if (typeof response.model === 'string') this.model = response.model;
    if (isRecord(response.usage)) {
      this.usage = responsesUsage(response.usage);
      this.usageKnown = true;
    }
    if (countOutput && Array.isArray(response.output)) for (const item of response.output) this.tools = countResponsesItem(this.tools, item);
  }

  result(): MeterResult {
    return { usage: this.usage, usageKnown: this.usageKnown, tools: this.tools ?? NO_TOOLS, errorClass: this.errorClass, upstreamModel: this.model };
  }
}

class EmbeddingsMeter implements ResponseMeter {
  private usage: Usage = emptyUsage();
  private usageKnown = false;
  private model?: string;
  private errorClass?: string;
  onEvent(): void {}
  onJson(body: unknown): void {
    if (!isRecord(body)) return;
    if (typeof body.model === 'string') this.model = body.model;
    this.errorClass = errorClassOf(body);
    if (isRecord(body.usage)) {
      this.usage = { ...emptyUsage(), inputTokens: num(body.usage.prompt_tokens) };
      this.usageKnown = true;
    }
  }
  result(): MeterResult {
    return { usage: this.usage, usageKnown: this.usageKnown, tools: NO_TOOLS, upstreamModel: this.model, errorClass: this.errorClass };
  }
}

/** Endpoints that are not billed by tokens (model lists): usage is known to be zero. */
export class FreeMeter implements ResponseMeter {
  private errorClass?: string;
  onEvent(): void {}
  onJson(body: unknown): void {
    if (isRecord(body) && isRecord(body.error)) this.errorClass = String(body.error.type ?? body.error.status ?? body.error.code ?? 'error');
  }
  result(): MeterResult {
    return { usage: emptyUsage(), usageKnown: true, tools: NO_TOOLS, errorClass: this.errorClass };
  }
}

export function createOpenAiMeter(endpoint: Endpoint): ResponseMeter {
  if (endpoint === 'responses') return new ResponsesMeter();
  if (endpoint === 'embeddings') return new EmbeddingsMeter();
  if (endpoint === 'chat' || endpoint === 'completions') return new ChatMeter();
  return new FreeMeter();
}

/**
 * The chunk OpenAI sends for `stream_options.include_usage`: no choices, just usage. Dropped for
 * callers that did not ask for it (the gateway asked on their behalf; some clients crash on it).
 */
export function isUsageOnlyChunk(data: string): boolean {
  return data.includes('"choices":[]') && data.includes('"usage":{');
}
