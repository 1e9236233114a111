import { execFileSync } from 'node:child_process';
import path from 'node:path';

interface LoadReport {
  main: string;
  tsconfig: string;
  typescript: string;
  resourceTypes: string[];
  resourceCount: number;
  builtImage: string;
  dockerCalls: string[];
}

// The jest suites compile infra with swc; `pulumi up` compiles it with Pulumi's own ts-node and
// type-checks it. This runs that path (in a child process, as Pulumi would) so a program that only
// works under jest cannot pass.
describe('the Pulumi program as `pulumi up` loads it', () => {
  test('Pulumi.yaml names an entry that ts-node type-checks, runs, and whose image provider survives serialization', () => {
    const script = path.join(__dirname, 'support', 'run-like-pulumi.js');
    const output = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 170_000, env: { ...process.env, PULUMI_CONFIG: '{}' } });
    const report = JSON.parse(output.trim().split('\n').pop() ?? '') as LoadReport;
    expect(report.main).toBe('infra/index.ts');
    expect(report.tsconfig).toBe('infra/tsconfig.json');
    expect(report.typescript).toMatch(/^5\./);
    expect(report.resourceTypes).toEqual(expect.arrayContaining([
      'aws:ecs/service:Service', 'aws:rds/instance:Instance', 'aws:s3/bucket:Bucket', 'tailscale:index/tailnetKey:TailnetKey',
      'pulumi-nodejs:dynamic/tailgate:DockerImage',
    ]));
    expect(report.builtImage).toBe('R@sha256:beef');
    expect(report.dockerCalls).toEqual(['login', 'build', 'push', 'image']);
  }, 180_000);
});
