import type { Pool } from 'pg';
import { request } from 'undici';
import { round1 } from './stats';

/**
 * The read side at scale: seed the ledger with N request rows (a month of a 50-person team: 50
 * principals, 3 clients, 8 models, sessions split every two hours) plus the rollup and sessions the
 * ledger would have kept, all in SQL (`INSERT … SELECT generate_series`), then time the admin API's
 * questions. Seeded principals are user:uN@example.com, so they never mix with the bench caller.
 */
export interface SeedResult {
  requests: number;
  usageDailyRows: number;
  sessions: number;
  seconds: number;
}

const MODELS = `(ARRAY['claude-sonnet-4-5','claude-haiku-4-5','gpt-5','gpt-5-mini','gpt-4o-mini','gemini-2.5-pro','gemini-2.5-flash','deepseek/deepseek-chat'])`;
const PROVIDERS = `(ARRAY['anthropic','anthropic','openai','openai','openai','gemini','gemini','openrouter'])`;
const CLIENTS = `(ARRAY['claude-code','codex','openai-sdk'])`;

export async function seedLedger(pool: Pool, rows: number): Promise<SeedResult> {
  const count = Math.max(1, Math.floor(rows));
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Spread over the last 29 days so every row falls in the API's default 30-UTC-day range.
    await client.query(
      `INSERT INTO requests (id, at, principal_id, node_name, client, user_agent, session_id, provider, model, upstream_model, endpoint, status, stream,
         input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_known, cost_micros, latency_ms, ttfb_ms, error_class, tool_calls)
       SELECT gen_random_uuid(), s.at, 'user:u' || s.p || '@example.com', 'u' || s.p || '-laptop', ${CLIENTS}[s.c + 1], NULL,
         's_bench_' || s.p || '_' || s.c || '_' || floor(extract(epoch FROM s.at) / 7200)::bigint,
         ${PROVIDERS}[s.m + 1], ${MODELS}[s.m + 1], NULL, 'chat',
         CASE WHEN s.g % 97 = 0 THEN 429 ELSE 200 END, s.g % 3 <> 0,
         1000 + s.g % 5000, 50 + s.g % 800, (s.g % 3) * 500, 0, (s.g % 5) * 10, true,
         CASE WHEN s.g % 97 = 0 THEN 0 ELSE 200 + s.g % 20000 END, 300 + s.g % 4000, 150 + s.g % 600,
         CASE WHEN s.g % 97 = 0 THEN 'rate_limit_exceeded' END, s.g % 4
       FROM (SELECT g, now() - (g::float8 / ${count}) * interval '29 days' AS at, g % 50 AS p, (g / 7) % 3 AS c, (g / 3) % 8 AS m
             FROM generate_series(1, ${count}) AS g) AS s`,
    );
    const usage = await client.query(
      `INSERT INTO usage_daily (day, principal_id, model, provider, client, requests, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_micros)
       SELECT (at AT TIME ZONE 'UTC')::date, principal_id, model, provider, client, count(*), count(*) FILTER (WHERE status >= 400 OR error_class IS NOT NULL),
         sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(reasoning_tokens), sum(coalesce(cost_micros, 0))
       FROM requests WHERE session_id LIKE 's\\_bench\\_%' GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT (day, principal_id, model, provider, client) DO UPDATE SET
         requests = usage_daily.requests + EXCLUDED.requests, errors = usage_daily.errors + EXCLUDED.errors,
         input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens, output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
         cached_input_tokens = usage_daily.cached_input_tokens + EXCLUDED.cached_input_tokens, cache_write_tokens = usage_daily.cache_write_tokens + EXCLUDED.cache_write_tokens,
         reasoning_tokens = usage_daily.reasoning_tokens + EXCLUDED.reasoning_tokens, cost_micros = usage_daily.cost_micros + EXCLUDED.cost_micros`,
    );
    const sessions = await client.query(
      `INSERT INTO sessions (id, principal_id, client, client_session_id, models, started_at, last_seen_at, requests, input_tokens, output_tokens,
         cached_input_tokens, cache_write_tokens, reasoning_tokens, cost_micros)
       SELECT session_id, principal_id, client, NULL, array_agg(DISTINCT model ORDER BY model), min(at), max(at), count(*), sum(input_tokens), sum(output_tokens),
         sum(cached_input_tokens), sum(cache_write_tokens), sum(reasoning_tokens), sum(coalesce(cost_micros, 0))
       FROM requests WHERE session_id LIKE 's\\_bench\\_%' GROUP BY session_id, principal_id, client
       ON CONFLICT (id) DO NOTHING`,
    );
    await client.query('COMMIT');
    await client.query('ANALYZE requests');
    await client.query('ANALYZE usage_daily');
    await client.query('ANALYZE sessions');
    return { requests: count, usageDailyRows: usage.rowCount ?? 0, sessions: sessions.rowCount ?? 0, seconds: round1((performance.now() - started) / 1000) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export interface QueryTiming {
  /** How it was timed: over HTTP through the gateway's /graphql, or the API's SQL straight on Postgres. */
  via: 'graphql' | 'sql';
  runs: number;
  p50Ms: number;
  minMs: number;
  maxMs: number;
  rows: number;
}

async function timeRuns(runs: number, once: () => Promise<number>): Promise<{ p50Ms: number; minMs: number; maxMs: number; rows: number }> {
  let rows = 0;
  for (let i = 0; i < 2; i++) rows = await once(); // warm: plans, caches, JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    rows = await once();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round1(times[Math.floor((times.length - 1) / 2)]), minMs: round1(times[0]), maxMs: round1(times[times.length - 1]), rows };
}

export const USAGE_QUERY = '{ usage(groupBy: [MODEL, PRINCIPAL]) { model principal requests costUsd } }';
export const SESSIONS_QUERY = '{ sessions(first: 50) { totalCount edges { cursor node { id principal client models requests costUsd lastSeenAt } } pageInfo { hasNextPage endCursor } } }';

export type GraphqlProbe = { mounted: true } | { mounted: false; reason: string };

/** Is /graphql served by this gateway build? (The admin API is mounted by app/control-plane.ts.) */
export async function probeGraphql(gatewayUrl: string): Promise<GraphqlProbe> {
  try {
    const res = await request(`${gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    const text = await res.body.text();
    if (res.statusCode === 200 && text.includes('"__typename"')) return { mounted: true };
    return { mounted: false, reason: `POST /graphql answered ${res.statusCode}: ${text.slice(0, 160)}` };
  } catch (err) {
    return { mounted: false, reason: (err as Error).message };
  }
}

export async function timeGraphql(gatewayUrl: string, query: string, field: 'usage' | 'sessions', runs: number): Promise<QueryTiming> {
  const timing = await timeRuns(runs, async () => {
    const res = await request(`${gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const json = (await res.body.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
    if (res.statusCode !== 200 || json.errors?.length || !json.data) throw new Error(`GraphQL ${field} failed (${res.statusCode}): ${JSON.stringify(json.errors ?? json).slice(0, 300)}`);
    const value = json.data[field];
    return Array.isArray(value) ? value.length : ((value as { edges?: unknown[] } | undefined)?.edges?.length ?? 0);
  });
  return { via: 'graphql', runs, ...timing };
}

/** The SQL api/usage/usage.service.ts runs for usage(groupBy: [MODEL, PRINCIPAL]) over the default range. */
export async function timeUsageSql(pool: Pool, runs: number): Promise<QueryTiming> {
  const timing = await timeRuns(runs, async () => {
    const result = await pool.query(
      `SELECT model AS "model", principal_id AS "principal",
         COALESCE(SUM(requests), 0)::bigint AS requests, COALESCE(SUM(errors), 0)::bigint AS errors,
         COALESCE(SUM(input_tokens), 0)::bigint AS input_tokens, COALESCE(SUM(output_tokens), 0)::bigint AS output_tokens,
         COALESCE(SUM(cached_input_tokens), 0)::bigint AS cached_input_tokens, COALESCE(SUM(cache_write_tokens), 0)::bigint AS cache_write_tokens,
         COALESCE(SUM(reasoning_tokens), 0)::bigint AS reasoning_tokens, COALESCE(SUM(cost_micros), 0)::bigint AS cost_micros
       FROM usage_daily
       WHERE day >= (now() AT TIME ZONE 'UTC')::date - 29 AND day <= (now() AT TIME ZONE 'UTC')::date
       GROUP BY model, principal_id ORDER BY "model", "principal"`,
    );
    return result.rowCount ?? 0;
  });
  return { via: 'sql', runs, ...timing };
}

/** What the same question costs without the rollup: GROUP BY over the request rows themselves. */
export async function timeUsageFromRequestsSql(pool: Pool, runs: number): Promise<QueryTiming> {
  const timing = await timeRuns(runs, async () => {
    const result = await pool.query(
      `SELECT model, principal_id, count(*) AS requests, COALESCE(SUM(cost_micros), 0)::bigint AS cost_micros
       FROM requests WHERE at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '29 days'
       GROUP BY model, principal_id ORDER BY model, principal_id`,
    );
    return result.rowCount ?? 0;
  });
  return { via: 'sql', runs, ...timing };
}

/** The two statements api/session/session.service.ts issues for sessions(first: 50): a keyset page and its count. */
export async function timeSessionsSql(pool: Pool, runs: number): Promise<QueryTiming> {
  const timing = await timeRuns(runs, async () => {
    const from = `date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '29 days'`;
    const [page] = await Promise.all([
      pool.query(`SELECT * FROM sessions WHERE last_seen_at >= ${from} AND started_at < now() ORDER BY last_seen_at DESC, id DESC LIMIT 51`),
      pool.query(`SELECT count(*) FROM sessions WHERE last_seen_at >= ${from} AND started_at < now()`),
    ]);
    return Math.min(50, page.rowCount ?? 0);
  });
  return { via: 'sql', runs, ...timing };
}
