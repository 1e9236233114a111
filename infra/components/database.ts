import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

export interface DatabaseArgs {
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupId: pulumi.Input<string>;
  instanceClass: string;
  /** Major (17) or major.minor (17.4); RDS picks the default minor for a major. */
  engineVersion: string;
  allocatedStorageGb: number;
  /** 0 turns storage autoscaling off. */
  maxAllocatedStorageGb: number;
  multiAz: boolean;
  /** 0 turns automated backups off. */
  backupRetentionDays: number;
  deletionProtection: boolean;
  skipFinalSnapshot: boolean;
  /** Path of the RDS CA bundle inside the gateway image. */
  caBundlePath: string;
  port?: number;
  databaseName?: string;
  username?: string;
}

/**
 * RDS PostgreSQL for the gateway: private, encrypted, TLS-only, with a generated password kept in
 * Secrets Manager next to the DATABASE_URL the gateway reads. The password is generated here
 * rather than by RDS (manageMasterUserPassword) because RDS rotates its own secret on a schedule,
 * which would silently invalidate the assembled DATABASE_URL.
 */
export class Database extends pulumi.ComponentResource {
  readonly address: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;
  /** host:port, safe to show (no credentials). */
  readonly endpoint: pulumi.Output<string>;
  /** Resolves only once the secret has a value, so a task that reads it never finds it empty. */
  readonly databaseUrlSecretArn: pulumi.Output<string>;
  /** Changes whenever DATABASE_URL does (a new password or address). */
  readonly databaseUrlVersionId: pulumi.Output<string>;
  readonly masterSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:Database', name, {}, opts);
    const parent = { parent: this };
    const port = args.port ?? 5432;
    const dbName = args.databaseName ?? 'tailgate';
    const username = args.username ?? 'tailgate';
    const major = args.engineVersion.split('.')[0];

    // Letters and digits only: nothing to escape in a URL, nothing RDS rejects ('/', '@', '"', ' ').
    const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, parent);

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
      subnetIds: args.subnetIds,
      description: 'Tailgate database: private subnets only',
    }, parent);
    const parameters = new aws.rds.ParameterGroup(`${name}-params`, {
      family: `postgres${major}`,
      description: 'Tailgate database: TLS required',
      parameters: [{ name: 'rds.force_ssl', value: '1' }],
    }, parent);
    const snapshotSuffix = new random.RandomId(`${name}-final-snapshot`, { byteLength: 4 }, parent);

    const instance = new aws.rds.Instance(`${name}-postgres`, {
      engine: 'postgres',
      engineVersion: args.engineVersion,
      instanceClass: args.instanceClass,
      dbName,
      username,
      password: password.result,
      port,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [args.securityGroupId],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      storageEncrypted: true,
      storageType: 'gp3',
      allocatedStorage: args.allocatedStorageGb,
      maxAllocatedStorage: args.maxAllocatedStorageGb,
      multiAz: args.multiAz,
      backupRetentionPeriod: args.backupRetentionDays,
      deletionProtection: args.deletionProtection,
      skipFinalSnapshot: args.skipFinalSnapshot,
      finalSnapshotIdentifier: args.skipFinalSnapshot ? undefined : pulumi.interpolate`${name}-final-${snapshotSuffix.hex}`,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      // Changes that need a restart wait for the maintenance window instead of dropping the
      // gateway's connections mid-deploy.
      applyImmediately: false,
    }, parent);

    const masterSecret = new aws.secretsmanager.Secret(`${name}-master`, {
      description: 'Tailgate database master credentials (RDS secret JSON shape)',
      recoveryWindowInDays: 7,
    }, parent);
    const masterVersion = new aws.secretsmanager.SecretVersion(`${name}-master`, {
      secretId: masterSecret.id,
      secretString: pulumi.jsonStringify({
        engine: 'postgres',
        host: instance.address,
        port: instance.port,
        username,
        password: password.result,
        dbname: dbName,
      }),
    }, parent);

    // verify-full + the RDS CA bundle: the connection is encrypted and the server is the instance
    // we created (pg treats a bare sslmode=require as verify-full and would reject Amazon's CA).
    const databaseUrl = pulumi.secret(pulumi.interpolate`postgresql://${username}:${password.result.apply(encodeURIComponent)}@${instance.address}:${instance.port}/${dbName}?sslmode=verify-full&sslrootcert=${encodeURIComponent(args.caBundlePath)}`);
    const urlSecret = new aws.secretsmanager.Secret(`${name}-url`, {
      description: 'Tailgate DATABASE_URL, injected into the gateway task as an ECS secret',
      recoveryWindowInDays: 7,
    }, parent);
    const urlVersion = new aws.secretsmanager.SecretVersion(`${name}-url`, { secretId: urlSecret.id, secretString: databaseUrl }, parent);

    this.address = instance.address;
    this.port = instance.port;
    this.endpoint = pulumi.interpolate`${instance.address}:${instance.port}`;
    this.databaseUrlSecretArn = pulumi.all([urlSecret.arn, urlVersion.versionId]).apply(([arn]) => arn);
    this.databaseUrlVersionId = urlVersion.versionId;
    this.masterSecretArn = pulumi.all([masterSecret.arn, masterVersion.versionId]).apply(([arn]) => arn);
    this.registerOutputs({
      address: this.address,
      port: this.port,
      endpoint: this.endpoint,
      databaseUrlSecretArn: this.databaseUrlSecretArn,
      databaseUrlVersionId: this.databaseUrlVersionId,
      masterSecretArn: this.masterSecretArn,
    });
  }
}
