import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logger';
import { visibleHorizon } from './horizon';
import {
  EXPORT_KINDS,
  EXPORT_SCHEMA_VERSION,
  KIND_SOURCES,
  encodeObject,
  lastSeqOfKey,
  objectKey,
  partitionDir,
  partitionOf,
  type ExportKind,
  type ExportRow,
  type KindSource,
} from './records';
import { createExportS3Client, type ExportConfig } from './s3';
import { readExportStatus, type ExportStatus, type SqlQuery } from './status';

/**
 * Session-level advisory lock key held for the length of one export run, so that of several
 * gateway processes sharing a database exactly one exports at a time. ASCII "tgexport".
 */
export const EXPORT_LOCK_KEY = 0x74_67_65_78_70_6f_72_74n;

/** Retries back off 1 s, 2 s, 4 s … and never wait longer than this. */
export const MAX_RETRY_DELAY_MS = 30_000;

export function retryDelayMs(failures: number, baseMs = 1000): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

export interface RecordExporterOptions {
  pool: Pool;
  config: ExportConfig;
  log: Logger;
  /** Injected in tests; by default one is built from `config` (credentials from the AWS default chain). */
  s3?: S3Client;
  /** Most records in one object (default 10 000; a batch also ends at an hour boundary). */
  batchSize?: number;
  /** How long a run waits for transactions still writing rows below the newest seq (default 5 s). */
  horizonWaitMs?: number;
  /** First retry delay after a failed run (default 1 s, doubling up to 30 s). */
  retryBaseMs?: number;
}

/** A failed run. `exported` counts records stored (and their cursor advanced) before the failure. */
export class ExportError extends Error {
  constructor(message: string, readonly exported: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExportError';
  }
}

interface Batch {
  key: string;
  rows: ExportRow[];
  last: bigint;
}

/**
 * Exports the ledger (`requests`) and the admin audit trail (`audit_events`) to S3 as gzip'd JSON
 * Lines (docs/export-schema.md). It belongs to the process, not the hot path: nothing here is
 * awaited by a request, and a failing bucket only makes the lag grow.
 *
 * Exactly once, per kind:
 * - A batch is the rows after the cursor, in seq order, up to the visibility horizon (horizon.ts),
 *   at most `batchSize` of them, and ending before the first row whose `at` falls in another UTC
 *   hour than the batch's first row: an object never spans two `dt=/hour=` partitions, and its
 *   partition is its first row's.
 * - Its key is `<prefix>/<kind>/dt=…/hour=…/<first seq>-<last seq>.jsonl.gz`; the cursor advances
 *   (compare-and-set, in the same database as the rows) only after S3 has stored the object.
 * - The horizon moves between runs, so after a crash between the put and the cursor update the
 *   next run could cut the batch at another row. Before each put the exporter therefore lists
 *   `<partition>/<first seq>-`: if an object for that first row already exists, the batch takes that
 *   object's last seq, and the retry rewrites the very same key with the very same bytes. S3 holds
 *   the record of what was written, so even a database restored to an older cursor re-exports onto
 *   the same keys instead of beside them. (This needs s3:ListBucket besides s3:PutObject.)
 * - `pg_try_advisory_lock(EXPORT_LOCK_KEY)` on the run's own connection keeps a second process out;
 *   one that finds the lock taken skips its run.
 */
export class RecordExporter {
  private readonly pool: Pool;
  private readonly config: ExportConfig;
  private readonly log: Logger;
  private readonly s3: S3Client;
  private readonly ownsS3: boolean;
  private readonly batchSize: number;
  private readonly horizonWaitMs: number;
  private readonly retryBaseMs: number;
  private readonly destination: string;
  private timer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private abort?: AbortController;
  private running = false;
  private stopped = false;
  private failures = 0;
  private pendingSince: Date | null = null;
  private lastSuccessAt = new Date();
  /** Why the last run failed in this process (null after a success). */
  lastError: string | null = null;

