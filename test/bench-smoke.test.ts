import { startBareProxy, type BareProxy } from '../bench/bare-proxy';
import type { Call } from '../bench/load';
import { addedOver, computeRatios, renderMarkdown, TARGET_IDS, TARGET_LABELS, type BenchResults, type TargetId, type TargetOutcome } from '../bench/report';
import { BENCH_KEY, BENCH_MODEL, startSimulator, type BenchSimulator } from '../bench/simulator';
import { Samples } from '../bench/stats';
import { runSuite, type SuiteOptions } from '../bench/suite';

// A smoke run of the benchmark harness (not a timed test): the simulator and the bare proxy in this
// process, every figure for ~1 s in all, checked for being produced and sane. `npm run bench` is the real run.

function calls(baseUrl: string, authorization: string): { chat: Call; stream: Call } {
  const url = `${baseUrl}/v1/chat/completions`;
  const headers = { 'content-type': 'application/json', authorization };
  const messages = [{ role: 'user', content: 'hello' }];
  return {
    chat: { url, headers, body: JSON.stringify({ model: BENCH_MODEL, messages }) },
    stream: { url, headers, body: JSON.stringify({ model: BENCH_MODEL, messages, stream: true }) },
  };
}

describe('bench harness', () => {
  let sim: BenchSimulator;
  let bare: BareProxy;

  beforeAll(async () => {
    sim = await startSimulator();
    bare = await startBareProxy({ upstream: sim.url, key: BENCH_KEY });
  });

  afterAll(async () => {
    await bare?.close();
    await sim?.close();
  });

  it('percentiles are nearest-rank over every sample', () => {
    const samples = new Samples();
    for (let i = 1; i <= 10_000; i++) samples.add(i / 1000);
    expect(samples.percentile(50)).toBe(5);
    expect(samples.percentile(99)).toBe(9.9);
    expect(samples.summary()).toMatchObject({ count: 10_000, max: 10 });
  });

  it('measures the simulator and the bare proxy, and reports them side by side', async () => {
    const options: SuiteOptions & { rate: number } = {
      durationMs: 150,
      warmupMs: 50,
      connections: 4,
      loader: 'autocannon',
      loadedConnections: [4],
      rate: 300,
      stream: { chunks: 5, intervalMs: 1, concurrency: 2 },
      openStreams: 20,
      openStreamsTimeoutMs: 3000,
      sim: { setStream: async (shape) => sim.setStream(shape), openStreams: async () => sim.stats().openStreams },
      log: () => {},
    };
    const direct = await runSuite('direct', calls(sim.url, `Bearer ${BENCH_KEY}`), options);
    const proxied = await runSuite('bare', calls(bare.url, 'Bearer caller-placeholder'), options);

    for (const figures of [direct, proxied]) {
      expect(figures.saturation.rps).toBeGreaterThan(0);
      expect(figures.saturation.errors + figures.saturation.non2xx).toBe(0);
      expect(figures.latency['1'].latency.p50).toBeGreaterThan(0);
      expect(figures.latency['1'].errors).toBe(0);
      expect(figures.latency['4'].completed).toBeGreaterThan(0);
      expect(figures.latency['4'].unanswered).toBe(0);
      expect(figures.latency['4'].latency.p99).toBeGreaterThanOrEqual(figures.latency['4'].latency.p50);
      expect(figures.stream.streams).toBeGreaterThan(0);
      expect(figures.stream.incomplete + figures.stream.errors).toBe(0);
      expect(figures.stream.ttfb.p50).toBeGreaterThan(0);
      expect(figures.stream.chunkDelay.count).toBeGreaterThan(0);
      expect(figures.stream.chunkDelay.p50).toBeGreaterThan(0);
      expect(figures.memory).toMatchObject({ requested: 20, open: 20, upstreamLeftOpen: 0 });
    }
    // The simulator answers 401 to anything but the provider key: the proxied run's clean record means
    // the bare proxy replaced the caller's placeholder, as every target must.
    expect(sim.stats().requests).toBeGreaterThan(direct.saturation.requests + proxied.saturation.requests);

    const targets = Object.fromEntries(TARGET_IDS.map((id) => [id, { label: TARGET_LABELS[id], figures: null, skipped: 'smoke' }])) as Record<TargetId, TargetOutcome>;
    targets.direct = { label: TARGET_LABELS.direct, figures: direct };
    targets.bare = { label: TARGET_LABELS.bare, figures: proxied };
    const results: BenchResults = {
      version: 1, date: new Date().toISOString(),
      machine: { cpus: 1, cpuModel: 'test', node: process.version, platform: 'test', memoryGb: 1, loadAverageAtStart: [0, 0, 0] },
      method: { durationS: 0.15, warmupS: 0.05, connections: 4, loadedConnections: [4], rate: 300, rateRule: 'fixed', stream: options.stream, openStreams: 20, loader: 'autocannon 8', requestBytes: 60 },
      targets, added: { bare: addedOver(direct, proxied) }, ratios: computeRatios(targets), quota: { engineActive: null, note: 'not measured' }, readSide: null, checks: [], notes: [],
    };
    expect(results.ratios.bareOverDirect).toBeGreaterThan(0);
    const markdown = renderMarkdown(results);
    expect(markdown).toContain('| Throughput at saturation');
    expect(markdown).toContain(TARGET_LABELS.bare);
  });
});
