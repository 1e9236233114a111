import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { silentLogger } from '../../core/logger';
import type { Principal } from '../../core/principal';
import { QuotaEngine } from '../../gateway/quota/engine';
import { emptySnapshot, type QuotaEntry, type Snapshot } from '../../gateway/snapshot';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** The quota engine against a real PostgreSQL, with the lease transaction made slow on purpose. */
describe('quota engine leasing', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const alice: Principal = { id: 'user:alice@example.com', kind: 'USER', login: 'alice@example.com', tags: [], role: 'user', allowedModels: null };

  async function quota(maxRequests: number): Promise<QuotaEntry> {
    const entry: QuotaEntry = { id: randomUUID(), subject: '*', shared: false, window: 'DAY', maxRequests, maxTokens: null, maxCostMicros: null, models: [] };
    await pool.query(`INSERT INTO quotas (id, subject, "window", max_requests, updated_at) VALUES ($1, '*', 'DAY', $2, now())`, [entry.id, maxRequests]);
    return entry;
  }

  /** A pool whose connections take `delayMs` to hand out: every lease transaction is that slow. */
  function slowPool(delayMs: number): { pool: Pool; leases: () => number } {
    let leases = 0;
    // The engine leases through connect() (a transaction) and writes settled use back through query().
    const slow = {
      connect: async () => {
        leases++;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return pool.connect();
      },
      query: pool.query.bind(pool),
    } as unknown as Pool;
    return { pool: slow, leases: () => leases };
  }

  it('far from the limit, the next slice is leased in the background: only the first admission waits for the database', async () => {
    const entry = await quota(1_000_000);
    const snapshot: Snapshot = { ...emptySnapshot(), quotas: [entry] };
    const slow = slowPool(40);
    const engine = new QuotaEngine({ pool: slow.pool, snapshot: () => snapshot, log: silentLogger(), syncMs: 60_000 });
    try {
      const waits: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const started = performance.now();
        const ticket = await engine.admit({ principal: alice, model: 'gpt-5', estimateTokens: 10, estimateCostMicros: 0n });
        waits.push(performance.now() - started);
        ticket.settle({ tokens: 10, costMicros: null });
        // Let a background lease progress, as real traffic's gaps between requests would.
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // 2,000 admissions need at least four 500-request slices; all but the first came in the background.
      expect(slow.leases()).toBeGreaterThanOrEqual(4);
      expect(waits.filter((ms) => ms >= 30).length).toBe(1);
    } finally {
      await engine.stop();
    }
    const row = (await pool.query<{ requests: number; leased_requests: number }>('SELECT requests, leased_requests FROM quota_usage WHERE quota_id = $1', [entry.id])).rows[0];
    expect(row).toEqual({ requests: 2000, leased_requests: 0 });
  });

  it('near the limit nothing is fetched ahead: a request limit of 20 admits exactly 20, one lease at a time at the end', async () => {
    const entry = await quota(20);
    const snapshot: Snapshot = { ...emptySnapshot(), quotas: [entry] };
    const engine = new QuotaEngine({ pool, snapshot: () => snapshot, log: silentLogger(), syncMs: 60_000 });
    try {
      let admitted = 0;
      let refused = 0;
      for (let i = 0; i < 30; i++) {
        try {
          const ticket = await engine.admit({ principal: alice, model: 'gpt-5', estimateTokens: 10, estimateCostMicros: 0n });
          admitted++;
          ticket.settle({ tokens: 10, costMicros: null });
        } catch {
          refused++;
        }
      }
      expect([admitted, refused]).toEqual([20, 10]);
    } finally {
      await engine.stop();
    }
    const row = (await pool.query<{ requests: number; leased_requests: number }>('SELECT requests, leased_requests FROM quota_usage WHERE quota_id = $1', [entry.id])).rows[0];
    expect(row).toEqual({ requests: 20, leased_requests: 0 });
  });
});
