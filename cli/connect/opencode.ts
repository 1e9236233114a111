import * as path from 'node:path';
import { setJsonValues, type JsonAssignment } from '../json-edit';
import { PLACEHOLDER_KEY, type ClientConnector } from './client';
import { displayPath } from './paths';

/**
 * opencode (V1 and V2 read the same file) builds its providers with the AI SDK, whose `baseURL` includes the
 * API version (`https://api.anthropic.com/v1`, `https://api.openai.com/v1`). Setting `apiKey` in the
 * provider options makes the provider usable without `/connect` storing a key in auth.json.
 */
export const opencode: ClientConnector = {
  id: 'opencode',
  summary: '~/.config/opencode/opencode.json: anthropic and openai providers with baseURL <url>/v1',
  plan({ gateway, paths, readFile }) {
    const file = path.join(paths.opencodeDir, 'opencode.json');
    const before = readFile(file);
    const assignments: JsonAssignment[] = [];
    if (before === null) assignments.push({ path: ['$schema'], value: 'https://opencode.ai/config.json' });
    for (const provider of ['anthropic', 'openai']) {
      assignments.push(
        { path: ['provider', provider, 'options', 'baseURL'], value: `${gateway.root}/v1` },
        { path: ['provider', provider, 'options', 'apiKey'], value: PLACEHOLDER_KEY },
      );
    }
    const notes = ['Restart opencode to use the gateway for Anthropic and OpenAI models.'];
    const jsonc = path.join(paths.opencodeDir, 'opencode.jsonc');
    if (readFile(jsonc) !== null) {
      notes.push(
        `${displayPath(jsonc, paths)} also exists and opencode reads it after opencode.json: make sure it does not ` +
          'set provider.anthropic or provider.openai options.',
      );
    }
    return {
      files: [{ path: file, content: setJsonValues(before, assignments, displayPath(file, paths)) }],
      output: [],
      notes,
    };
  },
};
