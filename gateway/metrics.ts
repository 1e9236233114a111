import client from 'prom-client';
import type { RequestRecord } from './ledger/record';

/**
 * Prometheus metrics on a registry of our own (not the global default), so several gateways in one
 * test process do not collide.
 */
export class GatewayMetrics {
  readonly registry = new client.Registry();
  readonly contentType = this.registry.contentType;
  readonly inflight = new client.Gauge({ name: 'tailgate_inflight_requests', help: 'Model calls in flight', registers: [this.registry] });
  private readonly requests = new client.Counter({ name: 'tailgate_requests_total', help: 'Model calls', labelNames: ['provider', 'model', 'status', 'client'] as const, registers: [this.registry] });
  private readonly tokens = new client.Counter({ name: 'tailgate_tokens_total', help: 'Tokens by kind', labelNames: ['provider', 'model', 'kind'] as const, registers: [this.registry] });
  private readonly cost = new client.Counter({ name: 'tailgate_cost_usd_total', help: 'Cost in USD (known prices only)', labelNames: ['provider', 'model'] as const, registers: [this.registry] });
  private readonly latency = new client.Histogram({ name: 'tailgate_request_duration_seconds', help: 'Whole request latency', labelNames: ['provider'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: [this.registry] });
  private readonly ttfb = new client.Histogram({ name: 'tailgate_upstream_ttfb_seconds', help: 'Upstream time to first byte', labelNames: ['provider'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });

  /**
   * Label children looked up once per (provider, model) and reused: prom-client otherwise sorts and
   * joins the label set on every inc/observe, ~1 µs per request across these series (bench profile).
   * Bounded, since model names come from callers.
   */
  private readonly series = new Map<string, ModelSeries>();

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'tailgate_' });
  }

  gauge(name: string, help: string, collect: () => number): void {
    new client.Gauge({ name, help, registers: [this.registry], collect() { this.set(collect()); } });
  }

  observe(record: RequestRecord, ttfbMs?: number): void {
    const s = this.seriesFor(record.provider, record.model);
    const outcome = `${record.status}\u0000${record.client}`;
    let requests = s.requests.get(outcome);
    if (!requests) {
      requests = this.requests.labels({ provider: record.provider, model: record.model, status: String(record.status), client: record.client });
      s.requests.set(outcome, requests);
    }
    requests.inc();
    const u = record.usage;
    if (u.inputTokens) s.input.inc(u.inputTokens);
    if (u.outputTokens) s.output.inc(u.outputTokens);
    if (u.cachedInputTokens) s.cachedInput.inc(u.cachedInputTokens);
    if (u.cacheWriteTokens) s.cacheWrite.inc(u.cacheWriteTokens);
    if (u.reasoningTokens) s.reasoning.inc(u.reasoningTokens);
    if (record.costMicros !== null) s.cost.inc(Number(record.costMicros) / 1e6);
    s.latency.observe(record.latencyMs / 1000);
    if (ttfbMs !== undefined) s.ttfb.observe(ttfbMs / 1000);
  }

  private seriesFor(provider: string, model: string): ModelSeries {
    const key = `${provider}\u0000${model}`;
    let s = this.series.get(key);
    if (s) return s;
    if (this.series.size >= 2000) this.series.clear();
    const tokens = (kind: string) => this.tokens.labels({ provider, model, kind });
    s = {
      requests: new Map(), input: tokens('input'), output: tokens('output'), cachedInput: tokens('cached_input'), cacheWrite: tokens('cache_write'),
      reasoning: tokens('reasoning'), cost: this.cost.labels({ provider, model }), latency: this.latency.labels({ provider }), ttfb: this.ttfb.labels({ provider }),
    };
    this.series.set(key, s);
    return s;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

interface ModelSeries {
  requests: Map<string, client.Counter.Internal>;
  input: client.Counter.Internal;
  output: client.Counter.Internal;
  cachedInput: client.Counter.Internal;
  cacheWrite: client.Counter.Internal;
  reasoning: client.Counter.Internal;
  cost: client.Counter.Internal;
  latency: client.Histogram.Internal<"provider">;
  ttfb: client.Histogram.Internal<"provider">;
}
