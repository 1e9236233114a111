import * as path from 'node:path';
import { setDotenvValues } from '../dotenv-edit';
import { UsageError } from '../io';
import { setJsonValues } from '../json-edit';
import { PLACEHOLDER_KEY, type ClientConnector } from './client';
import { isLoopbackHost } from './gateway-url';
import { displayPath } from './paths';

/**
 * Gemini CLI takes its endpoint and key from the environment, which it also loads from ~/.gemini/.env, and
 * needs `security.auth.selectedType = "gemini-api-key"` in ~/.gemini/settings.json to use a key without
 * asking (headless runs fail otherwise).
 */
export const geminiCli: ClientConnector = {
  id: 'gemini-cli',
  summary: '~/.gemini/.env (GOOGLE_GEMINI_BASE_URL, placeholder GEMINI_API_KEY) and API-key auth in settings.json',
  plan({ gateway, paths, readFile }) {
    // Gemini CLI rejects a non-https GOOGLE_GEMINI_BASE_URL unless it points at this machine, so writing
    // http://ai would leave a client that fails at startup.
    if (gateway.protocol !== 'https:' && !isLoopbackHost(gateway.hostname)) {
      throw new UsageError(
        `Gemini CLI only accepts an https:// base URL unless the host is localhost, 127.0.0.1 or [::1]; ` +
          `serve the gateway over TLS (e.g. \`tailscale serve --https=443 <port>\`) and pass its ` +
          `https://<machine>.<tailnet>.ts.net URL`,
      );
    }
    const envFile = path.join(paths.geminiDir, '.env');
    const settingsFile = path.join(paths.geminiDir, 'settings.json');
    return {
      files: [
        {
          path: envFile,
          content: setDotenvValues(
            readFile(envFile),
            [
              ['GOOGLE_GEMINI_BASE_URL', gateway.root],
              ['GEMINI_API_KEY', PLACEHOLDER_KEY],
            ],
            displayPath(envFile, paths),
          ),
        },
        {
          path: settingsFile,
          content: setJsonValues(
            readFile(settingsFile),
            [{ path: ['security', 'auth', 'selectedType'], value: 'gemini-api-key' }],
            displayPath(settingsFile, paths),
          ),
        },
      ],
      output: [],
      notes: [
        'Gemini CLI loads ~/.gemini/.env only when the project has no .gemini/.env or .env of its own, and',
        'variables exported in your shell (GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL) take precedence over it.',
      ],
    };
  },
};
