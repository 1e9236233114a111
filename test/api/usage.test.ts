import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { decodeCursor } from '../../api/session/session.service';
import type { Prisma } from '../../core/db/client';
import { ALICE, codes, startHarness, type GraphQLResponse, type Harness } from './harness';

interface SessionPage {
  totalCount: number;
  edges: { cursor: string; node: { id: string; lastSeenAt: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Usage, sessions, tool usage and adoption against a ledger seeded the way the data plane writes
 * it: `requests` rows, their `tool_calls`, the `sessions` they belong to and the `usage_daily`
 * rollup, all derived from one list of synthetic calls. Expectations are computed from that list
 * in JS, independently of the API's SQL.
 */
const NOW = new Date('2025-06-15T12:00:00.000Z');
const DAY_MS = 86_400_000;

interface Call {
  id: string;
  at: Date;
  principal: string;
  client: string;
  provider: string;
  model: string;
  session: string | null;
  status: number;
  input: bigint;
  output: bigint;
  cached: bigint;
  cacheWrite: bigint;
  reasoning: bigint;
  costMicros: bigint;
  tools: Record<string, number>;
}

const PRINCIPALS = [ALICE.id, 'user:bob@example.com', 'user:carol@example.com', 'tag:ci'];
const MODELS: [string, string][] = [['gpt-5', 'openai'], ['claude-sonnet-4-5', 'anthropic'], ['gemini-2.5-pro', 'gemini'], ['qwen/qwen3-coder', 'openrouter']];
const CLIENTS = ['claude-code', 'codex', 'sdk'];
const TOOLS = ['bash', 'read_file', 'edit', 'web_search'];

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeCalls(): Call[] {
  const rand = prng(6);
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)];
  const calls: Call[] = [];
  const start = Date.parse('2025-05-01T00:00:00Z');
  for (let s = 0; s < 70; s++) {
    const principal = pick(PRINCIPALS);
    const client = pick(CLIENTS);
    const hasSession = s % 10 !== 9; // a few calls carry no session at all
    const session = hasSession ? `sess-${String(s).padStart(3, '0')}` : null;
    let at = start + Math.floor(rand() * (Date.parse('2025-06-15T11:00:00Z') - start));
    const n = 1 + Math.floor(rand() * 9);
    for (let i = 0; i < n && at < NOW.getTime(); i++) {
      const [model, provider] = pick(MODELS);
      const tools: Record<string, number> = {};
      for (const tool of TOOLS) if (rand() < 0.3) tools[tool] = 1 + Math.floor(rand() * 4);
      calls.push({
        id: randomUUID(), at: new Date(at), principal, client, provider, model, session,
        status: rand() < 0.1 ? 429 : 200,
        input: BigInt(Math.floor(rand() * 50_000)), output: BigInt(Math.floor(rand() * 5_000)),
        cached: BigInt(Math.floor(rand() * 20_000)), cacheWrite: BigInt(Math.floor(rand() * 2_000)), reasoning: BigInt(Math.floor(rand() * 1_000)),
        costMicros: BigInt(Math.floor(rand() * 90_000)), tools,
      });
      at += Math.floor(rand() * 3 * 3_600_000); // sessions may run past midnight
    }
  }
  // One huge call: token sums beyond 2^32 must survive the trip as SafeInt.
  calls.push({ id: randomUUID(), at: new Date('2025-06-14T09:00:00Z'), principal: 'tag:ci', client: 'sdk', provider: 'openai', model: 'gpt-5', session: 'sess-big', status: 200, input: 5_000_000_000n, output: 1n, cached: 0n, cacheWrite: 0n, reasoning: 0n, costMicros: 123_456_789n, tools: { bash: 1 } });
  return calls;
}

const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** Writes the calls as the ledger would: requests + tool_calls + sessions + usage_daily. */
async function seedLedger(prisma: Prisma, calls: Call[]): Promise<void> {
  await prisma.requestRecord.createMany({
    data: calls.map((c) => ({
      id: c.id, at: c.at, principalId: c.principal, client: c.client, sessionId: c.session, provider: c.provider, model: c.model,
      endpoint: 'chat', status: c.status, stream: true, inputTokens: c.input, outputTokens: c.output, cachedInputTokens: c.cached,
      cacheWriteTokens: c.cacheWrite, reasoningTokens: c.reasoning, costMicros: c.costMicros, latencyMs: 100,
      toolCalls: Object.values(c.tools).reduce((a, b) => a + b, 0), errorClass: c.status >= 400 ? 'rate_limited' : null,
    })),
  });
  await prisma.toolCall.createMany({
    data: calls.flatMap((c) => Object.entries(c.tools).map(([tool, n]) => ({ requestId: c.id, sessionId: c.session, principalId: c.principal, at: c.at, tool, calls: n }))),
  });
  const sessions = new Map<string, Call[]>();
  for (const c of calls) if (c.session) sessions.set(c.session, [...(sessions.get(c.session) ?? []), c]);
  await prisma.session.createMany({
    data: [...sessions.entries()].map(([id, cs]) => ({
      id, principalId: cs[0].principal, client: cs[0].client, models: [...new Set(cs.map((c) => c.model))],
      startedAt: cs[0].at, lastSeenAt: cs[cs.length - 1].at, requests: cs.length,
      inputTokens: sum(cs, 'input'), outputTokens: sum(cs, 'output'), cachedInputTokens: sum(cs, 'cached'),
      cacheWriteTokens: sum(cs, 'cacheWrite'), reasoningTokens: sum(cs, 'reasoning'), costMicros: sum(cs, 'costMicros'),
    })),
  });
  const rollup = new Map<string, Call[]>();
  for (const c of calls) {
    const key = [utcDay(c.at), c.principal, c.model, c.provider, c.client].join('|');
    rollup.set(key, [...(rollup.get(key) ?? []), c]);
  }
  await prisma.usageDaily.createMany({
    data: [...rollup.entries()].map(([key, cs]) => {
      const [day, principalId, model, provider, client] = key.split('|');
      return {
        day: new Date(`${day}T00:00:00Z`), principalId, model, provider, client, requests: cs.length, errors: cs.filter((c) => c.status >= 400).length,
        inputTokens: sum(cs, 'input'), outputTokens: sum(cs, 'output'), cachedInputTokens: sum(cs, 'cached'),
        cacheWriteTokens: sum(cs, 'cacheWrite'), reasoningTokens: sum(cs, 'reasoning'), costMicros: sum(cs, 'costMicros'),
      };
    }),
  });
}

function sum(calls: Call[], field: 'input' | 'output' | 'cached' | 'cacheWrite' | 'reasoning' | 'costMicros'): bigint {
  return calls.reduce((total, c) => total + c[field], 0n);
}

/** The usage row the API should return for a group of calls. */
function expectedRow(cs: Call[], dims: Partial<Record<'model' | 'principal' | 'provider' | 'client' | 'day', string>>) {
  return {
    model: dims.model ?? null, principal: dims.principal ?? null, provider: dims.provider ?? null, client: dims.client ?? null, day: dims.day ?? null,
    requests: cs.length, errors: cs.filter((c) => c.status >= 400).length,
    inputTokens: Number(sum(cs, 'input')), outputTokens: Number(sum(cs, 'output')), cachedInputTokens: Number(sum(cs, 'cached')),
    cacheWriteTokens: Number(sum(cs, 'cacheWrite')), reasoningTokens: Number(sum(cs, 'reasoning')), costUsd: Number(sum(cs, 'costMicros')) / 1e6,
  };
}

const USAGE_FIELDS = 'model principal provider client day requests errors inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens costUsd';

describe('usage, sessions, tool usage and adoption', () => {
  let h: Harness;
  const calls = makeCalls();
  // The default range: 30 whole UTC days ending with today.
  const defaultFirstDay = utcDay(new Date(Date.UTC(2025, 5, 15) - 29 * DAY_MS));
  const inDefaultRange = (c: Call) => utcDay(c.at) >= defaultFirstDay;

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await seedLedger(h.db.prisma, calls);
  });
  afterAll(async () => {
    await h.close();
  });

