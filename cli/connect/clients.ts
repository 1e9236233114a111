import { claudeCode } from './claude-code';
import { CLIENT_IDS, type ClientConnector, type ClientId } from './client';
import { codex } from './codex';
import { geminiCli } from './gemini-cli';
import { openaiEnv } from './openai-env';
import { opencode } from './opencode';

/** Every client `tailgate connect` supports, by id, in the order help lists them. */
export const connectors: Record<ClientId, ClientConnector> = {
  'claude-code': claudeCode,
  codex,
  'gemini-cli': geminiCli,
  opencode,
  'openai-env': openaiEnv,
};

export function isClientId(value: string): value is ClientId {
  return (CLIENT_IDS as readonly string[]).includes(value);
}
