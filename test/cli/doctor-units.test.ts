import { rmSync } from 'node:fs';
import { connectedClients } from '../../cli/doctor/clients';
import { diagnoseAnswer, diagnoseNetworkFailure } from '../../cli/doctor/diagnose';
import { isOutputLimitRefusal, pickProbeModel } from '../../cli/doctor/families';
import type { HttpAnswer } from '../../cli/doctor/http';
import { resolveConnectPaths } from '../../cli/connect/paths';
import { makeTempHome, NOW } from './helpers';

const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
const systemError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('diagnoseNetworkFailure', () => {
  const url = 'https://ai.tail1234.ts.net';
  it.each([
    [fetchFailed(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND ai.tail1234.ts.net')), 'cannot connect to ai.tail1234.ts.net: name does not resolve (ENOTFOUND)'],
    [fetchFailed(systemError('EAI_AGAIN')), 'cannot connect to ai.tail1234.ts.net: name lookup failed (EAI_AGAIN)'],
    [fetchFailed(systemError('UND_ERR_CONNECT_TIMEOUT')), 'cannot connect to ai.tail1234.ts.net: connection timed out (UND_ERR_CONNECT_TIMEOUT)'],
    // Happy eyeballs: one error per address tried, wrapped in an AggregateError without a code of its own.
    [fetchFailed(new AggregateError([systemError('EHOSTUNREACH'), systemError('ENETUNREACH')])), 'cannot connect to ai.tail1234.ts.net: host unreachable (EHOSTUNREACH)'],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'no answer from ai.tail1234.ts.net within 2.5 s'],
    [fetchFailed(new Error('something odd')), 'cannot connect to ai.tail1234.ts.net: fetch failed'],
  ])('%#: not on the tailnet', (error, detail) => {
    expect(diagnoseNetworkFailure(error, url, 2500)).toEqual({ detail, fix: 'not on the tailnet? run `tailscale status`, check the URL' });
  });

  it('an expired certificate is a TLS problem too', () => {
    expect(diagnoseNetworkFailure(fetchFailed(systemError('CERT_HAS_EXPIRED')), url, 1000).fix).toBe("TLS name mismatch: use the gateway's *.ts.net name");
  });

  it("a port on the Fetch standard's blocklist is named as such", () => {
    expect(diagnoseNetworkFailure(fetchFailed(new Error('bad port')), 'http://ai:6000', 1000)).toEqual({
      detail: 'fetch refuses to connect to port 6000 (a blocked port)',
      fix: 'serve the gateway on another port, e.g. 443 or 8080',
    });
  });
});

describe('diagnoseAnswer', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
    kind: 'answer', status, json: body, text: JSON.stringify(body), ms: 1, headers: { get: (name) => headers[name] ?? null },
  });
  const ctx = { model: 'gpt-5-mini', provider: 'openai', whoami: null, now: NOW };

  it('the provider rejected the gateway key (502, any format)', () => {
    const body = { type: 'error', error: { type: 'api_error', message: "the provider rejected the gateway's key for this provider (HTTP 401); an administrator must rotate it" } };
    expect(diagnoseAnswer(answer(502, body), { ...ctx, provider: 'anthropic' }).fix).toBe("anthropic rejected the gateway's key: ask an admin to run setProviderKey with a working key");
  });

  it('429 without a quota in whoami: the message, and the HTTP-date retry-after', () => {
    const body = { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } };
    expect(diagnoseAnswer(answer(429, body, { 'retry-after': 'Wed, 25 Nov 2026 17:00:00 GMT', 'x-tailgate-error': 'quota_exceeded' }), ctx).fix).toBe('over quota (slow down), resets at 2026-11-25T17:00:00.000Z');
  });

  it('a 429 the gateway did not make (no x-tailgate-error) is the provider limiting the gateway', () => {
    const body = { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } };
    expect(diagnoseAnswer(answer(429, body, { 'retry-after': '20' }), ctx).fix).toBe('openai is rate-limiting the gateway: try again later, or ask an admin about the provider account\'s limits');
  });

  it('a disabled provider', () => {
    const body = { error: { message: 'provider openai is disabled by an administrator', type: 'server_error', param: null, code: 'tailgate_provider_disabled' } };
    expect(diagnoseAnswer(answer(503, body), ctx).fix).toBe('provider openai is disabled on the gateway: ask an admin');
  });

  it('anything else points at the gateway logs', () => {
    expect(diagnoseAnswer(answer(500, { error: { message: 'internal gateway error (request x)' } }), ctx)).toEqual({
      detail: 'HTTP 500: internal gateway error (request x)',
      fix: 'unexpected answer from the gateway: ask an admin to check its logs (request id in x-tailgate-request-id)',
    });
  });
});

describe('pickProbeModel', () => {
  const models = ['claude-opus-4-8', 'claude-haiku-4-5', 'gpt-5', 'gpt-5-mini', 'gpt-4.1-mini', 'o4-mini', 'text-embedding-3-small', 'gpt-4o-mini-tts',
    'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-embedding-001', 'openai/gpt-5', 'anthropic/claude-haiku-4.5'];
  it('takes the smallest chat model of the family, plain before reasoning, never an embedding or audio model', () => {
    expect(pickProbeModel('openai', models)).toBe('gpt-4.1-mini');
    expect(pickProbeModel('anthropic', models)).toBe('claude-haiku-4-5');
    expect(pickProbeModel('gemini', models)).toBe('gemini-2.5-flash');
    expect(pickProbeModel('gemini', ['gemini-embedding-001'])).toBeUndefined();
  });

  it("treats OpenAI's one-token refusal by reasoning models as an answer", () => {
    expect(isOutputLimitRefusal(400, 'Could not finish the message because max_tokens or model output limit was reached.')).toBe(true);
    expect(isOutputLimitRefusal(400, 'request body is not valid JSON')).toBe(false);
  });
});

describe('connectedClients', () => {
  let home: string;
  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('finds the SDK variables `connect openai-env` prints, only when they carry the placeholder key', () => {
    const paths = resolveConnectPaths(home, {});
    expect(connectedClients(paths, { OPENAI_BASE_URL: 'http://ai/v1', OPENAI_API_KEY: 'tailgate' })).toEqual([
      { id: 'openai-env', url: 'http://ai', source: 'environment' },
    ]);
    expect(connectedClients(paths, { ANTHROPIC_BASE_URL: 'http://ai:8080/', ANTHROPIC_API_KEY: 'tailgate' })).toEqual([
      { id: 'openai-env', url: 'http://ai:8080', source: 'environment' },
    ]);
    expect(connectedClients(paths, { OPENAI_BASE_URL: 'https://api.openai.com/v1', OPENAI_API_KEY: 'sk-real' })).toEqual([]);
  });
});
