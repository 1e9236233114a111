import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { productionNodeFlags } from '../../bench/targets';
import { hashBuildContext, isInContext, parseDockerignore } from '../../infra/lib/build-context';
import { dockerImageProvider, imageChanges, imageTag, type DockerImageInputs } from '../../infra/lib/docker-image-provider';

const repoRoot = path.resolve(__dirname, '../..');

describe('build context hash', () => {
  let dir: string;
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tailgate-ctx-'));
    write('Dockerfile', 'FROM scratch\n');
    write('.dockerignore', '*\n!package.json\n!gateway\n**/node_modules\ngateway/generated\n');
    write('package.json', '{}');
    write('gateway/main.ts', 'export {};');
    write('gateway/node_modules/x/index.js', 'junk');
    write('gateway/generated/client.ts', 'generated');
    write('test/main.test.ts', 'not in the image');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('covers exactly the files docker would send', () => {
    expect(hashBuildContext(dir).files).toEqual(['gateway/main.ts', 'package.json']);
  });

  test('changes with an input of the image, and only then', () => {
    const before = hashBuildContext(dir).hash;
    write('test/main.test.ts', 'edited test');
    write('gateway/generated/client.ts', 'regenerated');
    expect(hashBuildContext(dir).hash).toBe(before);
    write('gateway/main.ts', 'export const changed = 1;');
    const afterSource = hashBuildContext(dir).hash;
    expect(afterSource).not.toBe(before);
    write('Dockerfile', 'FROM scratch\nUSER 1000\n');
    expect(hashBuildContext(dir).hash).not.toBe(afterSource);
  });

  test('refuses patterns it cannot evaluate exactly like docker', () => {
    expect(() => parseDockerignore('*\n!src\n*.md\n')).toThrow(/line 3.*unsupported pattern/);
    expect(() => parseDockerignore('node_modules\n')).toThrow(/must start with "\*"/);
  });

  test('the last matching rule wins, as in docker', () => {
    const rules = parseDockerignore('*\n!core\ncore/generated\n!core/generated/keep.ts\n');
    expect(isInContext(rules, 'core/a.ts')).toBe(true);
    expect(isInContext(rules, 'core/generated/client.ts')).toBe(false);
    expect(isInContext(rules, 'core/generated/keep.ts')).toBe(true);
    expect(isInContext(rules, 'README.md')).toBe(false);
  });

  test("the repo's own .dockerignore is understood and sends what the build needs", () => {
    const { files } = hashBuildContext(repoRoot);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'prisma/schema.prisma', 'scripts/ensure-generated.js']));
    expect(files.some((f) => f.includes('node_modules') || f.startsWith('core/generated/') || f.startsWith('test/') || f.startsWith('infra/'))).toBe(false);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  test('is multi-stage on Node 20 slim and runs the compiled gateway as a non-root user', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-[a-z]*-?slim$/m);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.every((s) => s.startsWith('${NODE_IMAGE}'))).toBe(true);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('CMD ["node", "--enable-source-maps", "--no-parallel-scavenge", "dist/app/main.js"]');
    expect(runtime).toContain('COPY ui/static ./ui/static');
  });

  test('installs without install scripts, and only production dependencies reach the runtime stage', () => {
    const installs = dockerfile.match(/npm ci[^\n]*/g) ?? [];
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(installs.every((line) => line.includes('--ignore-scripts'))).toBe(true);
    expect(installs.some((line) => line.includes('--omit=dev'))).toBe(true);
    expect(runtime).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist/);
    expect(runtime).toMatch(/COPY prisma/);
    expect(dockerfile).toMatch(/RUN npm run build/);
  });

  test('npm start and the benchmark run the gateway with the image\'s Node flags', () => {
    const flags = productionNodeFlags(repoRoot);
    expect(flags).toEqual(['--enable-source-maps', '--no-parallel-scavenge']);
    const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain(`node ${flags.join(' ')} dist/app/main.js`);
  });

  test('ships the RDS CA bundle where DATABASE_URL expects it', () => {
    expect(runtime).toContain('/etc/ssl/certs/rds-global-bundle.pem');
  });
});

