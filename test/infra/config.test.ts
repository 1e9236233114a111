import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readStackConfig, SECRET_KEYS, SETTING_KEYS, StackConfigError, type ConfigSource } from '../../infra/config';

function source(values: Record<string, string>, secrets: Record<string, string> = {}): ConfigSource {
  return {
    get: (key) => values[key],
    getSecret: (key) => (secrets[key] === undefined ? undefined : pulumi.secret(secrets[key])),
    keys: () => [...Object.keys(values), ...Object.keys(secrets)],
  };
}

function problemsOf(values: Record<string, string>): string[] {
  try {
    readStackConfig(source(values));
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('stack config', () => {
  test('an empty stack gets secure, working defaults', () => {
    const { settings, secrets } = readStackConfig(source({}));
    expect(settings).toMatchObject({
      region: 'us-east-1',
      hostname: 'ai',
      tags: ['tag:ai-gateway'],
      https: true,
      manageAcl: false,
      desiredCount: 1,
      cpu: 512,
      memory: 1024,
      dbDeletionProtection: true,
      dbBackupRetentionDays: 7,
      dbSkipFinalSnapshot: false,
      tailscaleDirectUdp: false,
      logRetentionDays: 30,
      appCapability: 'example.com/cap/tailgate',
      admins: [],
    });
    expect(settings.vpcId).toBeUndefined();
    expect(settings.image).toBeUndefined();
    expect(secrets).toEqual({});
  });

  test('numbers, booleans, lists and maps are decoded from Pulumi config strings', () => {
    const { settings } = readStackConfig(source({
      desiredCount: '0',
      dbMultiAz: 'true',
      cpu: '1024',
      memory: '4096',
      admins: '["user:alice@example.com","tag:ops-bot"]',
      manageAcl: 'true',
      groups: '{"group:eng":["alice@example.com","bob@example.com"]}',
      userGrants: '[{"src":["group:eng"],"models":["claude-*","gpt-5*"]}]',
      vpcId: 'vpc-0abc',
      subnetIds: '["subnet-01","subnet-02"]',
    }));
    expect(settings.desiredCount).toBe(0);
    expect(settings.dbMultiAz).toBe(true);
    expect(settings.memory).toBe(4096);
    expect(settings.admins).toEqual(['user:alice@example.com', 'tag:ops-bot']);
    expect(settings.userGrants).toEqual([{ src: ['group:eng'], models: ['claude-*', 'gpt-5*'] }]);
    expect(settings.subnetIds).toEqual(['subnet-01', 'subnet-02']);
  });

  test('secrets come only from getSecret and only when set', async () => {
    const { secrets } = readStackConfig(source({}, { anthropicApiKey: 'mock-anthropic-key' }));
    expect(Object.keys(secrets)).toEqual(['anthropicApiKey']);
    expect(await pulumi.isSecret(secrets.anthropicApiKey as pulumi.Output<string>)).toBe(true);
  });

  test('every bad key is reported at once, by its config name', () => {
    const problems = problemsOf({ hostname: 'AI Gateway', desiredCount: 'two', https: 'yes', hostName: 'ai' });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^tailgate:hostname: expected a DNS label/),
      expect.stringMatching(/^tailgate:desiredCount: expected a number/),
      expect.stringMatching(/^tailgate:https: expected true or false/),
      'tailgate:hostName: unknown setting',
    ]));
  });

  test.each([
    [{ desiredCount: '2' }, /desiredCount/],
    [{ cpu: '512', memory: '512' }, /tailgate:memory: cpu 512 allows memory 1024-4096/],
    [{ cpu: '300' }, /tailgate:cpu: expected a Fargate cpu size/],
    [{ vpcId: 'vpc-0abc' }, /vpcId and subnetIds go together/],
    [{ vpcId: 'vpc-0abc', subnetIds: '["subnet-01"]' }, /at least two availability zones/],
    [{ admins: '["alice@example.com"]' }, /tailgate:admins\[0\]: expected user:<login> or tag:<name>/],
    [{ tags: '["ai-gateway"]' }, /tailgate:tags\[0\]: expected tag:<name>/],
    [{ appCapability: 'tailscale.com/cap/tailgate' }, /belong to Tailscale/],
    [{ logRetentionDays: '10' }, /retention periods/],
    [{ https: 'false' }, /tailnetDnsName: required when https is false/],
    [{ subnetIds: 'subnet-01,subnet-02', vpcId: 'vpc-0abc' }, /tailgate:subnetIds: expected a YAML list/],
    [{ manageAcl: 'true', adminGroups: '["group:admins"]' }, /group:admins is used but not defined/],
    [{ userGrants: '[{"src":["group:eng"],"models":["*"],"quota":1}]' }, /tailgate:userGrants/],
    [{ dbAllocatedStorageGb: '50', dbMaxAllocatedStorageGb: '30' }, /dbMaxAllocatedStorageGb/],
    [{ exportPrefix: '/records/' }, /exportPrefix/],
  ])('rejects %j', (values, message) => {
    expect(problemsOf(values).join('\n')).toMatch(message);
  });

  test('a configuration error reads as a list, without values of secret keys', () => {
    const error = (() => {
      try {
        readStackConfig(source({ region: 'mars-1' }, { openaiApiKey: 'mock-openai-key' }));
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error.message).toMatch(/^invalid stack configuration:\n {2}tailgate:region: expected an AWS region/);
    expect(error.message).not.toContain('mock-openai-key');
  });
});

describe('Pulumi.dev.yaml.example', () => {
  const text = readFileSync(path.resolve(__dirname, '../../Pulumi.dev.yaml.example'), 'utf8');
  // The example writes scalars plainly or quoted and collections as JSON, which is how Pulumi hands
  // structured config to the program.
  const entries = [...text.matchAll(/^ {2}(# )?tailgate:(\w+): (.*?)([ \t]+#.*)?$/gm)].map((m) => ({
    commented: m[1] !== undefined,
    key: m[2],
    value: /^"[^"]*"$/.test(m[3]) ? m[3].slice(1, -1) : m[3],
  }));

  test('documents every setting, and names every secret', () => {
    expect(entries.map((e) => e.key).sort()).toEqual([...SETTING_KEYS].sort());
    for (const key of Object.keys(SECRET_KEYS)) expect(text).toContain(`pulumi config set --secret tailgate:${key}`);
  });

  test('shows the defaults, and they validate', () => {
    const values = Object.fromEntries(entries.filter((e) => !e.commented).map((e) => [e.key, e.value]));
    expect(readStackConfig(source(values)).settings).toEqual(readStackConfig(source({})).settings);
  });

  test('its commented-out examples validate too', () => {
    const values = Object.fromEntries(entries.map((e) => [e.key, e.value]).filter(([key]) => key !== 'image'));
    expect(() => readStackConfig(source(values))).not.toThrow();
  });
});
