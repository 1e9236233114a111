import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import type { DoctorReport } from '../../cli/doctor/checks';
import { createDoctorCommand } from '../../cli/doctor/command';
import type { FetchLike } from '../../cli/doctor/http';
import { GatewayError } from '../../gateway/errors';
import type { Admission, QuotaStanding } from '../../gateway/quota/admission';
import { APP_CAP, startTestGateway, type TestGateway } from '../support/gateway';
import { makeTempHome, NOW, runTailgate, type RunResult } from './helpers';

const ALICE = '127.0.0.2';
const LIMITED = '127.0.0.3';
const OVER = '127.0.0.4';
const STRANGER = '127.0.0.9';

/** A home with nothing connected, so no test reads the real ~/.config/tailgate. */
let emptyHome: string;
beforeAll(() => {
  emptyHome = makeTempHome();
});
afterAll(() => {
  rmSync(emptyHome, { recursive: true, force: true });
});

/** `tailgate doctor …` in-process, its requests sent from `fetch` (a source address the fake tailscaled knows, or not). */
function doctor(fetch: FetchLike, ...argv: string[]): Promise<RunResult> {
  const home = argv.includes('--home') ? [] : ['--home', emptyHome];
  return runTailgate(['doctor', ...argv, ...home], {}, NOW, [createDoctorCommand({ fetch })]);
}

async function doctorJson(fetch: FetchLike, ...argv: string[]): Promise<{ code: number; report: DoctorReport }> {
  const result = await doctor(fetch, ...argv, '--json');
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

const check = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id);

/** A daily token quota used up by user:over@example.com, enforced the way admission does it: a quota_exceeded GatewayError. */
const OVER_QUOTA: QuotaStanding = {
  quotaId: '5d7d3f9e-0000-4000-8000-000000000001', subject: 'user:over@example.com', window: 'DAY', windowEnd: new Date('2026-11-26T00:00:00Z'),
  usedRequests: 40, usedTokens: 10_000n, usedCostMicros: 120_000n, maxRequests: null, maxTokens: 10_000n, maxCostMicros: null,
};
const quotaForOver: Admission = {
  async admit({ principal }) {
    if (principal.id === OVER_QUOTA.subject) throw new GatewayError('quota_exceeded', 'daily token quota used up', { retryAfter: 1800 });
    return { settle() {} };
  },
  standing: async (principal) => (principal.id === OVER_QUOTA.subject ? [OVER_QUOTA] : []),
  stop: async () => {},
};

