// Mocks first: nothing may register a resource before they are in place.
import { ACCOUNT, FAKE, REGION, created, isSecretInput, one, resourcesOf, reveal, secretInput, settle, valueOf, type CreatedResource } from './support/pulumi-mocks';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { readStackConfig, type ConfigSource } from '../../infra/config';
import { Tailgate } from '../../infra/tailgate';

const repoRoot = path.resolve(__dirname, '../..');

interface Deployed {
  name: string;
  tailgate: Tailgate;
}

const deployed = new Map<string, Deployed>();

/** Deploys a Tailgate under mocks with the given `tailgate:*` config (once per name). */
async function deploy(name: string, values: Record<string, string>, secrets: Record<string, string> = {}): Promise<Deployed> {
  const existing = deployed.get(name);
  if (existing) return existing;
  const source: ConfigSource = {
    get: (key) => values[key],
    getSecret: (key) => (secrets[key] === undefined ? undefined : pulumi.secret(secrets[key])),
    keys: () => [...Object.keys(values), ...Object.keys(secrets)],
  };
  const tailgate = new Tailgate(name, {
    ...readStackConfig(source),
    buildContext: repoRoot,
    stateParameterName: `/tailgate/${name}/tailscale-state`,
  });
  await valueOf(tailgate.service.serviceName);
  await settle();
  const result = { name, tailgate };
  deployed.set(name, result);
  return result;
}

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string[] | string;
  Resource: string[] | string;
}

function statements(policy: unknown): PolicyStatement[] {
  const doc = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Statement: PolicyStatement[] };
  return doc.Statement;
}

const asList = (value: string[] | string): string[] => (Array.isArray(value) ? value : [value]);

interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  entryPoint?: string[];
  command?: string[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  dependsOn?: { containerName: string; condition: string }[];
  healthCheck: { command: string[] };
  logConfiguration: { logDriver: string; options: Record<string, string> };
  portMappings?: unknown[];
}

function containers(name: string): ContainerDefinition[] {
  const task = one(name, 'aws:ecs/taskDefinition:TaskDefinition');
  return JSON.parse(task.inputs.containerDefinitions as string) as ContainerDefinition[];
}

function container(name: string, which: 'gateway' | 'tailscale'): ContainerDefinition {
  const found = containers(name).find((c) => c.name === which);
  if (!found) throw new Error(`no ${which} container`);
  return found;
}

const envOf = (c: ContainerDefinition): Record<string, string> => Object.fromEntries(c.environment.map((e) => [e.name, e.value]));

const PROVIDER_SECRETS = { openaiApiKey: 'mock-openai-key-value', anthropicApiKey: 'mock-anthropic-key-value', geminiApiKey: 'mock-gemini-key-value', openrouterApiKey: 'mock-openrouter-key-value' };

