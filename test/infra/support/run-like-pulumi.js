#!/usr/bin/env node
// Runs the Pulumi program the way `pulumi up` loads it, minus the engine: reads Pulumi.yaml (main,
// runtime.options.tsconfig), registers Pulumi's ts-node with the repo's TypeScript exactly as
// @pulumi/pulumi/cmd/run does (type-checking included), and requires the entry point against mocks.
// Then loads the dynamic image provider from its serialized text, as Pulumi's dynamic provider host
// does, and drives it against a fake `docker`. Prints one JSON line for test/infra/load.test.ts.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
process.chdir(root);
const project = fs.readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8');
const field = (name) => (new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, 'm').exec(project) ?? [])[1];
const main = field('main');
const tsconfig = field('tsconfig') ?? 'tsconfig.json';

const pulumi = require('@pulumi/pulumi');
const created = [];
pulumi.runtime.setMocks({
  newResource(args) {
    created.push(args);
    const state = { ...args.inputs };
    if (args.type === 'aws:ecr/repository:Repository') Object.assign(state, { repositoryUrl: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${args.name}`, registryId: '123456789012', arn: `arn:aws:ecr:us-east-1:123456789012:repository/${args.name}` });
    if (args.type === 'aws:rds/instance:Instance') Object.assign(state, { address: 'db.mock', port: 5432 });
    if (args.type.startsWith('pulumi-nodejs:dynamic')) Object.assign(state, { imageUri: 'repo@sha256:00' });
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    if (args.token.endsWith('getAvailabilityZones')) return { names: ['us-east-1a', 'us-east-1b', 'us-east-1c'] };
    if (args.token.endsWith('getCallerIdentity')) return { accountId: '123456789012' };
    if (args.token.endsWith('getPartition')) return { partition: 'aws' };
    if (args.token.endsWith('getAuthorizationToken')) return { userName: 'AWS', password: 'mock', proxyEndpoint: 'https://registry.mock' };
    return {};
  },
}, 'tailgate', 'dev', false);

// As @pulumi/pulumi/cmd/run/run.js registers ts-node for a CommonJS TypeScript project.
const tsutils = require('@pulumi/pulumi/tsutils');
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsconfig);
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: compilerOptions.noCheck,
  project: tsconfig,
  skipProject: !fs.existsSync(tsconfig),
  compilerOptions: { target: 'ES2020', module: 'nodenext', moduleResolution: 'nodenext', sourceMap: 'true', ...compilerOptions },
});

const program = require(path.join(root, main));
program.logGroupName.apply(async () => {
  // Let the registrations that chain through outputs finish.
  let seen = -1;
  while (seen !== created.length) {
    seen = created.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const image = created.find((r) => r.type === 'pulumi-nodejs:dynamic/tailgate:DockerImage');
  const serialized = String(image.inputs.__provider);
  // Resolved from @pulumi/pulumi, whose dynamic provider host loads providers with it.
  const requireFromString = require(require.resolve('require-from-string', { paths: [path.dirname(require.resolve('@pulumi/pulumi'))] }));
  const provider = requireFromString(serialized, 'dynamic-provider').handler();
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tailgate-fake-docker-'));
  fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\necho "$*" >> "${bin}/argv"\n[ "$1" = login ] && cat > /dev/null\n[ "$1" = image ] && printf '["R@sha256:beef"]'\nexit 0\n`, { mode: 0o755 });
  process.env.PATH = `${bin}:${process.env.PATH}`;
  const built = await provider.create({
    repositoryUrl: 'R', contentHash: 'f'.repeat(64), context: '/ctx', dockerfile: '/ctx/Dockerfile', platform: 'linux/amd64',
    registryServer: 'S', registryUsername: 'AWS', registryPassword: 'mock',
  });
  const dockerCalls = fs.readFileSync(path.join(bin, 'argv'), 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
  fs.rmSync(bin, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({
    main,
    tsconfig,
    typescript: require(typescriptRequire).version,
    resourceTypes: [...new Set(created.map((r) => r.type))].sort(),
    resourceCount: created.length,
    builtImage: built.id,
    dockerCalls,
  })}\n`);
});
