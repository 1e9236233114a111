import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { listCommittedMigrations } from '../../core/db/migrate';
import { FakeLocalApi } from '../support/fake-localapi';
import { eventually } from '../support/gateway';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ProviderSimulator } from '../support/simulator';
import { runTailgate } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN_TS = path.join(__dirname, '..', '..', 'scripts', 'ts-register.js');

/** What bin/tailgate.js does, on the TypeScript sources. */
const TAILGATE_BIN = `require(${JSON.stringify(path.join(ROOT, 'cli', 'main'))}).main(process.argv.slice(1)).then((code) => { process.exitCode = code; })`;

interface Child {
  process: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function spawnNode(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['-r', RUN_TS, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Child = { process: child, stdout: '', stderr: '', exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  return result;
}

/** An empty database on the test run's PostgreSQL server (not cloned from the migrated template). */
async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TAILGATE_TEST_ADMIN_URL!;
  const name = `t_empty_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function appliedMigrations(databaseUrl: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name');
    return rows.rows.map((r) => r.migration_name);
  } finally {
    await client.end();
  }
}

const committed = listCommittedMigrations().map((m) => m.name);

describe('tailgate migrate', () => {
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  beforeEach(async () => {
    db = await createEmptyDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-migrate-'));
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Applying runs Prisma's schema engine (wasm, loaded as an ES module), which jest's module system cannot
  // load; the commands that apply run as processes, like the real ones.
  it('applies the committed migrations to DATABASE_URL as a process, then finds nothing to do', async () => {
    const env = { DATABASE_URL: db.url, TAILGATE_DATA_DIR: dataDir };
    const child = spawnNode(['-e', TAILGATE_BIN, 'migrate'], env);
    expect(await child.exited).toBe(0);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe(`applied: ${committed.join(', ')}\n`);
    expect(await appliedMigrations(db.url)).toEqual(committed);
    expect(await runTailgate(['migrate'], env)).toMatchObject({ code: 0, stderr: '', stdout: 'database is up to date\n' });
  });

  it('reports bad configuration in one line, exit 1', async () => {
    const result = await runTailgate(['migrate'], { DATABASE_URL: 'mysql://db/x', TAILGATE_DATA_DIR: dataDir });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('tailgate migrate: invalid configuration: DATABASE_URL: expected a postgresql:// URL\n');
  });

  it('the db:migrate script still runs the same code as a process', async () => {
    const child = spawnNode([path.join(ROOT, 'core', 'db', 'migrate-cli.ts'), 'apply'], { DATABASE_URL: db.url, TAILGATE_DATA_DIR: dataDir });
    expect(await child.exited).toBe(0);
    expect(child.stdout).toBe(`applied: ${committed.join(', ')}\n`);
    expect(await appliedMigrations(db.url)).toEqual(committed);
    const usage = spawnNode([path.join(ROOT, 'core', 'db', 'migrate-cli.ts')], {});
    expect(await usage.exited).toBe(2);
    expect(usage.stderr).toBe('usage: migrate-cli apply | diff <name>\n');
  });
});

describe('tailgate start', () => {
  let sim: ProviderSimulator;
  let tailscale: FakeLocalApi;
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    sim = await ProviderSimulator.start();
    tailscale = await FakeLocalApi.start();
    db = await createTestDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-start-'));
  });
  afterAll(async () => {
    await sim.close();
    await tailscale.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the gateway from the environment, as npm start does, and stops cleanly on SIGTERM', async () => {
    const env = {
      TAILGATE_LISTEN: '127.0.0.1:0',
      TAILGATE_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      TAILGATE_IDENTITY: 'tailscale',
      TAILSCALE_SOCKET: tailscale.socketPath,
      TAILGATE_MASTER_KEY: randomBytes(32).toString('base64'),
      TAILGATE_ANTHROPIC_BASE_URL: sim.baseUrls.anthropic,
      ANTHROPIC_API_KEY: String(sim.keys.anthropic),
      TAILGATE_LOG_LEVEL: 'info',
    };
    const child = spawnNode(['-e', TAILGATE_BIN, 'start'], env);
    try {
      const url = await eventually(async () => {
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*tailgate gateway listening/.exec(child.stdout);
        if (!match) throw new Error(`gateway not listening yet; stderr: ${child.stderr}`);
        return match[1];
      }, 20_000);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, checks: { database: true, identity: true } });

      // Through the whole data plane: whois identity, key injection from the imported env key.
      tailscale.addUser('127.0.0.1', { login: 'ops@example.com' });
      const answer = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'tailgate', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(answer.status).toBe(200);
      expect(sim.lastReceived('anthropic')!.headers['x-api-key']).toBe(sim.keys.anthropic);
    } finally {
      child.process.kill('SIGTERM');
    }
    expect(await child.exited).toBe(0);
    expect(child.stdout).toContain('shutting down');
  }, 40_000);

  it('exits 1 with the configuration error, like npm start', async () => {
    const child = spawnNode(['-e', TAILGATE_BIN, 'start'], { TAILGATE_LISTEN: 'everywhere', TAILGATE_DATA_DIR: dataDir });
    expect(await child.exited).toBe(1);
    expect(child.stderr).toBe('tailgate: invalid configuration: TAILGATE_LISTEN: expected host:port, e.g. 127.0.0.1:8080 (got "everywhere")\n');
  }, 20_000);
});
