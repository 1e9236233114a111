import { request } from 'undici';
import { closedLoop, holdStreams, openLoop, saturate, streamProbe, type Call, type LatencyResult, type Loader, type SaturationResult, type StreamResult } from './load';
import type { StreamShape } from './simulator';
import { pooledSummary, round1 } from './stats';
import { cpuSeconds, rssMb } from './targets';

/**
 * The figures for one target, in phases the runner can interleave across targets: check and warm
 * up; saturate (one round at a time, so rounds of different targets alternate and slow drift in a
 * shared machine's load hits them all alike); then latency at 1 connection (closed loop) and at 16
 * and 64 connections under a fixed offered load (open loop), streams, and memory with many
 * streams open. The same code runs against every target.
 */
export interface SuiteOptions {
  durationMs: number;
  warmupMs: number;
  /** Connections for the saturation run. */
  connections: number;
  loader: Loader;
  /** Connection counts for the fixed-load latency runs (1 always runs closed loop). */
  loadedConnections: number[];
  stream: StreamShape & { concurrency: number };
  openStreams: number;
  openStreamsTimeoutMs: number;
  /** The target's process, for CPU time and memory; omitted in-process (the smoke test). */
  pid?: number;
  /** CPU seconds so far of the processes working for the target (Tailgate's PostgreSQL), reported apart. */
  helperCpuSeconds?: () => number;
  sim: SimulatorControl;
  log: (line: string) => void;
}

export interface SimulatorControl {
  setStream(shape: StreamShape): Promise<void>;
  openStreams(): Promise<number>;
}

export interface MemoryFigures {
  idleMb: number;
  /** RSS (highest of a few samples) while the streams are held open. */
  openStreamsMb: number;
  requested: number;
  /** Streams that had received their first chunk and were still open when RSS was read. */
  open: number;
  /** Upstream streams still open 10 s after every caller left (a proxy must abort them). */
  upstreamLeftOpen: number;
}

export interface SaturationFigures extends SaturationResult {
  /** Requests per second of each round; `rps` is their median. */
  roundsRps: number[];
  cpuUsPerRequest: number | null;
  helperCpuUsPerRequest: number | null;
}

export interface TargetFigures {
  saturation: SaturationFigures;
  rate: number;
  latency: Record<string, LatencyResult>;
  stream: StreamResult;
  memory: MemoryFigures | null;
}

