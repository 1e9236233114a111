import type { ApiContext } from '../context';
import { badInput } from '../errors';
import { microsToUsd, toSafeNumber } from '../scalars';
import { rangeDays, resolveRange } from '../time-range';
import { Retention, type AdoptionPoint, type PrincipalAdoption } from './adoption.type';

/** About ten years of days: the series is generated, so its length is bounded. */
export const ADOPTION_MAX_DAYS = 3660;

/** One point per UTC day the range touches, from the usage_daily rollup; quiet days are zeros. */
export async function queryAdoption(ctx: ApiContext, args: { from?: Date | null; to?: Date | null }): Promise<AdoptionPoint[]> {
  const days = rangeDays(resolveRange(args.from, args.to, ctx.now()));
  if (!days) return [];
  if (days.count > ADOPTION_MAX_DAYS) throw badInput(`the range spans ${days.count} days; adoption covers at most ${ADOPTION_MAX_DAYS}`, 'from');
  const rows = await ctx.prisma.$queryRaw<{ day: string; active: bigint; requests: bigint; cost_micros: bigint }[]>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
           COALESCE(u.active, 0)::bigint AS active,
           COALESCE(u.requests, 0)::bigint AS requests,
           COALESCE(u.cost_micros, 0)::bigint AS cost_micros
    FROM generate_series(${days.first}::date, ${days.last}::date, interval '1 day') AS d(day)
    LEFT JOIN (
      SELECT day, COUNT(DISTINCT principal_id) AS active, SUM(requests) AS requests, SUM(cost_micros) AS cost_micros
      FROM usage_daily
      WHERE day >= ${days.first}::date AND day <= ${days.last}::date AND requests > 0
      GROUP BY day
    ) u ON u.day = d.day::date
    ORDER BY d.day`;
  return rows.map((row) => ({ day: row.day, activePrincipals: toSafeNumber(row.active), requests: toSafeNumber(row.requests), costUsd: microsToUsd(row.cost_micros) }));
}

/** Days after the first day that make up a principal's first week, and the follow-up after it. */
export const FIRST_WEEK_DAYS = 7;
export const FOLLOW_UP_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * Per principal active in the range, from the usage_daily rollup: first and last day (over all
 * history up to the range's last day, so "new" means new, not new to this range), activity in the
 * range, and retention: any request on days first+7 … first+20 is RETURNED; none then but some
 * later is RETURNED_LATE; none at all since the first week, with that window over by `to`, is
 * CHURNED (tried it and did not come back); otherwise PENDING.
 */
export async function queryPrincipalAdoption(ctx: ApiContext, args: { from?: Date | null; to?: Date | null }): Promise<PrincipalAdoption[]> {
  const range = resolveRange(args.from, args.to, ctx.now());
  const days = rangeDays(range);
  if (!days) return [];
  if (days.count > ADOPTION_MAX_DAYS) throw badInput(`the range spans ${days.count} days; adoption covers at most ${ADOPTION_MAX_DAYS}`, 'from');
  const rows = await ctx.prisma.$queryRaw<{ principal: string; first_day: string; last_day: string; active_days: bigint; requests: bigint; cost_micros: bigint; clients: string[]; follow_up: bigint; later: bigint }[]>`
    WITH active AS (
      SELECT principal_id, COUNT(DISTINCT day) AS active_days, SUM(requests) AS requests, SUM(cost_micros) AS cost_micros,
             array_agg(DISTINCT client ORDER BY client) AS clients
      FROM usage_daily
      WHERE day >= ${days.first}::date AND day <= ${days.last}::date AND requests > 0
      GROUP BY principal_id
    ), history AS (
      SELECT u.principal_id, MIN(u.day) AS first_day, MAX(u.day) AS last_day
      FROM usage_daily u JOIN active a ON a.principal_id = u.principal_id
      WHERE u.day <= ${days.last}::date AND u.requests > 0
      GROUP BY u.principal_id
    )
    SELECT a.principal_id AS principal, to_char(h.first_day, 'YYYY-MM-DD') AS first_day, to_char(h.last_day, 'YYYY-MM-DD') AS last_day, a.active_days::bigint AS active_days,
           a.requests::bigint AS requests, a.cost_micros::bigint AS cost_micros, a.clients,
           (SELECT COUNT(*) FROM usage_daily f
             WHERE f.principal_id = a.principal_id AND f.requests > 0 AND f.day <= ${days.last}::date
               AND f.day >= h.first_day + ${FIRST_WEEK_DAYS}::int AND f.day < h.first_day + ${FIRST_WEEK_DAYS + FOLLOW_UP_DAYS}::int)::bigint AS follow_up,
           (SELECT COUNT(*) FROM usage_daily f
             WHERE f.principal_id = a.principal_id AND f.requests > 0 AND f.day <= ${days.last}::date
               AND f.day >= h.first_day + ${FIRST_WEEK_DAYS + FOLLOW_UP_DAYS}::int)::bigint AS later
    FROM active a JOIN history h ON h.principal_id = a.principal_id
    ORDER BY h.first_day DESC, a.principal_id`;
  return rows.map((row) => {
    const followUpEnds = Date.parse(`${row.first_day}T00:00:00Z`) + (FIRST_WEEK_DAYS + FOLLOW_UP_DAYS) * DAY_MS;
    const retention = row.follow_up > 0n ? Retention.RETURNED
      : row.later > 0n ? Retention.RETURNED_LATE
        : range.to.getTime() >= followUpEnds ? Retention.CHURNED : Retention.PENDING;
    return {
      principal: row.principal,
      firstDay: row.first_day,
      lastDay: row.last_day,
      activeDays: toSafeNumber(row.active_days),
      requests: toSafeNumber(row.requests),
      costUsd: microsToUsd(row.cost_micros),
      clients: row.clients,
      retention,
    };
  });
}
