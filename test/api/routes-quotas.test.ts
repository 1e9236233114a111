import 'reflect-metadata';
import { windowStart } from '../../core/quota-window';
import { ALICE, codes, startHarness, type Harness } from './harness';

// Wednesday: the ISO week began Monday 2025-06-09, the month on 2025-06-01.
const NOW = new Date('2025-06-11T15:42:10.000Z');

describe('model routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await h.db.prisma.provider.createMany({
      data: [
        { name: 'openai', kind: 'OPENAI', baseUrl: 'https://api.openai.com/v1' },
        { name: 'openrouter', kind: 'OPENROUTER', baseUrl: 'https://openrouter.ai/api/v1' },
      ],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates, updates (by model), lists and deletes routes, auditing each change', async () => {
    const created = await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "team-default", provider: "openai", upstreamModel: "gpt-5-mini" }) { id model upstreamModel provider { name kind } } }');
    expect(created.errors).toBeUndefined();
    const route = created.data!.upsertModelRoute;
    expect(route).toMatchObject({ model: 'team-default', upstreamModel: 'gpt-5-mini', provider: { name: 'openai', kind: 'OPENAI' } });

    const moved = await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "team-default", provider: "openrouter", upstreamModel: "" }) { id upstreamModel provider { name } } }');
    expect(moved.data!.upsertModelRoute).toEqual({ id: route.id, upstreamModel: null, provider: { name: 'openrouter' } });

    await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "anthropic/claude-sonnet-4.5", provider: "openrouter" }) { id } }');
    const list = await h.gql('admin', '{ modelRoutes { model upstreamModel provider { name keys { id } } } }');
    expect(list.data!.modelRoutes).toEqual([
      { model: 'anthropic/claude-sonnet-4.5', upstreamModel: null, provider: { name: 'openrouter', keys: [] } },
      { model: 'team-default', upstreamModel: null, provider: { name: 'openrouter', keys: [] } },
    ]);

    expect((await h.gql('admin', `mutation { deleteModelRoute(id: "${route.id}") }`)).data).toEqual({ deleteModelRoute: true });
    expect((await h.gql('admin', `mutation { deleteModelRoute(id: "${route.id}") }`)).data).toEqual({ deleteModelRoute: false });
    expect(await h.db.prisma.modelRoute.count()).toBe(1);

    const audit = await h.db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(audit.map((a) => [a.action, a.target, a.actor])).toEqual([
      ['upsertModelRoute', 'model-route:team-default', 'user:admin@example.com'],
      ['upsertModelRoute', 'model-route:team-default', 'user:admin@example.com'],
      ['upsertModelRoute', 'model-route:anthropic/claude-sonnet-4.5', 'user:admin@example.com'],
      ['deleteModelRoute', 'model-route:team-default', 'user:admin@example.com'],
      ['deleteModelRoute', `model-route-id:${route.id}`, 'user:admin@example.com'],
    ]);
    expect(JSON.parse(audit[1].detail!)).toMatchObject({ provider: 'openrouter', upstreamModel: null, before: { provider: 'openai', upstreamModel: 'gpt-5-mini' } });
  });

  it('refuses unknown providers and model names that are not exact names', async () => {
    const unknown = await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "m", provider: "azure" }) { id } }');
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors![0].message).toBe('unknown provider "azure": create it with upsertProvider first');
    const builtin = await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "m", provider: "anthropic" }) { id } }');
    expect(builtin.errors![0].message).toMatch(/unknown provider "anthropic": the gateway creates the built-in providers when it starts/);
    const glob = await h.gql('admin', 'mutation { upsertModelRoute(input: { model: "gpt-*", provider: "openai" }) { id } }');
    expect(codes(glob)).toEqual(['BAD_USER_INPUT']);
    expect(glob.errors![0].message).toMatch(/^input\.model: a model name is 1-200 letters/);
    expect(codes(await h.gql('admin', 'mutation { deleteModelRoute(id: "nope") }'))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('quotas and quotaStatus', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
  });
  afterAll(async () => {
    await h.close();
  });

  const QUOTA = 'id subject shared window maxRequests maxTokens maxCostUsd models';
  const setQuota = (input: Record<string, unknown>) => h.gql('admin', `mutation($i: QuotaInput!) { setQuota(input: $i) { ${QUOTA} } }`, { i: input });

  it('creates a quota with 64-bit token limits, micro-dollar costs and normalized model globs', async () => {
    const res = await setQuota({ subject: ALICE.id, window: 'DAY', maxTokens: 5_000_000_000, maxCostUsd: 12.3456789, models: ['gpt-*', 'claude-*', 'gpt-*'] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.setQuota).toMatchObject({ subject: ALICE.id, shared: false, window: 'DAY', maxRequests: null, maxTokens: 5_000_000_000, maxCostUsd: 12.345679, models: ['claude-*', 'gpt-*'] });
    const row = await h.db.prisma.quota.findUniqueOrThrow({ where: { id: res.data!.setQuota.id } });
    expect(row.maxCostMicros).toBe(12_345_679n);
    expect(row.maxTokens).toBe(5_000_000_000n);
  });

  it('setQuota on the same subject, shared, window and models replaces the limits instead of adding a quota', async () => {
    const first = await setQuota({ subject: 'tag:ci', window: 'HOUR', maxRequests: 100 });
    const second = await setQuota({ subject: 'tag:ci', window: 'HOUR', maxRequests: 50, maxTokens: 10_000 });
    expect(second.data!.setQuota).toMatchObject({ id: first.data!.setQuota.id, maxRequests: 50, maxTokens: 10_000, models: null });
    const shared = await setQuota({ subject: 'tag:ci', window: 'HOUR', shared: true, maxRequests: 500 });
    expect(shared.data!.setQuota.id).not.toBe(first.data!.setQuota.id);
    expect(await h.db.prisma.quota.count({ where: { subject: 'tag:ci' } })).toBe(2);
    const audit = await h.db.prisma.auditEvent.findMany({ where: { action: 'setQuota', target: `quota:${first.data!.setQuota.id}` }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => JSON.parse(a.detail!))).toEqual([
      expect.objectContaining({ created: true, maxRequests: 100 }),
      expect.objectContaining({ created: false, maxRequests: 50, before: expect.objectContaining({ maxRequests: 100, maxTokens: null }) }),
    ]);
  });

  it.each([
    ['an unknown subject form', { subject: 'alice', window: 'DAY', maxRequests: 1 }, 'input.subject: subject must be "*", "user:*", "user:<login>" or "tag:<name>"'],
    ['a group subject', { subject: 'group:eng', window: 'DAY', maxRequests: 1 }, 'input.subject: subject must be'],
    ['a bad model glob', { subject: '*', window: 'DAY', maxRequests: 1, models: ['gpt-5', 'gpt 5?'] }, 'input.models[1]: a model glob may contain only letters, digits, ".", "-", "_", "/", ":" and "*"'],
    ['an empty model list', { subject: '*', window: 'DAY', maxRequests: 1, models: [] }, 'input.models: models must not be empty: omit it for every model'],
    ['a zero request limit', { subject: '*', window: 'DAY', maxRequests: 0 }, 'input.maxRequests: maxRequests must be greater than zero (omit it for no limit)'],
    ['a negative token limit', { subject: '*', window: 'DAY', maxTokens: -5 }, 'input.maxTokens: maxTokens must be greater than zero'],
    ['a negative cost limit', { subject: '*', window: 'DAY', maxCostUsd: -1.5 }, 'input.maxCostUsd: maxCostUsd must be at least 0.000001 (one micro-dollar); omit it for no limit'],
    ['a cost limit under a micro-dollar', { subject: '*', window: 'DAY', maxCostUsd: 0.0000001 }, 'input.maxCostUsd: maxCostUsd must be at least 0.000001 (one micro-dollar); omit it for no limit'],
    ['no limit at all', { subject: '*', window: 'DAY' }, 'input: a quota needs at least one limit: maxRequests, maxTokens or maxCostUsd'],
  ])('refuses %s with a clear message', async (_what, input, message) => {
    const res = await setQuota(input);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toContain(message);
  });

  it('names every problem of an input at once', async () => {
    const res = await setQuota({ subject: 'nobody', window: 'DAY', maxRequests: -1, models: ['a b'] });
    expect(res.errors![0].message.split('; ')).toEqual([
      expect.stringMatching(/^input\.subject: /),
      expect.stringMatching(/^input\.maxRequests: /),
      expect.stringMatching(/^input\.models\[0\]: /),
    ]);
    expect(res.errors![0].extensions?.field).toBe('input.subject');
  });

  it('refuses token limits beyond 2^53 at the scalar', async () => {
    const res = await h.gql('admin', 'mutation { setQuota(input: { subject: "*", window: DAY, maxTokens: 9007199254740993 }) { id } }');
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('deletes quotas', async () => {
    const res = await setQuota({ subject: 'user:*', window: 'MINUTE', maxRequests: 60 });
    expect((await h.gql('admin', `mutation { deleteQuota(id: "${res.data!.setQuota.id}") }`)).data).toEqual({ deleteQuota: true });
    expect((await h.gql('admin', `mutation { deleteQuota(id: "${res.data!.setQuota.id}") }`)).data).toEqual({ deleteQuota: false });
    const audit = await h.db.prisma.auditEvent.findMany({ where: { action: 'deleteQuota' } });
    expect(audit.map((a) => JSON.parse(a.detail!).deleted)).toEqual([true, false]);
  });

  describe('quotaStatus', () => {
    let ids: Record<string, string>;
    beforeAll(async () => {
      await h.db.prisma.quota.deleteMany();
      const q = async (input: Record<string, unknown>) => (await setQuota(input)).data!.setQuota.id as string;
      ids = {
        aliceDay: await q({ subject: ALICE.id, window: 'DAY', maxRequests: 10, maxTokens: 1000 }),
        everyoneMonth: await q({ subject: '*', shared: true, window: 'MONTH', maxCostUsd: 50 }),
        peopleWeek: await q({ subject: 'user:*', window: 'WEEK', maxTokens: 6_000_000_000, models: ['claude-*'] }),
        ciHour: await q({ subject: 'tag:ci', window: 'HOUR', maxRequests: 5 }),
      };
      const usage = (quotaId: string, holder: string, start: Date, u: Partial<Record<'requests' | 'leasedRequests', number> & Record<'tokens' | 'leasedTokens' | 'costMicros' | 'leasedCostMicros', bigint>>) =>
        ({ quotaId, holder, windowStart: start, ...u });
      await h.db.prisma.quotaUsage.createMany({
        data: [
          usage(ids.aliceDay, ALICE.id, windowStart('DAY', NOW), { requests: 3, leasedRequests: 1, tokens: 400n, leasedTokens: 100n }),
          // Yesterday's window and someone else's budget must not count.
          usage(ids.aliceDay, ALICE.id, new Date('2025-06-10T00:00:00Z'), { requests: 9, tokens: 900n }),
          usage(ids.everyoneMonth, '*', windowStart('MONTH', NOW), { requests: 40, costMicros: 10_000_000n, leasedCostMicros: 2_500_000n }),
          usage(ids.peopleWeek, ALICE.id, windowStart('WEEK', NOW), { tokens: 5_999_999_000n, leasedTokens: 5_000n }),
          usage(ids.peopleWeek, 'user:bob@example.com', windowStart('WEEK', NOW), { tokens: 7n }),
          usage(ids.ciHour, 'tag:ci', windowStart('HOUR', NOW), { requests: 2, leasedRequests: 1 }),
        ],
      });
    });

    const STATUS = 'quota { id subject } windowStart windowEnd holder usedRequests usedTokens usedCostUsd remainingRequests remainingTokens remainingCostUsd';

    it('shows a user their own, per-person and shared quotas: used = settled + leased, remaining clamped, null without a limit', async () => {
      const res = await h.gql('alice', `{ quotaStatus { ${STATUS} } }`);
      expect(res.errors).toBeUndefined();
      const byQuota = Object.fromEntries(res.data!.quotaStatus.map((s: { quota: { id: string } }) => [s.quota.id, s]));
      expect(Object.keys(byQuota).sort()).toEqual([ids.aliceDay, ids.everyoneMonth, ids.peopleWeek].sort());
      expect(byQuota[ids.aliceDay]).toEqual({
        quota: { id: ids.aliceDay, subject: ALICE.id },
        windowStart: '2025-06-11T00:00:00.000Z',
        windowEnd: '2025-06-12T00:00:00.000Z',
        holder: ALICE.id,
        usedRequests: 4, usedTokens: 500, usedCostUsd: 0,
        remainingRequests: 6, remainingTokens: 500, remainingCostUsd: null,
      });
      expect(byQuota[ids.everyoneMonth]).toMatchObject({
        holder: '*', windowStart: '2025-06-01T00:00:00.000Z', windowEnd: '2025-07-01T00:00:00.000Z',
        usedRequests: 40, usedCostUsd: 12.5, remainingCostUsd: 37.5, remainingRequests: null, remainingTokens: null,
      });
      // Beyond 32 bits, and over the limit once leases count: remaining is 0, not negative.
      expect(byQuota[ids.peopleWeek]).toMatchObject({ windowStart: '2025-06-09T00:00:00.000Z', windowEnd: '2025-06-16T00:00:00.000Z', usedTokens: 6_000_004_000, remainingTokens: 0 });
    });

    it('a tagged device sees the shared quota and its tag\'s, not the ones for people', async () => {
      const res = await h.gql('ci', `{ quotaStatus { ${STATUS} } }`);
      const byQuota = Object.fromEntries(res.data!.quotaStatus.map((s: { quota: { id: string } }) => [s.quota.id, s]));
      expect(Object.keys(byQuota).sort()).toEqual([ids.everyoneMonth, ids.ciHour].sort());
      expect(byQuota[ids.ciHour]).toMatchObject({ holder: 'tag:ci', usedRequests: 3, remainingRequests: 2, windowEnd: '2025-06-11T16:00:00.000Z' });
      // The shared budget is the same one alice sees.
      expect(byQuota[ids.everyoneMonth]).toMatchObject({ holder: '*', usedCostUsd: 12.5, remainingCostUsd: 37.5 });
    });

    it('admins can ask about anyone by principal id', async () => {
      const forCi = await h.gql('admin', `{ quotaStatus(principal: "tag:ci") { ${STATUS} } }`);
      const asCi = await h.gql('ci', `{ quotaStatus { ${STATUS} } }`);
      expect(forCi.data).toEqual(asCi.data);
      const bob = await h.gql('admin', '{ quotaStatus(principal: "user:bob@example.com") { quota { id } holder usedTokens } }');
      expect(bob.data!.quotaStatus).toEqual(expect.arrayContaining([{ quota: { id: ids.peopleWeek }, holder: 'user:bob@example.com', usedTokens: 7 }]));
      const own = await h.gql('admin', '{ quotaStatus { quota { id } } }');
      expect(own.data!.quotaStatus.map((s: { quota: { id: string } }) => s.quota.id).sort()).toEqual([ids.everyoneMonth, ids.peopleWeek].sort());
      const bad = await h.gql('admin', '{ quotaStatus(principal: "bob") { holder } }');
      expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    });
  });
});
