import * as pulumi from '@pulumi/pulumi';

/**
 * Builds the repo's Dockerfile with the local Docker CLI and pushes it to ECR, as a Pulumi dynamic
 * resource (no extra provider package). The tag is the build-context hash, so an unchanged repo
 * neither rebuilds nor redeploys; the output is the pushed image's digest reference, which pins the
 * task definition to exactly what was built.
 *
 * Pulumi serializes this provider's functions into its own process, so they capture nothing but
 * each other and `require` what they use.
 */

export interface DockerImageInputs {
  /** ECR repository URL (registry/name). */
  repositoryUrl: string;
  /** Build-context hash; the image tag. */
  contentHash: string;
  /** Absolute build context and Dockerfile paths on the machine running `pulumi up`. */
  context: string;
  dockerfile: string;
  /** linux/amd64 or linux/arm64, matching the task's CPU architecture. */
  platform: string;
  registryServer: string;
  registryUsername: string;
  registryPassword: string;
}

/** The registry password is used, never stored in the resource's state. */
export interface DockerImageOutputs extends Omit<DockerImageInputs, 'registryPassword'> {
  /** repository@sha256:… */
  imageUri: string;
}

/** Only these inputs change the image; paths and short-lived registry credentials do not. */
export const IMAGE_IDENTITY_INPUTS = ['repositoryUrl', 'contentHash', 'platform'] as const;
type ImageIdentity = Pick<DockerImageInputs, (typeof IMAGE_IDENTITY_INPUTS)[number]>;

/** The inputs whose change means a new image (each one forces a replace). */
export function imageChanges(olds: ImageIdentity, news: ImageIdentity): string[] {
  return IMAGE_IDENTITY_INPUTS.filter((key) => olds[key] !== news[key]);
}

export function imageTag(contentHash: string): string {
  return `ctx-${contentHash.slice(0, 24)}`;
}

function buildAndPush(inputs: DockerImageInputs): string {
  const childProcess: typeof import('node:child_process') = require('node:child_process');
  const tagged = `${inputs.repositoryUrl}:${imageTag(inputs.contentHash)}`;
  const docker = (args: string[], input?: string): string => {
    try {
      return childProcess.execFileSync('docker', args, {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, DOCKER_BUILDKIT: '1' },
      });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      const detail = (failure.stderr ?? '').trim().split('\n').slice(-30).join('\n');
      // The password travels on stdin only, so neither argv nor this message can carry it.
      throw new Error(`docker ${args[0]} failed: ${detail || failure.message}`);
    }
  };
  docker(['login', '--username', inputs.registryUsername, '--password-stdin', inputs.registryServer], inputs.registryPassword);
  docker(['build', '--platform', inputs.platform, '--file', inputs.dockerfile, '--tag', tagged, inputs.context]);
  docker(['push', tagged]);
  const digests = JSON.parse(docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', tagged])) as string[] | null;
  const pushed = (digests ?? []).find((ref) => ref.startsWith(`${inputs.repositoryUrl}@sha256:`));
  if (pushed === undefined) throw new Error(`pushed ${tagged} but found no digest for ${inputs.repositoryUrl} in ${JSON.stringify(digests)}`);
  return pushed;
}

export const dockerImageProvider: pulumi.dynamic.ResourceProvider<DockerImageInputs, DockerImageOutputs> = {
  async diff(_id, olds, news) {
    const replaces = imageChanges(olds, news);
    return { changes: replaces.length > 0, replaces };
  },
  async create(inputs) {
    const imageUri = buildAndPush(inputs);
    const { registryPassword: _used, ...kept } = inputs;
    return { id: imageUri, outs: { ...kept, imageUri } };
  },
  // Pushed images are left to the repository's lifecycle policy: a running task may still use one.
  async delete() {},
};

export interface DockerImageArgs {
  repositoryUrl: pulumi.Input<string>;
  contentHash: pulumi.Input<string>;
  context: pulumi.Input<string>;
  dockerfile: pulumi.Input<string>;
  platform: pulumi.Input<string>;
  registryServer: pulumi.Input<string>;
  registryUsername: pulumi.Input<string>;
  registryPassword: pulumi.Input<string>;
}

export class DockerImage extends pulumi.dynamic.Resource {
  declare readonly imageUri: pulumi.Output<string>;

  constructor(name: string, args: DockerImageArgs, opts?: pulumi.CustomResourceOptions) {
    super(dockerImageProvider, name, { ...args, registryPassword: pulumi.secret(args.registryPassword), imageUri: undefined }, opts, 'tailgate', 'DockerImage');
  }
}
