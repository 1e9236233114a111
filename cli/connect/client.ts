import type { GatewayUrl } from './gateway-url';
import type { ConnectPaths } from './paths';

export const CLIENT_IDS = ['claude-code', 'codex', 'gemini-cli', 'opencode', 'openai-env'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/** The placeholder key every client is given: the gateway identifies callers by Tailscale identity and ignores it. */
export const PLACEHOLDER_KEY = 'tailgate';

export interface ConnectInput {
  gateway: GatewayUrl;
  paths: ConnectPaths;
  /** Current content of a file, or null if it does not exist. */
  readFile(file: string): string | null;
}

export interface ConnectPlan {
  /** Full new content for each file this client reads; files already in that state are left alone. */
  files: Array<{ path: string; content: string }>;
  /** Printed to stdout on every run, dry or not (for `openai-env`, the export lines themselves). */
  output: string[];
  /** Advice printed after a real (not dry) run. */
  notes: string[];
}

/** One coding agent or SDK that `tailgate connect <id>` knows how to point at the gateway. */
export interface ClientConnector {
  id: ClientId;
  /** One line for `tailgate connect --help`. */
  summary: string;
  /** Computes the files to write. Pure apart from `readFile`; throws UsageError / CliError to refuse. */
  plan(input: ConnectInput): ConnectPlan;
  /** Printed by `--undo` for clients that write no files. */
  undoOutput?: string[];
}
