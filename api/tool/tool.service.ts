import type { Prisma } from '../../core/db/client';
import { Prisma as Sql } from '../../core/generated/prisma/client';
import { restrictToSelf } from '../auth';
import type { ApiContext } from '../context';
import { toSafeNumber } from '../scalars';
import { resolveRange } from '../time-range';
import type { ToolCount, ToolUsageRow } from './tool.type';

/** Session.toolCalls for a batch of sessions: one grouped query over tool_calls(session_id). */
export async function loadToolCountsBySession(prisma: Prisma, sessionIds: readonly string[]): Promise<ToolCount[][]> {
  const rows = await prisma.$queryRaw<{ session_id: string; tool: string; calls: bigint }[]>`
    SELECT session_id, tool, SUM(calls)::bigint AS calls
    FROM tool_calls
    WHERE session_id = ANY(${[...sessionIds]}::text[])
    GROUP BY session_id, tool
    ORDER BY calls DESC, tool ASC`;
  const bySession = new Map<string, ToolCount[]>(sessionIds.map((id) => [id, []]));
  for (const row of rows) bySession.get(row.session_id)?.push({ tool: row.tool, calls: toSafeNumber(row.calls) });
  return sessionIds.map((id) => bySession.get(id) ?? []);
}

/** Tool calls in `[from, to)` from tool_calls, most-called first. Non-admins see their own calls only. */
export async function queryToolUsage(ctx: ApiContext, args: { from?: Date | null; to?: Date | null; principal?: string | null }): Promise<ToolUsageRow[]> {
  const principal = restrictToSelf(ctx, args.principal);
  const range = resolveRange(args.from, args.to, ctx.now());
  const rows = await ctx.prisma.$queryRaw<{ tool: string; calls: bigint; principals: bigint; sessions: bigint }[]>`
    SELECT tool, SUM(calls)::bigint AS calls, COUNT(DISTINCT principal_id)::bigint AS principals, COUNT(DISTINCT session_id)::bigint AS sessions
    FROM tool_calls
    WHERE at >= ${range.from} AND at < ${range.to} ${principal === null ? Sql.empty : Sql.sql`AND principal_id = ${principal}`}
    GROUP BY tool
    ORDER BY calls DESC, tool ASC`;
  return rows.map((row) => ({ tool: row.tool, calls: toSafeNumber(row.calls), principals: toSafeNumber(row.principals), sessions: toSafeNumber(row.sessions) }));
}
