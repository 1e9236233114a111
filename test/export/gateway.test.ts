import { APP_CAP, eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { LocalS3, PREFIX, readBucket, S3RVER_CREDENTIALS, type StoredObject } from './support';

const ALICE = '127.0.0.2';
const OPS = '127.0.0.7';

/**
 * The exporter as the process runs it (app/start.ts): real model calls through the gateway land
 * in the bucket without their text or any key, /metrics carries the lag, and a dead bucket never
 * touches serving.
 */
describe('record export in a running gateway', () => {
  const s3 = new LocalS3();
  let gw: TestGateway;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    await s3.start();
    // Credentials reach the exporter the production way: the AWS default chain (here, the environment).
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    gw = await startTestGateway({
      env: { TAILGATE_EXPORT_S3_BUCKET: 'tailgate-export', TAILGATE_EXPORT_S3_PREFIX: `/${PREFIX}/`, TAILGATE_EXPORT_S3_ENDPOINT: s3.endpoint, TAILGATE_EXPORT_INTERVAL: '1' },
    });
    gw.tailscale.addUser(ALICE, { login: 'alice@example.com', nodeName: 'alice-laptop' });
    gw.tailscale.addUser(OPS, { login: 'ops@example.com', caps: { [APP_CAP]: [{ role: 'admin' }] } });
  });
  afterAll(async () => {
    await gw?.stop();
    await s3.destroy();
    process.env = savedEnv;
  });

  const lagGauge = async (): Promise<number> => {
    const text = await (await gw.fetchFrom(OPS)(`${gw.url}/metrics`)).text();
    const match = /^tailgate_export_lag_seconds (\S+)$/m.exec(text);
    expect(match).not.toBeNull();
    return Number(match![1]);
  };

  it('exports each model call with its ledger fields and never its prompt, completion or keys', async () => {
    const client = s3.client();
    try {
      const res = await gw.fetchFrom(ALICE)(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'codex_cli_rs/0.40.0', authorization: 'Bearer sk-client-sent-should-vanish' },
        body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'prompt text xyzzy-42' }] }),
      });
      expect(res.status).toBe(200);
      const completion = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      const requestId = res.headers.get('x-tailgate-request-id');

      const objects = await eventually(async () => {
        const found = await readBucket(client);
        expect(found.flatMap((o) => o.records).some((r) => r.kind === 'request' && r.request_id === requestId)).toBe(true);
        return found;
      }, 15_000);
      const record = objects.flatMap((o: StoredObject) => o.records).find((r) => r.kind === 'request' && r.request_id === requestId)!;
      expect(record).toMatchObject({
        schema_version: 1, kind: 'request', principal: 'user:alice@example.com', node: expect.stringMatching(/^alice-laptop\b/), client: 'codex', provider: 'openai', model: 'gpt-5',
        endpoint: 'chat', status: 200, stream: false, usage_known: true, error_class: null,
      });
      expect(record.kind === 'request' && record.input_tokens).toBeGreaterThan(0);
      const holding = objects.find((o) => o.records.includes(record))!;
      expect(holding.key).toMatch(new RegExp(`^${PREFIX}/requests/dt=${record.at.slice(0, 10)}/hour=${record.at.slice(11, 13)}/\\d+-\\d+\\.jsonl\\.gz$`));
      // The provider keys imported from the environment at start are audited, and exported, without the keys.
      const audits = objects.flatMap((o) => o.records).filter((r) => r.kind === 'audit');
      expect(audits.length).toBeGreaterThan(0);
      expect(audits.every((r) => r.kind === 'audit' && r.actor === 'system')).toBe(true);

      const exported = objects.map((o) => o.text).join('');
      expect(exported).not.toContain('xyzzy-42');
      const answer = completion.choices[0].message.content;
      expect(answer.length).toBeGreaterThan(0);
      expect(exported).not.toContain(answer);
      expect(exported).not.toContain('sk-client-sent-should-vanish');
      for (const key of [gw.env.OPENAI_API_KEY, gw.env.ANTHROPIC_API_KEY, gw.env.TAILGATE_MASTER_KEY]) expect(exported).not.toContain(key);
      // The AWS credentials (access key id and secret are both "S3RVER" here) are never logged.
      expect(gw.logs.join('')).not.toContain('S3RVER');

      await eventually(async () => expect(await lagGauge()).toBe(0), 5_000);
    } finally {
      client.destroy();
    }
  });

  it('keeps serving while the bucket is down; the lag grows, a warning says why, and the backlog follows when it returns', async () => {
    await s3.stop();
    const before = gw.logs.length;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetchFrom(ALICE)(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      ids.push(res.headers.get('x-tailgate-request-id')!);
    }
    await eventually(async () => {
      const warned = gw.logs.slice(before).join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(warned.some((l) => l.level === 40 && /^record export to s3:\/\/tailgate-export\/tg\/records failed \(attempt \d+\), retrying in [\d.]+ s: S3 .*cannot reach the S3 endpoint$/.test(l.msg))).toBe(true);
    }, 10_000);
    await eventually(async () => expect(await lagGauge()).toBeGreaterThan(0), 10_000);

    await s3.start();
    const client = s3.client();
    try {
      await eventually(async () => {
        const got = (await readBucket(client)).flatMap((o) => o.records).filter((r) => r.kind === 'request').map((r) => (r.kind === 'request' ? r.request_id : ''));
        for (const id of ids) expect(got).toContain(id);
        expect(new Set(got).size).toBe(got.length);
      }, 20_000);
    } finally {
      client.destroy();
    }
  });
});