describe('Tailgate stack (default config)', () => {
  const name = 'tg';
  beforeAll(() => deploy(name, {}));

  test('exports the tailnet URL, bucket and database endpoint, and no credential', async () => {
    const { tailgate } = deployed.get(name) as Deployed;
    expect(await valueOf(tailgate.gatewayUrl)).toBe('http://ai');
    expect(await valueOf(tailgate.gatewayHttpsUrl)).toBeUndefined();
    expect(await valueOf(tailgate.exportBucketName)).toBe(`${name}-export-bucket`);
    const endpoint = await valueOf(tailgate.databaseEndpoint);
    expect(endpoint).toBe(`${name}-db-postgres.cmock.${REGION}.rds.amazonaws.com:5432`);
    expect(endpoint).not.toContain(FAKE.dbPassword);
    expect(await pulumi.isSecret(tailgate.databaseEndpoint)).toBe(false);
  });

  test('creates a VPC with private subnets behind a NAT, and an S3 gateway endpoint', () => {
    one(name, 'aws:ec2/vpc:Vpc');
    const subnets = resourcesOf(name, 'aws:ec2/subnet:Subnet');
    expect(subnets.filter((s) => s.name.includes('-private-'))).toHaveLength(2);
    expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
    expect(resourcesOf(name, 'aws:ec2/natGateway:NatGateway')).toHaveLength(1);
    const privateRoutes = resourcesOf(name, 'aws:ec2/routeTable:RouteTable').filter((r) => r.name.includes('-private-'));
    expect(privateRoutes).toHaveLength(2);
    for (const rt of privateRoutes) {
      expect(rt.inputs.routes).toEqual([expect.objectContaining({ cidrBlock: '0.0.0.0/0', natGatewayId: expect.any(String) })]);
    }
    expect(one(name, 'aws:ec2/vpcEndpoint:VpcEndpoint').inputs).toMatchObject({ serviceName: `com.amazonaws.${REGION}.s3`, vpcEndpointType: 'Gateway' });
    expect(one(name, 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup').inputs).toMatchObject({ ingress: [], egress: [] });
  });

  test('nothing accepts traffic from the internet; the database only from the gateway', () => {
    const internet = ['0.0.0.0/0', '::/0'];
    for (const sg of created.filter((r) => r.type === 'aws:ec2/securityGroup:SecurityGroup')) {
      const inline = (sg.inputs.ingress ?? []) as { cidrBlocks?: string[]; ipv6CidrBlocks?: string[] }[];
      expect(inline.flatMap((rule) => [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])]).filter((c) => internet.includes(c))).toEqual([]);
    }
    for (const rule of created.filter((r) => r.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')) {
      expect(internet).not.toContain(rule.inputs.cidrIpv4);
      expect(internet).not.toContain(rule.inputs.cidrIpv6);
    }

    const gatewaySg = one(name, 'aws:ec2/securityGroup:SecurityGroup', '-gateway');
    const databaseSg = one(name, 'aws:ec2/securityGroup:SecurityGroup', '-database');
    const ingress = resourcesOf(name, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
    expect(ingress.filter((r) => r.inputs.securityGroupId === `${gatewaySg.name}-id`)).toEqual([]);
    expect(ingress.map((r) => r.inputs)).toEqual([expect.objectContaining({
      securityGroupId: `${databaseSg.name}-id`, referencedSecurityGroupId: `${gatewaySg.name}-id`, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432,
    })]);
    expect(databaseSg.inputs.ingress).toBeUndefined();
  });

  test('the gateway may only send HTTPS out, and Postgres to its database', () => {
    const egress = resourcesOf(name, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').map((r) => r.inputs);
    expect(egress).toHaveLength(2);
    expect(egress).toEqual(expect.arrayContaining([
      expect.objectContaining({ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' }),
      expect.objectContaining({ ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, referencedSecurityGroupId: expect.stringContaining('-database') }),
    ]));
  });

  test('RDS is private, encrypted, TLS-only, backed up and protected from deletion', () => {
    const db = one(name, 'aws:rds/instance:Instance');
    expect(db.inputs).toMatchObject({
      engine: 'postgres',
      engineVersion: '17',
      instanceClass: 'db.t4g.micro',
      publiclyAccessible: false,
      storageEncrypted: true,
      backupRetentionPeriod: 7,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${name}-db-final-0a1b2c3d`,
      password: secretInput(FAKE.dbPassword),
      vpcSecurityGroupIds: [expect.stringContaining('-database-id')],
    });
    expect(db.inputs).not.toHaveProperty('manageMasterUserPassword', true);
    expect(one(name, 'aws:rds/parameterGroup:ParameterGroup').inputs).toMatchObject({
      family: 'postgres17',
      parameters: [expect.objectContaining({ name: 'rds.force_ssl', value: '1' })],
    });
    const subnetGroup = one(name, 'aws:rds/subnetGroup:SubnetGroup');
    expect(subnetGroup.inputs.subnetIds).toEqual([`${name}-net-private-0-id`, `${name}-net-private-1-id`]);
  });

  test('the password is generated and kept, with DATABASE_URL, only in Secrets Manager', () => {
    const password = one(name, 'random:index/randomPassword:RandomPassword');
    expect(password.inputs).toMatchObject({ length: 40, special: false });
    const versions = resourcesOf(`${name}-db`, 'aws:secretsmanager/secretVersion:SecretVersion');
    const url = versions.find((v) => v.name.endsWith('-url'));
    expect(isSecretInput(url?.inputs.secretString)).toBe(true);
    expect(reveal(url?.inputs.secretString)).toBe(
      `postgresql://tailgate:${FAKE.dbPassword}@${name}-db-postgres.cmock.${REGION}.rds.amazonaws.com:5432/tailgate?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fcerts%2Frds-global-bundle.pem`,
    );
    const masterInput = versions.find((v) => v.name.endsWith('-master'))?.inputs.secretString;
    expect(isSecretInput(masterInput)).toBe(true);
    const master = JSON.parse(String(reveal(masterInput))) as Record<string, unknown>;
    expect(master).toMatchObject({ engine: 'postgres', username: 'tailgate', password: FAKE.dbPassword, dbname: 'tailgate', port: 5432 });
  });

  test('the export bucket is private, encrypted, versioned, TLS-only, with a lifecycle', () => {
    const bucket = one(name, 'aws:s3/bucket:Bucket');
    expect(bucket.inputs.forceDestroy).toBe(false);
    const forBucket = (r: CreatedResource) => r.inputs.bucket === `${bucket.name}-id`;
    const pab = one(name, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
    expect(forBucket(pab)).toBe(true);
    expect(pab.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(one(name, 'aws:s3/bucketOwnershipControls:BucketOwnershipControls').inputs).toMatchObject({ rule: { objectOwnership: 'BucketOwnerEnforced' } });
    expect(one(name, 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').inputs).toMatchObject({
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    expect(one(name, 'aws:s3/bucketVersioning:BucketVersioning').inputs).toMatchObject({ versioningConfiguration: { status: 'Enabled' } });
    const lifecycle = one(name, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
    expect(lifecycle.inputs.rules).toEqual([expect.objectContaining({
      status: 'Enabled',
      noncurrentVersionExpiration: { noncurrentDays: 30 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    })]);
    const [deny] = statements(one(name, 'aws:s3/bucketPolicy:BucketPolicy').inputs.policy);
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  test('the tailnet key is reusable, preauthorized, tagged, expiring, and recreated when invalid', () => {
    expect(one(name, 'tailscale:index/tailnetKey:TailnetKey').inputs).toMatchObject({
      reusable: true,
      preauthorized: true,
      ephemeral: false,
      tags: ['tag:ai-gateway'],
      expiry: 90 * 24 * 3600,
      recreateIfInvalid: 'always',
    });
  });

  test('the tailnet policy is not touched unless the stack opts in', async () => {
    expect(resourcesOf(name, 'tailscale:index/acl:Acl')).toEqual([]);
    const policy = JSON.parse(await valueOf(deployed.get(name)!.tailgate.tailnetPolicy)) as { tagOwners: Record<string, string[]> };
    expect(policy.tagOwners).toEqual({ 'tag:ai-gateway': ['autogroup:admin'] });
  });

  test('the task runs the gateway and a userspace tailscale sidecar sharing the LocalAPI socket', () => {
    const task = one(name, 'aws:ecs/taskDefinition:TaskDefinition');
    expect(task.inputs).toMatchObject({
      requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '512', memory: '1024',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      volumes: [{ name: 'tailscale-socket' }],
    });
    expect(containers(name).map((c) => c.name).sort()).toEqual(['gateway', 'tailscale']);

    const sidecar = container(name, 'tailscale');
    const sidecarEnv = envOf(sidecar);
    expect(sidecar.image).toBe('tailscale/tailscale:stable');
    expect(sidecarEnv).toMatchObject({
      TS_USERSPACE: 'true',
      TS_HOSTNAME: 'ai',
      TS_SOCKET: '/var/run/tailscale/tailscaled.sock',
      TS_AUTH_ONCE: 'true',
      TS_TAILSCALED_EXTRA_ARGS: `--state=arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/tailgate/${name}/tailscale-state`,
    });
    const serve = JSON.parse(sidecarEnv.TAILGATE_SERVE_CONFIG) as { TCP: Record<string, object>; Web: Record<string, { Handlers: Record<string, { Proxy: string }> }> };
    expect(serve.TCP).toEqual({ '443': { HTTPS: true }, '80': { HTTP: true } });
    expect(serve.Web['${TS_CERT_DOMAIN}:443'].Handlers['/'].Proxy).toBe('http://127.0.0.2:8080');
    // Not 127.0.0.1: userspace tailscaled forwards unserved tailnet ports there, around serve.
    expect(envOf(container(name, 'gateway')).TAILGATE_LISTEN).toBe('127.0.0.2:8080');
    // containerboot reads TS_SERVE_CONFIG from a file: the entry point writes it, then execs it.
    expect(sidecar.command?.[0]).toContain(`> ${sidecarEnv.TS_SERVE_CONFIG} && exec /usr/local/bin/containerboot`);

    const gateway = container(name, 'gateway');
    const gatewayEnv = envOf(gateway);
    expect(gateway.image).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}-image@sha256:${'ab'.repeat(32)}`);
    expect(gatewayEnv).toMatchObject({
      TAILGATE_LISTEN: '127.0.0.2:8080',
      TAILGATE_IDENTITY: 'tailscale',
      TAILSCALE_SOCKET: sidecarEnv.TS_SOCKET,
      TAILGATE_APP_CAP: 'example.com/cap/tailgate',
      TAILGATE_EXPORT_S3_BUCKET: `${name}-export-bucket`,
      TAILGATE_EXPORT_S3_PREFIX: 'tailgate',
      TAILGATE_EXPORT_S3_REGION: REGION,
    });
    expect(gatewayEnv).not.toHaveProperty('TAILGATE_ADMINS');
    // A digest of the gateway's secret versions: a changed secret rolls the task.
    expect(gatewayEnv.TAILGATE_CREDENTIALS_REVISION).toMatch(/^[0-9a-f]{16}$/);
    expect(gateway.mountPoints).toEqual([{ sourceVolume: 'tailscale-socket', containerPath: '/var/run/tailscale', readOnly: true }]);
    expect(sidecar.mountPoints).toEqual([{ sourceVolume: 'tailscale-socket', containerPath: '/var/run/tailscale', readOnly: false }]);
    expect(gateway.dependsOn).toEqual([{ containerName: 'tailscale', condition: 'HEALTHY' }]);
    expect(gateway.healthCheck.command.join(' ')).toContain('http://127.0.0.2:8080/healthz');
    expect(containers(name).every((c) => c.portMappings === undefined)).toBe(true);
  });

  test('every secret reaches the containers through `secrets`, never as an environment value', () => {
    const gateway = container(name, 'gateway');
    const sidecar = container(name, 'tailscale');
    expect(gateway.secrets.map((s) => s.name).sort()).toEqual(['DATABASE_URL', 'TAILGATE_MASTER_KEY']);
    expect(sidecar.secrets.map((s) => s.name)).toEqual(['TS_AUTHKEY']);
    for (const s of [...gateway.secrets, ...sidecar.secrets]) {
      expect(s.valueFrom).toMatch(new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:`));
    }
    const definitions = JSON.stringify(containers(name));
    for (const value of [FAKE.dbPassword, FAKE.masterKey, FAKE.tailnetKey]) expect(definitions).not.toContain(value);
    const secretNames = /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/;
    for (const c of [gateway, sidecar]) expect(c.environment.map((e) => e.name).filter((n) => secretNames.test(n))).toEqual([]);

    const stored = resourcesOf(`${name}-gw`, 'aws:secretsmanager/secretVersion:SecretVersion');
    expect(stored.every((v) => isSecretInput(v.inputs.secretString))).toBe(true);
    expect(stored.map((v) => reveal(v.inputs.secretString)).sort()).toEqual([FAKE.masterKey, FAKE.tailnetKey].sort());
    expect(one(name, 'random:index/randomBytes:RandomBytes').inputs).toMatchObject({ length: 32 });
  });

  test('logs go to CloudWatch with a retention', () => {
    const logs = one(name, 'aws:cloudwatch/logGroup:LogGroup');
    expect(logs.inputs.retentionInDays).toBe(30);
    for (const c of containers(name)) {
      expect(c.logConfiguration).toEqual({ logDriver: 'awslogs', options: { 'awslogs-group': `/mock/${logs.name}`, 'awslogs-region': REGION, 'awslogs-stream-prefix': c.name } });
    }
  });

  test('the task role may only put (and list) exports under the prefix and keep the tailscale state', () => {
    const policy = statements(one(name, 'aws:iam/rolePolicy:RolePolicy', '-task').inputs.policy);
    expect(policy).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${name}-export-bucket/tailgate/*`] }),
      expect.objectContaining({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${name}-export-bucket`], Condition: { StringLike: { 's3:prefix': ['tailgate/*'] } } }),
      expect.objectContaining({ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/tailgate/${name}/tailscale-state`] }),
    ]);
    const parameter = one(name, 'aws:ssm/parameter:Parameter');
    expect(parameter.inputs).toMatchObject({ name: `/tailgate/${name}/tailscale-state`, type: 'SecureString' });
  });

  test('the execution role reads exactly the injected secrets and pulls only the gateway repository', () => {
    const policy = statements(one(name, 'aws:iam/rolePolicy:RolePolicy', '-execution').inputs.policy);
    const injected = containers(name).flatMap((c) => c.secrets.map((s) => s.valueFrom)).sort();
    const secretStatement = policy.find((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(asList(secretStatement?.Resource ?? []).sort()).toEqual(injected);
    const wildcard = policy.filter((s) => asList(s.Resource).includes('*'));
    expect(wildcard.flatMap((s) => asList(s.Action))).toEqual(['ecr:GetAuthorizationToken']);
    const pull = policy.find((s) => asList(s.Action).includes('ecr:BatchGetImage'));
    expect(pull?.Resource).toEqual([`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}-image`]);
  });

  test('both roles trust only ECS tasks of this account', () => {
    for (const role of resourcesOf(name, 'aws:iam/role:Role')) {
      const [trust] = statements(role.inputs.assumeRolePolicy) as (PolicyStatement & { Principal: unknown; Condition: unknown })[];
      expect(trust).toMatchObject({
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:ecs:${REGION}:${ACCOUNT}:*` } },
      });
    }
  });

  test('the service runs one private task, replaced stop-first', () => {
    expect(one(name, 'aws:ecs/service:Service').inputs).toMatchObject({
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { assignPublicIp: false, subnets: [`${name}-net-private-0-id`, `${name}-net-private-1-id`], securityGroups: [expect.stringContaining('-gateway-id')] },
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
    });
  });

  test('the image is built from the repo and pushed to its ECR repository', () => {
    const repo = one(name, 'aws:ecr/repository:Repository');
    expect(repo.inputs).toMatchObject({ imageScanningConfiguration: { scanOnPush: true } });
    const build = one(name, 'pulumi-nodejs:dynamic/tailgate:DockerImage');
    expect(build.inputs).toMatchObject({
      repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}-image`,
      platform: 'linux/amd64',
      context: repoRoot,
      dockerfile: path.join(repoRoot, 'Dockerfile'),
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      registryServer: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
    });
  });
});

describe('Tailgate stack (opted-in policy, existing VPC, provider keys)', () => {
  const name = 'tg2';
  beforeAll(() => deploy(name, {
    manageAcl: 'true',
    groups: '{"group:eng":["alice@example.com"],"group:ai-admins":["root@example.com"]}',
    adminGroups: '["group:ai-admins"]',
    userGrants: '[{"src":["group:eng","tag:pr-review-bot"],"models":["claude-*","gpt-5*"]}]',
    admins: '["user:root@example.com"]',
    appCapability: 'corp.example/cap/tailgate',
    tags: '["tag:ai-gateway","tag:prod"]',
    hostname: 'llm',
    tailnetDnsName: 'tail1234.ts.net',
    vpcId: 'vpc-0abc',
    subnetIds: '["subnet-0a","subnet-0b"]',
    image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/tailgate:v1',
    tailscaleDirectUdp: 'true',
    cpuArchitecture: 'ARM64',
    desiredCount: '0',
    dbBackupRetentionDays: '0',
    dbDeletionProtection: 'false',
    dbSkipFinalSnapshot: 'true',
    exportPrefix: 'records/v1',
    exportExpireDays: '365',
  }, PROVIDER_SECRETS));

  test('applies the policy: tag owners, reachability, admin and user caps with model allow-lists', () => {
    const acl = one(name, 'tailscale:index/acl:Acl');
    expect(acl.inputs.overwriteExistingContent).toBe(true);
    const policy = JSON.parse(String(acl.inputs.acl)) as { groups: unknown; tagOwners: unknown; grants: unknown[] };
    expect(policy.groups).toEqual({ 'group:eng': ['alice@example.com'], 'group:ai-admins': ['root@example.com'] });
    expect(policy.tagOwners).toEqual({ 'tag:ai-gateway': ['autogroup:admin'], 'tag:prod': ['autogroup:admin'] });
    const dst = ['tag:ai-gateway', 'tag:prod'];
    expect(policy.grants).toEqual([
      { src: ['group:ai-admins', 'group:eng', 'tag:pr-review-bot'], dst, ip: ['tcp:443', 'tcp:80'] },
      { src: ['group:ai-admins'], dst, app: { 'corp.example/cap/tailgate': [{ role: 'admin', models: ['*'] }] } },
      { src: ['group:eng', 'tag:pr-review-bot'], dst, app: { 'corp.example/cap/tailgate': [{ role: 'user', models: ['claude-*', 'gpt-5*'] }] } },
    ]);
    expect(one(name, 'tailscale:index/tailnetKey:TailnetKey').inputs.tags).toEqual(dst);
  });

  test('uses the given VPC and subnets instead of creating a network', () => {
    expect(resourcesOf(name, 'aws:ec2/vpc:Vpc')).toEqual([]);
    expect(resourcesOf(name, 'aws:ec2/natGateway:NatGateway')).toEqual([]);
    for (const sg of resourcesOf(name, 'aws:ec2/securityGroup:SecurityGroup')) expect(sg.inputs.vpcId).toBe('vpc-0abc');
    expect(one(name, 'aws:ecs/service:Service').inputs).toMatchObject({ desiredCount: 0, networkConfiguration: { subnets: ['subnet-0a', 'subnet-0b'] } });
    expect(one(name, 'aws:rds/subnetGroup:SubnetGroup').inputs.subnetIds).toEqual(['subnet-0a', 'subnet-0b']);
  });

  test('opening direct UDP adds only WireGuard and STUN egress', () => {
    const udp = resourcesOf(name, 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule').filter((r) => r.inputs.ipProtocol === 'udp');
    expect(udp.map((r) => r.inputs.fromPort).sort()).toEqual([3478, 41641]);
  });

  test('provider keys are stored as secrets and injected by ARN', () => {
    const gateway = container(name, 'gateway');
    expect(gateway.secrets.map((s) => s.name).sort()).toEqual(['ANTHROPIC_API_KEY', 'DATABASE_URL', 'GEMINI_API_KEY', 'OPENAI_API_KEY', 'OPENROUTER_API_KEY', 'TAILGATE_MASTER_KEY']);
    const definitions = JSON.stringify(containers(name));
    for (const value of Object.values(PROVIDER_SECRETS)) expect(definitions).not.toContain(value);
    const stored = resourcesOf(`${name}-gw`, 'aws:secretsmanager/secretVersion:SecretVersion').map((v) => v.inputs.secretString);
    expect(stored.every(isSecretInput)).toBe(true);
    expect(stored.map(reveal)).toEqual(expect.arrayContaining(Object.values(PROVIDER_SECRETS)));
  });

  test('settings flow into the task: image, arch, admins, app cap, hostname, serve names', () => {
    const task = one(name, 'aws:ecs/taskDefinition:TaskDefinition');
    expect(task.inputs.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' });
    const gateway = envOf(container(name, 'gateway'));
    expect(container(name, 'gateway').image).toBe('111122223333.dkr.ecr.us-east-1.amazonaws.com/tailgate:v1');
    expect(gateway).toMatchObject({ TAILGATE_ADMINS: 'user:root@example.com', TAILGATE_APP_CAP: 'corp.example/cap/tailgate', TAILGATE_EXPORT_S3_PREFIX: 'records/v1' });
    expect(envOf(container(name, 'tailscale')).TS_HOSTNAME).toBe('llm');
    expect(resourcesOf(name, 'pulumi-nodejs:dynamic/tailgate:DockerImage')).toEqual([]);
    const taskPolicy = statements(one(name, 'aws:iam/rolePolicy:RolePolicy', '-task').inputs.policy);
    expect(taskPolicy[0].Resource).toEqual([`arn:aws:s3:::${name}-export-bucket/records/v1/*`]);
  });

  test('backups and deletion protection can be turned off explicitly', () => {
    expect(one(name, 'aws:rds/instance:Instance').inputs).toMatchObject({ backupRetentionPeriod: 0, deletionProtection: false, skipFinalSnapshot: true, publiclyAccessible: false, storageEncrypted: true });
    expect(one(name, 'aws:rds/instance:Instance').inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  test('exports expire when asked to', () => {
    const rules = one(name, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules as { id: string; filter: unknown; expiration: unknown }[];
    expect(rules.find((r) => r.id === 'expire-exports')).toMatchObject({ filter: { prefix: 'records/v1/' }, expiration: { days: 365 } });
  });

  test('the https URL is exported when the tailnet DNS name is known', async () => {
    const { tailgate } = deployed.get(name) as Deployed;
    expect(await valueOf(tailgate.gatewayUrl)).toBe('http://llm');
    expect(await valueOf(tailgate.gatewayHttpsUrl)).toBe('https://llm.tail1234.ts.net');
  });
});
