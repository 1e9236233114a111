import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting comes from the environment and is validated here, once, at start. Names are part
 * of the product's interface (docs, Pulumi, the CLI rely on them): add, never rename.
 */

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080')
  .transform((value, ctx) => {
    const at = value.lastIndexOf(':');
    const host = value.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(value.slice(at + 1));
    if (port > 65535) {
      ctx.addIssue({ code: 'custom', message: 'port must be 0-65535' });
      return z.NEVER;
    }
    return { host, port };
  });

const principalRef = z.string().regex(/^(user:[^\s,]+|tag:[A-Za-z0-9-]+)$/, 'expected user:<login> or tag:<name>');

const commaList = (item: z.ZodString) =>
  z.string().transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean)).pipe(z.array(item));

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).transform((value) => value.replace(/\/+$/, ''));

const byteSize = z.string().regex(/^\d+(\.\d+)?\s*(b|kb|kib|mb|mib|gb|gib)?$/i, 'expected a size like 33554432, 32mb or 32MiB')
  .transform((value) => {
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
    const units: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
    return Math.floor(Number(match![1]) * units[match![2].toLowerCase()]);
  });

const positiveInt = z.coerce.number().int().positive();

const masterKey = z.string().transform((value, ctx) => {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'expected 32 random bytes, base64-encoded (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return bytes;
});

const providerKey = z.string().trim().min(1).optional();

