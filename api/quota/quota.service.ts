import type { Prisma } from '../../core/db/client';
import type { Quota as QuotaRow } from '../../core/generated/prisma/client';
import { subjectMatches, type Principal as CorePrincipal } from '../../core/principal';
import { quotaHolder, windowEnd, windowStart } from '../../core/quota-window';
import { recordAudit } from '../audit/audit.service';
import { restrictToSelf } from '../auth';
import type { ApiContext } from '../context';
import { badInput, parseInput } from '../errors';
import { requireUuid } from '../provider/provider.service';
import { microsToUsd, toSafeNumber } from '../scalars';
import { quotaInputSchema, type QuotaInput } from './quota.input';
import type { Quota, QuotaStatus } from './quota.type';

export function toQuota(row: QuotaRow): Quota {
  return {
    id: row.id,
    subject: row.subject,
    shared: row.shared,
    window: row.window,
    maxRequests: row.maxRequests,
    maxTokens: row.maxTokens === null ? null : toSafeNumber(row.maxTokens),
    maxCostUsd: row.maxCostMicros === null ? null : microsToUsd(row.maxCostMicros),
    models: row.models.length > 0 ? row.models : null,
  };
}

function listQuotaRows(prisma: Prisma): Promise<QuotaRow[]> {
  return prisma.quota.findMany({ orderBy: [{ subject: 'asc' }, { window: 'asc' }, { shared: 'asc' }, { createdAt: 'asc' }] });
}

export async function listQuotas(prisma: Prisma): Promise<Quota[]> {
  return (await listQuotaRows(prisma)).map(toQuota);
}

/**
 * A quota is identified by (subject, shared, window, models): setting one that exists replaces its
 * limits, so `setQuota` is idempotent and cannot pile up duplicates that would all be enforced.
 */
export async function setQuota(ctx: ApiContext, raw: QuotaInput): Promise<Quota> {
  const input = parseInput(quotaInputSchema, raw, 'input');
  const identity = { subject: input.subject, shared: input.shared, window: input.window, models: input.models };
  const limits = { maxRequests: input.maxRequests, maxTokens: input.maxTokens, maxCostMicros: input.maxCostUsd };
  return ctx.prisma.$transaction(async (tx) => {
    // Two concurrent setQuota calls for the same identity must not both insert.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`tailgate:quota:${JSON.stringify(identity)}`}, 0))`;
    const existing = await tx.quota.findFirst({ where: { subject: identity.subject, shared: identity.shared, window: identity.window, models: { equals: identity.models } } });
    const row = existing
      ? await tx.quota.update({ where: { id: existing.id }, data: limits })
      : await tx.quota.create({ data: { ...identity, ...limits } });
    const quota = toQuota(row);
    await recordAudit(tx, ctx, 'setQuota', `quota:${row.id}`, {
      created: !existing,
      ...quota,
      ...(existing ? { before: toQuota(existing) } : {}),
    });
    return quota;
  });
}

/** True when a quota was deleted (its usage counters go with it), false when there was none. */
export async function deleteQuota(ctx: ApiContext, rawId: string): Promise<boolean> {
  const id = requireUuid(rawId, 'id', 'a quota');
  return ctx.prisma.$transaction(async (tx) => {
    const existing = await tx.quota.findUnique({ where: { id } });
    if (existing) await tx.quota.delete({ where: { id } });
    await recordAudit(tx, ctx, 'deleteQuota', `quota:${id}`, existing ? { deleted: true, quota: toQuota(existing) } : { deleted: false });
    return existing !== null;
  });
}

const PRINCIPAL_ID = /^(user:[^\s,*]+|tag:[A-Za-z0-9-]+(,tag:[A-Za-z0-9-]+)*)$/;

/**
 * The Principal a principal id stands for, as far as quota subjects care: `tag:a,tag:b` is a tagged
 * device with those tags, anything else a user. (The role and allow-lists play no part in quotas.)
 */
function principalFromId(id: string): CorePrincipal {
  if (!PRINCIPAL_ID.test(id)) throw badInput('principal must be a principal id such as user:alice@example.com or tag:ci', 'principal');
  if (id.startsWith('tag:')) return { id, kind: 'TAGGED', tags: id.split(','), role: 'user', allowedModels: null };
  return { id, kind: 'USER', login: id.slice('user:'.length), tags: [], role: 'user', allowedModels: null };
}

/**
 * Every quota whose subject matches the principal, with the budget used in the current window.
 *
 * `used*` is settled use plus the leased budget (`leased_*`): budget the gateways have reserved
 * for requests still in flight. That is the number admission compares with the limit
 * (used + leased <= limit), so `remaining*` says what a new request can actually get now; reporting
 * settled use alone would show headroom that admission would refuse.
 */
export async function quotaStatus(ctx: ApiContext, requested: string | null | undefined): Promise<QuotaStatus[]> {
  const target = restrictToSelf(ctx, requested) ?? ctx.principal.id;
  const principal = target === ctx.principal.id ? ctx.principal : principalFromId(target);
  const now = ctx.now();
  const quotas = (await listQuotaRows(ctx.prisma)).filter((q) => subjectMatches(q.subject, principal));
  if (quotas.length === 0) return [];
  const keys = quotas.map((q) => ({ quotaId: q.id, holder: quotaHolder(q.shared, principal.id), windowStart: windowStart(q.window, now) }));
  const usage = await ctx.prisma.quotaUsage.findMany({ where: { OR: keys } });
  const byKey = new Map(usage.map((u) => [`${u.quotaId}|${u.holder}|${u.windowStart.getTime()}`, u]));
  return quotas.map((q, i) => {
    const key = keys[i];
    const u = byKey.get(`${key.quotaId}|${key.holder}|${key.windowStart.getTime()}`);
    const usedRequests = (u?.requests ?? 0) + (u?.leasedRequests ?? 0);
    const usedTokens = (u?.tokens ?? 0n) + (u?.leasedTokens ?? 0n);
    const usedCostMicros = (u?.costMicros ?? 0n) + (u?.leasedCostMicros ?? 0n);
    return {
      quota: toQuota(q),
      windowStart: key.windowStart,
      windowEnd: windowEnd(q.window, now),
      holder: key.holder,
      usedRequests,
      usedTokens: toSafeNumber(usedTokens),
      usedCostUsd: microsToUsd(usedCostMicros),
      remainingRequests: q.maxRequests === null ? null : Math.max(0, q.maxRequests - usedRequests),
      remainingTokens: q.maxTokens === null ? null : toSafeNumber(max0(q.maxTokens - usedTokens)),
      remainingCostUsd: q.maxCostMicros === null ? null : microsToUsd(max0(q.maxCostMicros - usedCostMicros)),
    };
  });
}

const max0 = (value: bigint): bigint => (value > 0n ? value : 0n);
