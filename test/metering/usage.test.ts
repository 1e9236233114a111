import { randomUUID } from 'node:crypto';
import { calcPrice } from '@pydantic/genai-prices';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';
import type { SimProvider, SimUsage } from '../support/simulator';

const ALICE = '127.0.0.2';

describe('metering: usage, cost, sessions and tools as the provider reported them', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com' });
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function call(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
    const res = await gw.fetchFrom(ALICE)(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    await res.text();
    return res.headers.get('x-tailgate-request-id')!;
  }

  async function recorded(id: string) {
    return eventually(async () => {
      const row = await gw.db.prisma.requestRecord.findUnique({ where: { id } });
      expect(row).not.toBeNull();
      return row!;
    });
  }

  const expectUsage = (row: { inputTokens: bigint; outputTokens: bigint; cachedInputTokens: bigint; cacheWriteTokens: bigint; reasoningTokens: bigint }, sent: SimUsage) => {
    expect({
      input: Number(row.inputTokens), output: Number(row.outputTokens), cached: Number(row.cachedInputTokens),
      cacheWrite: Number(row.cacheWriteTokens), reasoning: Number(row.reasoningTokens),
    }).toEqual({ input: sent.inputTokens, output: sent.outputTokens, cached: sent.cachedInputTokens, cacheWrite: sent.cacheWriteTokens, reasoning: sent.reasoningTokens ?? 0 });
  };

  const cases: Array<[string, SimProvider, string, Record<string, unknown>, Record<string, string>]> = [
    ['openai chat json', 'openai', '/v1/chat/completions', { model: 'gpt-5', messages: [{ role: 'user', content: 'hello' }] }, {}],
    ['openai chat stream', 'openai', '/v1/chat/completions', { model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hello' }] }, {}],
    ['openai responses json', 'openai', '/v1/responses', { model: 'gpt-5', input: 'hello' }, {}],
    ['openai responses stream', 'openai', '/v1/responses', { model: 'gpt-5', input: 'hello', stream: true }, {}],
    ['openai embeddings', 'openai', '/v1/embeddings', { model: 'text-embedding-3-small', input: 'hello' }, {}],
    ['anthropic json', 'anthropic', '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }, { 'anthropic-version': '2023-06-01' }],
    ['anthropic stream', 'anthropic', '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hello' }] }, { 'anthropic-version': '2023-06-01' }],
    ['gemini json', 'gemini', '/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }, {}],
    ['gemini sse', 'gemini', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }, {}],
    ['gemini json-array stream', 'gemini', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }, {}],
    ['openrouter json', 'openrouter', '/v1/chat/completions', { model: 'anthropic/claude-sonnet-4.5', messages: [{ role: 'user', content: 'hello' }] }, {}],
    ['openrouter stream', 'openrouter', '/v1/chat/completions', { model: 'anthropic/claude-sonnet-4.5', stream: true, messages: [{ role: 'user', content: 'hello' }] }, {}],
  ];

  it.each(cases)('%s: recorded usage equals what the provider sent', async (_name, provider, path, body, headers) => {
    const id = await call(path, body, headers);
    const sent = gw.sim.lastSent(provider)!;
    expect(sent.usage).not.toBeNull();
    const row = await recorded(id);
    expectUsage(row, sent.usage!);
    expect(row.usageKnown).toBe(true);
    expect(row.stream).toBe(body.stream === true || path.includes('stream'));
    expect(row.ttfbMs).not.toBeNull();
    if (provider === 'openrouter') {
      // OpenRouter reports its own charge; it wins over a computed price.
      expect(Number(row.costMicros)).toBe(Math.round(sent.usage!.costUsd! * 1e6));
    }
  });

  it('cost equals genai-prices for the same usage, cache reads and writes priced apart', async () => {
    gw.sim.nextUsage('anthropic', { inputTokens: 1_312, cachedInputTokens: 1_000, cacheWriteTokens: 200, outputTokens: 57 });
    const id = await call('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'price me' }] }, { 'anthropic-version': '2023-06-01' });
    const row = await recorded(id);
    const expected = calcPrice({ input_tokens: 1_312, cache_read_tokens: 1_000, cache_write_tokens: 200, output_tokens: 57 }, 'claude-sonnet-4-5', { providerId: 'anthropic', timestamp: row.at });
    expect(expected).not.toBeNull();
    expect(Number(row.costMicros)).toBe(Math.round(expected!.total_price * 1e6));
    expect(Number(row.inputTokens)).toBe(1_312);
  });

  it('an unknown model’s cost is recorded as unknown (null), not 0; an admin price override fixes it', async () => {
    const provider = await gw.db.prisma.provider.findUniqueOrThrow({ where: { name: 'openai' } });
    await gw.db.prisma.modelRoute.create({ data: { model: 'in-house-model', providerId: provider.id, upstreamModel: 'in-house-model-v2' } });
    await eventually(async () => expect(gw.tailgate.snapshot.current.routes.has('in-house-model')).toBe(true));
    const unknown = await recorded(await call('/v1/chat/completions', { model: 'in-house-model', messages: [{ role: 'user', content: 'x' }] }));
    expect(gw.sim.lastReceived('openai')!.body).toMatchObject({ model: 'in-house-model-v2' });
    expect(unknown.costMicros).toBeNull();
    await gw.db.prisma.priceOverride.create({ data: { model: 'in-house-model', inputPerMTok: 1_000_000n, outputPerMTok: 2_000_000n } });
    await eventually(async () => expect(gw.tailgate.snapshot.current.prices.has('in-house-model')).toBe(true));
    gw.sim.nextUsage('openai', { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 500, reasoningTokens: 0 });
    const priced = await recorded(await call('/v1/chat/completions', { model: 'in-house-model', messages: [{ role: 'user', content: 'x' }] }));
    // 1000 × $1/Mtok + 500 × $2/Mtok = $0.002
    expect(priced.costMicros).toBe(2000n);
  });

  it('50 Claude-Code-shaped requests with one session id make one session', async () => {
    const session = randomUUID();
    const headers = { 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.1.197 (external, cli)', 'x-claude-code-session-id': session, 'x-app': 'cli' };
    const sent: SimUsage[] = [];
    for (let i = 0; i < 50; i++) {
      await call('/v1/messages?beta=true', { model: i % 10 === 0 ? 'claude-haiku-4-5' : 'claude-opus-4-8', max_tokens: 64, stream: true, messages: [{ role: 'user', content: `turn ${i}` }], metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: session }) } }, headers);
      sent.push(gw.sim.lastSent('anthropic')!.usage!);
    }
    const row = await eventually(async () => {
      const s = await gw.db.prisma.session.findUnique({ where: { id: session } });
      expect(s?.requests).toBe(50);
      return s!;
    });
    expect(row).toMatchObject({ principalId: 'user:alice@example.com', client: 'claude-code', clientSessionId: session, models: ['claude-haiku-4-5', 'claude-opus-4-8'] });
    expect(Number(row.inputTokens)).toBe(sent.reduce((n, u) => n + u.inputTokens, 0));
    expect(Number(row.outputTokens)).toBe(sent.reduce((n, u) => n + u.outputTokens, 0));
    expect(await gw.db.prisma.session.count({ where: { principalId: 'user:alice@example.com', client: 'claude-code' } })).toBe(1);
  });

  it('counts tool calls by name per request and session, in every wire format', async () => {
    const session = randomUUID();
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const ids = [
      await call('/v1/chat/completions', { model: 'gpt-5', stream: true, tools, messages: [{ role: 'user', content: 'weather?' }] }, { 'x-session-id': session }),
      await call('/v1/chat/completions', { model: 'gpt-5', tools, messages: [{ role: 'user', content: 'weather?' }] }, { 'x-session-id': session }),
      await call('/v1/responses', { model: 'gpt-5', stream: true, tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }], input: 'TOOLTEST run it' }, { 'x-session-id': session }),
      await call('/v1/messages', { model: 'claude-opus-4-8', max_tokens: 50, stream: true, tools: [{ name: 'Read', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'TOOLTEST read' }] }, { 'anthropic-version': '2023-06-01', 'x-session-id': session }),
      await call('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { tools: [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'object' } }] }], contents: [{ role: 'user', parts: [{ text: 'TOOLTEST read' }] }] }, { 'x-session-id': session }),
    ];
    await eventually(async () => {
      const rows = await gw.db.prisma.toolCall.findMany({ where: { sessionId: session }, orderBy: { tool: 'asc' } });
      expect(rows.map((r) => [r.tool, r.calls])).toEqual([['Read', 1], ['exec_command', 1], ['get_weather', 1], ['get_weather', 1], ['read_file', 1]]);
      expect(new Set(rows.map((r) => r.requestId))).toEqual(new Set(ids.filter((_, i) => i !== 1 || true)));
    });
    const requests = await gw.db.prisma.requestRecord.findMany({ where: { id: { in: ids } } });
    expect(requests.every((r) => r.toolCalls === 1)).toBe(true);
  });

  it('keeps daily rollups in step with the rows, and never stores prompt text', async () => {
    await eventually(async () => {
      const rows = await gw.db.prisma.requestRecord.aggregate({ _count: true, _sum: { inputTokens: true, outputTokens: true } });
      const daily = await gw.db.prisma.usageDaily.aggregate({ _sum: { requests: true, inputTokens: true, outputTokens: true } });
      expect(daily._sum.requests).toBe(rows._count);
      expect(daily._sum.inputTokens).toBe(rows._sum.inputTokens);
      expect(daily._sum.outputTokens).toBe(rows._sum.outputTokens);
    });
    const dump = JSON.stringify(await gw.db.prisma.requestRecord.findMany(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(dump).not.toContain('turn 49');
    expect(dump).not.toContain('price me');
  });

  it('answers /metrics to admins only, with request and token counters', async () => {
    const res = await gw.fetchFrom(ALICE)(`${gw.url}/metrics`);
    expect(res.status).toBe(403);
    gw.tailscale.addUser('127.0.0.7', { login: 'ops@example.com', caps: { 'example.com/cap/tailgate': [{ role: 'admin' }] } });
    const admin = await gw.fetchFrom('127.0.0.7')(`${gw.url}/metrics`);
    expect(admin.status).toBe(200);
    const text = await admin.text();
    expect(text).toMatch(/tailgate_requests_total\{provider="anthropic",model="claude-opus-4-8",status="200",client="claude-code"\} 45\n/);
    expect(text).toContain('tailgate_tokens_total');
    expect(text).toContain('tailgate_ledger_queue_depth');
  });
});
