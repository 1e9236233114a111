import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SimRequest } from '../support/simulator/types';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { makeTempHome, runTailgate } from './helpers';

/**
 * The real agents (devDependencies: @anthropic-ai/claude-code 2.1.197, @openai/codex 0.169.0), configured by
 * nothing but `tailgate connect`, run headless through a gateway on loopback in front of the provider
 * simulator. They connect from 127.0.0.1, which the fake tailscaled knows as a user's device.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CLAUDE = path.join(ROOT, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
const CODEX = path.join(ROOT, 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
const AGENT_TIMEOUT_MS = 60_000;
const PLACEHOLDER = 'tailgate';

interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs an agent with exactly `env` (nothing inherited but PATH) and stdin closed, as a script or CI job would. */
function runAgent(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Every header value the provider saw; the client's placeholder key must be in none of them. */
function expectNoPlaceholder(requests: SimRequest[]): void {
  for (const request of requests) {
    for (const [name, value] of Object.entries(request.headers)) {
      expect([name, value]).not.toEqual([name, PLACEHOLDER]);
      expect([name, value]).not.toEqual([name, `Bearer ${PLACEHOLDER}`]);
    }
  }
}

/** Files under `dir` (recursively) whose name matches. */
function findFiles(dir: string, pattern: RegExp): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(full, pattern));
    else if (pattern.test(entry.name)) found.push(full);
  }
  return found;
}

describe('real Claude Code and Codex, set up by tailgate connect, through the gateway', () => {
  let gw: TestGateway;
  let home: string;
  let workdir: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    gw.tailscale.addUser('127.0.0.1', { login: 'dev@example.com', nodeName: 'dev-box' });
    home = makeTempHome();
    workdir = path.join(home, 'project');
    mkdirSync(workdir);
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(() => gw.sim.clearReceived());

  it('Claude Code -p: base URL and apiKeyHelper from settings.json, gateway key upstream, session recorded under its id', async () => {
    const connect = await runTailgate(['connect', 'claude-code', '--url', gw.url, '--home', home]);
    expect(connect).toMatchObject({ code: 0, stderr: '' });

    const run = await runAgent(CLAUDE, ['-p', 'say hi'], {
      HOME: home,
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }, workdir);
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(run.stdout).toContain(gw.sim.replyText);

    // Any call at all shows the apiKeyHelper was used: without a key, Claude Code -p stops with "Not logged in"
    // before sending anything. It sends the helper's output as both x-api-key and Bearer; the gateway drops both.
    const calls = gw.sim.received.filter((r) => r.provider === 'anthropic');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      expect(call.path).toBe('/v1/messages');
      expect(call.headers['x-api-key']).toBe(gw.sim.keys.anthropic);
      expect(call.headers.authorization).toBeUndefined();
      expect(call.headers['user-agent']).toMatch(/^claude-cli\/2\.1\./);
    }
    expectNoPlaceholder(gw.sim.received);

    // Claude Code's own transcript is named after its session id; the gateway must have keyed the session on it.
    const transcripts = findFiles(path.join(home, '.claude', 'projects'), /^[0-9a-f-]{36}\.jsonl$/);
    expect(transcripts).toHaveLength(1);
    const sessionId = path.basename(transcripts[0], '.jsonl');
    expect(calls.map((c) => c.headers['x-claude-code-session-id'])).toEqual(calls.map(() => sessionId));
    await eventually(async () => {
      const session = await gw.db.prisma.session.findUnique({ where: { id: sessionId } });
      expect(session).toMatchObject({ client: 'claude-code', principalId: 'user:dev@example.com', requests: calls.length });
      const records = await gw.db.prisma.requestRecord.findMany({ where: { sessionId } });
      expect(records).toHaveLength(calls.length);
      for (const record of records) expect(record).toMatchObject({ client: 'claude-code', provider: 'anthropic', status: 200, nodeName: 'dev-box.tail1234.ts.net' });
    });
  }, AGENT_TIMEOUT_MS + 30_000);

  it('Codex exec: the tailgate provider from config.toml, gateway key upstream, session recorded under its id', async () => {
    const connect = await runTailgate(['connect', 'codex', '--url', gw.url, '--home', home]);
    expect(connect).toMatchObject({ code: 0, stderr: '' });

    const run = await runAgent(process.execPath, [CODEX, 'exec', '--skip-git-repo-check', 'say hi'], {
      HOME: home,
      CODEX_HOME: path.join(home, '.codex'),
    }, workdir);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.stdout).toContain(gw.sim.replyText);
    expect(run.stderr).toContain('provider: tailgate');

    const calls = gw.sim.received.filter((r) => r.provider === 'openai');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      expect(call.path).toBe('/v1/responses');
      expect(call.headers.authorization).toBe(`Bearer ${gw.sim.keys.openai}`);
      expect(call.headers.originator).toBe('codex_exec');
    }
    expectNoPlaceholder(gw.sim.received);

    // Codex prints its session id and names its rollout file after it.
    const sessionId = /^session id: ([0-9a-f-]{36})$/m.exec(run.stderr)?.[1];
    expect(sessionId).toBeDefined();
    const rollouts = findFiles(path.join(home, '.codex', 'sessions'), /^rollout-.*\.jsonl$/);
    expect(rollouts.map((file) => file.endsWith(`-${sessionId}.jsonl`))).toEqual([true]);
    expect(calls.map((c) => c.headers['session-id'])).toEqual(calls.map(() => sessionId));
    await eventually(async () => {
      const session = await gw.db.prisma.session.findUnique({ where: { id: sessionId! } });
      expect(session).toMatchObject({ client: 'codex', principalId: 'user:dev@example.com', requests: calls.length });
      const records = await gw.db.prisma.requestRecord.findMany({ where: { sessionId } });
      expect(records).toHaveLength(calls.length);
      for (const record of records) expect(record).toMatchObject({ client: 'codex', provider: 'openai', endpoint: 'responses', status: 200 });
    });
  }, AGENT_TIMEOUT_MS + 30_000);

  it('tailgate doctor, with its own default fetch, finds both clients and passes', async () => {
    for (const client of ['claude-code', 'codex']) expect((await runTailgate(['connect', client, '--url', gw.url, '--home', home])).code).toBe(0);
    const result = await runTailgate(['doctor', '--home', home]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`tailgate doctor: ${gw.url}\n`);
    expect(result.stdout).toMatch(/^ok\s+clients\s+connected to this gateway: claude-code, codex$/m);
    expect(result.stdout).toMatch(/^ok\s+anthropic\s+Anthropic messages with claude-haiku-4-5 \(for claude-code\): answered/m);
    expect(result.stdout).toMatch(/^ok\s+openai\s+OpenAI chat with gpt-4o-mini \(for codex\): answered/m);
  });
});
