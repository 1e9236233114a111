import 'reflect-metadata';
import { adminControlPlane } from '../../app/control-plane';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';

const ADMIN = '127.0.0.2';
const USER = '127.0.0.3';

/** The admin API as a real client reaches it: over the gateway's listener, identified by whois. */
describe('GraphQL through the gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ start: { controlPlane: adminControlPlane } });
    gw.tailscale.addUser(ADMIN, { login: 'ops@example.com', caps: { 'example.com/cap/tailgate': [{ role: 'admin' }] } });
    gw.tailscale.addUser(USER, { login: 'bob@example.com', caps: { 'example.com/cap/tailgate': [{ role: 'user', models: ['gpt-*', 'claude-*'] }] } });
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function gql(ip: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
    const res = await gw.fetchFrom(ip)(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as never;
  }

  it('knows who is calling from Tailscale alone', async () => {
    expect((await gql(ADMIN, '{ me { id kind isAdmin } }')).data!.me).toEqual({ id: 'user:ops@example.com', kind: 'USER', isAdmin: true });
    expect((await gql(USER, '{ me { id isAdmin } }')).data!.me).toEqual({ id: 'user:bob@example.com', isAdmin: false });
  });

  it('non-admins are FORBIDDEN from admin operations', async () => {
    const res = await gql(USER, 'mutation { setProviderKey(provider: "openai", key: "whatever-key-1234") { id } }');
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(USER, '{ providers { name } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a rotated key reaches the provider within seconds, without a restart; the old one is never sent again', async () => {
    const oldKey = String(gw.sim.keys.openai);
    const newKey = `rotated-openai-${Date.now()}`;
    gw.sim.keys.openai = [oldKey, newKey];
    const set = await gql(ADMIN, 'mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id last4 state fingerprint } }', { k: newKey });
    expect(set.data!.setProviderKey).toMatchObject({ last4: newKey.slice(-4), state: 'ACTIVE' });
    expect(JSON.stringify(set)).not.toContain(newKey);
    await eventually(async () => {
      gw.sim.clearReceived();
      const res = await gw.fetchFrom(USER)(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect(gw.sim.lastReceived('openai')!.headers.authorization).toBe(`Bearer ${newKey}`);
    }, 2000);
    gw.sim.clearReceived();
    for (let i = 0; i < 5; i++) {
      await gw.fetchFrom(USER)(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }) });
    }
    expect(gw.sim.received.map((r) => r.headers.authorization)).toEqual(Array(5).fill(`Bearer ${newKey}`));
    const keys = await gql(ADMIN, '{ providers { name keys { state last4 } } }');
    const openai = keys.data!.providers.find((p: { name: string }) => p.name === 'openai');
    expect(openai.keys.map((k: { state: string }) => k.state).sort()).toEqual(['ACTIVE', 'RETIRED']);
    const audit = await gql(ADMIN, '{ auditLog(first: 10) { action actor detail } }');
    expect(audit.data!.auditLog.some((e: { action: string; actor: string }) => e.action === 'setProviderKey' && e.actor === 'user:ops@example.com')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(newKey);
    expect(gw.logs.join('\n')).not.toContain(newKey);
  });

  it('usage and sessions equal what was sent through the gateway; users see only their own', async () => {
    const session = `sess-${Date.now()}`;
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetchFrom(USER)(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-session-id': session }, body: JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 20, messages: [{ role: 'user', content: `q${i}` }] }) });
      expect(res.status).toBe(200);
    }
    const sent = gw.sim.sent.filter((s) => s.provider === 'anthropic');
    const input = sent.reduce((n, s) => n + s.usage!.inputTokens, 0);
    const output = sent.reduce((n, s) => n + s.usage!.outputTokens, 0);
    await eventually(async () => {
      const usage = await gql(USER, '{ usage(groupBy: [MODEL]) { model requests inputTokens outputTokens } }');
      expect(usage.data!.usage.find((r: { model: string }) => r.model === 'claude-opus-4-8')).toEqual({ model: 'claude-opus-4-8', requests: 3, inputTokens: input, outputTokens: output });
    });
    const sessions = await gql(USER, '{ sessions(first: 10) { totalCount edges { node { id principal requests client } } } }');
    expect(sessions.data!.sessions.edges.map((e: { node: unknown }) => e.node)).toContainEqual({ id: session, principal: 'user:bob@example.com', requests: 3, client: 'other' });
    const other = await gql(USER, '{ usage(groupBy: [PRINCIPAL], filter: { principal: "user:ops@example.com" }) { requests } }');
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
