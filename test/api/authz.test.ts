import 'reflect-metadata';
import { buildAdminSchema } from '../../api/schema';
import { ALICE, CI_BOT, codes, startHarness, type Harness } from './harness';

const NOW = new Date('2025-06-15T12:00:00.000Z');
const BOB = 'user:bob@example.com';
const SOME_UUID = '00000000-0000-4000-8000-000000000000';

/** One call per root field, with valid arguments. Admin-only unless listed in SELF_SERVICE. */
const OPERATIONS: Record<string, { query: string; variables?: Record<string, unknown> }> = {
  me: { query: '{ me { id } }' },
  providers: { query: '{ providers { id } }' },
  modelRoutes: { query: '{ modelRoutes { id } }' },
  quotas: { query: '{ quotas { id } }' },
  usage: { query: '{ usage(groupBy: []) { requests } }' },
  sessions: { query: '{ sessions { totalCount } }' },
  session: { query: '{ session(id: "s-1") { id } }' },
  toolUsage: { query: '{ toolUsage { tool } }' },
  adoption: { query: '{ adoption { day } }' },
  principalAdoption: { query: '{ principalAdoption { principal } }' },
  auditLog: { query: '{ auditLog { id } }' },
  exportStatus: { query: '{ exportStatus { lagSeconds } }' },
  quotaStatus: { query: '{ quotaStatus { holder } }' },
  upsertProvider: { query: 'mutation { upsertProvider(input: { name: "local", kind: OPENAI_COMPATIBLE, baseUrl: "http://127.0.0.1:9" }) { id } }' },
  setProviderKey: { query: 'mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id } }', variables: { k: 'sk-test-short' } },
  revokeProviderKey: { query: `mutation { revokeProviderKey(id: "${SOME_UUID}") { id } }` },
  upsertModelRoute: { query: 'mutation { upsertModelRoute(input: { model: "m", provider: "openai" }) { id } }' },
  deleteModelRoute: { query: `mutation { deleteModelRoute(id: "${SOME_UUID}") }` },
  setQuota: { query: 'mutation { setQuota(input: { subject: "*", window: DAY, maxRequests: 1 }) { id } }' },
  deleteQuota: { query: `mutation { deleteQuota(id: "${SOME_UUID}") }` },
};
const SELF_SERVICE = ['me', 'usage', 'sessions', 'session', 'toolUsage', 'quotaStatus'];

