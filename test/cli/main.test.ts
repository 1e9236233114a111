import * as fs from 'node:fs';
import { main } from '../../cli/main';
import { makeTempHome, runTailgate, snapshotTree } from './helpers';

describe('tailgate (dispatcher)', () => {
  it('lists the commands for --help', async () => {
    const result = await runTailgate(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['connect', 'doctor', 'start', 'migrate']) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('exits 2 with usage on stderr without a command, and for an unknown one', async () => {
    expect(await runTailgate([])).toMatchObject({ code: 2, stdout: '' });
    const unknown = await runTailgate(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it.each(['connect', 'doctor', 'start', 'migrate'])('%s --help prints its usage and does nothing else', async (name) => {
    const result = await runTailgate([name, '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: tailgate ${name}`));
  });

  it.each(['start', 'migrate'])('%s takes no arguments: configuration comes from the environment', async (name) => {
    const result = await runTailgate([name, '--port', '80']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`tailgate ${name}: Unknown option '--port'`);
  });
});

describe('tailgate connect arguments', () => {
  let home: string;
  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('prints help', async () => {
    const result = await runTailgate(['connect', '--help']);
    expect(result.code).toBe(0);
    for (const client of ['claude-code', 'codex', 'gemini-cli', 'opencode', 'openai-env']) expect(result.stdout).toContain(`  ${client} `);
    expect((await runTailgate(['connect', 'codex', '-h'])).stdout).toBe(result.stdout);
  });

  it.each([
    [['connect'], 'which client?'],
    [['connect', 'vim', '--url', 'http://ai'], "unknown client 'vim'"],
    [['connect', 'codex', 'claude-code', '--url', 'http://ai'], 'one client at a time'],
    [['connect', 'codex'], '--url is required'],
    [['connect', 'codex', '--url'], "Option '--url' argument is ambiguous"],
    [['connect', 'codex', '--frob'], "Unknown option '--frob'"],
    [['connect', 'codex', '--undo', '--url', 'http://ai'], '--undo takes no --url'],
    [['connect', 'codex', '--url', 'ai'], "has no scheme; did you mean http://ai?"],
    [['connect', 'codex', '--url', 'ai.tail1234.ts.net'], 'did you mean https://ai.tail1234.ts.net?'],
    [['connect', 'codex', '--url', 'ftp://ai'], 'must be http:// or https://'],
    [['connect', 'codex', '--url', 'http://me:pw@ai'], 'must not contain a user name or password'],
    [['connect', 'codex', '--url', 'http://ai/?x=1'], 'must not contain a query'],
    [['connect', 'codex', '--url', 'https://ai.tail1234.ts.net/v1/'], "should be the gateway's root, without /v1"],
    [['connect', 'codex', '--url', 'http://exa mple'], 'is not a valid URL'],
  ])('exits 2 for %j', async (argv, message) => {
    const result = await runTailgate([...argv, '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.startsWith('tailgate connect: ')).toBe(true);
    expect(snapshotTree(home)).toEqual({});
  });

  it('normalises trailing slashes and keeps a path prefix', async () => {
    const result = await runTailgate(['connect', 'openai-env', '--url', 'HTTP://AI:8080/tailgate///']);
    expect(result.stdout).toContain('export OPENAI_BASE_URL=http://ai:8080/tailgate/v1\n');
  });

  it('takes the URL from TAILGATE_URL when --url is absent', async () => {
    const result = await runTailgate(['connect', 'openai-env'], { TAILGATE_URL: 'http://ai' });
    expect(result.stdout).toContain('export ANTHROPIC_BASE_URL=http://ai\n');
  });
});

describe('tailgate error reporting', () => {
  const failing = (error: unknown) => [{ name: 'boom', summary: 'fails', run: async () => Promise.reject(error) }];
  const capture = () => {
    const io = { stdout: '', stderr: '' };
    return {
      io,
      cli: {
        stdout: { write: (t: string) => (io.stdout += t) },
        stderr: { write: (t: string) => (io.stderr += t) },
        env: {},
        stdinIsTTY: false,
        now: () => new Date(0),
      },
    };
  };

  it('reports a filesystem error in one line with exit 1', async () => {
    const { io, cli } = capture();
    const error = Object.assign(new Error("EACCES: permission denied, open '/home/x/.codex/config.toml'"), {
      code: 'EACCES',
      syscall: 'open',
    });
    expect(await main(['boom'], cli, failing(error))).toBe(1);
    expect(io.stderr).toBe("tailgate boom: EACCES: permission denied, open '/home/x/.codex/config.toml'\n");
  });

  it('reports a bug with its stack and exit 1', async () => {
    const { io, cli } = capture();
    expect(await main(['boom'], cli, failing(new TypeError('x is undefined')))).toBe(1);
    expect(io.stderr).toMatch(/^tailgate boom: unexpected error: TypeError: x is undefined\n\s+at /);
  });
});
