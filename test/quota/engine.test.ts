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

  async function tokenQuota(maxTokens: bigint): Promise<QuotaEntry> {
    const entry: QuotaEntry = { id: randomUUID(), subject: '*', shared: false, window: 'DAY', maxRequests: null, maxTokens, maxCostMicros: null, models: [] };
    await pool.query(`INSERT INTO quotas (id, subject, "window", max_tokens, updated_at) VALUES ($1, '*', 'DAY', $2, now())`, [entry.id, String(maxTokens)]);
    return entry;
  }

  /**
   * A pool whose lease transactions wait at a gate the test opens, so "did this admission wait for
   * the database?" is a fact of the run, not a wall-clock guess (a timed version flaked in CI).
   */
  function gatedPool() {
    let leases = 0;
    let held = false;
    const atGate: Array<() => void> = [];
    const ended: Array<() => void> = [];
    const writesInFlight = new Set<Promise<unknown>>();
    // The engine leases through connect() (a transaction) and writes settled use back through query().
    const gated = {
      connect: async () => {
        leases++;
        if (held) await new Promise<void>((resolve) => atGate.push(resolve));
        const client = await pool.connect();
        const release = client.release.bind(client);
        client.release = (err?: Error | boolean) => {
          release(err);
          ended.splice(0).forEach((resolve) => resolve());
        };
        return client;
      },
      query: (...args: Parameters<Pool['query']>) => {
        const write = (pool.query as (...a: unknown[]) => Promise<unknown>)(...args);
        writesInFlight.add(write);
        void write.finally(() => writesInFlight.delete(write)).catch(() => undefined);
        return write;
      },
    } as unknown as Pool;
    return {
      pool: gated,
      /** Waits out write-backs in flight, so a refill queued behind one has reached the gate. */
      writesDone: async () => {
        while (writesInFlight.size > 0) {
          await Promise.allSettled([...writesInFlight]);
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
      leases: () => leases,
      hold: (on: boolean) => { held = on; },
      waitingAtGate: () => atGate.length,
      /** Lets the held lease through and resolves when its transaction has ended. */
      open: async () => {
        if (atGate.length === 0) return;
        const done = new Promise<void>((resolve) => ended.push(resolve));
        atGate.splice(0).forEach((resolve) => resolve());
        return done;
      },
    };
  }

  /** True when the promise settles before the event loop's next turn, i.e. without waiting on I/O. */
  async function settlesWithoutIo(promise: Promise<unknown>): Promise<boolean> {
    let settled = false;
    promise.then(() => { settled = true; }, () => { settled = true; });
    await new Promise((resolve) => setImmediate(resolve));
    return settled;
  }

  it('far from the limit, the next slice is leased in the background: only the first admission waits for the database', async () => {
    const entry = await quota(1_000_000);
    const snapshot: Snapshot = { ...emptySnapshot(), quotas: [entry] };
    const gate = gatedPool();
    // Slices of the fixed 500 requests (sliceMs 0: not sized by rate), so the count of leases is known.
    const engine = new QuotaEngine({ pool: gate.pool, snapshot: () => snapshot, log: silentLogger(), syncMs: 60_000, sliceMs: 0 });
    const request = { principal: alice, model: 'gpt-5', estimateTokens: 10, estimateCostMicros: 0n };
    try {
      (await engine.admit(request)).settle({ tokens: 10, costMicros: null });
      expect(gate.leases()).toBe(1);
      gate.hold(true);
      let waited = 0;
      let admittedWhileLeaseHeld = 0;
      let heldFor = 0;
      for (let i = 1; i < 2000; i++) {
        const admission = engine.admit(request);
        if (!(await settlesWithoutIo(admission))) {
          // It is waiting for a lease: let that one (and any after it) through so the run can go on.
          waited++;
          gate.hold(false);
          await gate.open();
          await admission;
          gate.hold(true);
        }
        (await admission).settle({ tokens: 10, costMicros: null });
        // A background lease first writes settled use back (not what is under test), then leases.
        await gate.writesDone();
        if (gate.waitingAtGate() > 0) {
          admittedWhileLeaseHeld++;
          // Hold each background lease for 100 admissions (a quarter of a 500-request slice is 125).
          if (++heldFor === 100) {
            heldFor = 0;
            await gate.open();
          }
        }
      }
      // 2,000 admissions need at least four 500-request slices; every one after the first was
      // leased while admissions went on from the slice in hand.
      expect(waited).toBe(0);
      expect(gate.leases()).toBeGreaterThanOrEqual(4);
      expect(admittedWhileLeaseHeld).toBeGreaterThanOrEqual(100 * (gate.leases() - 2));
    } finally {
      gate.hold(false);
      await gate.open();
      await engine.stop();
    }
    const row = (await pool.query<{ requests: number; leased_requests: number }>('SELECT requests, leased_requests FROM quota_usage WHERE quota_id = $1', [entry.id])).rows[0];
    expect(row).toEqual({ requests: 2000, leased_requests: 0 });
  });

  it('a busy process leases a quarter second of its admissions at a time, not a few requests\' worth of tokens', async () => {
    const entry = await tokenQuota(1_000_000_000_000n);
    const snapshot: Snapshot = { ...emptySnapshot(), quotas: [entry] };
    const gate = gatedPool();
    const engine = new QuotaEngine({ pool: gate.pool, snapshot: () => snapshot, log: silentLogger(), syncMs: 60_000 });
    try {
      for (let i = 0; i < 3000; i++) {
        const ticket = await engine.admit({ principal: alice, model: 'gpt-5', estimateTokens: 100, estimateCostMicros: 0n });
        ticket.settle({ tokens: 100, costMicros: null });
      }
      // 3 leases when written; slices of 8 estimates (the rule without a rate, sliceMs 0) took 72.
      expect(gate.leases()).toBeLessThan(30);
    } finally {
      await engine.stop();
    }
    const row = (await pool.query<{ tokens: string; leased_tokens: string }>('SELECT tokens::text, leased_tokens::text FROM quota_usage WHERE quota_id = $1', [entry.id])).rows[0];
    expect(row).toEqual({ tokens: '300000', leased_tokens: '0' });
  });

  it('a fractional token estimate (max_tokens 10.5 is valid JSON) is admitted and counted in whole tokens', async () => {
    const entry = await tokenQuota(1_000_000n);
    const snapshot: Snapshot = { ...emptySnapshot(), quotas: [entry] };
    const engine = new QuotaEngine({ pool, snapshot: () => snapshot, log: silentLogger(), syncMs: 60_000 });
    try {
      const ticket = await engine.admit({ principal: alice, model: 'gpt-5', estimateTokens: 20.5, estimateCostMicros: 0n });
      ticket.settle({ tokens: 7.5, costMicros: null });
    } finally {
      await engine.stop();
    }
    const row = (await pool.query<{ tokens: string; leased_tokens: string }>('SELECT tokens::text, leased_tokens::text FROM quota_usage WHERE quota_id = $1', [entry.id])).rows[0];
    expect(row).toEqual({ tokens: '8', leased_tokens: '0' });
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
