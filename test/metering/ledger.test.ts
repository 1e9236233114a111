import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { silentLogger } from '../../core/logger';
import { encodeRequestRows } from '../../gateway/ledger/copy-binary';
import { Ledger } from '../../gateway/ledger/ledger';
import type { RequestRecord } from '../../gateway/ledger/record';
import { Spool } from '../../gateway/ledger/spool';
import { RequestIdSource } from '../../gateway/request-id';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** The ledger against a real PostgreSQL: COPY for fresh batches, idempotent replays, hostile strings. */
describe('ledger writes', () => {
  let db: TestDatabase;
  let pool: Pool;
  let dir: string;
  const ids = new RequestIdSource();
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 2 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-test-'));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (overrides: Partial<RequestRecord> = {}): RequestRecord => ({
    id: ids.create(), at: new Date(), principalId: 'user:ledger@example.com', principalKind: 'USER', login: 'ledger@example.com', tags: [],
    client: 'other', userAgent: 'test/1', provider: 'openai', model: 'gpt-5', upstreamModel: 'gpt-5-2025-08-07', endpoint: 'chat', status: 200,
    stream: false, usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, cacheWriteTokens: 0, reasoningTokens: 1 }, usageKnown: true,
    costMicros: 42n, latencyMs: 12, ttfbMs: 3, tools: [], ...overrides,
  });

  it('stores every field of a fresh batch exactly, escaping what COPY would misread and replacing NUL', async () => {
    const ledger = new Ledger({ pool, spool: new Spool(path.join(dir, 'a')), log: silentLogger(), sessionIdleMs: 60_000 });
    const hostile = record({
      principalId: 'user:hostile@example.com', model: 'm\\odel\twith\nnew\rlines\u0000nul', upstreamModel: '\\N', userAgent: 'ua \\t literal',
      nodeName: 'node\\1', errorClass: undefined, ttfbMs: undefined, costMicros: null, usageKnown: false, stream: true, status: 499,
      tools: [['get\tweather', 2], ['nul\u0000tool', 1]], clientSessionId: 'sess-hostile',
    });
    const plain = record({ principalId: 'user:hostile@example.com', clientSessionId: 'sess-hostile', usage: { inputTokens: 5_000_000_000, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } });
    ledger.record(hostile);
    ledger.record(plain);
    await ledger.flush();
    expect(ledger.committed).toBe(2);
    expect(ledger.spooled).toBe(0);

    const rows = await db.prisma.requestRecord.findMany({ where: { id: { in: [hostile.id, plain.id] } }, orderBy: { seq: 'asc' } });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: hostile.id, principalId: 'user:hostile@example.com', model: 'm\\odel\twith\nnew\rlines\uFFFDnul', upstreamModel: '\\N', userAgent: 'ua \\t literal',
      nodeName: 'node\\1', errorClass: null, ttfbMs: null, costMicros: null, usageKnown: false, stream: true, status: 499, sessionId: 'sess-hostile',
      inputTokens: 10n, outputTokens: 5n, cachedInputTokens: 2n, reasoningTokens: 1n, latencyMs: 12, toolCalls: 3,
    });
    expect(rows[0].at.getTime()).toBe(hostile.at.getTime());
    expect(rows[1]).toMatchObject({ id: plain.id, inputTokens: 5_000_000_000n, costMicros: 42n, ttfbMs: 3, model: 'gpt-5', upstreamModel: 'gpt-5-2025-08-07' });

    const tools = await db.prisma.toolCall.findMany({ where: { requestId: hostile.id }, orderBy: { tool: 'asc' } });
    expect(tools.map((t) => [t.tool, t.calls])).toEqual([['get\tweather', 2], ['nul\uFFFDtool', 1]]);
    const session = await db.prisma.session.findUniqueOrThrow({ where: { id: 'sess-hostile' } });
    expect(session.requests).toBe(2);
    expect(session.inputTokens).toBe(5_000_000_010n);
  });

  it('stores each row\'s time to the millisecond across second, day and year boundaries, whatever the batch\'s order', async () => {
    const ledger = new Ledger({ pool, spool: new Spool(path.join(dir, 'times')), log: silentLogger(), sessionIdleMs: 60_000 });
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 0);
    // Millisecond fields of one, two and three digits; the same second twice; out of order; into the next year.
    const offsets = [0, 7, 42, 999, 1000, 1001, 1999, 5, 2000, 2050, 999, 86_400_000 + 3];
    const records = offsets.map((ms) => record({ principalId: 'user:times@example.com', at: new Date(base + ms) }));
    for (const r of records) ledger.record(r);
    await ledger.flush();
    expect(ledger.committed).toBe(records.length);

    const rows = await db.prisma.requestRecord.findMany({ where: { id: { in: records.map((r) => r.id) } }, select: { id: true, at: true } });
    const stored = new Map(rows.map((row) => [row.id, row.at.toISOString()]));
    expect(records.map((r) => stored.get(r.id))).toEqual(records.map((r) => r.at.toISOString()));
  });

  it('stores non-ASCII text, NUL in any text field, int8 beyond 2^53 and rows larger than the encoder first sized for', async () => {
    const ledger = new Ledger({ pool, spool: new Spool(path.join(dir, 'binary')), log: silentLogger(), sessionIdleMs: 60_000 });
    const unicode = record({
      principalId: 'user:zoë@example.com', nodeName: 'laptop-🙂', errorClass: 'upstream\u0000error', userAgent: 'agent \uD800 lone surrogate',
      costMicros: 2n ** 60n + 7n, latencyMs: 2_000_000_000, status: 200,
    });
    const huge = record({ principalId: 'user:huge@example.com', userAgent: 'u'.repeat(300_000), upstreamModel: 'é'.repeat(50_000) });
    for (const r of [unicode, huge]) ledger.record(r);
    await ledger.flush();
    expect(ledger.committed).toBe(2);

    const [a, b] = await Promise.all([unicode.id, huge.id].map((id) => db.prisma.requestRecord.findUniqueOrThrow({ where: { id } })));
    expect(a).toMatchObject({
      principalId: 'user:zoë@example.com', nodeName: 'laptop-🙂', errorClass: 'upstream\uFFFDerror', userAgent: 'agent \uFFFD lone surrogate',
      costMicros: 2n ** 60n + 7n, latencyMs: 2_000_000_000,
    });
    expect(b.userAgent).toBe('u'.repeat(300_000));
    expect(b.upstreamModel).toBe('é'.repeat(50_000));
  });

  it('refuses a request id that is not a UUID before anything reaches PostgreSQL', () => {
    const session = new Map<string, string>();
    expect(() => encodeRequestRows([record({ id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4g5h' })], session)).toThrow(/not a UUID/);
    expect(() => encodeRequestRows([record({ id: '0190a1b2xc3d4-7e5f-8a9b-0c1d2e3f4a5b' })], session)).toThrow(/not a UUID/);
    expect(() => encodeRequestRows([record({ id: 'short' })], session)).toThrow(/not a UUID/);
    expect(encodeRequestRows([record({ id: '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B' })], session).includes(Buffer.from('0190a1b2c3d47e5f8a9b0c1d2e3f4a5b', 'hex'))).toBe(true);
  });

  it('replays a spooled batch that had partly committed: each row and each rollup counted once', async () => {
    const spool = new Spool(path.join(dir, 'b'));
    const ledger = new Ledger({ pool, spool, log: silentLogger(), sessionIdleMs: 60_000 });
    const principalId = 'user:replay@example.com';
    const first = [record({ principalId }), record({ principalId })];
    for (const r of first) ledger.record(r);
    await ledger.flush();
    // As after a write that timed out but committed: the same records spooled, plus one that never made it.
    const late = record({ principalId });
    spool.write([...first, late]);
    await ledger.flush();
    expect(spool.files()).toEqual([]);

    expect(await db.prisma.requestRecord.count({ where: { principalId } })).toBe(3);
    const daily = await db.prisma.usageDaily.findMany({ where: { principalId } });
    expect(daily.reduce((sum, d) => sum + d.requests, 0)).toBe(3);
    expect(daily.reduce((sum, d) => sum + d.inputTokens, 0n)).toBe(30n);
  });

  it('request ids are UUIDv7: version and variant bits set, time-ordered, unique', () => {
    let clock = 1_764_000_000_000;
    const source = new RequestIdSource(() => clock);
    const seen = new Set<string>();
    const malformed: string[] = [];
    const outOfOrder: string[] = [];
    let previousPrefix = '';
    for (let i = 0; i < 20_000; i++) {
      if (i % 1000 === 0) clock += 1;
      const id = source.create();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) malformed.push(id);
      const prefix = id.slice(0, 13);
      if (prefix < previousPrefix) outOfOrder.push(id);
      previousPrefix = prefix;
      seen.add(id);
    }
    expect(malformed).toEqual([]);
    expect(outOfOrder).toEqual([]);
    expect(seen.size).toBe(20_000);
    // The timestamp decodes back to the clock.
    expect(parseInt(previousPrefix.replace('-', ''), 16)).toBe(clock);
  });
});
