/**
 * Which clients this machine has pointed at a gateway, and at which: the record `tailgate connect` keeps
 * (the same one `--undo` uses), plus the SDK variables `connect openai-env` prints, read from the environment.
 */
import { PLACEHOLDER_KEY, type ClientId } from '../connect/client';
import { isClientId } from '../connect/clients';
import { parseGatewayUrl } from '../connect/gateway-url';
import type { ConnectPaths } from '../connect/paths';
import { loadState } from '../connect/state';
import type { ApiFamily } from './families';

export interface ConnectedClient {
  id: ClientId;
  /** Gateway root the client was connected to, normalised; null when the environment's value is not a URL. */
  url: string | null;
  /** Where doctor learned about it. */
  source: 'connect-state' | 'environment';
}

/** The API formats each client speaks to the gateway. */
export const CLIENT_FAMILIES: Record<ClientId, readonly ApiFamily[]> = {
  'claude-code': ['anthropic'],
  codex: ['openai'],
  'gemini-cli': ['gemini'],
  opencode: ['anthropic', 'openai'],
  'openai-env': ['openai', 'anthropic'],
};

function normalised(url: string): string | null {
  try {
    return parseGatewayUrl(url).root;
  } catch {
    return null;
  }
}

/** `OPENAI_BASE_URL` is `<root>/v1`, `ANTHROPIC_BASE_URL` the root itself (cli/connect/openai-env.ts). */
function sdkEnvironmentClient(env: NodeJS.ProcessEnv): ConnectedClient | undefined {
  const openai = env.OPENAI_BASE_URL;
  const anthropic = env.ANTHROPIC_BASE_URL;
  const placeholder = env.OPENAI_API_KEY === PLACEHOLDER_KEY || env.ANTHROPIC_API_KEY === PLACEHOLDER_KEY;
  if (!placeholder) return undefined;
  const base = openai ? openai.replace(/\/v1\/?$/, '') : anthropic;
  if (!base) return undefined;
  return { id: 'openai-env', url: normalised(base), source: 'environment' };
}

/** Throws CliError when the state file is damaged (its message says what to do). */
export function connectedClients(paths: ConnectPaths, env: NodeJS.ProcessEnv): ConnectedClient[] {
  const state = loadState(paths.stateFile);
  const clients: ConnectedClient[] = [];
  for (const [id, record] of Object.entries(state.clients)) {
    if (isClientId(id)) clients.push({ id, url: normalised(record.url), source: 'connect-state' });
  }
  const sdk = sdkEnvironmentClient(env);
  if (sdk) clients.push(sdk);
  return clients;
}
