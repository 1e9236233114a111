import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../core/db/client';
import { startHarness, type Harness } from './harness';

/**
 * Nested lists resolve with one query per level, however many parents there are: the API gets a
 * Prisma client that counts every operation it runs.
 */
describe('nested fields are batched per request (DataLoader)', () => {
  let h: Harness;
  const operations: string[] = [];
  const countingPrisma = (prisma: Prisma): Prisma =>
    prisma.$extends({
      query: {
        $allModels: {
          async $allOperations({ model, operation, args, query }) {
            operations.push(`${model}.${operation}`);
            return query(args);
          },
        },
        async $queryRaw({ args, query }) {
          operations.push('$queryRaw');
          return query(args);
        },
      },
    }) as unknown as Prisma;

  beforeAll(async () => {
    h = await startHarness({ wrapPrisma: countingPrisma });
    const { prisma } = h.db;
    for (let i = 0; i < 8; i++) {
      const provider = await prisma.provider.create({ data: { name: `p${i}`, kind: 'OPENAI_COMPATIBLE', baseUrl: `http://127.0.0.1:${9000 + i}` } });
      await prisma.providerKey.createMany({ data: [0, 1].map((k) => ({ providerId: provider.id, ciphertext: new Uint8Array([1]), fingerprint: `fp-${i}-${k}`, last4: '****' })) });
      await prisma.modelRoute.create({ data: { model: `m${i}`, providerId: provider.id } });
    }
    const now = new Date();
    for (let s = 0; s < 12; s++) {
      await prisma.session.create({ data: { id: `s${s}`, principalId: 'user:alice@example.com', client: 'codex', models: [], startedAt: now, lastSeenAt: now } });
      await prisma.toolCall.createMany({ data: ['bash', 'edit'].map((tool) => ({ requestId: randomUUID(), sessionId: `s${s}`, principalId: 'user:alice@example.com', at: now, tool, calls: s + 1 })) });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('Provider.keys and ModelRoute.provider: one query each, for all parents', async () => {
    operations.length = 0;
    const res = await h.gql('admin', '{ providers { name keys { id } } modelRoutes { model provider { name } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.providers).toHaveLength(8);
    expect(res.data!.providers.every((p: { keys: unknown[] }) => p.keys.length === 2)).toBe(true);
    expect(res.data!.modelRoutes.map((r: { model: string; provider: { name: string } }) => [r.model, r.provider.name])).toEqual(Array.from({ length: 8 }, (_, i) => [`m${i}`, `p${i}`]));
    expect(operations.sort()).toEqual(['ModelRoute.findMany', 'Provider.findMany', 'Provider.findMany', 'ProviderKey.findMany']);
  });

  it('Session.toolCalls: one grouped query for a page of sessions', async () => {
    operations.length = 0;
    const res = await h.gql('admin', '{ sessions(first: 50) { edges { node { id toolCalls { tool calls } } } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.sessions.edges).toHaveLength(12);
    expect(res.data!.sessions.edges.find((e: { node: { id: string } }) => e.node.id === 's3').node.toolCalls).toEqual([{ tool: 'bash', calls: 4 }, { tool: 'edit', calls: 4 }]);
    expect(operations.sort()).toEqual(['$queryRaw', 'Session.count', 'Session.findMany']);
  });
});
