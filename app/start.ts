import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Pool as PgPool } from 'pg';
import { Pool, type Dispatcher } from 'undici';
import { isLoopbackHost, type Config } from '../core/config';
import { createPrisma, type Prisma } from '../core/db/client';
import { openDatabase, type DatabaseHandle } from '../core/db/database';
import { isWritableDir } from '../core/db/embedded';
import { applyMigrations } from '../core/db/migrate';
import type { Logger } from '../core/logger';
import { KeyVault, resolveMasterKey } from '../core/vault';
import { ensureBuiltinProviders } from '../gateway/bootstrap';
import { devIdentifier, tailscaleIdentifier, type Identifier } from '../gateway/identity/identify';
import { LocalApiClient } from '../gateway/identity/localapi';
import { Spool } from '../gateway/ledger/spool';
import { LedgerThread } from '../gateway/ledger/thread';
import { GatewayMetrics } from '../gateway/metrics';
import { unlimitedAdmission, type Admission } from '../gateway/quota/admission';
import { createGatewayHandler, createHttpServer, type ExtraRoute } from '../gateway/server';
import { SnapshotStore } from '../gateway/snapshot';

/**
 * Process wiring: the one place that sees the data plane, the control plane and the database
 * together, and owns start-up order and shutdown.
 */
export class StartupError extends Error {}

export interface ControlPlane {
  routes: Record<string, ExtraRoute>;
  stop(): Promise<void>;
}

export interface ControlPlaneDeps {
  prisma: Prisma;
  vault: KeyVault;
  log: Logger;
  admission: Admission;
  /** The process clock (injected in tests), so the admin API reads the quota window admission writes. */
  now?: () => Date;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  controlPlane?: (deps: ControlPlaneDeps) => Promise<ControlPlane>;
  admission?: (deps: { pool: PgPool; snapshot: SnapshotStore; log: Logger; now?: () => Date }) => Admission;
  /** Overrides for tests: inject the clock. */
  now?: () => Date;
}

