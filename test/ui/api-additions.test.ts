import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { ALICE, codes, startHarness, type GraphQLResponse, type Harness } from '../api/harness';

/**
 * The two GraphQL fields the dashboard added to the admin API: Session.requestLog (a session's
 * requests in order, for its page) and principalAdoption (first day, activity and retention per
 * principal, for the adoption page). Seeded directly, the way the ledger writes.
 */
const NOW = new Date('2025-06-30T12:00:00.000Z');
const DAY_MS = 86_400_000;
const day = (d: string) => new Date(`${d}T00:00:00Z`);

describe('dashboard additions to the admin API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
  });
  afterAll(async () => {
    await h.close();
  });

  describe('Session.requestLog', () => {
    const session = 'sess-log';
    const ids = Array.from({ length: 7 }, () => randomUUID());
    beforeAll(async () => {
      const start = Date.parse('2025-06-29T10:00:00Z');
      await h.db.prisma.session.create({ data: { id: session, principalId: ALICE.id, client: 'claude-code', models: ['claude-sonnet-4-5'], startedAt: new Date(start), lastSeenAt: new Date(start + 6 * 60_000), requests: 7 } });
      await h.db.prisma.session.create({ data: { id: 'sess-other', principalId: 'user:bob@example.com', client: 'codex', models: ['gpt-5'], startedAt: new Date(start), lastSeenAt: new Date(start), requests: 1 } });
      // Two requests share a millisecond: the log orders them by ledger sequence.
      await h.db.prisma.requestRecord.createMany({
        data: ids.map((id, i) => ({
          id, at: new Date(start + Math.min(i, 5) * 60_000), principalId: ALICE.id, client: 'claude-code', sessionId: session, provider: 'anthropic',
          model: i === 3 ? 'claude-haiku-4-5' : 'claude-sonnet-4-5', endpoint: 'messages', status: i === 4 ? 429 : 200, stream: i % 2 === 0,
          inputTokens: BigInt(1000 + i), outputTokens: BigInt(100 + i), cachedInputTokens: BigInt(i * 10), reasoningTokens: 0n,
          costMicros: i === 2 ? null : BigInt(1500 * (i + 1)), latencyMs: 200 + i, ttfbMs: i === 4 ? null : 50 + i, errorClass: i === 4 ? 'rate_limited' : null,
        })),
      });
      await h.db.prisma.toolCall.createMany({
        data: [
          { requestId: ids[1], sessionId: session, principalId: ALICE.id, at: new Date(start + 60_000), tool: 'Read', calls: 2 },
          { requestId: ids[1], sessionId: session, principalId: ALICE.id, at: new Date(start + 60_000), tool: 'Bash', calls: 3 },
          { requestId: ids[5], sessionId: session, principalId: ALICE.id, at: new Date(start + 300_000), tool: 'Edit', calls: 1 },
        ],
      });
    });

    const LOG = `query($id: ID!, $first: Int, $after: String) { session(id: $id) { requestLog(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { cursor node { id at model provider endpoint stream status errorClass inputTokens outputTokens cachedInputTokens costUsd latencyMs ttfbMs tools { tool calls } } } } } }`;

    it('lists a session\'s requests oldest first, with their tools, status and cost (null when unknown)', async () => {
      const res = await h.gql('admin', LOG, { id: session });
      expect(res.errors).toBeUndefined();
      const nodes = res.data!.session.requestLog.edges.map((e: { node: Record<string, unknown> }) => e.node);
      expect(nodes.map((n: { id: string }) => n.id)).toEqual(ids);
      expect(nodes[1]).toMatchObject({ model: 'claude-sonnet-4-5', provider: 'anthropic', endpoint: 'messages', status: 200, inputTokens: 1001, outputTokens: 101, cachedInputTokens: 10, costUsd: 0.003, latencyMs: 201, ttfbMs: 51, tools: [{ tool: 'Bash', calls: 3 }, { tool: 'Read', calls: 2 }] });
      expect(nodes[2].costUsd).toBeNull();
      expect(nodes[4]).toMatchObject({ status: 429, errorClass: 'rate_limited', ttfbMs: null, tools: [] });
      expect(res.data!.session.requestLog.pageInfo).toEqual({ hasNextPage: false, endCursor: res.data!.session.requestLog.edges[6].cursor });
    });

    it('pages with an opaque cursor, without gaps or repeats (ties at one instant included)', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const res: GraphQLResponse = await h.gql('admin', LOG, { id: session, first: 2, after });
        const log: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = (res.data as any).session.requestLog;
        seen.push(...log.edges.map((e) => e.node.id));
        if (!log.pageInfo.hasNextPage) break;
        after = log.pageInfo.endCursor;
      }
      expect(seen).toEqual(ids);
    });

    it('is for the session\'s owner and admins only', async () => {
      const mine = await h.gql('alice', LOG, { id: session, first: 1 });
      expect(mine.data!.session.requestLog.edges).toHaveLength(1);
      const others = await h.gql('alice', LOG, { id: 'sess-other' });
      expect(others.errors).toBeUndefined();
      expect(others.data!.session).toBeNull();
    });

    it('refuses bad cursors and page sizes, and the sessions list (a query per row)', async () => {
      expect(codes(await h.gql('admin', LOG, { id: session, after: 'nonsense' }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await h.gql('admin', LOG, { id: session, first: 501 }))).toEqual(['BAD_USER_INPUT']);
      const listed = await h.gql('admin', '{ sessions(first: 5) { edges { node { id requestLog { edges { cursor } } } } } }');
      expect(codes(listed)).toContain('BAD_USER_INPUT');
      expect(listed.errors![0].message).toMatch(/only available on session\(id\)/);
    });
  });

  describe('principalAdoption', () => {
    // Active days per principal (UTC days); NOW is 2025-06-30.
    const ACTIVITY: Record<string, string[]> = {
      'user:old@example.com': ['2025-03-01', '2025-06-20'], // started long before the range, came back months later
      'user:churned@example.com': ['2025-06-01', '2025-06-03'], // nothing on 06-08 … 06-21
      'user:back@example.com': ['2025-06-02', '2025-06-16'], // back on day 15 (inside 06-09 … 06-22)
      'user:late@example.com': ['2025-06-01', '2025-06-25'], // back only after the follow-up window (06-08 … 06-21)
      'user:pending@example.com': ['2025-06-20'], // window 06-27 … 07-10 not over
      [ALICE.id]: ['2025-06-28'],
    };
    beforeAll(async () => {
      await h.db.prisma.usageDaily.createMany({
        data: Object.entries(ACTIVITY).flatMap(([principalId, days]) => days.map((d, i) => ({
          day: day(d), principalId, model: 'gpt-5', provider: 'openai', client: i === 0 ? 'codex' : 'claude-code', requests: 2, costMicros: 500_000n,
        }))),
      });
    });

    const QUERY = 'query($from: DateTime, $to: DateTime) { principalAdoption(from: $from, to: $to) { principal firstDay lastDay activeDays requests costUsd clients retention } }';

    it('gives each principal active in the range their first day ever, activity, clients and retention', async () => {
      const res = await h.gql('admin', QUERY);
      expect(res.errors).toBeUndefined();
      const byPrincipal = Object.fromEntries(res.data!.principalAdoption.map((p: { principal: string }) => [p.principal, p]));
      expect(Object.keys(byPrincipal).sort()).toEqual(Object.keys(ACTIVITY).sort());
      expect(byPrincipal['user:old@example.com']).toEqual({ principal: 'user:old@example.com', firstDay: '2025-03-01', lastDay: '2025-06-20', activeDays: 1, requests: 2, costUsd: 0.5, clients: ['claude-code'], retention: 'RETURNED_LATE' });
      expect(byPrincipal['user:churned@example.com']).toMatchObject({ firstDay: '2025-06-01', lastDay: '2025-06-03', activeDays: 2, requests: 4, costUsd: 1, clients: ['claude-code', 'codex'], retention: 'CHURNED' });
      expect(byPrincipal['user:back@example.com'].retention).toBe('RETURNED');
      expect(byPrincipal['user:late@example.com'].retention).toBe('RETURNED_LATE');
      expect(byPrincipal['user:pending@example.com'].retention).toBe('PENDING');
      // Newest first by first day.
      const firsts = res.data!.principalAdoption.map((p: { firstDay: string }) => p.firstDay);
      expect(firsts).toEqual([...firsts].sort().reverse());
    });

    it('judges retention as of the range\'s end', async () => {
      // As of 2025-06-15 (to exclusive), churned@'s follow-up (06-08 … 06-21) is still open.
      const res = await h.gql('admin', QUERY, { from: '2025-06-01T00:00:00Z', to: '2025-06-15T00:00:00Z' });
      const churned = res.data!.principalAdoption.find((p: { principal: string }) => p.principal === 'user:churned@example.com');
      expect(churned.retention).toBe('PENDING');
      // Exactly when the follow-up ends (06-22 00:00) it is decided.
      const decided = await h.gql('admin', QUERY, { from: '2025-06-01T00:00:00Z', to: new Date(Date.parse('2025-06-01T00:00:00Z') + 21 * DAY_MS).toISOString() });
      expect(decided.data!.principalAdoption.find((p: { principal: string }) => p.principal === 'user:churned@example.com').retention).toBe('CHURNED');
      // Activity after `to` does not count: as of 06-22, late@ (back on 06-25) had not come back.
      expect(decided.data!.principalAdoption.find((p: { principal: string }) => p.principal === 'user:late@example.com')).toMatchObject({ lastDay: '2025-06-01', retention: 'CHURNED' });
    });

    it('is for admins only', async () => {
      expect(codes(await h.gql('alice', QUERY))).toEqual(['FORBIDDEN']);
    });
  });
});
