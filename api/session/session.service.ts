import type { Prisma as PrismaTypes, RequestRecord as RequestRow, Session as SessionRow } from '../../core/generated/prisma/client';
import { isAdmin } from '../../core/principal';
import { restrictToSelf } from '../auth';
import type { ApiContext } from '../context';
import { badInput } from '../errors';
import { microsToUsd, toSafeNumber } from '../scalars';
import { resolveRange } from '../time-range';
import type { ToolCount } from '../tool/tool.type';
import type { Session, SessionConnection, SessionRequest, SessionRequestConnection } from './session.type';

export const SESSIONS_PAGE_DEFAULT = 50;
export const SESSIONS_PAGE_MAX = 200;
export const SESSION_REQUESTS_PAGE_DEFAULT = 100;
export const SESSION_REQUESTS_PAGE_MAX = 500;

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    principal: row.principalId,
    client: row.client,
    models: row.models,
    startedAt: row.startedAt,
    lastSeenAt: row.lastSeenAt,
    requests: row.requests,
    inputTokens: toSafeNumber(row.inputTokens),
    outputTokens: toSafeNumber(row.outputTokens),
    cachedInputTokens: toSafeNumber(row.cachedInputTokens),
    cacheWriteTokens: toSafeNumber(row.cacheWriteTokens),
    reasoningTokens: toSafeNumber(row.reasoningTokens),
    costUsd: microsToUsd(row.costMicros),
  };
}

/** Keyset position: a session's (last_seen_at, id), the order sessions are listed in. */
interface SessionCursor {
  lastSeenAt: Date;
  id: string;
}

// Opaque to clients: base64url of JSON [last_seen_at in ms, id]. last_seen_at is timestamptz(3),
// so milliseconds round-trip exactly.
export function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.lastSeenAt.getTime(), cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): SessionCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === 'string') {
      return { lastSeenAt: new Date(parsed[0] as number), id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('after is not a cursor returned by sessions', 'after');
}

/**
 * Sessions overlapping `[from, to)` (default: the last 30 days), most recently active first, with
 * keyset pagination on (last_seen_at DESC, id DESC): a page costs an index range scan however deep
 * it is, and new sessions do not shift later pages the way OFFSET would. (A session that becomes
 * active mid-walk moves ahead of the cursor: the walk shows it at its old place or not at all, and
 * never twice.) totalCount runs the same filter without the cursor.
 */
export async function listSessions(
  ctx: ApiContext,
  args: { first?: number | null; after?: string | null; principal?: string | null; client?: string | null; from?: Date | null; to?: Date | null },
): Promise<SessionConnection> {
  const principal = restrictToSelf(ctx, args.principal);
  const first = args.first ?? SESSIONS_PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 0 || first > SESSIONS_PAGE_MAX) throw badInput(`first must be between 0 and ${SESSIONS_PAGE_MAX}`, 'first');
  const cursor = args.after ? decodeCursor(args.after) : null;
  const range = resolveRange(args.from, args.to, ctx.now());

  const filter: PrismaTypes.SessionWhereInput = {
    lastSeenAt: { gte: range.from },
    startedAt: { lt: range.to },
    ...(principal !== null ? { principalId: principal } : {}),
    ...(args.client ? { client: args.client } : {}),
  };
  const page: PrismaTypes.SessionWhereInput = cursor
    ? { AND: [filter, { OR: [{ lastSeenAt: { lt: cursor.lastSeenAt } }, { lastSeenAt: cursor.lastSeenAt, id: { lt: cursor.id } }] }] }
    : filter;

  const [rows, totalCount] = await Promise.all([
    ctx.prisma.session.findMany({ where: page, orderBy: [{ lastSeenAt: 'desc' }, { id: 'desc' }], take: first + 1 }),
    ctx.prisma.session.count({ where: filter }),
  ]);
  const hasNextPage = rows.length > first;
  const edges = rows.slice(0, first).map((row) => ({ node: toSession(row), cursor: encodeCursor(row) }));
  return { edges, pageInfo: { hasNextPage, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null }, totalCount };
}

