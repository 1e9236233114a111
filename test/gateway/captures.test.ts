import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';

/**
 * Replays of real requests recorded from Claude Code 2.1.197, Codex 0.169.0 and Gemini CLI 0.61.0
 * (shared/captures, copied into test/fixtures): same method, path, query, headers and body, with
 * made-up client credentials that must never reach the provider.
 */
interface Capture {
  capture: string;
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

const load = (name: string): Capture[] =>
  readFileSync(path.join(__dirname, '..', 'fixtures', 'captures', `${name}.jsonl`), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Capture);

const CLIENT_SECRET = 'client-held-credential-that-must-not-travel';
const SKIP = new Set(['host', 'content-length', 'connection', 'accept-encoding']);
const USER = '127.0.0.5';

function replayHeaders(capture: Capture): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(capture.headers)) {
    if (SKIP.has(name.toLowerCase())) continue;
    headers[name] = value.replace('REDACTED', CLIENT_SECRET);
  }
  return headers;
}

describe('replayed agent traffic', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    gw.tailscale.addUser(USER, { login: 'dev@example.com' });
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function replay(capture: Capture): Promise<{ status: number; text: string }> {
    const query = new URLSearchParams(capture.query).toString();
    const res = await gw.fetchFrom(USER)(`${gw.url}${capture.path}${query ? `?${query}` : ''}`, {
      method: capture.method,
      headers: replayHeaders(capture),
      body: capture.body === null ? undefined : JSON.stringify(capture.body),
    });
    return { status: res.status, text: await res.text() };
  }

  function assertCleanUpstream(): void {
    for (const request of gw.sim.received) {
      const all = JSON.stringify(request.headers) + JSON.stringify(request.query);
      expect(all).not.toContain(CLIENT_SECRET);
      expect(all).not.toContain('REDACTED');
    }
  }

  it('Claude Code: probe, streamed messages with ?beta=true, tool round trip, Bearer and x-api-key callers; one session per run', async () => {
    gw.sim.clearReceived();
    for (const capture of load('claude-code')) {
      const { status, text } = await replay(capture);
      expect(status).toBe(200);
      if (capture.method === 'POST') expect(text).toContain('event: message_stop');
    }
    const posts = gw.sim.received.filter((r) => r.provider === 'anthropic');
    expect(posts).toHaveLength(5);
    for (const request of posts) {
      expect(request.query.beta).toBe('true');
      expect(request.headers['x-api-key']).toBe(gw.sim.keys.anthropic);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['anthropic-beta']).toContain('claude-code-20250219');
      expect(request.headers['x-claude-code-session-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(request.headers['user-agent']).toMatch(/^claude-cli\//);
    }
    assertCleanUpstream();
    const sessionIds = [...new Set(load('claude-code').filter((c) => c.method === 'POST').map((c) => c.headers['X-Claude-Code-Session-Id']))];
    await eventually(async () => {
      const sessions = await gw.db.prisma.session.findMany({ where: { id: { in: sessionIds } }, orderBy: { id: 'asc' } });
      expect(sessions).toHaveLength(sessionIds.length);
      for (const s of sessions) expect(s).toMatchObject({ client: 'claude-code', principalId: 'user:dev@example.com' });
      expect(sessions.reduce((n, s) => n + s.requests, 0)).toBe(5);
    });
    const tools = await gw.db.prisma.toolCall.findMany({ where: { principalId: 'user:dev@example.com' } });
    expect(tools.map((t) => t.tool)).toContain('Read');
  });

  it('Codex: WebSocket probe gets 426 at once, Responses streams carry the session; tool call recorded', async () => {
    gw.sim.clearReceived();
    for (const capture of load('codex')) {
      if (capture.headers.Upgrade || capture.headers.upgrade) {
        const { port } = new URL(gw.url);
        const head = Object.entries(capture.headers).filter(([k]) => k.toLowerCase() !== 'host').map(([k, v]) => `${k}: ${v.replace('REDACTED', CLIENT_SECRET)}`).join('\r\n');
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: Number(port), localAddress: USER });
          let data = '';
          socket.on('data', (c) => { data += c.toString(); });
          socket.on('close', () => resolve(data));
          socket.on('error', reject);
          socket.write(`GET ${capture.path} HTTP/1.1\r\nhost: gateway\r\n${head}\r\n\r\n`);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 426/);
        continue;
      }
      const { status, text } = await replay(capture);
      expect(status).toBe(200);
      expect(text).toContain('event: response.completed');
    }
    const posts = gw.sim.received.filter((r) => r.provider === 'openai');
    expect(posts).toHaveLength(4);
    for (const request of posts) {
      expect(request.headers.authorization).toBe(`Bearer ${gw.sim.keys.openai}`);
      expect(request.headers['session-id']).toBeDefined();
      expect(request.headers.originator).toBe('codex_exec');
    }
    assertCleanUpstream();
    const codexSessions = [...new Set(load('codex').filter((c) => c.method === 'POST').map((c) => c.headers['session-id']))];
    await eventually(async () => {
      const sessions = await gw.db.prisma.session.findMany({ where: { id: { in: codexSessions } } });
      expect(sessions.map((s) => s.client)).toEqual(codexSessions.map(() => 'codex'));
    });
    const tools = await gw.db.prisma.toolCall.findMany({ where: { sessionId: { in: codexSessions } } });
    expect(tools.map((t) => t.tool)).toContain('exec_command');
  });

  it('Gemini CLI: router call and SSE turns with x-goog-api-key; no session marker → one idle-gap session', async () => {
    gw.sim.clearReceived();
    for (const capture of load('gemini-cli')) {
      const { status } = await replay(capture);
      expect(status).toBe(200);
    }
    expect(gw.sim.received.every((r) => r.headers['x-goog-api-key'] === gw.sim.keys.gemini)).toBe(true);
    assertCleanUpstream();
    await eventually(async () => {
      const sessions = await gw.db.prisma.session.findMany({ where: { client: 'gemini-cli' } });
      expect(sessions).toHaveLength(1);
      expect(sessions[0].requests).toBe(5);
      expect(sessions[0].models.sort()).toEqual(['gemini-3.5-flash-lite', 'gemini-3.8-flash']);
    });
  });
});
