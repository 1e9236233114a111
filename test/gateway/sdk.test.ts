import { eventually, startTestGateway, type TestGateway } from '../support/gateway';

const ALICE = '127.0.0.2';
const BOT = '127.0.0.3';
const STRANGER = '127.0.0.9';

describe('official SDKs through the gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com', displayName: 'Alice', nodeName: 'alice-laptop' });
    gw.tailscale.addTagged(BOT, { tags: ['tag:pr-review-bot', 'tag:ci'], nodeName: 'bot-1' });
  });
  afterAll(async () => {
    await gw.stop();
  });
  beforeEach(() => gw.sim.clearReceived());

  const upstream = () => gw.sim.received[gw.sim.received.length - 1];

  it('OpenAI chat: key injected server-side, client key stripped, answer unchanged', async () => {
    const answer = await gw.openai(ALICE).chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'say hi' }] });
    expect(answer.choices[0].message.content).toBe(gw.sim.lastSent('openai')!.text);
    const got = upstream();
    expect(got.provider).toBe('openai');
    expect(got.headers.authorization).toBe(`Bearer ${gw.sim.keys.openai}`);
    expect(JSON.stringify(got.headers)).not.toContain('client-sent-placeholder');
    expect(got.headers['accept-encoding']).toBe('identity');
    expect(got.headers['user-agent']).toMatch(/^OpenAI\/JS/);
  });

  it('OpenAI chat stream: asks upstream for usage, hides the extra usage chunk from a caller who did not ask', async () => {
    const stream = await gw.openai(ALICE).chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'say hi' }] });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.choices.length === 0) usageChunks++;
    }
    expect(text).toBe(gw.sim.lastSent('openai')!.text);
    expect(usageChunks).toBe(0);
    expect((upstream().body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
  });

  it('OpenAI chat stream with include_usage: the caller gets the usage chunk it asked for', async () => {
    const stream = await gw.openai(ALICE).chat.completions.create({ model: 'gpt-5', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'say hi' }] });
    let usage: unknown = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: gw.sim.lastSent('openai')!.usage!.inputTokens });
  });

  it('OpenAI chat stream with a tool call', async () => {
    const stream = await gw.openai(ALICE).chat.completions.create({
      model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'what is the weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
    });
    const names: string[] = [];
    for await (const chunk of stream) for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) if (call.function?.name) names.push(call.function.name);
    expect(names).toEqual(['get_weather']);
  });

  it('OpenAI Responses, streamed, and embeddings (base64 as the SDK asks)', async () => {
    const client = gw.openai(ALICE);
    const stream = await client.responses.create({ model: 'gpt-5', input: 'say hi', stream: true });
    let completed = false;
    for await (const event of stream) if (event.type === 'response.completed') completed = true;
    expect(completed).toBe(true);
    const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0].embedding.length).toBeGreaterThan(0);
    expect((upstream().body as { encoding_format?: string }).encoding_format).toBe('base64');
  });

  it('Anthropic messages and stream with a tool: x-api-key injected, Bearer from the SDK stripped', async () => {
    const client = gw.anthropic(ALICE);
    const msg = await client.messages.create({ model: 'claude-opus-4-8', max_tokens: 100, messages: [{ role: 'user', content: 'say hi' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    const got = upstream();
    expect(got.provider).toBe('anthropic');
    expect(got.headers['x-api-key']).toBe(gw.sim.keys.anthropic);
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['anthropic-version']).toBeDefined();

    const stream = client.messages.stream({
      model: 'claude-opus-4-8', max_tokens: 100, messages: [{ role: 'user', content: 'TOOLTEST weather' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
    });
    const final = await stream.finalMessage();
    expect(final.content.some((b) => b.type === 'tool_use' && b.name === 'get_weather')).toBe(true);
    const count = await client.messages.countTokens({ model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'hello' }] });
    expect(count.input_tokens).toBeGreaterThan(0);
  });

  it('Gemini generateContent, SSE stream and countTokens: x-goog-api-key injected', async () => {
    const ai = gw.genai(ALICE);
    const one = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'say hi' });
    expect(one.text).toBe(gw.sim.lastSent('gemini')!.text);
    expect(upstream().headers['x-goog-api-key']).toBe(gw.sim.keys.gemini);
    let streamed = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'say hi' })) streamed += chunk.text ?? '';
    expect(streamed).toBe(gw.sim.lastSent('gemini')!.text);
    expect(upstream().query.alt).toBe('sse');
    const tokens = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hello there' });
    expect(tokens.totalTokens).toBeGreaterThan(0);
  });

  it('routes vendor/model to OpenRouter and claude-* in OpenAI format to Anthropic’s compatible endpoint', async () => {
    const client = gw.openai(ALICE);
    await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4.5', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream()).toMatchObject({ provider: 'openrouter', path: '/api/v1/chat/completions' });
    expect(upstream().headers.authorization).toBe(`Bearer ${gw.sim.keys.openrouter}`);
    await client.chat.completions.create({ model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream()).toMatchObject({ provider: 'anthropic', path: '/v1/chat/completions' });
  });

  it('identifies a tagged device by its sorted tags, and records every call under it', async () => {
    await gw.openai(BOT).chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'review' }] });
    const rows = await eventually(async () => {
      const found = await gw.db.prisma.requestRecord.findMany({ where: { principalId: 'tag:ci,tag:pr-review-bot' } });
      expect(found).toHaveLength(1);
      return found;
    });
    expect(rows[0]).toMatchObject({ nodeName: 'bot-1.tail1234.ts.net', client: 'openai-sdk', provider: 'openai', model: 'gpt-5', status: 200 });
  });

  it('an unknown node gets 401 in the caller’s format, and nothing reaches the provider', async () => {
    const res = await gw.fetchFrom(STRANGER)(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'stolen' }, body: JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [] }) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(res.headers.get('x-tailgate-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(gw.sim.received).toHaveLength(0);
  });

  it('retries whois once when userspace tailscaled has not registered the connection yet', async () => {
    gw.tailscale.addUser('127.0.0.4', { login: 'late@example.com' });
    gw.tailscale.failNext('127.0.0.4', 1);
    const answer = await gw.openai('127.0.0.4').chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices).toHaveLength(1);
  });

  it('never treats client identity headers as identity', async () => {
    const res = await gw.fetchFrom(STRANGER)(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'tailscale-user-login': 'alice@example.com', authorization: 'Bearer whatever' }, body: JSON.stringify({ model: 'gpt-5', messages: [] }) });
    expect(res.status).toBe(401);
  });

  it('lists the caller’s models in each format', async () => {
    const openaiList = await gw.openai(ALICE).models.list();
    const ids = openaiList.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([...gw.sim.models.openai, ...gw.sim.models.anthropic]));
    const anthropicList = await gw.anthropic(ALICE).models.list();
    expect(anthropicList.data.map((m) => m.id).sort()).toEqual([...gw.sim.models.anthropic].sort());
  });
});
