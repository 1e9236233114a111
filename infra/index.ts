// Pulumi entry point (Pulumi.yaml → main): read and validate the stack's config, then compose.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import { readStackConfig, StackConfigError, type StackConfig } from './config';
import { Tailgate } from './tailgate';

const project = pulumi.getProject();
const stack = pulumi.getStack();

function loadConfig(): StackConfig {
  const config = new pulumi.Config();
  const prefix = `${config.name}:`;
  try {
    return readStackConfig({
      get: (key) => config.get(key),
      getSecret: (key) => config.getSecret(key),
      keys: () => Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    }, config.name);
  } catch (error) {
    // A RunError prints its message without a stack trace: the message is the whole story.
    if (error instanceof StackConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

const config = loadConfig();

const awsProvider = new aws.Provider('aws', {
  region: config.settings.region,
  defaultTags: { tags: { app: 'tailgate', 'pulumi-project': project, 'pulumi-stack': stack } },
});

const tailgate = new Tailgate('tailgate', {
  ...config,
  buildContext: path.resolve(__dirname, '..'),
  stateParameterName: `/${project}/${stack}/tailscale-state`,
}, { providers: { aws: awsProvider } });

export const gatewayUrl = tailgate.gatewayUrl;
export const gatewayHttpsUrl = tailgate.gatewayHttpsUrl;
export const exportBucketName = tailgate.exportBucketName;
export const databaseEndpoint = tailgate.databaseEndpoint;
/** The policy fragment to merge into an existing tailnet policy (or what manageAcl applied). */
export const tailnetPolicy = tailgate.tailnetPolicy;
export const logGroupName = tailgate.service.logGroupName;
