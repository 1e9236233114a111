// OpenAI wire shapes (PROTOCOLS.md b, e): Chat Completions in four flavours (OpenAI, OpenRouter, and the
// OpenAI-compatible endpoints of Anthropic and Gemini), Responses, Embeddings, and model lists.
import { newId, nowSeconds, planAnswer, type AnswerPlan, type HandlerContext } from './context';
import {
  arrayAt, isObject, objectAt, splitPieces, stringAt, textOf, type JsonObject, type OfferedTool, type Prompt,
} from './prompt';
import type { SimUsage } from './types';
import type { UsageFields } from './usage';
import { jsonAnswer, sseComment, sseFrame, type Answer, type Frame, type UsageSnapshot } from './wire';

// ---------------------------------------------------------------------------------------------------------
// Chat Completions

export type ChatFlavour = 'openai' | 'openrouter' | 'anthropic-openai' | 'gemini-openai';

const CHAT_FIELDS: Record<ChatFlavour, UsageFields> = {
  openai: { cacheReads: true, cacheWrites: false, reasoning: true, cost: false },
  openrouter: { cacheReads: true, cacheWrites: true, reasoning: true, cost: true },
  'anthropic-openai': { cacheReads: true, cacheWrites: false, reasoning: false, cost: false },
  'gemini-openai': { cacheReads: false, cacheWrites: false, reasoning: false, cost: false },
};

function chatUsage(flavour: ChatFlavour, u: SimUsage): JsonObject {
  const base = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens };
  switch (flavour) {
    case 'openai':
      return { ...base, prompt_tokens_details: { cached_tokens: u.cachedInputTokens, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0, audio_tokens: 0,
          accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
    case 'openrouter':
      return { ...base, cost: u.costUsd ?? 0, is_byok: false,
        prompt_tokens_details: { cached_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheWriteTokens,
          audio_tokens: 0 },
        cost_details: { upstream_inference_cost: null },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0, image_tokens: 0 } };
    case 'anthropic-openai':
      return { ...base, prompt_tokens_details: { cached_tokens: u.cachedInputTokens } };
    case 'gemini-openai':
      return base;
  }
}

function chatPrompt(body: JsonObject): Prompt {
  const messages = arrayAt(body, 'messages');
  const lastUser = [...messages].reverse().find((m) => stringAt(m, 'role') === 'user');
  const tools: OfferedTool[] = [];
  for (const t of arrayAt(body, 'tools')) {
    const fn = objectAt(t, 'function');
    const name = stringAt(fn, 'name');
    if (fn && name) tools.push({ name, schema: fn.parameters, custom: false });
  }
  const format = objectAt(body, 'response_format');
  return {
    text: isObject(lastUser) ? textOf(lastUser.content) : '',
    hasToolResult: stringAt(messages[messages.length - 1], 'role') === 'tool',
    tools,
    jsonSchema: stringAt(format, 'type') === 'json_schema' ? objectAt(format, 'json_schema')?.schema : undefined,
  };
}

function openRouterUpstream(model: string): string {
  const vendor = model.split('/')[0];
  return { anthropic: 'Anthropic', openai: 'OpenAI', google: 'Google' }[vendor] ?? 'OpenAI';
}

