import type { SseEvent } from '../../sse';
import { FreeMeter } from '../openai/usage';
import { addTool, emptyUsage, NO_TOOLS, isRecord, num, tryParseJson, type Endpoint, type MeterResult, type ResponseMeter, type Usage } from '../types';

/**
 * promptTokenCount includes cachedContentTokenCount; candidatesTokenCount excludes thoughts, which
 * are billed as output; tool-use prompt tokens are billed as input.
 */
export function geminiUsage(meta: Record<string, unknown>): Usage {
  const thoughts = num(meta.thoughtsTokenCount);
  return {
    inputTokens: num(meta.promptTokenCount) + num(meta.toolUsePromptTokenCount),
    cachedInputTokens: num(meta.cachedContentTokenCount),
    cacheWriteTokens: 0,
    outputTokens: num(meta.candidatesTokenCount) + thoughts,
    reasoningTokens: thoughts,
  };
}

class GenerateMeter implements ResponseMeter {
  private usage: Usage = emptyUsage();
  private usageKnown = false;
  private tools?: Map<string, number>;
  private errorClass?: string;
  private model?: string;

  onEvent(event: SseEvent): void {
    // usageMetadata is a running total in every chunk: each parsed chunk overwrites the last.
    const chunk = tryParseJson(event.data);
    this.takeChunk(chunk);
  }

  onJson(body: unknown): void {
    // streamGenerateContent without alt=sse answers one JSON array of chunks.
    if (Array.isArray(body)) for (const chunk of body) this.takeChunk(chunk);
    else this.takeChunk(body);
  }

  private takeChunk(chunk: unknown): void {
    if (!isRecord(chunk)) return;
    if (isRecord(chunk.error)) {
      this.errorClass = typeof chunk.error.status === 'string' ? chunk.error.status : 'error';
      return;
    }
    if (typeof chunk.modelVersion === 'string') this.model = chunk.modelVersion;
    if (isRecord(chunk.usageMetadata)) {
      this.usage = geminiUsage(chunk.usageMetadata);
      this.usageKnown = true;
    }
    if (!Array.isArray(chunk.candidates)) return;
    for (const candidate of chunk.candidates) {
      if (!isRecord(candidate) || !isRecord(candidate.content) || !Array.isArray(candidate.content.parts)) continue;
      for (const part of candidate.content.parts) {
        if (!isRecord(part)) continue;
        if (isRecord(part.functionCall)) this.tools = addTool(this.tools, part.functionCall.name);
        else if (isRecord(part.executableCode)) this.tools = addTool(this.tools, 'code_execution');
      }
    }
  }

  result(): MeterResult {
    return { usage: this.usage, usageKnown: this.usageKnown, tools: this.tools ?? NO_TOOLS, errorClass: this.errorClass, upstreamModel: this.model };
  }
}

class EmbedMeter extends FreeMeter {}

export function createGeminiMeter(endpoint: Endpoint): ResponseMeter {
  if (endpoint === 'generateContent' || endpoint === 'streamGenerateContent') return new GenerateMeter();
  return new EmbedMeter();
}
