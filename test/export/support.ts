import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FinalizeHandler, FinalizeHandlerArguments, HandlerExecutionContext, MetadataBearer } from '@smithy/types';
import { Pool } from 'pg';
import S3rver from 's3rver';
import { createLogger, type Logger } from '../../core/logger';
import { createExportS3Client, type ExportConfig } from '../../core/export';
import type { ExportRecord } from '../../core/export';

export const BUCKET = 'tailgate-export';
export const PREFIX = 'tg/records';
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver on loopback with a data directory that survives stop/start, like a bucket that goes away and comes back. */
export class LocalS3 {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-s3-'));
  port = 0;
  private server?: S3rver;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    const address = await server.run();
    this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  config(overrides: Partial<ExportConfig> = {}): ExportConfig {
    return { bucket: BUCKET, prefix: PREFIX, endpoint: this.endpoint, intervalMs: 60_000, ...overrides };
  }

  client(opts: { credentials?: { accessKeyId: string; secretAccessKey: string } } = {}): S3Client {
    return createExportS3Client(this.config(), { credentials: opts.credentials ?? S3RVER_CREDENTIALS });
  }
}

export type S3Hook = (commandName: string, phase: 'before' | 'after') => Promise<void> | void;

/** Runs `hook` around every request the client sends (by command name), on the real wire path. */
let hookCount = 0;

export function hookS3(client: S3Client, hook: S3Hook): void {
  client.middlewareStack.add(
    <Output extends MetadataBearer>(next: FinalizeHandler<object, Output>, context: HandlerExecutionContext) =>
      async (args: FinalizeHandlerArguments<object>) => {
        const name = context.commandName ?? 'unknown';
        await hook(name, 'before');
        const result = await next(args);
        await hook(name, 'after');
        return result;
      },
    { step: 'finalizeRequest', name: `exportTestHook${++hookCount}` },
  );
}

export interface StoredObject {
  key: string;
  records: ExportRecord[];
  text: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** Every object under the prefix, in key order, decompressed and parsed line by line. */
export async function readBucket(client: S3Client, prefix = PREFIX): Promise<StoredObject[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const objects: StoredObject[] = [];
  for (const key of keys.sort()) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    const text = gunzipSync(bytes).toString('utf8');
    const records = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportRecord);
    objects.push({ key, records, text, contentType: got.ContentType, metadata: got.Metadata });
  }
  return objects;
}

/** Ids of every exported record of a kind, in the order the objects hold them. */
export function exportedIds(objects: StoredObject[], kind: 'request' | 'audit'): number[] {
  return objects.flatMap((o) => o.records.filter((r) => r.kind === kind).map((r) => Number(r.id))).sort((a, b) => a - b);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export function testPool(url: string, name = 'tailgate-export-test'): Pool {
  const pool = new Pool({ connectionString: url, max: 4, application_name: name });
  pool.on('error', () => {}); // a test terminates backends on purpose
  return pool;
}

export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  raw: string[];
}

export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger('debug', sink), lines, raw };
}

let requestCounter = 0;

export interface SeedRequest {
  at: Date;
  principal?: string;
  model?: string;
  costMicros?: bigint | null;
  usageKnown?: boolean;
  inputTokens?: bigint;
}

/** Inserts ledger rows the way the ledger does (one INSERT per row here); returns their seqs. */
export async function insertRequests(db: { query: Pool['query'] }, rows: SeedRequest[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const row of rows) {
    requestCounter++;
    const id = `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
    const result = await db.query<{ seq: string }>(
      `INSERT INTO requests (id, at, principal_id, node_name, client, user_agent, session_id, provider, model, upstream_model, endpoint, status, stream,
         input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, usage_known, cost_micros, latency_ms, ttfb_ms, error_class, tool_calls)
       VALUES ($1, $2, $3, 'laptop', 'claude-code', 'claude-cli/1.0', 's_1', 'anthropic', $4, 'claude-x-upstream', 'messages', 200, true,
         $7, 20, 3, 4, 5, $5, $6, 1500, 120, NULL, 2) RETURNING seq::text AS seq`,
      [id, row.at, row.principal ?? 'user:alice@example.com', row.model ?? 'claude-x', row.usageKnown ?? true,
        row.costMicros === undefined ? '1234' : row.costMicros === null ? null : row.costMicros.toString(), (row.inputTokens ?? 10n).toString()],
    );
    seqs.push(Number(result.rows[0].seq));
  }
  return seqs;
}

export async function insertAudit(db: { query: Pool['query'] }, rows: Array<{ at: Date; action?: string }>): Promise<number[]> {
  const seqs: number[] = [];
  for (const row of rows) {
    const result = await db.query<{ seq: string }>(
      `INSERT INTO audit_events (at, actor, action, target, detail) VALUES ($1, 'user:admin@example.com', $2, 'provider:openai', '{"last4":"abcd"}') RETURNING seq::text AS seq`,
      [row.at, row.action ?? 'setProviderKey'],
    );
    seqs.push(Number(result.rows[0].seq));
  }
  return seqs;
}

export async function cursorOf(db: { query: Pool['query'] }, kind: string): Promise<{ lastSeq: number; lastError: string | null } | null> {
  const result = await db.query<{ last_seq: string; last_error: string | null }>('SELECT last_seq::text AS last_seq, last_error FROM export_cursors WHERE kind = $1', [kind]);
  const row = result.rows[0];
  return row ? { lastSeq: Number(row.last_seq), lastError: row.last_error } : null;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
