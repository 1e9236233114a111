import * as path from 'node:path';
import { CliError } from '../io';
import { preservingBom } from '../text';
import { readRootValue, setRootKey, setTableKeys, TomlEditConflict } from '../toml-edit';
import { TomlSyntaxError, tomlString } from '../toml-scan';
import { PLACEHOLDER_KEY, type ClientConnector } from './client';
import { displayPath } from './paths';

const PROVIDER_ID = 'tailgate';

/**
 * Codex reads ~/.codex/config.toml (or $CODEX_HOME/config.toml). A custom provider speaking the Responses
 * API, selected by the root `model_provider` key, sends every request to `<gateway>/v1/responses`.
 *
 * Auth: with `env_key` Codex refuses to start unless that variable is set and non-empty, which would make
 * every user export a dummy (and breaks the IDE extension and desktop app, which don't see shell exports).
 * `experimental_bearer_token` is a field of Codex's ModelProviderInfo that sends a fixed
 * `Authorization: Bearer <value>` with no environment needed; the gateway ignores the value. A leftover
 * `env_key` in our table would bring the environment requirement back, so it is removed.
 */
export const codex: ClientConnector = {
  id: 'codex',
  summary: `~/.codex/config.toml: a '${PROVIDER_ID}' model provider (Responses API at <url>/v1), selected as default`,
  plan({ gateway, paths, readFile }) {
    const file = path.join(paths.codexHome, 'config.toml');
    const label = displayPath(file, paths);
    let content: string;
    let profile: string | undefined;
    try {
      content = preservingBom(readFile(file) ?? '', (text) => {
        const selected = setRootKey(text, 'model_provider', tomlString(PROVIDER_ID), [
          'Added by `tailgate connect codex`; `tailgate connect codex --undo` restores this file.',
        ]);
        const withProvider = setTableKeys(selected, ['model_providers', PROVIDER_ID], {
          set: [
            ['name', tomlString('Tailgate')],
            ['base_url', tomlString(`${gateway.root}/v1`)],
            ['wire_api', tomlString('responses')],
            ['experimental_bearer_token', tomlString(PLACEHOLDER_KEY)],
          ],
          remove: ['env_key'],
          comment: ['Tailgate gateway on your tailnet: it knows you by your Tailscale identity and ignores the token.'],
        });
        return withProvider;
      });
      profile = readRootValue(content.replace(/^\uFEFF/, ''), 'profile');
    } catch (err) {
      if (err instanceof TomlSyntaxError || err instanceof TomlEditConflict) {
        throw new CliError(`${label}: ${err.message}; tailgate left the file unchanged`);
      }
      throw err;
    }
    const notes = ['Start a new Codex session to use the gateway.'];
    if (profile !== undefined) {
      notes.push(`config.toml selects profile ${profile} by default; a model_provider set in that profile overrides '${PROVIDER_ID}'.`);
    }
    return { files: [{ path: file, content }], output: [], notes };
  },
};
