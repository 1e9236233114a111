import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface ExportBucketArgs {
  /** Key prefix the gateway writes under (no leading or trailing slash). */
  prefix: string;
  /** Days a replaced or deleted export object version is kept. */
  noncurrentVersionDays: number;
  /** Days after which current exports expire; 0 keeps them forever. */
  expireDays: number;
}

/**
 * The S3 bucket the gateway exports its request records to: private (public access blocked, ACLs
 * off, TLS-only policy), encrypted, versioned, with a lifecycle that bounds what old versions and
 * abandoned uploads cost.
 */
export class ExportBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** ARN pattern of the objects the gateway may write: bucket/prefix/*. */
  readonly objectArnPattern: pulumi.Output<string>;
  readonly prefix: string;

  constructor(name: string, args: ExportBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:ExportBucket', name, {}, opts);
    const parent = { parent: this };

    // Records are an audit trail: `pulumi destroy` must not silently delete them with the bucket.
    const bucket = new aws.s3.Bucket(`${name}`, { forceDestroy: false }, parent);
    const bucketArgs = { bucket: bucket.id };

    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { ...bucketArgs, rule: { objectOwnership: 'BucketOwnerEnforced' } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
      ...bucketArgs,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
      ...bucketArgs,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    }, parent);
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
      ...bucketArgs,
      versioningConfiguration: { status: 'Enabled' },
    }, parent);

    const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = [{
      id: 'old-versions-and-uploads',
      status: 'Enabled',
      filter: { prefix: '' },
      noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      expiration: { expiredObjectDeleteMarker: true },
    }];
    if (args.expireDays > 0) {
      rules.push({ id: 'expire-exports', status: 'Enabled', filter: { prefix: `${args.prefix}/` }, expiration: { days: args.expireDays } });
    }
    // Lifecycle rules on noncurrent versions need versioning switched on first.
    new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { ...bucketArgs, rules }, { parent: this, dependsOn: [versioning] });

    new aws.s3.BucketPolicy(`${name}-tls-only`, {
      ...bucketArgs,
      policy: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }],
      },
    }, { parent: this, dependsOn: [publicAccess] });

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.prefix = args.prefix;
    this.objectArnPattern = pulumi.interpolate`${bucket.arn}/${args.prefix}/*`;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, objectArnPattern: this.objectArnPattern });
  }
}