describe('tailgate doctor against a real gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ start: { admission: () => quotaForOver } });
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com', nodeName: 'alice-laptop' });
    gw.tailscale.addUser(LIMITED, { login: 'lim@example.com', caps: { [APP_CAP]: [{ role: 'user', models: ['gpt-*'] }] } });
    gw.tailscale.addUser(OVER, { login: 'over@example.com' });
  });
  afterAll(async () => {
    await gw.stop();
  });
  beforeEach(() => gw.sim.clearReceived());

  it('--all: reaches the gateway, says who you are, lists your models, and probes each API format with one token', async () => {
    const result = await doctor(gw.fetchFrom(ALICE), '--url', gw.url, '--all');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = result.stdout;
    expect(out).toContain(`tailgate doctor: ${gw.url}\n`);
    expect(out).toMatch(/^ok\s+gateway\s+reachable in \d+ ms, healthy$/m);
    expect(out).toMatch(/^ok\s+identity\s+user:alice@example\.com, role user, on alice-laptop\.tail1234\.ts\.net$/m);
    expect(out).toMatch(/^ok\s+models\s+\d+ models you may use:$/m);
    expect(out).toContain('claude-haiku-4-5, claude-opus-4-8,');
    expect(out).toMatch(/^ok\s+quota\s+no quota applies to you$/m);
    expect(out).toMatch(/^ok\s+openai\s+OpenAI chat with gpt-4o-mini: answered in \d+ ms$/m);
    expect(out).toMatch(/^ok\s+anthropic\s+Anthropic messages with claude-haiku-4-5: answered in \d+ ms$/m);
    expect(out).toMatch(/^ok\s+gemini\s+Gemini generateContent with gemini-2\.5-flash-lite: answered in \d+ ms$/m);
    expect(out.endsWith('\nAll checks passed.\n')).toBe(true);

    // One tiny request per family, each carrying the gateway's key upstream, never the placeholder.
    const upstream = gw.sim.received.filter((r) => r.method === 'POST');
    expect(upstream.map((r) => [r.provider, r.path])).toEqual(expect.arrayContaining([
      ['openai', '/v1/chat/completions'], ['anthropic', '/v1/messages'], ['gemini', '/v1beta/models/gemini-2.5-flash-lite:generateContent'],
    ]));
    expect(upstream).toHaveLength(3);
    const byProvider = Object.fromEntries(upstream.map((r) => [r.provider, r]));
    expect(byProvider.openai.headers.authorization).toBe(`Bearer ${gw.sim.keys.openai}`);
    expect(byProvider.anthropic.headers['x-api-key']).toBe(gw.sim.keys.anthropic);
    expect(byProvider.gemini.headers['x-goog-api-key']).toBe(gw.sim.keys.gemini);
    expect(byProvider.openai.body).toMatchObject({ max_completion_tokens: 1 });
    expect(byProvider.anthropic.body).toMatchObject({ max_tokens: 1 });
    expect(byProvider.gemini.body).toMatchObject({ generationConfig: { maxOutputTokens: 1 } });
  });

  it('--json: the same report for machines', async () => {
    const { code, report } = await doctorJson(gw.fetchFrom(ALICE), '--url', `${gw.url}/`, '--all');
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.url).toBe(gw.url);
    expect(report.identity).toMatchObject({ principal: 'user:alice@example.com', role: 'user', node: 'alice-laptop.tail1234.ts.net', quotas: [] });
    expect(report.checks.map((c) => [c.id, c.ok])).toEqual([
      ['gateway', true], ['identity', true], ['models', true], ['quota', true], ['clients', true], ['openai', true], ['anthropic', true], ['gemini', true],
    ]);
    expect(check(report, 'models')!.items).toEqual(report.identity!.models);
    expect(report.identity!.models).toEqual(expect.arrayContaining(['gpt-5', 'claude-opus-4-8', 'gemini-2.5-pro']));
  });

  it('probes only the API formats of the clients connected here, and takes the URL from them', async () => {
    const home = makeTempHome();
    try {
      for (const client of ['claude-code', 'codex']) {
        expect((await runTailgate(['connect', client, '--url', gw.url, '--home', home])).code).toBe(0);
      }
      const { code, report } = await doctorJson(gw.fetchFrom(ALICE), '--home', home);
      expect(code).toBe(0);
      expect(report.url).toBe(gw.url);
      expect(report.clients.map((c) => c.id)).toEqual(['claude-code', 'codex']);
      expect(check(report, 'clients')!.detail).toBe('connected to this gateway: claude-code, codex');
      expect(report.checks.map((c) => c.id)).toEqual(['gateway', 'identity', 'models', 'quota', 'clients', 'openai', 'anthropic']);
      expect(check(report, 'anthropic')!.detail).toMatch(/^Anthropic messages with claude-haiku-4-5 \(for claude-code\): answered/);
      expect(check(report, 'openai')!.detail).toMatch(/^OpenAI chat with gpt-4o-mini \(for codex\): answered/);
      expect(gw.sim.received.filter((r) => r.method === 'POST').map((r) => r.provider).sort()).toEqual(['anthropic', 'openai']);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a client connected to another gateway fails the clients check with the connect command that fixes it', async () => {
    const home = makeTempHome();
    try {
      await runTailgate(['connect', 'claude-code', '--url', gw.url, '--home', home]);
      await runTailgate(['connect', 'gemini-cli', '--url', 'http://127.0.0.1:9', '--home', home]);
      const noUrl = await doctor(gw.fetchFrom(ALICE), '--home', home);
      expect(noUrl.code).toBe(2);
      expect(noUrl.stderr).toContain(`your clients are connected to different gateways (${gw.url}, http://127.0.0.1:9); pick one with --url`);

      const result = await doctor(gw.fetchFrom(ALICE), '--home', home, '--url', gw.url);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^FAIL\s+clients\s+gemini-cli points at http:\/\/127\.0\.0\.1:9, not http:\/\/127\.0\.0\.1:\d+$/m);
      expect(result.stdout).toContain(`fix: run: tailgate connect gemini-cli --url ${gw.url}\n`);
      expect(result.stdout.endsWith('\n1 check failed.\n')).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a device the tailnet does not know: 401 identity_missing, and no probe is sent', async () => {
    const result = await doctor(gw.fetchFrom(STRANGER), '--url', gw.url, '--all');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL\s+identity\s+HTTP 401: caller is not a known Tailscale node/m);
    expect(result.stdout).toContain("fix: this device is not known to the gateway's tailnet");
    expect(result.stdout).not.toContain('models');
    expect(gw.sim.received).toHaveLength(0);
  });

  it('a model the policy does not allow: 403, in the Anthropic and Gemini formats too', async () => {
    const { code, report } = await doctorJson(gw.fetchFrom(LIMITED), '--url', gw.url, '--all');
    expect(code).toBe(1);
    expect(report.identity!.allowedModels).toEqual(['gpt-*']);
    expect(report.identity!.models.every((m) => m.startsWith('gpt-'))).toBe(true);
    expect(check(report, 'openai')).toMatchObject({ ok: true });
    expect(check(report, 'anthropic')).toMatchObject({ ok: false, fix: 'your policy does not allow model claude-haiku-4-5 (it allows gpt-*): ask an admin for access' });
    expect(check(report, 'gemini')).toMatchObject({ ok: false, fix: 'your policy does not allow model gemini-2.5-flash-lite (it allows gpt-*): ask an admin for access' });
    expect(check(report, 'anthropic')!.detail).toMatch(/HTTP 403: model "claude-haiku-4-5" is not allowed/);
  });

  it('over quota: the standing from whoami, and 429 with the reset time from retry-after', async () => {
    const { code, report } = await doctorJson(gw.fetchFrom(OVER), '--url', gw.url, '--all');
    expect(code).toBe(1);
    expect(check(report, 'quota')).toMatchObject({
      ok: false,
      detail: 'daily quota for user:over@example.com: 10000/10000 tokens, resets 2026-11-26T00:00:00.000Z',
      fix: 'over quota daily quota for user:over@example.com (tokens 10000/10000), resets at 2026-11-26T00:00:00.000Z',
    });
    // retry-after: 1800 s after the (fixed) clock of the run.
    const resets = new Date(NOW.getTime() + 1800_000).toISOString();
    for (const family of ['openai', 'anthropic', 'gemini']) {
      expect(check(report, family)).toMatchObject({ ok: false, fix: `over quota daily quota for user:over@example.com (tokens 10000/10000), resets at ${resets}` });
      expect(check(report, family)!.detail).toContain('HTTP 429');
    }
    expect(gw.sim.received).toHaveLength(0);
  });
});