describe('admin API authorization', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    await h.db.prisma.provider.create({ data: { name: 'openai', kind: 'OPENAI', baseUrl: 'https://api.openai.com/v1' } });
    // Two people's records: alice must only ever see hers.
    const day = new Date('2025-06-14T00:00:00Z');
    await h.db.prisma.usageDaily.createMany({
      data: [
        { day, principalId: ALICE.id, model: 'gpt-5', provider: 'openai', client: 'codex', requests: 3, inputTokens: 30n, outputTokens: 3n, costMicros: 3_000n },
        { day, principalId: BOB, model: 'gpt-5', provider: 'openai', client: 'codex', requests: 5, inputTokens: 50n, outputTokens: 5n, costMicros: 5_000n },
      ],
    });
    const at = new Date('2025-06-14T10:00:00Z');
    await h.db.prisma.session.createMany({
      data: [
        { id: 's-alice', principalId: ALICE.id, client: 'codex', models: ['gpt-5'], startedAt: at, lastSeenAt: at, requests: 3 },
        { id: 's-bob', principalId: BOB, client: 'codex', models: ['gpt-5'], startedAt: at, lastSeenAt: at, requests: 5 },
      ],
    });
    await h.db.prisma.toolCall.createMany({
      data: [
        { requestId: SOME_UUID, sessionId: 's-alice', principalId: ALICE.id, at, tool: 'read_file', calls: 2 },
        { requestId: SOME_UUID, sessionId: 's-bob', principalId: BOB, at, tool: 'bash', calls: 7 },
      ],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists every root field of the schema here (a new field must be classified)', async () => {
    const schema = await buildAdminSchema();
    const roots = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    expect(roots.sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('answers FORBIDDEN to non-admins (user and tagged device) on every admin operation, and changes nothing', async () => {
    const before = await h.db.prisma.auditEvent.count();
    for (const [name, op] of Object.entries(OPERATIONS)) {
      if (SELF_SERVICE.includes(name)) continue;
      for (const caller of ['alice', 'ci'] as const) {
        const res = await h.gql(caller, op.query, op.variables);
        expect({ name, caller, codes: codes(res), data: res.data ?? null }).toEqual({ name, caller, codes: ['FORBIDDEN'], data: null });
      }
    }
    expect(await h.db.prisma.auditEvent.count()).toBe(before);
    expect(await h.db.prisma.provider.count()).toBe(1);
    expect(await h.db.prisma.quota.count()).toBe(0);
    expect(await h.db.prisma.providerKey.count()).toBe(0);
    // Refusals are logged (without the variables: setProviderKey's holds a key).
    expect(h.logs.filter((l) => l.includes('non-admin denied')).length).toBeGreaterThanOrEqual(2 * (Object.keys(OPERATIONS).length - SELF_SERVICE.length));
    expect(h.logs.join('\n')).not.toContain('sk-test-short');
  });

  it('lets non-admins use the self-service operations', async () => {
    for (const name of SELF_SERVICE) {
      const res = await h.gql('alice', OPERATIONS[name].query, OPERATIONS[name].variables);
      expect({ name, errors: res.errors ?? [] }).toEqual({ name, errors: [] });
    }
  });

  it('lets admins do everything', async () => {
    for (const [name, op] of Object.entries(OPERATIONS)) {
      const res = await h.gql('admin', op.query, op.variables);
      const allowed = (res.errors ?? []).every((e) => e.extensions?.code !== 'FORBIDDEN' && e.extensions?.code !== 'INTERNAL_SERVER_ERROR');
      expect({ name, allowed, errors: allowed ? [] : res.errors }).toEqual({ name, allowed: true, errors: [] });
    }
  });

  it('me: who the connection says, whatever the client sends', async () => {
    const res = await h.gql('ci', '{ me { id kind login tags displayName isAdmin } }');
    expect(res.data).toEqual({ me: { id: CI_BOT.id, kind: 'TAGGED', login: null, tags: ['tag:ci'], displayName: null, isAdmin: false } });
    const spoof = await h.http('alice', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'tailscale-user-login': 'admin@example.com', authorization: 'Bearer admin' },
      body: JSON.stringify({ query: '{ me { id isAdmin } }' }),
    });
    expect(JSON.parse(spoof.text).data).toEqual({ me: { id: ALICE.id, isAdmin: false } });
    const admin = await h.gql('admin', '{ me { id isAdmin displayName } }');
    expect(admin.data).toEqual({ me: { id: 'user:admin@example.com', isAdmin: true, displayName: 'Ada Admin' } });
  });

  it('usage: a non-admin sees only their own rows, and naming someone else is FORBIDDEN', async () => {
    const own = await h.gql('alice', '{ usage(groupBy: [PRINCIPAL]) { principal requests } }');
    expect(own.data).toEqual({ usage: [{ principal: ALICE.id, requests: 3 }] });
    const explicit = await h.gql('alice', `{ usage(groupBy: [], filter: { principal: "${ALICE.id}" }) { requests } }`);
    expect(explicit.data).toEqual({ usage: [{ requests: 3 }] });
    const other = await h.gql('alice', `{ usage(groupBy: [], filter: { principal: "${BOB}" }) { requests } }`);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    const admin = await h.gql('admin', '{ usage(groupBy: [PRINCIPAL]) { principal requests } }');
    expect(admin.data).toEqual({ usage: [{ principal: ALICE.id, requests: 3 }, { principal: BOB, requests: 5 }] });
  });

  it('sessions and session: only one\'s own', async () => {
    const own = await h.gql('alice', '{ sessions { totalCount edges { node { id principal } } } }');
    expect(own.data).toEqual({ sessions: { totalCount: 1, edges: [{ node: { id: 's-alice', principal: ALICE.id } }] } });
    expect(codes(await h.gql('alice', `{ sessions(principal: "${BOB}") { totalCount } }`))).toEqual(['FORBIDDEN']);
    // Someone else's session reads as absent rather than FORBIDDEN: no probing for session ids.
    expect((await h.gql('alice', '{ session(id: "s-bob") { id } }')).data).toEqual({ session: null });
    expect((await h.gql('alice', '{ session(id: "s-alice") { id toolCalls { tool calls } } }')).data).toEqual({ session: { id: 's-alice', toolCalls: [{ tool: 'read_file', calls: 2 }] } });
    expect((await h.gql('admin', '{ session(id: "s-bob") { id } }')).data).toEqual({ session: { id: 's-bob' } });
    expect((await h.gql('admin', '{ sessions { totalCount } }')).data).toEqual({ sessions: { totalCount: 2 } });
  });

  it('toolUsage and quotaStatus: only one\'s own', async () => {
    expect((await h.gql('alice', '{ toolUsage { tool calls principals sessions } }')).data).toEqual({ toolUsage: [{ tool: 'read_file', calls: 2, principals: 1, sessions: 1 }] });
    expect(codes(await h.gql('alice', `{ toolUsage(principal: "${BOB}") { tool } }`))).toEqual(['FORBIDDEN']);
    expect((await h.gql('admin', '{ toolUsage { tool calls } }')).data).toEqual({ toolUsage: [{ tool: 'bash', calls: 7 }, { tool: 'read_file', calls: 2 }] });
    expect(codes(await h.gql('alice', `{ quotaStatus(principal: "${BOB}") { holder } }`))).toEqual(['FORBIDDEN']);
    expect((await h.gql('alice', `{ quotaStatus(principal: "${ALICE.id}") { holder } }`)).errors).toBeUndefined();
  });

  it('a non-admin mixing self-service and admin fields gets FORBIDDEN for the admin ones', async () => {
    const res = await h.gql('alice', '{ me { id } providers { id } }');
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.errors![0].path).toEqual(['providers']);
  });
});
