import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/**
 * Provider keys at rest: AES-256-GCM under a subkey of the master key, bound (AAD) to the key row's
 * id so a ciphertext copied onto another row does not decrypt. Plaintext exists only in the memory
 * of the process that injects it upstream.
 */
const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class VaultError extends Error {}

export class KeyVault {
  private readonly encryptionKey: Buffer;
  private readonly fingerprintKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new VaultError('master key must be 32 bytes');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tailgate provider-key encryption v1', 32));
    this.fingerprintKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tailgate provider-key fingerprint v1', 32));
  }

  encrypt(plaintext: string, keyId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(blob: Uint8Array, keyId: string): string {
    const data = Buffer.from(blob);
    if (data[0] !== FORMAT_V1 || data.length < 1 + IV_BYTES + TAG_BYTES) throw new VaultError(`provider key ${keyId}: unknown ciphertext format`);
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, iv);
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError(`provider key ${keyId} does not decrypt: wrong TAILGATE_MASTER_KEY, or the row was tampered with`);
    }
  }

  /** Stable, non-reversible identifier admins can compare with their provider console's records. */
  fingerprint(plaintext: string): string {
    return `hmac-sha256:${createHmac('sha256', this.fingerprintKey).update(plaintext).digest('hex').slice(0, 16)}`;
  }

  sameFingerprint(a: string, b: string): boolean {
    return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  }
}

export function lastFour(plaintext: string): string {
  return plaintext.length <= 8 ? '****' : plaintext.slice(-4);
}

/**
 * TAILGATE_MASTER_KEY when set. Otherwise a key generated once into the data dir (0600): fine for a
 * laptop, wrong for production, where losing the data dir loses every stored provider key.
 */
export function resolveMasterKey(configured: Buffer | undefined, dataDir: string, log: Logger, production: boolean): Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new VaultError(`${file} does not hold a base64 32-byte key`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  const message = `TAILGATE_MASTER_KEY is not set: generated a master key into ${file} (mode 0600). Provider keys stored from now on are encrypted with it; back it up, or set TAILGATE_MASTER_KEY from your secret store.`;
  if (production) log.error({ file }, message);
  else log.warn({ file }, message);
  return key;
}
