import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool as PgPool } from 'pg';
import { request } from 'undici';
import { createDatabaseIfMissing } from '../core/db/database';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../core/db/embedded';
import { applyMigrations } from '../core/db/migrate';
import { silentLogger } from '../core/logger';
import { PROJECT_ROOT } from '../core/paths';
import { BENCH_LOGIN } from './fake-whois';
import { wrkAvailable, type Call, type Loader } from './load';
import {
  addedOver, computeRatios, evaluateChecks, renderMarkdown, spliceResults, TARGET_IDS, TARGET_LABELS,
  type BenchResults, type Machine, type ReadSide, type TargetId, type TargetOutcome,
} from './report';
import { probeGraphql, seedLedger, SESSIONS_QUERY, timeGraphql, timeSessionsSql, timeUsageFromRequestsSql, timeUsageSql, USAGE_QUERY } from './seed';
import { BENCH_KEY, BENCH_MODEL, type StreamShape } from './simulator';
import {
  combineLatencyRounds, combineRounds, describeLatency, describeSaturation, latencyRound, measureMemory, saturationRound, warmUp,
  type LatencyRound, type SaturationFigures, type SimulatorControl, type SuiteOptions,
} from './suite';
import { startPortkey, startReadyChild, startTailgate, treeCpuSeconds, type ChildTarget } from './targets';

/**
 * `npm run bench`: one run, one machine, one upstream, every target side by side. See
 * bench/RESULTS.md for the method; every knob is an environment variable (BENCH_*), read below.
 */
interface Settings {
  durationMs: number;
  warmupMs: number;
  connections: number;
  loadedConnections: number[];
  rate: number | null;
  rateFraction: number;
  rounds: number;
  stream: StreamShape & { concurrency: number };
  openStreams: number;
  seedRows: number;
  targets: TargetId[];
  loader: Loader;
  profile: boolean;
  write: boolean;
}