  constructor(options: RecordExporterOptions) {
    this.pool = options.pool;
    this.config = options.config;
    this.log = options.log.child({ component: 'export' });
    this.ownsS3 = options.s3 === undefined;
    this.s3 = options.s3 ?? createExportS3Client(options.config);
    this.batchSize = options.batchSize ?? 10_000;
    this.horizonWaitMs = options.horizonWaitMs ?? 5_000;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.destination = `s3://${this.config.bucket}/${this.config.prefix}`;
  }

  /**
   * Seconds the oldest record not yet in S3 has been waiting (by its `at`), as of the last run in
   * this process; 0 when everything was exported. Grows between runs while a backlog waits.
   */
  get lagSeconds(): number {
    return this.pendingSince === null ? 0 : Math.max(0, (Date.now() - this.pendingSince.getTime()) / 1000);
  }

  /** Runs now, then every `config.intervalMs`; after a failure sooner, backing off to at most 30 s. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.log.info({ destination: this.destination, intervalMs: this.config.intervalMs }, 'record export started');
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.queue.catch(() => {});
    if (this.ownsS3) this.s3.destroy();
  }

  /**
   * One run: under the advisory lock, exports every batch that is ready. Returns how many records
   * went out (0 when another process holds the lock); throws ExportError when a step fails, having
   * kept whatever was exported before it.
   */
  runOnce(): Promise<{ exported: number }> {
    const run = this.queue.then(() => this.exportReady());
    this.queue = run.catch(() => {});
    return run;
  }

  /** The export's state as Postgres records it (the same from every process). */
  status(): Promise<ExportStatus> {
    return readExportStatus(queryWith(this.pool));
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    let delay = this.config.intervalMs;
    try {
      const { exported } = await this.runOnce();
      if (this.failures > 0) this.log.info({ destination: this.destination, failedAttempts: this.failures, exported }, 'record export recovered');
      this.failures = 0;
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      delay = retryDelayMs(this.failures, this.retryBaseMs);
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn(
        { destination: this.destination, attempt: this.failures, retryInMs: delay, lagSeconds: Math.round(this.lagSeconds), err: reason },
        `record export to ${this.destination} failed (attempt ${this.failures}), retrying in ${delay / 1000} s: ${reason}`,
      );
    }
    this.schedule(delay);
  }