const schema = z.object({
  TAILGATE_LISTEN: hostPort.default({ host: '127.0.0.1', port: 8080 }),
  TAILGATE_METRICS_LISTEN: hostPort.optional(),
  TAILGATE_DATA_DIR: z.string().min(1).default('./.tailgate'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL').optional(),
  TAILGATE_IDENTITY: z.enum(['tailscale', 'dev']).optional(),
  TAILSCALE_SOCKET: z.string().min(1).default('/var/run/tailscale/tailscaled.sock'),
  TAILGATE_DEV_USER: z.string().regex(/^[^\s,:]+$/, 'expected a login such as dev@localhost').default('dev@localhost'),
  TAILGATE_ADMINS: commaList(principalRef).default([]),
  TAILGATE_SERVE_PROXY: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  TAILGATE_APP_CAP: z.string().regex(/^[a-z0-9.-]+\/[A-Za-z0-9/_.-]+$/, 'expected a capability name such as example.com/cap/tailgate').optional(),
  TAILGATE_MASTER_KEY: masterKey.optional(),
  TAILGATE_OPENAI_BASE_URL: httpUrl.default('https://api.openai.com/v1'),
  TAILGATE_ANTHROPIC_BASE_URL: httpUrl.default('https://api.anthropic.com'),
  TAILGATE_GEMINI_BASE_URL: httpUrl.default('https://generativelanguage.googleapis.com'),
  TAILGATE_OPENROUTER_BASE_URL: httpUrl.default('https://openrouter.ai/api/v1'),
  OPENAI_API_KEY: providerKey,
  ANTHROPIC_API_KEY: providerKey,
  GEMINI_API_KEY: providerKey,
  OPENROUTER_API_KEY: providerKey,
  TAILGATE_MAX_BODY: byteSize.default(32 * 1024 * 1024),
  TAILGATE_UPSTREAM_HEADERS_TIMEOUT_MS: positiveInt.default(300_000),
  TAILGATE_UPSTREAM_BODY_TIMEOUT_MS: positiveInt.default(300_000),
  TAILGATE_SESSION_IDLE_MINUTES: positiveInt.default(30),
  // A fallback only: LISTEN/NOTIFY reloads on every change; a full reload costs the event loop milliseconds.
  TAILGATE_SNAPSHOT_REFRESH_MS: positiveInt.default(30_000),
  TAILGATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TAILGATE_EXPORT_S3_BUCKET: z.string().min(3).optional(),
  TAILGATE_EXPORT_S3_PREFIX: z.string().default('tailgate'),
  TAILGATE_EXPORT_S3_REGION: z.string().optional(),
  TAILGATE_EXPORT_S3_ENDPOINT: httpUrl.optional(),
  TAILGATE_EXPORT_INTERVAL: positiveInt.default(60),
});

type Env = z.output<typeof schema>;

export type ProviderName = 'openai' | 'anthropic' | 'gemini' | 'openrouter';

export interface Config {
  listen: { host: string; port: number };
  metricsListen?: { host: string; port: number };
  dataDir: string;
  databaseUrl?: string;
  identity: { mode: 'tailscale' | 'dev'; socket: string; devUser: string; admins: string[]; appCap?: string; trustServeProxy: boolean };
  masterKey?: Buffer;
  providers: Record<ProviderName, { baseUrl: string; importKey?: string }>;
  maxBodyBytes: number;
  upstream: { headersTimeoutMs: number; bodyTimeoutMs: number };
  sessionIdleMs: number;
  snapshotRefreshMs: number;
  logLevel: Env['TAILGATE_LOG_LEVEL'];
  export?: { bucket: string; prefix: string; region?: string; endpoint?: string; intervalMs: number };
}

export class ConfigError extends Error {}

/** Reads and validates the environment; throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      // Never echo the value of a secret back into a log or terminal.
      const secret = /KEY|DATABASE_URL/.test(name);
      const got = secret || present[name] === undefined ? '' : ` (got ${JSON.stringify(present[name])})`;
      return `${name}: ${issue.message}${got}`;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const identityMode = e.TAILGATE_IDENTITY ?? (existsSync(e.TAILSCALE_SOCKET) ? 'tailscale' : 'dev');
  return {
    listen: e.TAILGATE_LISTEN,
    metricsListen: e.TAILGATE_METRICS_LISTEN,
    dataDir: path.resolve(cwd, e.TAILGATE_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    identity: { mode: identityMode, socket: e.TAILSCALE_SOCKET, devUser: e.TAILGATE_DEV_USER, admins: e.TAILGATE_ADMINS, appCap: e.TAILGATE_APP_CAP, trustServeProxy: e.TAILGATE_SERVE_PROXY },
    masterKey: e.TAILGATE_MASTER_KEY,
    providers: {
      openai: { baseUrl: e.TAILGATE_OPENAI_BASE_URL, importKey: e.OPENAI_API_KEY },
      anthropic: { baseUrl: e.TAILGATE_ANTHROPIC_BASE_URL, importKey: e.ANTHROPIC_API_KEY },
      gemini: { baseUrl: e.TAILGATE_GEMINI_BASE_URL, importKey: e.GEMINI_API_KEY },
      openrouter: { baseUrl: e.TAILGATE_OPENROUTER_BASE_URL, importKey: e.OPENROUTER_API_KEY },
    },
    maxBodyBytes: e.TAILGATE_MAX_BODY,
    upstream: { headersTimeoutMs: e.TAILGATE_UPSTREAM_HEADERS_TIMEOUT_MS, bodyTimeoutMs: e.TAILGATE_UPSTREAM_BODY_TIMEOUT_MS },
    sessionIdleMs: e.TAILGATE_SESSION_IDLE_MINUTES * 60_000,
    snapshotRefreshMs: e.TAILGATE_SNAPSHOT_REFRESH_MS,
    logLevel: e.TAILGATE_LOG_LEVEL,
    export: e.TAILGATE_EXPORT_S3_BUCKET
      ? { bucket: e.TAILGATE_EXPORT_S3_BUCKET, prefix: e.TAILGATE_EXPORT_S3_PREFIX.replace(/^\/+|\/+$/g, ''), region: e.TAILGATE_EXPORT_S3_REGION, endpoint: e.TAILGATE_EXPORT_S3_ENDPOINT, intervalMs: e.TAILGATE_EXPORT_INTERVAL * 1000 }
      : undefined,
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