const RUN_ORDER: TargetId[] = ['bare', 'direct', 'tailgate', 'tailgateQuota', 'portkey'];

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(raw)})`);
  return value;
}

function readSettings(): Settings {
  const loaderSetting = process.env.BENCH_LOADER ?? 'auto';
  if (!['auto', 'autocannon', 'wrk'].includes(loaderSetting)) throw new Error('BENCH_LOADER must be auto, autocannon or wrk');
  const loader: Loader = loaderSetting === 'auto' ? (wrkAvailable() ? 'wrk' : 'autocannon') : (loaderSetting as Loader);
  const targets = (process.env.BENCH_TARGETS ?? TARGET_IDS.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targets) if (!(TARGET_IDS as readonly string[]).includes(t)) throw new Error(`BENCH_TARGETS: unknown target ${t} (known: ${TARGET_IDS.join(', ')})`);
  const rate = numberFrom('BENCH_RATE', 0);
  return {
    durationMs: Math.round(numberFrom('BENCH_DURATION', 5) * 1000),
    warmupMs: Math.round(numberFrom('BENCH_WARMUP', 2) * 1000),
    connections: numberFrom('BENCH_CONNECTIONS', 64),
    loadedConnections: [16, 64],
    rate: rate > 0 ? rate : null,
    rateFraction: numberFrom('BENCH_RATE_FRACTION', 0.25),
    rounds: Math.max(1, Math.round(numberFrom('BENCH_ROUNDS', 3))),
    stream: { chunks: numberFrom('BENCH_STREAM_CHUNKS', 20), intervalMs: numberFrom('BENCH_STREAM_INTERVAL_MS', 2), concurrency: numberFrom('BENCH_STREAM_CONCURRENCY', 4) },
    openStreams: numberFrom('BENCH_OPEN_STREAMS', 1000),
    seedRows: numberFrom('BENCH_SEED_ROWS', 1_000_000),
    // The bare proxy runs first: its throughput sets the offered load every other target gets.
    targets: RUN_ORDER.filter((id) => targets.includes(id)),
    loader,
    profile: process.env.BENCH_PROFILE === '1',
    write: process.env.BENCH_WRITE !== '0',
  };
}

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const MESSAGES = [
  { role: 'system', content: 'You are a terse assistant inside a load test. Answer in five words.' },
  { role: 'user', content: 'Say hello to the benchmark, and nothing else, please.' },
];
const CHAT_BODY = JSON.stringify({ model: BENCH_MODEL, messages: MESSAGES, max_tokens: 64, temperature: 0 });
const STREAM_BODY = JSON.stringify({ model: BENCH_MODEL, messages: MESSAGES, max_tokens: 64, temperature: 0, stream: true });
const CLIENT_HEADERS = { 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 6.49.0' };

function callsFor(baseUrl: string, headers: Record<string, string>): { chat: Call; stream: Call } {
  const url = `${baseUrl}/v1/chat/completions`;
  return { chat: { url, headers, body: CHAT_BODY }, stream: { url, headers, body: STREAM_BODY } };
}

function simulatorControl(simUrl: string): SimulatorControl {
  return {
    setStream: async (shape) => {
      const res = await request(`${simUrl}/__bench/stream`, { method: 'POST', body: JSON.stringify(shape) });
      await res.body.dump();
    },
    openStreams: async () => {
      const res = await request(`${simUrl}/__bench/stats`);
      return ((await res.body.json()) as { openStreams: number }).openStreams;
    },
  };
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch {
        // best effort: the run is over either way
      }
    }
    cleanups.length = 0;
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  const results: BenchResults = {
    version: 1,
    date: new Date().toISOString(),
    machine: machine(),
    method: {
      durationS: settings.durationMs / 1000,
      warmupS: settings.warmupMs / 1000,
      connections: settings.connections,
      loadedConnections: settings.loadedConnections,
      rate: settings.rate ?? 0,
      rateRule: 'BENCH_RATE',
      stream: settings.stream,
      openStreams: settings.openStreams,
      loader: settings.loader === 'wrk' ? 'wrk 4 (-t1)' : 'autocannon 8',
      requestBytes: Buffer.byteLength(CHAT_BODY),
    },
    targets: Object.fromEntries(TARGET_IDS.map((id) => [id, { label: TARGET_LABELS[id], figures: null, skipped: settings.targets.includes(id) ? undefined : 'not in BENCH_TARGETS' }])) as Record<TargetId, TargetOutcome>,
    added: {},
    ratios: {},
    quota: { engineActive: null, note: 'not measured' },
    readSide: null,
    checks: [],
    notes: [],
  };
  log(`${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}; targets: ${settings.targets.join(', ')}; ${settings.durationMs / 1000} s per figure; loader ${results.method.loader}`);

  try {
    const distBench = __dirname;
    const sim = await startReadyChild(path.join(distBench, 'simulator.js'), { BENCH_PORT: '0' });
    cleanups.push(() => sim.stop());
    const simUrl = `http://127.0.0.1:${sim.port}`;
    const simControl = simulatorControl(simUrl);
    const whoisDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-bench-localapi-'));
    cleanups.push(() => rmSync(whoisDir, { recursive: true, force: true }));
    const whoisSocket = path.join(whoisDir, 'tailscaled.sock');
    const whois = await startReadyChild(path.join(distBench, 'fake-whois.js'), { BENCH_SOCKET: whoisSocket });
    cleanups.push(() => whois.stop());

    const needsDatabase = settings.targets.some((t) => t === 'tailgate' || t === 'tailgateQuota') || settings.seedRows > 0;
    // One cluster, one database per Tailgate variant: the quota row must not leak into "Tailgate".
    const databases: Partial<Record<'tailgate' | 'tailgateQuota', { url: string; pool: PgPool }>> = {};
    let postgresCpu = (): number => Number.NaN;
    if (needsDatabase) {
      const parent = mkdtempSync(path.join(os.tmpdir(), 'tailgate-bench-pg-'));
      chmodSync(parent, 0o755); // the postgres OS user must traverse it when the bench runs as root
      cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
      const clusterDir = path.join(parent, 'pg');
      const server: EmbeddedPostgres = await startEmbeddedPostgres({ clusterDir, log: silentLogger() });
      cleanups.push(() => server.stop());
      const postmaster = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      postgresCpu = () => (postmaster > 0 ? treeCpuSeconds(postmaster) : Number.NaN);
      await createDatabaseIfMissing(server.urlFor('postgres'), 'tailgate');
      await applyMigrations(server.urlFor('tailgate'));
      // A copy of the migrated database (the wasm migration engine runs once per process).
      await createDatabaseIfMissing(server.urlFor('postgres'), 'tailgate_quota', 'tailgate');
      for (const [variant, name] of [['tailgate', 'tailgate'], ['tailgateQuota', 'tailgate_quota']] as const) {
        const url = server.urlFor(name);
        const pool = new PgPool({ connectionString: url, max: 4 });
        cleanups.push(() => pool.end());
        databases[variant] = { url, pool };
      }
      await databases.tailgateQuota!.pool.query(`INSERT INTO quotas (id, subject, "window", max_requests, updated_at) VALUES (gen_random_uuid(), '*', 'DAY', 2000000000, now())`);
      log('embedded PostgreSQL ready, migrated');
    }

    const suiteOptions = (pid: number | undefined, helperCpuSeconds?: () => number): SuiteOptions => ({
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      connections: settings.connections,
      loader: settings.loader,
      loadedConnections: settings.loadedConnections,
      stream: settings.stream,
      openStreams: settings.openStreams,
      openStreamsTimeoutMs: 10_000,
      pid,
      helperCpuSeconds,
      sim: simControl,
      log,
    });

    const tailgateNodeArgs = settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROJECT_ROOT, 'bench', 'results', 'profiles')}`] : [];
    const masterKey = randomBytes(32).toString('base64');
    const startGateway = async (databaseUrl: string): Promise<ChildTarget> => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-bench-data-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      return startTailgate({ root: PROJECT_ROOT, databaseUrl, whoisSocket, simulatorUrl: simUrl, dataDir, admin: `user:${BENCH_LOGIN}`, masterKey, nodeArgs: tailgateNodeArgs });
    };
    const callerHeaders = { ...CLIENT_HEADERS, authorization: 'Bearer caller-placeholder-not-a-key' };

    // Every target up at once (idle ones cost next to nothing), so saturation rounds can alternate.
    const running = new Map<TargetId, { calls: { chat: Call; stream: Call }; options: SuiteOptions; child?: ChildTarget }>();
    for (const id of settings.targets) {
      let child: ChildTarget | undefined;
      try {
        let calls: { chat: Call; stream: Call };
        let pid: number;
        let helpers: (() => number) | undefined;
        if (id === 'direct') {
          calls = callsFor(simUrl, { ...CLIENT_HEADERS, authorization: `Bearer ${BENCH_KEY}` });
          pid = sim.pid;
        } else if (id === 'bare') {
          child = await startReadyChild(path.join(distBench, 'bare-proxy.js'), { BENCH_PORT: '0', BENCH_UPSTREAM: simUrl, BENCH_KEY });
          calls = callsFor(`http://127.0.0.1:${child.port}`, callerHeaders);
          pid = child.pid;
        } else if (id === 'tailgate' || id === 'tailgateQuota') {
          child = await startGateway(databases[id]!.url);
          calls = callsFor(`http://127.0.0.1:${child.port}`, callerHeaders);
          pid = child.pid;
          helpers = postgresCpu;
        } else {
          child = await startPortkey(PROJECT_ROOT, path.join(distBench, 'portkey-loopback.js'));
          calls = callsFor(`http://127.0.0.1:${child.port}`, { ...CLIENT_HEADERS, authorization: `Bearer ${BENCH_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${simUrl}/v1` });
          pid = child.pid;
        }
        if (child) {
          const started = child;
          cleanups.push(() => started.stop());
        }
        const options = suiteOptions(pid, helpers);
        await warmUp(calls, options);
        running.set(id, { calls, options, child });
        log(`${TARGET_LABELS[id]}: up and warm (pid ${pid})`);
      } catch (err) {
        results.targets[id].error = err instanceof Error ? err.message : String(err);
        log(`${TARGET_LABELS[id]} failed: ${results.targets[id].error}`);
        await child?.stop();
      }
    }

    const rounds = new Map<TargetId, Awaited<ReturnType<typeof saturationRound>>[]>();
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [id, target] of running) {
        const result = await saturationRound(target.calls, target.options);
        rounds.set(id, [...(rounds.get(id) ?? []), result]);
        log(`round ${round}: ${TARGET_LABELS[id]} ${result.result.rps} req/s`);
      }
    }
    for (const id of ['tailgate', 'tailgateQuota'] as const) {
      const target = running.get(id);
      if (!target?.child) continue;
      const ledger = await ledgerState(`http://127.0.0.1:${target.child.port}`);
      if (ledger && ledger.spoolBytes > 0) {
        results.notes.push(`${TARGET_LABELS[id]}: after the saturation rounds its ledger held ${ledger.spoolBytes.toLocaleString('en-US')} bytes spooled to disk and ${ledger.queueDepth.toLocaleString('en-US')} records queued: a batch missed the ledger's 700 ms write deadline under saturation, so records went to the spool (to be backfilled) and PostgreSQL's CPU above understates the steady-state cost.`);
      }
      log(`${TARGET_LABELS[id]}: ledger after the rounds: ${ledger ? `${ledger.queueDepth} queued, ${ledger.spoolBytes} bytes spooled` : 'unknown (/metrics unavailable)'}`);
    }
    const saturation = new Map<TargetId, SaturationFigures>();
    for (const [id, list] of rounds) {
      saturation.set(id, combineRounds(list));
      log(describeSaturation(TARGET_LABELS[id], saturation.get(id)!));
    }
    // A load every gateway under test can carry (Portkey aside: it is reported as overloaded), so the
    // fixed-load figures measure latency and pauses rather than restating capacity.
    const reference = saturation.get('bare') ?? saturation.values().next().value;
    const gateways = (['tailgate', 'tailgateQuota'] as const).map((id) => saturation.get(id)?.rps).filter((rps): rps is number => rps !== undefined && rps > 0);
    const cap = gateways.length > 0 ? Math.min(...gateways) / 2 : Number.POSITIVE_INFINITY;
    const wanted = reference ? reference.rps * settings.rateFraction : 1000;
    const rate = settings.rate ?? Math.max(50, Math.round(Math.min(wanted, cap) / 50) * 50);
    results.method.rate = rate;
    if (!settings.rate) {
      results.method.rateRule = `${settings.rateFraction} × the ${saturation.has('bare') ? 'bare proxy' : 'first target'}'s throughput${wanted > cap ? ', capped at half the slower Tailgate variant\'s' : ''}`;
    }
    log(`fixed offered load for the latency runs: ${rate} req/s`);

    const latencyRounds = new Map<TargetId, LatencyRound[]>();
    const roundMs = Math.max(1000, Math.round(settings.durationMs / settings.rounds));
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [id, target] of running) {
        try {
          const result = await latencyRound(target.calls, target.options, rate, roundMs);
          latencyRounds.set(id, [...(latencyRounds.get(id) ?? []), result]);
          log(`round ${round}: ${describeLatency(TARGET_LABELS[id], result, rate)}`);
        } catch (err) {
          results.targets[id].error = err instanceof Error ? err.message : String(err);
          log(`${TARGET_LABELS[id]} failed: ${results.targets[id].error}`);
        }
      }
    }
    for (const [id, target] of running) {
      const list = latencyRounds.get(id);
      if (list && list.length === settings.rounds) {
        const latency = combineLatencyRounds(list);
        log(describeLatency(TARGET_LABELS[id], latency, rate));
        try {
          const memory = await measureMemory(TARGET_LABELS[id], target.calls.stream, target.options);
          results.targets[id].figures = { saturation: saturation.get(id)!, rate, ...latency, memory };
        } catch (err) {
          results.targets[id].error = err instanceof Error ? err.message : String(err);
          log(`${TARGET_LABELS[id]} failed: ${results.targets[id].error}`);
        }
      }
      if (id !== 'tailgate') await target.child?.stop();
    }

    if (databases.tailgateQuota && running.has('tailgateQuota')) {
      const usage = await databases.tailgateQuota.pool.query<{ requests: string }>('SELECT coalesce(sum(requests), 0)::bigint AS requests FROM quota_usage');
      const counted = Number(usage.rows[0].requests);
      results.quota = counted > 0
        ? { engineActive: true, note: `one quota row (subject \`*\`, window DAY, max_requests 2,000,000,000) was enforced: quota_usage counted ${counted.toLocaleString('en-US')} requests.` }
        : { engineActive: false, note: 'a quota row (subject `*`, window DAY) was present, but this build\'s admission is not enforcing quotas (quota_usage stayed empty): "Tailgate + quota" measures the same code path as "Tailgate".' };
    }

    if (settings.seedRows > 0 && databases.tailgate) {
      // The read side runs against a gateway that has been serving: the quota-less one, still up.
      const serving = running.get('tailgate')?.child;
      results.readSide = await measureReadSide(databases.tailgate.pool, settings.seedRows, serving, () => startGateway(databases.tailgate!.url));
    }
    await running.get('tailgate')?.child?.stop();

    const direct = results.targets.direct.figures;
    if (direct) {
      for (const id of TARGET_IDS) {
        const figures = results.targets[id].figures;
        if (id !== 'direct' && figures) results.added[id] = addedOver(direct, figures);
      }
    }
    results.ratios = computeRatios(results.targets);

    results.checks = evaluateChecks(results);
    if (settings.loader === 'autocannon') results.notes.push('autocannon runs in the bench process and takes CPU from the target on a small machine; wrk (when installed) leaves the targets more.');
    if (results.targets.tailgate.figures?.memory && results.targets.tailgate.figures.memory.open < results.targets.tailgate.figures.memory.requested) {
      results.notes.push('Tailgate did not get every stream open: app/start.ts gives each upstream origin an undici Pool of 512 connections, so concurrent streams past 512 wait for a free connection.');
    }
  } finally {
    await cleanup();
  }

  results.machine.loadAverageAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const markdown = renderMarkdown(results);
  process.stdout.write(`\n${markdown}\n`);
  if (settings.write) {
    const dir = path.join(PROJECT_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    const doc = path.join(PROJECT_ROOT, 'bench', 'RESULTS.md');
    const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Tailgate benchmark results\n';
    writeFileSync(doc, spliceResults(current, markdown));
    log(`wrote bench/results/latest.json and the results section of bench/RESULTS.md`);
  }
}

