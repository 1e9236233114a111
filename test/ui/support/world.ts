import { adminControlPlane } from '../../../app/control-plane';
import { quotaAdmission } from '../../../app/admission';
import { APP_CAP, eventually, startTestGateway, type TestGateway } from '../../support/gateway';
import { makeHistory, PRINCIPALS, seedHistory, type SeedCall } from './seed';

/** The browser reaches the gateway from 127.0.0.1 only; model calls come from these. */
export const BROWSER_IP = '127.0.0.1';
export const BOB_IP = '127.0.0.2';
export const FAY_IP = '127.0.0.3';
export const ADMIN_CAPS = { [APP_CAP]: [{ role: 'admin' }] };
export const USER_CAPS = { [APP_CAP]: [{ role: 'user' }] };

export interface World {
  gw: TestGateway;
  history: SeedCall[];
  /** Session id of bob's live calls today (with tool calls). */
  liveSession: string;
  /** GraphQL as the browser's identity (127.0.0.1). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A real gateway (tailscale identity mode, quota admission, the admin API and the dashboard)
 * with a seeded history and a few live calls sent through it today. `browserUser` is who
 * 127.0.0.1 is.
 */
export async function startWorld(browserUser: { login: string; caps: Record<string, unknown[]> }): Promise<World> {
  const gw = await startTestGateway({ start: { controlPlane: adminControlPlane, admission: quotaAdmission } });
  gw.tailscale.addUser(BROWSER_IP, browserUser);
  gw.tailscale.addUser(BOB_IP, { login: 'bob@example.com', caps: USER_CAPS });
  gw.tailscale.addUser(FAY_IP, { login: 'fay@example.com', caps: USER_CAPS });
  const history = makeHistory();
  await seedHistory(gw.db.prisma, history);

  const liveSession = `live-bob-${Date.now()}`;
  const post = async (ip: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await gw.fetchFrom(ip)(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  };
  const claude = { 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.1.197 (external, cli)', 'x-claude-code-session-id': liveSession };
  await post(BOB_IP, '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 50, tools: [{ name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }], messages: [{ role: 'user', content: 'TOOLTEST read the file' }] }, claude);
  await post(BOB_IP, '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 50, stream: true, tools: [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }], messages: [{ role: 'user', content: 'TOOLTEST run it' }] }, claude);
  await post(BOB_IP, '/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'thanks' }] }, claude);
  await post(FAY_IP, '/v1/chat/completions', { model: 'gpt-5', messages: [{ role: 'user', content: 'hello' }] }, { 'user-agent': 'OpenAI/JS 6.49.0' });

  const gql = async <T,>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await gw.fetchFrom(BROWSER_IP)(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data as T;
  };
  // The ledger writes off the hot path: wait until today's calls are in the rollup and the session.
  await eventually(async () => {
    const res = await gw.fetchFrom(BOB_IP)(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ session(id: "${liveSession}") { requests } }` }) });
    const body = (await res.json()) as { data: { session: { requests: number } | null } };
    if (body.data.session?.requests !== 3) throw new Error('live calls not recorded yet');
  });
  return { gw, history, liveSession, gql, stop: () => gw.stop() };
}

export { PRINCIPALS };
