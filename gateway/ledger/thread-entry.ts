import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'pg';
import { createLogger } from '../../core/logger';
import { Ledger } from './ledger';
import { Spool } from './spool';
import type { FromWriter, LedgerThreadData, ToWriter, WriterStats } from './thread';
import { unpackRecords } from './wire';

// The ledger's writer thread (started by LedgerThread): one Ledger with its own pool and spool.

/**
 * The request path comes first. On Linux a nice value belongs to one thread, so this lowers the
 * writer alone; when the cores are busy it waits a little and writes larger batches (bench lab, 8,000
 * req/s on 2 shared cores: p99 2.9–3.4 ms against 3.7–4.0 at equal priority, throughput unchanged,
 * and the ledger kept up with 20k req/s of saturation, nothing spooled). Elsewhere the call would
 * lower the whole process, so it is Linux only.
 */
const WRITER_NICE = 10;
if (process.platform === 'linux') {
  try {
    os.setPriority(WRITER_NICE);
  } catch {
    // Not permitted here (raising a nice value always is on Linux): run at the process's priority.
  }
}

const port = parentPort;
if (!port) throw new Error('thread-entry runs as the ledger thread, started by LedgerThread');
const data = workerData as LedgerThreadData;
const send = (message: FromWriter): void => port.postMessage(message);

const log = createLogger(data.logLevel, { write: (line: string) => send({ type: 'log', line }) });
// The Ledger writes one batch (or replays one spool file) at a time: one connection is all it uses,
// and it is kept however long the gateway sits idle (idleTimeoutMillis 0). With pg's default of 10 s
// the first batch after a pause reconnected: ~4.8 ms of CPU (SCRAM on both sides, a backend start)
// just as traffic resumed (bench lab, the first 5 s at 7,500 req/s after 25 s idle: p99 33 ms
// instead of 105).
const pool = new Pool({ connectionString: data.databaseUrl, max: 1, idleTimeoutMillis: 0, connectionTimeoutMillis: 2000, statement_timeout: 10_000 });
pool.on('error', (err) => log.warn({ err: err.message }, 'idle ledger Postgres connection failed'));
const ledger = new Ledger({ pool, spool: new Spool(data.spoolDir), log, sessionIdleMs: data.sessionIdleMs });

let last: WriterStats = { queueDepth: -1, committed: -1, spooled: -1 };
function sendStats(): void {
  const now: WriterStats = { queueDepth: ledger.queueDepth, committed: ledger.committed, spooled: ledger.spooled };
  if (now.queueDepth === last.queueDepth && now.committed === last.committed && now.spooled === last.spooled) return;
  last = now;
  send({ type: 'stats', ...now });
}
// Queue depth and counts for /metrics and /healthz, sent only when they changed.
const statsTimer = setInterval(sendStats, 250);

port.on('message', (message: ToWriter) => {
  switch (message.type) {
    case 'records':
      for (const record of unpackRecords(message.packed)) ledger.record(record);
      return;
    case 'flush':
      void ledger.flush().finally(() => {
        sendStats();
        send({ type: 'flushed', id: message.id });
      });
      return;
    case 'stop':
      clearInterval(statsTimer);
      void (async () => {
        await ledger.stop();
        await pool.end().catch(() => {});
        sendStats();
        // The thread ends when its port closes; LedgerThread waits for that exit.
        port.close();
      })();
      return;
  }
});

ledger.start();
sendStats();
