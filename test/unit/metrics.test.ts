import type { RequestRecord } from '../../gateway/ledger/record';
import { GatewayMetrics } from '../../gateway/metrics';

const base: Omit<RequestRecord, 'usage' | 'costMicros' | 'latencyMs'> = {
  id: 'r', at: new Date(), principalId: 'user:a@example.com', principalKind: 'USER', tags: [], client: 'openai-sdk',
  provider: 'openai', model: 'gpt-5', endpoint: 'chat', status: 200, stream: false, usageKnown: true, tools: [],
};
const usage = (u: Partial<RequestRecord['usage']>): RequestRecord['usage'] => ({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...u });

async function exposition(metrics: GatewayMetrics): Promise<string> {
  const text = await metrics.render();
  // Only the request families: default process metrics vary from run to run.
  return text.split('\n').filter((line) => /^(# (HELP|TYPE) )?tailgate_(requests|tokens|cost|request_duration|upstream_ttfb)/.test(line)).join('\n');
}

describe('gateway metrics', () => {
  it('render exactly what prom-client rendered for the same calls (golden taken from its Counter and Histogram)', async () => {
    const metrics = new GatewayMetrics();
    metrics.observe({ ...base, usage: usage({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, reasoningTokens: 1 }), costMicros: 123n, latencyMs: 30 }, 10);
    metrics.observe({ ...base, usage: usage({ inputTokens: 20 }), costMicros: null, latencyMs: 700 }, undefined);
    metrics.observe({ ...base, provider: 'anthropic', model: 'claude "x"\n', client: 'claude-code', status: 500, usage: usage({ cacheWriteTokens: 3 }), costMicros: 5_000_000n, latencyMs: 400_000 }, 3000);
    expect(await exposition(metrics)).toBe(GOLDEN);
  });

  it('count caller-chosen model names past 2,000 together, so a flood of names cannot grow /metrics without bound', async () => {
    const metrics = new GatewayMetrics();
    for (let i = 0; i < 2_005; i++) metrics.observe({ ...base, model: `m-${i}`, usage: usage({ inputTokens: 1 }), costMicros: null, latencyMs: 1 });
    const text = await exposition(metrics);
    expect(text.match(/^tailgate_requests_total\{/gm)).toHaveLength(2_001);
    expect(text).toContain('tailgate_requests_total{provider="openai",model="(other)",status="200",client="openai-sdk"} 5\n');
    expect(text).toContain('tailgate_requests_total{provider="openai",model="m-1999",status="200",client="openai-sdk"} 1\n');
    expect(text).not.toContain('model="m-2000"');
  });
});

const GOLDEN = [
  '# HELP tailgate_requests_total Model calls',
  '# TYPE tailgate_requests_total counter',
  'tailgate_requests_total{provider="openai",model="gpt-5",status="200",client="openai-sdk"} 2',
  'tailgate_requests_total{provider="anthropic",model="claude \\"x\\"\\n",status="500",client="claude-code"} 1',
  '# HELP tailgate_tokens_total Tokens by kind',
  '# TYPE tailgate_tokens_total counter',
  'tailgate_tokens_total{provider="openai",model="gpt-5",kind="input"} 30',
  'tailgate_tokens_total{provider="openai",model="gpt-5",kind="output"} 5',
  'tailgate_tokens_total{provider="openai",model="gpt-5",kind="cached_input"} 2',
  'tailgate_tokens_total{provider="openai",model="gpt-5",kind="reasoning"} 1',
  'tailgate_tokens_total{provider="anthropic",model="claude \\"x\\"\\n",kind="cache_write"} 3',
  '# HELP tailgate_cost_usd_total Cost in USD (known prices only)',
  '# TYPE tailgate_cost_usd_total counter',
  'tailgate_cost_usd_total{provider="openai",model="gpt-5"} 0.000123',
  'tailgate_cost_usd_total{provider="anthropic",model="claude \\"x\\"\\n"} 5',
  '# HELP tailgate_request_duration_seconds Whole request latency',
  '# TYPE tailgate_request_duration_seconds histogram',
  'tailgate_request_duration_seconds_bucket{le="0.05",provider="openai"} 1',
  'tailgate_request_duration_seconds_bucket{le="0.1",provider="openai"} 1',
  'tailgate_request_duration_seconds_bucket{le="0.25",provider="openai"} 1',
  'tailgate_request_duration_seconds_bucket{le="0.5",provider="openai"} 1',
  'tailgate_request_duration_seconds_bucket{le="1",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="2.5",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="5",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="10",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="30",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="60",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="120",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="300",provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="+Inf",provider="openai"} 2',
  'tailgate_request_duration_seconds_sum{provider="openai"} 0.73',
  'tailgate_request_duration_seconds_count{provider="openai"} 2',
  'tailgate_request_duration_seconds_bucket{le="0.05",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="0.1",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="0.25",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="0.5",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="1",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="2.5",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="5",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="10",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="30",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="60",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="120",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="300",provider="anthropic"} 0',
  'tailgate_request_duration_seconds_bucket{le="+Inf",provider="anthropic"} 1',
  'tailgate_request_duration_seconds_sum{provider="anthropic"} 400',
  'tailgate_request_duration_seconds_count{provider="anthropic"} 1',
  '# HELP tailgate_upstream_ttfb_seconds Upstream time to first byte',
  '# TYPE tailgate_upstream_ttfb_seconds histogram',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.01",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.05",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.1",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.25",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.5",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="1",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="2.5",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="5",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="10",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="30",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="+Inf",provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_sum{provider="openai"} 0.01',
  'tailgate_upstream_ttfb_seconds_count{provider="openai"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.01",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.05",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.1",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.25",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="0.5",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="1",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="2.5",provider="anthropic"} 0',
  'tailgate_upstream_ttfb_seconds_bucket{le="5",provider="anthropic"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="10",provider="anthropic"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="30",provider="anthropic"} 1',
  'tailgate_upstream_ttfb_seconds_bucket{le="+Inf",provider="anthropic"} 1',
  'tailgate_upstream_ttfb_seconds_sum{provider="anthropic"} 3',
  'tailgate_upstream_ttfb_seconds_count{provider="anthropic"} 1',
].join('\n');
