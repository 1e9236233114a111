import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Pool } from 'pg';
import { loadConfig } from '../../core/config';
import { silentLogger } from '../../core/logger';
import { keyShapeWarning } from '../../core/provider-keys';
import { ensureBuiltinProviders } from '../../gateway/bootstrap';
import { loadSnapshot } from '../../gateway/snapshot';
import { codes, startHarness, type GraphQLResponse, type Harness } from './harness';

// Key-shaped test values are assembled at run time, never written out whole.
const fakeKey = (prefix: string): string => `${prefix}${randomBytes(18).toString('hex')}`;

const PROVIDER_FIELDS = 'id name kind baseUrl enabled keys { id fingerprint last4 state source createdAt retiredAt revokedAt lastUsedAt }';
const KEY_FIELDS = 'id fingerprint last4 state source createdAt retiredAt revokedAt lastUsedAt';

describe('providers and write-only provider keys', () => {
  let h: Harness;
  /** Every plaintext key handed to the API in this file. */
  const secrets: string[] = [];
  const remember = (key: string): string => {
    secrets.push(key);
    return key;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  /** The plaintext of no key may appear anywhere a key could leak to. */
  async function expectNoPlaintextAnywhere(responses: string[]): Promise<void> {
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const keyRows = await pg.query<{ id: string; ciphertext: Buffer; row: string }>('SELECT id, ciphertext, row_to_json(k)::text AS row FROM provider_keys k');
      const audit = await pg.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_events a');
      for (const secret of secrets) {
        for (const r of keyRows.rows) {
          expect(r.ciphertext.includes(Buffer.from(secret))).toBe(false);
          expect(r.row).not.toContain(secret);
        }
        for (const r of audit.rows) expect(r.row).not.toContain(secret);
        for (const line of h.logs) expect(line).not.toContain(secret);
        for (const text of responses) expect(text).not.toContain(secret);
      }
    } finally {
      await pg.end();
    }
  }

  const responses: string[] = [];
  async function gql<T = Record<string, any>>(caller: 'admin' | 'alice', query: string, variables?: Record<string, unknown>) {
    const res = await h.gql<T>(caller, query, variables);
    responses.push(res.text);
    return res;
  }

  it('creates and updates providers by name, auditing both', async () => {
    const created = await gql('admin', `mutation { upsertProvider(input: { name: "openai", kind: OPENAI, baseUrl: "https://api.openai.com/v1/" }) { ${PROVIDER_FIELDS} } }`);
    expect(created.errors).toBeUndefined();
    expect(created.data!.upsertProvider).toMatchObject({ name: 'openai', kind: 'OPENAI', baseUrl: 'https://api.openai.com/v1', enabled: true, keys: [] });

    const updated = await gql('admin', 'mutation { upsertProvider(input: { name: "openai", kind: OPENAI, baseUrl: "http://10.0.0.5:8080/v1", enabled: false }) { id baseUrl enabled } }');
    expect(updated.data!.upsertProvider).toEqual({ id: created.data!.upsertProvider.id, baseUrl: 'http://10.0.0.5:8080/v1', enabled: false });
    // Omitted `enabled` leaves it as it is.
    const again = await gql('admin', 'mutation { upsertProvider(input: { name: "openai", kind: OPENAI, baseUrl: "https://api.openai.com/v1" }) { enabled } }');
    expect(again.data!.upsertProvider).toEqual({ enabled: false });

    for (const [name, kind] of [['anthropic', 'ANTHROPIC'], ['gemini', 'GEMINI'], ['openrouter', 'OPENROUTER'], ['local-llm', 'OPENAI_COMPATIBLE']]) {
      const res = await gql('admin', `mutation { upsertProvider(input: { name: "${name}", kind: ${kind}, baseUrl: "https://example.com/${name}", enabled: true }) { name } }`);
      expect(res.errors).toBeUndefined();
    }
    const list = await gql('admin', '{ providers { name } }');
    expect(list.data!.providers.map((p: { name: string }) => p.name)).toEqual(['anthropic', 'gemini', 'local-llm', 'openai', 'openrouter']);

    const audit = await h.db.prisma.auditEvent.findMany({ where: { action: 'upsertProvider' }, orderBy: { seq: 'asc' } });
    expect(audit).toHaveLength(7);
    expect(audit[0]).toMatchObject({ actor: 'user:admin@example.com', target: 'provider:openai' });
    expect(JSON.parse(audit[1].detail!)).toMatchObject({ created: false, baseUrl: 'http://10.0.0.5:8080/v1', enabled: false, before: { baseUrl: 'https://api.openai.com/v1', enabled: true } });
  });

  it.each([
    ['ftp://files.example.com', /input\.baseUrl: base URL must use http or https/],
    ['not a url', /input\.baseUrl: expected an absolute http\(s\) URL/],
    ['https://user:pw@example.com/v1', /input\.baseUrl: base URL must not contain credentials/],
  ])('refuses baseUrl %s', async (baseUrl, message) => {
    const res = await gql('admin', 'mutation($u: String!) { upsertProvider(input: { name: "x", kind: OPENAI_COMPATIBLE, baseUrl: $u }) { id } }', { u: baseUrl });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(message);
    expect(res.errors![0].extensions?.field).toBe('input.baseUrl');
  });

  it('refuses bad provider names and a built-in name with the wrong kind', async () => {
    const bad = await gql('admin', 'mutation { upsertProvider(input: { name: "Not OK", kind: OPENAI_COMPATIBLE, baseUrl: "http://x" }) { id } }');
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors![0].message).toMatch(/input\.name: a provider name is 1-63 lowercase letters/);
    const kind = await gql('admin', 'mutation { upsertProvider(input: { name: "anthropic", kind: OPENAI, baseUrl: "https://api.anthropic.com" }) { id } }');
    expect(codes(kind)).toEqual(['BAD_USER_INPUT']);
    expect(kind.errors![0].message).toBe('input.kind: the built-in provider "anthropic" has kind ANTHROPIC');
  });

  let firstKeyId = '';
  let firstKey = '';

  it('stores a key encrypted (row id as AAD) and shows only fingerprint and last four', async () => {
    firstKey = remember(fakeKey('sk-proj-'));
    const res = await gql('admin', `mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { ${KEY_FIELDS} } }`, { k: firstKey });
    expect(res.errors).toBeUndefined();
    const key = res.data!.setProviderKey;
    expect(key).toMatchObject({ last4: firstKey.slice(-4), state: 'ACTIVE', source: 'api', retiredAt: null, revokedAt: null, lastUsedAt: null });
    expect(key.fingerprint).toBe(h.vault.fingerprint(firstKey));
    firstKeyId = key.id;

    const row = await h.db.prisma.providerKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(h.vault.decrypt(row.ciphertext, row.id)).toBe(firstKey);
    expect(() => h.vault.decrypt(row.ciphertext, '00000000-0000-4000-8000-000000000000')).toThrow();

    const audit = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'setProviderKey' }, orderBy: { seq: 'desc' } });
    expect(audit).toMatchObject({ actor: 'user:admin@example.com', target: 'provider:openai' });
    expect(JSON.parse(audit.detail!)).toEqual({ keyId: key.id, fingerprint: key.fingerprint, last4: key.last4, retiredKeyIds: [] });
    await expectNoPlaintextAnywhere(responses);
  });

  it('rotates: the new key is ACTIVE and the previous ACTIVE one RETIRED, in one step', async () => {
    const second = remember(fakeKey('sk-proj-'));
    const res = await gql('admin', `mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id state } }`, { k: second });
    expect(res.data!.setProviderKey.state).toBe('ACTIVE');
    const keys = (await gql('admin', `{ providers { name keys { id state retiredAt } } }`)).data!.providers.find((p: { name: string }) => p.name === 'openai').keys;
    expect(keys).toEqual([
      { id: res.data!.setProviderKey.id, state: 'ACTIVE', retiredAt: null },
      { id: firstKeyId, state: 'RETIRED', retiredAt: expect.any(String) },
    ]);
    const audit = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'setProviderKey' }, orderBy: { seq: 'desc' } });
    expect(JSON.parse(audit.detail!).retiredKeyIds).toEqual([firstKeyId]);

    // Setting the ACTIVE key again changes nothing.
    const same = await gql('admin', `mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id } }`, { k: second });
    expect(same.data!.setProviderKey.id).toBe(res.data!.setProviderKey.id);
    expect(await h.db.prisma.providerKey.count({ where: { provider: { name: 'openai' } } })).toBe(2);
    await expectNoPlaintextAnywhere(responses);
  });

  it('never leaves two ACTIVE keys, even under concurrent rotations', async () => {
    const keys = Array.from({ length: 6 }, () => remember(fakeKey('sk-or-v1-')));
    const results = await Promise.all(keys.map((k) => gql('admin', 'mutation($k: String!) { setProviderKey(provider: "openrouter", key: $k) { id } }', { k })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const states = await h.db.prisma.providerKey.groupBy({ by: ['state'], where: { provider: { name: 'openrouter' } }, _count: true });
    expect(Object.fromEntries(states.map((s) => [s.state, s._count]))).toEqual({ ACTIVE: 1, RETIRED: 5 });
  });

  it('revokes a key (idempotently) and refuses to store a revoked key again', async () => {
    const res = await gql('admin', `mutation($id: ID!) { revokeProviderKey(id: $id) { id state revokedAt } }`, { id: firstKeyId });
    expect(res.data!.revokeProviderKey).toEqual({ id: firstKeyId, state: 'REVOKED', revokedAt: expect.any(String) });
    const again = await gql('admin', `mutation($id: ID!) { revokeProviderKey(id: $id) { state revokedAt } }`, { id: firstKeyId });
    expect(again.data!.revokeProviderKey).toEqual({ state: 'REVOKED', revokedAt: res.data!.revokeProviderKey.revokedAt });

    const audit = await h.db.prisma.auditEvent.findMany({ where: { action: 'revokeProviderKey' }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => [a.target, JSON.parse(a.detail!).previousState])).toEqual([[`provider-key:${firstKeyId}`, 'RETIRED'], [`provider-key:${firstKeyId}`, 'REVOKED']]);

    const reuse = await gql('admin', 'mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id } }', { k: firstKey });
    expect(codes(reuse)).toEqual(['BAD_USER_INPUT']);
    expect(reuse.errors![0].message).toMatch(/was revoked; set a new key/);

    expect(codes(await gql('admin', 'mutation { revokeProviderKey(id: "00000000-0000-4000-8000-000000000000") { id } }'))).toEqual(['NOT_FOUND']);
    const badId = await gql('admin', 'mutation { revokeProviderKey(id: "42") { id } }');
    expect(codes(badId)).toEqual(['BAD_USER_INPUT']);
    expect(badId.errors![0].message).toBe('id must be the id of a provider key');
    await expectNoPlaintextAnywhere(responses);
  });

  it('validates the key and the provider without echoing the key', async () => {
    const key = remember(fakeKey('sk-unknown-'));
    const unknown = await gql('admin', 'mutation($k: String!) { setProviderKey(provider: "nope", key: $k) { id } }', { k: key });
    expect(codes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.errors![0].message).toBe('unknown provider "nope": create it with upsertProvider first');
    for (const [k, message] of [['   ', 'key is empty'], [`${key} ${key}`, 'key must be printable ASCII without whitespace'], ['x'.repeat(2000), 'key is longer than 1024 characters']]) {
      const res = await gql('admin', 'mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id } }', { k });
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message).toBe(message);
      expect(res.errors![0].extensions?.field).toBe('key');
    }
    await expectNoPlaintextAnywhere(responses);
  });

  it('accepts an unexpectedly shaped key with a warning that names neither key nor its characters', async () => {
    const odd = remember(`not-anthropic-${randomBytes(16).toString('hex')}`);
    const res = await gql('admin', 'mutation($k: String!) { setProviderKey(provider: "anthropic", key: $k) { state } }', { k: odd });
    expect(res.data!.setProviderKey).toEqual({ state: 'ACTIVE' });
    const warning = h.logs.map((l) => JSON.parse(l) as { level: number; msg: string; provider?: string; fingerprint?: string }).find((l) => l.msg.includes('unexpected key shape'));
    expect(warning).toMatchObject({ level: 40, provider: 'anthropic', fingerprint: h.vault.fingerprint(odd) });
    expect(warning!.msg).toContain('Anthropic keys usually start with "sk-ant-"');

    expect(keyShapeWarning('OPENAI', `sk-ant-${'x'.repeat(4)}`)).toMatch(/another provider's key/);
    expect(keyShapeWarning('GEMINI', `AIza${'x'.repeat(4)}`)).toBeNull();
    expect(keyShapeWarning('OPENAI_COMPATIBLE', 'anything')).toBeNull();
    await expectNoPlaintextAnywhere(responses);
  });

  it('imports an environment key once at gateway start-up, and never revives a revoked key', async () => {
    const envKey = remember(fakeKey('AIza'));
    const pool = new Pool({ connectionString: h.db.url, max: 2 });
    const config = loadConfig({ GEMINI_API_KEY: envKey, TAILSCALE_SOCKET: '/nonexistent/tailscaled.sock' }, '/srv');
    const start = (c = config) => ensureBuiltinProviders(pool, h.vault, c, silentLogger());
    try {
      const before = await h.db.prisma.providerKey.count({ where: { provider: { name: 'gemini' } } });
      expect(before).toBe(0);
      await start();
      // A restart with the same environment (the key arrives with a trailing newline, as from a file) changes nothing.
      await start(loadConfig({ GEMINI_API_KEY: `${envKey}\n`, TAILSCALE_SOCKET: '/nonexistent/tailscaled.sock' }, '/srv'));
      const keys = await h.db.prisma.providerKey.findMany({ where: { provider: { name: 'gemini' } } });
      expect(keys.map((k) => [k.state, k.source, k.last4])).toEqual([['ACTIVE', 'env', envKey.slice(-4)]]);
      expect(h.vault.decrypt(Buffer.from(keys[0].ciphertext), keys[0].id)).toBe(envKey);
      // What the data plane will serve: the same key, decrypted from the snapshot.
      const snapshot = await loadSnapshot(pool, h.vault, silentLogger());
      expect(snapshot.providers.get('gemini')?.key).toMatchObject({ id: keys[0].id, secret: envKey });
      expect(snapshot.providers.get('gemini')?.upstream).toEqual({ origin: 'https://generativelanguage.googleapis.com', basePath: '' });

      await h.db.prisma.providerKey.update({ where: { id: keys[0].id }, data: { state: 'REVOKED', revokedAt: new Date() } });
      await start();
      expect(await h.db.prisma.providerKey.count({ where: { provider: { name: 'gemini' }, state: 'ACTIVE' } })).toBe(0);
      expect((await loadSnapshot(pool, h.vault, silentLogger())).providers.get('gemini')?.key).toBeUndefined();
      expect(await h.db.prisma.auditEvent.count({ where: { action: 'importProviderKey', actor: 'system' } })).toBe(1);
    } finally {
      await pool.end();
    }
    await expectNoPlaintextAnywhere(responses);
  });

  it('auditLog lists every change newest first, pages with `after`, and never shows a key', async () => {
    const rows = await h.db.prisma.auditEvent.findMany({ orderBy: { seq: 'desc' } });
    expect(rows.length).toBeGreaterThan(15);
    type AuditRow = { id: string; at: string; actor: string; action: string; target: string | null; detail: string | null };
    const walked: AuditRow[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: GraphQLResponse<{ auditLog: AuditRow[] }> = await gql<{ auditLog: AuditRow[] }>('admin', 'query($after: String) { auditLog(first: 4, after: $after) { id at actor action target detail } }', { after });
      const events: AuditRow[] = res.data!.auditLog;
      walked.push(...events);
      if (events.length < 4) break;
      after = events[events.length - 1].id;
    }
    expect(walked.map((e) => e.id)).toEqual(rows.map((r) => r.seq.toString()));
    expect(walked.map((e) => [e.actor, e.action, e.target, e.detail])).toEqual(rows.map((r) => [r.actor, r.action, r.target, r.detail]));
    expect(new Set(walked.map((e) => e.action))).toEqual(new Set(['upsertProvider', 'setProviderKey', 'revokeProviderKey', 'importProviderKey']));
    expect(walked.filter((e) => e.action === 'importProviderKey').map((e) => e.actor)).toEqual(['system']);

    expect(codes(await gql('admin', '{ auditLog(first: 501) { id } }'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql('admin', '{ auditLog(after: "abc") { id } }'))).toEqual(['BAD_USER_INPUT']);
    expect((await gql('admin', '{ auditLog(first: 2) { action } }')).data!.auditLog).toHaveLength(2);
    await expectNoPlaintextAnywhere(responses);
  });

  it('answers a database failure with "internal error" and a request id, never the key or the database\'s words', async () => {
    await h.db.prisma.$executeRawUnsafe('ALTER TABLE provider_keys RENAME TO provider_keys_gone');
    try {
      const key = remember(fakeKey('sk-proj-'));
      const res = await gql('admin', 'mutation($k: String!) { setProviderKey(provider: "openai", key: $k) { id } }', { k: key });
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].message).toBe('internal error');
      expect(res.errors![0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const requestId = res.errors![0].extensions?.requestId;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.text).not.toMatch(/provider_keys|prisma|postgres|relation/i);
      const logged = h.logs.map((l) => JSON.parse(l) as { reqId?: string; msg: string; level: number }).filter((l) => l.reqId === requestId);
      expect(logged.some((l) => l.level === 50 && l.msg === 'admin api: internal error')).toBe(true);
    } finally {
      await h.db.prisma.$executeRawUnsafe('ALTER TABLE provider_keys_gone RENAME TO provider_keys');
    }
    await expectNoPlaintextAnywhere(responses);
  });
});
