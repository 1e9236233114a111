import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger';
import type { RequestRecord, Recorder } from './record';
import type { Spool } from './spool';
import { packRecord, RECORD_WIDTH, unpackRecords } from './wire';

/**
 * The ledger on a thread of its own. Writing a batch (encoding COPY rows, session assignment, rollups, the
 * PostgreSQL protocol, and on a stall the spool's fsync) cost the event loop ~10 µs per proxied
 * request in bench/ and held it for milliseconds per batch. Here the hot path only packs the record
 * (wire.ts); what gathered goes to the writer thread in one message every POST_INTERVAL_MS, where the
 * same Ledger (ledger.ts) writes, spools and replays it. Not a message per event-loop turn: at 64
 * connections a turn holds a request or two, and each message costs this thread its clone and the
 * writer a wake-up (futex, context switch) on cores the request path shares. A writer thread that
 * dies is started again, and while none is running, records go to the spool from here rather than
 * pile up in memory.
 */
export interface LedgerThreadOptions {
  databaseUrl: string;
  spool: Spool;
  sessionIdleMs: number;
  log: Logger;
}

/** What the writer thread is started with (it opens its own pool and spool from these). */
export interface LedgerThreadData {
  databaseUrl: string;
  spoolDir: string;
  sessionIdleMs: number;
  logLevel: string;
}

export type ToWriter =
  | { type: 'records'; packed: unknown[] }
  | { type: 'flush'; id: number }
  | { type: 'stop' };

export interface WriterStats {
  queueDepth: number;
  committed: number;
  spooled: number;
}

export type FromWriter =
  | ({ type: 'stats' } & WriterStats)
  | { type: 'flushed'; id: number }
  | { type: 'log'; line: string };

/** Records held here while no writer thread runs, before they go to the spool instead. */
const HELD_WITHOUT_WRITER = 5_000;
const STOP_TIMEOUT_MS = 15_000;
/** Short beside the Ledger's own 200 ms batching tick, so it delays no write; at saturation a message carries ~200 records. */
const POST_INTERVAL_MS = 10;

export class LedgerThread implements Recorder {
  private worker?: Worker;
  /** Records not yet posted, packed (wire.ts). */
  private pending: unknown[] = [];
  private postTimer?: NodeJS.Timeout;
  private stats: WriterStats = { queueDepth: 0, committed: 0, spooled: 0 };
  private readonly flushes = new Map<number, () => void>();
  private nextFlushId = 0;
  private stopping?: Promise<void>;
  private stopped?: () => void;
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;

  constructor(private readonly options: LedgerThreadOptions) {}

  /** Records not yet committed: held here, and queued in the writer thread. */
  get queueDepth(): number {
    return this.pending.length / RECORD_WIDTH + this.stats.queueDepth;
  }

  get committed(): number {
    return this.stats.committed;
  }

  get spooled(): number {
    return this.stats.spooled;
  }

  /** False while the writer thread is down and being restarted (records are spooled meanwhile). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  start(): void {
    this.spawn();
  }

  record(record: RequestRecord): void {
    packRecord(record, this.pending);
    if (!this.postTimer) {
      this.postTimer = setTimeout(this.post, POST_INTERVAL_MS);
      // stop() posts what is held: the timer alone must not keep the process up.
      this.postTimer.unref();
    }
  }

  /** Resolves once everything recorded so far has been written (or spooled) by the writer thread. */
  flush(): Promise<void> {
    this.post();
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    const id = this.nextFlushId++;
    return new Promise<void>((resolve) => {
      this.flushes.set(id, resolve);
      worker.postMessage({ type: 'flush', id } satisfies ToWriter);
    });
  }

