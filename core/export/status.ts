import { EXPORT_KINDS, type ExportKind } from './records';

export interface ExportKindStatus {
  kind: ExportKind;
  /** The seq of the last record stored in S3 ("0": none yet). */
  lastExportedId: string;
  /** When the cursor last advanced (the object holding `lastExportedId` was stored). */
  lastExportedAt: Date | null;
  /** Age of the oldest record not yet in S3 (by its `at`); 0 when everything is exported. */
  lagSeconds: number;
  /** Why the last attempt failed; null once an attempt succeeds. */
  lastError: string | null;
  /** When an exporter last succeeded or failed at this kind. */
  lastAttemptAt: Date | null;
}

export interface ExportStatus {
  /** Whether any gateway has ever run the export against this database (it has cursors). */
  active: boolean;
  /** The largest lag of any kind. */
  lagSeconds: number;
  lastError: string | null;
  kinds: ExportKindStatus[];
}

/** Runs one parameterised SQL query: node-postgres and Prisma's $queryRawUnsafe both fit. */
export type SqlQuery = <R extends object>(sql: string, params: unknown[]) => Promise<R[]>;

const iso = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Every value leaves Postgres as text or boolean, so the answer is the same whichever driver runs
 * the query (node-postgres returns BIGINT as a string, Prisma as a bigint).
 */
const STATUS_SQL = `
  SELECT k.kind, COALESCE(c.last_seq, 0)::text AS last_seq, ${iso('c.last_at')} AS last_at, c.last_error, ${iso('c.updated_at')} AS updated_at,
    c.kind IS NOT NULL AS has_cursor,
    CASE k.kind
      WHEN 'requests' THEN (SELECT ${iso('r.at')} FROM requests r WHERE r.seq > COALESCE(c.last_seq, 0) ORDER BY r.seq LIMIT 1)
      ELSE (SELECT ${iso('a.at')} FROM audit_events a WHERE a.seq > COALESCE(c.last_seq, 0) ORDER BY a.seq LIMIT 1)
    END AS pending_since
  FROM unnest($1::text[]) AS k(kind) LEFT JOIN export_cursors c ON c.kind = k.kind
  ORDER BY array_position($1::text[], k.kind)`;

interface StatusRow {
  kind: ExportKind;
  last_seq: string;
  last_at: string | null;
  last_error: string | null;
  updated_at: string | null;
  has_cursor: boolean;
  pending_since: string | null;
}

/**
 * The export's state as Postgres records it, so any gateway process (or the admin API) reports the
 * same thing whichever process holds the export lock.
 */
export async function readExportStatus(query: SqlQuery, now: Date = new Date()): Promise<ExportStatus> {
  const rows = await query<StatusRow>(STATUS_SQL, [EXPORT_KINDS]);
  const kinds = rows.map((row): ExportKindStatus => ({
    kind: row.kind,
    lastExportedId: row.last_seq,
    lastExportedAt: row.last_at === null ? null : new Date(row.last_at),
    lagSeconds: row.pending_since === null ? 0 : Math.max(0, (now.getTime() - new Date(row.pending_since).getTime()) / 1000),
    lastError: row.last_error,
    lastAttemptAt: row.updated_at === null ? null : new Date(row.updated_at),
  }));
  return {
    active: rows.some((row) => row.has_cursor),
    lagSeconds: Math.max(0, ...kinds.map((k) => k.lagSeconds)),
    lastError: kinds.find((k) => k.lastError !== null)?.lastError ?? null,
    kinds,
  };
}
