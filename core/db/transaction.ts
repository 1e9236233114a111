import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a connection of its own: COMMIT when it resolves, ROLLBACK when
 * it throws (the error is rethrown). A connection that failed mid-transaction is discarded, not
 * returned to the pool. While checked out, a dropped connection emits 'error' on the client, which
 * unheard would kill the process: it goes to `onConnectionError` (by default, ignored here and seen
 * by `work` as a failed query).
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, onConnectionError: (err: Error) => void = () => {}): Promise<T> {
  const client = await pool.connect();
  client.on('error', onConnectionError);
  let failed = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed = true;
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', onConnectionError);
    client.release(failed);
  }
}
