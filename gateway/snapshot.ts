import { Client, type Pool } from 'pg';
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

interface ProviderRow { id: string; name: string; kind: ProviderKind; base_url: string; enabled: boolean; key_id: string | null; ciphertext: Buffer | null; fingerprint: string | null }
interface RouteRow { model: string; provider: string; upstream_model: string | null }
interface QuotaRow { id: string; subject: string; shared: boolean; window: QuotaWindowKind; max_requests: number | null; max_tokens: string | null; max_cost_micros: string | null; models: string[] | null }
interface PriceRow { model: string; input_per_mtok: string; output_per_mtok: string; cached_input_per_mtok: string | null; cache_write_per_mtok: string | null }

const bigOrNull = (value: string | null): bigint | null => (value === null ? null : BigInt(value));

/**
 * Plain SQL on the gateway's pg pool, not Prisma: the data plane then never instantiates Prisma's
 * query compiler, whose WebAssembly instance costs ~90 MB of RSS for as long as the process lives
 * (measured: 60 → 163 MB on a first query, not released by $disconnect). Only the admin API loads it,
 * on its first query.
 */
export async function loadSnapshot(pool: Pool, vault: KeyVault, log: Logger): Promise<Snapshot> {
  const [providers, routes, quotas, prices] = await Promise.all([
    pool.query<ProviderRow>(
      `SELECT p.id, p.name, p.kind, p.base_url, p.enabled, k.id AS key_id, k.ciphertext, k.fingerprint
       FROM providers p
       LEFT JOIN LATERAL (SELECT id, ciphertext, fingerprint FROM provider_keys WHERE provider_id = p.id AND state = 'ACTIVE' ORDER BY created_at DESC LIMIT 1) k ON true`,
    ),
    pool.query<RouteRow>('SELECT r.model, p.name AS provider, r.upstream_model FROM model_routes r JOIN providers p ON p.id = r.provider_id'),
    pool.query<QuotaRow>('SELECT id, subject, shared, "window", max_requests, max_tokens::text, max_cost_micros::text, models FROM quotas'),
    pool.query<PriceRow>('SELECT model, input_per_mtok::text, output_per_mtok::text, cached_input_per_mtok::text, cache_write_per_mtok::text FROM price_overrides'),
  ]);
  const providerMap = new Map<string, ProviderEntry>();
  for (const p of providers.rows) {
    let key: ActiveKey | undefined;
    if (p.key_id && p.ciphertext && p.fingerprint) {
      try {
        key = { id: p.key_id, secret: vault.decrypt(p.ciphertext, p.key_id), fingerprint: p.fingerprint };
      } catch (err) {
        // A key that does not decrypt is treated as absent: requests get "no key configured".
        log.error({ provider: p.name, keyId: p.key_id, err: (err as Error).message }, 'provider key does not decrypt');
      }
    }
    const baseUrl = p.base_url.replace(/\/+$/, '');
    providerMap.set(p.name, { id: p.id, name: p.name, kind: p.kind, baseUrl, upstream: splitBaseUrl(baseUrl), enabled: p.enabled, key });
  }
  return {
    providers: providerMap,
    routes: new Map(routes.rows.map((r) => [r.model, { model: r.model, provider: r.provider, upstreamModel: r.upstream_model ?? undefined }])),
    quotas: quotas.rows.map((q) => ({
      id: q.id, subject: q.subject, shared: q.shared, window: q.window, maxRequests: q.max_requests, maxTokens: bigOrNull(q.max_tokens),
      maxCostMicros: bigOrNull(q.max_cost_micros), models: q.models ?? [],
    })),
    prices: new Map(prices.rows.map((p) => [p.model, {
      inputPerMTok: BigInt(p.input_per_mtok), outputPerMTok: BigInt(p.output_per_mtok),
      cachedInputPerMTok: bigOrNull(p.cached_input_per_mtok), cacheWritePerMTok: bigOrNull(p.cache_write_per_mtok),
    }])),
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

  constructor(private readonly deps: { pool: Pool; vault: KeyVault; log: Logger; databaseUrl: string; pollMs: number }) {}

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
    this.reloading ??= loadSnapshot(this.deps.pool, this.deps.vault, this.deps.log)
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
