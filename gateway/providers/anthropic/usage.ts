import type { SseEvent } from '../../sse';
import { FreeMeter } from '../openai/usage';
import { addTool, emptyUsage, NO_TOOLS, isRecord, num, tryParseJson, type Endpoint, type MeterResult, type ResponseMeter, type Usage } from '../types';

/**
 * Anthropic reports uncached input, cache reads and cache writes apart; the whole prompt is their
 * sum. `output_tokens` includes thinking; there is no stable reasoning split, so reasoning is 0.
 */
export function anthropicUsage(usage: Record<string, unknown>, previous?: Usage): Usage {
  const has = (key: string) => typeof usage[key] === 'number';
  const uncached = has('input_tokens') ? num(usage.input_tokens) : undefined;
  const cacheRead = has('cache_read_input_tokens') ? num(usage.cache_read_input_tokens) : previous?.cachedInputTokens ?? 0;
  const cacheWrite = has('cache_creation_input_tokens') ? num(usage.cache_creation_input_tokens) : previous?.cacheWriteTokens ?? 0;
  const previousUncached = previous ? previous.inputTokens - previous.cachedInputTokens - previous.cacheWriteTokens : 0;
  return {
    inputTokens: (uncached ?? previousUncached) + cacheRead + cacheWrite,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: has('output_tokens') ? num(usage.output_tokens) : previous?.outputTokens ?? 0,
    reasoningTokens: 0,
  };
}

const TOOL_BLOCKS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);
const EVENTS_OF_INTEREST = new Set(['message_start', 'message_delta', 'content_block_start', 'error']);

class MessagesMeter implements ResponseMeter {
  private usage: Usage = emptyUsage();
  private sawStart = false;
  private sawDelta = false;
  private tools?: Map<string, number>;
  private errorClass?: string;
  private model?: string;

  onEvent(event: SseEvent): void {
    if (!EVENTS_OF_INTEREST.has(event.event)) return; // ping, text deltas: the bulk of the stream
    const payload = tryParseJson(event.data);
    if (!isRecord(payload)) return;
    switch (event.event) {
      case 'message_start':
        if (isRecord(payload.message)) {
          if (typeof payload.message.model === 'string') this.model = payload.message.model;
          if (isRecord(payload.message.usage)) this.usage = anthropicUsage(payload.message.usage);
          this.sawStart = true;
        }
        break;
      case 'message_delta':
        // output_tokens is cumulative; newer APIs may repeat input/cache counts, later values win.
        if (isRecord(payload.usage)) this.usage = anthropicUsage(payload.usage, this.usage);
        this.sawDelta = true;
        break;
      case 'content_block_start':
        if (isRecord(payload.content_block) && TOOL_BLOCKS.has(String(payload.content_block.type))) this.tools = addTool(this.tools, payload.content_block.name);
        break;
      case 'error':
        this.errorClass = isRecord(payload.error) && typeof payload.error.type === 'string' ? payload.error.type : 'error';
        break;
    }
  }

  onJson(body: unknown): void {
    if (!isRecord(body)) return;
    if (body.type === 'error') {
      this.errorClass = isRecord(body.error) && typeof body.error.type === 'string' ? body.error.type : 'error';
      return;
    }
    if (typeof body.model === 'string') this.model = body.model;
    if (isRecord(body.usage)) {
      this.usage = anthropicUsage(body.usage);
      this.sawStart = this.sawDelta = true;
    }
    if (Array.isArray(body.content)) {
      for (const block of body.content) if (isRecord(block) && TOOL_BLOCKS.has(String(block.type))) this.tools = addTool(this.tools, block.name);
    }
  }

  result(): MeterResult {
    // A stream cut before message_delta has no final output count: record what we have, flagged.
    return { usage: this.usage, usageKnown: this.sawStart && this.sawDelta, tools: this.tools ?? NO_TOOLS, errorClass: this.errorClass, upstreamModel: this.model };
  }
}

export function createAnthropicMeter(endpoint: Endpoint): ResponseMeter {
  return endpoint === 'messages' ? new MessagesMeter() : new FreeMeter();
}
