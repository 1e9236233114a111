import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../config';

export type ExportConfig = NonNullable<Config['export']>;

/**
 * The export's S3 client. Credentials come from the AWS default chain (environment, shared config,
 * the ECS task role in production); none are ever read from Tailgate's own settings, so none can end
 * up in its logs.
 *
 * With `TAILGATE_EXPORT_S3_ENDPOINT` (MinIO, Ceph, R2, s3rver…) addressing is path-style, the region
 * defaults to us-east-1 (such stores ignore it but the signer needs one), and checksums are sent
 * only when an operation requires them: since 3.729 the SDK adds CRC32 checksum headers to every
 * PutObject by default, which a number of S3-compatible stores reject (aws/aws-cli#9214 and the
 * reports linked from it).
 */
export function createExportS3Client(config: ExportConfig, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const custom = config.endpoint !== undefined;
  return new S3Client({
    region: config.region ?? (custom ? 'us-east-1' : undefined),
    ...(custom ? { endpoint: config.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    // Our loop retries with its own backoff (capped at 30 s); the SDK only smooths over blips.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true },
    ...overrides,
  });
}
