import { Agent, request } from 'undici';
import { startTestGateway, type TestGateway } from '../support/gateway';

/**
 * Behind `tailscale serve` (HTTP proxy), tailscaled connects from loopback over pooled
 * connections and names each caller in X-Forwarded-For: identity is per request.
 */
describe('identity behind the tailscale serve proxy', () => {
  let trusting: TestGateway;
  let strict: TestGateway;
  beforeAll(async () => {
    trusting = await startTestGateway({ env: { TAILGATE_SERVE_PROXY: 'true' } });
    strict = await startTestGateway({ sim: trusting.sim, tailscale: trusting.tailscale });
    trusting.tailscale.addUser('100.101.1.1', { login: 'alice@example.com' });
    trusting.tailscale.addTagged('100.101.1.2', { tags: ['tag:ci'], nodeName: 'runner' });
  });
  afterAll(async () => {
    await strict.stop();
    await trusting.stop();
  });

  it('identifies each request on one pooled connection by its X-Forwarded-For', async () => {
    const pooled = new Agent({ connections: 1, localAddress: '127.0.0.1' });
    const whoami = async (gw: TestGateway, xff: string) => {
      const res = await request(`${gw.url}/v1/tailgate/whoami`, { dispatcher: pooled, headers: { 'x-forwarded-for': xff } });
      return { status: res.statusCode, body: (await res.body.json()) as { principal?: string } };
    };
    expect(await whoami(trusting, '100.101.1.1')).toMatchObject({ status: 200, body: { principal: 'user:alice@example.com' } });
    expect(await whoami(trusting, '100.101.1.2')).toMatchObject({ status: 200, body: { principal: 'tag:ci' } });
    expect(await whoami(trusting, '100.101.1.1')).toMatchObject({ status: 200, body: { principal: 'user:alice@example.com' } });
    expect((await whoami(trusting, '100.101.9.9')).status).toBe(401);
    // Without TAILGATE_SERVE_PROXY the header means nothing: loopback is never an identity.
    expect((await whoami(strict, '100.101.1.1')).status).toBe(401);
    await pooled.close();
  });

  it('trusts the header from any loopback peer: serve mode is only for listeners serve alone can reach', async () => {
    trusting.tailscale.addUser('127.0.0.8', { login: 'mallory@example.com' });
    const direct = await trusting.fetchFrom('127.0.0.8')(`${trusting.url}/v1/tailgate/whoami`, { headers: { 'x-forwarded-for': '100.101.1.1' } });
    // 127.0.0.8 is loopback too: serve mode must only be enabled where serve is the sole way in.
    expect(((await direct.json()) as { principal: string }).principal).toBe('user:alice@example.com');
  });
});
