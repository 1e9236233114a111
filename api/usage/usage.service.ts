import { Prisma as Sql } from '../../core/generated/prisma/client';
import { restrictToSelf } from '../auth';
import type { ApiContext } from '../context';
import { microsToUsd, toSafeNumber } from '../scalars';
import { rangeDays, resolveRange } from '../time-range';
import type { UsageFilter } from './usage.input';
import { UsageDimension, type UsageRow } from './usage.type';

// Column expressions of usage_daily per dimension: a fixed whitelist, the only SQL text that
// varies with the request (values always go in as parameters).
const DIMENSION_SQL: Record<UsageDimension, { expr: string; alias: keyof UsageRow }> = {
  [UsageDimension.MODEL]: { expr: 'model', alias: 'model' },
  [UsageDimension.PRINCIPAL]: { expr: 'principal_id', alias: 'principal' },
  [UsageDimension.PROVIDER]: { expr: 'provider', alias: 'provider' },
  [UsageDimension.CLIENT]: { expr: 'client', alias: 'client' },
  [UsageDimension.DAY]: { expr: `to_char(day, 'YYYY-MM-DD')`, alias: 'day' },
};

interface UsageSqlRow {
  model?: string;
  principal?: string;
  provider?: string;
  client?: string;
  day?: string;
  requests: bigint;
  errors: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_input_tokens: bigint;
  cache_write_tokens: bigint;
  reasoning_tokens: bigint;
  cost_micros: bigint;
}

/**
 * Usage from the `usage_daily` rollup (one row per day, principal, model, provider and client,
 * kept by the ledger in the same transaction as `requests`), never from `requests` itself: a month
 * for a team is thousands of rollup rows against millions of request rows. The rollup's grain is
 * the UTC day, so a range counts every day it touches (see rangeDays). No groupBy: one total row.
 */
export async function queryUsage(
  ctx: ApiContext,
  args: { from?: Date | null; to?: Date | null; groupBy: UsageDimension[]; filter?: UsageFilter | null },
): Promise<UsageRow[]> {
  const principal = restrictToSelf(ctx, args.filter?.principal);
  const days = rangeDays(resolveRange(args.from, args.to, ctx.now()));
  const dims = [...new Set(args.groupBy)].map((d) => DIMENSION_SQL[d]);
  if (!days) return dims.length === 0 ? [emptyTotal()] : [];

  const where: Sql.Sql[] = [Sql.sql`day >= ${days.first}::date`, Sql.sql`day <= ${days.last}::date`];
  if (principal !== null) where.push(Sql.sql`principal_id = ${principal}`);
  if (args.filter?.model) where.push(Sql.sql`model = ${args.filter.model}`);
  if (args.filter?.provider) where.push(Sql.sql`provider = ${args.filter.provider}`);
  if (args.filter?.client) where.push(Sql.sql`client = ${args.filter.client}`);

  const selectDims = Sql.raw(dims.map((d) => `${d.expr} AS "${d.alias}", `).join(''));
  const groupBy = dims.length > 0 ? Sql.sql`GROUP BY ${Sql.join(dims.map((d) => Sql.raw(d.expr)))} ORDER BY ${Sql.join(dims.map((d) => Sql.raw(`"${d.alias}"`)))}` : Sql.empty;
  const rows = await ctx.prisma.$queryRaw<UsageSqlRow[]>`
    SELECT ${selectDims}
      COALESCE(SUM(requests), 0)::bigint AS requests,
      COALESCE(SUM(errors), 0)::bigint AS errors,
      COALESCE(SUM(input_tokens), 0)::bigint AS input_tokens,
      COALESCE(SUM(output_tokens), 0)::bigint AS output_tokens,
      COALESCE(SUM(cached_input_tokens), 0)::bigint AS cached_input_tokens,
      COALESCE(SUM(cache_write_tokens), 0)::bigint AS cache_write_tokens,
      COALESCE(SUM(reasoning_tokens), 0)::bigint AS reasoning_tokens,
      COALESCE(SUM(cost_micros), 0)::bigint AS cost_micros
    FROM usage_daily
    WHERE ${Sql.join(where, ' AND ')}
    ${groupBy}`;
  return rows.map((row) => ({
    model: row.model ?? null,
    principal: row.principal ?? null,
    provider: row.provider ?? null,
    client: row.client ?? null,
    day: row.day ?? null,
    requests: toSafeNumber(row.requests),
    errors: toSafeNumber(row.errors),
    inputTokens: toSafeNumber(row.input_tokens),
    outputTokens: toSafeNumber(row.output_tokens),
    cachedInputTokens: toSafeNumber(row.cached_input_tokens),
    cacheWriteTokens: toSafeNumber(row.cache_write_tokens),
    reasoningTokens: toSafeNumber(row.reasoning_tokens),
    costUsd: microsToUsd(row.cost_micros),
  }));
}

function emptyTotal(): UsageRow {
  return { model: null, principal: null, provider: null, client: null, day: null, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0 };
}
