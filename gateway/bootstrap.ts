import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Config, ProviderName } from '../core/config';
import { inTransaction } from '../core/db/transaction';
import type { Logger } from '../core/logger';
import { BUILTIN_PROVIDERS, normalizeProviderKey, type ImportOutcome } from '../core/provider-keys';
import { lastFour, type KeyVault } from '../core/vault';

/**
 * Start-up state the data plane relies on: the four built-in providers exist (base URLs from
 * TAILGATE_*_BASE_URL), and a provider key given in the environment is imported, encrypted, when
 * that provider has no active key yet. The environment variable itself is never logged.
 *
 * Plain SQL on the gateway's pool rather than Prisma, for the reason in snapshot.ts (the ORM's
 * ~90 MB stays out of the data plane). The rules are those of the admin API's key store
 * (core/provider-keys.ts): a key already stored in any state is left alone, so a restart neither
 * rotates again nor brings back a key an admin retired or revoked; key changes of one provider are
 * serialized by a row lock; the row id is the ciphertext's AAD; an import is audited as `system`.
 */
export async function ensureBuiltinProviders(pool: Pool, vault: KeyVault, config: Config, log: Logger): Promise<void> {
  for (const name of Object.keys(BUILTIN_PROVIDERS) as ProviderName[]) {
    const { baseUrl, importKey } = config.providers[name];
    // The environment decides built-in base URLs: a deployment's config is the source of truth.
    const upserted = await pool.query<{ id: string }>(
      `INSERT INTO providers (id, name, kind, base_url, updated_at) VALUES ($1, $2, $3::"ProviderKind", $4, now())
       ON CONFLICT (name) DO UPDATE SET base_url = EXCLUDED.base_url, updated_at = CASE WHEN providers.base_url = EXCLUDED.base_url THEN providers.updated_at ELSE now() END
       RETURNING id`,
      [randomUUID(), name, BUILTIN_PROVIDERS[name], baseUrl],
    );
    if (!importKey) continue;
    const outcome = await importKeyFromEnvironment(pool, vault, upserted.rows[0].id, name, importKey);
    if (outcome === 'imported') log.info({ provider: name }, `imported ${name.toUpperCase()}_API_KEY into the encrypted key store`);
    else if (outcome === 'revoked') log.warn({ provider: name }, `${name.toUpperCase()}_API_KEY was revoked by an administrator; not using it`);
  }
}

async function importKeyFromEnvironment(pool: Pool, vault: KeyVault, providerId: string, providerName: string, raw: string): Promise<ImportOutcome | 'active'> {
  const plaintext = normalizeProviderKey(raw);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT id FROM providers WHERE id = $1 FOR UPDATE', [providerId]);
    return importLocked(client, vault, providerId, providerName, plaintext);
  });
}

async function importLocked(client: PoolClient, vault: KeyVault, providerId: string, providerName: string, plaintext: string): Promise<ImportOutcome | 'active'> {
  const fingerprint = vault.fingerprint(plaintext);
  const stored = await client.query<{ state: string; fingerprint: string }>(
    'SELECT state, fingerprint FROM provider_keys WHERE provider_id = $1 AND fingerprint = $2 ORDER BY created_at DESC',
    [providerId, fingerprint],
  );
  const same = stored.rows.find((k) => vault.sameFingerprint(k.fingerprint, fingerprint));
  if (same) return same.state === 'REVOKED' ? 'revoked' : 'present';
  const active = await client.query('SELECT 1 FROM provider_keys WHERE provider_id = $1 AND state = $2::"KeyState" LIMIT 1', [providerId, 'ACTIVE']);
  // Another key is active (set through the API): the environment's key does not replace it.
  if (active.rowCount) return 'active';
  const id = randomUUID();
  const last4 = lastFour(plaintext);
  await client.query(
    `INSERT INTO provider_keys (id, provider_id, ciphertext, fingerprint, last4, state, source) VALUES ($1, $2, $3, $4, $5, 'ACTIVE', 'env')`,
    [id, providerId, vault.encrypt(plaintext, id), fingerprint, last4],
  );
  await client.query(
    `INSERT INTO audit_events (actor, action, target, detail) VALUES ('system', 'importProviderKey', $1, $2)`,
    [`provider:${providerName}`, JSON.stringify({ keyId: id, fingerprint, last4, source: 'env', retiredKeyIds: [] })],
  );
  return 'imported';
}
