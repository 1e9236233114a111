/**
 * The checks `tailgate doctor` runs, in order, each ending in a status and, on failure, a one-line fix. A
 * check whose failure makes the later ones meaningless (gateway unreachable, caller unknown) ends the run.
 */
import type { ConnectedClient } from './clients';
import { CLIENT_FAMILIES } from './clients';
import { diagnoseAnswer, diagnoseNetworkFailure, exhaustedLimits, gatewayError, quotaName, type Diagnosis } from './diagnose';
import { API_FAMILIES, FAMILY_PROBES, isOutputLimitRefusal, pickProbeModel, type ApiFamily } from './families';
import { send, type FetchLike, type HttpAnswer, type HttpFailure, type HttpRequest } from './http';
import { Whoami, type WhoamiQuota } from './whoami';

export type CheckId = 'gateway' | 'identity' | 'models' | 'quota' | 'clients' | ApiFamily;

export interface Check {
  id: CheckId;
  ok: boolean;
  detail: string;
  /** On failure: one line saying what to do. */
  fix?: string;
  /** A list the check found (the models). */
  items?: string[];
}

export interface DoctorReport {
  url: string;
  ok: boolean;
  identity: Whoami | null;
  clients: ConnectedClient[];
  checks: Check[];
}

export interface DoctorInput {
  /** Gateway root, normalised (no trailing slash). */
  root: string;
  clients: ConnectedClient[];
  /** Probe every API family, not only those of the connected clients. */
  all: boolean;
  timeoutMs: number;
  fetch: FetchLike;
  now(): Date;
}

const failed = (id: CheckId, { detail, fix }: Diagnosis): Check => ({ id, ok: false, detail, fix });

export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const { root, clients } = input;
  const checks: Check[] = [];
  const report = (identity: Whoami | null): DoctorReport => ({ url: root, ok: checks.every((c) => c.ok), identity, clients, checks });
  const call = (request: HttpRequest) => send(input.fetch, root, request, input.timeoutMs);
  const networkFailure = (id: CheckId, outcome: HttpFailure) => failed(id, diagnoseNetworkFailure(outcome.error, root, input.timeoutMs));

  const health = await call({ method: 'GET', path: '/healthz' });
  const gateway = gatewayCheck(health, input);
  checks.push(gateway.check);
  if (!gateway.isTailgate) return report(null);

  const whoamiAnswer = await call({ method: 'GET', path: '/v1/tailgate/whoami' });
  if (whoamiAnswer.kind === 'failed') {
    checks.push(networkFailure('identity', whoamiAnswer));
    return report(null);
  }
  const whoami = whoamiAnswer.status === 200 ? Whoami.safeParse(whoamiAnswer.json) : undefined;
  if (!whoami?.success) {
    checks.push(identityFailure(whoamiAnswer, input));
    return report(null);
  }
  const me = whoami.data;
  checks.push({ id: 'identity', ok: true, detail: `${me.principal}, role ${me.role}${me.node ? `, on ${me.node}` : ''}` });
  checks.push(modelsCheck(me));
  checks.push(quotaCheck(me.quotas));
  checks.push(clientsCheck(root, clients, input.all));

  const families = input.all ? [...API_FAMILIES] : API_FAMILIES.filter((f) => clients.some((c) => CLIENT_FAMILIES[c.id].includes(f)));
  const probes = await Promise.all(families.map((family) => probeFamily(family, me, input)));
  checks.push(...probes);
  return report(me);
}

function gatewayCheck(outcome: HttpAnswer | HttpFailure, input: DoctorInput): { check: Check; isTailgate: boolean } {
  if (outcome.kind === 'failed') {
    return { check: failed('gateway', diagnoseNetworkFailure(outcome.error, input.root, input.timeoutMs)), isTailgate: false };
  }
  const body = outcome.json as { ok?: unknown; checks?: unknown } | undefined;
  if (typeof body !== 'object' || body === null || typeof body.ok !== 'boolean') {
    return {
      check: { id: 'gateway', ok: false, detail: `GET /healthz answered HTTP ${outcome.status}, not as a Tailgate gateway does`, fix: "check the URL: it is the gateway's root, e.g. https://ai.<tailnet>.ts.net" },
      isTailgate: false,
    };
  }
  if (body.ok) return { check: { id: 'gateway', ok: true, detail: `reachable in ${outcome.ms} ms, healthy` }, isTailgate: true };
  const checks = typeof body.checks === 'object' && body.checks !== null ? body.checks : {};
  const bad = Object.entries(checks).filter(([, value]) => value === false).map(([name]) => name);
  return {
    check: { id: 'gateway', ok: false, detail: `reachable, but unhealthy${bad.length ? ` (${bad.join(', ')} failing)` : ''}`, fix: "the gateway reports a problem of its own: ask an admin to check the gateway's logs" },
    isTailgate: true,
  };
}

