import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChildGateway } from '../support/child-gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FakeLocalApi } from '../support/fake-localapi';
import { eventually, gatewayEnv, startTestGateway } from '../support/gateway';
import { ProviderSimulator } from '../support/simulator';
import { TcpProxy } from '../support/tcp-proxy';

const ALICE = '127.0.0.2';
// One master key for every gateway on this database: keys stored by one must decrypt in the next.
const MASTER_KEY = randomBytes(32).toString('base64');
const chat = (i: number) => JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: `n${i}` }] });

/** The ledger keeps every record through a database outage and a crash. */
describe('durable ledger', () => {
  let sim: ProviderSimulator;
  let tailscale: FakeLocalApi;
  let db: TestDatabase;
  let proxy: TcpProxy;
  beforeAll(async () => {
    sim = await ProviderSimulator.start();
    tailscale = await FakeLocalApi.start();
    tailscale.addUser(ALICE, { login: 'alice@example.com' });
    tailscale.addUser('127.0.0.1', { login: 'alice@example.com' });
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port));
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
    await tailscale.close();
    await db.drop();
  });

  const spooled = (dataDir: string) => (existsSync(path.join(dataDir, 'spool')) ? readdirSync(path.join(dataDir, 'spool')).filter((f) => f.endsWith('.jsonl')) : []);

  it('database down mid-run: requests still succeed, records spool to disk, and all appear once it is back', async () => {
    const gw = await startTestGateway({ sim, tailscale, db, env: { DATABASE_URL: proxy.rewrite(db.url), TAILGATE_MASTER_KEY: MASTER_KEY } });
    try {
      const send = (i: number) => gw.fetchFrom(ALICE)(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(i) });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await send(i)).headers.get('x-tailgate-request-id')!);
      await eventually(async () => expect(await db.prisma.requestRecord.count({ where: { id: { in: ids } } })).toBe(5));

      await proxy.cut();
      for (let i = 5; i < 25; i++) {
        const res = await send(i);
        expect(res.status).toBe(200);
        ids.push(res.headers.get('x-tailgate-request-id')!);
      }
      // Committed or on disk within a second of the response.
      await new Promise((r) => setTimeout(r, 1200));
      expect(spooled(gw.dataDir).length).toBeGreaterThan(0);
      const health = await (await gw.fetchFrom(ALICE)(`${gw.url}/healthz`)).json();
      expect(health).toMatchObject({ ok: false, checks: { database: false } });

      await proxy.restore();
      await eventually(async () => expect(await db.prisma.requestRecord.count({ where: { id: { in: ids } } })).toBe(25), 10_000);
      expect(spooled(gw.dataDir)).toEqual([]);
      // Rollups and sessions count every record exactly once.
      const daily = await db.prisma.usageDaily.aggregate({ _sum: { requests: true } });
      expect(daily._sum.requests).toBe(25);
      const sessions = await db.prisma.session.aggregate({ _sum: { requests: true } });
      expect(sessions._sum.requests).toBe(25);
    } finally {
      await gw.stop();
    }
  }, 60_000);

  it('kill -9 after spooling: the records are recovered when the gateway restarts', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-crash-'));
    const before = await db.prisma.requestRecord.count();
    const env = gatewayEnv({ sim, tailscale, databaseUrl: proxy.rewrite(db.url), dataDir, masterKey: MASTER_KEY });
    const child = await startChildGateway(env, 60_000);
    try {
      await proxy.cut();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${child.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat(100 + i) });
        expect(res.status).toBe(200);
        ids.push(res.headers.get('x-tailgate-request-id')!);
      }
      // Every record on disk (the spec's bound is ~1 s; a loaded CI machine gets more slack here).
      await eventually(async () => {
        const lines = spooled(dataDir).flatMap((f) => readFileSync(path.join(dataDir, 'spool', f), 'utf8').split('\n').filter(Boolean));
        expect(ids.every((id) => lines.some((line) => line.includes(id)))).toBe(true);
      }, 5000);
      expect(await child.kill('SIGKILL')).toBeNull();
      await proxy.restore();
      expect(await db.prisma.requestRecord.count()).toBe(before);

      const restarted = await startTestGateway({ sim, tailscale, db, dataDir, env: { ...env, DATABASE_URL: db.url } });
      try {
        await eventually(async () => expect(await db.prisma.requestRecord.count({ where: { id: { in: ids } } })).toBe(10), 10_000);
        expect(spooled(dataDir)).toEqual([]);
      } finally {
        await restarted.stop();
      }
    } finally {
      await child.kill('SIGKILL');
      await proxy.restore().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