describe('tailgate doctor against a gateway with no provider keys', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GEMINI_API_KEY: '', OPENROUTER_API_KEY: '' } });
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com' });
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('says which provider has no key, in all three formats, and that no model is available', async () => {
    const result = await doctor(gw.fetchFrom(ALICE), '--url', gw.url, '--all');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL\s+models\s+no model is available to you$/m);
    expect(result.stdout).toContain('fix: no key configured for openai: ask an admin to run setProviderKey\n');
    expect(result.stdout).toContain('fix: no key configured for anthropic: ask an admin to run setProviderKey\n');
    expect(result.stdout).toContain('fix: no key configured for gemini: ask an admin to run setProviderKey\n');
    expect(result.stdout).toMatch(/^FAIL\s+anthropic\s+Anthropic messages with claude-haiku-4-5: HTTP 503: no API key is configured/m);
    expect(result.stdout.endsWith('\n4 checks failed.\n')).toBe(true);
    expect(gw.sim.received).toHaveLength(0);
  });
});

describe('tailgate doctor when the gateway cannot be used', () => {
  const globalFetch: FetchLike = (url, init) => fetch(url, init);
  const servers: Array<net.Server> = [];
  const sockets = new Set<net.Socket>();
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  async function listen<T extends net.Server>(server: T): Promise<number> {
    servers.push(server);
    server.on('connection', (socket: net.Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  const tls = {
    cert: readFileSync(path.join(__dirname, 'fixtures', 'tls-wrong-name.crt')),
    key: readFileSync(path.join(__dirname, 'fixtures', 'tls-wrong-name.key')),
  };
  const TAILNET_FIX = 'fix: not on the tailnet? run `tailscale status`, check the URL\n';
  const TLS_FIX = "fix: TLS name mismatch: use the gateway's *.ts.net name\n";

  it('connection refused', async () => {
    const port = await listen(net.createServer());
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const result = await doctor(globalFetch, '--url', `http://127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAIL  gateway  cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
    expect(result.stdout).toContain(TAILNET_FIX);
    expect(result.stdout).not.toContain('identity');
  });

  it('no answer within --timeout', async () => {
    const port = await listen(net.createServer(() => {}));
    const result = await doctor(globalFetch, '--url', `http://127.0.0.1:${port}`, '--timeout', '0.3');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAIL  gateway  no answer from 127.0.0.1:${port} within 0.3 s\n`);
    expect(result.stdout).toContain(TAILNET_FIX);
  });

  it('a self-signed certificate', async () => {
    const port = await listen(https.createServer(tls, (_req, res) => res.end('{"ok":true}')));
    const result = await doctor(globalFetch, '--url', `https://127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)');
    expect(result.stdout).toContain(TLS_FIX);
  });

  it('a trusted certificate for another name', async () => {
    const port = await listen(https.createServer(tls, (_req, res) => res.end('{"ok":true}')));
    const trusting = new Agent({ connect: { ca: tls.cert } });
    try {
      const fetch = ((url, init) => undiciFetch(url, { ...init, dispatcher: trusting })) as FetchLike;
      const result = await doctor(fetch, '--url', `https://127.0.0.1:${port}`);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('the TLS certificate is not for 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID)');
      expect(result.stdout).toContain(TLS_FIX);
    } finally {
      await trusting.close();
    }
  });

  it('https:// to a plain-http port', async () => {
    const port = await listen(http.createServer((_req, res) => res.end('{"ok":true}')));
    const result = await doctor(globalFetch, '--url', `https://127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`127.0.0.1:${port} does not speak TLS on this port`);
    expect(result.stdout).toContain('fix: use http:// instead of https://');
  });

  it('something that is not a Tailgate gateway', async () => {
    const port = await listen(http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not Found</h1>');
    }));
    const result = await doctor(globalFetch, '--url', `http://127.0.0.1:${port}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL  gateway  GET /healthz answered HTTP 404, not as a Tailgate gateway does\n');
    expect(result.stdout).toContain("fix: check the URL: it is the gateway's root");
  });
});

describe('tailgate doctor arguments', () => {
  const unused: FetchLike = () => Promise.reject(new Error('no request expected'));

  it('prints help', async () => {
    const result = await doctor(unused, '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tailgate doctor');
  });

  it.each([
    [[], '--url is required'],
    [['--url', 'ai'], 'has no scheme; did you mean http://ai?'],
    [['--url', 'http://ai', '--timeout', 'soon'], '--timeout is a number of seconds'],
    [['--frob'], "Unknown option '--frob'"],
  ])('exits 2 for %j', async (argv, message) => {
    const home = makeTempHome();
    try {
      const result = await doctor(unused, ...argv, '--home', home);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
