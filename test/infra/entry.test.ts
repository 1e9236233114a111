// Mocks first: infra/index.ts registers resources as soon as it is loaded.
import { created, resourcesOf, settle, valueOf } from './support/pulumi-mocks';
import * as pulumi from '@pulumi/pulumi';

/** Loads Pulumi.yaml's entry point afresh with the given stack config, as `pulumi up` would. */
function loadEntry(config: Record<string, string>): Record<string, pulumi.Output<unknown>> {
  pulumi.runtime.setAllConfig(config);
  let loaded: Record<string, pulumi.Output<unknown>> = {};
  jest.isolateModules(() => {
    loaded = require('../../infra/index') as Record<string, pulumi.Output<unknown>>;
  });
  return loaded;
}

describe('infra/index.ts', () => {
  test('reads the stack config, creates an explicit AWS provider, and exports the stack outputs', async () => {
    const outputs = loadEntry({
      'tailgate:region': 'eu-west-1',
      'tailgate:hostname': 'gateway',
      'tailgate:image': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/tailgate:v1',
      // Other namespaces belong to their providers and are not ours to judge.
      'tailscale:tailnet': 'example.com',
    });
    await valueOf(outputs.logGroupName);
    await settle();

    expect(Object.keys(outputs).sort()).toEqual(['databaseEndpoint', 'exportBucketName', 'gatewayHttpsUrl', 'gatewayUrl', 'logGroupName', 'tailnetPolicy']);
    expect(await valueOf(outputs.gatewayUrl)).toBe('http://gateway');
    expect(await valueOf(outputs.databaseEndpoint)).toMatch(/^tailgate-db-postgres\.cmock\..*:5432$/);

    const provider = created.find((r) => r.type === 'pulumi:providers:aws');
    expect(provider?.inputs.region).toBe('eu-west-1');
    // Provider inputs reach the engine JSON-encoded.
    expect(JSON.parse(String(provider?.inputs.defaultTags))).toEqual({ tags: { app: 'tailgate', 'pulumi-project': 'tailgate', 'pulumi-stack': 'test' } });
    const parameter = resourcesOf('tailgate', 'aws:ssm/parameter:Parameter');
    expect(parameter.map((p) => p.inputs.name)).toEqual(['/tailgate/test/tailscale-state']);
    const sidecar = (JSON.parse(String(resourcesOf('tailgate', 'aws:ecs/taskDefinition:TaskDefinition')[0].inputs.containerDefinitions)) as { name: string; environment: { name: string; value: string }[] }[])
      .find((c) => c.name === 'tailscale');
    expect(sidecar?.environment).toContainEqual({ name: 'TS_HOSTNAME', value: 'gateway' });
  });

  test('a bad stack config stops the program with every problem listed and no stack trace', () => {
    let failure: unknown;
    try {
      loadEntry({ 'tailgate:desiredCount': '3', 'tailgate:hostnme': 'ai' });
    } catch (error) {
      failure = error;
    }
    // RunError is how a Pulumi program reports a user error: the CLI prints only the message.
    expect((failure as Error | undefined)?.constructor.name).toBe('RunError');
    expect((failure as Error).message).toMatch(/^invalid stack configuration:/);
    expect((failure as Error).message).toContain('tailgate:hostnme: unknown setting');
    expect((failure as Error).message).toContain('tailgate:desiredCount');
  });
});
