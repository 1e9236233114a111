import type { IncomingHttpHeaders } from 'node:http';
import { isRecord } from '../providers/types';

export type ClientName = 'claude-code' | 'codex' | 'gemini-cli' | 'openai-sdk' | 'anthropic-sdk' | 'google-genai-sdk' | 'other';

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
};

/** Which agent or SDK is calling, from what each one sends (PROTOCOLS.md §f, seen in captures/). */
export function detectClient(headers: IncomingHttpHeaders): ClientName {
  const ua = header(headers, 'user-agent');
  if (headers['x-claude-code-session-id'] !== undefined || ua.startsWith('claude-cli/')) return 'claude-code';
  if (header(headers, 'originator').startsWith('codex') || ua.startsWith('codex_') || ua.startsWith('codex-')) return 'codex';
  if (ua.startsWith('GeminiCLI')) return 'gemini-cli';
  if (ua.startsWith('OpenAI/')) return 'openai-sdk';
  if (ua.startsWith('Anthropic/')) return 'anthropic-sdk';
  if (ua.startsWith('google-genai-sdk/') || header(headers, 'x-goog-api-client').startsWith('google-genai-sdk/')) return 'google-genai-sdk';
  return 'other';
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const valid = (value: unknown): string | undefined => (typeof value === 'string' && SESSION_ID.test(value) ? value : undefined);

/**
 * The client's own session id, when it sends one: Claude Code's header (or the session_id inside
 * metadata.user_id, a JSON string; older versions used `user_<hash>_account_<uuid>_session_<uuid>`),
 * Codex's `session-id`, or any client's `x-session-id`.
 */
export function clientSessionId(headers: IncomingHttpHeaders, body: unknown): string | undefined {
  const fromHeader = valid(header(headers, 'x-claude-code-session-id')) ?? valid(header(headers, 'session-id')) ?? valid(header(headers, 'x-session-id'));
  if (fromHeader) return fromHeader;
  if (!isRecord(body) || !isRecord(body.metadata) || typeof body.metadata.user_id !== 'string') return undefined;
  const userId = body.metadata.user_id;
  if (userId.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(userId);
      if (isRecord(parsed)) return valid(parsed.session_id);
    } catch {
      return undefined;
    }
  }
  const legacy = /_session_([0-9a-f-]{36})$/.exec(userId);
  return legacy ? legacy[1] : undefined;
}
