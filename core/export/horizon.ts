import type { PoolClient } from 'pg';

/**
 * The highest `seq` up to which a table's rows are final: every row with a seq at or below it that
 * will ever commit has committed and is visible to the next statement. Exporting past it could
 * skip a row for good, because `seq` comes from nextval() when the INSERT runs, not when it commits:
 * the ledger's transaction holding seq 10 may commit after another's seq 11 is visible, and a cursor
 * already at 11 would never look back.
 *
 * A time margin cannot fix that soundly (the table has no commit-time column, `at` is when the
 * request started, and a transaction can stay open any length of time), and neither can
 * `pg_snapshot_xmin`: a transaction gets its xid only when it first writes a tuple, after nextval()
 * has run, so for a moment it holds a seq while being invisible to every snapshot.
 *
 * What does hold: an INSERT takes RowExclusiveLock on its table while parsing the statement (or,
 * for a cached plan, before executing it), so before it can call nextval() for `seq`, and keeps the
 * lock until its transaction ends. Hence:
 *   1. read L = the sequence's last value (nextval is not transactional: every seq <= L has been
 *      handed out);
 *   2. list the transactions holding RowExclusiveLock on the table: any that took a seq <= L and has
 *      not finished is among them (a transaction that begins later gets a seq > L);
 *   3. wait until each of them has released its locks (a transaction becomes visible to new
 *      snapshots before its locks are released).
 * Then all rows with seq <= L are final. Nobody is blocked: unlike `LOCK TABLE … IN SHARE MODE`,
 * this only watches pg_locks, and the ledger's writers never wait for the exporter.
 *
 * Assumes the sequence's CACHE is 1 (the BIGSERIAL default, as the migration creates it): with a
 * larger cache a session could hold pre-allocated values below L.
 */
export async function visibleHorizon(client: PoolClient, table: string, opts: { waitMs: number; pollMs?: number; signal?: AbortSignal }): Promise<bigint | null> {
  const last = await client.query<{ last: string | null }>(
    "SELECT pg_sequence_last_value(pg_get_serial_sequence($1, 'seq')::regclass)::text AS last",
    [table],
  );
  const lastValue = last.rows[0]?.last;
  if (lastValue === null || lastValue === undefined) return 0n; // nothing ever inserted
  const holders = await client.query<{ vxids: string[] | null }>(
    `SELECT array_agg(DISTINCT virtualtransaction) AS vxids FROM pg_locks
      WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND relation = $1::regclass AND mode = 'RowExclusiveLock' AND granted AND pid IS DISTINCT FROM pg_backend_pid()`,
    [table],
  );
  let waiting = holders.rows[0]?.vxids ?? [];
  const deadline = Date.now() + opts.waitMs;
  const pollMs = opts.pollMs ?? 25;
  while (waiting.length > 0) {
    if (opts.signal?.aborted || Date.now() >= deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    // Any lock at all held by that virtual transaction means it is still open (a prepared
    // transaction keeps its locks under a `-1/<xid>` virtual id until COMMIT PREPARED).
    const open = await client.query<{ vxid: string }>('SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks WHERE virtualtransaction = ANY($1::text[])', [waiting]);
    waiting = open.rows.map((row) => row.vxid);
  }
  return BigInt(lastValue);
}
