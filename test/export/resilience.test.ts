import type { S3Client } from '@aws-sdk/client-s3';
import { Client, type Pool } from 'pg';
import { ExportError, RecordExporter } from '../../core/export';
import { silentLogger } from '../../core/logger';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  LocalS3, captureLog, cursorOf, exportedIds, hookS3, insertAudit, insertRequests, range, readBucket, sleep, testPool, waitFor, type StoredObject,
} from './support';

/** Every id of a kind appears in exactly one object, and the objects' id ranges do not overlap. */
function expectExactlyOnce(objects: StoredObject[], kind: 'requests' | 'audit', ids: number[]): void {
  const ofKind = objects.filter((o) => o.key.includes(`/${kind}/`));
  const exported = exportedIds(ofKind, kind === 'requests' ? 'request' : 'audit');
  expect(exported).toEqual([...ids].sort((a, b) => a - b));
  const ranges = ofKind.map((o) => /\/(\d+)-(\d+)\.jsonl\.gz$/.exec(o.key)!.slice(1).map(Number)).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
  for (const o of ofKind) {
    const [first, last] = /\/(\d+)-(\d+)\.jsonl\.gz$/.exec(o.key)!.slice(1);
    expect([o.records[0].id, o.records[o.records.length - 1].id]).toEqual([first, last]);
  }
}

const hourOf = (h: number, minute = 0) => new Date(Date.UTC(2024, 8, 1, h, minute));