describe('docker image resource', () => {
  const inputs = { repositoryUrl: 'r', contentHash: 'a'.repeat(64), platform: 'linux/amd64' };

  test('only a new build context, repository or platform means a new image', () => {
    expect(imageChanges(inputs, { ...inputs })).toEqual([]);
    expect(imageChanges(inputs, { ...inputs, contentHash: 'b'.repeat(64) })).toEqual(['contentHash']);
    expect(imageChanges(inputs, { ...inputs, platform: 'linux/arm64' })).toEqual(['platform']);
  });

  test('tags images by content', () => {
    expect(imageTag('0123456789abcdef0123456789abcdef')).toBe('ctx-0123456789abcdef01234567');
  });
});

describe('docker image provider against a fake docker CLI', () => {
  let bin: string;
  let savedPath: string | undefined;
  const inputs: DockerImageInputs = {
    repositoryUrl: '123456789012.dkr.ecr.us-east-1.amazonaws.com/tailgate',
    contentHash: 'c'.repeat(64),
    context: '/src/tailgate',
    dockerfile: '/src/tailgate/Dockerfile',
    platform: 'linux/arm64',
    registryServer: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    registryUsername: 'AWS',
    registryPassword: 'mock-registry-password',
  };

  beforeEach(() => {
    bin = mkdtempSync(path.join(os.tmpdir(), 'tailgate-docker-'));
    // Records argv and stdin; `image inspect` answers with the pushed digest.
    writeFileSync(path.join(bin, 'docker'), [
      '#!/bin/sh',
      'echo "$*" >> "$FAKE_DOCKER_DIR/argv"',
      'if [ "$1" = login ]; then cat > "$FAKE_DOCKER_DIR/stdin"; fi',
      'if [ "$1" = build ] && [ -n "$FAKE_DOCKER_FAIL" ]; then echo "step 7/9: npm run build" >&2; echo "error TS2307: cannot find module" >&2; exit 1; fi',
      `if [ "$1" = image ]; then printf '["other/repo@sha256:0000","%s@sha256:feed"]\\n' "$FAKE_DOCKER_REPO"; fi`,
      'exit 0',
    ].join('\n'));
    chmodSync(path.join(bin, 'docker'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    process.env.FAKE_DOCKER_DIR = bin;
    process.env.FAKE_DOCKER_REPO = inputs.repositoryUrl;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    delete process.env.FAKE_DOCKER_DIR;
    delete process.env.FAKE_DOCKER_REPO;
    delete process.env.FAKE_DOCKER_FAIL;
    rmSync(bin, { recursive: true, force: true });
  });

  test('logs in with the password on stdin, builds for the platform, pushes, and returns the digest', async () => {
    const result = await dockerImageProvider.create(inputs);
    const tag = `${inputs.repositoryUrl}:${imageTag(inputs.contentHash)}`;
    expect(readFileSync(path.join(bin, 'argv'), 'utf8').trim().split('\n')).toEqual([
      `login --username AWS --password-stdin ${inputs.registryServer}`,
      `build --platform linux/arm64 --file /src/tailgate/Dockerfile --tag ${tag} /src/tailgate`,
      `push ${tag}`,
      `image inspect --format {{json .RepoDigests}} ${tag}`,
    ]);
    expect(readFileSync(path.join(bin, 'stdin'), 'utf8')).toBe('mock-registry-password');
    expect(result.id).toBe(`${inputs.repositoryUrl}@sha256:feed`);
    expect(result.outs?.imageUri).toBe(result.id);
    expect(result.outs).not.toHaveProperty('registryPassword');
  });

  test('a failed build reports docker\'s own output, never the password', async () => {
    process.env.FAKE_DOCKER_FAIL = '1';
    const failure = dockerImageProvider.create(inputs);
    await expect(failure).rejects.toThrow(/docker build failed: step 7\/9: npm run build\nerror TS2307/);
    await expect(failure).rejects.not.toThrow(/mock-registry-password/);
  });
});
