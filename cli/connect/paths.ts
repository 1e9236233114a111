import * as os from 'node:os';
import * as path from 'node:path';

/** Where each client keeps its configuration on this machine, and where tailgate keeps its own state. */
export interface ConnectPaths {
  home: string;
  claudeDir: string;
  codexHome: string;
  geminiDir: string;
  opencodeDir: string;
  stateFile: string;
}

function absoluteOrUndefined(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' && path.isAbsolute(value) ? value : undefined;
}

/**
 * `home` (from `--home`) makes every path live under that directory and ignores the environment overrides
 * below, so a test or a dry experiment can never reach the real configuration. Without it, HOME (or the OS
 * user's home) is used, and the clients' own relocation variables are honoured the way the clients do:
 * CLAUDE_CONFIG_DIR (Claude Code), CODEX_HOME (Codex), XDG_CONFIG_HOME (opencode, and tailgate's state).
 */
export function resolveConnectPaths(home: string | undefined, env: NodeJS.ProcessEnv): ConnectPaths {
  const pinned = home !== undefined;
  const base = path.resolve(home ?? absoluteOrUndefined(env.HOME) ?? os.homedir());
  const fromEnv = (name: string) => (pinned ? undefined : absoluteOrUndefined(env[name]));
  const configHome = fromEnv('XDG_CONFIG_HOME') ?? path.join(base, '.config');
  return {
    home: base,
    claudeDir: fromEnv('CLAUDE_CONFIG_DIR') ?? path.join(base, '.claude'),
    codexHome: fromEnv('CODEX_HOME') ?? path.join(base, '.codex'),
    geminiDir: path.join(base, '.gemini'),
    opencodeDir: path.join(configHome, 'opencode'),
    stateFile: path.join(configHome, 'tailgate', 'connect-state.json'),
  };
}

/** `path` with the home directory shown as `~`, for messages. */
export function displayPath(file: string, paths: ConnectPaths): string {
  const rel = path.relative(paths.home, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? `~/${rel}` : file;
}
