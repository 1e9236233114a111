import type { Config, ProviderName } from '../core/config';
import type { Prisma } from '../core/db/client';
import type { Logger } from '../core/logger';
import { BUILTIN_PROVIDERS, importProviderKey } from '../core/provider-keys';
import type { KeyVault } from '../core/vault';

/**
 * Start-up state the data plane relies on: the four built-in providers exist (base URLs from
 * TAILGATE_*_BASE_URL), and a provider key given in the environment is imported, encrypted, when
 * that provider has no active key yet. The environment variable itself is never logged.
 */
export async function ensureBuiltinProviders(prisma: Prisma, vault: KeyVault, config: Config, log: Logger): Promise<void> {
  for (const name of Object.keys(BUILTIN_PROVIDERS) as ProviderName[]) {
    const { baseUrl, importKey } = config.providers[name];
    const provider = await prisma.provider.upsert({
      where: { name },
      create: { name, kind: BUILTIN_PROVIDERS[name], baseUrl },
      // The environment decides built-in base URLs: a deployment's config is the source of truth.
      update: { baseUrl },
    });
    if (!importKey) continue;
    const active = await prisma.providerKey.count({ where: { providerId: provider.id, state: 'ACTIVE' } });
    if (active > 0) continue;
    const outcome = await importProviderKey(prisma, vault, { providerName: name, plaintext: importKey, source: 'env' });
    if (outcome === 'imported') log.info({ provider: name }, `imported ${name.toUpperCase()}_API_KEY into the encrypted key store`);
    else if (outcome === 'revoked') log.warn({ provider: name }, `${name.toUpperCase()}_API_KEY was revoked by an administrator; not using it`);
  }
}
