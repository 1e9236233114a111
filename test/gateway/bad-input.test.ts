import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { KeyVault } from '../../core/vault';
import { storeProviderKey } from '../../core/provider-keys';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';

const ALICE = '127.0.0.2';
const json = { 'content-type': 'application/json' };
const anthropicHeaders = { ...json, 'anthropic-version': '2023-06-01' };

/** Raw HTTP over a socket, for framing no HTTP client would produce. */
function rawRequest(url: string, payload: string | Buffer, localAddress = ALICE): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port), localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(payload);
    setTimeout(() => socket.end(), 1500);
  });
}

describe('bad input gets a clear error in the caller’s own format', () => {
  let gw: TestGateway;
  let post: (path: string, body: string, headers?: Record<string, string>) => Promise<{ status: number; body: unknown; headers: Headers }>;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { TAILGATE_MAX_BODY: '64KiB', TAILGATE_UPSTREAM_HEADERS_TIMEOUT_MS: '800', TAILGATE_UPSTREAM_BODY_TIMEOUT_MS: '800' } });
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com' });
    const f = gw.fetchFrom(ALICE);
    post = async (path, body, headers = json) => {
      const res = await f(`${gw.url}${path}`, { method: 'POST', headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try { parsed = JSON.parse(text); } catch { /* keep text */ }
      return { status: res.status, body: parsed, headers: res.headers };
    };
  });
  afterAll(async () => {
    await gw.stop();
  });
  afterEach(() => gw.sim.clearFaults());

  const keysNeverLeak = () => {
    const all = gw.logs.join('\n');
    for (const key of Object.values(gw.sim.keys)) expect(all).not.toContain(String(key));
  };

  it('malformed JSON → 400 in each format', async () => {
    expect(await post('/v1/chat/completions', '{"model":')).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 'invalid_json' } } });
    expect(await post('/v1/messages', '{oops', anthropicHeaders)).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
    expect(await post('/v1beta/models/gemini-2.5-flash:generateContent', 'nope')).toMatchObject({ status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT' } } });
    expect(await post('/v1/chat/completions', '[1,2]')).toMatchObject({ status: 400 });
  });

  it('missing model → 400; unknown model → 404 saying how to list models', async () => {
    expect(await post('/v1/chat/completions', '{"messages":[]}')).toMatchObject({ status: 400, body: { error: { code: 'missing_model', param: 'model' } } });
    const unknown = await post('/v1/messages', JSON.stringify({ model: 'mystery-9000', max_tokens: 5, messages: [] }), anthropicHeaders);
    expect(unknown).toMatchObject({ status: 404, body: { type: 'error', error: { type: 'not_found_error' } } });
    // Whatever the wire format, the gateway names its own errors in a header.
    expect(unknown.headers.get('x-tailgate-error')).toBe('model_unknown');
    expect(JSON.stringify(unknown.body)).toContain('/v1/models');
    expect(await post('/v1beta/models/no..pe:generateContent', '{}')).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND' } } });
  });

  it('a model in the wrong wire format → 400 naming the right endpoint', async () => {
    const res = await post('/v1/messages', JSON.stringify({ model: 'gpt-5', max_tokens: 5, messages: [] }), anthropicHeaders);
    expect(res).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error' } } });
    expect(JSON.stringify(res.body)).toContain('/v1/chat/completions');
  });

  it('body over TAILGATE_MAX_BODY → 413, declared or chunked', async () => {
    const big = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    expect(await post('/v1/chat/completions', big)).toMatchObject({ status: 413, body: { error: { code: 'request_too_large' } } });
    const raw = await rawRequest(gw.url, `POST /v1/messages HTTP/1.1\r\nhost: x\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${(70 * 1024).toString(16)}\r\n${'y'.repeat(70 * 1024)}\r\n0\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 413/);
    expect(raw).toContain('"request_too_large"');
    expect(gw.sim.received.length).toBe(0);
  });

  it('unknown path → 404, wrong method → 405 with allow, in the path’s format', async () => {
    const f = gw.fetchFrom(ALICE);
    const notFound = await f(`${gw.url}/v1/nothing-here`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const geminiNotFound = await f(`${gw.url}/v1beta/whatever`);
    expect(await geminiNotFound.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const wrong = await f(`${gw.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const traversal = await rawRequest(gw.url, 'GET /v1/../../etc/passwd HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(traversal).toMatch(/^HTTP\/1\.1 404/);
  });

  it('HEAD / answers 200 without credentials; a WebSocket upgrade on /v1/responses gets 426 at once', async () => {
    const f = gw.fetchFrom(ALICE);
    expect((await f(`${gw.url}/`, { method: 'HEAD' })).status).toBe(200);
    const ws = await rawRequest(gw.url, 'GET /v1/responses HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(ws).toMatch(/^HTTP\/1\.1 426/);
  });

  it('upstream 4xx/5xx pass through in the provider’s own shape, scrubbed', async () => {
    gw.sim.failNext({ kind: 'status', status: 529 }, { provider: 'anthropic' });
    const overloaded = await post('/v1/messages', JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), anthropicHeaders);
    expect(overloaded).toMatchObject({ status: 529, body: { type: 'error', error: { type: 'overloaded_error' } } });
    gw.sim.failNext({ kind: 'status', status: 429 }, { provider: 'openai' });
    const limited = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-tailgate-request-id')).toBeTruthy();
    keysNeverLeak();
  });

  it('a key the provider rejects → 502 telling an admin to rotate it, never the key', async () => {
    const original = gw.sim.keys.gemini;
    gw.sim.keys.gemini = 'rotated-elsewhere';
    try {
      const res = await post('/v1beta/models/gemini-2.5-flash:generateContent', JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }));
      expect(res).toMatchObject({ status: 502, body: { error: { code: 502, status: 'UNAVAILABLE' } } });
      expect(JSON.stringify(res.body)).toContain('rotate');
      expect(JSON.stringify(res.body)).not.toContain(String(original));
    } finally {
      gw.sim.keys.gemini = original;
    }
  });

  it('upstream reset before headers → 502; upstream timeout → 504; hang does not block other callers', async () => {
    gw.sim.failNext({ kind: 'reset-before-headers' }, { provider: 'openai' });
    expect(await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }))).toMatchObject({ status: 502, body: { error: { type: 'server_error' } } });
    gw.sim.failNext({ kind: 'hang' }, { provider: 'anthropic' });
    const hung = post('/v1/messages', JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), anthropicHeaders);
    const meanwhile = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }));
    expect(meanwhile.status).toBe(200);
    expect(await hung).toMatchObject({ status: 504, body: { type: 'error', error: { type: 'timeout_error' } } });
  });

  it('upstream connection refused → 502 in the caller’s format', async () => {
    const vault = new KeyVault(Buffer.from(gw.env.TAILGATE_MASTER_KEY, 'base64'));
    const provider = await gw.db.prisma.provider.create({ data: { name: 'dead-upstream', kind: 'OPENAI_COMPATIBLE', baseUrl: 'http://127.0.0.1:9/v1' } });
    await gw.db.prisma.$transaction((tx) => storeProviderKey(tx, vault, { providerId: provider.id, plaintext: `dead-${randomUUID()}`, source: 'test' }));
    await gw.db.prisma.modelRoute.create({ data: { model: 'local-llama', providerId: provider.id } });
    const res = await eventually(async () => {
      const r = await post('/v1/chat/completions', JSON.stringify({ model: 'local-llama', messages: [] }));
      expect(r.status).toBe(502);
      return r;
    });
    expect(res.body).toMatchObject({ error: { code: 'tailgate_upstream_unreachable' } });
  });

  it('no key configured for the provider → 503 an admin can act on', async () => {
    await gw.db.prisma.providerKey.updateMany({ where: { provider: { name: 'openrouter' } }, data: { state: 'REVOKED', revokedAt: new Date() } });
    await eventually(async () => {
      const res = await post('/v1/chat/completions', JSON.stringify({ model: 'meta-llama/llama-3-70b', messages: [] }));
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body)).toContain('setProviderKey');
    });
  });

  it('every answer carries a fresh request id: successes, gateway errors, relayed provider errors and other routes', async () => {
    const f = gw.fetchFrom(ALICE);
    const chat = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    const answers: Array<[string, Response]> = [];
    answers.push(['model call', await f(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: chat })]);
    answers.push(['invalid JSON', await f(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: '{' })]);
    gw.sim.failNext({ kind: 'status', status: 429 }, { provider: 'openai' });
    answers.push(['provider 429', await f(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: chat })]);
    gw.sim.failNext({ kind: 'reset-before-headers' }, { provider: 'openai' });
    answers.push(['upstream reset', await f(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: chat })]);
    answers.push(['no such endpoint', await f(`${gw.url}/v1/nope`)]);
    answers.push(['HEAD /', await f(`${gw.url}/`, { method: 'HEAD' })]);
    answers.push(['healthz', await f(`${gw.url}/healthz`)]);
    answers.push(['models', await f(`${gw.url}/v1/models`)]);
    answers.push(['whoami', await f(`${gw.url}/v1/tailgate/whoami`)]);
    const ids = answers.map(([what, res]) => [what, res.status >= 100, res.headers.get('x-tailgate-request-id')] as const);
    for (const [, res] of answers) await res.arrayBuffer().catch(() => undefined);
    expect(ids.map(([what, , id]) => [what, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id ?? '')])).toEqual(answers.map(([what]) => [what, true]));
    expect(new Set(ids.map(([, , id]) => id)).size).toBe(answers.length);
    expect(answers.map(([, res]) => res.status)).toEqual([200, 400, 429, 502, 404, 200, 200, 200, 200]);
  });

  it('upstream reset mid-stream → the stream ends with the provider’s error event', async () => {
    gw.sim.failNext({ kind: 'reset-mid-stream', afterChunks: 2 }, { provider: 'anthropic' });
    const f = gw.fetchFrom(ALICE);
    const res = await f(`${gw.url}/v1/messages`, { method: 'POST', headers: anthropicHeaders, body: JSON.stringify({ model: 'claude-opus-4-8', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: message_start');
    expect(text.trimEnd()).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
  });

  it('client abort mid-stream aborts the upstream request and is recorded', async () => {
    gw.sim.chunkDelayMs = 100;
    gw.sim.streamChunks = 20;
    try {
      const controller = new AbortController();
      const f = gw.fetchFrom(ALICE);
      const res = await f(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'long' }] }), signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await eventually(async () => expect(gw.sim.lastSent('openai')!.clientClosed).toBe(true));
      await eventually(async () => expect(await gw.db.prisma.requestRecord.count({ where: { status: 499, errorClass: 'client_aborted' } })).toBe(1));
    } finally {
      gw.sim.chunkDelayMs = 0;
      gw.sim.streamChunks = 4;
    }
  });

  it('hostile framing never crashes the process nor grows its memory by 150 MB', async () => {
    const before = process.memoryUsage().rss;
    const attacks = [
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${'x-junk: ' + 'a'.repeat(8000) + '\r\n'}`.repeat(1) + `${'x-more: ' + 'b'.repeat(70_000)}\r\n\r\n`,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n{}',
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\ncontent-length: 20\r\n\r\n{}',
      Buffer.concat([Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 30\r\nconnection: close\r\n\r\n{"model":"gpt-5","m\xff\xfe":[]}'.padEnd(200, ' '), 'latin1')]),
      'GARBAGE\r\n\r\n',
    ];
    for (let round = 0; round < 20; round++) await Promise.all(attacks.map((a) => rawRequest(gw.url, a).catch(() => '')));
    const responses = await Promise.all(attacks.map((a) => rawRequest(gw.url, a).catch(() => '')));
    expect(responses[0]).toMatch(/^HTTP\/1\.1 431/);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 400/);
    expect(responses[2]).toMatch(/^HTTP\/1\.1 400/);
    // A slow body is cut off by the request timeout, not held forever; meanwhile others are served.
    const slow = net.connect({ host: '127.0.0.1', port: Number(new URL(gw.url).port), localAddress: ALICE });
    slow.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model"');
    const ok = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'still here?' }] }));
    expect(ok.status).toBe(200);
    slow.destroy();
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
    keysNeverLeak();
  });
});