/** One session by id; null when there is none, or (for non-admins) when it is someone else's. */
export async function findSession(ctx: ApiContext, id: string): Promise<Session | null> {
  const row = await ctx.prisma.session.findUnique({ where: { id } });
  if (!row) return null;
  // Not FORBIDDEN: that would confirm someone else's session id exists.
  if (!isAdmin(ctx.principal) && row.principalId !== ctx.principal.id) return null;
  return toSession(row);
}

// Keyset position in a session's request log: (at, seq), the order requests are listed in. Opaque
// to clients: base64url of JSON [at in ms, seq as a decimal string] (seq is a bigint).
function encodeRequestCursor(row: { at: Date; seq: bigint }): string {
  return Buffer.from(JSON.stringify([row.at.getTime(), row.seq.toString()])).toString('base64url');
}

function decodeRequestCursor(value: string): { at: Date; seq: bigint } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === 'string' && /^\d{1,19}$/.test(parsed[1])) {
      return { at: new Date(parsed[0] as number), seq: BigInt(parsed[1]) };
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('after is not a cursor returned by requestLog', 'after');
}

/**
 * A session's requests, oldest first, keyset-paged on (at, seq) over the requests(session_id, at)
 * index, with each page's tool calls in one grouped query. The caller has already been allowed to
 * see the session (session(id) answers null for someone else's), so nothing more is checked here.
 */
export async function listSessionRequests(ctx: ApiContext, sessionId: string, args: { first?: number | null; after?: string | null }): Promise<SessionRequestConnection> {
  const first = args.first ?? SESSION_REQUESTS_PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 0 || first > SESSION_REQUESTS_PAGE_MAX) throw badInput(`first must be between 0 and ${SESSION_REQUESTS_PAGE_MAX}`, 'first');
  const cursor = args.after ? decodeRequestCursor(args.after) : null;
  const where: PrismaTypes.RequestRecordWhereInput = cursor
    ? { sessionId, OR: [{ at: { gt: cursor.at } }, { at: cursor.at, seq: { gt: cursor.seq } }] }
    : { sessionId };
  const rows = await ctx.prisma.requestRecord.findMany({ where, orderBy: [{ at: 'asc' }, { seq: 'asc' }], take: first + 1 });
  const page = rows.slice(0, first);
  const tools = await loadToolCountsByRequest(ctx, page.map((row) => row.id));
  const edges = page.map((row) => ({ node: toSessionRequest(row, tools.get(row.id) ?? []), cursor: encodeRequestCursor(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null } };
}

function toSessionRequest(row: RequestRow, tools: ToolCount[]): SessionRequest {
  return {
    id: row.id,
    at: row.at,
    model: row.model,
    provider: row.provider,
    endpoint: row.endpoint,
    stream: row.stream,
    status: row.status,
    errorClass: row.errorClass,
    inputTokens: toSafeNumber(row.inputTokens),
    outputTokens: toSafeNumber(row.outputTokens),
    cachedInputTokens: toSafeNumber(row.cachedInputTokens),
    reasoningTokens: toSafeNumber(row.reasoningTokens),
    costUsd: row.costMicros === null ? null : microsToUsd(row.costMicros),
    latencyMs: row.latencyMs,
    ttfbMs: row.ttfbMs,
    tools,
  };
}

async function loadToolCountsByRequest(ctx: ApiContext, requestIds: string[]): Promise<Map<string, ToolCount[]>> {
  const byRequest = new Map<string, ToolCount[]>();
  if (requestIds.length === 0) return byRequest;
  const rows = await ctx.prisma.$queryRaw<{ request_id: string; tool: string; calls: bigint }[]>`
    SELECT request_id::text AS request_id, tool, SUM(calls)::bigint AS calls
    FROM tool_calls
    WHERE request_id = ANY(${requestIds}::uuid[])
    GROUP BY request_id, tool
    ORDER BY calls DESC, tool ASC`;
  for (const row of rows) {
    const list = byRequest.get(row.request_id) ?? [];
    list.push({ tool: row.tool, calls: toSafeNumber(row.calls) });
    byRequest.set(row.request_id, list);
  }
  return byRequest;
}
