/**
 * Why a request to the gateway failed, and the one line that tells the developer what to do about it. Two
 * sources: the connection itself (network, DNS, TLS), and the gateway's own error answers.
 */
import type { HttpAnswer } from './http';
import type { Whoami, WhoamiQuota } from './whoami';

export interface Diagnosis {
  /** What happened, e.g. `HTTP 503` or `connection refused (ECONNREFUSED)`. */
  detail: string;
  /** One line: what to do about it. */
  fix: string;
}

const NOT_ON_TAILNET = 'not on the tailnet? run `tailscale status`, check the URL';
const TLS_NAME = "TLS name mismatch: use the gateway's *.ts.net name";

/** Codes of an error and of everything it wraps: fetch's `cause`, and the per-address errors of a happy-eyeballs AggregateError. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 5) return;
    seen.add(value);
    const record = value as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === 'string') codes.push(record.code);
    if (record.name === 'TimeoutError') codes.push('TimeoutError');
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'name does not resolve',
  EAI_AGAIN: 'name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
};

/** Node's codes for a certificate that does not chain to a trusted root (self-signed, private CA, expired). */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED',
]);

/** A request that got no HTTP answer at all. */
export function diagnoseNetworkFailure(error: unknown, url: string, timeoutMs: number): Diagnosis {
  const codes = errorCodes(error);
  const host = new URL(url).host;
  if (codes.includes('TimeoutError')) {
    return { detail: `no answer from ${host} within ${timeoutMs / 1000} s`, fix: NOT_ON_TAILNET };
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return { detail: `the TLS certificate is not for ${new URL(url).hostname} (ERR_TLS_CERT_ALTNAME_INVALID)`, fix: TLS_NAME };
  }
  const untrusted = codes.find((code) => UNTRUSTED_CERT.has(code));
  if (untrusted) return { detail: `the TLS certificate is not trusted (${untrusted})`, fix: TLS_NAME };
  if (codes.some((code) => code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || code.startsWith('ERR_SSL_'))) {
    return { detail: `${host} does not speak TLS on this port`, fix: `use http:// instead of https://, or the port the gateway serves TLS on` };
  }
  const known = codes.find((code) => code in UNREACHABLE);
  if (known) return { detail: `cannot connect to ${host}: ${UNREACHABLE[known]} (${known})`, fix: NOT_ON_TAILNET };
  const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? String((error.cause as { message?: unknown })?.message) : '';
  if (cause === 'bad port') {
    // The Fetch standard's port blocklist (6000, 6667, …): no request is even attempted.
    return { detail: `fetch refuses to connect to port ${new URL(url).port} (a blocked port)`, fix: 'serve the gateway on another port, e.g. 443 or 8080' };
  }
  return { detail: `cannot connect to ${host}: ${message}${codes.length ? ` (${codes.join(', ')})` : ''}`, fix: NOT_ON_TAILNET };
}

/** The gateway's error answer in any of the three wire formats, reduced to a code (when the format has one) and the message. */
export function gatewayError(answer: HttpAnswer): { code?: string; message: string } {
  // The gateway names its own errors in x-tailgate-error, whatever the wire format.
  const headerCode = answer.headers.get('x-tailgate-error');
  const fromBody = errorFromBody(answer);
  return headerCode ? { code: `tailgate_${headerCode}`, message: fromBody.message } : fromBody;
}

function errorFromBody(answer: HttpAnswer): { code?: string; message: string } {
  const body = answer.json;
  const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : undefined;
  if (typeof error === 'object' && error !== null) {
    const { code, status, message } = error as { code?: unknown; status?: unknown; message?: unknown };
    return {
      // OpenAI format: a string code (`tailgate_no_provider_key`); Gemini: `status` (`UNAVAILABLE`); Anthropic: none.
      code: typeof code === 'string' ? code : typeof status === 'string' ? status : undefined,
      message: typeof message === 'string' ? message : JSON.stringify(error).slice(0, 200),
    };
  }
  return { message: answer.text.trim().slice(0, 200) || '(empty body)' };
}

export interface ProbeContext {
  model: string;
  /** Provider the model goes to by the gateway's prefix rules, for messages when the answer names none. */
  provider: string;
  whoami: Whoami | null;
  now: Date;
}

// Gateways before x-tailgate-error: Anthropic and Gemini error bodies carry no Tailgate code, so the
// gateway's own wording (gateway/server.ts, gateway/policy.ts, gateway/proxy.ts) is matched as well. test/cli/doctor.test.ts drives a real gateway
// through each of these, in all three formats, so a change of wording fails there.
const NO_KEY = /no API key is configured for provider (\S+?)[;,.\s]/;
const NOT_ALLOWED = /is not allowed for .* by the gateway's policy/;
const KEY_REJECTED = /the provider rejected the gateway's key/;
const DISABLED = /provider (\S+) is disabled/;
const TAILSCALED_DOWN = /cannot reach tailscaled/;

