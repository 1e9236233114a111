import type { Prisma } from '../../core/db/client';
import type { Provider as ProviderRow } from '../../core/generated/prisma/client';
import {
  findKeyByPlaintext,
  isBuiltinProvider,
  keyShapeWarning,
  lockProvider,
  normalizeProviderKey,
  ProviderKeyError,
  revokeProviderKey,
  storeProviderKey,
  type ProviderKeyInfo,
  type Tx,
} from '../../core/provider-keys';
import { recordAudit } from '../audit/audit.service';
import type { ApiContext } from '../context';
import { badInput, notFound, parseInput } from '../errors';
import { providerInputSchema, type ProviderInput } from './provider.input';

export type { ProviderRow };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireUuid(value: string, field: string, what: string): string {
  if (!UUID.test(value)) throw badInput(`${field} must be the id of ${what}`, field);
  return value.toLowerCase();
}

export async function loadKeysByProvider(prisma: Prisma, providerIds: readonly string[]): Promise<ProviderKeyInfo[][]> {
  const keys = await prisma.providerKey.findMany({
    where: { providerId: { in: [...providerIds] } },
    omit: { ciphertext: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  });
  const byProvider = new Map<string, ProviderKeyInfo[]>(providerIds.map((id) => [id, []]));
  for (const key of keys) byProvider.get(key.providerId)?.push(key);
  return providerIds.map((id) => byProvider.get(id) ?? []);
}

export async function loadProvidersById(prisma: Prisma, ids: readonly string[]): Promise<(ProviderRow | null)[]> {
  const rows = await prisma.provider.findMany({ where: { id: { in: [...ids] } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}

export function listProviders(prisma: Prisma): Promise<ProviderRow[]> {
  return prisma.provider.findMany({ orderBy: { name: 'asc' } });
}

/** The provider a `provider: String` argument names, or BAD_USER_INPUT. */
export async function providerByName(db: Prisma | Tx, name: string, field: string): Promise<ProviderRow> {
  const provider = await db.provider.findUnique({ where: { name } });
  if (provider) return provider;
  const hint = isBuiltinProvider(name)
    ? 'the gateway creates the built-in providers when it starts; or create it with upsertProvider'
    : 'create it with upsertProvider first';
  throw badInput(`unknown provider "${name}": ${hint}`, field);
}

export async function upsertProvider(ctx: ApiContext, raw: ProviderInput): Promise<ProviderRow> {
  const input = parseInput(providerInputSchema, raw, 'input');
  return ctx.prisma.$transaction(async (tx) => {
    const existing = await tx.provider.findUnique({ where: { name: input.name } });
    const provider = existing
      ? await tx.provider.update({
          where: { id: existing.id },
          data: { kind: input.kind, baseUrl: input.baseUrl, ...(input.enabled === null || input.enabled === undefined ? {} : { enabled: input.enabled }) },
        })
      : await tx.provider.create({ data: { name: input.name, kind: input.kind, baseUrl: input.baseUrl, enabled: input.enabled ?? true } });
    await recordAudit(tx, ctx, 'upsertProvider', `provider:${provider.name}`, {
      created: !existing,
      kind: provider.kind,
      baseUrl: provider.baseUrl,
      enabled: provider.enabled,
      ...(existing ? { before: { kind: existing.kind, baseUrl: existing.baseUrl, enabled: existing.enabled } } : {}),
    });
    return provider;
  });
}

/**
 * Stores a new ACTIVE key for the provider; the previous ACTIVE key becomes RETIRED, in one
 * transaction with the audit event. Setting the key that is already ACTIVE changes nothing;
 * setting a key that was revoked is refused (it was withdrawn for a reason).
 */
export async function setProviderKey(ctx: ApiContext, providerName: string, rawKey: string): Promise<ProviderKeyInfo> {
  let plaintext: string;
  try {
    plaintext = normalizeProviderKey(rawKey);
  } catch (err) {
    if (err instanceof ProviderKeyError) throw badInput(err.message, 'key');
    throw err;
  }
  const provider = await providerByName(ctx.prisma, providerName, 'provider');
  const warning = keyShapeWarning(provider.kind, plaintext);
  // Warn-only: proxies and enterprise deployments issue other shapes. Log the fingerprint, never the key.
  if (warning) ctx.log.warn({ provider: provider.name, fingerprint: ctx.vault.fingerprint(plaintext) }, `setProviderKey: unexpected key shape: ${warning}`);

  return ctx.prisma.$transaction(async (tx) => {
    await lockProvider(tx, provider.id);
    const existing = await findKeyByPlaintext(tx, ctx.vault, provider.id, plaintext);
    if (existing?.state === 'REVOKED') {
      throw badInput(`this key (fingerprint ${existing.fingerprint}) was revoked; set a new key`, 'key');
    }
    if (existing?.state === 'ACTIVE') {
      await recordAudit(tx, ctx, 'setProviderKey', `provider:${provider.name}`, { keyId: existing.id, fingerprint: existing.fingerprint, last4: existing.last4, unchanged: true });
      return existing;
    }
    const stored = await storeProviderKey(tx, ctx.vault, { providerId: provider.id, plaintext, source: 'api', now: ctx.now() });
    await recordAudit(tx, ctx, 'setProviderKey', `provider:${provider.name}`, {
      keyId: stored.key.id,
      fingerprint: stored.key.fingerprint,
      last4: stored.key.last4,
      retiredKeyIds: stored.retiredKeyIds,
      ...(warning ? { warning } : {}),
    });
    return stored.key;
  });
}

export async function revokeKey(ctx: ApiContext, rawId: string): Promise<ProviderKeyInfo> {
  const id = requireUuid(rawId, 'id', 'a provider key');
  return ctx.prisma.$transaction(async (tx) => {
    const result = await revokeProviderKey(tx, id, ctx.now());
    if (!result) throw notFound(`no provider key with id ${id}`);
    const provider = await tx.provider.findUnique({ where: { id: result.key.providerId }, select: { name: true } });
    await recordAudit(tx, ctx, 'revokeProviderKey', `provider-key:${id}`, {
      provider: provider?.name ?? null,
      fingerprint: result.key.fingerprint,
      last4: result.key.last4,
      previousState: result.wasState,
    });
    return result.key;
  });
}