describe('RecordExporter: failures, crashes and concurrency', () => {
  let db: TestDatabase;
  let pool: Pool;
  let s3: LocalS3;
  let reader: S3Client;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = testPool(db.url);
    s3 = new LocalS3();
    await s3.start();
    reader = s3.client();
  });
  afterEach(async () => {
    reader.destroy();
    await pool.end();
    await s3.destroy();
    await db.drop();
  });

  it('keeps what was stored when the bucket goes away mid-export, and finishes without gap or duplicate when it returns', async () => {
    const ids = await insertRequests(pool, range(0, 19).map((m) => ({ at: hourOf(9, m) })));
    const client = s3.client();
    let puts = 0;
    hookS3(client, async (command, phase) => {
      if (command === 'PutObjectCommand' && phase === 'before' && ++puts === 3) await s3.stop();
    });
    const exporter = new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: client, batchSize: 5 });

    const failed = await exporter.runOnce().then(() => null, (err: unknown) => err);
    expect(failed).toBeInstanceOf(ExportError);
    expect((failed as ExportError).exported).toBe(10);
    expect((failed as ExportError).message).toMatch(/^S3 PutObject .*\/11-15\.jsonl\.gz: .*ECONNREFUSED.* — cannot reach the S3 endpoint$/);
    expect(await cursorOf(pool, 'requests')).toEqual({ lastSeq: 10, lastError: (failed as ExportError).message });
    expect((await exporter.status()).lastError).toBe((failed as ExportError).message);

    await s3.start(); // same port, same data directory
    expect(await exporter.runOnce()).toEqual({ exported: 10 });
    const objects = await readBucket(reader);
    expect(objects.map((o) => o.key.split('/').pop())).toEqual(['1-5.jsonl.gz', '11-15.jsonl.gz', '16-20.jsonl.gz', '6-10.jsonl.gz']);
    expectExactlyOnce(objects, 'requests', ids);
    expect(await cursorOf(pool, 'requests')).toEqual({ lastSeq: 20, lastError: null });
    client.destroy();
  });

  it('rewrites the same object after dying between the put and the cursor update, even once more rows have arrived', async () => {
    const first = await insertRequests(pool, range(0, 2).map((m) => ({ at: hourOf(10, m) })));
    const crashPool = testPool(db.url, 'tailgate-export-crash');
    const crashing = s3.client();
    // The process "dies" right after S3 stored the object: its database sessions (and with them
    // the advisory lock) are gone before it can advance the cursor.
    hookS3(crashing, async (command, phase) => {
      if (command === 'PutObjectCommand' && phase === 'after') {
        await pool.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tailgate-export-crash'");
      }
    });
    const doomed = new RecordExporter({ pool: crashPool, config: s3.config(), log: silentLogger(), s3: crashing });
    await expect(doomed.runOnce()).rejects.toThrow(ExportError);
    expect((await readBucket(reader)).map((o) => o.key.split('/').pop())).toEqual(['1-3.jsonl.gz']);
    expect((await cursorOf(pool, 'requests'))?.lastSeq).toBe(0);
    await crashPool.end();
    crashing.destroy();

    const more = await insertRequests(pool, range(3, 4).map((m) => ({ at: hourOf(10, m) })));
    const before = (await readBucket(reader))[0].text;
    const { log, lines } = captureLog();
    const survivor = new RecordExporter({ pool, config: s3.config(), log, s3: reader });
    expect(await survivor.runOnce()).toEqual({ exported: 5 });
    const objects = await readBucket(reader);
    // Not 1-5: the retry keeps the earlier object's range, and its bytes.
    expect(objects.map((o) => o.key.split('/').pop())).toEqual(['1-3.jsonl.gz', '4-5.jsonl.gz']);
    expect(objects[0].text).toBe(before);
    expectExactlyOnce(objects, 'requests', [...first, ...more]);
    expect(lines.some((l) => l.msg === 'rewriting an export object stored by an interrupted run')).toBe(true);
  });

  it('adopts a longer object left by an exporter with a larger batch size', async () => {
    const ids = await insertRequests(pool, range(0, 9).map((m) => ({ at: hourOf(11, m) })));
    const crashPool = testPool(db.url, 'tailgate-export-crash');
    const crashing = s3.client();
    hookS3(crashing, async (command, phase) => {
      if (command === 'PutObjectCommand' && phase === 'after') {
        await pool.query("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tailgate-export-crash'");
      }
    });
    const doomed = new RecordExporter({ pool: crashPool, config: s3.config(), log: silentLogger(), s3: crashing, batchSize: 8 });
    await expect(doomed.runOnce()).rejects.toThrow(ExportError);
    await crashPool.end();
    crashing.destroy();

    const small = new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: reader, batchSize: 3 });
    expect(await small.runOnce()).toEqual({ exported: 10 });
    const objects = await readBucket(reader);
    expect(objects.map((o) => o.key.split('/').pop())).toEqual(['1-8.jsonl.gz', '9-10.jsonl.gz']);
    expectExactlyOnce(objects, 'requests', ids);
  });

  it('lets one of two exporters run at a time, and together they write each record once', async () => {
    const slow = (client: S3Client) => {
      hookS3(client, async (command, phase) => {
        if (command === 'PutObjectCommand' && phase === 'before') await sleep(15);
      });
      return client;
    };
    const poolB = testPool(db.url, 'tailgate-export-b');
    const clientA = slow(s3.client());
    const clientB = slow(s3.client());
    const config = s3.config({ intervalMs: 40 });
    const a = new RecordExporter({ pool, config, log: silentLogger(), s3: clientA, batchSize: 4 });
    const b = new RecordExporter({ pool: poolB, config, log: silentLogger(), s3: clientB, batchSize: 4 });
    try {
      const requests = await insertRequests(pool, range(0, 29).map((i) => ({ at: hourOf(i < 15 ? 12 : 13, i) })));
      const audits = await insertAudit(pool, range(0, 5).map((i) => ({ at: hourOf(12, i) })));
      const past = new Date(Date.now() - 300_000);
      requests.push(...(await insertRequests(pool, [{ at: past }])));

      let aPutting!: () => void;
      const aHoldsLock = new Promise<void>((resolve) => (aPutting = resolve));
      hookS3(clientA, (command, phase) => {
        if (command === 'PutObjectCommand' && phase === 'before') aPutting();
      });
      const runA = a.runOnce();
      await aHoldsLock;
      // While A holds the lock (it is storing its first object of ten), B skips, but still reports
      // the backlog from Postgres.
      expect(await b.runOnce()).toEqual({ exported: 0 });
      expect(b.lagSeconds).toBeGreaterThanOrEqual(299);
      expect(await runA).toEqual({ exported: 37 });
      expect(a.lagSeconds).toBe(0);

      // Both loops running while rows keep arriving.
      a.start();
      b.start();
      for (let round = 0; round < 12; round++) {
        requests.push(...(await insertRequests(pool, range(0, 2).map((i) => ({ at: hourOf(14, round * 3 + i) })))));
        audits.push(...(await insertAudit(pool, [{ at: hourOf(14, round) }])));
        await sleep(25);
      }
      await Promise.all([a.stop(), b.stop()]);
      const settle = new RecordExporter({ pool, config, log: silentLogger(), s3: reader, batchSize: 4 });
      await settle.runOnce();

      const objects = await readBucket(reader);
      expectExactlyOnce(objects, 'requests', requests);
      expectExactlyOnce(objects, 'audit', audits);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      clientA.destroy();
      clientB.destroy();
      await poolB.end();
    }
  });

  it('never exports past a row whose transaction is still open, so a late commit of a lower id is not skipped', async () => {
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      const [low] = await insertRequests(writer, [{ at: hourOf(15, 0) }]);
      const [high] = await insertRequests(pool, [{ at: hourOf(15, 1) }]);
      expect(high).toBeGreaterThan(low);
      // The hazard is real: the higher id is visible, the lower one not yet.
      const visible = await pool.query<{ seq: string }>('SELECT seq::text AS seq FROM requests ORDER BY seq');
      expect(visible.rows.map((r) => Number(r.seq))).toEqual([high]);

      const impatient = new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: reader, horizonWaitMs: 200 });
      expect(await impatient.runOnce()).toEqual({ exported: 0 });
      expect((await cursorOf(pool, 'requests'))?.lastSeq).toBe(0);
      expect(await readBucket(reader)).toEqual([]);

      // A run that is waiting when the writer commits exports both, in order, in one object.
      const patient = new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: reader, horizonWaitMs: 10_000 });
      const run = patient.runOnce();
      await sleep(150);
      await writer.query('COMMIT');
      expect(await run).toEqual({ exported: 2 });
      expect((await readBucket(reader)).map((o) => [o.key.split('/').pop(), o.records.map((r) => Number(r.id))])).toEqual([[`${low}-${high}.jsonl.gz`, [low, high]]]);
    } finally {
      await writer.end();
    }
  });

  it('a rolled-back insert leaves a hole in the ids that the export passes over', async () => {
    const writer = new Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      const [lost] = await insertRequests(writer, [{ at: hourOf(16) }]);
      const [kept] = await insertRequests(pool, [{ at: hourOf(16, 1) }]);
      await writer.query('ROLLBACK');
      const exporter = new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: reader });
      expect(await exporter.runOnce()).toEqual({ exported: 1 });
      expect((await readBucket(reader)).map((o) => o.key.split('/').pop())).toEqual([`${kept}-${kept}.jsonl.gz`]);
      expect(lost).toBeLessThan(kept);
    } finally {
      await writer.end();
    }
  });

  it('with refused credentials: keeps the cursor, says why in the log and the status, backs off, and never logs the secret', async () => {
    await insertRequests(pool, [{ at: new Date(Date.now() - 90_000) }]);
    const secret = 'wrong-secret-never-logged';
    const refused = s3.client({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: secret } });
    const { log, lines, raw } = captureLog();
    const exporter = new RecordExporter({ pool, config: s3.config(), log, s3: refused, retryBaseMs: 10 });

    const err = await exporter.runOnce().then(() => null, (e: unknown) => e as ExportError);
    expect(err?.message).toMatch(/^S3 ListObjectsV2 .*: InvalidAccessKeyId: .* \(HTTP 403\) — check the AWS credentials and that they allow s3:PutObject and s3:ListBucket on the bucket$/);
    expect(await cursorOf(pool, 'requests')).toEqual({ lastSeq: 0, lastError: err?.message });
    const status = await exporter.status();
    expect(status.kinds[0]).toMatchObject({ kind: 'requests', lastExportedId: '0', lastExportedAt: null, lastError: err?.message });
    expect(status.lagSeconds).toBeGreaterThanOrEqual(89);
    expect(exporter.lagSeconds).toBeGreaterThanOrEqual(89);

    exporter.start();
    await waitFor(() => lines.filter((l) => l.level === 40).length >= 5, 10_000, 'five failed attempts');
    await exporter.stop();
    const warnings = lines.filter((l) => l.level === 40).slice(0, 5);
    expect(warnings.map((w) => w.retryInMs)).toEqual([10, 20, 40, 80, 160]);
    expect(warnings[0].msg).toBe(`record export to s3://tailgate-export/tg/records failed (attempt 1), retrying in 0.01 s: ${err?.message}`);
    expect(raw.join('\n')).not.toContain(secret);
    expect(await readBucket(reader)).toEqual([]);
    refused.destroy();
  });

  it('runs in the background: retries while the bucket is down, recovers on its own, and stops cleanly', async () => {
    const ids = await insertRequests(pool, range(0, 5).map((m) => ({ at: hourOf(17, m) })));
    await s3.stop();
    const client = s3.client();
    const { log, lines } = captureLog();
    const exporter = new RecordExporter({ pool, config: s3.config({ intervalMs: 60_000 }), log, s3: client, retryBaseMs: 20 });
    exporter.start();
    await waitFor(() => lines.filter((l) => l.level === 40).length >= 2, 10_000, 'two failed attempts');
    expect(exporter.lagSeconds).toBeGreaterThan(0);
    await s3.start();
    await waitFor(() => lines.some((l) => l.msg === 'record export recovered'), 10_000, 'recovery');
    await exporter.stop();
    expectExactlyOnce(await readBucket(reader), 'requests', ids);
    expect(exporter.lagSeconds).toBe(0);
    client.destroy();
  });

  it('keeps trying, without throwing, when Postgres itself is unreachable', async () => {
    const deadPool = testPool('postgresql://tailgate@127.0.0.1:9/none');
    const { log, lines } = captureLog();
    const exporter = new RecordExporter({ pool: deadPool, config: s3.config(), log, s3: reader, retryBaseMs: 10 });
    exporter.start();
    await waitFor(() => lines.filter((l) => l.level === 40).length >= 2, 10_000, 'two failed attempts');
    await exporter.stop();
    expect(String(lines.find((l) => l.level === 40)?.err)).toMatch(/^Postgres: .*ECONNREFUSED.* — cannot reach Postgres$/);
    await expect(exporter.status()).rejects.toThrow();
    await deadPool.end();
  });
});
