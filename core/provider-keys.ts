import { randomUUID } from 'node:crypto';
import type { Prisma as PrismaNamespace, ProviderKey, ProviderKind } from './generated/prisma/client';
import { lastFour, type KeyVault } from './vault';

/**
 * Provider keys as stored: ciphertext under the vault (AAD = the row id), an HMAC fingerprint and
 * the last four characters, never the plaintext. Shared by the admin API (setProviderKey,
 * revokeProviderKey) and the gateway's one-time import of OPENAI_API_KEY & co. at start.
 */

export type Tx = PrismaNamespace.TransactionClient;

/** Key metadata: everything about a key row except its ciphertext. */
export type ProviderKeyInfo = Omit<ProviderKey, 'ciphertext'>;

/** Names of the providers Tailgate knows without configuration, with their wire family. */
export const BUILTIN_PROVIDERS = {
  openai: 'OPENAI',
  anthropic: 'ANTHROPIC',
  gemini: 'GEMINI',
  openrouter: 'OPENROUTER',
} as const satisfies Record<string, ProviderKind>;

export type BuiltinProviderName = keyof typeof BUILTIN_PROVIDERS;

export const isBuiltinProvider = (name: string): name is BuiltinProviderName => Object.hasOwn(BUILTIN_PROVIDERS, name);

/** The longest key accepted; real provider keys are well under 200 characters. */
export const MAX_KEY_LENGTH = 1024;

export class ProviderKeyError extends Error {}

/**
 * Checks a plaintext key is storable (non-empty, printable ASCII, no whitespace, bounded) and
 * returns it trimmed. The error message never contains the key.
 */
export function normalizeProviderKey(plaintext: string): string {
  const key = plaintext.trim();
  if (key.length === 0) throw new ProviderKeyError('key is empty');
  if (key.length > MAX_KEY_LENGTH) throw new ProviderKeyError(`key is longer than ${MAX_KEY_LENGTH} characters`);
  if (!/^[\x21-\x7e]+$/.test(key)) throw new ProviderKeyError('key must be printable ASCII without whitespace');
  return key;
}

// Prefixes the providers document for their API keys. Only a hint: keys for proxies, enterprise
// deployments or future formats may differ, so a mismatch is logged, not refused.
const KEY_SHAPES: Partial<Record<ProviderKind, { prefix: string; label: string; not?: string[] }>> = {
  OPENAI: { prefix: 'sk-', label: 'OpenAI keys usually start with "sk-"', not: ['sk-ant-', 'sk-or-'] },
  ANTHROPIC: { prefix: 'sk-ant-', label: 'Anthropic keys usually start with "sk-ant-"' },
  OPENROUTER: { prefix: 'sk-or-', label: 'OpenRouter keys usually start with "sk-or-"' },
  GEMINI: { prefix: 'AIza', label: 'Gemini API keys usually start with "AIza"' },
};

/** A warning when a key does not look like its provider's keys, else null. Never quotes the key. */
export function keyShapeWarning(kind: ProviderKind, plaintext: string): string | null {
  const shape = KEY_SHAPES[kind];
  if (!shape) return null;
  if (!plaintext.startsWith(shape.prefix)) return `${shape.label}; this one does not`;
  const other = shape.not?.find((prefix) => plaintext.startsWith(prefix));
  if (other) return `${shape.label}, but this one starts with "${other}" (another provider's key?)`;
  return null;
}

export interface StoredKey {
  key: ProviderKeyInfo;
  /** Ids of the keys this one replaced (ACTIVE → RETIRED). */
  retiredKeyIds: string[];
}

/**
 * Stores `plaintext` as the provider's ACTIVE key inside the caller's transaction: the previous
 * ACTIVE key(s) become RETIRED at `now`. Rotations of one provider are serialized by a row lock on
 * the provider, so two concurrent calls cannot leave two ACTIVE keys.
 */
export async function storeProviderKey(
  tx: Tx,
  vault: KeyVault,
  args: { providerId: string; plaintext: string; source: string; now?: Date },
): Promise<StoredKey> {
  const now = args.now ?? new Date();
  await lockProvider(tx, args.providerId);
  // The row id is the AAD of the ciphertext, so it has to exist before encryption.
  const id = randomUUID();
  const ciphertext = vault.encrypt(args.plaintext, id);
  const previous = await tx.providerKey.findMany({ where: { providerId: args.providerId, state: 'ACTIVE' }, select: { id: true } });
  if (previous.length > 0) {
    await tx.providerKey.updateMany({ where: { id: { in: previous.map((k) => k.id) } }, data: { state: 'RETIRED', retiredAt: now } });
  }
  const key = await tx.providerKey.create({
    data: {
      id,
      providerId: args.providerId,
      ciphertext: new Uint8Array(ciphertext),
      fingerprint: vault.fingerprint(args.plaintext),
      last4: lastFour(args.plaintext),
      state: 'ACTIVE',
      source: args.source,
      createdAt: now,
    },
    omit: { ciphertext: true },
  });
  return { key, retiredKeyIds: previous.map((k) => k.id) };
}

/** Marks a key REVOKED (idempotent: a revoked key keeps its first revokedAt). Null when no such key. */
export async function revokeProviderKey(tx: Tx, keyId: string, now = new Date()): Promise<{ key: ProviderKeyInfo; wasState: ProviderKey['state'] } | null> {
  const existing = await tx.providerKey.findUnique({ where: { id: keyId }, omit: { ciphertext: true } });
  if (!existing) return null;
  if (existing.state === 'REVOKED') return { key: existing, wasState: existing.state };
  const key = await tx.providerKey.update({ where: { id: keyId }, data: { state: 'REVOKED', revokedAt: now }, omit: { ciphertext: true } });
  return { key, wasState: existing.state };
}

/** The stored key (any state) whose fingerprint equals this plaintext's, if any. */
export async function findKeyByPlaintext(tx: Tx, vault: KeyVault, providerId: string, plaintext: string): Promise<ProviderKeyInfo | null> {
  const fingerprint = vault.fingerprint(plaintext);
  const candidates = await tx.providerKey.findMany({ where: { providerId, fingerprint }, omit: { ciphertext: true }, orderBy: { createdAt: 'desc' } });
  return candidates.find((k) => vault.sameFingerprint(k.fingerprint, fingerprint)) ?? null;
}

/** What the gateway's start-up import of OPENAI_API_KEY & co. did (gateway/bootstrap.ts). */
export type ImportOutcome = 'imported' | 'present' | 'revoked';

/** Serializes key changes of one provider until the transaction ends. */
export async function lockProvider(tx: Tx, providerId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM providers WHERE id = ${providerId}::uuid FOR UPDATE`;
}
