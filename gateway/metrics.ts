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
  private readonly requests = new CounterFamily(this.registry, 'tailgate_requests_total', 'Model calls');
  private readonly tokens = new CounterFamily(this.registry, 'tailgate_tokens_total', 'Tokens by kind');
  private readonly cost = new CounterFamily(this.registry, 'tailgate_cost_usd_total', 'Cost in USD (known prices only)');
  private readonly latency = new HistogramFamily(this.registry, 'tailgate_request_duration_seconds', 'Whole request latency', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);
  private readonly ttfb = new HistogramFamily(this.registry, 'tailgate_upstream_ttfb_seconds', 'Upstream time to first byte', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);

  /** The series of each (provider, model), found once per request by one Map lookup. */
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
      requests = this.requests.series(`${s.key}\u0000${outcome}`, { provider: s.provider, model: s.model, status: String(record.status), client: record.client });
      s.requests.set(outcome, requests);
    }
    requests.value++;
    const u = record.usage;
    if (u.inputTokens) s.input.value += u.inputTokens;
    if (u.outputTokens) s.output.value += u.outputTokens;
    if (u.cachedInputTokens) s.cachedInput.value += u.cachedInputTokens;
    if (u.cacheWriteTokens) s.cacheWrite.value += u.cacheWriteTokens;
    if (u.reasoningTokens) s.reasoning.value += u.reasoningTokens;
    if (record.costMicros !== null) s.cost.value += Number(record.costMicros) / 1e6;
    s.latency.observe(record.latencyMs / 1000);
    if (ttfbMs !== undefined) s.ttfb.observe(ttfbMs / 1000);
  }

  private seriesFor(provider: string, model: string): ModelSeries {
    const key = `${provider}\u0000${model}`;
    const found = this.series.get(key);
    if (found) return found;
    // Model names come from callers: past MAX_MODELS series, further names are counted together.
    if (this.series.size >= MAX_MODELS && model !== OTHER_MODEL) return this.seriesFor(provider, OTHER_MODEL);
    const tokens = (kind: string) => this.tokens.series(`${key}\u0000${kind}`, { provider, model, kind });
    const s: ModelSeries = {
      key, provider, model,
      requests: new Map(), input: tokens('input'), output: tokens('output'), cachedInput: tokens('cached_input'), cacheWrite: tokens('cache_write'),
      reasoning: tokens('reasoning'), cost: this.cost.series(key, { provider, model }), latency: this.latency.series(provider, { provider }), ttfb: this.ttfb.series(provider, { provider }),
    };
    this.series.set(key, s);
    return s;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

const MAX_MODELS = 2000;
const OTHER_MODEL = '(other)';

interface ModelSeries {
  key: string;
  provider: string;
  model: string;
  requests: Map<string, CounterSeries>;
  input: CounterSeries;
  output: CounterSeries;
  cachedInput: CounterSeries;
  cacheWrite: CounterSeries;
  reasoning: CounterSeries;
  cost: CounterSeries;
  latency: HistogramSeries;
  ttfb: HistogramSeries;
}

type Labels = Record<string, string>;

/** What prom-client's registry reads from a metric at scrape time. */
interface Exposition {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
}

interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

/**
 * The per-request families are plain numbers on the hot path, read by the registry at scrape time
 * through prom-client's metric interface (`get()`). prom-client's own Counter and Histogram hash and
 * validate the label set on every inc/observe: ~1 µs and ~1.6 KB of garbage per request across these
 * series (bench heap profile), for checks these fixed label names never need.
 */
abstract class Family<S> {
  abstract readonly type: string;
  readonly aggregator = 'sum';
  protected readonly all = new Map<string, S>();

  constructor(registry: client.Registry, readonly name: string, readonly help: string) {
    registry.registerMetric(this as unknown as client.Metric);
  }

  /** The series under `key`, made with `labels` the first time. */
  series(key: string, labels: Labels): S {
    let s = this.all.get(key);
    if (!s) {
      s = this.create(labels);
      this.all.set(key, s);
    }
    return s;
  }

  protected abstract create(labels: Labels): S;

  protected abstract values(): Exposition['values'];

  get(): Promise<Exposition> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() });
  }
}

class CounterFamily extends Family<CounterSeries> {
  readonly type = 'counter';

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  /** Series never incremented are left out, as prom-client leaves out a label set never used. */
  protected values(): Exposition['values'] {
    return [...this.all.values()].filter((s) => s.value !== 0).map((s) => ({ labels: s.labels, value: s.value }));
  }
}

class HistogramSeries {
  /** Observations per bucket, not cumulative; the last one is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly labels: Labels, private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram';

  constructor(registry: client.Registry, name: string, help: string, private readonly bounds: readonly number[]) {
    super(registry, name, help);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  protected values(): Exposition['values'] {
    const values: Exposition['values'] = [];
    for (const s of this.all.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return values;
  }
}