  describe('usage', () => {
    it('defaults to the last 30 UTC days and totals them in one row without groupBy', async () => {
      const res = await h.gql('admin', `{ usage(groupBy: []) { ${USAGE_FIELDS} } }`);
      expect(res.errors).toBeUndefined();
      expect(defaultFirstDay).toBe('2025-05-17');
      expect(res.data!.usage).toEqual([expectedRow(calls.filter(inDefaultRange), {})]);
      expect(res.data!.usage[0].inputTokens).toBeGreaterThan(2 ** 32);
    });

    it('groups by day and model over an explicit range, counting every day the range touches', async () => {
      // 2025-05-20T18:00 .. 2025-06-02T00:00 touches 2025-05-20 .. 2025-06-01 (the end is exclusive).
      const res = await h.gql('admin', `{ usage(from: "2025-05-20T18:00:00Z", to: "2025-06-02T00:00:00Z", groupBy: [DAY, MODEL]) { ${USAGE_FIELDS} } }`);
      const inRange = calls.filter((c) => utcDay(c.at) >= '2025-05-20' && utcDay(c.at) <= '2025-06-01');
      const groups = new Map<string, Call[]>();
      for (const c of inRange) groups.set(`${utcDay(c.at)}|${c.model}`, [...(groups.get(`${utcDay(c.at)}|${c.model}`) ?? []), c]);
      const expected = [...groups.keys()].sort().map((key) => {
        const [day, model] = key.split('|');
        return expectedRow(groups.get(key)!, { day, model });
      });
      expect(res.data!.usage).toEqual(expected);
    });

    it('filters by provider and client, grouped by principal', async () => {
      const res = await h.gql('admin', `{ usage(groupBy: [PRINCIPAL, PROVIDER, CLIENT], filter: { provider: "anthropic", client: "claude-code" }) { ${USAGE_FIELDS} } }`);
      const matching = calls.filter((c) => inDefaultRange(c) && c.provider === 'anthropic' && c.client === 'claude-code');
      const principals = [...new Set(matching.map((c) => c.principal))].sort();
      expect(matching.length).toBeGreaterThan(0);
      expect(res.data!.usage).toEqual(principals.map((p) => expectedRow(matching.filter((c) => c.principal === p), { principal: p, provider: 'anthropic', client: 'claude-code' })));
    });

    it('gives a non-admin their own usage only', async () => {
      const res = await h.gql('alice', `{ usage(groupBy: [CLIENT]) { ${USAGE_FIELDS} } }`);
      const mine = calls.filter((c) => inDefaultRange(c) && c.principal === ALICE.id);
      expect(mine.length).toBeGreaterThan(0);
      const clients = [...new Set(mine.map((c) => c.client))].sort();
      expect(res.data!.usage).toEqual(clients.map((client) => expectedRow(mine.filter((c) => c.client === client), { client })));
    });

    it('refuses a range that ends before it starts', async () => {
      const res = await h.gql('admin', '{ usage(from: "2025-06-02T00:00:00Z", to: "2025-06-01T00:00:00Z", groupBy: []) { requests } }');
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message).toBe('from must not be later than to');
    });

    it('reads the usage_daily rollup, not the requests table', async () => {
      const query = `{ usage(groupBy: [DAY, PRINCIPAL, MODEL, PROVIDER, CLIENT]) { ${USAGE_FIELDS} } }`;
      const before = await h.gql('admin', query);
      // With `requests` gone, any query touching it would fail.
      await h.db.prisma.$executeRawUnsafe('ALTER TABLE requests RENAME TO requests_hidden');
      try {
        const after = await h.gql('admin', query);
        expect(after.errors).toBeUndefined();
        expect(after.data).toEqual(before.data);
      } finally {
        await h.db.prisma.$executeRawUnsafe('ALTER TABLE requests_hidden RENAME TO requests');
      }
    });
  });

  describe('sessions', () => {
    const overlapsDefault = (cs: Call[]) => cs[cs.length - 1].at.getTime() >= Date.parse(`${defaultFirstDay}T00:00:00Z`) && cs[0].at.getTime() < NOW.getTime();
    const bySession = () => {
      const map = new Map<string, Call[]>();
      for (const c of calls) if (c.session) map.set(c.session, [...(map.get(c.session) ?? []), c]);
      return map;
    };

    it('walks every session exactly once with the cursor, most recently active first (ties broken by id)', async () => {
      // Sessions sharing a last_seen_at instant must neither repeat nor vanish at a page boundary.
      const tie = new Date('2025-06-10T10:00:00.123Z');
      await h.db.prisma.session.createMany({
        data: ['tie-a', 'tie-b', 'tie-c', 'tie-d', 'tie-e'].map((id) => ({ id, principalId: 'user:dave@example.com', client: 'codex', models: [], startedAt: tie, lastSeenAt: tie })),
      });
      try {
        const all = await h.db.prisma.session.findMany({ where: { lastSeenAt: { gte: new Date(`${defaultFirstDay}T00:00:00Z`) }, startedAt: { lt: NOW } }, orderBy: [{ lastSeenAt: 'desc' }, { id: 'desc' }] });
        expect(all.length).toBeGreaterThan(30);
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 100; page++) {
          const res: GraphQLResponse<{ sessions: SessionPage }> = await h.gql('admin', 'query($after: String) { sessions(first: 7, after: $after) { totalCount edges { cursor node { id lastSeenAt } } pageInfo { hasNextPage endCursor } } }', { after });
          expect(res.errors).toBeUndefined();
          const conn = res.data!.sessions;
          expect(conn.totalCount).toBe(all.length);
          seen.push(...conn.edges.map((e) => e.node.id));
          if (conn.edges.length > 0) expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1].cursor);
          if (!conn.pageInfo.hasNextPage) break;
          expect(conn.edges).toHaveLength(7);
          after = conn.pageInfo.endCursor;
        }
        expect(seen).toEqual(all.map((s) => s.id));
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.filter((id) => id.startsWith('tie-'))).toEqual(['tie-e', 'tie-d', 'tie-c', 'tie-b', 'tie-a']);
      } finally {
        await h.db.prisma.session.deleteMany({ where: { id: { startsWith: 'tie-' } } });
      }
    });

    it('keeps cursors opaque and pages bounded', async () => {
      const res = await h.gql('admin', '{ sessions(first: 1) { edges { cursor } } }');
      const cursor = res.data!.sessions.edges[0].cursor as string;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor).id).toEqual(expect.any(String));
      expect(codes(await h.gql('admin', '{ sessions(after: "not-a-cursor") { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await h.gql('admin', '{ sessions(first: 201) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
      const empty = await h.gql('admin', '{ sessions(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } }');
      expect(empty.data!.sessions).toMatchObject({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    });

    it('returns session totals and tool calls (batched through the DataLoader) as the ledger recorded them', async () => {
      const sessions = bySession();
      const res = await h.gql('admin', '{ sessions(first: 200, from: "2025-04-01T00:00:00Z") { totalCount edges { node { id principal client models startedAt lastSeenAt requests inputTokens outputTokens costUsd toolCalls { tool calls } } } } }');
      expect(res.errors).toBeUndefined();
      expect(res.data!.sessions.totalCount).toBe(sessions.size);
      for (const { node } of res.data!.sessions.edges) {
        const cs = sessions.get(node.id)!;
        const tools = new Map<string, number>();
        for (const c of cs) for (const [tool, n] of Object.entries(c.tools)) tools.set(tool, (tools.get(tool) ?? 0) + n);
        expect(node).toEqual({
          id: node.id, principal: cs[0].principal, client: cs[0].client, models: [...new Set(cs.map((c) => c.model))],
          startedAt: cs[0].at.toISOString(), lastSeenAt: cs[cs.length - 1].at.toISOString(), requests: cs.length,
          inputTokens: Number(sum(cs, 'input')), outputTokens: Number(sum(cs, 'output')), costUsd: Number(sum(cs, 'costMicros')) / 1e6,
          toolCalls: [...tools.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([tool, n]) => ({ tool, calls: n })),
        });
      }
      const one = await h.gql('admin', '{ session(id: "sess-big") { id inputTokens toolCalls { tool calls } } }');
      expect(one.data).toEqual({ session: { id: 'sess-big', inputTokens: 5_000_000_000, toolCalls: [{ tool: 'bash', calls: 1 }] } });
      expect((await h.gql('admin', '{ session(id: "nope") { id } }')).data).toEqual({ session: null });
    });

    it('filters by principal, client and time overlap', async () => {
      const sessions = [...bySession().entries()];
      const expected = sessions.filter(([, cs]) => cs[0].principal === ALICE.id && cs[0].client === 'codex' && overlapsDefault(cs)).map(([id]) => id).sort();
      const res = await h.gql('admin', `{ sessions(first: 200, principal: "${ALICE.id}", client: "codex") { totalCount edges { node { id } } } }`);
      expect(res.data!.sessions.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(expected);
      expect(res.data!.sessions.totalCount).toBe(expected.length);
      // A session overlapping the range counts even when it started before `from`.
      const [id, cs] = sessions.find(([, c]) => c.length > 1 && c[0].at.getTime() < c[c.length - 1].at.getTime())!;
      const from = new Date(cs[cs.length - 1].at.getTime() - 1).toISOString();
      const to = new Date(cs[cs.length - 1].at.getTime() + 1).toISOString();
      const overlap = await h.gql('admin', `{ sessions(first: 200, from: "${from}", to: "${to}") { edges { node { id } } } }`);
      expect(overlap.data!.sessions.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(id);
    });
  });

  describe('toolUsage', () => {
    it('sums calls and counts distinct principals and sessions in [from, to)', async () => {
      const from = new Date('2025-05-25T06:00:00Z');
      const to = new Date('2025-06-12T18:30:00Z');
      const res = await h.gql('admin', `{ toolUsage(from: "${from.toISOString()}", to: "${to.toISOString()}") { tool calls principals sessions } }`);
      const inRange = calls.filter((c) => c.at >= from && c.at < to);
      const expected = TOOLS.map((tool) => {
        const using = inRange.filter((c) => c.tools[tool]);
        return {
          tool,
          calls: using.reduce((n, c) => n + c.tools[tool], 0),
          principals: new Set(using.map((c) => c.principal)).size,
          sessions: new Set(using.filter((c) => c.session).map((c) => c.session)).size,
        };
      }).filter((r) => r.calls > 0).sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool));
      expect(res.data!.toolUsage).toEqual(expected);
    });
  });

  describe('adoption', () => {
    it('has a point for each of the last 30 UTC days, zeros included', async () => {
      const res = await h.gql('admin', '{ adoption { day activePrincipals requests costUsd } }');
      expect(res.errors).toBeUndefined();
      const points = res.data!.adoption as { day: string; activePrincipals: number; requests: number; costUsd: number }[];
      expect(points).toHaveLength(30);
      expect(points[0].day).toBe('2025-05-17');
      expect(points[29].day).toBe('2025-06-15');
      for (const point of points) {
        const cs = calls.filter((c) => utcDay(c.at) === point.day);
        expect(point).toEqual({ day: point.day, activePrincipals: new Set(cs.map((c) => c.principal)).size, requests: cs.length, costUsd: Number(sum(cs, 'costMicros')) / 1e6 });
      }
    });

    it('covers an explicit range and refuses one longer than ten years', async () => {
      const res = await h.gql('admin', '{ adoption(from: "2025-04-29T00:00:00Z", to: "2025-05-02T00:00:00Z") { day requests } }');
      expect(res.data!.adoption.map((p: { day: string }) => p.day)).toEqual(['2025-04-29', '2025-04-30', '2025-05-01']);
      expect(res.data!.adoption[0].requests).toBe(0);
      expect(codes(await h.gql('admin', '{ adoption(from: "2000-01-01T00:00:00Z") { day } }'))).toEqual(['BAD_USER_INPUT']);
    });
  });
});
