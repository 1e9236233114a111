import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startChildGateway, type ChildGateway } from '../support/child-gateway';
import { FakeLocalApi } from '../support/fake-localapi';
import { eventually, gatewayEnv, startTestGateway, type TestGateway } from '../support/gateway';
import { ProviderSimulator } from '../support/simulator';

const ALICE = '127.0.0.2';
const BOB = '127.0.0.3';
const CI_BOT = '127.0.0.4';
const chat = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });

async function setQuota(db: TestDatabase, data: { subject: string; shared?: boolean; window: 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH'; maxRequests?: number; maxTokens?: bigint; maxCostMicros?: bigint; models?: string[] }) {
  return db.prisma.quota.create({ data: { shared: false, models: [], ...data } });
}

describe('quotas hold under concurrency, across processes', () => {
  let sim: ProviderSimulator;
  let tailscale: FakeLocalApi;
  let db: TestDatabase;
  let gw: TestGateway;
  let child: ChildGateway;

  beforeAll(async () => {
    sim = await ProviderSimulator.start();
    tailscale = await FakeLocalApi.start();
    db = await createTestDatabase();
    for (const ip of ['127.0.0.1', ALICE]) tailscale.addUser(ip, { login: 'alice@example.com' });
    gw = await startTestGateway({ sim, tailscale, db });
    const env = { ...gw.env, TAILGATE_DATA_DIR: `${gw.dataDir}-child` };
    child = await startChildGateway(env);
  }, 60_000);
  afterAll(async () => {
    await child?.kill();
    await gw?.stop();
    await sim.close();
    await tailscale.close();
    await db.drop();
  });

  it('maxRequests 5, 40 requests at once through two gateway processes: exactly 5 succeed', async () => {
    const quota = await setQuota(db, { subject: 'user:alice@example.com', window: 'DAY', maxRequests: 5 });
    await eventually(async () => expect(gw.tailgate.snapshot.current.quotas.some((q) => q.id === quota.id)).toBe(true));
    // The child process reloads on the same NOTIFY; its whoami lists the quotas that apply.
    await eventually(async () => {
      const me = (await (await gw.fetchFrom('127.0.0.1')(`${child.url}/v1/tailgate/whoami`)).json()) as { quotas: unknown[] };
      expect(me.quotas).toHaveLength(1);
    });
    const fromA = gw.fetchFrom(ALICE);
    const fromB = gw.fetchFrom('127.0.0.1');
    const shots = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? fromA(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat }) : fromB(`${child.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat })),
    );
    const responses = await Promise.all(shots);
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    const rejected = responses.find((r) => r.status === 429)!;
    const body = (await rejected.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' });
    expect(body.error.message).toContain('5 requests per day');
    const retryAfter = Number(rejected.headers.get('retry-after'));
    const untilMidnight = Math.ceil((Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000);
    expect(Math.abs(retryAfter - untilMidnight)).toBeLessThanOrEqual(2);
    await db.prisma.quota.delete({ where: { id: quota.id } });
  });
});

describe('quota semantics', () => {
  let gw: TestGateway;
  let clock = new Date('2026-11-25T10:00:30Z');
  beforeAll(async () => {
    gw = await startTestGateway({ start: { now: () => clock } });
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com' });
    gw.tailscale.addUser(BOB, { login: 'bob@example.com', caps: { 'example.com/cap/tailgate': [{ role: 'user', models: ['claude-*'] }] } });
    gw.tailscale.addTagged(CI_BOT, { tags: ['tag:ci'], nodeName: 'runner-1' });
  });
  afterAll(async () => {
    await gw.stop();
  });
  beforeEach(async () => {
    await gw.db.prisma.quota.deleteMany();
    await eventually(async () => expect(gw.tailgate.snapshot.current.quotas).toHaveLength(0));
  });

  const send = (ip: string, path = '/v1/chat/completions', body = chat, headers: Record<string, string> = {}) =>
    gw.fetchFrom(ip)(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const waitForQuotas = (n: number) => eventually(async () => expect(gw.tailgate.snapshot.current.quotas).toHaveLength(n));

  it('rolls over at the window boundary (injected clock); 429s in each caller format', async () => {
    await setQuota(gw.db, { subject: 'user:*', window: 'MINUTE', maxRequests: 2 });
    await waitForQuotas(1);
    expect((await send(ALICE)).status).toBe(200);
    expect((await send(ALICE)).status).toBe(200);
    const third = await send(ALICE);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('30');
    const anthropic = await send(ALICE, '/v1/messages', JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), { 'anthropic-version': '2023-06-01' });
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    const gemini = await send(ALICE, '/v1beta/models/gemini-2.5-flash:generateContent', JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }));
    expect(await gemini.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    // Each user has their own budget (shared: false): Bob is unaffected.
    expect((await send(BOB, '/v1/messages', JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), { 'anthropic-version': '2023-06-01' })).status).toBe(200);
    clock = new Date('2026-11-25T10:01:00Z');
    expect((await send(ALICE)).status).toBe(200);
  });

  it('a shared budget is one pool for everyone it covers, and the message names no one else', async () => {
    await setQuota(gw.db, { subject: '*', shared: true, window: 'HOUR', maxRequests: 3 });
    await waitForQuotas(1);
    expect((await send(ALICE)).status).toBe(200);
    expect((await send(CI_BOT)).status).toBe(200);
    expect((await send(ALICE)).status).toBe(200);
    const refused = await send(CI_BOT);
    expect(refused.status).toBe(429);
    const text = await refused.text();
    expect(text).not.toContain('alice');
    expect(text).toContain('(shared)');
  });

  it('tag quotas match tagged devices; token limits admit while budget remains and settle to real usage', async () => {
    await setQuota(gw.db, { subject: 'tag:ci', window: 'DAY', maxTokens: 2_000n });
    await waitForQuotas(1);
    let admitted = 0;
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const res = await send(CI_BOT, '/v1/chat/completions', JSON.stringify({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] }));
      if (res.status === 200) admitted++;
      else if (res.status === 429) refused++;
      await res.text();
    }
    expect(admitted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const used = gw.sim.sent.slice(-admitted).reduce((n, s) => n + s.usage!.inputTokens + s.usage!.outputTokens, 0);
    // Sequential requests: overshoot is at most the last admitted request's own usage.
    const lastUsage = gw.sim.sent[gw.sim.sent.length - 1].usage!;
    expect(used).toBeLessThanOrEqual(2_000 + lastUsage.inputTokens + lastUsage.outputTokens);
    // Alice has no tag: untouched.
    expect((await send(ALICE)).status).toBe(200);
  });

  it('model allow-lists from the tailnet policy and from quotas: 403 in the caller’s format, hidden from /v1/models', async () => {
    const denied = await send(BOB);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { type: 'permission_error', code: 'tailgate_model_not_allowed' } });
    const bobModels = (await (await gw.fetchFrom(BOB)(`${gw.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(bobModels.data.length).toBeGreaterThan(0);
    expect(bobModels.data.every((m) => m.id.startsWith('claude-'))).toBe(true);

    await setQuota(gw.db, { subject: 'tag:ci', window: 'MONTH', maxRequests: 1000, models: ['gemini-*'] });
    await waitForQuotas(1);
    const ciDenied = await send(CI_BOT, '/v1/messages', JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [] }), { 'anthropic-version': '2023-06-01' });
    expect(ciDenied.status).toBe(403);
    expect(await ciDenied.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const ciModels = (await (await gw.fetchFrom(CI_BOT)(`${gw.url}/v1beta/models`)).json()) as { models: Array<{ name: string }> };
    expect(ciModels.models.every((m) => m.name.startsWith('models/gemini-'))).toBe(true);
  });

  it('quotaStatus shows each caller its standing (GraphQL)', async () => {
    await setQuota(gw.db, { subject: 'user:alice@example.com', window: 'DAY', maxRequests: 10, maxCostMicros: 5_000_000n });
    await waitForQuotas(1);
    for (let i = 0; i < 3; i++) expect((await send(ALICE)).status).toBe(200);
    await eventually(async () => {
      const res = await gw.fetchFrom(ALICE)(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ quotaStatus { usedRequests remainingRequests remainingCostUsd quota { subject window } } }' }) });
      const json = (await res.json()) as { data: { quotaStatus: Array<{ usedRequests: number; remainingRequests: number; remainingCostUsd: number }> } };
      // Leased-but-unused budget counts as used until it is returned (idle > 2 s) — hence eventually.
      expect(json.data.quotaStatus).toEqual([expect.objectContaining({ usedRequests: 3, remainingRequests: 7, quota: { subject: 'user:alice@example.com', window: 'DAY' } })]);
    }, 8000);
    const whoami = (await (await gw.fetchFrom(ALICE)(`${gw.url}/v1/tailgate/whoami`)).json()) as { principal: string; quotas: unknown[] };
    expect(whoami.principal).toBe('user:alice@example.com');
    expect(whoami.quotas).toHaveLength(1);
    void randomUUID;
  });
});
