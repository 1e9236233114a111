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

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'tailgate_' });
  }

  gauge(name: string, help: string, collect: () => number): void {
    new client.Gauge({ name, help, registers: [this.registry], collect() { this.set(collect()); } });
  }

  observe(record: RequestRecord, ttfbMs?: number): void {
    const { provider, model } = record;
    this.requests.inc({ provider, model, status: String(record.status), client: record.client });
    const u = record.usage;
    if (u.inputTokens) this.tokens.inc({ provider, model, kind: 'input' }, u.inputTokens);
    if (u.outputTokens) this.tokens.inc({ provider, model, kind: 'output' }, u.outputTokens);
    if (u.cachedInputTokens) this.tokens.inc({ provider, model, kind: 'cached_input' }, u.cachedInputTokens);
    if (u.cacheWriteTokens) this.tokens.inc({ provider, model, kind: 'cache_write' }, u.cacheWriteTokens);
    if (u.reasoningTokens) this.tokens.inc({ provider, model, kind: 'reasoning' }, u.reasoningTokens);
    if (record.costMicros !== null) this.cost.inc({ provider, model }, Number(record.costMicros) / 1e6);
    this.latency.observe({ provider }, record.latencyMs / 1000);
    if (ttfbMs !== undefined) this.ttfb.observe({ provider }, ttfbMs / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
