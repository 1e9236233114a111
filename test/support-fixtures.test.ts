// The test fixtures themselves under test: the official SDKs talk straight to the provider simulator (no
// gateway) and must parse every answer; the fake LocalAPI answers whois the way tailscaled does.
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI, Type } from '@google/genai';
import { existsSync } from 'node:fs';
import http from 'node:http';
import OpenAI from 'openai';
import { FakeLocalApi } from './support/fake-localapi';
import { ProviderSimulator, type SimResponse } from './support/simulator';

const weatherParameters = {
  type: 'object' as const, properties: { location: { type: 'string' } }, required: ['location'],
};

async function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body) });
}

/**
 * @google/genai routes Node's fetch through `globalThis[Symbol.for('undici.globalDispatcher.1')]`, which jest's
 * sandboxed global lacks ("Undici globalDispatcher is not available"); handing it `fetch` skips that path.
 */
function genaiClient(sim: ProviderSimulator, apiKey = sim.keys.gemini as string): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: sim.baseUrls.gemini, fetch } });
}

function lastSent(sim: ProviderSimulator): SimResponse {
  const sent = sim.lastSent();
  if (!sent) throw new Error('simulator sent nothing');
  return sent;
}

describe('ProviderSimulator', () => {
  let sim: ProviderSimulator;
  beforeAll(async () => {
    sim = await ProviderSimulator.start();
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.clearReceived();
    sim.clearFaults();
  });

  describe('OpenAI (openai SDK)', () => {
    const client = (): OpenAI => new OpenAI({ apiKey: sim.keys.openai as string, baseURL: sim.baseUrls.openai,
      maxRetries: 0 });

    test('chat completion: text and usage with cached and reasoning tokens', async () => {
      const r = await client().chat.completions.create({ model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'say hi' }] });
      expect(r.choices[0].message.content).toBe(sim.replyText);
      expect(r.choices[0].finish_reason).toBe('stop');
      const sent = lastSent(sim);
      expect(sent).toMatchObject({ provider: 'openai', api: 'chat', status: 200, stream: false, completed: true });
      const usage = sent.usage!;
      expect(usage.cachedInputTokens).toBeGreaterThan(0);
      expect(usage.reasoningTokens).toBeGreaterThan(0);
      expect(usage.cacheWriteTokens).toBe(0);
      expect(r.usage).toMatchObject({ prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
        prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
        completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } });
      const req = sim.lastReceived()!;
      expect(req).toMatchObject({ provider: 'openai', method: 'POST', path: '/v1/chat/completions' });
      expect(req.headers.authorization).toBe(`Bearer ${sim.keys.openai}`);
      expect(req.body).toMatchObject({ model: 'gpt-4o-mini' });
      expect(JSON.parse(req.rawBody.toString())).toEqual(req.body);
    });

    test('chat stream with include_usage: usage only in a final choices:[] chunk', async () => {
      sim.streamChunks = 3;
      try {
        const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', stream: true,
          stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'say hi' }] });
        const chunks = [];
        for await (const c of stream) chunks.push(c);
        const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
        expect(text).toBe(sim.replyText);
        expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBe(3);
        const withUsage = chunks.filter((c) => c.usage);
        expect(withUsage).toHaveLength(1);
        expect(withUsage[0].choices).toEqual([]);
        expect(chunks[chunks.length - 1]).toBe(withUsage[0]);
        expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
        expect(withUsage[0].usage?.prompt_tokens).toBe(lastSent(sim).usage?.inputTokens);
      } finally {
        sim.streamChunks = 4;
      }
    });

    test('chat stream without include_usage carries no usage and ends with [DONE]', async () => {
      const res = await rawPost(`${sim.baseUrls.openai}/chat/completions`,
        { authorization: `Bearer ${sim.keys.openai}` },
        { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'say hi' }] });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const text = await res.text();
      expect(text).not.toContain('"usage"');
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(lastSent(sim).usage).toBeNull();
    });

    test('chat stream tool call: id and name first, argument fragments after', async () => {
      const stream = client().chat.completions.stream({ model: 'gpt-4o-mini', stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Get weather',
          parameters: weatherParameters } }] });
      const deltas: string[] = [];
      stream.on('chunk', (c) => {
        for (const call of c.choices[0]?.delta?.tool_calls ?? []) deltas.push(call.function?.arguments ?? '');
      });
      const final = await stream.finalChatCompletion();
      const call = final.choices[0].message.tool_calls?.[0];
      expect(call?.type).toBe('function');
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ location: 'Paris' });
      expect(final.choices[0].finish_reason).toBe('tool_calls');
      expect(deltas.filter((d) => d.length > 0).length).toBeGreaterThan(1);
      expect(lastSent(sim).toolCalls).toEqual(['get_weather']);
    });

    test('responses: JSON with reasoning item, output_text and usage', async () => {
      const r = await client().responses.create({ model: 'gpt-5', input: 'say hi' });
      expect(r.output_text).toBe(sim.replyText);
      expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
      const usage = lastSent(sim).usage!;
      expect(r.usage).toMatchObject({ input_tokens: usage.inputTokens, output_tokens: usage.outputTokens,
        input_tokens_details: { cached_tokens: usage.cachedInputTokens },
        output_tokens_details: { reasoning_tokens: usage.reasoningTokens } });
      expect(usage.cachedInputTokens).toBeGreaterThan(0);
    });

    test('responses stream: typed events, usage in response.completed, no [DONE]', async () => {
      const stream = await client().responses.create({ model: 'gpt-5', input: 'say hi', stream: true });
      const types: string[] = [];
      let text = '';
      let completedUsage: unknown;
      const sequence: number[] = [];
      for await (const e of stream) {
        types.push(e.type);
        sequence.push(e.sequence_number);
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') completedUsage = e.response.usage;
      }
      expect(text).toBe(sim.replyText);
      expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
      expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(4);
      expect(types[types.length - 1]).toBe('response.completed');
      expect(sequence).toEqual(sequence.map((_, i) => i));
      expect(completedUsage).toMatchObject({ input_tokens: lastSent(sim).usage?.inputTokens });
    });

    test('responses stream helper with a function tool', async () => {
      const stream = client().responses.stream({ model: 'gpt-5',
        input: [{ role: 'user', content: 'What is the weather in Paris?' }],
        tools: [{ type: 'function', name: 'get_weather', description: 'Get weather', parameters: weatherParameters,
          strict: false }] });
      const types: string[] = [];
      stream.on('event', (e) => types.push(e.type));
      const final = await stream.finalResponse();
      const call = final.output.find((o) => o.type === 'function_call');
      expect(call?.type === 'function_call' && call.name).toBe('get_weather');
      expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ location: 'Paris' });
      expect(types).toContain('response.function_call_arguments.delta');
      expect(types).toContain('response.function_call_arguments.done');
      expect(lastSent(sim).toolCalls).toEqual(['get_weather']);
    });

    test('responses: a custom tool gets a custom_tool_call; a tool result gets text', async () => {
      const r = await client().responses.create({ model: 'gpt-5', input: 'TOOLTEST: run echo hi',
        tools: [{ type: 'custom', name: 'exec' }] });
      const call = r.output.find((o) => o.type === 'custom_tool_call');
      expect(call?.type === 'custom_tool_call' && call.name).toBe('exec');
      const followUp = await client().responses.create({ model: 'gpt-5', tools: [{ type: 'custom', name: 'exec' }],
        input: [{ role: 'user', content: 'TOOLTEST: run echo hi' },
          { type: 'custom_tool_call_output', call_id: 'call_1', output: 'hi' }] });
      expect(followUp.output_text).toBe('Done, I used the tool.');
    });

    test('embeddings: base64 float32 by default (SDK decodes), floats on request', async () => {
      const r = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
      expect(sim.lastReceived()?.body?.encoding_format).toBe('base64');
      expect(r.data[0].embedding).toHaveLength(sim.embeddingDimensions);
      const usage = lastSent(sim).usage!;
      expect(r.usage).toEqual({ prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens });
      const floats = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello',
        encoding_format: 'float' });
      expect(floats.data[0].embedding).toEqual(r.data[0].embedding);
      const several = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'x'],
        dimensions: 8 });
      expect(several.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    });

    test('models.list', async () => {
      const ids: string[] = [];
      for await (const m of client().models.list()) ids.push(m.id);
      expect(ids).toEqual(sim.models.openai);
    });

    test('wrong key → 401 invalid_api_key; key rotation at runtime', async () => {
      const bad = new OpenAI({ apiKey: 'not-the-key', baseURL: sim.baseUrls.openai, maxRetries: 0 });
      const err = await bad.models.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(lastSent(sim).status).toBe(401);
      const old = sim.keys.openai;
      sim.keys.openai = 'sim-openai-key-2';
      try {
        await expect(new OpenAI({ apiKey: old as string, baseURL: sim.baseUrls.openai, maxRetries: 0 }).models.list())
          .rejects.toMatchObject({ status: 401 });
        await expect(client().models.list()).resolves.toBeDefined();
      } finally {
        sim.keys.openai = old;
      }
    });
  });

  describe('OpenRouter and OpenAI-compatible endpoints (openai SDK)', () => {
    test('OpenRouter: usage always, with cost and cache_write_tokens; comment keep-alives', async () => {
      const client = new OpenAI({ apiKey: sim.keys.openrouter as string, baseURL: sim.baseUrls.openrouter,
        maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4.5',
        messages: [{ role: 'user', content: 'say hi' }] });
      const usage = lastSent(sim).usage!;
      expect(usage.costUsd).toBeGreaterThan(0);
      expect(usage.cacheWriteTokens).toBeGreaterThan(0);
      expect(r.usage).toMatchObject({ prompt_tokens: usage.inputTokens, cost: usage.costUsd,
        prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, cache_write_tokens: usage.cacheWriteTokens } });

      const stream = await client.chat.completions.create({ model: 'openai/gpt-5', stream: true,
        messages: [{ role: 'user', content: 'say hi' }] });
      let streamed: unknown;
      for await (const c of stream) if (c.usage) streamed = c.usage;
      expect(streamed).toMatchObject({ cost: lastSent(sim).usage?.costUsd });

      const raw = await (await rawPost(`${sim.baseUrls.openrouter}/chat/completions`,
        { authorization: `Bearer ${sim.keys.openrouter}` },
        { model: 'openai/gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] })).text();
      expect(raw.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);

      const bad = await rawPost(`${sim.baseUrls.openrouter}/chat/completions`, { authorization: 'Bearer nope' },
        { model: 'openai/gpt-5', messages: [] });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ error: { code: 401, message: expect.any(String) } });
    });

    test("Anthropic's OpenAI-compatible chat: Bearer auth, no anthropic-version needed", async () => {
      const client = new OpenAI({ apiKey: sim.keys.anthropic as string, baseURL: `${sim.baseUrls.anthropic}/v1`,
        maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'claude-sonnet-4-6',
        messages: [{ role: 'user', content: 'say hi' }] });
      expect(r.choices[0].message.content).toBe(sim.replyText);
      expect(lastSent(sim)).toMatchObject({ provider: 'anthropic', api: 'chat' });
      expect(lastSent(sim).usage?.reasoningTokens).toBeNull();
    });

    test("Gemini's OpenAI-compatible chat: wrong key is 400 wrapped in an array", async () => {
      const client = new OpenAI({ apiKey: sim.keys.gemini as string, baseURL: `${sim.baseUrls.gemini}/v1beta/openai`,
        maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', stream: true,
        stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'say hi' }] });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      expect(text).toBe(sim.replyText);
      const bad = await rawPost(`${sim.baseUrls.gemini}/v1beta/openai/chat/completions`, { authorization: 'Bearer no' },
        { model: 'gemini-2.5-flash', messages: [] });
      expect(bad.status).toBe(400);
      const body: unknown = await bad.json();
      expect(body).toEqual([{ error: expect.objectContaining({ code: 400, status: 'INVALID_ARGUMENT' }) }]);
    });
  });

  describe('Anthropic (@anthropic-ai/sdk)', () => {
    const client = (): Anthropic => new Anthropic({ apiKey: sim.keys.anthropic as string,
      baseURL: sim.baseUrls.anthropic, maxRetries: 0 });
    const weatherTool = { name: 'get_weather', description: 'Get weather', input_schema: weatherParameters };

    test('messages.create: input excludes cache reads and writes, reported apart', async () => {
      const r = await client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256,
        messages: [{ role: 'user', content: 'say hi' }] });
      expect(r.content).toEqual([expect.objectContaining({ type: 'text', text: sim.replyText })]);
      const usage = lastSent(sim).usage!;
      expect(usage.reasoningTokens).toBeNull();
      expect(r.usage).toMatchObject({ input_tokens: usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens,
        cache_read_input_tokens: usage.cachedInputTokens, cache_creation_input_tokens: usage.cacheWriteTokens,
        output_tokens: usage.outputTokens });
      expect(r.usage.cache_read_input_tokens).toBeGreaterThan(0);
      expect(r.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      expect(sim.lastReceived()?.headers['anthropic-version']).toBeDefined();
    });

    test('messages.stream: usage from message_start plus cumulative message_delta', async () => {
      const events: string[] = [];
      const stream = client().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256,
        messages: [{ role: 'user', content: 'say hi' }] });
      stream.on('streamEvent', (e) => events.push(e.type));
      const final = await stream.finalMessage();
      expect(final.content[0]).toMatchObject({ type: 'text', text: sim.replyText });
      const usage = lastSent(sim).usage!;
      expect(final.usage.output_tokens).toBe(usage.outputTokens);
      expect(final.usage.cache_read_input_tokens).toBe(usage.cachedInputTokens);
      expect(events[0]).toBe('message_start');
      expect(events.filter((e) => e === 'content_block_delta')).toHaveLength(4);
      expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
      expect(lastSent(sim).nativeUsage).toMatchObject({ output_tokens: usage.outputTokens,
        cache_read_input_tokens: usage.cachedInputTokens });
    });

    test('messages.stream with a tool: tool_use block with streamed JSON input', async () => {
      const final = await client().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256,
        tools: [weatherTool], messages: [{ role: 'user', content: 'What is the weather in Paris?' }] }).finalMessage();
      const toolUse = final.content.find((b) => b.type === 'tool_use');
      expect(toolUse).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { location: 'Paris' } });
      expect(final.stop_reason).toBe('tool_use');
      expect(lastSent(sim).toolCalls).toEqual(['get_weather']);
      // The follow-up carrying the tool result is answered in text.
      const id = toolUse?.type === 'tool_use' ? toolUse.id : '';
      const next = await client().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, tools: [weatherTool],
        messages: [{ role: 'user', content: 'What is the weather in Paris?' }, { role: 'assistant', content: final.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'sunny' }] }] });
      expect(next.stop_reason).toBe('end_turn');
    });

    test('countTokens and models.list (paged)', async () => {
      const count = await client().messages.countTokens({ model: 'claude-sonnet-4-6',
        messages: [{ role: 'user', content: 'say hi' }] });
      expect(count.input_tokens).toBeGreaterThan(0);
      const ids: string[] = [];
      for await (const m of client().models.list({ limit: 2 })) ids.push(m.id);
      expect(ids).toEqual(sim.models.anthropic);
      expect(sim.received.filter((r) => r.path === '/v1/models')).toHaveLength(2);
    });

    test('wrong key → 401 authentication_error; x-api-key accepted; anthropic-version required', async () => {
      const bad = new Anthropic({ apiKey: 'not-the-key', baseURL: sim.baseUrls.anthropic, maxRetries: 0 });
      const err = await bad.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(err).toMatchObject({ status: 401, error: { type: 'error', error: { type: 'authentication_error' } } });

      const body = { model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] };
      const url = `${sim.baseUrls.anthropic}/v1/messages`;
      const key = sim.keys.anthropic as string;
      expect((await rawPost(url, { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body)).status).toBe(200);
      const noVersion = await rawPost(url, { 'x-api-key': key }, body);
      expect(noVersion.status).toBe(400);
      expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      sim.anthropicBearerAuth = false;
      try {
        const bearer = await rawPost(url, { authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' }, body);
        expect(bearer.status).toBe(401);
      } finally {
        sim.anthropicBearerAuth = true;
      }
    });
  });

  describe('Gemini (@google/genai)', () => {
    const client = (apiKey = sim.keys.gemini as string): GoogleGenAI => genaiClient(sim, apiKey);

    test('generateContent: prompt includes cached, candidates exclude thoughts', async () => {
      const r = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'say hi' });
      expect(r.text).toBe(sim.replyText);
      const usage = lastSent(sim).usage!;
      const meta = r.usageMetadata!;
      expect(meta.promptTokenCount).toBe(usage.inputTokens);
      expect(meta.cachedContentTokenCount).toBe(usage.cachedInputTokens);
      expect(meta.thoughtsTokenCount).toBe(usage.reasoningTokens);
      expect((meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0)).toBe(usage.outputTokens);
      expect(meta.totalTokenCount).toBe(usage.inputTokens + usage.outputTokens);
      const req = sim.lastReceived()!;
      expect(req.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(req.headers['x-goog-api-key']).toBe(sim.keys.gemini);
    });

    test('generateContentStream: SSE with CRLF, running-total usage', async () => {
      const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'say hi' });
      const metas = [];
      let text = '';
      for await (const c of stream) {
        text += c.text ?? '';
        metas.push(c.usageMetadata);
      }
      expect(text).toBe(sim.replyText);
      expect(metas).toHaveLength(4);
      expect(metas[0]?.candidatesTokenCount).toBeUndefined();
      expect(metas[metas.length - 1]?.candidatesTokenCount).toBe(
        lastSent(sim).usage!.outputTokens - (lastSent(sim).usage!.reasoningTokens ?? 0));
      expect(sim.lastReceived()?.query).toEqual({ alt: 'sse' });

      const url = `${sim.baseUrls.gemini}/v1beta/models/gemini-2.5-flash:streamGenerateContent`;
      const sse = await (await rawPost(`${url}?alt=sse`, { 'x-goog-api-key': sim.keys.gemini as string },
        { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).text();
      expect(sse.split('\r\n\r\n').filter(Boolean)).toHaveLength(4);
      expect(sse.startsWith('data: {')).toBe(true);
      // Without alt=sse: one JSON array; ?key= works as well as the header.
      const array: unknown = await (await rawPost(`${url}?key=${sim.keys.gemini}`, {},
        { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).json();
      expect(Array.isArray(array) && array.length).toBe(4);
    });

    test('functionDeclarations → a whole functionCall part', async () => {
      const r = await client().models.generateContent({ model: 'gemini-2.5-flash',
        contents: 'What is the weather in Paris?',
        config: { tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Get weather',
          parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } }, required: ['location'] } }] }] } });
      expect(r.functionCalls).toEqual([expect.objectContaining({ name: 'get_weather', args: { location: 'Paris' } })]);
      expect(lastSent(sim).toolCalls).toEqual(['get_weather']);
    });

    test('structured output: a JSON answer that follows the schema (Gemini CLI router call)', async () => {
      const r = await client().models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'classify',
        config: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object',
          properties: { reasoning: { type: 'string' }, complexity_score: { type: 'integer' } },
          required: ['reasoning', 'complexity_score'] } } });
      expect(JSON.parse(r.text ?? '')).toEqual({ reasoning: 'hi', complexity_score: 10 });
    });

    test('countTokens', async () => {
      const r = await client().models.countTokens({ model: 'gemini-2.5-flash', contents: 'say hi' });
      expect(r.totalTokens).toBeGreaterThan(0);
    });

    test('wrong key → 400 INVALID_ARGUMENT with API_KEY_INVALID', async () => {
      const err = await client('not-the-key').models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 400 });
      expect(String((err as ApiError).message)).toContain('API_KEY_INVALID');
    });

    test('models list', async () => {
      const res = await fetch(`${sim.baseUrls.gemini}/v1beta/models`, {
        headers: { 'x-goog-api-key': sim.keys.gemini as string } });
      const body = await res.json() as { models: Array<{ name: string }> };
      expect(body.models.map((m) => m.name)).toEqual(sim.models.gemini.map((m) => `models/${m}`));
    });
  });

  describe('faults, usage overrides and controls', () => {
    const openai = (): OpenAI => new OpenAI({ apiKey: sim.keys.openai as string, baseURL: sim.baseUrls.openai,
      maxRetries: 0, timeout: 2000 });
    const anthropic = (): Anthropic => new Anthropic({ apiKey: sim.keys.anthropic as string,
      baseURL: sim.baseUrls.anthropic, maxRetries: 0 });
    const say = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'say hi' }] };

    test('status faults in each provider format, scoped and counted', async () => {
      sim.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { provider: 'openai', times: 2 });
      for (let i = 0; i < 2; i++) {
        const err = await openai().chat.completions.create(say).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OpenAI.RateLimitError);
        expect(err).toMatchObject({ code: 'rate_limit_exceeded' });
      }
      expect(sim.lastReceived()?.headers.authorization).toBeDefined();
      await expect(openai().chat.completions.create(say)).resolves.toBeDefined();

      sim.failNext({ kind: 'status', status: 529 }, { provider: 'anthropic', api: 'messages' });
      await anthropic().models.list(); // not the scoped api: untouched
      const overloaded = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(overloaded).toMatchObject({ status: 529, error: { error: { type: 'overloaded_error' } } });
      expect(lastSent(sim)).toMatchObject({ status: 529, fault: 'status' });

      sim.failAlways({ kind: 'status', status: 503 }, { provider: 'gemini' });
      const genai = genaiClient(sim);
      for (let i = 0; i < 2; i++) {
        await expect(genai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }))
          .rejects.toMatchObject({ status: 503 });
      }
      sim.clearFaults();
      await expect(genai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).resolves.toBeDefined();
    });

    test('reset-before-headers → connection error', async () => {
      sim.failNext({ kind: 'reset-before-headers' });
      await expect(openai().chat.completions.create(say)).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
      expect(lastSent(sim)).toMatchObject({ status: 0, fault: 'reset-before-headers', completed: false });
    });

    test('reset-mid-stream: the client sees a cut stream; sent records usage delivered so far', async () => {
      sim.failNext({ kind: 'reset-mid-stream', afterChunks: 3 });
      const events: string[] = [];
      const err = await (async () => {
        const stream = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, stream: true,
          messages: [{ role: 'user', content: 'say hi' }] });
        for await (const e of stream) events.push(e.type);
      })().catch((e: unknown) => e);
      // undici's TypeError("terminated") comes from Node's realm, not jest's: no instanceof Error here.
      expect(err).toMatchObject({ message: 'terminated' });
      expect(events).toEqual(['message_start', 'content_block_start']); // the SDK doesn't yield ping
      const sent = lastSent(sim);
      expect(sent).toMatchObject({ status: 200, completed: false, fault: 'reset-mid-stream' });
      expect(sent.usage?.outputTokens).toBe(1);
      expect(sent.usage?.cachedInputTokens).toBe(sent.plannedUsage?.cachedInputTokens);
    });

    test('hang: the request never gets an answer (client times out)', async () => {
      sim.failNext({ kind: 'hang' });
      const client = new OpenAI({ apiKey: sim.keys.openai as string, baseURL: sim.baseUrls.openai, maxRetries: 0,
        timeout: 300 });
      const started = Date.now();
      const err = await client.chat.completions.create(say).catch((e: unknown) => e);
      // The SDK reports its own timeout as APIConnectionTimeoutError only when it recognises the AbortError, which
      // jest's separate realm prevents; it's still a connection error after the timeout.
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(lastSent(sim)).toMatchObject({ fault: 'hang', status: 0 });
      await sim.idle();
    });

    test('reset-mid-stream after headers only, and in a JSON body', async () => {
      sim.failNext({ kind: 'reset-mid-stream', afterChunks: 0 }, { api: 'chat' });
      const res = await rawPost(`${sim.baseUrls.openai}/chat/completions`, { authorization: `Bearer ${sim.keys.openai}` },
        { ...say, stream: true });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toMatchObject({ message: 'terminated' });
      expect(lastSent(sim)).toMatchObject({ status: 200, usage: null, completed: false });

      sim.failNext({ kind: 'reset-mid-stream', afterChunks: 1 }, { provider: 'gemini' });
      const json = await rawPost(`${sim.baseUrls.gemini}/v1beta/models/gemini-2.5-flash:generateContent`,
        { 'x-goog-api-key': sim.keys.gemini as string }, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
      expect(json.status).toBe(200);
      await expect(json.text()).rejects.toMatchObject({ message: 'terminated' });
      expect(lastSent(sim)).toMatchObject({ usage: null, completed: false });
    });

    test('close() ends hung requests and pending delays', async () => {
      const own = await ProviderSimulator.start({ chunkDelayMs: 10_000 });
      own.failNext({ kind: 'hang' }, { api: 'chat' });
      const post = (body: unknown): Promise<unknown> => rawPost(`${own.baseUrls.openai}/chat/completions`,
        { authorization: `Bearer ${own.keys.openai}` }, body).then((r) => r.text()).catch((e: unknown) => e);
      const hung = post(say);
      const slow = post({ ...say, stream: true });
      while (own.received.length < 2) await new Promise((r) => setTimeout(r, 5));
      const started = Date.now();
      await own.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await hung).toMatchObject({ message: 'fetch failed' });
      expect(await slow).toMatchObject({ message: 'terminated' });
      expect(own.sent.map((r) => r.completed)).toEqual([false, false]);
    });

    test('stream-error-event in each provider stream', async () => {
      sim.failNext({ kind: 'stream-error-event' }, { provider: 'anthropic' });
      const a = await anthropic().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64,
        messages: [{ role: 'user', content: 'say hi' }] }).finalMessage().catch((e: unknown) => e);
      expect(a).toMatchObject({ error: { type: 'error', error: { type: 'overloaded_error' } } });
      expect(lastSent(sim)).toMatchObject({ status: 200, completed: true, fault: 'stream-error-event' });

      sim.failNext({ kind: 'stream-error-event' }, { provider: 'openai', api: 'chat' });
      const o = await (async () => {
        for await (const c of await openai().chat.completions.create({ ...say, stream: true })) void c;
      })().catch((e: unknown) => e);
      expect(o).toBeInstanceOf(OpenAI.APIError);
      expect(o).toMatchObject({ type: 'server_error' });

      sim.failNext({ kind: 'stream-error-event' }, { provider: 'openai', api: 'responses' });
      const types: string[] = [];
      for await (const e of await openai().responses.create({ model: 'gpt-5', input: 'hi', stream: true })) {
        types.push(e.type);
      }
      expect(types[types.length - 1]).toBe('response.failed');

      sim.failNext({ kind: 'stream-error-event' }, { provider: 'gemini' });
      const genai = genaiClient(sim);
      const g = await (async () => {
        for await (const c of await genai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) {
          void c;
        }
      })().catch((e: unknown) => e);
      expect(g).toBeInstanceOf(Error);

      // Non-stream requests get the provider's 5xx instead.
      sim.failNext({ kind: 'stream-error-event' }, { provider: 'anthropic' });
      await expect(anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 529 });
    });

    test('nextUsage renders normalised numbers in native fields, once', async () => {
      sim.nextUsage('anthropic', { inputTokens: 5_000_000_000, cachedInputTokens: 3_000_000_000,
        cacheWriteTokens: 1_000_000_000, outputTokens: 700, reasoningTokens: 200 });
      const r = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }] });
      expect(r.usage).toMatchObject({ input_tokens: 1_000_000_000, cache_read_input_tokens: 3_000_000_000,
        cache_creation_input_tokens: 1_000_000_000, output_tokens: 700 });
      const again = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }] });
      expect(again.usage.output_tokens).not.toBe(700);

      sim.nextUsage('gemini', { inputTokens: 100, cachedInputTokens: 40, outputTokens: 30, reasoningTokens: 10 });
      const genai = genaiClient(sim);
      const g = await genai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
      expect(g.usageMetadata).toMatchObject({ promptTokenCount: 100, cachedContentTokenCount: 40,
        candidatesTokenCount: 20, thoughtsTokenCount: 10, totalTokenCount: 130 });
      expect(() => sim.nextUsage('openai', { inputTokens: 1, cachedInputTokens: 2 })).toThrow();
    });

    test('chunkDelayMs: a client that leaves mid-stream is recorded', async () => {
      sim.chunkDelayMs = 40;
      try {
        const controller = new AbortController();
        const stream = await openai().chat.completions.create({ ...say, stream: true },
          { signal: controller.signal });
        let seen = 0;
        for await (const c of stream) {
          void c;
          if (++seen === 2) controller.abort(); // the SDK ends the iteration quietly on abort
        }
        expect(seen).toBe(2);
        await sim.idle();
        expect(lastSent(sim)).toMatchObject({ completed: false, clientClosed: true });
      } finally {
        sim.chunkDelayMs = 0;
      }
    });

    test('strictModels and unknown routes answer 404 in the provider format', async () => {
      sim.strictModels = true;
      try {
        const err = await openai().chat.completions.create({ ...say, model: 'gpt-unknown' }).catch((e: unknown) => e);
        expect(err).toMatchObject({ status: 404, code: 'model_not_found' });
        const a = await anthropic().messages.create({ model: 'claude-unknown', max_tokens: 8,
          messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
        expect(a).toMatchObject({ status: 404, error: { error: { type: 'not_found_error' } } });
      } finally {
        sim.strictModels = false;
      }
      const res = await fetch(`${sim.baseUrls.openai}/nope`, { headers: { authorization: 'Bearer x' } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    });
  });
});