/** One call of each kind before any load: a target that answers errors is reported, not measured. */
export async function checkTarget(calls: { chat: Call; stream: Call }): Promise<void> {
  for (const call of [calls.chat, calls.stream]) {
    const res = await request(call.url, { method: 'POST', headers: call.headers, body: call.body, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode} to a ${call.body.includes('"stream":true') ? 'streamed' : 'plain'} call: ${text.slice(0, 300)}`);
  }
}

export async function warmUp(calls: { chat: Call; stream: Call }, options: SuiteOptions): Promise<void> {
  await options.sim.setStream(options.stream);
  await checkTarget(calls);
  await closedLoop(calls.chat, { connections: 16, durationMs: options.warmupMs });
  await streamProbe(calls.stream, { concurrency: options.stream.concurrency, durationMs: Math.min(1000, options.warmupMs), expectChunks: options.stream.chunks });
}

interface Round {
  result: SaturationResult;
  cpu: number;
  helperCpu: number;
}

export async function saturationRound(calls: { chat: Call }, options: SuiteOptions): Promise<Round> {
  const helperCpu = options.helperCpuSeconds ?? (() => Number.NaN);
  const cpuBefore = options.pid ? cpuSeconds(options.pid) : Number.NaN;
  const helperBefore = helperCpu();
  const durationS = options.loader === 'wrk' ? Math.max(1, Math.round(options.durationMs / 1000)) : options.durationMs / 1000;
  const result = await saturate(calls.chat, { connections: options.connections, durationS, loader: options.loader });
  return { result, cpu: (options.pid ? cpuSeconds(options.pid) : Number.NaN) - cpuBefore, helperCpu: helperCpu() - helperBefore };
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

/** Median requests per second over the rounds; CPU per request pooled over all of them. */
export function combineRounds(rounds: Round[]): SaturationFigures {
  const rps = rounds.map((r) => r.result.rps);
  const requests = rounds.reduce((sum, r) => sum + r.result.requests, 0);
  const perRequest = (seconds: number) => (Number.isFinite(seconds) && requests > 0 ? round1((seconds * 1e6) / requests) : null);
  const first = rounds[0].result;
  return {
    tool: first.tool,
    connections: first.connections,
    durationS: first.durationS,
    rps: round1(median(rps)),
    requests,
    errors: rounds.reduce((sum, r) => sum + r.result.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.result.non2xx, 0),
    roundsRps: rps,
    cpuUsPerRequest: perRequest(rounds.reduce((sum, r) => sum + r.cpu, 0)),
    helperCpuUsPerRequest: perRequest(rounds.reduce((sum, r) => sum + r.helperCpu, 0)),
  };
}

export function describeSaturation(name: string, s: SaturationFigures): string {
  const failed = s.errors + s.non2xx > 0 ? `, ${s.errors} errors, ${s.non2xx} non-2xx` : '';
  const helper = s.helperCpuUsPerRequest !== null ? ` + ${s.helperCpuUsPerRequest} µs in PostgreSQL` : '';
  return `${name}: ${s.rps} req/s at ${s.connections} connections (${s.tool}; rounds ${s.roundsRps.join(', ')}${failed}), ${s.cpuUsPerRequest ?? '?'} µs CPU/request${helper}`;
}

export interface LatencyRound {
  latency: Record<string, LatencyResult>;
  stream: StreamResult;
}

const WARM_MS = 3000;

/** One round of the latency figures, after a warm-up at the fixed load: 1 connection closed loop, the fixed-load runs, streams. */
export async function latencyRound(calls: { chat: Call; stream: Call }, options: SuiteOptions, rate: number, durationMs: number): Promise<LatencyRound> {
  const latency: Record<string, LatencyResult> = {};
  // Untimed, first: the fixed load for WARM_MS. Each target sits idle while the others run (20-25 s in
  // a full run), and load after that starts cold (V8 regrowing a heap its memory reducer shrank,
  // re-optimizing code) for 2-3 s: Tailgate's p99 over a 5 s run straight after 25 s idle read
  // 7.6-55 ms in the lab, 2.5-3.5 ms once warm. These figures are the steady state.
  await openLoop(calls.chat, { connections: Math.max(...options.loadedConnections, 1), rate, durationMs: WARM_MS });
  latency['1'] = await closedLoop(calls.chat, { connections: 1, durationMs });
  for (const connections of options.loadedConnections) {
    latency[String(connections)] = await openLoop(calls.chat, { connections, rate, durationMs });
  }
  await options.sim.setStream(options.stream);
  const stream = await streamProbe(calls.stream, { concurrency: options.stream.concurrency, durationMs, expectChunks: options.stream.chunks });
  return { latency, stream };
}

export function combineLatencyRounds(rounds: LatencyRound[]): LatencyRound {
  const latency: Record<string, LatencyResult> = {};
  for (const key of Object.keys(rounds[0].latency)) {
    const list = rounds.map((r) => r.latency[key]);
    const seconds = list.reduce((sum, r) => sum + r.durationS, 0);
    const completed = list.reduce((sum, r) => sum + r.completed, 0);
    latency[key] = {
      connections: list[0].connections,
      durationS: round1(seconds),
      offeredRps: list[0].offeredRps,
      achievedRps: round1(median(list.map((r) => r.achievedRps))),
      completed,
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      unanswered: list.reduce((sum, r) => sum + r.unanswered, 0),
      latency: pooledSummary(list.map((r) => r.latency)),
    };
  }
  const streams = rounds.map((r) => r.stream);
  const stream: StreamResult = {
    concurrency: streams[0].concurrency,
    durationS: round1(streams.reduce((sum, s) => sum + s.durationS, 0)),
    streams: streams.reduce((sum, s) => sum + s.streams, 0),
    incomplete: streams.reduce((sum, s) => sum + s.incomplete, 0),
    errors: streams.reduce((sum, s) => sum + s.errors, 0),
    ttfb: pooledSummary(streams.map((s) => s.ttfb)),
    chunkDelay: pooledSummary(streams.map((s) => s.chunkDelay)),
  };
  return { latency, stream };
}

export function describeLatency(name: string, figures: LatencyRound, rate: number): string {
  const parts = Object.entries(figures.latency).map(([key, r]) => `${key} conn${key === '1' ? '' : ` @${rate}/s`} p50 ${r.latency.p50} p99 ${r.latency.p99}${r.unanswered || (r.offeredRps && r.achievedRps < r.offeredRps * 0.95) ? ' (overloaded)' : ''}`);
  const st = figures.stream;
  return `${name}: ${parts.join('; ')}; stream TTFB p50 ${st.ttfb.p50} p99 ${st.ttfb.p99}, chunk delay p50 ${st.chunkDelay.p50} p99 ${st.chunkDelay.p99}${st.incomplete + st.errors ? ` (${st.incomplete + st.errors} bad streams)` : ''} (ms)`;
}

/** Every phase for one target in a row (the smoke test; the runner interleaves rounds across targets). */
export async function runSuite(name: string, calls: { chat: Call; stream: Call }, options: SuiteOptions & { rate: number }): Promise<TargetFigures> {
  await warmUp(calls, options);
  const saturation = combineRounds([await saturationRound(calls, options)]);
  options.log(describeSaturation(name, saturation));
  const latency = combineLatencyRounds([await latencyRound(calls, options, options.rate, options.durationMs)]);
  options.log(describeLatency(name, latency, options.rate));
  const memory = await measureMemory(name, calls.stream, options);
  return { saturation, rate: options.rate, ...latency, memory };
}

export async function measureMemory(name: string, call: Call, options: SuiteOptions): Promise<MemoryFigures | null> {
  if (options.openStreams <= 0) return null;
  const memory = await measureOpenStreams(name, call, options);
  await options.sim.setStream(options.stream);
  return memory;
}

async function measureOpenStreams(name: string, call: Call, options: SuiteOptions): Promise<MemoryFigures> {
  const idleMb = options.pid ? rssMb(options.pid) : Number.NaN;
  // Streams that outlive the measurement: a chunk a second until the caller leaves.
  await options.sim.setStream({ chunks: 1_000_000, intervalMs: 1000 });
  const held = await holdStreams(call, { count: options.openStreams, timeoutMs: options.openStreamsTimeoutMs });
  let openStreamsMb = Number.NaN;
  try {
    for (let i = 0; options.pid && i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const sample = rssMb(options.pid);
      if (!(sample <= openStreamsMb)) openStreamsMb = sample;
    }
  } finally {
    await held.close();
  }
  const deadline = Date.now() + 10_000;
  let upstreamLeftOpen = await options.sim.openStreams();
  while (upstreamLeftOpen > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    upstreamLeftOpen = await options.sim.openStreams();
  }
  const open = Math.min(held.open, held.requested);
  options.log(`${name}: ${open}/${held.requested} streams open: RSS ${openStreamsMb} MB (idle ${idleMb} MB)${held.failed ? `, ${held.failed} failed` : ''}${upstreamLeftOpen ? `, ${upstreamLeftOpen} upstream streams left open` : ''}`);
  return { idleMb, openStreamsMb, requested: held.requested, open, upstreamLeftOpen };
}
