import type { ApiContext } from '../context';
import { badInput } from '../errors';
import { microsToUsd, toSafeNumber } from '../scalars';
import { rangeDays, resolveRange } from '../time-range';
import type { AdoptionPoint } from './adoption.type';

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