// ---------------------------------------------------------------------------------------------------------

interface WhoisReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function whois(socketPath: string, addr: string | null, headers: Record<string, string> = { Host: 'local-tailscaled.sock' },
  setHost = true): Promise<WhoisReply> {
  const query = addr === null ? '' : `?addr=${encodeURIComponent(addr)}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: `/localapi/v0/whois${query}`, headers, setHost }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('FakeLocalApi', () => {
  let api: FakeLocalApi;
  beforeEach(async () => {
    api = await FakeLocalApi.start();
  });
  afterEach(async () => {
    await api.close();
  });

  test('user node: tab-indented WhoIsResponse, raw int64 IDs above 2^53, CapMap null', async () => {
    const info = api.addUser('127.0.0.2', { login: 'alice@example.com', displayName: 'Alice Example' });
    const r = await whois(api.socketPath, '127.0.0.2:51234');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['tailscale-version']).toBeDefined();
    expect(r.text.startsWith('{\n\t"Node": {\n\t\t"ID": ')).toBe(true);
    const rawId = /"ID": (\d+)/.exec(r.text)?.[1] ?? '';
    expect(BigInt(rawId)).toBeGreaterThan(2n ** 53n);
    expect(rawId).toBe(info.nodeId);
    const parsed = JSON.parse(r.text) as { Node: Record<string, unknown>; UserProfile: Record<string, unknown>;
      CapMap: unknown };
    expect(String(parsed.Node.ID)).not.toBe(rawId); // what a naive JSON.parse does to it
    expect(parsed.Node).toMatchObject({ StableID: info.stableId, Name: info.fqdn, Hostinfo: { OS: 'linux' } });
    expect(String(parsed.Node.Name).endsWith('.ts.net.')).toBe(true);
    expect(parsed.Node).not.toHaveProperty('Tags');
    expect(parsed.Node.Addresses).toContain('127.0.0.2/32');
    expect(parsed.UserProfile).toMatchObject({ LoginName: 'alice@example.com', DisplayName: 'Alice Example' });
    expect(parsed.CapMap).toBeNull();
    expect(api.lookups).toEqual(['127.0.0.2:51234']);
  });

  test('caps, a second device of the same user, IPv4-mapped and bare addresses', async () => {
    const caps = { 'example.com/cap/tailgate': [{ role: 'user', models: ['claude-*'] }, { role: 'admin' }] };
    const a = api.addUser('127.0.0.3', { login: 'bob@example.com', caps });
    const b = api.addUser('127.0.0.4', { login: 'bob@example.com', nodeName: 'bob-desktop' });
    expect(a.userId).toBe(b.userId);
    expect(a.stableId).not.toBe(b.stableId);
    const r = await whois(api.socketPath, '[::ffff:127.0.0.3]:4000');
    expect(JSON.parse(r.text).CapMap).toEqual(caps);
    expect((await whois(api.socketPath, '127.0.0.4')).status).toBe(200);
  });

  test('tagged node: Tags present, LoginName tagged-devices', async () => {
    api.addTagged('127.0.0.5', { tags: ['tag:pr-review-bot'], nodeName: 'review-bot',
      caps: { 'example.com/cap/tailgate': [{ role: 'user' }] } });
    const r = await whois(api.socketPath, '127.0.0.5:1');
    const parsed = JSON.parse(r.text) as { Node: { Tags: string[]; Name: string }; UserProfile: { LoginName: string } };
    expect(parsed.Node.Tags).toEqual(['tag:pr-review-bot']);
    expect(parsed.Node.Name).toBe('review-bot.tail1234.ts.net.');
    expect(parsed.UserProfile.LoginName).toBe('tagged-devices');
  });

  test('errors: unknown 404, bad Host / Origin / Referer 403, missing or invalid addr 400', async () => {
    api.addUser('127.0.0.2', { login: 'alice@example.com' });
    const unknown = await whois(api.socketPath, '127.0.0.9:80');
    expect(unknown).toMatchObject({ status: 404, text: 'no match for IP:port\n' });
    expect(unknown.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await whois(api.socketPath, '127.0.0.2:80', { Host: 'evil.example' }))
      .toMatchObject({ status: 403, text: 'invalid localapi request\n' });
    expect((await whois(api.socketPath, '127.0.0.2:80', { Host: 'local-tailscaled.sock', Origin: 'http://x' })).status)
      .toBe(403);
    expect((await whois(api.socketPath, '127.0.0.2:80', { Host: 'local-tailscaled.sock', Referer: 'http://x/' })).status)
      .toBe(403);
    expect((await whois(api.socketPath, '127.0.0.2:80', { Host: '' }, false)).status).toBe(200); // empty Host passes
    expect(await whois(api.socketPath, null)).toMatchObject({ status: 400, text: "missing 'addr' parameter\n" });
    expect(await whois(api.socketPath, 'not-an-ip')).toMatchObject({ status: 400, text: "invalid 'addr' parameter\n" });
    api.remove('127.0.0.2');
    expect((await whois(api.socketPath, '127.0.0.2:80')).status).toBe(404);
  });

  test('failNext simulates proxy-map registration lag', async () => {
    api.addUser('127.0.0.2', { login: 'alice@example.com' });
    api.failNext('127.0.0.2', 2);
    expect((await whois(api.socketPath, '127.0.0.2:1')).status).toBe(404);
    expect((await whois(api.socketPath, '127.0.0.2:2')).status).toBe(404);
    expect((await whois(api.socketPath, '127.0.0.2:3')).status).toBe(200);
    api.failNext('127.0.0.2', 1, 403);
    expect(await whois(api.socketPath, '127.0.0.2:4')).toMatchObject({ status: 403, text: 'whois access denied\n' });
    expect(api.lookups).toHaveLength(4);
  });

  test('down() refuses connections, up() serves again, close() removes the socket', async () => {
    api.addUser('127.0.0.2', { login: 'alice@example.com' });
    await api.down();
    await expect(whois(api.socketPath, '127.0.0.2:1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await api.up();
    expect((await whois(api.socketPath, '127.0.0.2:1')).status).toBe(200);
    await api.close();
    expect(existsSync(api.socketPath)).toBe(false);
  });
});