export function chatCompletions(ctx: HandlerContext, flavour: ChatFlavour): Answer {
  const plan = planAnswer(ctx, chatPrompt(ctx.body), CHAT_FIELDS[flavour]);
  const model = ctx.model || 'gpt-4o-mini';
  const id = newId(flavour === 'openrouter' ? 'gen-' : 'chatcmpl-');
  const created = nowSeconds();
  const base: JsonObject = { id, object: 'chat.completion.chunk', created, model,
    ...(flavour === 'openrouter' ? { provider: openRouterUpstream(model) } : {}),
    ...(flavour === 'openai' ? { service_tier: 'default', system_fingerprint: 'fp_sim' } : {}) };
  const snapshot: UsageSnapshot = { native: chatUsage(flavour, plan.usage), usage: plan.usage };
  const callId = newId('call_');
  const finish = plan.tool ? 'tool_calls' : 'stop';
  if (ctx.body.stream !== true) {
    const message: JsonObject = { role: 'assistant', content: plan.tool ? null : plan.text, refusal: null,
      annotations: [] };
    if (plan.tool) {
      message.tool_calls = [{ id: callId, type: 'function', function: { name: plan.tool.name, arguments: plan.tool.input } }];
    }
    return jsonAnswer({ ...base, object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage: snapshot.native },
    { usage: snapshot, toolCalls: plan.tool ? [plan.tool.name] : [], headers: openAiHeaders(flavour) });
  }

  // Usage only with stream_options.include_usage (then the other chunks say "usage": null); OpenRouter always.
  const includeUsage = objectAt(ctx.body, 'stream_options')?.include_usage === true;
  const usageNull = includeUsage && flavour !== 'openrouter' ? { usage: null } : {};
  const chunk = (delta: JsonObject, finishReason: string | null = null, extra: Omit<Frame, 'data'> = {}): Frame =>
    sseFrame(null, { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usageNull }, extra);
  const frames: Frame[] = [];
  if (flavour === 'openrouter') frames.push(sseComment('OPENROUTER PROCESSING'));
  frames.push(chunk({ role: 'assistant', content: plan.tool ? null : '', refusal: null }));
  const content: Frame[] = [];
  if (plan.tool) {
    const name = plan.tool.name;
    content.push(chunk({ tool_calls: [{ index: 0, id: callId, type: 'function', function: { name, arguments: '' } }] },
      null, { toolCall: name }));
    for (const piece of splitPieces(plan.tool.input, ctx.streamChunks)) {
      content.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    }
  } else {
    for (const piece of splitPieces(plan.text, ctx.streamChunks)) content.push(chunk({ content: piece }));
  }
  if (ctx.streamError) {
    frames.push(content[0], sseFrame(null, chatStreamError(flavour, base)));
    return { kind: 'stream', contentType: 'text/event-stream', frames, headers: openAiHeaders(flavour) };
  }
  frames.push(...content, chunk({}, finish));
  if (includeUsage || flavour === 'openrouter') {
    frames.push(sseFrame(null, { ...base, choices: [], usage: snapshot.native }, { usage: snapshot }));
  }
  frames.push({ data: 'data: [DONE]\n\n' });
  return { kind: 'stream', contentType: 'text/event-stream', frames, headers: openAiHeaders(flavour) };
}

function chatStreamError(flavour: ChatFlavour, base: JsonObject): JsonObject {
  switch (flavour) {
    case 'openrouter': // a chunk with `error` and finish_reason "error"
      return { ...base, error: { code: 502, message: 'Provider returned error' },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] };
    case 'gemini-openai':
      return { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } };
    default:
      return { error: { message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error', param: null, code: null } };
  }
}

function openAiHeaders(flavour: ChatFlavour): Record<string, string> {
  if (flavour === 'openai') return { 'x-request-id': newId('req_'), 'openai-processing-ms': '7' };
  if (flavour === 'anthropic-openai') return { 'request-id': newId('req_') };
  return {};
}

// ---------------------------------------------------------------------------------------------------------
// Responses

const RESPONSES_FIELDS: UsageFields = { cacheReads: true, cacheWrites: false, reasoning: true, cost: false };

function responsesUsage(u: SimUsage): JsonObject {
  return { input_tokens: u.inputTokens, input_tokens_details: { cached_tokens: u.cachedInputTokens },
    output_tokens: u.outputTokens, output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens };
}

function responsesPrompt(body: JsonObject): Prompt {
  const tools: OfferedTool[] = [];
  for (const t of arrayAt(body, 'tools')) {
    const name = stringAt(t, 'name');
    const type = stringAt(t, 'type');
    if (name && isObject(t) && (type === 'function' || type === 'custom')) {
      tools.push({ name, schema: t.parameters, custom: type === 'custom' });
    }
  }
  const format = objectAt(objectAt(body, 'text'), 'format');
  const jsonSchema = stringAt(format, 'type') === 'json_schema' ? format?.schema : undefined;
  if (typeof body.input === 'string') return { text: body.input, hasToolResult: false, tools, jsonSchema };
  const items = arrayAt(body, 'input');
  const lastType = stringAt(items[items.length - 1], 'type');
  const lastUser = [...items].reverse().find((i) => stringAt(i, 'role') === 'user');
  return { text: isObject(lastUser) ? textOf(lastUser.content) : '', tools, jsonSchema,
    hasToolResult: lastType === 'function_call_output' || lastType === 'custom_tool_call_output' };
}

