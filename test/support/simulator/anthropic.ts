// Anthropic Messages wire shapes (PROTOCOLS.md c): JSON and SSE messages, count_tokens, and the model list.
import { newId, planAnswer, type HandlerContext } from './context';
import {
  arrayAt, isObject, objectAt, splitPieces, stringAt, textOf, type JsonObject, type OfferedTool, type Prompt,
} from './prompt';
import type { SimUsage } from './types';
import { promptTokensFor, type UsageFields } from './usage';
import { jsonAnswer, sseFrame, type Answer, type Frame, type UsageSnapshot } from './wire';

const FIELDS: UsageFields = { cacheReads: true, cacheWrites: true, reasoning: false, cost: false };

/** `input_tokens` excludes cache reads and writes, which are reported apart. */
function nativeUsage(u: SimUsage, outputTokens: number): JsonObject {
  return {
    input_tokens: u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedInputTokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function messagesPrompt(body: JsonObject): Prompt {
  // role "system" may appear mid-conversation (Claude Code beta); the last *user* turn decides.
  const users = arrayAt(body, 'messages').filter((m) => stringAt(m, 'role') === 'user');
  const last = users[users.length - 1];
  const content = isObject(last) ? last.content : undefined;
  const blocks = Array.isArray(content) ? content : [];
  const tools: OfferedTool[] = [];
  for (const t of arrayAt(body, 'tools')) {
    const name = stringAt(t, 'name');
    if (name && isObject(t) && isObject(t.input_schema)) tools.push({ name, schema: t.input_schema, custom: false });
  }
  return {
    text: typeof content === 'string' ? content : textOf(blocks.filter((b) => stringAt(b, 'type') === 'text')),
    hasToolResult: blocks.some((b) => stringAt(b, 'type') === 'tool_result'),
    tools,
    jsonSchema: objectAt(objectAt(body, 'output_config'), 'format')?.schema,
  };
}

export function messages(ctx: HandlerContext): Answer {
  const plan = planAnswer(ctx, messagesPrompt(ctx.body), FIELDS);
  const model = ctx.model || 'claude-sonnet-4-6';
  const headers = { 'request-id': newId('req_') };
  const content: JsonObject[] = plan.tool
    ? [{ type: 'text', text: "I'll use a tool for that." },
        { type: 'tool_use', id: newId('toolu_'), name: plan.tool.name, input: plan.tool.args }]
    : [{ type: 'text', text: plan.text }];
  const stopReason = plan.tool ? 'tool_use' : 'end_turn';
  const message = { id: newId('msg_'), type: 'message', role: 'assistant', model };
  const full: UsageSnapshot = { native: nativeUsage(plan.usage, plan.usage.outputTokens), usage: plan.usage };
  if (ctx.body.stream !== true) {
    return jsonAnswer({ ...message, content, stop_reason: stopReason, stop_sequence: null, usage: full.native },
      { usage: full, toolCalls: plan.tool ? [plan.tool.name] : [], headers });
  }

  // Input and cache counts arrive in message_start; message_delta carries the cumulative output_tokens.
  const started: UsageSnapshot = { native: nativeUsage(plan.usage, 1), usage: { ...plan.usage, outputTokens: 1 } };
  const event = (type: string, data: JsonObject, extra: Omit<Frame, 'data'> = {}): Frame =>
    sseFrame(type, { type, ...data }, extra);
  const frames: Frame[] = [
    event('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null,
      usage: started.native } }, { usage: started }),
    event('ping', {}),
  ];
  for (const [index, block] of content.entries()) {
    if (block.type === 'tool_use') {
      const name = String(block.name);
      frames.push(event('content_block_start', { index, content_block: { ...block, input: {} } }, { toolCall: name }));
      for (const partial of splitPieces(plan.tool?.input ?? '{}', ctx.streamChunks)) {
        frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: partial } }));
      }
    } else {
      frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of splitPieces(String(block.text), ctx.streamChunks)) {
        frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
        if (ctx.streamError) {
          frames.push(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
          return { kind: 'stream', contentType: 'text/event-stream', frames, headers };
        }
      }
    }
    frames.push(event('content_block_stop', { index }));
  }
  const delta = { output_tokens: plan.usage.outputTokens };
  frames.push(
    event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: delta },
      { usage: { native: { ...started.native, ...delta }, usage: plan.usage } }),
    event('message_stop', {}));
  return { kind: 'stream', contentType: 'text/event-stream', frames, headers };
}

export function countTokens(ctx: HandlerContext): Answer {
  return jsonAnswer({ input_tokens: promptTokensFor(ctx.req.rawBody.length) });
}

function displayName(id: string): string {
  // claude-sonnet-4-5 → Claude Sonnet 4.5
  const words = id.split('-');
  const version = words.filter((w) => /^\d+$/.test(w)).join('.');
  const name = words.filter((w) => !/^\d+$/.test(w)).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
  return version ? `${name} ${version}` : name;
}

function modelEntry(id: string): JsonObject {
  return { type: 'model', id, display_name: displayName(id), created_at: '2025-09-29T00:00:00Z' };
}

/** `GET /v1/models` with Anthropic's cursor paging (`limit`, `after_id`, `before_id`). */
export function modelList(models: readonly string[], query: Record<string, string>): Answer {
  const limit = Math.min(1000, Math.max(1, Number(query.limit ?? 20) || 20));
  let start = 0;
  let end = models.length;
  if (query.after_id) start = models.indexOf(query.after_id) + 1;
  if (query.before_id) end = Math.max(0, models.indexOf(query.before_id));
  const page = query.before_id ? models.slice(Math.max(start, end - limit), end) : models.slice(start, start + limit);
  const hasMore = query.before_id ? end - limit > start : start + limit < end;
  return jsonAnswer({ data: page.map(modelEntry), has_more: hasMore, first_id: page[0] ?? null,
    last_id: page[page.length - 1] ?? null });
}

export function model(id: string): Answer {
  return jsonAnswer(modelEntry(id));
}
