import type { QueryTiming, GraphqlProbe, SeedResult } from './seed';
import { round1, round3 } from './stats';
import type { TargetFigures } from './suite';

/** Results as written to bench/results/latest.json, and the Markdown made from them. */
export const TARGET_IDS = ['direct', 'bare', 'tailgate', 'tailgateQuota', 'portkey'] as const;
export type TargetId = (typeof TARGET_IDS)[number];

export const TARGET_LABELS: Record<TargetId, string> = {
  direct: 'direct (simulator)',
  bare: 'bare undici proxy',
  tailgate: 'Tailgate',
  tailgateQuota: 'Tailgate + quota',
  portkey: 'Portkey 1.15.2',
};

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGb: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export interface Method {
  durationS: number;
  warmupS: number;
  connections: number;
  loadedConnections: number[];
  rate: number;
  rateRule: string;
  stream: { chunks: number; intervalMs: number; concurrency: number };
  openStreams: number;
  loader: string;
  requestBytes: number;
}

export interface TargetOutcome {
  label: string;
  figures: TargetFigures | null;
  skipped?: string;
  error?: string;
}

export interface ReadSide {
  seed: SeedResult | null;
  graphql: GraphqlProbe;
  usage: QueryTiming | null;
  sessions: QueryTiming | null;
  usageSql: QueryTiming | null;
  sessionsSql: QueryTiming | null;
  usageFromRequestsSql: QueryTiming | null;
  error?: string;
}

export interface Check {
  name: string;
  target: string;
  value: string;
  pass: boolean | null;
}

export interface Added {
  latency: Record<string, { p50: number; p99: number }>;
  ttfb: { p50: number; p99: number };
  chunkDelay: { p50: number; p99: number };
}

export interface BenchResults {
  version: 1;
  date: string;
  machine: Machine;
  method: Method;
  targets: Record<TargetId, TargetOutcome>;
  /** Each target minus direct, same run. */
  added: Partial<Record<TargetId, Added>>;
  ratios: Record<string, number | null>;
  quota: { engineActive: boolean | null; note: string };
  readSide: ReadSide | null;
  checks: Check[];
  notes: string[];
}

const diff = (a: number, b: number): number => round3(a - b);

export function addedOver(direct: TargetFigures, target: TargetFigures): Added {
  const latency: Added['latency'] = {};
  for (const key of Object.keys(target.latency)) {
    const base = direct.latency[key];
    if (!base) continue;
    latency[key] = { p50: diff(target.latency[key].latency.p50, base.latency.p50), p99: diff(target.latency[key].latency.p99, base.latency.p99) };
  }
  return {
    latency,
    ttfb: { p50: diff(target.stream.ttfb.p50, direct.stream.ttfb.p50), p99: diff(target.stream.ttfb.p99, direct.stream.ttfb.p99) },
    chunkDelay: { p50: diff(target.stream.chunkDelay.p50, direct.stream.chunkDelay.p50), p99: diff(target.stream.chunkDelay.p99, direct.stream.chunkDelay.p99) },
  };
}

const ratio = (a: number | undefined, b: number | undefined): number | null => (a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? Math.round((a / b) * 100) / 100 : null);

export function computeRatios(targets: Record<TargetId, TargetOutcome>): Record<string, number | null> {
  const rps = (id: TargetId) => targets[id].figures?.saturation.rps;
  return {
    tailgateOverBare: ratio(rps('tailgate'), rps('bare')),
    tailgateOverPortkey: ratio(rps('tailgate'), rps('portkey')),
    tailgateQuotaOverBare: ratio(rps('tailgateQuota'), rps('bare')),
    tailgateQuotaOverPortkey: ratio(rps('tailgateQuota'), rps('portkey')),
    bareOverDirect: ratio(rps('bare'), rps('direct')),
    portkeyOverBare: ratio(rps('portkey'), rps('bare')),
  };
}

