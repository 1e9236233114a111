import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { hashBuildContext } from '../lib/build-context';
import { DockerImage } from '../lib/docker-image-provider';

export interface GatewayImageArgs {
  /**
   * Build from this repo: the directory holding the Dockerfile and .dockerignore. Omit when
   * `image` names an image built elsewhere (CI).
   */
  buildContext?: string;
  /** A prebuilt image reference; skips the local build. */
  image?: string;
  platform: 'linux/amd64' | 'linux/arm64';
  /** How many pushed images the repository keeps. */
  keepImages?: number;
}

/**
 * The gateway's ECR repository and the image `pulumi up` builds into it from the repo's
 * Dockerfile (with the local Docker CLI). Tasks run the image by digest, so a deployment is
 * exactly the build it came from.
 */
export class GatewayImage extends pulumi.ComponentResource {
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;
  /** What the task definition runs: repository@sha256:… (or the given image). */
  readonly imageUri: pulumi.Output<string>;

  constructor(name: string, args: GatewayImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:GatewayImage', name, {}, opts);
    const parent = { parent: this };
    if ((args.buildContext === undefined) === (args.image === undefined)) {
      throw new Error('GatewayImage: give exactly one of buildContext and image');
    }

    const repository = new aws.ecr.Repository(`${name}`, {
      // Tags are content hashes and tasks pin digests, so a tag never needs to move; mutable
      // tags only let a retried build push the same tag again.
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: 'AES256' }],
      // Images are rebuilt from the repo at will; they must not block `pulumi destroy`.
      forceDelete: true,
    }, parent);
    new aws.ecr.LifecyclePolicy(`${name}-retention`, {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [{
          rulePriority: 1,
          description: `keep the ${args.keepImages ?? 20} most recent images`,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: args.keepImages ?? 20 },
          action: { type: 'expire' },
        }],
      }),
    }, parent);

    if (args.image !== undefined) {
      this.imageUri = pulumi.output(args.image);
    } else {
      const context = path.resolve(args.buildContext as string);
      const { hash } = hashBuildContext(context);
      const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, parent);
      const image = new DockerImage(`${name}-build`, {
        repositoryUrl: repository.repositoryUrl,
        contentHash: hash,
        context,
        dockerfile: path.join(context, 'Dockerfile'),
        platform: args.platform,
        registryServer: token.proxyEndpoint.apply((endpoint) => endpoint.replace(/^https?:\/\//, '')),
        registryUsername: token.userName,
        registryPassword: token.password,
      }, parent);
      this.imageUri = image.imageUri;
    }

    this.repositoryUrl = repository.repositoryUrl;
    this.repositoryArn = repository.arn;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn, imageUri: this.imageUri });
  }
}
