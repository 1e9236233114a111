import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  STAMP,
  backupsUnder,
  exists,
  makeTempHome,
  read,
  runTailgate,
  snapshotTree,
  writeFiles,
} from './helpers';

const URL_HTTPS = 'https://ai.tail1234.ts.net';
const STATE = '.config/tailgate/connect-state.json';

let home: string;
beforeEach(() => {
  home = makeTempHome();
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

const connect = (client: string, ...args: string[]) => runTailgate(['connect', client, '--home', home, ...args]);

/** Connect, check idempotence, undo, and check the home is back to its starting state (backups aside). */
async function connectTwiceThenUndo(client: string, url: string) {
  const start = snapshotTree(home);
  const first = await connect(client, '--url', url);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  const afterFirst = snapshotTree(home);
  const backups = backupsUnder(home);

  const second = await connect(client, '--url', url);
  expect(second).toMatchObject({ code: 0, stderr: '' });
  expect(second.stdout).toContain('nothing to change');
  expect(snapshotTree(home)).toEqual(afterFirst);
  expect(backupsUnder(home)).toEqual(backups);

  const undo = await connect(client, '--undo');
  expect(undo).toMatchObject({ code: 0, stderr: '' });
  expect(snapshotTree(home, { ignoreBackups: true })).toEqual(start);
  return { first, afterFirst, backups };
}

describe('tailgate connect claude-code', () => {
  const original = `${JSON.stringify(
    {
      model: 'opus',
      permissions: { allow: ['Bash(npm test:*)'], deny: [] },
      env: { DISABLE_TELEMETRY: '1', ANTHROPIC_BASE_URL: 'https://old.example' },
      hooks: { PostToolUse: [{ matcher: 'Edit', hooks: [{ type: 'command', command: 'npm run lint' }] }] },
    },
    null,
    4,
  )}\n`;

  it('merges env.ANTHROPIC_BASE_URL and apiKeyHelper into existing settings, backs up, and undoes', async () => {
    writeFiles(home, { '.claude/settings.json': original, '.claude/CLAUDE.md': '# mine\n' });
    const { first, backups } = await connectTwiceThenUndo('claude-code', 'http://ai/');

    expect(first.stdout).toContain('claude-code: updated ~/.claude/settings.json (previous version saved as');
    expect(backups).toEqual([`.claude/settings.json.tailgate-backup-${STAMP}`]);
    expect(read(home, backups[0])).toBe(original);
    expect(read(home, '.claude/settings.json')).toBe(original);
  });

  it('writes the merged settings with the file’s own indentation', async () => {
    writeFiles(home, { '.claude/settings.json': original });
    await connect('claude-code', '--url', 'http://ai/');
    const merged = read(home, '.claude/settings.json');
    expect(JSON.parse(merged)).toEqual({
      model: 'opus',
      permissions: { allow: ['Bash(npm test:*)'], deny: [] },
      env: { DISABLE_TELEMETRY: '1', ANTHROPIC_BASE_URL: 'http://ai' },
      hooks: { PostToolUse: [{ matcher: 'Edit', hooks: [{ type: 'command', command: 'npm run lint' }] }] },
      apiKeyHelper: 'echo tailgate',
    });
    expect(merged).toMatch(/^\{\n {4}"model"/);
  });

  it('creates settings.json (and ~/.claude) when missing, and undo removes both', async () => {
    await connectTwiceThenUndo('claude-code', 'http://ai');
    expect(exists(home, '.claude')).toBe(false);
    expect(exists(home, '.config')).toBe(false);
  });

  it('refuses settings.json that is not valid JSON, leaving it alone', async () => {
    writeFiles(home, { '.claude/settings.json': '{ "model": "opus", }\n' });
    const result = await connect('claude-code', '--url', 'http://ai');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tailgate connect: ~\/\.claude\/settings\.json is not valid JSON/);
    expect(read(home, '.claude/settings.json')).toBe('{ "model": "opus", }\n');
    expect(exists(home, STATE)).toBe(false);
  });
});

describe('tailgate connect codex', () => {
  // A realistic config: comments, root keys, a profile, other providers, MCP servers, multi-line values.
  const original = [
    '# ~/.codex/config.toml — personal settings',
    'model = "gpt-5.1-codex"',
    'model_provider = "openrouter"  # switched 2026-10',
    'approval_policy = "on-request"',
    'notify = [',
    '  "notify-send",',
    '  "Codex",',
    ']',
    '',
    '[model_providers.openrouter]',
    'name = "OpenRouter"',
    'base_url = "https://openrouter.ai/api/v1"',
    'env_key = "OPENROUTER_API_KEY"',
    'wire_api = "responses"',
    '',
    '[profiles.fast]',
    'model = "gpt-5.1-codex-mini"',
    'model_reasoning_effort = "low"',
    '',
    '# MCP servers',
    '[mcp_servers.docs]',
    'command = "npx"',
    'args = ["-y", "@acme/docs-mcp"]',
    'env = { DOCS_TOKEN = "x" }',
    '',
  ].join('\n');

  it('adds the tailgate provider, selects it, keeps every other byte, and undoes', async () => {
    writeFiles(home, { '.codex/config.toml': original }, 0o640);
    const { afterFirst, backups } = await connectTwiceThenUndo('codex', URL_HTTPS);
    expect(afterFirst['.codex/config.toml']).toBe(
      '640 ' +
        original.replace('model_provider = "openrouter"  # switched', 'model_provider = "tailgate"  # switched') +
        [
          '',
          '# Tailgate gateway on your tailnet: it knows you by your Tailscale identity and ignores the token.',
          '[model_providers.tailgate]',
          'name = "Tailgate"',
          'base_url = "https://ai.tail1234.ts.net/v1"',
          'wire_api = "responses"',
          'experimental_bearer_token = "tailgate"',
          '',
        ].join('\n'),
    );
    expect(backups).toEqual([`.codex/config.toml.tailgate-backup-${STAMP}`]);
    expect(read(home, backups[0])).toBe(original);
    expect(fs.statSync(path.join(home, '.codex/config.toml')).mode & 0o777).toBe(0o640);
  });

  it('adds model_provider after the root keys when the file has none', async () => {
    writeFiles(home, { '.codex/config.toml': 'model = "gpt-5.1-codex"\n\n[profiles.fast]\nmodel = "mini"\n' });
    await connect('codex', '--url', 'http://ai');
    expect(read(home, '.codex/config.toml')).toBe(
      [
        'model = "gpt-5.1-codex"',
        '# Added by `tailgate connect codex`; `tailgate connect codex --undo` restores this file.',
        'model_provider = "tailgate"',
        '',
        '[profiles.fast]',
        'model = "mini"',
        '',
        '# Tailgate gateway on your tailnet: it knows you by your Tailscale identity and ignores the token.',
        '[model_providers.tailgate]',
        'name = "Tailgate"',
        'base_url = "http://ai/v1"',
        'wire_api = "responses"',
        'experimental_bearer_token = "tailgate"',
        '',
      ].join('\n'),
    );
  });

  it('updates a hand-written tailgate provider in place and drops its env_key', async () => {
    const handWritten = [
      'model_provider = "tailgate"',
      '[model_providers.tailgate]',
      'name = "Tailgate"',
      'base_url = "http://127.0.0.1:8711/v1"',
      'wire_api = "responses"',
      'env_key = "TAILGATE_KEY"',
      'request_max_retries = 2',
      '',
    ].join('\n');
    writeFiles(home, { '.codex/config.toml': handWritten });
    await connect('codex', '--url', 'http://ai');
    expect(read(home, '.codex/config.toml')).toBe(
      [
        'model_provider = "tailgate"',
        '[model_providers.tailgate]',
        'name = "Tailgate"',
        'base_url = "http://ai/v1"',
        'wire_api = "responses"',
        'request_max_retries = 2',
        'experimental_bearer_token = "tailgate"',
        '',
      ].join('\n'),
    );
  });

  it('creates config.toml when missing, and undo removes it and ~/.codex', async () => {
    await connectTwiceThenUndo('codex', 'http://ai');
    expect(exists(home, '.codex')).toBe(false);
  });

  it('mentions a default profile, which could override the provider', async () => {
    writeFiles(home, { '.codex/config.toml': 'profile = "fast"\n[profiles.fast]\nmodel_provider = "openai"\n' });
    const result = await connect('codex', '--url', 'http://ai');
    expect(result.stdout).toContain('selects profile "fast" by default');
  });

  it('refuses a provider it cannot edit safely, and one with broken TOML, leaving the file alone', async () => {
    const dotted = 'model_providers.tailgate.base_url = "http://x/v1"\n';
    writeFiles(home, { '.codex/config.toml': dotted });
    const conflict = await connect('codex', '--url', 'http://ai');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('~/.codex/config.toml: line 1:');
    expect(conflict.stderr).toContain('tailgate left the file unchanged');
    expect(read(home, '.codex/config.toml')).toBe(dotted);

    writeFiles(home, { '.codex/config.toml': 'a = 1\nb = "open\n' });
    const broken = await connect('codex', '--url', 'http://ai');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('line 2: unterminated string');
    expect(backupsUnder(home)).toEqual([]);
  });

  it('honours CODEX_HOME when --home is not given', async () => {
    const codexHome = path.join(home, 'elsewhere');
    const result = await runTailgate(['connect', 'codex', '--url', 'http://ai'], { HOME: home, CODEX_HOME: codexHome });
    expect(result.code).toBe(0);
    expect(read(home, 'elsewhere/config.toml')).toContain('base_url = "http://ai/v1"');
    expect(exists(home, '.codex')).toBe(false);
  });
});

describe('tailgate connect gemini-cli', () => {
  const settings = `${JSON.stringify({ ui: { theme: 'GitHub' }, privacy: { usageStatisticsEnabled: false }, security: { folderTrust: { enabled: true } } }, null, 2)}\n`;
  const dotenv = '# personal\nGEMINI_MODEL=gemini-3-pro\nexport GEMINI_API_KEY=AIzaSyREAL-KEY\nGOOGLE_CLOUD_PROJECT=acme\n';

  it('sets the base URL and placeholder key in ~/.gemini/.env, API-key auth in settings, and undoes', async () => {
    writeFiles(home, { '.gemini/settings.json': settings, '.gemini/.env': dotenv }, 0o600);
    const { afterFirst, backups } = await connectTwiceThenUndo('gemini-cli', URL_HTTPS);
    expect(afterFirst['.gemini/.env']).toBe(
      '600 # personal\nGEMINI_MODEL=gemini-3-pro\nexport GEMINI_API_KEY=tailgate\nGOOGLE_CLOUD_PROJECT=acme\n' +
        'GOOGLE_GEMINI_BASE_URL=https://ai.tail1234.ts.net\n',
    );
    expect(JSON.parse(afterFirst['.gemini/settings.json'].slice(4))).toEqual({
      ui: { theme: 'GitHub' },
      privacy: { usageStatisticsEnabled: false },
      security: { folderTrust: { enabled: true }, auth: { selectedType: 'gemini-api-key' } },
    });
    expect(backups).toHaveLength(2);
  });

  it('refuses plain http to a tailnet name with exit 2, explaining the https rule', async () => {
    const result = await connect('gemini-cli', '--url', 'http://ai');
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('only accepts an https:// base URL unless the host is localhost, 127.0.0.1 or [::1]');
    expect(result.stderr).toContain('tailscale serve --https');
    expect(snapshotTree(home)).toEqual({});
  });

  it.each(['http://localhost:8080', 'http://127.0.0.1:8080', 'http://[::1]:8080'])('accepts plain http to %s', async (url) => {
    const result = await connect('gemini-cli', '--url', url);
    expect(result.code).toBe(0);
    expect(read(home, '.gemini/.env')).toContain(`GOOGLE_GEMINI_BASE_URL=${url}\n`);
  });

  it('creates both files with 0600 when missing', async () => {
    await connectTwiceThenUndo('gemini-cli', URL_HTTPS);
    await connect('gemini-cli', '--url', URL_HTTPS);
    expect(read(home, '.gemini/.env')).toBe('GOOGLE_GEMINI_BASE_URL=https://ai.tail1234.ts.net\nGEMINI_API_KEY=tailgate\n');
    expect(fs.statSync(path.join(home, '.gemini/.env')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(read(home, '.gemini/settings.json'))).toEqual({ security: { auth: { selectedType: 'gemini-api-key' } } });
  });
});

describe('tailgate connect opencode', () => {
  const original = `${JSON.stringify(
    {
      $schema: 'https://opencode.ai/config.json',
      theme: 'tokyonight',
      model: 'anthropic/claude-sonnet-4-5',
      provider: { anthropic: { options: { timeout: 600000 }, models: { 'claude-x': { name: 'X' } } } },
      mcp: { docs: { type: 'local', command: ['npx', 'docs-mcp'] } },
    },
    null,
    2,
  )}\n`;

  it('points the anthropic and openai providers at <url>/v1, keeping other options, and undoes', async () => {
    writeFiles(home, { '.config/opencode/opencode.json': original });
    const { afterFirst } = await connectTwiceThenUndo('opencode', 'http://ai');
    expect(JSON.parse(afterFirst['.config/opencode/opencode.json'].slice(4))).toEqual({
      $schema: 'https://opencode.ai/config.json',
      theme: 'tokyonight',
      model: 'anthropic/claude-sonnet-4-5',
      provider: {
        anthropic: { options: { timeout: 600000, baseURL: 'http://ai/v1', apiKey: 'tailgate' }, models: { 'claude-x': { name: 'X' } } },
        openai: { options: { baseURL: 'http://ai/v1', apiKey: 'tailgate' } },
      },
      mcp: { docs: { type: 'local', command: ['npx', 'docs-mcp'] } },
    });
  });

  it('creates opencode.json with its $schema, and warns about an opencode.jsonc next to it', async () => {
    writeFiles(home, { '.config/opencode/opencode.jsonc': '{ // mine\n}\n' });
    const result = await connect('opencode', '--url', 'http://ai');
    expect(result.stdout).toContain('~/.config/opencode/opencode.jsonc also exists');
    expect(JSON.parse(read(home, '.config/opencode/opencode.json')).$schema).toBe('https://opencode.ai/config.json');
    await connect('opencode', '--undo');
    expect(snapshotTree(home)).toEqual({
      '.config/': 'dir',
      '.config/opencode/': 'dir',
      '.config/opencode/opencode.jsonc': '644 { // mine\n}\n',
    });
  });
});

describe('tailgate connect openai-env', () => {
  it('prints export lines (and comments) and writes nothing', async () => {
    const result = await connect('openai-env', '--url', 'https://ai.tail1234.ts.net/');
    expect(result.code).toBe(0);
    const exportsOnly = result.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(exportsOnly).toEqual([
      'export OPENAI_BASE_URL=https://ai.tail1234.ts.net/v1',
      'export OPENAI_API_KEY=tailgate',
      'export ANTHROPIC_BASE_URL=https://ai.tail1234.ts.net',
      'export ANTHROPIC_API_KEY=tailgate',
    ]);
    expect(snapshotTree(home)).toEqual({});
  });

  it('prints unset for --undo', async () => {
    const result = await connect('openai-env', '--undo');
    expect(result.stdout).toContain('unset OPENAI_BASE_URL OPENAI_API_KEY ANTHROPIC_BASE_URL ANTHROPIC_API_KEY');
  });

  it('quotes a URL with shell-special characters', async () => {
    const result = await connect('openai-env', '--url', 'http://ai/team$x');
    expect(result.stdout).toContain("export ANTHROPIC_BASE_URL='http://ai/team$x'");
  });
});

describe('--dry-run', () => {
  it('shows a diff and changes nothing, for connect and for undo', async () => {
    writeFiles(home, { '.codex/config.toml': 'model = "gpt-5.1-codex"\n' });
    const before = snapshotTree(home);
    const dry = await connect('codex', '--url', 'http://ai', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('codex: would update ~/.codex/config.toml\n--- ~/.codex/config.toml\n+++ ~/.codex/config.toml\n@@ -1 +1,10 @@\n model = "gpt-5.1-codex"\n+# Added by');
    expect(dry.stdout).toContain('+base_url = "http://ai/v1"\n');
    expect(dry.stdout).toContain('codex: dry run, nothing written');
    expect(snapshotTree(home)).toEqual(before);

    await connect('codex', '--url', 'http://ai');
    const connected = snapshotTree(home);
    const dryUndo = await connect('codex', '--undo', '--dry-run');
    expect(dryUndo.stdout).toContain('-base_url = "http://ai/v1"\n');
    expect(snapshotTree(home)).toEqual(connected);
  });

  it('shows a new file against /dev/null', async () => {
    const dry = await connect('claude-code', '--url', 'http://ai', '--dry-run');
    expect(dry.stdout).toContain('claude-code: would create ~/.claude/settings.json\n--- /dev/null\n+++ ~/.claude/settings.json\n');
    expect(snapshotTree(home)).toEqual({});
  });

  it('does not print the values of real keys', async () => {
    writeFiles(home, { '.gemini/.env': 'GEMINI_API_KEY=AIzaSyREAL-KEY\n' });
    const dry = await connect('gemini-cli', '--url', URL_HTTPS, '--dry-run');
    expect(dry.stdout).not.toContain('AIzaSyREAL-KEY');
    expect(dry.stdout).toContain('-GEMINI_API_KEY=<redacted>\n+GEMINI_API_KEY=tailgate\n');
  });
});

describe('state, backups and undo', () => {
  it('reconnecting to another URL backs up again; undo still returns to the first original', async () => {
    const original = '{"model":"opus"}\n';
    writeFiles(home, { '.claude/settings.json': original });
    await runTailgate(['connect', 'claude-code', '--home', home, '--url', 'http://ai'], {}, new Date('2026-11-25T10:00:00Z'));
    await runTailgate(['connect', 'claude-code', '--home', home, '--url', URL_HTTPS], {}, new Date('2026-11-25T11:00:00Z'));
    expect(JSON.parse(read(home, '.claude/settings.json')).env.ANTHROPIC_BASE_URL).toBe(URL_HTTPS);
    expect(backupsUnder(home)).toEqual([
      '.claude/settings.json.tailgate-backup-20261125T100000Z',
      '.claude/settings.json.tailgate-backup-20261125T110000Z',
    ]);
    await connect('claude-code', '--undo');
    expect(read(home, '.claude/settings.json')).toBe(original);
  });

  it('keeps edits made after connect as a backup when undoing', async () => {
    writeFiles(home, { '.claude/settings.json': '{"model":"opus"}\n' });
    await connect('claude-code', '--url', 'http://ai');
    const edited = read(home, '.claude/settings.json').replace('"opus"', '"sonnet"');
    fs.writeFileSync(path.join(home, '.claude/settings.json'), edited);
    const undo = await connect('claude-code', '--undo');
    expect(undo.stdout).toContain('your edits since connect saved as ~/.claude/settings.json.tailgate-backup-');
    expect(read(home, '.claude/settings.json')).toBe('{"model":"opus"}\n');
    expect(backupsUnder(home).map((b) => read(home, b))).toContain(edited);
  });

  it('undoes one client while remembering another', async () => {
    writeFiles(home, { '.codex/config.toml': 'model = "m"\n' });
    await connect('codex', '--url', 'http://ai');
    await connect('claude-code', '--url', 'http://ai');
    await connect('codex', '--undo');
    expect(read(home, '.codex/config.toml')).toBe('model = "m"\n');
    expect(JSON.parse(read(home, STATE)).clients).toHaveProperty(['claude-code']);
    expect(fs.statSync(path.join(home, STATE)).mode & 0o777).toBe(0o600);
    await connect('claude-code', '--undo');
    expect(exists(home, '.config')).toBe(false);
    expect(exists(home, '.claude')).toBe(false);
  });

  it('says so when there is nothing to undo', async () => {
    const result = await connect('codex', '--undo');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('nothing to undo');
  });

  it('writes through a symlinked config and keeps the link', async () => {
    writeFiles(home, { 'dotfiles/claude-settings.json': '{"model":"opus"}\n' });
    fs.mkdirSync(path.join(home, '.claude'));
    fs.symlinkSync(path.join(home, 'dotfiles/claude-settings.json'), path.join(home, '.claude/settings.json'));
    await connect('claude-code', '--url', 'http://ai');
    expect(fs.lstatSync(path.join(home, '.claude/settings.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(read(home, 'dotfiles/claude-settings.json')).apiKeyHelper).toBe('echo tailgate');
    await connect('claude-code', '--undo');
    expect(fs.lstatSync(path.join(home, '.claude/settings.json')).isSymbolicLink()).toBe(true);
    expect(read(home, 'dotfiles/claude-settings.json')).toBe('{"model":"opus"}\n');
  });

  it('refuses a damaged state file instead of guessing', async () => {
    writeFiles(home, { [STATE]: '{"version": 7}' });
    const result = await connect('codex', '--url', 'http://ai');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connect-state.json is damaged');
    expect(exists(home, '.codex')).toBe(false);
  });
});

describe('files with a UTF-8 byte-order mark', () => {
  it('edits JSON and TOML behind the mark and keeps it', async () => {
    writeFiles(home, {
      '.claude/settings.json': '\uFEFF{\n  "model": "opus"\n}\n',
      '.codex/config.toml': '\uFEFFmodel = "m"\n',
    });
    expect((await connect('claude-code', '--url', 'http://ai')).code).toBe(0);
    expect((await connect('codex', '--url', 'http://ai')).code).toBe(0);
    expect(read(home, '.claude/settings.json').startsWith('\uFEFF{\n  "model": "opus",\n')).toBe(true);
    expect(read(home, '.codex/config.toml').startsWith('\uFEFFmodel = "m"\n# Added by')).toBe(true);
  });
});