/** The issue's targets, each stated against the bare proxy measured in the same run. */
export function evaluateChecks(results: Pick<BenchResults, 'targets' | 'added' | 'readSide' | 'method'>): Check[] {
  const checks: Check[] = [];
  const bare = results.targets.bare.figures;
  const portkey = results.targets.portkey.figures;
  const bareAdded = results.added.bare;
  const loaded = String(Math.max(...results.method.loadedConnections));
  for (const id of ['tailgate', 'tailgateQuota'] as const) {
    const label = TARGET_LABELS[id];
    const own = results.targets[id].figures;
    const added = results.added[id];
    if (!own || !added) continue;
    if (bare) {
      const floor = round1(bare.saturation.rps * 0.7);
      checks.push({ name: `${label}: throughput ≥ 0.7 × bare proxy`, target: `≥ ${floor} req/s`, value: `${own.saturation.rps} req/s (${ratio(own.saturation.rps, bare.saturation.rps)}×)`, pass: own.saturation.rps >= floor });
    }
    if (portkey) {
      const floor = round1(portkey.saturation.rps * 6);
      checks.push({ name: `${label}: throughput ≥ 6 × Portkey`, target: `≥ ${floor} req/s`, value: `${own.saturation.rps} req/s (${ratio(own.saturation.rps, portkey.saturation.rps)}×)`, pass: own.saturation.rps >= floor });
    }
    if (bareAdded) {
      const p50 = added.latency['1']?.p50;
      const bareP50 = bareAdded.latency['1']?.p50;
      if (p50 !== undefined && bareP50 !== undefined) {
        checks.push({ name: `${label}: added p50, 1 connection ≤ bare + 0.15 ms`, target: `≤ ${round3(bareP50 + 0.15)} ms`, value: `${p50} ms`, pass: p50 <= bareP50 + 0.15 });
      }
      const p99 = own.latency[loaded]?.latency.p99;
      const bareP99 = bare?.latency[loaded]?.latency.p99;
      if (p99 !== undefined && bareP99 !== undefined) {
        checks.push({ name: `${label}: p99, ${loaded} connections at ${results.method.rate} req/s ≤ bare + 2 ms`, target: `≤ ${round3(bareP99 + 2)} ms`, value: `${p99} ms`, pass: p99 <= bareP99 + 2 && own.latency[loaded].unanswered === 0 });
      }
      checks.push({ name: `${label}: streaming TTFB p50 ≤ bare + 0.5 ms`, target: `≤ ${round3((bare?.stream.ttfb.p50 ?? Number.NaN) + 0.5)} ms`, value: `${own.stream.ttfb.p50} ms`, pass: bare ? own.stream.ttfb.p50 <= bare.stream.ttfb.p50 + 0.5 : null });
    }
    if (own.memory) {
      const all = own.memory.open === own.memory.requested;
      checks.push({
        name: `${label}: RSS with ${own.memory.requested.toLocaleString('en-US')} open streams ≤ 250 MB`,
        target: '≤ 250 MB, all streams open',
        value: `${own.memory.openStreamsMb} MB, ${own.memory.open}/${own.memory.requested} open`,
        pass: own.memory.openStreamsMb <= 250 && all,
      });
    }
  }
  const usage = results.readSide?.usage ?? results.readSide?.usageSql;
  if (usage) {
    const rows = results.readSide?.seed?.requests ?? 0;
    checks.push({ name: `usage(groupBy: [MODEL, PRINCIPAL]) over ${rows.toLocaleString('en-US')} request rows ≤ 200 ms`, target: '≤ 200 ms', value: `${usage.p50Ms} ms (${usage.via === 'graphql' ? 'GraphQL over HTTP' : 'SQL only: GraphQL pending'})`, pass: usage.p50Ms <= 200 });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const num = (value: number | null | undefined, digits = 2): string => (value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
const signed = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '—' : `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`);
const int = (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US'));

export function renderMarkdown(results: BenchResults): string {
  const { machine, method, targets, added } = results;
  const present = TARGET_IDS.filter((id) => targets[id].figures || targets[id].error || targets[id].skipped);
  const cell = (id: TargetId, render: (figures: TargetFigures, plus: Added | undefined) => string): string => {
    const outcome = targets[id];
    if (!outcome.figures) return outcome.error ? 'failed' : 'skipped';
    return render(outcome.figures, added[id]);
  };
  const row = (title: string, render: (figures: TargetFigures, plus: Added | undefined, id: TargetId) => string) =>
    `| ${title} | ${present.map((id) => cell(id, (f, a) => render(f, a, id))).join(' | ')} |`;
  const latencyCell = (key: string) => (f: TargetFigures, a: Added | undefined, id: TargetId) => {
    const own = f.latency[key];
    if (!own) return '—';
    const saturated = own.unanswered > 0 || (own.offeredRps !== undefined && own.achievedRps < own.offeredRps * 0.95) ? ` (overloaded: ${int(own.achievedRps)} of ${int(own.offeredRps)} req/s)` : '';
    if (id === 'direct' || !a?.latency[key]) return `${num(own.latency.p50)} / ${num(own.latency.p99)}${saturated}`;
    return `${signed(a.latency[key].p50)} / ${signed(a.latency[key].p99)}${saturated}`;
  };
  const loaded = method.loadedConnections;
  const lines: string[] = [];
  lines.push(`Run ${results.date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.platform}; load average ${machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' / ')} at start${machine.loadAverageAtEnd ? `, ${machine.loadAverageAtEnd.map((n) => n.toFixed(2)).join(' / ')} at end` : ''}.`);
  lines.push(`Method: ${method.durationS} s per figure after ${method.warmupS} s warm-up; saturation with ${method.loader}, ${method.connections} connections; latency with the undici probe (µs resolution): closed loop at 1 connection, open loop at ${method.rate.toLocaleString('en-US')} req/s offered (${method.rateRule}) at ${loaded.join(' and ')} connections; streams of ${method.stream.chunks} chunks ${method.stream.intervalMs} ms apart, ${method.stream.concurrency} at a time; ${method.openStreams.toLocaleString('en-US')} streams held open for memory; ${method.requestBytes}-byte Chat Completions request.`);
  lines.push('');
  lines.push(`| | ${present.map((id) => targets[id].label).join(' | ')} |`);
  lines.push(`|---|${present.map(() => '---:').join('|')}|`);
  lines.push(row(`Throughput at saturation, req/s (${method.connections} conn)`, (f) => int(f.saturation.rps) + (f.saturation.errors + f.saturation.non2xx > 0 ? ` (${f.saturation.errors + f.saturation.non2xx} failed)` : '')));
  lines.push(row('CPU per request, µs (target process, at saturation)', (f) => num(f.saturation.cpuUsPerRequest, 0) + (f.saturation.helperCpuUsPerRequest !== null ? ` + ${num(f.saturation.helperCpuUsPerRequest, 0)} in PostgreSQL` : '')));
  lines.push(row('Latency p50 / p99, 1 conn, ms (others: added over direct)', latencyCell('1')));
  for (const c of loaded) lines.push(row(`Latency p50 / p99, ${c} conn at ${method.rate.toLocaleString('en-US')} req/s, ms (added)`, latencyCell(String(c))));
  lines.push(row('Stream time to first byte p50 / p99, ms (added)', (f, a, id) => (id === 'direct' || !a ? `${num(f.stream.ttfb.p50)} / ${num(f.stream.ttfb.p99)}` : `${signed(a.ttfb.p50)} / ${signed(a.ttfb.p99)}`) + (f.stream.incomplete + f.stream.errors > 0 ? ` (${f.stream.incomplete + f.stream.errors} bad streams)` : '')));
  lines.push(row('Per-chunk delay p50 / p99, ms (added)', (f, a, id) => (id === 'direct' || !a ? `${num(f.stream.chunkDelay.p50)} / ${num(f.stream.chunkDelay.p99)}` : `${signed(a.chunkDelay.p50)} / ${signed(a.chunkDelay.p99)}`)));
  lines.push(row(`RSS idle → ${method.openStreams.toLocaleString('en-US')} open streams, MB`, (f) => (f.memory ? `${num(f.memory.idleMb, 0)} → ${num(f.memory.openStreamsMb, 0)}${f.memory.open < f.memory.requested ? ` (${f.memory.open} open)` : ''}${f.memory.upstreamLeftOpen > 0 ? ` (${f.memory.upstreamLeftOpen} upstream left open)` : ''}` : '—')));
  lines.push('');
  const r = results.ratios;
  lines.push(`Ratios (throughput): Tailgate ÷ bare proxy **${num(r.tailgateOverBare)}×**, Tailgate ÷ Portkey **${num(r.tailgateOverPortkey)}×**; with the quota row: ${num(r.tailgateQuotaOverBare)}× and ${num(r.tailgateQuotaOverPortkey)}×. Bare proxy ÷ direct ${num(r.bareOverDirect)}×, Portkey ÷ bare proxy ${num(r.portkeyOverBare)}×.`);
  lines.push('');
  lines.push(`Quotas: ${results.quota.note}`);
  lines.push('');
  const rs = results.readSide;
  if (rs) {
    lines.push('| Read side | p50 ms | min / max ms | rows returned | how |');
    lines.push('|---|---:|---:|---:|---|');
    const q = (title: string, t: QueryTiming | null, how: string) => {
      if (t) lines.push(`| ${title} | ${num(t.p50Ms, 1)} | ${num(t.minMs, 1)} / ${num(t.maxMs, 1)} | ${int(t.rows)} | ${how} |`);
    };
    const pending = rs.graphql.mounted ? '' : ' (GraphQL pending: /graphql not mounted)';
    q('`usage(groupBy: [MODEL, PRINCIPAL])`', rs.usage, 'GraphQL over HTTP through the gateway');
    q('`sessions(first: 50)` first page + totalCount', rs.sessions, 'GraphQL over HTTP through the gateway');
    q('usage: the API\'s SQL on the rollup', rs.usageSql, `SQL on \`usage_daily\`${pending}`);
    q('sessions: the API\'s two statements', rs.sessionsSql, `SQL on \`sessions\`${pending}`);
    q('usage without the rollup (reference)', rs.usageFromRequestsSql, 'GROUP BY over `requests`');
    if (rs.seed) lines.push('', `Seeded ${int(rs.seed.requests)} request rows, ${int(rs.seed.usageDailyRows)} rollup rows and ${int(rs.seed.sessions)} sessions in ${rs.seed.seconds} s.`);
    if (rs.error) lines.push('', `Read side failed: ${rs.error}`);
    lines.push('');
  }
  lines.push('| Target | goal | measured | |');
  lines.push('|---|---|---|---|');
  for (const check of results.checks) lines.push(`| ${check.name} | ${check.target} | ${check.value} | ${check.pass === null ? '?' : check.pass ? 'pass' : '**miss**'} |`);
  for (const id of TARGET_IDS) {
    const outcome = targets[id];
    if (outcome.error) lines.push('', `${outcome.label} failed: ${outcome.error.split('\n')[0]}`);
    if (outcome.skipped) lines.push('', `${outcome.label} skipped: ${outcome.skipped}`);
  }
  if (results.notes.length > 0) {
    lines.push('');
    for (const note of results.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}

export const RESULTS_START = '<!-- bench:results:start -->';
export const RESULTS_END = '<!-- bench:results:end -->';

/** Replaces the generated section of RESULTS.md, keeping what people wrote around it. */
export function spliceResults(document: string, generated: string): string {
  const start = document.indexOf(RESULTS_START);
  const end = document.indexOf(RESULTS_END);
  const block = `${RESULTS_START}\n${generated}\n${RESULTS_END}`;
  if (start < 0 || end < start) return `${document.trimEnd()}\n\n${block}\n`;
  return document.slice(0, start) + block + document.slice(end + RESULTS_END.length);
}
