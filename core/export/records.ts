import { gzipSync } from 'node:zlib';

/**
 * The export record schema, version 1 (docs/export-schema.md is its public description; change both
 * together). One JSON object per line. Every record carries `schema_version`, `kind`, `id` (the
 * table's `seq`, as a string: it is a BIGSERIAL) and `at` (ISO 8601 UTC). Field order is fixed by
 * construction so the same rows always serialise to the same bytes.
 *
 * What is never exported: prompt and completion text (the ledger does not store it) and keys (no
 * table read here holds one; audit `detail` is written without keys by the admin API).
 */
export const EXPORT_SCHEMA_VERSION = 1;

export type ExportKind = 'requests' | 'audit';
export const EXPORT_KINDS: readonly ExportKind[] = ['requests', 'audit'];

export interface RequestExportRecord {
  schema_version: typeof EXPORT_SCHEMA_VERSION;
  kind: 'request';
  id: string;
  at: string;
  request_id: string;
  principal: string;
  node: string | null;
  client: string;
  user_agent: string | null;
  session_id: string | null;
  provider: string;
  model: string;
  upstream_model: string | null;
  endpoint: string;
  status: number;
  stream: boolean;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_known: boolean;
  cost_usd: number | null;
  cost_micros: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  error_class: string | null;
  tool_calls: number;
}

export interface AuditExportRecord {
  schema_version: typeof EXPORT_SCHEMA_VERSION;
  kind: 'audit';
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

export type ExportRecord = RequestExportRecord | AuditExportRecord;

/** A row as read for export: its seq (text), its time, and its serialised record. */
export interface ExportRow {
  seq: bigint;
  at: Date;
  record: ExportRecord;
}

/**
 * Columns of `requests` as node-postgres returns them for the SELECT in `KIND_SOURCES`. BIGINT
 * columns are cast to text in SQL so nothing depends on the driver's int8 parser.
 */
interface RequestRow {
  seq: string;
  at: Date;
  id: string;
  principal_id: string;
  node_name: string | null;
  client: string;
  user_agent: string | null;
  session_id: string | null;
  provider: string;
  model: string;
  upstream_model: string | null;
  endpoint: string;
  status: number;
  stream: boolean;
  input_tokens: string;
  output_tokens: string;
  cached_input_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  usage_known: boolean;
  cost_micros: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  error_class: string | null;
  tool_calls: number;
}

interface AuditRow {
  seq: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

/**
 * Token counts are JSON numbers: exact up to 2^53, far beyond any one request. `cost_micros` stays
 * a string (exact integer micro-dollars); `cost_usd` is the same amount as a number for queries.
 */
export function requestRecord(row: RequestRow): RequestExportRecord {
  return {
    schema_version: EXPORT_SCHEMA_VERSION,
    kind: 'request',
    id: row.seq,
    at: row.at.toISOString(),
    request_id: row.id,
    principal: row.principal_id,
    node: row.node_name,
    client: row.client,
    user_agent: row.user_agent,
    session_id: row.session_id,
    provider: row.provider,
    model: row.model,
    upstream_model: row.upstream_model,
    endpoint: row.endpoint,
    status: row.status,
    stream: row.stream,
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    cached_input_tokens: Number(row.cached_input_tokens),
    cache_write_tokens: Number(row.cache_write_tokens),
    reasoning_tokens: Number(row.reasoning_tokens),
    usage_known: row.usage_known,
    cost_usd: row.cost_micros === null ? null : Number(row.cost_micros) / 1e6,
    cost_micros: row.cost_micros,
    latency_ms: row.latency_ms,
    ttfb_ms: row.ttfb_ms,
    error_class: row.error_class,
    tool_calls: row.tool_calls,
  };
}

export function auditRecord(row: AuditRow): AuditExportRecord {
  return {
    schema_version: EXPORT_SCHEMA_VERSION,
    kind: 'audit',
    id: row.seq,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail,
  };
}

export interface KindSource {
  kind: ExportKind;
  /** The table whose `seq` (BIGSERIAL) orders the export. */
  table: 'requests' | 'audit_events';
  /**
   * Rows with `$1 < seq <= $2`, in seq order, at most `$3` of them. The ORDER BY names the table's
   * column: `seq` alone would sort by the text output column of the same name.
   */
  selectSql: string;
  toRow(row: Record<string, unknown>): ExportRow;
}

export const KIND_SOURCES: Record<ExportKind, KindSource> = {
  requests: {
    kind: 'requests',
    table: 'requests',
    selectSql: `SELECT seq::text AS seq, at, id::text AS id, principal_id, node_name, client, user_agent, session_id, provider, model,
        upstream_model, endpoint, status, stream, input_tokens::text AS input_tokens, output_tokens::text AS output_tokens,
        cached_input_tokens::text AS cached_input_tokens, cache_write_tokens::text AS cache_write_tokens,
        reasoning_tokens::text AS reasoning_tokens, usage_known, cost_micros::text AS cost_micros, latency_ms, ttfb_ms, error_class, tool_calls
      FROM requests r WHERE r.seq > $1 AND r.seq <= $2 ORDER BY r.seq LIMIT $3`,
    toRow: (row) => {
      const r = row as unknown as RequestRow;
      return { seq: BigInt(r.seq), at: r.at, record: requestRecord(r) };
    },
  },
  audit: {
    kind: 'audit',
    table: 'audit_events',
    selectSql: 'SELECT a.seq::text AS seq, a.at, a.actor, a.action, a.target, a.detail FROM audit_events a WHERE a.seq > $1 AND a.seq <= $2 ORDER BY a.seq LIMIT $3',
    toRow: (row) => {
      const r = row as unknown as AuditRow;
      return { seq: BigInt(r.seq), at: r.at, record: auditRecord(r) };
    },
  },
};

/** `dt=YYYY-MM-DD/hour=HH` of a UTC time: the Hive-style partition Athena, Splunk and Datadog read. */
export function partitionOf(at: Date): string {
  const iso = at.toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

/** `<prefix>/<kind>/dt=…/hour=…/` (no leading slash when the prefix is empty). */
export function partitionDir(prefix: string, kind: ExportKind, at: Date): string {
  return `${prefix ? `${prefix}/` : ''}${kind}/${partitionOf(at)}/`;
}

export function objectKey(prefix: string, kind: ExportKind, at: Date, firstSeq: bigint, lastSeq: bigint): string {
  return `${partitionDir(prefix, kind, at)}${firstSeq}-${lastSeq}.jsonl.gz`;
}

/** The last seq of an object name `<first>-<last>.jsonl.gz` whose first is `firstSeq`, or null. */
export function lastSeqOfKey(key: string, firstSeq: bigint): bigint | null {
  const match = /\/(\d+)-(\d+)\.jsonl\.gz$/.exec(key);
  if (!match || BigInt(match[1]) !== firstSeq) return null;
  return BigInt(match[2]);
}

/**
 * JSON Lines, gzip'd. Node's gzip writes a zero mtime and no file name in its header, so equal
 * rows always give equal bytes: a retried batch rewrites an identical object.
 */
export function encodeObject(rows: readonly ExportRow[]): Buffer {
  const text = rows.map((row) => `${JSON.stringify(row.record)}\n`).join('');
  return gzipSync(text);
}