  /** Hands over what is held, lets the writer finish (commit or spool), then ends the thread. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.post();
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) {
      this.spoolHeld();
      return;
    }
    const done = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    // Until the writer has committed or spooled what it holds, the process must not exit under it.
    worker.ref();
    worker.postMessage({ type: 'stop' } satisfies ToWriter);
    const timeout = setTimeout(() => {
      this.options.log.error({ queued: this.stats.queueDepth }, 'ledger thread did not stop in time; ending it (records it still held are lost)');
      void worker.terminate();
    }, STOP_TIMEOUT_MS);
    await done;
    clearTimeout(timeout);
  }

  private readonly post = (): void => {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    if (this.pending.length === 0) return;
    if (!this.worker) {
      if (this.stopping || this.pending.length >= HELD_WITHOUT_WRITER * RECORD_WIDTH) this.spoolHeld();
      return;
    }
    const packed = this.pending;
    this.pending = [];
    try {
      this.worker.postMessage({ type: 'records', packed } satisfies ToWriter);
    } catch (err) {
      // Only a record that cannot be cloned lands here; keep the batch on disk rather than drop it.
      this.options.log.error({ err: (err as Error).message, records: packed.length / RECORD_WIDTH }, 'ledger thread refused records; spooling them');
      this.pending = packed;
      this.spoolHeld();
    }
  };

  private spoolHeld(): void {
    if (this.pending.length === 0) return;
    const records = unpackRecords(this.pending);
    try {
      this.options.spool.write(records);
      this.options.log.warn({ records: records.length }, 'no ledger thread running; records spooled for replay');
      this.pending = [];
    } catch (err) {
      this.options.log.error({ err: (err as Error).message, records: records.length }, 'ledger spool write failed; records held in memory');
    }
  }

  private spawn(): void {
    const { log } = this.options;
    // From the TypeScript sources (tests, dev) the thread needs the same swc hook as the process.
    const fromSources = path.extname(__filename) === '.ts';
    const data: LedgerThreadData = {
      databaseUrl: this.options.databaseUrl,
      spoolDir: this.options.spool.dir,
      sessionIdleMs: this.options.sessionIdleMs,
      logLevel: log.level,
    };
    const worker = new Worker(path.join(__dirname, `thread-entry${fromSources ? '.ts' : '.js'}`), {
      workerData: data,
      // Inherits the process's flags (heap limits, --cpu-prof), as a worker does by default.
      execArgv: fromSources ? [...process.execArgv, '--require', path.join(__dirname, '..', '..', 'scripts', 'ts-register.js')] : undefined,
    });
    // The process lives as long as its listeners; stop() ends the thread in an orderly way.
    worker.unref();
    worker.on('message', (message: FromWriter) => this.onMessage(message));
    worker.on('error', (err) => log.error({ err: err.stack ?? err.message }, 'ledger thread failed'));
    worker.on('exit', (code) => this.onExit(worker, code));
    this.worker = worker;
    this.post();
  }

  private onMessage(message: FromWriter): void {
    switch (message.type) {
      case 'stats':
        this.stats = { queueDepth: message.queueDepth, committed: message.committed, spooled: message.spooled };
        this.failures = 0;
        return;
      case 'flushed':
        this.flushes.get(message.id)?.();
        this.flushes.delete(message.id);
        return;
      case 'log':
        this.relayLog(message.line);
        return;
    }
  }

  /** The writer's log lines go out through this process's logger: one stream, one redaction list. */
  private relayLog(line: string): void {
    try {
      const { level, msg, time: _time, svc: _svc, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const { log } = this.options;
      const method = (log.levels.labels[level as number] ?? 'info') as 'info';
      log[method]({ ...fields, thread: 'ledger' }, typeof msg === 'string' ? msg : 'ledger thread');
    } catch {
      this.options.log.warn({ thread: 'ledger' }, 'unreadable log line from the ledger thread');
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
    if (this.stopping) {
      this.spoolHeld();
      this.stopped?.();
      return;
    }
    // Records the thread held in memory are gone; what it had spooled is replayed by the next one.
    this.failures++;
    const delayMs = Math.min(30_000, 100 * 2 ** Math.min(this.failures - 1, 9));
    this.options.log.error({ code, queued: this.stats.queueDepth, restartInMs: delayMs }, 'ledger thread exited unexpectedly; starting a new one');
    this.stats = { ...this.stats, queueDepth: 0 };
    this.restartTimer = setTimeout(() => this.spawn(), delayMs);
    this.restartTimer.unref();
  }
}
