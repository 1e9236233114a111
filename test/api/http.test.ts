import 'reflect-metadata';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { createAdminApi, MAX_BODY_BYTES } from '../../api';
import { MAX_ROOT_FIELDS } from '../../api/limits';
import { silentLogger } from '../../core/logger';
import { ADMIN, codes, startHarness, type Harness } from './harness';

describe('admin API over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves queries over GET with a CSRF preflight header, and refuses simple cross-site requests', async () => {
    const query = encodeURIComponent('{ me { id } }');
    const ok = await h.http('alice', { method: 'GET', path: `/graphql?query=${query}`, headers: { 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ data: { me: { id: 'user:alice@example.com' } } });
    expect(ok.headers['cache-control']).toBe('no-store');

    // A page on another site can make the browser send these without a preflight.
    const simpleGet = await h.http('alice', { method: 'GET', path: `/graphql?query=${query}` });
    expect(simpleGet.status).toBe(400);
    expect(simpleGet.text).toMatch(/Cross-Site Request Forgery/);
    const form = await h.http('admin', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: 'mutation { setQuota(input: { subject: "*", window: DAY, maxRequests: 1 }) { id } }' }) });
    expect(form.status).toBe(400);
    expect(await h.db.prisma.quota.count()).toBe(0);
  });

  it('refuses mutations over GET', async () => {
    const mutation = encodeURIComponent('mutation { deleteQuota(id: "00000000-0000-4000-8000-000000000000") }');
    const res = await h.http('admin', { method: 'GET', path: `/graphql?query=${mutation}`, headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
    expect(await h.db.prisma.auditEvent.count()).toBe(0);
  });

  it('answers malformed and oversized bodies with 400 and 413, and keeps serving', async () => {
    const bad = await h.http('admin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).errors[0]).toMatchObject({ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } });

    const huge = JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    const tooLarge = await h.http('admin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).errors[0].extensions.code).toBe('BAD_REQUEST');

    const after = await h.gql('admin', '{ me { id } }');
    expect(after.data).toEqual({ me: { id: ADMIN.id } });
  });

  it('limits the root fields of one operation (aliases included)', async () => {
    const many = Array.from({ length: MAX_ROOT_FIELDS + 1 }, (_, i) => `u${i}: toolUsage { tool }`).join(' ');
    const res = await h.gql('alice', `{ ${many} }`);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toBe(`an operation may select at most ${MAX_ROOT_FIELDS} root fields; this one selects ${MAX_ROOT_FIELDS + 1}`);
    const viaFragment = await h.gql('alice', `query { ...F } fragment F on Query { ${many} }`);
    expect(codes(viaFragment)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const fine = Array.from({ length: MAX_ROOT_FIELDS }, (_, i) => `u${i}: toolUsage { tool }`).join(' ');
    expect((await h.gql('alice', `{ ${fine} }`)).errors).toBeUndefined();
  });

  it('logs one line per request with its id, caller and operation, never the variables', async () => {
    h.logs.length = 0;
    await h.gql('admin', 'mutation Rotate($k: String!) { setProviderKey(provider: "none", key: $k) { id } }', { k: 'sk-test-short' });
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'admin api request')).toMatchObject({ reqId: expect.any(String), principal: ADMIN.id, op: 'mutation Rotate', status: 200, component: 'admin-api' });
    expect(h.logs.join('\n')).not.toContain('sk-test-short');
  });

  describe('mounted the way the gateway mounts it', () => {
    const pending: Promise<void>[] = [];
    let server: http.Server;
    let url: string;
    let api: Awaited<ReturnType<typeof createAdminApi>>;

    beforeAll(async () => {
      api = await createAdminApi({ prisma: h.db.prisma, vault: h.vault, log: silentLogger() });
      server = http.createServer((req, res) => {
        if (req.headers['x-test-preread'] === '1') {
          // The gateway may already have read the body: hand it over.
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => pending.push(api.handle(req, res, ADMIN, Buffer.concat(chunks))));
        } else {
          pending.push(api.handle(req, res, ADMIN, null));
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.stop();
    });

    it('accepts a body the gateway has already read', async () => {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-preread': '1' }, body: JSON.stringify({ query: '{ me { isAdmin } }' }) });
      expect(await res.body.json()).toEqual({ data: { me: { isAdmin: true } } });
    });

    it('never throws, even when the client vanishes mid-body', async () => {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query":');
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await expect(Promise.all(pending)).resolves.toBeDefined();
    });

    it('answers 503 once stopped', async () => {
      await api.stop();
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
      expect(res.statusCode).toBe(503);
      expect((await res.body.json()) as unknown).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    });
  });
});