function identityFailure(answer: HttpAnswer, input: DoctorInput): Check {
  if (answer.status === 200) {
    return { id: 'identity', ok: false, detail: 'GET /v1/tailgate/whoami answered in an unexpected shape', fix: 'this tailgate and the gateway are different versions: update one of them' };
  }
  if (answer.status === 404) {
    return { id: 'identity', ok: false, detail: `GET /v1/tailgate/whoami: HTTP 404 (${gatewayError(answer).message})`, fix: 'the gateway predates /v1/tailgate/whoami: ask an admin to update it' };
  }
  return failed('identity', diagnoseAnswer(answer, { model: '', provider: 'the provider', whoami: null, now: input.now() }));
}

function modelsCheck(me: Whoami): Check {
  if (me.models.length === 0) {
    return { id: 'models', ok: false, detail: 'no model is available to you', fix: 'ask an admin: no provider has a key yet, or your policy allows no model', items: [] };
  }
  return { id: 'models', ok: true, detail: `${me.models.length} model${me.models.length === 1 ? '' : 's'} you may use:`, items: me.models };
}

function standing(quota: WhoamiQuota): string {
  const parts: string[] = [];
  if (quota.maxRequests !== null) parts.push(`${quota.usedRequests}/${quota.maxRequests} requests`);
  if (quota.maxTokens !== null) parts.push(`${quota.usedTokens}/${quota.maxTokens} tokens`);
  if (quota.maxCostUsd !== null) parts.push(`$${quota.usedCostUsd.toFixed(2)}/$${quota.maxCostUsd.toFixed(2)}`);
  return `${quotaName(quota)}: ${parts.join(', ') || 'no limit'}, resets ${quota.windowEnd}`;
}

function quotaCheck(quotas: WhoamiQuota[]): Check {
  if (quotas.length === 0) return { id: 'quota', ok: true, detail: 'no quota applies to you' };
  const over = quotas.find((q) => exhaustedLimits(q).length > 0);
  const detail = quotas.map(standing).join('; ');
  if (!over) return { id: 'quota', ok: true, detail };
  return { id: 'quota', ok: false, detail, fix: `over quota ${quotaName(over)} (${exhaustedLimits(over).join(', ')}), resets at ${over.windowEnd}` };
}

function clientsCheck(root: string, clients: ConnectedClient[], all: boolean): Check {
  if (clients.length === 0) {
    const probes = all ? 'probing every API format (--all)' : 'add --all to probe every API format';
    return { id: 'clients', ok: true, detail: `no client connected on this machine (tailgate connect <client> --url ${root}); ${probes}` };
  }
  const elsewhere = clients.filter((c) => c.url !== root);
  const here = clients.filter((c) => c.url === root).map((c) => c.id);
  if (elsewhere.length === 0) return { id: 'clients', ok: true, detail: `connected to this gateway: ${here.join(', ')}` };
  const detail = elsewhere.map((c) => `${c.id} points at ${c.url ?? 'an invalid URL'}${c.source === 'environment' ? ' (environment)' : ''}`).join('; ');
  const fix = elsewhere.map((c) => (c.id === 'openai-env' ? `eval "$(tailgate connect openai-env --url ${root})"` : `tailgate connect ${c.id} --url ${root}`)).join(' && ');
  return { id: 'clients', ok: false, detail: `${detail}, not ${root}`, fix: `run: ${fix}` };
}

async function probeFamily(family: ApiFamily, me: Whoami, input: DoctorInput): Promise<Check> {
  const probe = FAMILY_PROBES[family];
  const model = pickProbeModel(family, me.models) ?? probe.fallbackModel;
  const users = input.clients.filter((c) => CLIENT_FAMILIES[c.id].includes(family)).map((c) => c.id);
  const what = `${probe.label} with ${model}${users.length ? ` (for ${users.join(', ')})` : ''}`;
  const outcome = await send(input.fetch, input.root, probe.request(model), input.timeoutMs);
  if (outcome.kind === 'failed') {
    const { detail, fix } = diagnoseNetworkFailure(outcome.error, input.root, input.timeoutMs);
    return { id: family, ok: false, detail: `${what}: ${detail}`, fix };
  }
  if (outcome.status >= 200 && outcome.status < 300) return { id: family, ok: true, detail: `${what}: answered in ${outcome.ms} ms` };
  if (isOutputLimitRefusal(outcome.status, gatewayError(outcome).message)) {
    return { id: family, ok: true, detail: `${what}: the provider answered in ${outcome.ms} ms (refusing the one-token limit, as reasoning models do)` };
  }
  const { detail, fix } = diagnoseAnswer(outcome, { model, provider: probe.provider, whoami: me, now: input.now() });
  return { id: family, ok: false, detail: `${what}: ${detail}`, fix };
}