/** The ledger's own gauges, from the gateway's /metrics (the bench caller is an admin). */
async function ledgerState(gatewayUrl: string): Promise<{ queueDepth: number; spoolBytes: number } | null> {
  try {
    const res = await request(`${gatewayUrl}/metrics`);
    const text = await res.body.text();
    if (res.statusCode !== 200) return null;
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { queueDepth: gauge('tailgate_ledger_queue_depth'), spoolBytes: gauge('tailgate_ledger_spool_bytes') };
  } catch {
    return null;
  }
}

async function measureReadSide(pg: PgPool, rows: number, serving: ChildTarget | undefined, startGateway: () => Promise<ChildTarget>): Promise<ReadSide> {
  const readSide: ReadSide = { seed: null, graphql: { mounted: false, reason: 'not probed' }, usage: null, sessions: null, usageSql: null, sessionsSql: null, usageFromRequestsSql: null };
  let gateway: ChildTarget | undefined;
  try {
    log(`seeding ${rows.toLocaleString('en-US')} request rows…`);
    readSide.seed = await seedLedger(pg, rows);
    log(`seeded in ${readSide.seed.seconds} s: ${readSide.seed.usageDailyRows} rollup rows, ${readSide.seed.sessions} sessions`);
    if (!serving) gateway = await startGateway();
    const url = `http://127.0.0.1:${(serving ?? gateway)!.port}`;
    readSide.graphql = await probeGraphql(url);
    if (readSide.graphql.mounted) {
      readSide.usage = await timeGraphql(url, USAGE_QUERY, 'usage', 10);
      readSide.sessions = await timeGraphql(url, SESSIONS_QUERY, 'sessions', 10);
      log(`GraphQL usage p50 ${readSide.usage.p50Ms} ms (${readSide.usage.rows} rows); sessions p50 ${readSide.sessions.p50Ms} ms`);
    } else {
      log(`GraphQL not available (${readSide.graphql.reason}); timing the API's SQL instead`);
    }
    readSide.usageSql = await timeUsageSql(pg, 10);
    readSide.sessionsSql = await timeSessionsSql(pg, 10);
    readSide.usageFromRequestsSql = await timeUsageFromRequestsSql(pg, 3);
    log(`SQL: usage p50 ${readSide.usageSql.p50Ms} ms, sessions p50 ${readSide.sessionsSql.p50Ms} ms, usage without rollup p50 ${readSide.usageFromRequestsSql.p50Ms} ms`);
  } catch (err) {
    readSide.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`read side failed: ${readSide.error}`);
  } finally {
    await gateway?.stop();
  }
  return readSide;
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

