import { Client } from 'pg';
import type { Prisma } from '../core/db/client';
import type { Logger } from '../core/logger';
import type { QuotaWindowKind } from '../core/quota-window';
import type { KeyVault } from '../core/vault';

/**
 * What the hot path needs from the database, held in memory: providers with their active key
 * (decrypted here, and only here), model routes, quotas and price overrides. Refreshed on
 * NOTIFY tailgate_config (a trigger fires on every admin change) and by a slow poll, so the data
 * plane keeps serving from the last good copy while Postgres is slow or down.
 */
export type ProviderKind = 'OPENAI' | 'ANTHROPIC' | 'GEMINI' | 'OPENROUTER' | 'OPENAI_COMPATIBLE';

export interface ActiveKey {
  id: string;
  secret: string;
  fingerprint: string;
}

export interface ProviderEntry {
  id: string;
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  /** `baseUrl` split once here rather than parsed on every request; null when it is not a valid URL. */
  upstream: { origin: string; basePath: string } | null;
  enabled: boolean;
  key?: ActiveKey;
}

export interface RouteEntry {
  model: string;
  provider: string;
  upstreamModel?: string;
}

export interface QuotaEntry {
  id: string;
  subject: string;
  shared: boolean;
  window: QuotaWindowKind;
  maxRequests: number | null;
  maxTokens: bigint | null;
  maxCostMicros: bigint | null;
  models: string[];
}

export interface PriceEntry {
  inputPerMTok: bigint;
  outputPerMTok: bigint;
  cachedInputPerMTok: bigint | null;
  cacheWritePerMTok: bigint | null;
}

export interface Snapshot {
  providers: ReadonlyMap<string, ProviderEntry>;
  routes: ReadonlyMap<string, RouteEntry>;
  quotas: readonly QuotaEntry[];
  prices: ReadonlyMap<string, PriceEntry>;
  loadedAt: Date;
}

export const emptySnapshot = (): Snapshot => ({ providers: new Map(), routes: new Map(), quotas: [], prices: new Map(), loadedAt: new Date(0) });

export async function loadSnapshot(prisma: Prisma, vault: KeyVault, log: Logger): Promise<Snapshot> {
  const [providers, routes, quotas, prices] = await Promise.all([
    prisma.provider.findMany({ include: { keys: { where: { state: 'ACTIVE' }, orderBy: { createdAt: 'desc' }, take: 1 } } }),
    prisma.modelRoute.findMany({ include: { provider: { select: { name: true } } } }),
    prisma.quota.findMany(),
    prisma.priceOverride.findMany(),
  ]);
  const providerMap = new Map<string, ProviderEntry>();
  for (const p of providers) {
    let key: ActiveKey | undefined;
    const row = p.keys[0];
    if (row) {
      try {
        key = { id: row.id, secret: vault.decrypt(row.ciphertext, row.id), fingerprint: row.fingerprint };
      } catch (err) {
        // A key that does not decrypt is treated as absent: requests get "no key configured".
        log.error({ provider: p.name, keyId: row.id, err: (err as Error).message }, 'provider key does not decrypt');
      }
    }
    const baseUrl = p.baseUrl.replace(/\/+$/, '');
    providerMap.set(p.name, { id: p.id, name: p.name, kind: p.kind, baseUrl, upstream: splitBaseUrl(baseUrl), enabled: p.enabled, key });
  }
  return {
    providers: providerMap,
    routes: new Map(routes.map((r) => [r.model, { model: r.model, provider: r.provider.name, upstreamModel: r.upstreamModel ?? undefined }])),
    quotas: quotas.map((q) => ({ id: q.id, subject: q.subject, shared: q.shared, window: q.window, maxRequests: q.maxRequests, maxTokens: q.maxTokens, maxCostMicros: q.maxCostMicros, models: q.models })),
    prices: new Map(prices.map((p) => [p.model, { inputPerMTok: p.inputPerMTok, outputPerMTok: p.outputPerMTok, cachedInputPerMTok: p.cachedInputPerMTok, cacheWritePerMTok: p.cacheWritePerMTok }])),
    loadedAt: new Date(),
  };
}

function splitBaseUrl(baseUrl: string): ProviderEntry['upstream'] {
  try {
    const url = new URL(baseUrl);
    return { origin: url.origin, basePath: url.pathname.replace(/\/$/, '') };
  } catch {
    return null;
  }
}

export class SnapshotStore {
  private snapshot: Snapshot = emptySnapshot();
  private listener?: Client;
  private pollTimer?: NodeJS.Timeout;
  private reloadTimer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private stopped = false;
  private readonly subscribers = new Set<(snapshot: Snapshot) => void>();

  constructor(private readonly deps: { prisma: Prisma; vault: KeyVault; log: Logger; databaseUrl: string; pollMs: number }) {}

  get current(): Snapshot {
    return this.snapshot;
  }

  onChange(subscriber: (snapshot: Snapshot) => void): void {
    this.subscribers.add(subscriber);
  }

  async start(): Promise<void> {
    await this.reload();
    await this.listen();
    this.pollTimer = setInterval(() => void this.reload().catch(() => {}), this.deps.pollMs);
    this.pollTimer.unref();
  }

  /** Reload now; concurrent calls share one load. Keeps the last good snapshot on failure. */
  reload(): Promise<void> {
    this.reloading ??= loadSnapshot(this.deps.prisma, this.deps.vault, this.deps.log)
      .then((snapshot) => {
        this.snapshot = snapshot;
        for (const subscriber of this.subscribers) subscriber(snapshot);
      })
      .catch((err: unknown) => {
        this.deps.log.warn({ err: (err as Error).message }, 'config snapshot reload failed; serving the previous one');
        throw err;
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.deps.databaseUrl });
    client.on('notification', () => this.scheduleReload());
    client.on('error', (err) => {
      this.deps.log.warn({ err: err.message }, 'config LISTEN connection lost; retrying');
      this.listener = undefined;
      client.end().catch(() => {});
      setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
    });
    try {
      await client.connect();
      await client.query('LISTEN tailgate_config');
      this.listener = client;
      // Changes made while we were not listening are picked up by one reload.
      if (this.snapshot.loadedAt.getTime() > 0) this.scheduleReload();
    } catch (err) {
      client.end().catch(() => {});
      this.deps.log.warn({ err: (err as Error).message }, 'cannot LISTEN for config changes; retrying');
      setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
    }
  }

  /** Coalesce bursts (a rotation touches two rows in one transaction, a seed script many). */
  private scheduleReload(): void {
    if (this.reloadTimer || this.stopped) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload().catch(() => {});
    }, 25);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reloadTimer);
    await this.listener?.end().catch(() => {});
  }
}