export interface RunningTailgate {
  url: string;
  server: http.Server;
  ledger: LedgerThread;
  snapshot: SnapshotStore;
  prisma: Prisma;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startTailgate(options: StartOptions): Promise<RunningTailgate> {
  const { config, log } = options;
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      const started = Date.now();
      try {
        await cleanup();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'shutdown step failed');
      }
      log.debug({ step: cleanup.toString().slice(0, 60), ms: Date.now() - started }, 'shutdown step done');
    }
    cleanups.length = 0;
  };
  try {
    if (config.identity.mode === 'dev' && !isLoopbackHost(config.listen.host)) {
      throw new StartupError(`TAILGATE_IDENTITY=dev on a non-loopback listener (${config.listen.host}) would make everyone on the network an admin: listen on 127.0.0.1, or run with TAILGATE_IDENTITY=tailscale`);
    }
    if (!isWritableDir(config.dataDir)) throw new StartupError(`data dir ${config.dataDir} is not writable: set TAILGATE_DATA_DIR to a writable folder`);
    cleanups.push(lockDataDir(config.dataDir));

    let db: DatabaseHandle;
    try {
      db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
    } catch (err) {
      throw new StartupError((err as Error).message);
    }
    cleanups.push(() => db.stop());
    const applied = await applyMigrations(db.url);
    if (applied.length > 0) log.info({ applied }, 'applied database migrations');

    const prisma = createPrisma(db.url);
    cleanups.push(() => prisma.$disconnect());
    // Idle connections are kept for two minutes, not pg's default 10 s: the 30 s snapshot poll opened
    // four new ones each time, even under load, and a new connection costs ~4.8 ms of CPU (SCRAM's
    // PBKDF2 on both sides, a backend start; bench lab: 2.1 ms client, 2.7 ms PostgreSQL), a burst on
    // the cores the request path uses. Lab, 24 runs of 5 s at 8,200 req/s each, alternated: p99
    // median 3.4 -> 2.8 ms, runs over 5 ms 5 -> 2; 9 -> 1 connections opened in 70 s of load.
    const pgPool = new PgPool({ connectionString: db.url, max: 8, idleTimeoutMillis: 120_000, connectionTimeoutMillis: 2000, statement_timeout: 10_000 });
    pgPool.on('error', (err) => log.warn({ err: err.message }, 'idle Postgres connection failed'));
    cleanups.push(() => pgPool.end());

    const vault = new KeyVault(resolveMasterKey(config.masterKey, config.dataDir, log, config.identity.mode === 'tailscale'));
    await ensureBuiltinProviders(pgPool, vault, config, log);

    const snapshot = new SnapshotStore({ pool: pgPool, vault, log, databaseUrl: db.url, pollMs: config.snapshotRefreshMs });
    await snapshot.start();
    cleanups.push(() => snapshot.stop());

    const spool = new Spool(path.join(config.dataDir, 'spool'));
    const ledger = new LedgerThread({ databaseUrl: db.url, spool, log, sessionIdleMs: config.sessionIdleMs });
    ledger.start();
    cleanups.push(() => ledger.stop());

    const admission = options.admission?.({ pool: pgPool, snapshot, log, now: options.now }) ?? unlimitedAdmission;
    cleanups.push(() => admission.stop());

    let identifier: Identifier;
    let localApi: LocalApiClient | undefined;
    if (config.identity.mode === 'tailscale') {
      localApi = new LocalApiClient(config.identity.socket);
      cleanups.push(() => localApi!.close());
      identifier = tailscaleIdentifier({ localApi, admins: config.identity.admins, appCap: config.identity.appCap, trustServeProxy: config.identity.trustServeProxy });
    } else {
      identifier = devIdentifier(config.identity.devUser);
      log.warn({ identity: `user:${config.identity.devUser}` },
        `DEV IDENTITY MODE: every caller is user:${config.identity.devUser} with the admin role. Only safe on 127.0.0.1; use TAILGATE_IDENTITY=tailscale on a tailnet.`);
    }

    const metrics = new GatewayMetrics();
    metrics.gauge('tailgate_ledger_queue_depth', 'Records waiting to be written', () => ledger.queueDepth);
    metrics.gauge('tailgate_ledger_spool_bytes', 'Bytes of records spooled to disk', () => spool.bytes());

    if (config.export) {
      // Loaded only when export is configured: a gateway without it never runs the AWS SDK it pulls in.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { RecordExporter } = require('../core/export/exporter') as typeof import('../core/export/exporter');
      const exporter = new RecordExporter({ pool: pgPool, config: config.export, log });
      exporter.start();
      cleanups.push(() => exporter.stop());
      metrics.gauge('tailgate_export_lag_seconds', 'Age in seconds of the oldest record not yet exported to S3 (0: all exported)', () => exporter.lagSeconds);
    }

    const controlPlane = options.controlPlane ? await options.controlPlane({ prisma, vault, log, admission, now: options.now }) : undefined;
    if (controlPlane) cleanups.push(() => controlPlane.stop());

    const dispatchers = new Map<string, Dispatcher>();
    const dispatcherFor = (origin: string): Dispatcher => {
      let dispatcher = dispatchers.get(origin);
      if (!dispatcher) {
        dispatcher = new Pool(origin, {
          // No cap: an LLM stream holds its connection for minutes, and a cap would queue stream
          // N+1 behind them all. The limit on concurrent calls is the callers and the quotas.
          connections: null,
          pipelining: 1,
          keepAliveTimeout: 60_000,
          headersTimeout: config.upstream.headersTimeoutMs,
          bodyTimeout: config.upstream.bodyTimeoutMs,
          connect: { timeout: 10_000 },
        });
        dispatchers.set(origin, dispatcher);
      }
      return dispatcher;
    };
    cleanups.push(async () => {
      await Promise.all([...dispatchers.values()].map((d) => d.destroy().catch(() => {})));
    });

    const health = async () => {
      const checks: Record<string, boolean | string> = {};
      checks.database = await pgPool.query('SELECT 1').then(() => true, () => false);
      checks.identity = localApi ? await localApi.ping() : 'dev';
      checks.snapshot = snapshot.current.loadedAt.getTime() > 0;
      checks.ledgerSpooled = String(ledger.spooled);
      checks.ledgerThread = ledger.running;
      return { ok: checks.database === true && checks.identity !== false, checks };
    };

    const handler = createGatewayHandler({
      log,
      identifier,
      snapshot: () => snapshot.current,
      dispatcherFor,
      recorder: ledger,
      admission,
      maxBodyBytes: config.maxBodyBytes,
      health,
      metrics,
      metricsOnMainListener: !config.metricsListen,
      extraRoutes: controlPlane?.routes,
      now: options.now,
    });
    const server = createHttpServer(handler);
    await listen(server, config.listen.host, config.listen.port);
    cleanups.push(() => closeServer(server));
    if (config.metricsListen) {
      const metricsServer = createHttpServer((_req, res) => {
        void metrics.render().then((text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        });
      });
      await listen(metricsServer, config.metricsListen.host, config.metricsListen.port);
      cleanups.push(() => closeServer(metricsServer));
    }
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    log.info({ url, identity: config.identity.mode, database: db.embedded ? 'embedded' : 'external' }, 'tailgate gateway listening');
    return { url, server, ledger, snapshot, prisma, databaseUrl: db.url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new StartupError(err.code === 'EADDRINUSE' ? `cannot listen on ${host}:${port}: the port is in use (set TAILGATE_LISTEN)` : `cannot listen on ${host}:${port}: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
}

/** Stop accepting, let in-flight requests finish (bounded), then drop idle keep-alive sockets. */
async function closeServer(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, 7000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** One gateway per data dir: the spool and the embedded database are not shareable. */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'gateway.pid');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new StartupError(`another Tailgate (pid ${pid}) is running with data dir ${dataDir}; stop it, or set TAILGATE_DATA_DIR to another folder`);
    }
    unlinkSync(lockFile); // stale: its process is gone
  }
  const fd = openSync(lockFile, 'wx', 0o644);
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
  return () => {
    try {
      if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
