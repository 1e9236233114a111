// Gemini API wire shapes (PROTOCOLS.md d): generateContent, streamGenerateContent (SSE with CRLF separators, or a
// progressively streamed JSON array), countTokens, and the model list.
import { newId, planAnswer, type HandlerContext } from './context';
import { googleError } from './errors';
import {
  arrayAt, isObject, objectAt, splitPieces, stringAt, type JsonObject, type OfferedTool, type Prompt,
} from './prompt';
import type { SimUsage } from './types';
import { promptTokensFor, type UsageFields } from './usage';
import { jsonAnswer, sseFrame, type Answer, type Frame, type UsageSnapshot } from './wire';

const FIELDS: UsageFields = { cacheReads: true, cacheWrites: false, reasoning: true, cost: false };

/**
 * `promptTokenCount` includes the cached part, `candidatesTokenCount` excludes thoughts. In a stream every chunk
 * carries the running total; `candidates` undefined leaves the field out (early chunks).
 */
function usageMetadata(u: SimUsage, candidates: number | undefined): JsonObject {
  const thoughts = u.reasoningTokens ?? 0;
  return {
    promptTokenCount: u.inputTokens,
    ...(candidates === undefined ? {} : { candidatesTokenCount: candidates }),
    totalTokenCount: u.inputTokens + (candidates ?? 0) + thoughts,
    ...(u.cachedInputTokens > 0 ? { cachedContentTokenCount: u.cachedInputTokens } : {}),
    thoughtsTokenCount: thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.inputTokens }],
    ...(u.cachedInputTokens > 0 ? { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: u.cachedInputTokens }] } : {}),
  };
}

function snapshot(u: SimUsage, candidates: number | undefined): UsageSnapshot {
  return { native: usageMetadata(u, candidates),
    usage: { ...u, outputTokens: (candidates ?? 0) + (u.reasoningTokens ?? 0) } };
}

function generatePrompt(body: JsonObject): Prompt {
  const contents = arrayAt(body, 'contents');
  const parts = arrayAt(contents[contents.length - 1], 'parts');
  const tools: OfferedTool[] = [];
  for (const t of arrayAt(body, 'tools')) {
    for (const d of arrayAt(t, 'functionDeclarations')) {
      const name = stringAt(d, 'name');
      if (name && isObject(d)) tools.push({ name, schema: d.parameters ?? d.parametersJsonSchema, custom: false });
    }
  }
  const config = objectAt(body, 'generationConfig');
  const wantsJson = stringAt(config, 'responseMimeType') === 'application/json';
  return {
    text: parts.map((p) => stringAt(p, 'text') ?? '').join(''),
    hasToolResult: parts.some((p) => isObject(p) && isObject(p.functionResponse)),
    tools,
    jsonSchema: wantsJson ? (config?.responseJsonSchema ?? config?.responseSchema ?? { type: 'object' }) : undefined,
  };
}

export function generateContent(ctx: HandlerContext, stream: boolean, sse: boolean): Answer {
  const plan = planAnswer(ctx, generatePrompt(ctx.body), FIELDS);
  const usage = plan.usage;
  const modelVersion = ctx.model || 'gemini-2.5-flash';
  const responseId = newId('');
  const visible = usage.outputTokens - (usage.reasoningTokens ?? 0);
  const candidate = (parts: JsonObject[], finishReason?: string): JsonObject =>
    ({ content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 });
  // Gemini 2.5+ signs function calls; clients echo thoughtSignature back.
  const toolPart = plan.tool ? { functionCall: { name: plan.tool.name, args: plan.tool.args },
    thoughtSignature: Buffer.from(`sim-signature-${responseId}`).toString('base64') } : null;
  if (!stream) {
    const full = snapshot(usage, visible);
    return jsonAnswer({ candidates: [candidate([toolPart ?? { text: plan.text }], 'STOP')],
      usageMetadata: full.native, modelVersion, responseId },
    { usage: full, toolCalls: plan.tool ? [plan.tool.name] : [] });
  }

  const chunks: Array<{ body: JsonObject; extra: Omit<Frame, 'data'> }> = [];
  if (toolPart) {
    // A function call arrives whole, in one chunk.
    const full = snapshot(usage, visible);
    chunks.push({ body: { candidates: [candidate([toolPart], 'STOP')], usageMetadata: full.native, modelVersion,
      responseId }, extra: { usage: full, toolCall: plan.tool?.name } });
  } else {
    const pieces = splitPieces(plan.text, ctx.streamChunks);
    pieces.forEach((text, i) => {
      const last = i === pieces.length - 1;
      const candidates = i === 0 && !last ? undefined : Math.round((visible * (i + 1)) / pieces.length);
      const snap = snapshot(usage, candidates);
      chunks.push({ body: { candidates: [candidate([{ text }], last ? 'STOP' : undefined)],
        usageMetadata: snap.native, modelVersion, responseId }, extra: { usage: snap } });
    });
  }
  if (ctx.streamError) {
    chunks.splice(1);
    chunks.push({ body: { error: googleError(500) }, extra: {} });
  }
  if (sse) {
    return { kind: 'stream', contentType: 'text/event-stream',
      frames: chunks.map((c) => sseFrame(null, c.body, c.extra, '\r\n')) };
  }
  // Without alt=sse: one JSON array, written element by element.
  const frames = chunks.map((c, i): Frame => ({
    data: `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(c.body, null, 2)}${i === chunks.length - 1 ? '\n]' : ''}`,
    ...c.extra }));
  return { kind: 'stream', contentType: 'application/json; charset=UTF-8', frames };
}

export function countTokens(ctx: HandlerContext): Answer {
  const total = promptTokensFor(ctx.req.rawBody.length);
  return jsonAnswer({ totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] });
}

function modelEntry(id: string): JsonObject {
  return {
    name: `models/${id}`, version: '001', displayName: id, description: `${id} (simulated)`,
    inputTokenLimit: 1048576, outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true,
  };
}

export function modelList(models: readonly string[]): Answer {
  return jsonAnswer({ models: models.map(modelEntry) });
}

export function model(id: string): Answer {
  return jsonAnswer(modelEntry(id));
}
