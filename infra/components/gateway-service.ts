import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { createHash } from 'node:crypto';
import { serveConfig, type ServeConfig } from '../lib/serve-config';

/**
 * The gateway listens on loopback only, and on 127.0.0.2 rather than 127.0.0.1: in userspace mode
 * tailscaled forwards any tailnet port it does not serve to 127.0.0.1:<same port>, so a listener
 * there would also take direct tailnet connections to :8080 that bypass serve (and could carry a
 * forged X-Forwarded-For). On 127.0.0.2 the serve proxy, which sets that header itself, is the
 * only way in.
 */
export const GATEWAY_LISTEN = '127.0.0.2:8080';
/** Shared by both containers through a task volume: tailscaled's LocalAPI, for whois. */
export const TAILSCALE_SOCKET_DIR = '/var/run/tailscale';
export const TAILSCALE_SOCKET = `${TAILSCALE_SOCKET_DIR}/tailscaled.sock`;
const GATEWAY_DATA_DIR = '/var/lib/tailgate';
const SERVE_CONFIG_PATH = '/tmp/tailgate-serve.json';
const TAILSCALE_HEALTH = '127.0.0.1:9002';

/** Node 20 has fetch and the image has no curl. */
const GATEWAY_HEALTH_SCRIPT = `fetch('http://${GATEWAY_LISTEN}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;

export interface GatewayServiceArgs {
  region: string;
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupId: pulumi.Input<string>;

  image: pulumi.Input<string>;
  /** ECR repository the execution role may pull from. */
  repositoryArn: pulumi.Input<string>;
  tailscaleImage: string;
  cpuArchitecture: 'X86_64' | 'ARM64';
  cpu: number;
  memory: number;
  desiredCount: number;
  waitForSteadyState: boolean;
  containerInsights: boolean;
  logRetentionDays: number;

  hostname: string;
  https: boolean;
  /** <hostname>.<tailnet DNS name>; only needed without https. */
  nodeName?: string;
  /** Parameter name (starting with /) holding tailscaled's state across task replacements. */
  stateParameterName: string;

  admins: string[];
  appCapability: string;
  exportBucket: { name: pulumi.Input<string>; prefix: string; objectArnPattern: pulumi.Input<string> };

  /** Secret values; each is stored in Secrets Manager and injected as an ECS secret. */
  tailscaleAuthKey: pulumi.Input<string>;
  /** Generated (32 random bytes) when not given. */
  masterKey?: pulumi.Input<string>;
  providerKeys: Partial<Record<'OPENAI_API_KEY' | 'ANTHROPIC_API_KEY' | 'GEMINI_API_KEY' | 'OPENROUTER_API_KEY', pulumi.Input<string>>>;
  /** Already in Secrets Manager (the Database component's). */
  databaseUrl: { secretArn: pulumi.Input<string>; versionId: pulumi.Input<string> };
}

interface ContainerSecret {
  name: string;
  valueFrom: pulumi.Input<string>;
  versionId: pulumi.Input<string>;
}

/**
 * The gateway on ECS Fargate: one task with two containers. `tailscale` runs tailscaled in
 * userspace mode as node <hostname>, keeps its node state in an SSM SecureString so the node
 * survives redeploys, and serves tailnet :443/:80 to the gateway on loopback. `gateway` reads
 * whois from tailscaled's LocalAPI socket on a shared volume. Every secret reaches the containers
 * as an ECS secret (a Secrets Manager ARN), never as an environment value.
 */
export class GatewayService extends pulumi.ComponentResource {
  readonly clusterName: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;
  readonly executionRoleArn: pulumi.Output<string>;
  readonly stateParameterArn: pulumi.Output<string>;
  readonly serveConfig: ServeConfig;

  constructor(name: string, args: GatewayServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:GatewayService', name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent).partition;

    // --- secrets -------------------------------------------------------------------------------
    const storeSecret = (envName: string, id: string, description: string, value: pulumi.Input<string>): ContainerSecret => {
      const secret = new aws.secretsmanager.Secret(`${name}-${id}`, { description, recoveryWindowInDays: 7 }, parent);
      const version = new aws.secretsmanager.SecretVersion(`${name}-${id}`, { secretId: secret.id, secretString: pulumi.secret(value) }, parent);
      // Hand out the ARN only once a value exists, so the task never starts against an empty secret.
      return { name: envName, valueFrom: pulumi.all([secret.arn, version.versionId]).apply(([arn]) => arn), versionId: version.versionId };
    };
    const masterKey = args.masterKey
      // Losing this key makes every stored provider key unreadable: it is generated once and
      // never changes (no keepers).
      ?? new random.RandomBytes(`${name}-master-key`, { length: 32 }, parent).base64;
    const gatewaySecrets: ContainerSecret[] = [
      { name: 'DATABASE_URL', valueFrom: args.databaseUrl.secretArn, versionId: args.databaseUrl.versionId },
      storeSecret('TAILGATE_MASTER_KEY', 'master-key', 'Tailgate key-vault master key (base64, 32 bytes)', masterKey),
    ];
    for (const [envName, value] of Object.entries(args.providerKeys)) {
      if (value === undefined) continue;
      const id = envName.toLowerCase().replace(/_/g, '-');
      gatewaySecrets.push(storeSecret(envName, id, `Tailgate upstream key imported at start (${envName})`, value));
    }
    // Only read at the node's first login: a new key needs no restart.
    const sidecarSecrets: ContainerSecret[] = [
      storeSecret('TS_AUTHKEY', 'ts-authkey', 'Tailscale auth key for the gateway node', args.tailscaleAuthKey),
    ];
    // ECS reads secrets when a task starts. Naming the gateway's secret versions in its task
    // definition makes a changed secret (new DATABASE_URL, rotated provider key) roll the task.
    const secretsRevision = pulumi.all(gatewaySecrets.map((s) => s.versionId))
      .apply((ids) => createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16));
    const injected = (secrets: ContainerSecret[]) => secrets.map(({ name: secretName, valueFrom }) => ({ name: secretName, valueFrom }));

    // --- tailscaled state ------------------------------------------------------------------------
    // tailscaled owns this value (it rewrites it whenever its state changes, as a SecureString);
    // Pulumi only creates the parameter so its ARN is known, scoped in IAM, and removed on destroy.
    const stateParameter = new aws.ssm.Parameter(`${name}-ts-state`, {
      name: args.stateParameterName,
      type: 'SecureString',
      value: '{}',
      description: 'tailscaled state of the Tailgate gateway node (written by tailscaled)',
    }, { parent: this, ignoreChanges: ['value', 'insecureValue', 'tier'] });

    // --- logs and roles --------------------------------------------------------------------------
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, parent);
    const assumeByEcsTasks = pulumi.all([identity.accountId, partition]).apply(([account, part]) => JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        // Only ECS acting for this account and region may assume the role (confused deputy).
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${part}:ecs:${args.region}:${account}:*` },
        },
      }],
    }));

    const executionRole = new aws.iam.Role(`${name}-execution`, {
      description: 'Tailgate ECS agent: pull the image, write logs, read the injected secrets',
      assumeRolePolicy: assumeByEcsTasks,
    }, parent);
    new aws.iam.RolePolicy(`${name}-execution`, {
      role: executionRole.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          // GetAuthorizationToken has no resource-level scoping.
          { Sid: 'EcrLogin', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
          {
            Sid: 'PullGatewayImage',
            Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
            Resource: [args.repositoryArn],
          },
          { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${logGroup.arn}:log-stream:*`] },
          {
            Sid: 'ReadInjectedSecrets',
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue'],
            Resource: [...gatewaySecrets, ...sidecarSecrets].map((s) => s.valueFrom),
          },
        ],
      }),
    }, parent);

    const taskRole = new aws.iam.Role(`${name}-task`, {
      description: 'Tailgate task: put record exports, keep tailscaled state',
      assumeRolePolicy: assumeByEcsTasks,
    }, parent);
    new aws.iam.RolePolicy(`${name}-task`, {
      role: taskRole.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ExportRecords', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [args.exportBucket.objectArnPattern] },
          // The exporter lists `<prefix>/<kind>/…/<first-id>-` before a put, so a retry after a crash
          // rewrites the same object instead of an overlapping one; listing is limited to the prefix.
          {
            Sid: 'ListExportedRecords', Effect: 'Allow', Action: ['s3:ListBucket'],
            Resource: [pulumi.interpolate`arn:aws:s3:::${args.exportBucket.name}`],
            Condition: { StringLike: { 's3:prefix': [`${args.exportBucket.prefix}/*`] } },
          },
          // SecureString under the AWS-managed aws/ssm key, whose key policy already lets SSM
          // use it on this account's behalf: no KMS statement needed.
          { Sid: 'TailscaleState', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [stateParameter.arn] },
        ],
      }),
    }, parent);

    // --- task --------------------------------------------------------------------------------------
    this.serveConfig = serveConfig({ backend: GATEWAY_LISTEN, https: args.https, nodeName: args.nodeName, appCapability: args.appCapability });
    const logOptions = (prefix: string) => ({
      logDriver: 'awslogs',
      options: { 'awslogs-group': logGroup.name, 'awslogs-region': args.region, 'awslogs-stream-prefix': prefix },
    });
    const sidecar = {
      name: 'tailscale',
      image: args.tailscaleImage,
      essential: true,
      // containerboot reads the serve config from a file; write it from the environment first.
      entryPoint: ['/bin/sh', '-c'],
      command: [`printf '%s' "$TAILGATE_SERVE_CONFIG" > ${SERVE_CONFIG_PATH} && exec /usr/local/bin/containerboot`],
      environment: env({
        TS_USERSPACE: 'true',
        TS_HOSTNAME: args.hostname,
        TS_SOCKET: TAILSCALE_SOCKET,
        // With state kept, log in with the key once; later starts resume the same node.
        TS_AUTH_ONCE: 'true',
        TS_ACCEPT_DNS: 'false',
        TS_SERVE_CONFIG: SERVE_CONFIG_PATH,
        TAILGATE_SERVE_CONFIG: JSON.stringify(this.serveConfig),
        // tailscaled's AWS state store: the node key survives task replacement. Appended after
        // containerboot's own --state=mem:, and the last flag wins.
        TS_TAILSCALED_EXTRA_ARGS: pulumi.interpolate`--state=${stateParameter.arn}`,
        TS_ENABLE_HEALTH_CHECK: 'true',
        TS_LOCAL_ADDR_PORT: TAILSCALE_HEALTH,
      }),
      secrets: injected(sidecarSecrets),
      mountPoints: [{ sourceVolume: 'tailscale-socket', containerPath: TAILSCALE_SOCKET_DIR, readOnly: false }],
      healthCheck: {
        // Healthy once the node has a tailnet address (containerboot's /healthz).
        command: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://${TAILSCALE_HEALTH}/healthz`],
        interval: 15, timeout: 5, retries: 3, startPeriod: 60,
      },
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: logOptions('tailscale'),
    };
    const gateway = {
      name: 'gateway',
      image: args.image,
      essential: true,
      environment: env({
        NODE_ENV: 'production',
        TAILGATE_LISTEN: GATEWAY_LISTEN,
        TAILGATE_DATA_DIR: GATEWAY_DATA_DIR,
        TAILGATE_IDENTITY: 'tailscale',
        // Behind serve's HTTP proxy identity is per request, from X-Forwarded-For (see serve-config.ts).
        TAILGATE_SERVE_PROXY: 'true',
        TAILSCALE_SOCKET: TAILSCALE_SOCKET,
        TAILGATE_APP_CAP: args.appCapability,
        TAILGATE_ADMINS: args.admins.length > 0 ? args.admins.join(',') : undefined,
        TAILGATE_EXPORT_S3_BUCKET: args.exportBucket.name,
        TAILGATE_EXPORT_S3_PREFIX: args.exportBucket.prefix,
        TAILGATE_EXPORT_S3_REGION: args.region,
        TAILGATE_CREDENTIALS_REVISION: secretsRevision,
      }),
      secrets: injected(gatewaySecrets),
      // Connecting to a unix socket works on a read-only mount; the gateway never writes there.
      mountPoints: [{ sourceVolume: 'tailscale-socket', containerPath: TAILSCALE_SOCKET_DIR, readOnly: true }],
      dependsOn: [{ containerName: 'tailscale', condition: 'HEALTHY' }],
      healthCheck: {
        command: ['CMD', 'node', '-e', GATEWAY_HEALTH_SCRIPT],
        // Migrations run before the listener opens.
        interval: 15, timeout: 5, retries: 3, startPeriod: 90,
      },
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: logOptions('gateway'),
    };

    const taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
      // Families are account-wide: keep stacks sharing an account and region apart.
      family: `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(args.cpu),
      memory: String(args.memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: args.cpuArchitecture },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      volumes: [{ name: 'tailscale-socket' }],
      containerDefinitions: pulumi.jsonStringify([sidecar, gateway]),
    }, parent);

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
      settings: [{ name: 'containerInsights', value: args.containerInsights ? 'enabled' : 'disabled' }],
    }, parent);
    const service = new aws.ecs.Service(`${name}-service`, {
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: args.desiredCount,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
      // Two tasks would be two tailscaled processes with one node key: stop the old task before
      // starting the new one (a short gap per deploy).
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      propagateTags: 'SERVICE',
      waitForSteadyState: args.waitForSteadyState,
    }, parent);

    this.clusterName = cluster.name;
    this.serviceName = service.name;
    this.logGroupName = logGroup.name;
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.stateParameterArn = stateParameter.arn;
    this.registerOutputs({
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      logGroupName: this.logGroupName,
      taskRoleArn: this.taskRoleArn,
      executionRoleArn: this.executionRoleArn,
      stateParameterArn: this.stateParameterArn,
    });
  }
}

function env(vars: Record<string, pulumi.Input<string> | undefined>): { name: string; value: pulumi.Input<string> }[] {
  return Object.entries(vars).flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));
}
