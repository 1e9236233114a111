import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool } from 'pg';
import { RecordExporter, type ExportConfig } from '../../core/export';
import { silentLogger } from '../../core/logger';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { BUCKET, PREFIX, LocalS3, captureLog, cursorOf, exportedIds, insertAudit, insertRequests, range, readBucket, testPool } from './support';

/**
 * What lands in the bucket: keys, partitions, content. Rows are seeded with SQL the way the ledger
 * and the admin API write them.
 */
describe('RecordExporter: objects and records', () => {
  let db: TestDatabase;
  let pool: Pool;
  const s3 = new LocalS3();
  let client: S3Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url);
    await s3.start();
    client = s3.client();
  });
  afterAll(async () => {
    client.destroy();
    await pool.end();
    await s3.destroy();
    await db.drop();
  });

  const exporter = (config: Partial<ExportConfig> = {}, batchSize?: number) =>
    new RecordExporter({ pool, config: s3.config(config), log: silentLogger(), s3: client, batchSize });

  it('writes gzip JSON Lines partitioned by kind and the first record\'s UTC hour, one object per hour at most', async () => {
    const seqs = await insertRequests(pool, [
      { at: new Date('2024-05-01T09:59:58.100Z') },
      { at: new Date('2024-05-01T09:59:59.999Z'), costMicros: null, usageKnown: false },
      { at: new Date('2024-05-01T10:00:00.000Z'), inputTokens: 5_000_000_000n },
      { at: new Date('2024-05-01T10:30:00.000Z') },
      // Replayed from the spool hours later: an older hour, after newer ids.
      { at: new Date('2024-04-30T23:10:00.000Z') },
      { at: new Date('2024-05-01T10:45:00.000Z') },
    ]);
    expect(seqs).toEqual(range(1, 6));
    await insertAudit(pool, [{ at: new Date('2024-05-01T09:00:00Z') }, { at: new Date('2024-05-01T09:30:00Z'), action: 'setQuota' }]);

    expect(await exporter().runOnce()).toEqual({ exported: 8 });

    const objects = await readBucket(client);
    expect(objects.map((o) => o.key)).toEqual([
      `${PREFIX}/audit/dt=2024-05-01/hour=09/1-2.jsonl.gz`,
      `${PREFIX}/requests/dt=2024-04-30/hour=23/5-5.jsonl.gz`,
      `${PREFIX}/requests/dt=2024-05-01/hour=09/1-2.jsonl.gz`,
      `${PREFIX}/requests/dt=2024-05-01/hour=10/3-4.jsonl.gz`,
      `${PREFIX}/requests/dt=2024-05-01/hour=10/6-6.jsonl.gz`,
    ]);
    for (const object of objects) {
      expect(object.contentType).toBe('application/gzip');
      expect(object.metadata).toEqual({ 'schema-version': '1', records: String(object.records.length) });
      const [, dt, hour] = /dt=([\d-]+)\/hour=(\d\d)\//.exec(object.key)!;
      for (const record of object.records) expect(record.at.slice(0, 13)).toBe(`${dt}T${hour}`);
    }

    const byId = new Map(objects.flatMap((o) => o.records).filter((r) => r.kind === 'request').map((r) => [r.id, r]));
    expect(byId.get('1')).toEqual({
      schema_version: 1, kind: 'request', id: '1', at: '2024-05-01T09:59:58.100Z', request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      principal: 'user:alice@example.com', node: 'laptop', client: 'claude-code', user_agent: 'claude-cli/1.0', session_id: 's_1',
      provider: 'anthropic', model: 'claude-x', upstream_model: 'claude-x-upstream', endpoint: 'messages', status: 200, stream: true,
      input_tokens: 10, output_tokens: 20, cached_input_tokens: 3, cache_write_tokens: 4, reasoning_tokens: 5, usage_known: true,
      cost_usd: 0.001234, cost_micros: '1234', latency_ms: 1500, ttfb_ms: 120, error_class: null, tool_calls: 2,
    });
    expect(byId.get('2')).toMatchObject({ usage_known: false, cost_usd: null, cost_micros: null });
    expect(byId.get('3')).toMatchObject({ input_tokens: 5_000_000_000 });
    const auditObject = objects[0];
    expect(auditObject.records).toEqual([
      { schema_version: 1, kind: 'audit', id: '1', at: '2024-05-01T09:00:00.000Z', actor: 'user:admin@example.com', action: 'setProviderKey', target: 'provider:openai', detail: '{"last4":"abcd"}' },
      { schema_version: 1, kind: 'audit', id: '2', at: '2024-05-01T09:30:00.000Z', actor: 'user:admin@example.com', action: 'setQuota', target: 'provider:openai', detail: '{"last4":"abcd"}' },
    ]);
    expect(await cursorOf(pool, 'requests')).toEqual({ lastSeq: 6, lastError: null });
    expect(await cursorOf(pool, 'audit')).toEqual({ lastSeq: 2, lastError: null });

    // Nothing new: nothing written, nothing rewritten.
    expect(await exporter().runOnce()).toEqual({ exported: 0 });
    expect((await readBucket(client)).map((o) => o.key)).toEqual(objects.map((o) => o.key));
  });

  it('splits a long hour into objects of at most batchSize records and continues from the cursor', async () => {
    const at = (minute: number) => new Date(Date.UTC(2024, 5, 2, 14, minute));
    const seqs = await insertRequests(pool, range(0, 11).map((m) => ({ at: at(m) })));
    expect(await exporter({}, 5).runOnce()).toEqual({ exported: 12 });
    const keys = (await readBucket(client, `${PREFIX}/requests/dt=2024-06-02/`)).map((o) => o.key.split('/').pop());
    expect(keys).toEqual([`${seqs[0]}-${seqs[4]}.jsonl.gz`, `${seqs[10]}-${seqs[11]}.jsonl.gz`, `${seqs[5]}-${seqs[9]}.jsonl.gz`].sort());
    expect(exportedIds(await readBucket(client), 'request')).toEqual(range(1, seqs[11]));
  });

  it('writes under an empty prefix at the bucket root', async () => {
    const other = new LocalS3();
    await other.start();
    const otherClient = other.client();
    try {
      await pool.query("UPDATE export_cursors SET last_seq = 0 WHERE kind = 'audit'");
      const run = new RecordExporter({ pool, config: other.config({ prefix: '' }), log: silentLogger(), s3: otherClient });
      await run.runOnce();
      const objects = await readBucket(otherClient, '');
      expect(objects.map((o) => o.key)).toContain('audit/dt=2024-05-01/hour=09/1-2.jsonl.gz');
    } finally {
      otherClient.destroy();
      await other.destroy();
    }
  });

  it('reports status from Postgres: last id and time per kind, lag of the oldest record waiting, last error', async () => {
    const past = new Date(Date.now() - 120_000);
    const [waiting] = await insertRequests(pool, [{ at: past }]);
    const e = exporter();
    const before = await e.status();
    const requests = before.kinds.find((k) => k.kind === 'requests')!;
    expect(Number(requests.lastExportedId)).toBe(waiting - 1);
    expect(requests.lastExportedAt).toBeInstanceOf(Date);
    expect(requests.lagSeconds).toBeGreaterThanOrEqual(119);
    expect(before.lagSeconds).toBe(requests.lagSeconds);
    expect(before.lastError).toBeNull();
    expect(before.active).toBe(true);

    await e.runOnce();
    const after = await e.status();
    expect(after.kinds.map((k) => k.kind)).toEqual(['requests', 'audit']);
    expect(after.kinds[0].lastExportedId).toBe(String(waiting));
    expect(after.lagSeconds).toBe(0);
    expect(e.lagSeconds).toBe(0);
  });

  it('builds its own client from the settings, with credentials from the AWS default chain', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_PROFILE;
    const [seq] = await insertRequests(pool, [{ at: new Date('2024-07-01T08:00:00Z') }]);
    const { log, raw } = captureLog();
    const e = new RecordExporter({ pool, config: s3.config(), log });
    try {
      expect(await e.runOnce()).toEqual({ exported: 1 });
    } finally {
      await e.stop();
      process.env = saved;
    }
    expect((await readBucket(client, `${PREFIX}/requests/dt=2024-07-01/`)).map((o) => o.key)).toEqual([`${PREFIX}/requests/dt=2024-07-01/hour=08/${seq}-${seq}.jsonl.gz`]);
    expect(raw.join('\n')).not.toContain('S3RVER');
    expect(BUCKET).toBe('tailgate-export');
  });
});
