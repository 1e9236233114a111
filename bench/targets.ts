import { freeLoopbackPort } from '../core/db/embedded';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';

/**
 * The processes under test. Each target runs in its own process (so its CPU time and memory are
 * its own), on 127.0.0.1, started and stopped by the bench, with its output kept for error reports.
 */
export interface ChildTarget {
  pid: number;
  port: number;
  /** Last lines the child wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}


function keepTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const take = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => lines.join('\n');
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A bench child that prints `{"ready":true,"port":N}` once listening (simulator.js, bare-proxy.js). */
export async function startReadyChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildTarget> {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = keepTail(child);
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (line) {
        child.stdout?.off('data', onData);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited (${code}) before it was ready:\n${output()}`)));
    setTimeout(() => reject(new Error(`${path.basename(script)} was not ready within 15 s:\n${output()}`)), 15_000).unref();
  });
  return { pid: child.pid!, port, output, stop: () => stopChild(child) };
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs: number, ok: (status: number) => boolean = (s) => s === 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${url} answered:\n${output()}`);
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await res.body.text();
      if (ok(res.statusCode)) return;
      last = `${res.statusCode} ${text.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last}):\n${output()}`);
}

export interface TailgateOptions {
  root: string;
  databaseUrl: string;
  whoisSocket: string;
  simulatorUrl: string;
  dataDir: string;
  admin: string;
  /** One per run: the provider key imported by the first start is encrypted with it. */
  masterKey: string;
  /** Node flags besides the image's (productionNodeFlags), e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Extra environment for experiments (A/B of a setting); the recorded run passes none. */
  env?: Record<string, string>;
}

/**
 * The Node flags the image runs the gateway with: its Dockerfile's `CMD ["node", …flags,
 * "dist/app/main.js"]`, read from there so that the gateway measured here starts as it is deployed.
 */
export function productionNodeFlags(root: string): string[] {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  const argv = cmd ? (JSON.parse(cmd[1]) as string[]) : [];
  if (argv[0] !== 'node' || argv[argv.length - 1] !== 'dist/app/main.js') throw new Error(`Dockerfile CMD is not node <flags> dist/app/main.js: ${cmd?.[1] ?? 'none'}`);
  return argv.slice(1, -1);
}

/** The production entry (`node <the image's flags> dist/app/main.js`), configured only through its environment. */
export async function startTailgate(options: TailgateOptions): Promise<ChildTarget> {
  const port = await freeLoopbackPort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    TAILGATE_IDENTITY: 'tailscale',
    TAILSCALE_SOCKET: options.whoisSocket,
    TAILGATE_LISTEN: `127.0.0.1:${port}`,
    TAILGATE_DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    TAILGATE_OPENAI_BASE_URL: `${options.simulatorUrl}/v1`,
    OPENAI_API_KEY: 'bench-key',
    TAILGATE_MASTER_KEY: options.masterKey,
    TAILGATE_ADMINS: options.admin,
    TAILGATE_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const argv = [...productionNodeFlags(options.root), ...(options.nodeArgs ?? []), path.join(options.root, 'dist', 'app', 'main.js')];
  const child = spawn(process.execPath, argv, { cwd: options.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = keepTail(child);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, output, 60_000);
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
  return { pid: child.pid!, port, output, stop: () => stopChild(child) };
}

/**
 * Portkey's open-source gateway as published on npm, run from node_modules. Its postinstall
 * (patch-package) never ran here, and need not: the npm package ships no patches/ folder, so the
 * hook would have applied nothing. The repository's patches touch @hono/node-server 1.13.5 (await a
 * streamed response so its errors are caught) and async-retry (pass the retry operation to the
 * callback, used only when a 429 carries Retry-After); neither path runs with a healthy upstream.
 * It listens on every interface by default; portkey-loopback.js pins it to 127.0.0.1.
 */
export async function startPortkey(root: string, preload: string): Promise<ChildTarget> {
  const port = await freeLoopbackPort();
  const entry = path.join(root, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!existsSync(entry)) throw new Error(`Portkey's gateway is not installed (${entry}); run npm ci`);
  const child = spawn(process.execPath, ['--require', preload, entry, `--port=${port}`, '--headless'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = keepTail(child);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, child, output, 30_000);
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
  return { pid: child.pid!, port, output, stop: () => stopChild(child) };
}

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
    return Math.round(kb / 102.4) / 10;
  } catch {
    return Number.NaN;
  }
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process tree one level deep (PostgreSQL's postmaster and its backends): the
 * live children's own time plus the parent's own and reaped-children time, so backends that start
 * or exit between two readings are counted once, in the right reading.
 */
export function treeCpuSeconds(pid: number): number {
  const parent = statFields(pid);
  if (!parent) return Number.NaN;
  let ticks = Number(parent[11]) + Number(parent[12]) + Number(parent[13]) + Number(parent[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100; // USER_HZ
}

/** User + system CPU time a process has used so far, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : Number.NaN; // utime, stime in USER_HZ (100 on Linux)
}
