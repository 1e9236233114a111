import * as pulumi from '@pulumi/pulumi';
import { Database } from './components/database';
import { ExportBucket } from './components/export-bucket';
import { GatewayImage } from './components/gateway-image';
import { GatewayService } from './components/gateway-service';
import { Network } from './components/network';
import { TailnetAccess } from './components/tailnet-access';
import { RDS_CA_BUNDLE_PATH, type StackConfig } from './config';
import { servePorts } from './lib/serve-config';

export interface TailgateArgs extends StackConfig {
  /** Directory with the Dockerfile to build when `settings.image` is not set. */
  buildContext: string;
  /** SSM parameter name for tailscaled's state; unique per stack and region. */
  stateParameterName: string;
}

/**
 * The whole deployment: network, database, export bucket, tailnet key (and policy when opted in),
 * image, and the Fargate service that ties them together.
 */
export class Tailgate extends pulumi.ComponentResource {
  /** Base URL on the tailnet for Claude Code / Codex (MagicDNS short name). */
  readonly gatewayUrl: pulumi.Output<string>;
  /** https://<hostname>.<tailnet DNS name> when the tailnet DNS name is configured. */
  readonly gatewayHttpsUrl: pulumi.Output<string | undefined>;
  readonly exportBucketName: pulumi.Output<string>;
  /** host:port of the database; never the password. */
  readonly databaseEndpoint: pulumi.Output<string>;
  readonly tailnetPolicy: pulumi.Output<string>;
  readonly network: Network;
  readonly database: Database;
  readonly exportBucket: ExportBucket;
  readonly tailnet: TailnetAccess;
  readonly image: GatewayImage;
  readonly service: GatewayService;

  constructor(name: string, args: TailgateArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:Tailgate', name, {}, opts);
    const s = args.settings;
    const parent = { parent: this };

    this.network = new Network(`${name}-net`, {
      region: s.region,
      existing: s.vpcId !== undefined && s.subnetIds !== undefined ? { vpcId: s.vpcId, privateSubnetIds: s.subnetIds } : undefined,
      cidrBlock: s.vpcCidr,
      availabilityZones: s.availabilityZones,
      natGateways: s.natGateways,
      tailscaleDirectUdp: s.tailscaleDirectUdp,
      databasePort: 5432,
    }, parent);

    this.database = new Database(`${name}-db`, {
      subnetIds: this.network.privateSubnetIds,
      securityGroupId: this.network.databaseSecurityGroupId,
      instanceClass: s.dbInstanceClass,
      engineVersion: s.dbEngineVersion,
      allocatedStorageGb: s.dbAllocatedStorageGb,
      maxAllocatedStorageGb: s.dbMaxAllocatedStorageGb,
      multiAz: s.dbMultiAz,
      backupRetentionDays: s.dbBackupRetentionDays,
      deletionProtection: s.dbDeletionProtection,
      skipFinalSnapshot: s.dbSkipFinalSnapshot,
      caBundlePath: RDS_CA_BUNDLE_PATH,
      port: 5432,
    }, parent);

    this.exportBucket = new ExportBucket(`${name}-export`, {
      prefix: s.exportPrefix,
      noncurrentVersionDays: s.exportNoncurrentVersionDays,
      expireDays: s.exportExpireDays,
    }, parent);

    this.tailnet = new TailnetAccess(`${name}-tailnet`, {
      tags: s.tags,
      authKeyExpiryDays: s.authKeyExpiryDays,
      manageAcl: s.manageAcl,
      policy: {
        tagOwners: s.tagOwners,
        groups: s.groups,
        adminGroups: s.adminGroups,
        userGrants: s.userGrants,
        appCapability: s.appCapability,
        ports: servePorts(s.https),
      },
    }, parent);

    this.image = new GatewayImage(`${name}-image`, {
      image: s.image,
      buildContext: s.image === undefined ? args.buildContext : undefined,
      platform: s.cpuArchitecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64',
    }, parent);

    const nodeName = s.tailnetDnsName !== undefined ? `${s.hostname}.${s.tailnetDnsName}` : undefined;
    this.service = new GatewayService(`${name}-gw`, {
      region: s.region,
      subnetIds: this.network.privateSubnetIds,
      securityGroupId: this.network.gatewaySecurityGroupId,
      image: this.image.imageUri,
      repositoryArn: this.image.repositoryArn,
      tailscaleImage: s.tailscaleImage,
      cpuArchitecture: s.cpuArchitecture,
      cpu: s.cpu,
      memory: s.memory,
      desiredCount: s.desiredCount,
      waitForSteadyState: s.waitForSteadyState,
      containerInsights: s.containerInsights,
      logRetentionDays: s.logRetentionDays,
      hostname: s.hostname,
      https: s.https,
      nodeName,
      stateParameterName: args.stateParameterName,
      admins: s.admins,
      appCapability: s.appCapability,
      exportBucket: { name: this.exportBucket.bucketName, prefix: this.exportBucket.prefix, objectArnPattern: this.exportBucket.objectArnPattern },
      tailscaleAuthKey: this.tailnet.authKey,
      masterKey: args.secrets.masterKey,
      providerKeys: {
        OPENAI_API_KEY: args.secrets.openaiApiKey,
        ANTHROPIC_API_KEY: args.secrets.anthropicApiKey,
        GEMINI_API_KEY: args.secrets.geminiApiKey,
        OPENROUTER_API_KEY: args.secrets.openrouterApiKey,
      },
      databaseUrl: { secretArn: this.database.databaseUrlSecretArn, versionId: this.database.databaseUrlVersionId },
    }, parent);

    this.gatewayUrl = pulumi.output(`http://${s.hostname}`);
    this.gatewayHttpsUrl = pulumi.output(s.https && nodeName !== undefined ? `https://${nodeName}` : undefined);
    this.exportBucketName = this.exportBucket.bucketName;
    this.databaseEndpoint = this.database.endpoint;
    this.tailnetPolicy = pulumi.output(this.tailnet.policyJson);
    this.registerOutputs({
      gatewayUrl: this.gatewayUrl,
      gatewayHttpsUrl: this.gatewayHttpsUrl,
      exportBucketName: this.exportBucketName,
      databaseEndpoint: this.databaseEndpoint,
      tailnetPolicy: this.tailnetPolicy,
    });
  }
}
