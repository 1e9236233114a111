import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { quotaAdmission } from '../../app/admission';
import { adminControlPlane } from '../../app/control-plane';
import { startTailgate, type RunningTailgate, type StartOptions } from '../../app/start';
import { loadConfig } from '../../core/config';
import { createLogger, type Logger } from '../../core/logger';
import { createTestDatabase, type TestDatabase } from './database';
import { FakeLocalApi } from './fake-localapi';
import { ProviderSimulator } from './simulator';

export const APP_CAP = 'example.com/cap/tailgate';

export interface TestGateway {
  url: string;
  sim: ProviderSimulator;
  tailscale: FakeLocalApi;
  db: TestDatabase;
  tailgate: RunningTailgate;
  dataDir: string;
  /** Every log line the gateway wrote, for "never logs a key" assertions. */
  logs: string[];
  env: Record<string, string>;
  fetchFrom(ip: string): typeof fetch;
  openai(ip: string): OpenAI;
  anthropic(ip: string): Anthropic;
  genai(ip: string): GoogleGenAI;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  dataDir?: string;
  db?: TestDatabase;
  sim?: ProviderSimulator;
  tailscale?: FakeLocalApi;
  start?: Partial<Pick<StartOptions, 'controlPlane' | 'admission' | 'now'>>;
}

/** The environment a test gateway runs with (also used to start one as a child process). */
export function gatewayEnv(parts: { sim: ProviderSimulator; tailscale: FakeLocalApi; databaseUrl: string; dataDir: string; masterKey?: string }): Record<string, string> {
  const { sim, tailscale } = parts;
  return {
    TAILGATE_LISTEN: '127.0.0.1:0',
    TAILGATE_DATA_DIR: parts.dataDir,
    DATABASE_URL: parts.databaseUrl,
    TAILGATE_IDENTITY: 'tailscale',
    TAILSCALE_SOCKET: tailscale.socketPath,
    TAILGATE_APP_CAP: APP_CAP,
    TAILGATE_MASTER_KEY: parts.masterKey ?? randomBytes(32).toString('base64'),
    TAILGATE_OPENAI_BASE_URL: sim.baseUrls.openai,
    TAILGATE_ANTHROPIC_BASE_URL: sim.baseUrls.anthropic,
    TAILGATE_GEMINI_BASE_URL: sim.baseUrls.gemini,
    TAILGATE_OPENROUTER_BASE_URL: sim.baseUrls.openrouter,
    OPENAI_API_KEY: String(sim.keys.openai),
    ANTHROPIC_API_KEY: String(sim.keys.anthropic),
    GEMINI_API_KEY: String(sim.keys.gemini),
    OPENROUTER_API_KEY: String(sim.keys.openrouter),
    TAILGATE_UPSTREAM_HEADERS_TIMEOUT_MS: '3000',
    TAILGATE_UPSTREAM_BODY_TIMEOUT_MS: '3000',
    TAILGATE_LOG_LEVEL: 'debug',
  };
}

/**
 * A real gateway on a real port, wired exactly as in production (tailscale identity mode, quotas,
 * the admin API at /graphql), in
 * front of the provider simulator, identifying callers through a fake tailscaled socket. Callers
 * are told apart by source address: bind to 127.0.0.2, 127.0.0.3 … with `fetchFrom(ip)`.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const sim = options.sim ?? (await ProviderSimulator.start());
  const tailscale = options.tailscale ?? (await FakeLocalApi.start());
  const db = options.db ?? (await createTestDatabase());
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'tailgate-gw-'));
  const env: Record<string, string> = { ...gatewayEnv({ sim, tailscale, databaseUrl: db.url, dataDir }), ...options.env };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const log: Logger = createLogger('debug', sink);
  const tailgate = await startTailgate({ config: loadConfig(env), log, controlPlane: adminControlPlane, admission: quotaAdmission, ...options.start });
  const agents: Agent[] = [];
  const fetchFrom = (ip: string): typeof fetch => {
    const dispatcher = new Agent({ localAddress: ip, keepAliveTimeout: 1000 });
    agents.push(dispatcher);
    return ((input: string | URL, init?: Record<string, unknown>) => undiciFetch(input, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
  };
  const url = tailgate.url;
  return {
    url, sim, tailscale, db, tailgate, dataDir, logs, env, fetchFrom,
    // The SDKs need *some* key; the gateway ignores and strips it.
    openai: (ip) => new OpenAI({ apiKey: 'client-sent-placeholder', baseURL: `${url}/v1`, fetch: fetchFrom(ip), maxRetries: 0 }),
    anthropic: (ip) => new Anthropic({ apiKey: 'client-sent-placeholder', baseURL: url, fetch: fetchFrom(ip), maxRetries: 0 }),
    genai: (ip) => new GoogleGenAI({ apiKey: 'client-sent-placeholder', httpOptions: { baseUrl: url, fetch: fetchFrom(ip) } as { baseUrl: string } }),
    stop: async () => {
      await tailgate.stop();
      await Promise.all(agents.map((a) => a.close().catch(() => {})));
      if (!options.sim) await sim.close();
      if (!options.tailscale) await tailscale.close();
      if (!options.db) await db.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` passes (records are written off the hot path, within a second). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
