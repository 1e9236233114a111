import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool } from 'pg';
import { RecordExporter } from '../../core/export';
import { silentLogger } from '../../core/logger';
import { codes, startHarness, type Harness } from '../api/harness';
import { LocalS3, insertAudit, insertRequests, testPool } from './support';

const QUERY = /* GraphQL */ `
  query {
    exportStatus {
      active
      lagSeconds
      lastError
      kinds { kind lastExportedId lastExportedAt lagSeconds lastError lastAttemptAt }
    }
  }
`;

interface KindStatus {
  kind: 'REQUESTS' | 'AUDIT';
  lastExportedId: string;
  lastExportedAt: string | null;
  lagSeconds: number;
  lastError: string | null;
  lastAttemptAt: string | null;
}
interface Answer {
  exportStatus: { active: boolean; lagSeconds: number; lastError: string | null; kinds: KindStatus[] };
}

describe('GraphQL exportStatus', () => {
  let h: Harness;
  let pool: Pool;
  const s3 = new LocalS3();
  let client: S3Client;

  beforeAll(async () => {
    h = await startHarness();
    pool = testPool(h.db.url);
    await s3.start();
    client = s3.client();
  });
  afterAll(async () => {
    client.destroy();
    await pool.end();
    await s3.destroy();
    await h.close();
  });

  it('is inactive while no gateway has exported from this database', async () => {
    await insertRequests(pool, [{ at: new Date(Date.now() - 10_000) }]);
    const res = await h.gql<Answer>('admin', QUERY);
    expect(res.errors).toBeUndefined();
    const status = res.data!.exportStatus;
    expect(status).toMatchObject({ active: false, lastError: null });
    expect(status.kinds.map((k) => [k.kind, k.lastExportedId, k.lastExportedAt, k.lastAttemptAt])).toEqual([['REQUESTS', '0', null, null], ['AUDIT', '0', null, null]]);
    // Nothing has been exported, so the waiting record's age is the lag.
    expect(status.kinds[0].lagSeconds).toBeGreaterThanOrEqual(9);
  });

  it('shows per kind the last exported id and time, the lag and the last error, as any process recorded them', async () => {
    const [, r2] = await insertRequests(pool, [{ at: new Date('2024-05-01T09:00:00Z') }, { at: new Date('2024-05-01T09:01:00Z') }]);
    await insertAudit(pool, [{ at: new Date('2024-05-01T09:00:00Z') }]);
    await new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: client }).runOnce();

    let res = await h.gql<Answer>('admin', QUERY);
    expect(res.errors).toBeUndefined();
    const ok = res.data!.exportStatus;
    expect(ok).toMatchObject({ active: true, lagSeconds: 0, lastError: null });
    expect(ok.kinds.map((k) => [k.kind, k.lastExportedId, k.lagSeconds, k.lastError])).toEqual([['REQUESTS', String(r2), 0, null], ['AUDIT', '1', 0, null]]);
    for (const k of ok.kinds) {
      expect(Date.parse(k.lastExportedAt!)).toBeGreaterThan(Date.now() - 60_000);
      expect(Date.parse(k.lastAttemptAt!)).toBeGreaterThan(Date.now() - 60_000);
    }

    // The bucket goes away while a record waits.
    await insertRequests(pool, [{ at: new Date(Date.now() - 45_000) }]);
    await s3.stop();
    await expect(new RecordExporter({ pool, config: s3.config(), log: silentLogger(), s3: client }).runOnce()).rejects.toThrow(/cannot reach the S3 endpoint/);
    res = await h.gql<Answer>('admin', QUERY);
    const failing = res.data!.exportStatus;
    expect(failing.lastError).toMatch(/^S3 ListObjectsV2 .* — cannot reach the S3 endpoint$/);
    expect(failing.kinds[0]).toMatchObject({ kind: 'REQUESTS', lastExportedId: String(r2), lastError: failing.lastError });
    expect(failing.kinds[0].lagSeconds).toBeGreaterThanOrEqual(44);
    expect(failing.lagSeconds).toBe(failing.kinds[0].lagSeconds);
    await s3.start();
  });

  it('is for admins only', async () => {
    const res = await h.gql('alice', QUERY);
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.data ?? null).toBeNull();
  });
});
