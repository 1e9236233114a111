import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../core/config';
import { listCommittedMigrations, pendingMigrations } from '../core/db/migrate';
import { KeyVault, lastFour, VaultError } from '../core/vault';
import { createTestDatabase, type TestDatabase } from './support/database';

describe('database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('is a real PostgreSQL with every committed migration recorded in _prisma_migrations', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const version = await client.query<{ server_version: string }>('SHOW server_version');
      expect(Number(version.rows[0].server_version.split('.')[0])).toBeGreaterThanOrEqual(16);
      const rows = await client.query<{ migration_name: string; checksum: string }>('SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name');
      expect(rows.rows).toEqual(listCommittedMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum })));
    } finally {
      await client.end();
    }
    expect(await pendingMigrations(db.url)).toEqual([]);
  });

  it('notifies listeners when admin-managed tables change (the snapshot refresh relies on it)', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(String(n.payload)));
    await listener.query('LISTEN tailgate_config');
    await db.prisma.provider.create({ data: { name: `p-${randomUUID()}`, kind: 'OPENAI_COMPATIBLE', baseUrl: 'http://127.0.0.1:1' } });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await listener.end();
    expect(got).toContain('providers');
  });

  it('does not notify when only a key\'s last use is stamped (the ledger does it on every batch)', async () => {
    const provider = await db.prisma.provider.create({ data: { name: `p-${randomUUID()}`, kind: 'OPENAI_COMPATIBLE', baseUrl: 'http://127.0.0.1:1' } });
    const key = await db.prisma.providerKey.create({ data: { providerId: provider.id, ciphertext: Buffer.from('x'), fingerprint: 'f', last4: 'abcd' } });
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(String(n.payload)));
    await listener.query('LISTEN tailgate_config');
    try {
      await listener.query('UPDATE provider_keys SET last_used_at = now() WHERE id = $1', [key.id]);
      // A round trip on the same connection delivers any notification committed before it.
      await listener.query('SELECT 1');
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([]);
      await db.prisma.providerKey.update({ where: { id: key.id }, data: { state: 'RETIRED', retiredAt: new Date() } });
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['provider_keys']);
    } finally {
      await listener.end();
    }
  });

  it('stores token counts beyond 2^31 and money as integer micro-dollars', async () => {
    const big = 5_000_000_000n;
    const row = await db.prisma.requestRecord.create({
      data: { id: randomUUID(), at: new Date(), principalId: 'user:a@example.com', client: 'other', provider: 'openai', model: 'gpt-5', endpoint: 'chat', status: 200, stream: false, inputTokens: big, latencyMs: 1, costMicros: 123n },
    });
    expect(row.inputTokens).toBe(big);
    expect(row.costMicros).toBe(123n);
  });
});

describe('config', () => {
  it('has working defaults', () => {
    const config = loadConfig({ TAILSCALE_SOCKET: '/nonexistent/tailscaled.sock' }, '/srv');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe('/srv/.tailgate');
    expect(config.identity.mode).toBe('dev');
    expect(config.identity.devUser).toBe('dev@localhost');
    expect(config.maxBodyBytes).toBe(32 * 1024 * 1024);
    expect(config.providers.anthropic.baseUrl).toBe('https://api.anthropic.com');
  });

  it.each([
    ['TAILGATE_LISTEN', 'nonsense', /TAILGATE_LISTEN: expected host:port/],
    ['TAILGATE_LISTEN', '127.0.0.1:70000', /TAILGATE_LISTEN: port must be/],
    ['TAILGATE_IDENTITY', 'ldap', /TAILGATE_IDENTITY/],
    ['TAILGATE_ADMINS', 'alice', /TAILGATE_ADMINS: expected user:<login> or tag:<name>/],
    ['TAILGATE_MAX_BODY', 'lots', /TAILGATE_MAX_BODY: expected a size/],
    ['TAILGATE_OPENAI_BASE_URL', 'ftp://x', /TAILGATE_OPENAI_BASE_URL: expected an http\(s\) URL/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('never echoes a secret value in its error', () => {
    let message = '';
    try {
      loadConfig({ TAILGATE_MASTER_KEY: 'c2hvcnQ=', DATABASE_URL: 'mysql://root:hunter2@db' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/TAILGATE_MASTER_KEY: expected 32 random bytes/);
    expect(message).toMatch(/DATABASE_URL: expected a postgresql:\/\/ URL/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('c2hvcnQ=');
  });

  it('parses sizes and admin lists', () => {
    const config = loadConfig({ TAILGATE_MAX_BODY: '1MiB', TAILGATE_ADMINS: 'user:alice@example.com, tag:ops' });
    expect(config.maxBodyBytes).toBe(1024 * 1024);
    expect(config.identity.admins).toEqual(['user:alice@example.com', 'tag:ops']);
  });
});

describe('key vault', () => {
  const vault = new KeyVault(Buffer.alloc(32, 7));
  it('round-trips, binds ciphertext to its row, and never stores plaintext', () => {
    const secret = 'prov-secret-value-0123456789';
    const blob = vault.encrypt(secret, 'row-1');
    expect(blob.includes(Buffer.from(secret))).toBe(false);
    expect(vault.decrypt(blob, 'row-1')).toBe(secret);
    expect(() => vault.decrypt(blob, 'row-2')).toThrow(VaultError);
    expect(() => new KeyVault(Buffer.alloc(32, 8)).decrypt(blob, 'row-1')).toThrow(/wrong TAILGATE_MASTER_KEY/);
  });
  it('fingerprints deterministically without revealing the key', () => {
    const fp = vault.fingerprint('abc-secret-xyz');
    expect(fp).toBe(vault.fingerprint('abc-secret-xyz'));
    expect(fp).not.toContain('secret');
    expect(lastFour('abc-secret-xyz')).toBe('-xyz');
    expect(lastFour('short')).toBe('****');
  });
});
