import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { createLogger, type Logger } from '../../core/logger';
import type { RequestRecord } from '../../gateway/ledger/record';
import { Spool } from '../../gateway/ledger/spool';
import { LedgerThread } from '../../gateway/ledger/thread';
import { RequestIdSource } from '../../gateway/request-id';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/gateway';

/** The ledger's writer thread against a real PostgreSQL: hand-over, stop, a dying thread, and its logs. */
describe('ledger thread', () => {
  let db: TestDatabase;
  let dir: string;
  const ids = new RequestIdSource();
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-thread-test-'));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (principalId: string, overrides: Partial<RequestRecord> = {}): RequestRecord => ({
    id: ids.create(), at: new Date(), principalId, principalKind: 'USER', login: principalId.slice(5), tags: [],
    client: 'other', userAgent: 'test/1', provider: 'openai', model: 'gpt-5', endpoint: 'chat', status: 200, stream: false,
    usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, usageKnown: true,
    costMicros: 1_234_567_890_123n, latencyMs: 12, ttfbMs: 3, tools: [['bash', 2]], ...overrides,
  });

  function logCapture() {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }));
    return { log, lines };
  }

  /** A started writer thread spooling to `spoolDir` (under the test's folder when relative). */
  function startThread(spoolDir: string, log: Logger, databaseUrl = db.url): LedgerThread {
    const thread = new LedgerThread({ databaseUrl, spool: new Spool(path.resolve(dir, spoolDir)), log, sessionIdleMs: 60_000 });
    thread.start();
    return thread;
  }

  const rowsFor = (principalId: string) => db.prisma.requestRecord.findMany({ where: { principalId }, orderBy: { seq: 'asc' } });

  it('writes records handed over from the event loop with every field intact (Dates and bigints cross the thread)', async () => {
    const { log } = logCapture();
    const thread = startThread('a', log);
    const sent = Array.from({ length: 250 }, () => record('user:handover@example.com'));
    try {
      for (const r of sent) thread.record(r);
      await thread.flush();
      expect(thread.committed).toBe(250);
      expect(thread.queueDepth).toBe(0);
    } finally {
      await thread.stop();
    }
    const rows = await rowsFor('user:handover@example.com');
    expect(rows.map((r) => r.id)).toEqual(sent.map((r) => r.id));
    expect(rows[0]).toMatchObject({ costMicros: 1_234_567_890_123n, toolCalls: 2, inputTokens: 10n });
    expect(rows[0].at.getTime()).toBe(sent[0].at.getTime());
  });

  const linuxOnly = process.platform === 'linux' ? it : it.skip;
  linuxOnly('runs the writer at a lower priority than the request path (nice 10, that thread only)', async () => {
    const niceOf = (stat: string): number => Number(readFileSync(stat, 'utf8').split(') ')[1].split(' ')[16]);
    const niceOfThreads = () => readdirSync('/proc/self/task').map((tid) => niceOf(`/proc/self/task/${tid}/stat`));
    expect(niceOfThreads()).not.toContain(10);
    const { log } = logCapture();
    const thread = startThread('nice', log);
    try {
      await thread.flush();
      expect(niceOfThreads().filter((nice) => nice === 10)).toHaveLength(1);
      // The thread that started the writer (the request path's) keeps its priority. /proc/thread-self names it;
      // /proc/self/task lists threads in no promised order, so its first entry need not be this one.
      expect(niceOf('/proc/thread-self/stat')).toBe(0);
    } finally {
      await thread.stop();
    }
  });

  it('stop() writes what was recorded just before it', async () => {
    const { log } = logCapture();
    const thread = startThread('b', log);
    // Recorded in the same turn as stop(): still only in this thread's hands, not yet handed over.
    const last = [record('user:stop@example.com'), record('user:stop@example.com')];
    for (const r of last) thread.record(r);
    await thread.stop();
    expect((await rowsFor('user:stop@example.com')).map((r) => r.id)).toEqual(last.map((r) => r.id));
  });

  it('a writer thread that dies is replaced; records recorded meanwhile are written, and the death is logged', async () => {
    const { log, lines } = logCapture();
    const thread = startThread('c', log);
    try {
      thread.record(record('user:crash@example.com'));
      await thread.flush();
      const worker = (thread as unknown as { worker: Worker }).worker;
      await worker.terminate();
      // terminate() settles after the 'exit' handlers ran, and the restart waits 100 ms.
      expect(thread.running).toBe(false);
      const during = [record('user:crash@example.com'), record('user:crash@example.com')];
      for (const r of during) thread.record(r);
      await eventually(async () => expect(await rowsFor('user:crash@example.com')).toHaveLength(3), 10_000);
      expect(thread.running).toBe(true);
      expect(lines.some((l) => l.msg === 'ledger thread exited unexpectedly; starting a new one' && l.level === 50)).toBe(true);
    } finally {
      await thread.stop();
    }
  });

  it('with the database gone, the thread spools, says so through the process logger, and replays when it is back', async () => {
    const { log, lines } = logCapture();
    const spoolDir = path.join(dir, 'd');
    const unreachable = new URL(db.url);
    unreachable.port = '1';
    const down = startThread(spoolDir, log, unreachable.toString());
    const kept = [record('user:spool@example.com'), record('user:spool@example.com')];
    for (const r of kept) down.record(r);
    await down.flush();
    expect(down.spooled).toBe(2);
    await down.stop();
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    const warning = lines.find((l) => l.thread === 'ledger' && l.level === 40);
    expect(warning).toBeDefined();
    expect(JSON.stringify(lines)).not.toContain(db.url);

    const up = startThread(spoolDir, log);
    try {
      await eventually(async () => expect((await rowsFor('user:spool@example.com')).map((r) => r.id)).toEqual(kept.map((r) => r.id)), 10_000);
      await eventually(async () => expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(0));
    } finally {
      await up.stop();
    }
  });
});