/** A non-2xx answer from the gateway, as a detail and a one-line fix. */
export function diagnoseAnswer(answer: HttpAnswer, ctx: ProbeContext): Diagnosis {
  const { code, message } = gatewayError(answer);
  const detail = `HTTP ${answer.status}: ${message}`;
  const is = (tailgateCode: string) => code === `tailgate_${tailgateCode}`;
  if (answer.status === 401 || is('identity_missing')) {
    return { detail, fix: "this device is not known to the gateway's tailnet: join that tailnet (`tailscale status` shows yours) or ask an admin to share the gateway" };
  }
  if (answer.status === 429 && answer.headers.get('x-tailgate-error') === null) {
    // Not the gateway's quota (the gateway names its own errors): the provider is limiting the gateway's key.
    return { detail, fix: `${ctx.provider} is rate-limiting the gateway: try again later, or ask an admin about the provider account's limits` };
  }
  if (answer.status === 429) return { detail, fix: overQuotaFix(answer, ctx) };
  if (is('model_not_allowed') || (answer.status === 403 && NOT_ALLOWED.test(message))) {
    const allowed = ctx.whoami?.allowedModels;
    return { detail, fix: `your policy does not allow model ${ctx.model}${allowed ? ` (it allows ${allowed.join(', ')})` : ''}: ask an admin for access` };
  }
  const noKey = NO_KEY.exec(message);
  if (is('no_provider_key') || (answer.status === 503 && noKey)) {
    return { detail, fix: `no key configured for ${noKey?.[1] ?? ctx.provider}: ask an admin to run setProviderKey` };
  }
  const disabled = DISABLED.exec(message);
  if (is('provider_disabled') || (answer.status === 503 && disabled)) {
    return { detail, fix: `provider ${disabled?.[1] ?? ctx.provider} is disabled on the gateway: ask an admin` };
  }
  if (is('quota_unavailable')) {
    return { detail, fix: 'the gateway cannot check your quota right now (its database is unreachable): try again shortly, or ask an admin' };
  }
  if (is('identity_unavailable') || TAILSCALED_DOWN.test(message)) {
    return { detail, fix: 'the gateway cannot reach its tailscaled to identify you: try again, or ask an admin to check it' };
  }
  if (is('upstream_auth_failed') || KEY_REJECTED.test(message)) {
    return { detail, fix: `${ctx.provider} rejected the gateway's key: ask an admin to run setProviderKey with a working key` };
  }
  if (answer.status === 502 || answer.status === 504) {
    return { detail, fix: `the gateway cannot reach ${ctx.provider}: ask an admin to check the gateway's outbound network` };
  }
  if (answer.status === 404 && /model/i.test(message)) {
    return { detail, fix: `model ${ctx.model} is not available through this gateway: ask an admin to add a key or route for it` };
  }
  return { detail, fix: 'unexpected answer from the gateway: ask an admin to check its logs (request id in x-tailgate-request-id)' };
}

const WINDOW_NAME: Record<string, string> = { MINUTE: 'per-minute', HOUR: 'hourly', DAY: 'daily', WEEK: 'weekly', MONTH: 'monthly' };

export function quotaName(quota: WhoamiQuota): string {
  return `${WINDOW_NAME[quota.window] ?? quota.window.toLowerCase()} quota for ${quota.subject}`;
}

/** The limits of a quota that are used up: `tokens 10000/10000`. */
export function exhaustedLimits(quota: WhoamiQuota): string[] {
  const limits: Array<[string, number, number | null]> = [
    ['requests', quota.usedRequests, quota.maxRequests],
    ['tokens', quota.usedTokens, quota.maxTokens],
    ['USD', quota.usedCostUsd, quota.maxCostUsd],
  ];
  return limits.filter(([, used, max]) => max !== null && used >= max).map(([unit, used, max]) => `${unit} ${used}/${max}`);
}

/** `retry-after` is seconds or an HTTP date (RFC 9110 10.2.3). */
function retryAt(value: string | null, now: Date): Date | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return new Date(now.getTime() + Number(value) * 1000);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function overQuotaFix(answer: HttpAnswer, ctx: ProbeContext): string {
  const quota = ctx.whoami?.quotas.find((q) => exhaustedLimits(q).length > 0);
  const name = quota ? `${quotaName(quota)} (${exhaustedLimits(quota).join(', ')})` : `(${gatewayError(answer).message})`;
  const resets = retryAt(answer.headers.get('retry-after'), ctx.now) ?? (quota ? new Date(quota.windowEnd) : undefined);
  return `over quota ${name}, resets at ${resets ? resets.toISOString() : 'the end of its window'}`;
}
