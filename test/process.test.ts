import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/paths';
import { startChildGateway, type ChildGateway } from './support/child-gateway';

/** The gateway as `npm start` runs it: embedded PostgreSQL, the data dir, signals, and bad start-up input. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', path.join(PROJECT_ROOT, 'scripts/ts-register.js'), path.join(PROJECT_ROOT, 'app/main.ts')], {
      cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('gateway process', () => {
  let dataDir: string;
  let first: ChildGateway | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-proc-'));
  });
  afterAll(async () => {
    await first?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ TAILGATE_DATA_DIR: dataDir, TAILGATE_LISTEN: '127.0.0.1:0', TAILGATE_IDENTITY: 'dev' });

  it('starts an embedded PostgreSQL in the data dir, refuses a second gateway on it, stops cleanly, keeps data', async () => {
    first = await startChildGateway(env(), 60_000);
    const health = (await (await fetch(`${first.url}/healthz`)).json()) as { ok: boolean; checks: Record<string, unknown> };
    expect(health).toMatchObject({ ok: true, checks: { database: true, identity: 'dev', ledgerThread: true } });
    expect(first.output.join('')).toContain('DEV IDENTITY MODE');

    const second = await runToExit(env());
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/another Tailgate \(pid \d+\) is running with data dir/);

    const started = Date.now();
    expect(await first.kill('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);

    first = await startChildGateway(env(), 60_000);
    const log = first.output.join('');
    expect(log).not.toContain('initialising embedded PostgreSQL cluster');
    expect(log).not.toContain('applied database migrations');
    expect(log).not.toContain('generated a master key');
    expect(await first.kill('SIGINT')).toBe(0);
    first = undefined;
  }, 120_000);

  it.each([
    [{ TAILGATE_LISTEN: 'localhost' }, /TAILGATE_LISTEN: expected host:port/],
    [{ TAILGATE_IDENTITY: 'dev', TAILGATE_LISTEN: '0.0.0.0:0' }, /TAILGATE_IDENTITY=dev on a non-loopback listener/],
    [{ TAILGATE_DATA_DIR: '/proc/tailgate-cannot-write-here' }, /data dir \/proc\/tailgate-cannot-write-here is not writable/],
  ])('bad start-up input %j → exit 1 with one clear line', async (extra, message) => {
    const result = await runToExit({ TAILGATE_DATA_DIR: dataDir, TAILGATE_IDENTITY: 'dev', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', ...extra });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(message);
    expect(result.output.trim().split('\n').filter((l) => l.startsWith('tailgate:'))).toHaveLength(1);
  }, 30_000);

  it('port in use → exit 1 naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runToExit({ ...env(), TAILGATE_LISTEN: `127.0.0.1:${port}` });
      expect(result.code).toBe(1);
      expect(result.output).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