  private async exportReady(): Promise<{ exported: number }> {
    if (this.stopped) return { exported: 0 };
    const abort = new AbortController();
    this.abort = abort;
    // Counted per stored object, so a run that fails half-way still reports what it stored.
    const progress = { exported: 0 };
    let kind: ExportKind | undefined;
    let client: PoolClient | undefined;
    let locked = false;
    let destroy = false;
    // pg-pool listens for errors only on idle clients: without this, Postgres dropping the
    // connection during a long upload would be an unhandled 'error' event, and end the process.
    const onConnectionError = (err: Error): void => {
      destroy = true;
      this.log.warn({ err: err.message }, 'export lost its Postgres connection');
    };
    try {
      client = await this.pool.connect();
      client.on('error', onConnectionError);
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [EXPORT_LOCK_KEY.toString()]);
      locked = lock.rows[0].locked;
      if (!locked) {
        this.log.debug('another process holds the export lock; skipping this run');
        await this.refreshLag(client);
        return { exported: 0 };
      }
      await client.query('INSERT INTO export_cursors (kind) SELECT unnest($1::text[]) ON CONFLICT (kind) DO NOTHING', [EXPORT_KINDS]);
      for (kind of EXPORT_KINDS) {
        await this.exportKind(client, KIND_SOURCES[kind], abort.signal, progress);
        await client.query('UPDATE export_cursors SET last_error = NULL, updated_at = now() WHERE kind = $1', [kind]);
      }
      kind = undefined;
      this.lastError = null;
      this.lastSuccessAt = new Date();
      await this.refreshLag(client).catch(() => {});
      if (progress.exported > 0) this.log.info({ exported: progress.exported, destination: this.destination }, 'exported records to S3');
      return { exported: progress.exported };
    } catch (err) {
      const reason = abort.signal.aborted ? 'export stopped' : err instanceof S3StepError ? err.message : `Postgres: ${describeError(err, 'Postgres')}`;
      this.noteFailure(reason);
      if (client && kind !== undefined && !abort.signal.aborted) {
        await client.query('UPDATE export_cursors SET last_error = $2, updated_at = now() WHERE kind = $1', [kind, reason]).catch(() => {});
      }
      if (client) await this.refreshLag(client).catch(() => {});
      throw new ExportError(reason, progress.exported, { cause: err });
    } finally {
      if (client) {
        // If the unlock cannot run, the connection is suspect: destroying it ends the session,
        // and with it the lock.
        if (locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [EXPORT_LOCK_KEY.toString()]).catch(() => (destroy = true));
        client.off('error', onConnectionError);
        client.release(destroy);
      }
    }
  }

  private async exportKind(client: PoolClient, source: KindSource, signal: AbortSignal, progress: { exported: number }): Promise<void> {
    const horizon = await visibleHorizon(client, source.table, { waitMs: this.horizonWaitMs, signal });
    if (signal.aborted) throw new Error('export stopped');
    if (horizon === null) {
      this.log.info({ kind: source.kind }, 'transactions writing export rows are still open; exporting this kind on the next run');
      return;
    }
    const cursorRow = await client.query<{ last_seq: string }>('SELECT last_seq::text AS last_seq FROM export_cursors WHERE kind = $1', [source.kind]);
    let cursor = BigInt(cursorRow.rows[0].last_seq);
    while (!signal.aborted) {
      const batch = await this.nextBatch(client, source, cursor, horizon, signal);
      if (batch === null) break;
      const body = encodeObject(batch.rows);
      await s3Step(`PutObject ${batch.key}`, () =>
        this.s3.send(
          new PutObjectCommand({
            Bucket: this.config.bucket,
            Key: batch.key,
            Body: body,
            ContentType: 'application/gzip',
            Metadata: { 'schema-version': String(EXPORT_SCHEMA_VERSION), records: String(batch.rows.length) },
          }),
          { abortSignal: signal },
        ),
      );
      const moved = await client.query(
        'UPDATE export_cursors SET last_seq = $3, last_at = now(), last_error = NULL, updated_at = now() WHERE kind = $1 AND last_seq = $2',
        [source.kind, cursor.toString(), batch.last.toString()],
      );
      if (moved.rowCount !== 1) throw new Error(`the ${source.kind} export cursor moved while this process held the export lock (was the lock's connection lost?)`);
      this.log.debug({ key: batch.key, records: batch.rows.length, bytes: body.length }, 'stored export object');
      cursor = batch.last;
      progress.exported += batch.rows.length;
    }
    if (signal.aborted) throw new Error('export stopped');
  }

  private async nextBatch(client: PoolClient, source: KindSource, cursor: bigint, horizon: bigint, signal: AbortSignal): Promise<Batch | null> {
    const rows = await this.readRows(client, source, cursor, horizon, this.batchSize);
    if (rows.length === 0) return null;
    const first = rows[0];
    const hour = partitionOf(first.at);
    const cut = rows.findIndex((row) => partitionOf(row.at) !== hour);
    let batch = cut === -1 ? rows : rows.slice(0, cut);

    const dir = partitionDir(this.config.prefix, source.kind, first.at);
    const listed = await s3Step(`ListObjectsV2 ${dir}${first.seq}-`, () =>
      this.s3.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: `${dir}${first.seq}-` }), { abortSignal: signal }),
    );
    const earlier = (listed.Contents ?? [])
      .map((object) => (object.Key === undefined ? null : lastSeqOfKey(object.Key, first.seq)))
      .filter((last): last is bigint => last !== null)
      .reduce<bigint | null>((max, last) => (max === null || last > max ? last : max), null);
    const natural = batch[batch.length - 1].seq;
    if (earlier !== null && earlier !== natural) {
      // An earlier run stored this batch with another end and did not live to advance the cursor.
      if (earlier > horizon) {
        this.log.warn({ kind: source.kind, earlierLast: earlier.toString(), horizon: horizon.toString() }, 'an earlier export object reaches past the rows known to be final; waiting');
        return null;
      }
      batch = earlier < natural ? batch.filter((row) => row.seq <= earlier) : await this.readRows(client, source, cursor, earlier, Number.MAX_SAFE_INTEGER);
      if (batch.some((row) => partitionOf(row.at) !== hour)) {
        throw new Error(`export object ${dir}${first.seq}-${earlier} covers rows outside its partition; it was not written by this schema version`);
      }
      this.log.info({ kind: source.kind, first: first.seq.toString(), last: earlier.toString() }, 'rewriting an export object stored by an interrupted run');
    }
    const last = batch[batch.length - 1].seq;
    return { key: objectKey(this.config.prefix, source.kind, first.at, first.seq, last), rows: batch, last };
  }

  private async readRows(client: PoolClient, source: KindSource, after: bigint, upTo: bigint, limit: number): Promise<ExportRow[]> {
    const result = await client.query<Record<string, unknown>>(source.selectSql, [after.toString(), upTo.toString(), limit]);
    return result.rows.map(source.toRow);
  }

  private async refreshLag(client: PoolClient): Promise<void> {
    const status = await readExportStatus(queryWith(client));
    this.pendingSince = status.lagSeconds > 0 ? new Date(Date.now() - status.lagSeconds * 1000) : null;
  }

  /** When the database cannot tell us the backlog, count from the last good run: an upper bound. */
  private noteFailure(reason: string): void {
    this.lastError = reason;
    if (this.pendingSince === null) this.pendingSince = this.lastSuccessAt;
  }
}