export function responses(ctx: HandlerContext): Answer {
  const plan = planAnswer(ctx, responsesPrompt(ctx.body), RESPONSES_FIELDS);
  const model = ctx.model || 'gpt-5';
  const responseId = newId('resp_');
  const createdAt = nowSeconds();
  const includes = arrayAt(ctx.body, 'include');
  const reasoning: JsonObject = { id: newId('rs_'), type: 'reasoning', summary: [],
    ...(includes.includes('reasoning.encrypted_content')
      ? { encrypted_content: Buffer.from(`sim-reasoning-${responseId}`).toString('base64') } : {}) };
  const final = finalItem(plan);
  const response = (status: string, output: JsonObject[], usage: JsonObject | null, error: JsonObject | null = null):
    JsonObject => ({
    id: responseId, object: 'response', created_at: createdAt, status, background: false, error,
    incomplete_details: null, instructions: ctx.body.instructions ?? null,
    max_output_tokens: ctx.body.max_output_tokens ?? null, model, output, parallel_tool_calls: true,
    previous_response_id: ctx.body.previous_response_id ?? null, reasoning: { effort: 'medium', summary: null },
    store: ctx.body.store ?? true, temperature: 1, text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: ctx.body.tool_choice ?? 'auto', tools: arrayAt(ctx.body, 'tools'), top_p: 1, truncation: 'disabled',
    usage, user: null, metadata: ctx.body.metadata ?? {},
  });
  const snapshot: UsageSnapshot = { native: responsesUsage(plan.usage), usage: plan.usage };
  const toolCalls = plan.tool ? [plan.tool.name] : [];
  if (ctx.body.stream !== true) {
    return jsonAnswer(response('completed', [reasoning, final], snapshot.native),
      { usage: snapshot, toolCalls, headers: { 'x-request-id': newId('req_') } });
  }

  let sequence = 0;
  const event = (type: string, payload: JsonObject, extra: Omit<Frame, 'data'> = {}): Frame =>
    sseFrame(type, { type, sequence_number: sequence++, ...payload }, extra);
  const frames: Frame[] = [
    event('response.created', { response: response('in_progress', [], null) }),
    event('response.in_progress', { response: response('in_progress', [], null) }),
    event('response.output_item.added', { output_index: 0, item: { ...reasoning, summary: [] } }),
    event('response.output_item.done', { output_index: 0, item: reasoning }),
  ];
  const itemId = String(final.id);
  const at = { item_id: itemId, output_index: 1 };
  if (ctx.streamError) {
    frames.push(event('response.failed', { response: response('failed', [reasoning], null,
      { code: 'server_error', message: 'An error occurred while processing your request.' }) }));
    return { kind: 'stream', contentType: 'text/event-stream', frames };
  }
  if (plan.tool?.custom) {
    frames.push(event('response.output_item.added', { output_index: 1, item: { ...final, status: 'in_progress', input: '' } },
      { toolCall: plan.tool.name }));
    for (const delta of splitPieces(plan.tool.input, ctx.streamChunks)) {
      frames.push(event('response.custom_tool_call_input.delta', { ...at, delta }));
    }
    frames.push(event('response.custom_tool_call_input.done', { ...at, input: plan.tool.input }));
  } else if (plan.tool) {
    frames.push(event('response.output_item.added', { output_index: 1,
      item: { ...final, status: 'in_progress', arguments: '' } }, { toolCall: plan.tool.name }));
    for (const delta of splitPieces(plan.tool.input, ctx.streamChunks)) {
      frames.push(event('response.function_call_arguments.delta', { ...at, delta }));
    }
    frames.push(event('response.function_call_arguments.done', { ...at, arguments: plan.tool.input }));
  } else {
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    frames.push(
      event('response.output_item.added', { output_index: 1, item: { ...final, status: 'in_progress', content: [] } }),
      event('response.content_part.added', { ...at, content_index: 0, part }));
    for (const delta of splitPieces(plan.text, ctx.streamChunks)) {
      frames.push(event('response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] }));
    }
    frames.push(
      event('response.output_text.done', { ...at, content_index: 0, text: plan.text, logprobs: [] }),
      event('response.content_part.done', { ...at, content_index: 0, part: { ...part, text: plan.text } }));
  }
  frames.push(
    event('response.output_item.done', { output_index: 1, item: final }),
    event('response.completed', { response: response('completed', [reasoning, final], snapshot.native) },
      { usage: snapshot }));
  return { kind: 'stream', contentType: 'text/event-stream', frames };
}

function finalItem(plan: AnswerPlan): JsonObject {
  if (plan.tool?.custom) {
    return { id: newId('ctc_'), type: 'custom_tool_call', status: 'completed', call_id: newId('call_'),
      name: plan.tool.name, input: plan.tool.input };
  }
  if (plan.tool) {
    return { id: newId('fc_'), type: 'function_call', status: 'completed', call_id: newId('call_'),
      name: plan.tool.name, arguments: plan.tool.input };
  }
  return { id: newId('msg_'), type: 'message', status: 'completed', role: 'assistant',
    content: [{ type: 'output_text', text: plan.text, annotations: [], logprobs: [] }] };
}

// ---------------------------------------------------------------------------------------------------------
// Embeddings

/** Deterministic unit-ish vector for a text, values exactly representable as float32. */
export function embeddingFor(text: string, dimensions: number): number[] {
  const out: number[] = [];
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
    out.push(Math.fround(((h >>> 0) / 0xffffffff) * 2 - 1));
  }
  return out;
}

export function embeddings(ctx: HandlerContext): Answer {
  const raw = ctx.body.input;
  // input: string | string[] | token ids | token id arrays
  const inputs: unknown[] = Array.isArray(raw) && raw.length > 0 && typeof raw[0] !== 'number' ? raw : [raw];
  const dims = typeof ctx.body.dimensions === 'number' ? ctx.body.dimensions : ctx.embeddingDimensions;
  const base64 = ctx.body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    tokens += Array.isArray(input) ? input.length : Math.max(1, Math.ceil(text.length / 4));
    const vector = embeddingFor(text, dims);
    let embedding: number[] | string = vector;
    if (base64) {
      const buf = Buffer.alloc(vector.length * 4);
      vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
      embedding = buf.toString('base64');
    }
    return { object: 'embedding', index, embedding };
  });
  const o = ctx.usageOverride;
  const usage: SimUsage = { inputTokens: o?.inputTokens ?? tokens, cachedInputTokens: 0, cacheWriteTokens: 0,
    outputTokens: 0, reasoningTokens: null, costUsd: null };
  ctx.record.plannedUsage = usage;
  const native = { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens };
  return jsonAnswer({ object: 'list', data, model: ctx.model || 'text-embedding-3-small', usage: native },
    { usage: { native, usage }, headers: { 'x-request-id': newId('req_') } });
}

// ---------------------------------------------------------------------------------------------------------
// Model lists

export function openAiModelList(models: readonly string[], ownedBy: string, idPrefix = ''): Answer {
  return jsonAnswer({ object: 'list',
    data: models.map((id) => ({ id: `${idPrefix}${id}`, object: 'model', created: 1700000000, owned_by: ownedBy })) });
}

export function openAiModel(id: string, ownedBy: string): Answer {
  return jsonAnswer({ id, object: 'model', created: 1700000000, owned_by: ownedBy });
}

export function openRouterModelList(models: readonly string[]): Answer {
  return jsonAnswer({ data: models.map((id) => ({
    id, canonical_slug: id, name: id, created: 1700000000, description: `${id} (simulated)`, context_length: 200000,
    architecture: { modality: 'text->text', input_modalities: ['text'], output_modalities: ['text'], tokenizer: 'Other' },
    pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' },
    top_provider: { context_length: 200000, max_completion_tokens: 64000, is_moderated: false },
    supported_parameters: ['tools', 'tool_choice', 'max_tokens', 'temperature', 'reasoning', 'include_reasoning'],
  })) });
}
