import * as path from 'node:path';
import { setJsonValues } from '../json-edit';
import { PLACEHOLDER_KEY, type ClientConnector } from './client';
import { displayPath } from './paths';

/**
 * Claude Code reads `env` and `apiKeyHelper` from ~/.claude/settings.json. The helper is a shell command
 * whose output becomes the API key; a placeholder is enough because the gateway ignores it. Claude Code
 * accepts plain http base URLs, so no TLS check here.
 */
export const claudeCode: ClientConnector = {
  id: 'claude-code',
  summary: '~/.claude/settings.json: env.ANTHROPIC_BASE_URL and an apiKeyHelper printing a placeholder key',
  plan({ gateway, paths, readFile }) {
    const file = path.join(paths.claudeDir, 'settings.json');
    const content = setJsonValues(
      readFile(file),
      [
        { path: ['env', 'ANTHROPIC_BASE_URL'], value: gateway.root },
        { path: ['apiKeyHelper'], value: `echo ${PLACEHOLDER_KEY}` },
      ],
      displayPath(file, paths),
    );
    return {
      files: [{ path: file, content }],
      output: [],
      notes: [
        'Start a new Claude Code session to use the gateway.',
        'If your shell exports ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN, unset them: a real key is not needed.',
      ],
    };
  },
};