function queryWith(db: Pool | PoolClient): SqlQuery {
  return async <R extends object>(sql: string, params: unknown[]) => (await db.query<R>(sql, params)).rows;
}

class S3StepError extends Error {}

async function s3Step<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new S3StepError(`S3 ${what}: ${describeError(err)}`, { cause: err });
  }
}

/**
 * One line an operator can act on. S3 errors carry a name (InvalidAccessKeyId, NoSuchBucket…) and
 * an HTTP status; network errors a code (ECONNREFUSED…). Neither ever includes a secret key.
 * Duck-typed rather than `instanceof Error`: errors from Node's net layer can come from another
 * realm, and the SDK then wraps them as "AWS SDK error wrapper for <text>", losing `code`.
 */
export function describeError(err: unknown, service: 'S3' | 'Postgres' = 'S3'): string {
  if (err instanceof S3StepError) return err.message;
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; errors?: Array<{ message?: string }> };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  let text = (e.message || e.errors?.[0]?.message || e.code || name).replace(/^AWS SDK error wrapper for (?:Error: )?/, '');
  if (name !== 'Error' && !text.startsWith(name)) text = `${name}: ${text}`;
  if (status) text += ` (HTTP ${status})`;
  const network = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;
  let hint = '';
  if (service === 'Postgres') hint = network.test(e.code ?? '') || network.test(text) ? 'cannot reach Postgres' : '';
  else if (name === 'CredentialsProviderError') hint = 'no AWS credentials in the default chain (environment, shared config, ECS task role)';
  else if (name === 'NoSuchBucket') hint = 'check TAILGATE_EXPORT_S3_BUCKET';
  else if (status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken/.test(name)) {
    hint = 'check the AWS credentials and that they allow s3:PutObject and s3:ListBucket on the bucket';
  } else if (network.test(e.code ?? '') || network.test(text)) hint = 'cannot reach the S3 endpoint';
  const line = hint ? `${text} — ${hint}` : text;
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
