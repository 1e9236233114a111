import { closedLoop, holdStreams, openLoop, saturate, streamProbe, type Call, type LatencyResult, type Loader, type SaturationResult, type StreamResult } from './load';
import type { StreamShape } from './simulator';
import { round1 } from './stats';
import { cpuSeconds, rssMb } from './targets';

/**
 * Every figure for one target, in a fixed order: warm up, saturate, latency at 1 connection
 * (closed loop) and at 16 and 64 connections under a fixed offered load (open loop), streams, then
 * memory with many streams open. The same code runs against every target.
 */
export interface SuiteOptions {
  durationMs: number;
  warmupMs: number;
  /** Connections for the saturation run. */
  connections: number;
  loader: Loader;
  /** Connection counts for the fixed-load latency runs (1 always runs closed loop). */
  loadedConnections: number[];
  /** Offered load for those runs; a function receives this target's own saturation figure. */
  rate: number | ((own: SaturationResult) => number);
  stream: StreamShape & { concurrency: number };
  openStreams: number;
  openStreamsTimeoutMs: number;
  /** The target's process, for CPU time and memory; omitted in-process (the smoke test). */
  pid?: number;
  /** Processes working for the target (Tailgate's PostgreSQL), whose CPU time is reported apart. */
  helperPids?: () => number[];
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

export interface TargetFigures {
  saturation: SaturationResult & { cpuUsPerRequest: number | null; helperCpuUsPerRequest: number | null };
  rate: number;
  latency: Record<string, LatencyResult>;
  stream: StreamResult;
  memory: MemoryFigures | null;
}

export async function runSuite(name: string, calls: { chat: Call; stream: Call }, options: SuiteOptions): Promise<TargetFigures> {
  const { log } = options;
  await options.sim.setStream(options.stream);
  await closedLoop(calls.chat, { connections: 16, durationMs: options.warmupMs });
  await streamProbe(calls.stream, { concurrency: options.stream.concurrency, durationMs: Math.min(1000, options.warmupMs), expectChunks: options.stream.chunks });

  const helpers = options.helperPids?.() ?? [];
  const helperCpu = () => helpers.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);
  const cpuBefore = options.pid ? cpuSeconds(options.pid) : Number.NaN;
  const helperBefore = helperCpu();
  const sat = await saturate(calls.chat, { connections: options.connections, durationS: options.loader === 'wrk' ? Math.max(1, Math.round(options.durationMs / 1000)) : options.durationMs / 1000, loader: options.loader });
  const cpuAfter = options.pid ? cpuSeconds(options.pid) : Number.NaN;
  const perRequest = (seconds: number) => (Number.isFinite(seconds) && sat.requests > 0 ? round1((seconds * 1e6) / sat.requests) : null);
  const cpuUsPerRequest = perRequest(cpuAfter - cpuBefore);
  const helperCpuUsPerRequest = helpers.length > 0 ? perRequest(helperCpu() - helperBefore) : null;
  const saturation = { ...sat, cpuUsPerRequest, helperCpuUsPerRequest };
  log(`${name}: ${sat.rps} req/s at ${sat.connections} connections (${sat.tool}${sat.errors + sat.non2xx > 0 ? `, ${sat.errors} errors, ${sat.non2xx} non-2xx` : ''}), ${cpuUsPerRequest ?? '?'} µs CPU/request${helperCpuUsPerRequest !== null ? ` + ${helperCpuUsPerRequest} µs in PostgreSQL` : ''}`);

  const rate = typeof options.rate === 'function' ? options.rate(sat) : options.rate;
  const latency: Record<string, LatencyResult> = {};
  latency['1'] = await closedLoop(calls.chat, { connections: 1, durationMs: options.durationMs });
  log(`${name}: 1 connection: p50 ${latency['1'].latency.p50} ms, p99 ${latency['1'].latency.p99} ms (${latency['1'].achievedRps} req/s)`);
  for (const connections of options.loadedConnections) {
    const result = await openLoop(calls.chat, { connections, rate, durationMs: options.durationMs });
    latency[String(connections)] = result;
    log(`${name}: ${connections} connections at ${rate} req/s offered: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (achieved ${result.achievedRps} req/s${result.unanswered ? `, ${result.unanswered} unanswered` : ''})`);
  }

  await options.sim.setStream(options.stream);
  const stream = await streamProbe(calls.stream, { concurrency: options.stream.concurrency, durationMs: options.durationMs, expectChunks: options.stream.chunks });
  log(`${name}: streams: TTFB p50 ${stream.ttfb.p50} ms, p99 ${stream.ttfb.p99} ms; chunk delay p50 ${stream.chunkDelay.p50} ms, p99 ${stream.chunkDelay.p99} ms (${stream.streams} streams${stream.incomplete ? `, ${stream.incomplete} incomplete` : ''})`);

  const memory = options.openStreams > 0 ? await measureOpenStreams(name, calls.stream, options) : null;
  await options.sim.setStream(options.stream);
  return { saturation, rate, latency, stream, memory };
}

async function measureOpenStreams(name: string, call: Call, options: SuiteOptions): Promise<MemoryFigures> {
  const idleMb = options.pid ? rssMb(options.pid) : Number.NaN;
  // Streams that outlive the measurement: a chunk a second until the caller leaves.
  await options.sim.setStream({ chunks: 1_000_000, intervalMs: 1000 });
  const held = await holdStreams(call, { count: options.openStreams, timeoutMs: options.openStreamsTimeoutMs });
  let openStreamsMb = Number.NaN;
  let open = held.open;
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
  open = Math.min(open, held.requested);
  options.log(`${name}: ${open}/${held.requested} streams open: RSS ${openStreamsMb} MB (idle ${idleMb} MB)${held.failed ? `, ${held.failed} failed` : ''}${upstreamLeftOpen ? `, ${upstreamLeftOpen} upstream streams left open` : ''}`);
  return { idleMb, openStreamsMb, requested: held.requested, open, upstreamLeftOpen };
}
